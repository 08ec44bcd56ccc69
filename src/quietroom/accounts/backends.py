"""Django's model backend, loading what nearly every request reads next with the user.

The reviewer's site (the network and residency checks) and organisation (audit records, tenant
scoping) come in the same query as the user instead of two more on every request.
"""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .session_store import current_store


class AccountBackend(ModelBackend):
    def get_user(self, user_id):
        # The user read with this request's session row (session_store.py), when it is the one
        # the session names: the same row, read by the same statement as the session.
        read_with_session = getattr(current_store.get(), "signed_in_user", None)
        if read_with_session is not None and read_with_session.pk == user_id:
            return read_with_session if self.user_can_authenticate(read_with_session) else None
        # A slice, not .first(): the key names one row, and first()'s ORDER BY cost a sixth of
        # building this statement, which every signed-in request pays (bench/review_http.py).
        found = list(self._user_model().objects.select_related("site", "organisation").filter(pk=user_id)[:1])
        user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None

    @staticmethod
    def _user_model():
        from django.contrib.auth import get_user_model

        return get_user_model()
