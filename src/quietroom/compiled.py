"""A query written with the ORM, compiled once per process and database, run with other values.

Building a statement with Case/Exists subqueries costs the ORM a few milliseconds of CPU on
every call — more than PostgreSQL takes to answer it — and some statements run on every page
(the correction offer, the held-back rule behind it). `Compiled` keeps the rule written once,
as a queryset, and compiles it once: the queryset is built with a stand-in value, its SQL and
parameters are kept, and each call puts the real value where the stand-in was, runs the SQL
and converts the columns as the ORM would (JSON decoded, SQLite's text to datetimes).

Only for `values_list` querysets whose rows are plain columns; the stand-in must be a value
no real parameter of the query can equal.
"""
from __future__ import annotations

import functools
from collections.abc import Callable

from django.db import connection


class Compiled:
    def __init__(self, build: Callable[[object], object], stand_in, prepare: Callable[[object, object], object]):
        """`build(value)` returns the values_list queryset for `value`; `prepare(value, connection)`
        turns a value into the parameter the database gets (a model field's get_db_prep_value)."""
        self._build, self._stand_in, self._prepare = build, stand_in, prepare

    @functools.cached_property
    def _by_vendor(self) -> dict:
        return {}

    def _plan(self):
        key = (connection.vendor, connection.alias)
        plan = self._by_vendor.get(key)
        if plan is None:
            query = self._build(self._stand_in).query
            compiler = query.get_compiler(connection.alias)
            sql, params = compiler.as_sql()
            marker = self._prepare(self._stand_in, connection)
            at = [i for i, p in enumerate(params) if type(p) is type(marker) and p == marker]
            if not at:
                raise ValueError("the stand-in value does not appear among the query's parameters")
            converters = compiler.get_converters([expr for expr, _, _ in compiler.select])
            plan = self._by_vendor[key] = (sql, list(params), at, compiler, converters)
        return plan

    def rows(self, value) -> list[tuple]:
        sql, params, at, compiler, converters = self._plan()
        params = list(params)
        prepared = self._prepare(value, connection)
        for i in at:
            params[i] = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows
