"""Where and whether a person may work: the vendor's approval and the site rule.

Two questions, each answered in one place:

- `vendor_reasons(person)`: is the person's organisation allowed to work at all? A vendor with
  no approval date (never approved, or approval withdrawn) is not. Pure: it reads the
  organisation loaded with the user (the sign-in backend selects it in the same query), the way
  `vetting.blocking_reasons` reads the user's own expiry fields, so `review.eligibility.standing`
  asks it for every assignment, play and submission without a query of its own.
- `site_refusal(user, address)`: may this site-bound person (reviewers, QA leads) be served
  from `address`? Only from their site's networks, unless the controller allows remote work
  for the vendor. Asked at sign-in, at the end of enrolment, and on every request
  (`SiteNetworkMiddleware`), with the address from `addresses.client_address`.

`access_refusal` is the whole sign-in rule (vendor, site, country, network) built from them.
Like `vetting`, this module imports no models, so the eligibility function stays importable
on its own; roles and kinds are compared by their stored values.
"""
from __future__ import annotations

from .vetting import blocking_reasons

# Roles that hear content and work only from their site's networks (unless remote work is
# allowed): User.Role.REVIEWER and User.Role.QA_LEAD.
SITE_BOUND_ROLES = ("reviewer", "qa_lead")
VENDOR = "vendor"  # Organisation.Kind.VENDOR

NOT_APPROVED = "Your organisation is not an approved vendor at the moment."
NO_SITE = "You have no assigned site. Ask your vendor manager."
COUNTRY = "Your site is not in a country approved for your organisation."
OFF_SITE = "You can only sign in from your assigned site's network."
# The audit log's wording for an address outside the site's networks.
OFF_SITE_AUDIT = "network is not an approved site for this account"


def vendor_reasons(person) -> list[str]:
    """Reasons the person's organisation does not allow them to work (empty: it does).

    Reads `person.vendor_state` (a `User`'s organisation); anything without it fails closed
    (an AttributeError, never a silent pass), and so does an account without an organisation.
    """
    org = person.vendor_state
    if org is None:
        return ["not a member of any organisation"]
    if org.kind == VENDOR and org.approved_at is None:
        return ["vendor organisation is not approved (never approved, or approval withdrawn)"]
    return []


def work_blockers(person, now) -> list[str]:
    """Why this person gets no work at all now: lapsed vetting, or a vendor not approved.

    What the banner on every page and the room's "nothing for you" both say.
    """
    return [*blocking_reasons(person, now), *vendor_reasons(person)]


def site_refusal(user, address: str) -> str:
    """Why this person may not be served from `address` ('' if they may, or are not site-bound)."""
    if user.role not in SITE_BOUND_ROLES:
        return ""
    site = user.site
    if site is None:
        return NO_SITE
    org = user.organisation
    remote_ok = org is not None and org.remote_work_allowed
    if not remote_ok and not site.allows_address(address):
        return OFF_SITE
    return ""


def access_refusal(user, address: str) -> str:
    """Why this account may not sign in from `address` now ('' if it may)."""
    if vendor_reasons(user):
        return NOT_APPROVED
    org = user.organisation
    if (user.role in SITE_BOUND_ROLES and user.site is not None and org.kind == VENDOR
            and user.site.country not in (org.approved_countries or [])):
        return COUNTRY
    return site_refusal(user, address)


def audit_reason(refusal: str) -> str:
    """The reason as the audit log records it."""
    return OFF_SITE_AUDIT if refusal == OFF_SITE else refusal


def working_site(user, address: str | None):
    """The site `user` is working from, as far as the request address shows.

    Their assigned site when the address is on its networks (or remote work is allowed), else
    None: the eligibility function then refuses with "not working from an approved site".
    No address (None or "") means no request is involved (an administrator asking "could this
    reviewer have this task?", a command): the assigned site is taken as given. Every request
    passes its address; `SiteNetworkMiddleware` has already refused an off-site one, and this
    repeats the rule where content is read.
    """
    site = getattr(user, "site", None)
    if not address or site is None:
        return site
    return None if site_refusal(user, address) else site
