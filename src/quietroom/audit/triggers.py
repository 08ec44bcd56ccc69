"""Database triggers that make the audit tables append-only, on SQLite and PostgreSQL.

UPDATE and DELETE (and TRUNCATE on PostgreSQL) are refused on events, checkpoints and prune
records. One UPDATE is let through on events: retention pruning of an entry at or below a
recorded prune boundary that keeps the entry's sequence number and hashes (so the Merkle root
stays verifiable); `audit verify` checks that pruned entries are blank and inside a boundary.

Someone who owns the database can drop triggers; that is what the hash chain, the Merkle tree
and the signed checkpoints are for. The triggers stop the application, an operator's stray
SQL and the ORM from ever rewriting history.
"""
from __future__ import annotations

EVENT = "audit_auditevent"
PROTECTED = ("audit_auditevent", "audit_auditcheckpoint", "audit_auditprune")

_PRUNE_ALLOWED = (
    "OLD.pruned_at IS NULL AND NEW.pruned_at IS NOT NULL"
    " AND OLD.seq <= (SELECT COALESCE(MAX(upto_seq), 0) FROM audit_auditprune)"
    " AND NEW.seq = OLD.seq AND NEW.leaf_hash = OLD.leaf_hash"
    " AND NEW.hash = OLD.hash AND NEW.prev_hash = OLD.prev_hash"
)


def _sqlite_install() -> list[str]:
    statements = []
    for table in PROTECTED:
        condition = f" WHEN NOT ({_PRUNE_ALLOWED})" if table == EVENT else ""
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table}{condition} "
            f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE on {table} refused'); END"
        )
        statements.append(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE on {table} refused'); END"
        )
    return statements


def _sqlite_drop() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_{kind}" for table in PROTECTED for kind in ("no_update", "no_delete")]


def _postgres_install() -> list[str]:
    statements = [
        """CREATE OR REPLACE FUNCTION quietroom_audit_refuse() RETURNS trigger AS $$
        BEGIN
          RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql""",
        f"""CREATE OR REPLACE FUNCTION quietroom_audit_event_update() RETURNS trigger AS $$
        BEGIN
          IF {_PRUNE_ALLOWED} THEN
            RETURN NEW;
          END IF;
          RAISE EXCEPTION 'audit log is append-only: UPDATE on % refused', TG_TABLE_NAME;
        END $$ LANGUAGE plpgsql""",
    ]
    for table in PROTECTED:
        update_fn = "quietroom_audit_event_update" if table == EVENT else "quietroom_audit_refuse"
        statements += [
            f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}",
            f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {update_fn}()",
            f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}",
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION quietroom_audit_refuse()",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION quietroom_audit_refuse()",
        ]
    return statements


def _postgres_drop() -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_{kind} ON {table}"
        for table in PROTECTED for kind in ("no_update", "no_delete", "no_truncate")
    ]


def _statements(vendor: str, install: bool) -> list[str]:
    if vendor == "sqlite":
        return _sqlite_install() if install else _sqlite_drop()
    if vendor == "postgresql":
        return _postgres_install() if install else _postgres_drop()
    raise NotImplementedError(f"append-only audit triggers are not written for {vendor}")


def install(connection) -> None:
    """Create the triggers (idempotent)."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, True):
            cursor.execute(statement)


def drop(connection) -> None:
    """Remove the triggers: test set-up and the test-mode flush only."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, False):
            cursor.execute(statement)


def installed(connection) -> set[str]:
    """Names of the append-only triggers present in the database."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    return {name for name in names if name.startswith(PROTECTED)}


def expected(connection) -> set[str]:
    kinds = ("no_update", "no_delete") + (("no_truncate",) if connection.vendor == "postgresql" else ())
    return {f"{table}_{kind}" for table in PROTECTED for kind in kinds}
