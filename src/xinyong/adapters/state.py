"""The incremental path: each subject's evaluated state kept current as records arrive.

:class:`LiveState` keeps the state tables (:mod:`xinyong.adapters.store.schema`) beside
the append-only log. After an ingest commits, :meth:`LiveState.catch_up` re-evaluates only the
subjects with records after the high-water mark (``state_mark.seq``) and moves the mark, one
write transaction per chunk of subjects. A crash between the record commit and the state
update leaves the mark behind; the next :meth:`catch_up` (on start-up, at the next ingest or
the next read) repairs it. Re-evaluating a subject is idempotent, so doing it twice is harmless.

Each subject's state holds "as of" the instant it was computed, until its validity horizon
(:func:`xinyong.core.state.horizon`). A read at ``t`` inside that interval is served from the
table; a read past it re-evaluates the subject at ``t`` and stores the new state; a read
before ``as_of`` (the past) is evaluated from the log and not stored. Answers are exactly
those of :func:`~xinyong.core.evaluate.evaluate_subject` and ``check_gate`` at ``t`` with
``known_at = None``, the latest knowledge (``tests/test_incremental_state.py``).

If the schemes or memoranda change (another fingerprint), the whole state is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, delete, func, insert, select, update

from xinyong.adapters.store.schema import (
    RECORD_COLUMNS,
    records_table,
    state_gates,
    state_mark,
    state_schemes,
    state_subjects,
)
from xinyong.core.evaluate import SubjectView, check_gate, evaluate_subject
from xinyong.core.records import Record
from xinyong.core.sanctions import Decision, Memorandum, gates_of
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.state import StoredState, stored_state, view_at
from xinyong.core.timeutil import now
from xinyong.system.ports import Backend, CatchUp, LiveStatePort
from xinyong.system.record_rows import from_micros, record_of, to_micros
from xinyong.system.schemes_io import all_memoranda, all_presets

if TYPE_CHECKING:
    from xinyong.adapters.store.sql import SqlRecordStore

__all__ = ["CHUNK", "CatchUp", "LiveState", "fingerprint", "live_state"]

CHUNK = 500
"""Subjects re-evaluated per write transaction during a catch-up."""


def fingerprint(schemes: Mapping[str, AnyScheme], memoranda: Sequence[Memorandum]) -> str:
    """Identifies the configuration a state was computed with."""
    text = repr((sorted(schemes.items()), list(memoranda)))
    return hashlib.sha256(text.encode()).hexdigest()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


@dataclass
class LiveState:
    """The materialised state of every subject of ``store`` under ``schemes``/``memoranda``
    (:class:`~xinyong.system.ports.LiveStatePort`; made by ``store.live_state()``)."""

    store: SqlRecordStore
    schemes: dict[str, AnyScheme] = field(default_factory=all_presets)
    memoranda: Sequence[Memorandum] = field(default_factory=all_memoranda)
    clock: Callable[[], datetime] = now

    @cached_property
    def _print(self) -> str:
        """The configuration's fingerprint, computed when first needed (about a millisecond:
        a store that keeps no state never pays it)."""
        return fingerprint(self.schemes, self.memoranda)

    # -- the mark

    def enabled(self) -> bool:
        """Whether this store keeps a state (a mark exists: :meth:`catch_up` was run once)."""
        with self.store.reading() as conn:
            return conn.scalar(select(state_mark.c.seq)) is not None

    def mark(self) -> int:
        """The high-water mark: records up to this position are reflected (0: none)."""
        with self.store.reading() as conn:
            return int(conn.scalar(select(state_mark.c.seq)) or 0)

    def behind(self) -> bool:
        """Whether records were appended after the mark, or the configuration changed."""
        with self.store.reading() as conn:
            row = conn.execute(select(state_mark.c.seq, state_mark.c.fingerprint)).first()
            top = int(conn.scalar(select(func.max(records_table.c.seq))) or 0)
        return row is None or row[1] != self._print or top > row[0]

    def catch_up(self) -> CatchUp:
        """Re-evaluate the subjects with records after the mark (all subjects when the
        configuration changed or there is no state yet) at ``clock()``; move the mark."""
        with self.store.writing() as conn:
            self._lock(conn)
            row = conn.execute(select(state_mark.c.seq, state_mark.c.fingerprint)).first()
            top = int(conn.scalar(select(func.max(records_table.c.seq))) or 0)
            rebuilt = row is None or row[1] != self._print
            start = 0 if rebuilt or row is None else int(row[0])
            if rebuilt:
                for table in (state_gates, state_schemes, state_subjects):
                    conn.execute(delete(table))
                if row is None:
                    conn.execute(insert(state_mark).values(id=1, seq=0, fingerprint=self._print))
                else:
                    conn.execute(update(state_mark).values(seq=0, fingerprint=self._print))
            if top <= start:
                return CatchUp(start, start, 0, rebuilt)
            t = records_table.c
            subjects = list(
                conn.scalars(
                    select(t.subject)
                    .distinct()
                    .where(t.seq > start, t.seq <= top)
                    .order_by(t.subject)
                )
            )
            if len(subjects) <= CHUNK:  # the usual case after an ingest: one transaction
                self._refresh(conn, subjects, top)
                conn.execute(update(state_mark).values(seq=top))
                return CatchUp(start, top, len(subjects), rebuilt)
        for i in range(0, len(subjects), CHUNK):
            with self.store.writing() as conn:
                self._lock(conn)
                self._refresh(conn, subjects[i : i + CHUNK], top)
        with self.store.writing() as conn:
            self._lock(conn)
            conn.execute(
                update(state_mark)
                .where(state_mark.c.seq < top, state_mark.c.fingerprint == self._print)
                .values(seq=top)
            )
        return CatchUp(start, top, len(subjects), rebuilt)

    def _lock(self, conn: Connection) -> None:
        if self.store.dialect == "postgresql":  # one state writer at a time across processes
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(4711002)")

    def _refresh(self, conn: Connection, subjects: Sequence[str], top: int) -> None:
        """Re-evaluate ``subjects`` from their records up to ``top`` and replace their state
        (a subject whose stored state already includes later records is left alone)."""
        t = records_table.c
        have = dict(
            conn.execute(
                select(state_subjects.c.subject, state_subjects.c.seq).where(
                    state_subjects.c.subject.in_(subjects)
                )
            ).all()
        )
        files: dict[str, list[Record]] = {s: [] for s in subjects}
        last: dict[str, int] = dict.fromkeys(subjects, 0)
        stmt = (
            select(t.seq, *RECORD_COLUMNS)
            .where(t.subject.in_(subjects), t.seq <= top)
            .order_by(t.seq)
        )
        for row in conn.execute(stmt):
            r = record_of(row[1:])
            files[r.subject].append(r)
            last[r.subject] = row[0]
        at = self.clock()
        states = [
            (stored_state(self.schemes, self.memoranda, s, files[s], at), last[s])
            for s in subjects
            if have.get(s, -1) <= last[s]
        ]
        self._write(conn, states)

    def _write(self, conn: Connection, states: Sequence[tuple[StoredState, int]]) -> None:
        if not states:
            return
        names = [s.subject for s, _ in states]
        for table in (state_gates, state_schemes, state_subjects):
            conn.execute(delete(table).where(table.c.subject.in_(names)))
        conn.execute(
            insert(state_subjects),
            [
                {
                    "subject": s.subject,
                    "as_of": to_micros(s.as_of),
                    "valid_until": None if s.valid_until is None else to_micros(s.valid_until),
                    "seq": seq,
                    "refused": _dumps(s.refused),
                }
                for s, seq in states
            ],
        )
        schemes = [
            {
                "subject": s.subject,
                "scheme": name,
                "score": d["score"],
                "grade": d["grade"],
                "result": _dumps(d),
                "entries": _dumps(s.entries.get(name, [])),
            }
            for s, _ in states
            for name, d in s.scores.items()
        ]
        if schemes:
            conn.execute(insert(state_schemes), schemes)
        gates = [
            {"subject": s.subject, "gate": g, "decision": d["decision"], "answer": _dumps(d)}
            for s, _ in states
            for g, d in s.gates.items()
        ]
        if gates:
            conn.execute(insert(state_gates), gates)

    # -- reads

    def stored(self, subject: str) -> StoredState | None:
        """The state stored for ``subject`` (``None``: no records, or not evaluated yet)."""
        code = subject.strip().upper()
        with self.store.reading() as conn:
            return self._stored(conn, code)

    def _stored(self, conn: Connection, subject: str) -> StoredState | None:
        c = state_subjects.c
        head = conn.execute(
            select(c.as_of, c.valid_until, c.refused).where(c.subject == subject)
        ).first()
        if head is None:
            return None
        s = state_schemes.c
        scores: dict[str, dict[str, Any]] = {}
        entries: dict[str, list[dict[str, Any]]] = {}
        for name, result, listed in conn.execute(
            select(s.scheme, s.result, s.entries).where(s.subject == subject)
        ):
            scores[name] = json.loads(result)
            entries[name] = json.loads(listed)
        order = [n for n in self.schemes if n in scores]  # the engine's order of schemes
        g = state_gates.c
        gates = {
            gate: json.loads(answer)
            for gate, answer in conn.execute(select(g.gate, g.answer).where(g.subject == subject))
        }
        return StoredState(
            subject,
            from_micros(head[0]),
            None if head[1] is None else from_micros(head[1]),
            {n: scores[n] for n in order},
            entries,
            json.loads(head[2]),
            gates,
        )

    def view(self, subject: str, at: datetime | None = None) -> SubjectView:
        """The subject at ``at`` (default ``clock()``) as known then, from the state when it
        covers ``at``, else re-evaluated (and stored, when ``at`` is after the state)."""
        code = subject.strip().upper()
        at = self.clock() if at is None else at
        if self.behind():
            self.catch_up()
        state = self.stored(code)
        if state is not None and state.covers(at):
            return view_at(state, at)
        records = self.store.records_for(code)
        if state is None or at < state.as_of:
            return evaluate_subject(self.schemes, code, records, at)
        return view_at(self.refresh(code, at), at)

    def refresh(self, subject: str, at: datetime) -> StoredState:
        """Re-evaluate ``subject`` at ``at`` and store it (the validity horizon passed)."""
        code = subject.strip().upper()
        with self.store.writing() as conn:
            self._lock(conn)
            t = records_table.c
            rows = conn.execute(
                select(t.seq, *RECORD_COLUMNS).where(t.subject == code).order_by(t.seq)
            ).all()
            records = [record_of(row[1:]) for row in rows]
            state = stored_state(self.schemes, self.memoranda, code, records, at)
            self._write(conn, [(state, rows[-1][0] if rows else 0)])
        return state

    def check(self, gate: str, subject: str, at: datetime | None = None) -> Decision:
        """The gate's answer, as ``check_gate`` over ``evaluate_subject``."""
        return check_gate(self.memoranda, self.view(subject, at), gate)

    def gates(self) -> dict[str, str]:
        return gates_of(self.memoranda)


def live_state(
    store: Backend,
    schemes: dict[str, AnyScheme] | None = None,
    memoranda: Sequence[Memorandum] | None = None,
) -> LiveStatePort | None:
    """The store's live state if it keeps one (``xinyong state`` was run once), else None;
    under ``schemes``/``memoranda`` when given (default: the presets and memoranda)."""
    live = store.live_state(schemes, memoranda)
    return live if live.enabled() else None
