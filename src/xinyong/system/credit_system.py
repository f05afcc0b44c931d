"""The application: one :class:`CreditSystem` that every entry point uses.

It holds the store, the engine, the objection desk and the admission path as the composition
root (:func:`xinyong.open_system`) wired them, and offers the use cases: ingest, score, lists,
check, objections, repair, notices, ledger verification. Drivers (CLI, HTTP, NATS) parse
their input, call one of these, and render the answer.

>>> import xinyong
>>> with xinyong.open_system(xinyong.Settings(db=":memory:")) as system:
...     system.check("air.ticket", "11010519491231002X", at="2026-01-01").decision
'allow'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from xinyong.core.evaluate import SubjectView
from xinyong.core.ledger.audit import Audit
from xinyong.core.ledger.checkpoint import Checkpoint
from xinyong.core.lists import ListEntry
from xinyong.core.notices import Notice
from xinyong.core.records import Record
from xinyong.core.repair import RepairDecision, RepairRequest
from xinyong.core.roles import ROLE_CATEGORY
from xinyong.core.sanctions import Decision
from xinyong.core.scoring.result import ScoreResult
from xinyong.core.timeutil import now, parse_instant
from xinyong.system.admission import Admission, Admitted, AfterCommit
from xinyong.system.engine import Engine
from xinyong.system.gate_plan import plan_for
from xinyong.system.objection_desk import Desk
from xinyong.system.ports import Backend, LedgerPort
from xinyong.system.principals import KeyRing, Principal
from xinyong.system.reading import Parsed, parse_file, parse_jsonl
from xinyong.system.repairs import repair as decide_and_record
from xinyong.system.schemes_io import load_scheme
from xinyong.system.settings import Settings

ONE_QUERY = 16
"""Up to this many subjects, one query fetches their records in the gate's categories; above,
the subjects with any such record are looked up first (kept by the store) and only theirs
are fetched."""

Moment = datetime | str | None
"""An instant, an ISO date or date-time (UTC when no offset), or ``None`` for now."""

Source = Path | bytes | Iterable[Record]
"""What :meth:`CreditSystem.ingest` takes: a JSONL/CSV file, a JSONL body, or records."""


def known(value: Moment) -> datetime | None:
    """A ``known_at`` moment: ``None`` stays ``None``, the latest knowledge (everything the
    store holds), never the moment asked about."""
    return None if value is None else moment(value)


def moment(value: Moment, default: datetime | None = None) -> datetime:
    if value is None:
        return default if default is not None else now()
    if isinstance(value, datetime):
        return value
    return parse_instant(value)


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What :meth:`CreditSystem.ingest` did."""

    rows: int
    inserted: int
    duplicates: int
    elapsed: float
    admitted: Admitted = field(repr=False, compare=False)
    """The committed batch (its rows, ids and what became of each)."""
    notices: list[Notice]
    """The notices sent after the commit (empty unless asked for)."""
    live_subjects: int | None = None
    """Subjects the live state re-evaluated (``None``: the store keeps no live state)."""

    @property
    def rate(self) -> float:
        return self.rows / self.elapsed if self.elapsed > 0 else float("inf")

    @property
    def results(self) -> list[dict[str, Any]]:
        """Per row: ``{"row", "id", "result": "inserted" | "duplicate"}`` (made when asked:
        a million rows make a million of them)."""
        done = self.admitted
        return [
            {"row": row, "id": rid, "result": "inserted" if new else "duplicate"}
            for row, rid, new in zip(done.rows, done.ids, done.result.fresh, strict=True)
        ]


