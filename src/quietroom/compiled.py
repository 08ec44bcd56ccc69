"""A query written with the ORM, compiled once per process and database, run with other values.

Building a statement with joins and Case/Exists subqueries costs the ORM a few milliseconds of
CPU on every call — more than PostgreSQL takes to answer it — and some statements run on every
request of the review room (the held task, the correction offer). `Compiled` keeps each query
written once, as a queryset, and compiles it once: the queryset is built with stand-in values,
its SQL and parameters are kept, and each call puts the real values where the stand-ins were,
runs the SQL and turns the rows into what the queryset would have returned — columns converted
as the ORM converts them (JSON decoded, SQLite's text to datetimes), and for a model queryset
the instances with their `select_related` objects and annotations, as Django's ModelIterable
builds them.

A stand-in must be a value no other parameter of the query can equal (a negative id, a UUID
nobody draws).
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from django.db import connection
from django.db.models import UUIDField
from django.db.models.query import get_related_populators

#: Stand-ins for the usual keys: a UUID nobody draws and an integer id no row has.
UUID_STAND_IN = uuid.UUID("5ca1ab1e-0000-4000-8000-00000000c0de")
INT_STAND_IN = -719_307_114
_UUID = UUIDField()


def uuid_param(value, connection):
    """A UUID primary or foreign key as the database gets it (a UUID, or SQLite's hex text)."""
    return _UUID.get_db_prep_value(value, connection)


def int_param(value, connection):
    return value


class Compiled:
    def __init__(self, build: Callable[..., object], stand_ins: Sequence, prepare: Sequence[Callable]):
        """`build(*values)` returns the queryset for `values`; `prepare[i](value, connection)` turns
        the i-th value into the parameter the database gets (a field's get_db_prep_value)."""
        self._build, self._stand_ins, self._prepare = build, tuple(stand_ins), tuple(prepare)
        self._plans: dict = {}

    def _plan(self):
        key = (connection.vendor, connection.alias)
        plan = self._plans.get(key)
        if plan is None:
            queryset = self._build(*self._stand_ins)
            compiler = queryset.query.get_compiler(connection.alias)
            sql, params = compiler.as_sql()
            slots = []
            for stand_in, prepare in zip(self._stand_ins, self._prepare):
                marker = prepare(stand_in, connection)
                at = [i for i, p in enumerate(params) if type(p) is type(marker) and p == marker]
                if not at:
                    raise ValueError(f"the stand-in {stand_in!r} does not appear among the query's parameters")
                slots.append(at)
            converters = compiler.get_converters([expr for expr, _, _ in compiler.select])
            plan = self._plans[key] = (sql, list(params), slots, compiler, converters)
        return plan

    def rows(self, *values) -> list[tuple]:
        """The rows, columns converted (for a values_list queryset: what it would yield)."""
        sql, params, slots, compiler, converters = self._plan()
        params = list(params)
        for value, prepare, at in zip(values, self._prepare, slots):
            prepared = prepare(value, connection)
            for i in at:
                params[i] = prepared
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        if converters:
            rows = [tuple(row) for row in compiler.apply_converters(rows, converters)]
        return rows

    def first(self, *values):
        """For a model queryset: its first instance (select_related objects and annotations
        attached, as Django builds them), or None."""
        rows = self.rows(*values)
        if not rows:
            return None
        _, _, _, compiler, _ = self._plan()
        select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in select[start:end]]
        row = rows[0]
        obj = klass_info["model"].from_db(connection.alias, names, row[start:end])
        for populator in get_related_populators(klass_info, select, connection.alias):
            populator.populate(row, obj)
        for name, position in (annotations or {}).items():
            setattr(obj, name, row[position])
        return obj


def insert_statement(model) -> tuple[str, list]:
    """`INSERT INTO <model's table> (<every column but an auto id>) VALUES (%s, ...)` and those
    fields, for rows written on every request: the columns come from the model, so a field added
    later is not forgotten (values: `insert_values`)."""
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.get_internal_type() in
                                                             ("AutoField", "BigAutoField", "SmallAutoField"))]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    return (f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"), fields


def insert_values(instance, fields) -> list:
    """The parameters of `insert_statement` for an unsaved instance, as `Model.save` prepares them
    (`pre_save` fills auto_now_add and the like)."""
    return [f.get_db_prep_save(f.pre_save(instance, True), connection) for f in fields]


_RAW_PLANS: dict = {}


def raw_instances(model, sql: str, params) -> list:
    """Instances of `model` from hand-written SQL, as `model.objects.raw(sql, params)` builds them
    (the model's columns to its fields, the other columns set as attributes, values converted
    as the ORM converts them), with that mapping and the converters worked out once per
    statement shape: RawQuerySet redoes both on every call, a fifth of the queue's lease."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        columns = tuple(column[0] for column in cursor.description)
        rows = cursor.fetchall()
    key = (connection.alias, model, columns)
    plan = _RAW_PLANS.get(key)
    if plan is None:
        plan = _RAW_PLANS[key] = _raw_plan(model, columns)
    init_names, init_positions, annotations, compiler, converters = plan
    if converters:
        rows = compiler.apply_converters(rows, converters)
    instances = []
    for row in rows:
        instance = model.from_db(connection.alias, init_names, [row[i] for i in init_positions])
        for name, position in annotations:
            setattr(instance, name, row[position])
        instances.append(instance)
    return instances


def _raw_plan(model, columns: tuple):
    from django.db.models.sql import Query

    convert = connection.introspection.identifier_converter
    by_column = {convert(field.column): field for field in model._meta.fields}
    init_fields = [field for field in model._meta.fields if convert(field.column) in columns]
    if model._meta.pk not in init_fields:
        raise ValueError(f"raw SQL for {model.__name__} must select its primary key")
    init_positions = [columns.index(convert(field.column)) for field in init_fields]
    annotations = [(column, position) for position, column in enumerate(columns) if column not in by_column]
    compiler = Query(model).get_compiler(connection.alias)
    fields = [by_column.get(column) for column in columns]
    converters = compiler.get_converters([field.get_col(model._meta.db_table) if field else None for field in fields])
    return [field.attname for field in init_fields], init_positions, annotations, compiler, converters
