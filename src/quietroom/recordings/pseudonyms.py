"""Customer ids are replaced at the door by a keyed hash (HMAC-SHA256).

The key (PSEUDONYM_KEY) stays with the controller: without it nobody can go from a
pseudonym back to a customer id, or test a guessed id against a pseudonym.
"""
import hashlib
import hmac

from django.conf import settings


def customer_pseudonym(controller_id: int, customer_id: str) -> str:
    message = f"quietroom/customer/v1:{controller_id}:{customer_id}".encode()
    digest = hmac.new(settings.PSEUDONYM_KEY.encode(), message, hashlib.sha256).hexdigest()
    return "c_" + digest[:40]
