"""The service's own append-only tables, beside the records: objections and the access log.

``objections``: one row per objection event (filed now; decisions later append rows with the
same ``id`` and a new ``status``). ``access_log``: one row per credit-file read or gate check:
who (role, name), whom (subject), why (the stated purpose), what, when. Both refuse UPDATE and
DELETE in the database (triggers, as for ``records``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.pool import StaticPool

from xinyong.adapters.store import store_url
from xinyong.adapters.store.postgres import pg_url
from xinyong.adapters.store.sql import from_micros
from xinyong.core.timeutil import iso

metadata = MetaData()

objections_table = Table(
    "objections",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("id", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("status", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("filed_by", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("target_kind", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("contact", Text, nullable=True),
    Column("deadlines", Text, nullable=False),
    Index("ix_objections_id", "id"),
    Index("ix_objections_subject", "subject"),
)

access_log_table = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("at", BigInteger, nullable=False),
    Column("role", Text, nullable=False),
    Column("who", Text, nullable=False),
    Column("whom", Text, nullable=False),
    Column("why", Text, nullable=False),
    Column("what", Text, nullable=False),
    Index("ix_access_log_whom", "whom", "seq"),
)

_TABLES = ("objections", "access_log")
_LOG_COLUMNS = ("at", "role", "who", "whom", "why", "what")


def _sqlite_guards(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table} BEGIN
        SELECT RAISE(ABORT, '{table} is append-only: {op} refused; append a new row instead');
        END"""
        for op in ("UPDATE", "DELETE")
    ]


_PG_FUNCTION = """CREATE OR REPLACE FUNCTION journal_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION USING ERRCODE = 'restrict_violation',
    MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused',
    HINT = 'append a new row instead';
END $$"""


def _pg_guards(table: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE TRIGGER {table}_no_change
        BEFORE UPDATE OR DELETE OR TRUNCATE ON {table}
        FOR EACH STATEMENT EXECUTE FUNCTION journal_append_only()"""
    ]


@dataclass(frozen=True, slots=True)
class Access:
    """One read to log."""

    role: str
    who: str
    whom: str
    why: str
    what: str


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    """As the store's connections: WAL, and commits without a full fsync each time."""
    cur = dbapi_conn.cursor()
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
        cur.execute(f"PRAGMA {pragma}")
    cur.close()


def _now_us() -> int:
    return time.time_ns() // 1000


def sqlalchemy_url(url_or_path: str) -> str:
    url = store_url(url_or_path)
    if url.split("://", 1)[0].split("+", 1)[0].lower() in ("postgresql", "postgres"):
        return pg_url(url)
    return url


class Journal:
    """Objections and the access log in the store's database."""

    def __init__(self, url_or_path: str) -> None:
        url = sqlalchemy_url(url_or_path)
        if url == "sqlite://":
            self._engine: Engine = create_engine(
                url, poolclass=StaticPool, connect_args={"check_same_thread": False}
            )
        elif url.startswith("sqlite"):
            self._engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(self._engine, "connect", _sqlite_pragmas)
        else:
            self._engine = create_engine(url)
        self._lock = threading.Lock()  # one SQLite writer at a time in this process
        self._migrate()
        logged = insert(access_log_table).compile(
            dialect=self._engine.dialect, column_keys=list(_LOG_COLUMNS)
        )
        self._log_sql = str(logged)
        self._log_order = list(logged.positiontup or ()) if logged.positional else None

    def _migrate(self) -> None:
        with self._engine.begin() as conn:
            pg = conn.dialect.name == "postgresql"
            if pg:
                conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4711002)")
                conn.exec_driver_sql(_PG_FUNCTION)
            metadata.create_all(conn, checkfirst=True)
            for table in _TABLES:
                for ddl in _pg_guards(table) if pg else _sqlite_guards(table):
                    conn.exec_driver_sql(ddl)

    def close(self) -> None:
        self._engine.dispose()

    # -- access log

    def log(self, reads: Sequence[Access]) -> None:
        """Append one access-log row per read, in one transaction (driver-level executemany:
        a check-batch logs up to a thousand rows per request)."""
        if not reads:
            return
        now = _now_us()
        params: list[Any]
        if self._log_order == list(_LOG_COLUMNS):
            params = [(now, a.role, a.who, a.whom, a.why, a.what) for a in reads]
        else:
            rows = [
                {
                    "at": now,
                    "role": a.role,
                    "who": a.who,
                    "whom": a.whom,
                    "why": a.why,
                    "what": a.what,
                }
                for a in reads
            ]
            if self._log_order is None:
                params = rows
            else:
                params = [tuple(r[c] for c in self._log_order) for r in rows]
        with self._lock, self._engine.begin() as conn:
            conn.exec_driver_sql(self._log_sql, params)

    def reads_of(self, subject: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reads of ``subject``'s file, newest first."""
        t = access_log_table.c
        stmt = select(t.at, t.role, t.who, t.why, t.what).where(t.whom == subject)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(t.seq.desc()).limit(limit)).all()
        return [
            {
                "at": iso(from_micros(r.at)),
                "role": r.role,
                "who": r.who,
                "why": r.why,
                "what": r.what,
            }
            for r in rows
        ]

    # -- objections

    def file(self, objection: dict[str, Any]) -> None:
        row = dict(objection)
        row["at"] = _now_us()
        row["deadlines"] = json.dumps(objection["deadlines"], ensure_ascii=False, sort_keys=True)
        with self._lock, self._engine.begin() as conn:
            conn.execute(insert(objections_table), [row])

    def objection(self, id: str) -> dict[str, Any] | None:
        """The objection ``id`` as filed, with its latest status and history; or ``None``."""
        t = objections_table.c
        with self._engine.connect() as conn:
            rows = conn.execute(select(objections_table).where(t.id == id).order_by(t.seq)).all()
        if not rows:
            return None
        first, last = rows[0], rows[-1]
        return {
            "id": first.id,
            "status": last.status,
            "filed_at": iso(from_micros(first.at)),
            "subject": first.subject,
            "target": {"kind": first.target_kind, "id": first.target},
            "reason": first.reason,
            "filed_by": {"role": first.role, "name": first.filed_by},
            "deadlines": json.loads(first.deadlines),
            "history": [{"at": iso(from_micros(r.at)), "status": r.status} for r in rows],
        }

    def objections_of(self, subject: str) -> list[dict[str, Any]]:
        t = objections_table.c
        with self._engine.connect() as conn:
            ids = list(
                conn.scalars(select(t.id).where(t.subject == subject).group_by(t.id).order_by(t.id))
            )
        return [o for i in ids if (o := self.objection(i)) is not None]