@dataclass
class CreditSystem:
    """The use cases over one wired system. Open one with :func:`xinyong.open_system`; close
    it (or use it as a context manager) when done."""

    settings: Settings
    store: Backend
    """The record store, and through it the ledger, live state and journal ports."""
    engine: Engine
    desk: Desk
    admission: Admission
    keys: KeyRing
    closers: list[Callable[[], None]] = field(default_factory=list)

    # -- life

    def __enter__(self) -> CreditSystem:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the journal and the store (in that order); safe to call twice."""
        while self.closers:
            self.closers.pop()()

    # -- admission

    def read(self, source: Source, *, name: str | None = None) -> Parsed:
        """Parse ``source`` into a batch (row errors kept, nothing written)."""
        m = self.admission.max_errors
        if isinstance(source, Path):
            return parse_file(source, m)
        if isinstance(source, bytes | bytearray):
            return parse_jsonl(bytes(source), name or "body", m)
        return Parsed.of_records(source, name or "records")

    def principal(self, by: Principal | str | None) -> Principal | None:
        """``by`` as a principal: a key's name looks the key up (an unknown name raises)."""
        if by is None or isinstance(by, Principal):
            return by
        return self.keys.named(by)

    def admit(
        self,
        source: Source | Parsed,
        *,
        by: Principal | str | None = None,
        name: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> Admitted:
        """Parse (unless parsed), authorise, check and append ``source``, all or nothing;
        nothing after the commit (see :meth:`after_ingest`). A file or a JSONL body goes by
        the columnar path (:meth:`Admission.admit_columns`) unless it cannot; ``name``
        names a body in errors (default ``body``); ``progress(n)`` is told of each chunk of
        ``n`` records the store has taken on the columnar path (not yet committed)."""
        who = self.principal(by)
        if isinstance(source, Path | bytes | bytearray):  # columnar, unless it cannot
            raw = source if isinstance(source, Path) else bytes(source)
            done = self.admission.admit_columns(raw, who, progress=progress)
            if done is not None:
                return done
        batch = source if isinstance(source, Parsed) else self.read(source, name=name)
        return self.admission.admit(batch, who)

    def after_ingest(self, *, notices: bool) -> AfterCommit:
        """After a commit: the live state caught up, and the notices if ``notices``."""
        return self.admission.after_commit(notices)

    def ingest(
        self,
        source: Source | Parsed,
        *,
        by: Principal | str | None = None,
        notices: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> IngestResult:
        """Ingest a file, a JSONL body or records as one batch, all or nothing, as sent by
        ``by`` (a principal or a key's name; ``None``: the operator). Raises
        :class:`~xinyong.system.reading.IngestFailed` with every row error otherwise.
        After the commit the live state is caught up and, if ``notices``, the notices of
        adverse changes are sent (from this batch on, even when no notices were sent before).
        ``progress``: see :meth:`admit`."""
        if notices:
            self.desk.start_notices()
        done = self.admit(source, by=by, progress=progress)
        sent = self.after_ingest(notices=notices)
        return IngestResult(
            len(done.rows),
            done.result.inserted,
            done.result.duplicates,
            done.elapsed,
            done,
            sent.notices,
            sent.live_subjects,
        )

    # -- reading

    def view(self, subject: str, at: Moment = None, known_at: Moment = None) -> SubjectView:
        """Every scheme's score and list entries for ``subject`` at ``at``, with what the store
        held at ``known_at`` (accepted by then on the store's clock; ``None``: the latest)."""
        return self.engine.view(subject, moment(at), known(known_at))

    def score(
        self, subject: str, scheme: str, at: Moment = None, known_at: Moment = None
    ) -> tuple[ScoreResult, list[ListEntry]]:
        """``subject``'s score under ``scheme`` (a name or a ``.toml`` path), explained, and
        its entries on the scheme's lists."""
        return self.engine.score(subject, load_scheme(scheme), moment(at), known(known_at))

    def lists(self, subject: str, at: Moment = None, known_at: Moment = None) -> list[ListEntry]:
        """``subject``'s list entries (in force or not) under every scheme in force."""
        return list(self.view(subject, at, known_at).entries)

    def check(
        self, gate: str, subject: str, at: Moment = None, known_at: Moment = None
    ) -> Decision:
        """A gate's answer for ``subject``: allow, deny or benefit, with what and why."""
        return self.engine.check(gate, subject, moment(at), known(known_at))

    def check_many(
        self, gate: str, subjects: Sequence[str], at: Moment = None
    ) -> list[dict[str, Any]]:
        """The gate's answers (as dictionaries) for many subjects at once: every subject's
        rows fetched in one query and only what the gate can see evaluated
        (:mod:`~xinyong.system.gate_plan`; equal to :meth:`check` for each)."""
        when = moment(at)
        plan = plan_for(self.engine.schemes, self.engine.memoranda, gate)
        rows = self.store.rows_for_many
        if plan.categories is not None and len(subjects) > ONE_QUERY:
            relevant = self.store.subjects_with(plan.categories)
            wanted = [s for s in subjects if s in relevant]
            out = plan.decide_rows(subjects, rows(wanted) if wanted else {}, when)
        else:
            out = plan.decide_rows(subjects, rows(subjects, plan.categories), when)
        return self._with_roles(gate, subjects, when, out)

    def _with_roles(
        self, gate: str, subjects: Sequence[str], when: datetime, out: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Subjects with a role record (a legal representative, ...) at a gate whose
        memorandum binds roles are answered by the engine, which reads the unit's file too
        (the plan reads each subject's own records only). One query finds them; most
        subjects have none."""
        memoranda = self.engine.memoranda
        if not any(m.binds_roles is not None and gate in m.gates for m in memoranda):
            return out
        holders = self.store.subjects_with({ROLE_CATEGORY})
        for i, s in enumerate(subjects):
            if s in holders and out[i]["decision"] != "deny":
                out[i] = self.engine.check(gate, s, when).to_dict()
        return out

    def gates(self) -> dict[str, str]:
        return self.engine.gates()

    @property
    def objections(self) -> Desk:
        """The objection desk: file, review, decide, reconsider, withdraw, list, notices."""
        return self.desk

    def notices(self, subject: str) -> list[dict[str, Any]]:
        return self.desk.notices_of(subject)

    def repair(
        self, request: RepairRequest, at: Moment = None, *, record: bool = True
    ) -> tuple[RepairDecision, Record | None]:
        """Decide a credit-repair request; append the repair record if granted and
        ``record``."""
        decision, rec = decide_and_record(self.store, request, moment(at), record=record)
        if rec is not None and record:
            self.after_ingest(notices=False)
        return decision, rec

    def verify_ledger(
        self,
        *,
        trusted: frozenset[str] | None = None,
        anchors: Sequence[Checkpoint] = (),
        progress: Callable[[int], None] | None = None,
    ) -> Audit:
        """Recompute the store's ledger and say where it is first wrong (``xinyong ledger
        verify``). With ``trusted`` keys, the signing interval of the settings applies: a
        run of records that long with no signed checkpoint means checkpoints were deleted."""
        every = self.settings.ledger_every if trusted else None
        return self.store.ledger().verify(
            trusted=trusted, anchors=anchors, progress=progress, every=every
        )

    @property
    def ledger(self) -> LedgerPort:
        """The store's ledger: checkpoints, inclusion proofs, verification."""
        return self.store.ledger()

    def build_live_state(self) -> Any:
        """Build or bring up to date the store's live state (scores, lists and gate answers
        per subject); from then on every ingest updates it and gate checks read it."""
        return self.store.live_state(self.engine.schemes, self.engine.memoranda).catch_up()

    def records(self, subject: str) -> Sequence[Record]:
        """``subject``'s credit file as stored."""
        return self.store.records_for(subject)
