"""What every page shows a signed-in person: why they cannot get work, unread notices, links."""
from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from quietroom.escalation.access import is_escalation_staff

from . import access as access_rules
from . import notices, permissions
from .models import User

WORKING_ROLES = (User.Role.REVIEWER, User.Role.QA_LEAD)


@dataclass(frozen=True)
class Link:
    label: str
    url_name: str
    allowed: Callable[[User, frozenset], bool]  # (user, their permissions) -> shown?
    element_id: str = ""


def _holds(*needed: str) -> Callable[[User, frozenset], bool]:
    return lambda user, perms: any(p in perms for p in needed)


# The one menu, in the order people use it. A link is shown only to those its page lets in
# (the same permission the view requires), so nobody is offered a page that answers 403.
MENU: tuple[Link, ...] = (
    Link("Home", "home", lambda user, perms: user.role != User.Role.REVIEWER, "nav-home"),  # a reviewer's is the room
    Link("Review room", "review:room", _holds(permissions.DO_REVIEW), "nav-room"),
    Link("Quality", "review:quality", _holds(permissions.DO_QA, permissions.VIEW_PEOPLE), "nav-quality"),
    Link("People", "accounts:manage_people", _holds(permissions.VIEW_PEOPLE), "nav-people"),
    Link("Vendors and sites", "accounts:controller_vendors", _holds(permissions.VIEW_VENDORS), "nav-vendors"),
    Link("Batches", "recordings:batches", _holds(permissions.VIEW_VENDORS), "nav-batches"),
    Link("Eligibility", "review:eligibility", _holds(permissions.VIEW_VENDORS, permissions.VIEW_PEOPLE),
         "nav-eligibility"),
    # The controller's privacy officers: the queue of escalated cases (escalation/access.py).
    Link("Escalations", "escalation:queue", lambda user, perms: is_escalation_staff(user), "nav-escalation"),
    Link("Access reports", "privacy:access_report", _holds(permissions.PRIVACY), "nav-access-report"),
    Link("Audit log", "audit:log", _holds(permissions.VIEW_AUDIT), "nav-audit"),
    # A leaked clip names its listener (issue 19): identities only for PRIVACY holders.
    Link("Trace a leak", "privacy:trace", lambda user, perms: bool(perms & {permissions.PRIVACY, permissions.VIEW_AUDIT}),
         "nav-trace"),
    Link("Training", "accounts:training", _holds(permissions.TAKE_TRAINING), "nav-training"),
    Link("Security", "accounts:security", _holds(permissions.OWN_SECURITY), "nav-security"),
)


def menu_for(user) -> list[dict]:
    return list(_menu(_shown(user), get_script_prefix()))


def _shown(user, perms: frozenset | None = None) -> tuple[int, ...]:
    perms = permissions.permissions_of(user) if perms is None else perms
    return tuple(i for i, link in enumerate(MENU) if link.allowed(user, perms))


@functools.lru_cache(maxsize=64)
def _menu(shown: tuple[int, ...], prefix: str) -> tuple[dict, ...]:
    """The links of one set of allowed menu entries, their URLs reversed once per process (who
    sees which links is decided per request above; only the URLs are remembered)."""
    return tuple({"label": MENU[i].label, "url": reverse(MENU[i].url_name), "id": MENU[i].element_id} for i in shown)


@functools.lru_cache(maxsize=256)
def _menu_links(shown: tuple[int, ...], prefix: str, current: str) -> SafeString:
    """The menu's links as HTML (accounts/_menu_links.html), rendered once per process for each
    set of links and the one of them that is the current page, if any: the same few strings on
    every page, which the template's loop rebuilt on each."""
    return mark_safe(render_to_string("accounts/_menu_links.html",  # noqa: S308 (our template, autoescaped)
                                      {"menu": _menu(shown, prefix), "current": current}))


def menu_links(user, path: str, perms: frozenset | None = None) -> SafeString:
    shown, prefix = _shown(user, perms), get_script_prefix()
    current = next((link["url"] for link in _menu(shown, prefix) if link["url"] == path), "")
    return _menu_links(shown, prefix, current)


def access(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    perms = permissions.permissions_of(user)
    return {
        # Shown on every page, so a reviewer whose NDA expired sees why the queue is empty.
        "access_blockers": access_rules.work_blockers(user, timezone.now()) if user.role in WORKING_ROLES else [],
        "unread_notices": notices.unread_count(user),
        "menu_links": menu_links(user, request.path, perms),
        "nav_training": permissions.TAKE_TRAINING in perms,
        "can_manage_vendors": permissions.MANAGE_VENDORS in perms,
        "can_invite": permissions.INVITE in perms,
    }
