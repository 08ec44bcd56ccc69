"""A person's pseudonym: what the audit log, exports and QA pages show instead of a name.

A keyed hash (HMAC-SHA256 under PSEUDONYM_KEY) of the account id, so it cannot be guessed from
the id; the controller's administrators map it back through the account list. (Customers get
theirs at ingestion: `recordings.pseudonyms.customer_pseudonym`.)
"""
import hashlib
import hmac

from django.conf import settings


def user_pseudonym(user_id: int) -> str:
    message = f"quietroom/reviewer/v1:{user_id}".encode()
    digest = hmac.new(settings.PSEUDONYM_KEY.encode(), message, hashlib.sha256).hexdigest()
    return "r_" + digest[:16]
