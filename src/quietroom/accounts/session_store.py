"""Sessions in the database, read together with the person signed in to them.

Every signed-in request reads its session row and then its user (with site and organisation):
two statements, and building the ORM's user query cost more CPU than PostgreSQL took to
answer it (bench/review_http.py --profile). This store reads both in one written-out statement:
the session row, LEFT JOINed to the user whose `current_session_key` is this session (one
session per account, accounts/sessions.py), their site and organisation, and their unread
notices count (the menu's badge on every page).

Nothing about who is signed in is decided here. `AccountBackend.get_user` takes the user read
with the session only when it is the very user the session names (its SESSION_KEY), and
Django's `get_user` then checks the backend, `user_can_authenticate` and the session's auth
hash as always; `SessionPolicyMiddleware` still ends a session that is no longer the account's
current one, older than the limit, or of a disabled account. A session that is not its user's
current one finds no row in the join and falls back to the ordinary lookup (then ends). The
row is the one the ordinary lookup would have read, at the same moment, so revocation
(sign-out, sign-in elsewhere, disabling, vetting withdrawn) takes effect on the next request
exactly as before.
"""
from __future__ import annotations

import contextvars
import functools

from django.contrib.sessions.backends import db
from django.db import connection
from django.utils import timezone

# The session store of the request being served (set by the authentication middleware around
# the user lookup), so the backend can find the user read with it.
current_store: contextvars.ContextVar = contextvars.ContextVar("quietroom_session_store", default=None)


@functools.cache
def _plan(vendor: str):
    """(SQL, [(model, fields, converters), ...]) for this database vendor, built once."""
    from django.contrib.sessions.models import Session

    from .models import Notice, Organisation, Site, User

    q = connection.ops.quote_name
    parts = []
    columns = []
    for alias, model in (("u", User), ("st", Site), ("o", Organisation)):
        fields = list(model._meta.concrete_fields)
        parts.append((model, fields, [_converters(f) for f in fields]))
        columns += [f"{alias}.{q(f.column)}" for f in fields]
    session = q(Session._meta.db_table)
    sql = f"""
        SELECT s.{q("session_data")}, u.{q("id")} IS NOT NULL,
               (SELECT COUNT(*) FROM {q(Notice._meta.db_table)} n WHERE n.{q("user_id")} = u.{q("id")}
                AND n.{q("read_at")} IS NULL),
               {", ".join(columns)}
        FROM {session} s
        LEFT JOIN {q(User._meta.db_table)} u ON u.{q("current_session_key")} = s.{q("session_key")}
        LEFT JOIN {q(Site._meta.db_table)} st ON st.{q("id")} = u.{q("site_id")}
        LEFT JOIN {q(Organisation._meta.db_table)} o ON o.{q("id")} = u.{q("organisation_id")}
        WHERE s.{q("session_key")} = %s AND s.{q("expire_date")} > %s"""
    return sql, parts


def _converters(field):
    col = field.get_col(field.model._meta.db_table)
    return col, connection.ops.get_db_converters(col) + field.get_db_converters(connection)


def _build(model, fields, converters, values):
    """A model instance from its columns as read, converted as the ORM converts them."""
    converted = []
    for (col, funcs), value in zip(converters, values):
        for convert in funcs:
            value = convert(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


class SessionStore(db.SessionStore):
    """Django's database session store; `signed_in_user` is the account whose current session
    this is (with site, organisation and `unread_notices`), read with the session, or None."""

    signed_in_user = None

    def _get_session_from_db(self):
        self.signed_in_user = None
        if not self.session_key:
            return None
        sql, parts = _plan(connection.vendor)
        expire = self.model._meta.get_field("expire_date").get_db_prep_value(timezone.now(), connection)
        with connection.cursor() as cursor:
            cursor.execute(sql, [self.session_key, expire])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        session_data, has_user, unread = row[0], row[1], row[2]
        if has_user:
            values, at = row[3:], 0
            built = []
            for model, fields, converters in parts:
                chunk, at = values[at:at + len(fields)], at + len(fields)
                built.append(None if chunk[0] is None else _build(model, fields, converters, chunk))
            user, site, organisation = built
            user._state.fields_cache["site"] = site
            user._state.fields_cache["organisation"] = organisation
            user.unread_notices = int(unread or 0)
            self.signed_in_user = user
        return self.model(session_key=self.session_key, session_data=session_data)
