"""The persistence ports beside the record store: what the use cases and drivers may ask of a
backend, as Protocols that both backends (SQLite and PostgreSQL) implement.

- :class:`LedgerPort`: verify the hash chain and checkpoints, sign a checkpoint, prove that a
  record is included in a signed checkpoint;
- :class:`LiveStatePort`: the materialised state (scores, lists, gate answers per subject)
  kept current as records arrive;
- :class:`JournalPort`: the service's own append-only tables: objection events, notices and
  their progress mark, the access log;
- :class:`GateReads`: the fast reads of the gate checks (many subjects' rows in one query,
  the subjects with a record in some categories);
- :class:`Backend`: a record store that also hands out the ports above, on its own database
  connection and writer lock. ``open_store`` returns one.

Contract tests: ``tests/ports_contract.py``, run on SQLite and PostgreSQL. The core only: no
adapter is imported here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from xinyong.core.evaluate import SubjectView
from xinyong.core.ledger.audit import Audit
from xinyong.core.ledger.checkpoint import Checkpoint
from xinyong.core.notices import Notice
from xinyong.core.objection_case import CaseEvent
from xinyong.core.sanctions import Decision, Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.state import StoredState
from xinyong.system.record_store import RecordStore

DEFAULT_EVERY = 10_000
"""Records a checkpoint covers at most, unless ``XINYONG_LEDGER_EVERY`` says otherwise."""

Row = tuple[Any, ...]
"""A record as stored (:mod:`xinyong.system.record_rows`)."""


@dataclass(frozen=True, slots=True)
class Signer:
    """The key that signs checkpoints, and how many records a checkpoint covers at most."""

    key: Ed25519PrivateKey
    every: int = DEFAULT_EVERY
    anchor: str | None = None
    """An append-only file outside the store that every checkpoint signed is also written
    to (one JSON object a line), once its transaction has committed: deleting checkpoint
    rows from the store then shows against it (``xinyong ledger verify --anchor FILE``)."""


class LedgerPort(Protocol):
    """The store's ledger: hash chain, signed checkpoints, inclusion proofs."""

    def size(self) -> int:
        """How many steps a verify reports progress over (entries or records, the more)."""
        ...

    def verify(
        self,
        *,
        trusted: frozenset[str] | None = None,
        anchors: Sequence[Checkpoint] = (),
        progress: Callable[[int], None] | None = None,
        every: int | None = None,
    ) -> Audit:
        """Recompute the whole ledger from the records, in one read transaction."""
        ...

    def checkpoint(self, signer: Signer) -> Checkpoint | None:
        """Sign a checkpoint at the ledger's tail now; ``None`` if the newest covers it."""
        ...

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest checkpoint, if any."""
        ...

    def prove(self, record_id: str) -> dict[str, Any]:
        """An inclusion proof of the record in the signed checkpoint covering it; raises
        ``XinyongError`` if it is not stored or no checkpoint covers it yet."""
        ...


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What one :meth:`LiveStatePort.catch_up` did."""

    from_seq: int
    to_seq: int
    subjects: int
    rebuilt: bool = False


class LiveStatePort(Protocol):
    """Each subject's evaluated state, kept beside the log; answers equal the pure path's."""

    schemes: dict[str, AnyScheme]
    memoranda: Sequence[Memorandum]

    def enabled(self) -> bool:
        """Whether the store keeps a state (:meth:`catch_up` was run once)."""
        ...

    def mark(self) -> int:
        """The high-water mark: records up to this position are reflected (0: none)."""
        ...

    def behind(self) -> bool:
        """Whether records were appended after the mark, or the configuration changed."""
        ...

    def catch_up(self) -> CatchUp:
        """Re-evaluate the subjects with records after the mark; move the mark."""
        ...

    def stored(self, subject: str) -> StoredState | None:
        """The state stored for ``subject`` (``None``: no records, or not evaluated yet)."""
        ...

    def view(self, subject: str, at: datetime | None = None) -> SubjectView:
        """The subject at ``at`` as known then (``evaluate_subject`` with ``known_at = at``)."""
        ...

    def refresh(self, subject: str, at: datetime) -> StoredState:
        """Re-evaluate ``subject`` at ``at`` and store it."""
        ...

    def check(self, gate: str, subject: str, at: datetime | None = None) -> Decision:
        """The gate's answer, as ``check_gate`` over ``evaluate_subject``."""
        ...

    def gates(self) -> dict[str, str]: ...


