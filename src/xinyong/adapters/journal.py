"""The service's own append-only tables, beside the records: objections and the access log.

``objection_events``: one row per event of an objection case (filed, review started, decided,
reconsideration requested and decided, closed), numbered per case (``n``: a second writer of
the same event number fails instead of forking the case); the case is the fold of its events
(:mod:`xinyong.core.objection_case`). ``notices``: one row per notice of an adverse change
sent to a subject. ``access_log``: one row per credit-file read or gate check:
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
    UniqueConstraint,
    create_engine,
    event,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import StaticPool

from xinyong.adapters.store import store_url
from xinyong.adapters.store.postgres import pg_url
from xinyong.adapters.store.sql import from_micros, to_micros
from xinyong.core.errors import XinyongError
from xinyong.core.notices import Notice
from xinyong.core.objection_case import CaseEvent
from xinyong.core.timeutil import iso

metadata = MetaData()

objection_events_table = Table(
    "objection_events",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("case_id", Text, nullable=False),
    Column("n", Integer, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("data", Text, nullable=False),
    UniqueConstraint("case_id", "n", name="uq_objection_events_case_n"),
    Index("ix_objection_events_subject", "subject"),
)

notices_table = Table(
    "notices",
    metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("subject", Text, nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("kind", Text, nullable=False),
    Column("body", Text, nullable=False),
    Index("ix_notices_subject", "subject", "seq"),
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

_TABLES = ("objection_events", "notices", "access_log")
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
    """Objection events, notices and the access log in the store's database."""

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

    # -- objection events

    def append_event(self, event: CaseEvent, subject: str, n: int) -> None:
        """Append ``event`` as the ``n``-th of its case (0 = filed); refuses a taken number."""
        row = {
            "case_id": event.case_id,
            "n": n,
            "at": to_micros(event.at),
            "kind": event.kind,
            "actor": event.actor,
            "subject": subject,
            "data": json.dumps(dict(event.data), ensure_ascii=False, sort_keys=True),
        }
        try:
            with self._lock, self._engine.begin() as conn:
                conn.execute(insert(objection_events_table), [row])
        except IntegrityError:
            raise XinyongError(
                f"objection {event.case_id}: event number {n} was recorded by someone else "
                "meanwhile; reload the case and try again"
            ) from None

    def events(self, case_id: str) -> list[CaseEvent]:
        t = objection_events_table.c
        stmt = select(t.case_id, t.at, t.kind, t.actor, t.data).where(t.case_id == case_id)
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(t.n)).all()
        return [
            CaseEvent(r.case_id, r.kind, from_micros(r.at), r.actor, json.loads(r.data))
            for r in rows
        ]

    def case_ids(self, subject: str | None = None) -> list[str]:
        t = objection_events_table.c
        stmt = select(t.case_id).where(t.n == 0)
        if subject is not None:
            stmt = stmt.where(t.subject == subject)
        with self._engine.connect() as conn:
            return list(conn.scalars(stmt.order_by(t.seq)))

    # -- notices

    def add_notices(self, notices: Sequence[Notice]) -> int:
        """Append notices not stored yet (same id = same notice); returns how many were new."""
        if not notices:
            return 0
        t = notices_table.c
        with self._lock, self._engine.begin() as conn:
            have = set(conn.scalars(select(t.id).where(t.id.in_([n.id for n in notices]))))
            rows = []
            for n in notices:
                if n.id in have:
                    continue
                have.add(n.id)
                rows.append(
                    {
                        "id": n.id,
                        "subject": n.subject,
                        "at": to_micros(n.at),
                        "kind": n.kind,
                        "body": json.dumps(n.to_dict(), ensure_ascii=False, sort_keys=True),
                    }
                )
            if rows:
                conn.execute(insert(notices_table), rows)
        return len(rows)

    def notices_of(self, subject: str) -> list[dict[str, Any]]:
        """The notices sent to ``subject``, oldest first."""
        t = notices_table.c
        stmt = select(t.body).where(t.subject == subject).order_by(t.seq)
        with self._engine.connect() as conn:
            return [json.loads(b) for b in conn.scalars(stmt)]
