"""What every page shows a signed-in person: why they cannot get work, unread notices, links."""
from __future__ import annotations

from django.utils import timezone

from quietroom.escalation.access import is_escalation_staff

from . import access as access_rules
from . import notices, permissions, vetting
from .models import User

WORKING_ROLES = (User.Role.REVIEWER, User.Role.QA_LEAD)


def access(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = permissions.permissions_of(user)
    return {
        # Shown on every page, so a reviewer whose NDA expired sees why the queue is empty.
        "access_blockers": ([*vetting.blocking_reasons(user, timezone.now()), *access_rules.vendor_reasons(user)]
                            if user.role in WORKING_ROLES else []),
        "unread_notices": notices.unread_count(user),
        "nav_people": permissions.VIEW_PEOPLE in perms,
        "nav_vendors": permissions.VIEW_VENDORS in perms,
        "nav_training": permissions.TAKE_TRAINING in perms,
        # The controller's privacy officers: the queue of escalated cases (escalation/access.py).
        "nav_escalation": is_escalation_staff(user),
    }