@dataclass(frozen=True, slots=True)
class Access:
    """One read of a credit file to log: who (role, name), whom, why, what."""

    role: str
    who: str
    whom: str
    why: str
    what: str


class JournalPort(Protocol):
    """Objection events, notices and the access log: append-only, beside the records."""

    def log(self, reads: Sequence[Access]) -> None:
        """Append one access-log row per read, in one transaction."""
        ...

    def log_reads(self, role: str, who: str, whom: Sequence[str], why: str, what: str) -> None:
        """:meth:`log` of one read of each of ``whom`` by the same caller for one reason."""
        ...

    def reads_of(self, subject: str, limit: int = 100) -> list[dict[str, Any]]:
        """The latest reads of ``subject``'s file, newest first (never behind the log)."""
        ...

    def append_event(self, event: CaseEvent, subject: str, n: int) -> None:
        """Append ``event`` as the ``n``-th of its case (0 = filed); a taken number raises
        ``XinyongError``."""
        ...

    def events(self, case_id: str) -> list[CaseEvent]:
        """The case's events in order."""
        ...

    def case_ids(self, subject: str | None = None) -> list[str]:
        """Cases (of ``subject``, or all) in the order they were filed."""
        ...

    def public_filing(self, filing: Sequence[str]) -> tuple[bool, str | None]:
        """Whether a public objection ``filing`` (China day, client address, subject, target
        kind, target) was received before, and the case it was filed as (``None``: none)."""
        ...

    def add_receipt(self, digest: str, filing: Sequence[str], case_id: str | None) -> None:
        """Keep the digest of a receipt handed out for ``filing``, and its case."""
        ...

    def receipt_case(self, digest: str) -> str | None:
        """The case the receipt with this digest was given for (``None``: none or unknown)."""
        ...

    def notice_mark(self) -> int | None:
        """The last record-log position whose notices are stored (``None``: never marked)."""
        ...

    def add_notices(
        self, notices: Sequence[Notice], *, mark: tuple[int | None, int] | None = None
    ) -> int:
        """Append the notices not stored yet; return how many were new. With ``mark=(start,
        upto)`` the mark moves with them, only if it is still ``start`` (else -1)."""
        ...

    def notices_of(self, subject: str) -> list[dict[str, Any]]:
        """The notices sent to ``subject``, oldest first."""
        ...

    def close(self) -> None:
        """Stop background work; the store's connections stay open."""
        ...


class GateReads(Protocol):
    """The gate checks' fast reads."""

    def rows_for_many(
        self, subjects: Sequence[str], categories: Collection[str] | None = None
    ) -> dict[str, list[Row]]:
        """As ``records_for_many``, but rows (:mod:`xinyong.system.record_rows`)."""
        ...

    def subjects_with(self, categories: Collection[str]) -> set[str]:
        """Every subject with at least one record (any status) in ``categories``. The set
        returned may be shared: read it, do not change it."""
        ...


class Backend(RecordStore, GateReads, Protocol):
    """A record store with its ledger, live state and journal, all on one database."""

    def ledger(self) -> LedgerPort: ...

    def live_state(
        self,
        schemes: dict[str, AnyScheme] | None = None,
        memoranda: Sequence[Memorandum] | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> LiveStatePort:
        """The live state under ``schemes``/``memoranda`` (default: the presets and their
        memoranda); check :meth:`LiveStatePort.enabled` before relying on it."""
        ...

    def journal(self) -> JournalPort:
        """The journal (one per store, on the store's connections and writer lock; closed
        with the store)."""
        ...
