"""Refusals and missing pages in the layout, with the reason and a way back.

Django's own pages are bare and say nothing; a person refused by the access policy should read
why ("Your role does not allow this.") and find their menu. The reason shown is the one the
view raised with (`PermissionDenied("...")`): written for people, never content or ids.
"""
from __future__ import annotations

from django.shortcuts import render


def permission_denied(request, exception=None):
    reason = str(exception) if exception is not None and str(exception) else "You may not open this page."
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    return render(request, "404.html", {"path": request.path}, status=404)
