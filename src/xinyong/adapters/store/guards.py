"""The append-only guard: a table that refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL)
in the database itself, whoever connects. The one place this DDL is written.

SQLite: one ``BEFORE`` trigger per operation (``<table>_no_update``, ``<table>_no_delete``),
raising ``<table> is append-only: <OP> refused; <hint>``; with ``keys``, also
``<table>_no_replace``, which refuses an ``INSERT OR REPLACE`` over a stored key.
PostgreSQL: one statement-level trigger (``<table>_no_change``) calling the shared function
``xinyong_append_only``, which raises ``restrict_violation`` with the same message and the
hint as its HINT. Both forms may be run again (``IF NOT EXISTS``, ``OR REPLACE``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection

from xinyong.core.errors import XinyongError

_PG_FUNCTION = """CREATE OR REPLACE FUNCTION xinyong_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
    HINT = TG_ARGV[0];
END $$"""


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def append_only(
    conn: Connection,
    table: str,
    hint: str | Mapping[str, str],
    *,
    keys: Sequence[str] = (),
) -> None:
    """Make ``table`` append-only. ``hint`` says what to do instead (per operation:
    ``{"UPDATE": ..., "DELETE": ...}``); ``keys``: columns an insert may never replace
    (SQLite; PostgreSQL has no replacing insert)."""
    hints = dict.fromkeys(("UPDATE", "DELETE", "TRUNCATE"), hint) if isinstance(hint, str) else hint
    dialect = conn.dialect.name
    if dialect == "sqlite":
        for op in ("UPDATE", "DELETE"):
            message = _quote(f"{table} is append-only: {op} refused; {hints[op]}")
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, {message}); END"
            )
        if keys:
            taken = " OR ".join(f"EXISTS (SELECT 1 FROM {table} WHERE {k} = NEW.{k})" for k in keys)
            message = _quote(
                f"{table} is append-only: this {' or '.join(keys)} is already stored and is "
                f"never replaced; {hints['UPDATE']}"
            )
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_replace BEFORE INSERT ON {table} "
                f"WHEN {taken} BEGIN SELECT RAISE(ABORT, {message}); END"
            )
    elif dialect == "postgresql":
        conn.exec_driver_sql(_PG_FUNCTION)
        conn.exec_driver_sql(
            f"CREATE OR REPLACE TRIGGER {table}_no_change "
            f"BEFORE UPDATE OR DELETE OR TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION xinyong_append_only({_quote(hints['UPDATE'])})"
        )
    else:
        raise XinyongError(
            f"no append-only guard for database {dialect!r}; supported: sqlite, postgresql"
        )
