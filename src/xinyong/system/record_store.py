"""The record store port: what every backend (SQLite, later PostgreSQL) must do, and the rules
every backend applies the same way.

The store is **append-only**: records are inserted and selected, never updated or deleted. A
record sent again with the same id and the same content is a no-op (counted as a duplicate);
the same id with different content is a :class:`~xinyong.core.errors.RecordConflict`, never an
overwrite. A correction, revocation or expiry must refer to an ``active`` record of the same
subject; an ``active`` record may link (``refers_to``) to any record of the same subject.

A batch passed to :meth:`RecordStore.append` is atomic (one transaction, all or nothing) and
is treated as a set: a record may refer to another record of the same batch wherever it sits
in the batch, so the order of records inside a batch never changes the outcome.

:func:`plan_append` holds those cross-record rules as a pure function so that every backend
and the ingest dry run (:meth:`RecordStore.check`) agree; a backend only supplies the
:class:`Known` facts about stored ids.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple, Protocol

import polars as pl

from xinyong.core.record_content import reference_problem_of
from xinyong.core.records import FIELDS, Record, Status
from xinyong.core.timeutil import iso

#: Columns :meth:`RecordStore.frame` can return, with their Polars types. The record fields come
#: first (the default selection); ``seq`` is the append position.
FRAME_SCHEMA: dict[str, pl.DataType] = {
    "id": pl.String(),
    "subject": pl.String(),
    "category": pl.Categorical(),
    "occurred_at": pl.Datetime("us", "UTC"),
    "recorded_at": pl.Datetime("us", "UTC"),
    "source": pl.Categorical(),
    "legal_basis": pl.String(),
    "evidence": pl.String(),
    "amount": pl.Float64(),
    "severity": pl.String(),
    "status": pl.Categorical(),
    "refers_to": pl.String(),
    "details": pl.String(),  # canonical JSON text of the details object
    "seq": pl.Int64(),
    "content_hash": pl.String(),
    "ingested_at": pl.Datetime("us", "UTC"),
}
DEFAULT_FRAME_COLUMNS: tuple[str, ...] = (*FIELDS, "ingested_at")
"""The record fields and the instant the store accepted each record (its clock), which the
batch and Spark paths cut ``known_at`` on."""


@dataclass(frozen=True, slots=True)
class AppendResult:
    """What one :meth:`RecordStore.append` did: rows written, and no-op re-sends skipped."""

    inserted: int
    duplicates: int
    fresh: tuple[bool, ...] = field(default=(), compare=False, repr=False)
    """Per batch position: whether that record was inserted (False: a duplicate); not part
    of equality, so results compare by their counts."""


class RecordStore(Protocol):
    """An append-only credit-file store (the port). Implementations: ``SqlRecordStore``."""

    def append(self, records: Sequence[Record], *, writer: str | None = None) -> AppendResult:
        """Insert ``records`` in one transaction, all or nothing, stamped with ``writer``
        (the principal that wrote them, ``role:name``), which the ledger covers.

        Raises ``RecordConflict`` (same id, different content; a stored record is named by
        its id only) or ``InvalidRecord`` (field ``refers_to``: a broken reference),
        and then writes nothing.
        """
        ...

    def check(
        self,
        records: Sequence[Record],
        *,
        limit: int = 50,
        where: Callable[[int], str] | None = None,
    ) -> list[Problem]:
        """Dry run of :meth:`append`: up to ``limit`` problems it would raise; writes nothing.

        ``where(i)`` names batch position ``i`` in messages (e.g. ``"row 12"``).
        """
        ...

    def get(self, id: str) -> Record | None:
        """The record stored under ``id``, or ``None``."""
        ...

    def appended_after(self, seq: int) -> tuple[int, list[Record]]:
        """The log's last position and the records appended after position ``seq``."""
        ...

    def records_for(self, subject: str) -> list[Record]:
        """Every record of ``subject`` (case-insensitive code), in append order."""
        ...

    def records_for_many(
        self, subjects: Sequence[str], categories: Collection[str] | None = None
    ) -> dict[str, list[Record]]:
        """Records of many subjects (codes as stored) in one query: code -> records in append
        order; subjects without records are left out. With ``categories``, only subjects
        having a record in one of them (all their records)."""
        ...

    def subjects(self) -> list[str]:
        """Every subject with at least one record, sorted."""
        ...

    def count(self) -> int:
        """How many records are stored."""
        ...

    def scan(self, batch_size: int = 10_000) -> Iterator[list[Record]]:
        """Every record stored when the scan starts, in append order, ``batch_size`` at a time."""
        ...

    def frame(self, columns: Sequence[str] | None = None) -> pl.DataFrame:
        """All records as columns (types in :data:`FRAME_SCHEMA`), in append order."""
        ...

    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
        ...


# --- the rules shared by every backend -------------------------------------------------------


class Known(NamedTuple):
    """What the cross-record rules need to know about a record already stored.

    (A named tuple: backends build one per looked-up id, so it must be cheap.)
    """

    subject: str
    status: Status
    content_hash: str


@dataclass(frozen=True, slots=True)
class Problem:
    """Why the record at ``index`` of a batch cannot be appended.

    ``conflict`` is true for "same id, different content"; ``missing`` names a referred id
    that is neither stored nor in the batch (so a caller can tell follow-on errors apart).
    """

    index: int
    field: str
    reason: str
    conflict: bool = False
    missing: str | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    """The outcome of :func:`plan_append`: positions to insert, duplicates, problems."""

    new: list[int]
    duplicates: int
    problems: list[Problem]


def wanted_ids(records: Sequence[Record]) -> set[str]:
    """Ids a backend must look up for :func:`plan_append`: the batch's ids and references."""
    out = {r.id for r in records}
    out.update(r.refers_to for r in records if r.refers_to is not None)
    return out


def plan_append(
    records: Sequence[Record],
    hashes: Sequence[str],
    known: Mapping[str, Known],
    *,
    where: Callable[[int], str] | None = None,
    limit: int = 1,
) -> Plan:
    """Decide what appending ``records`` does, given the ``known`` facts about stored ids.

    ``hashes[i]`` is the content hash of ``records[i]``; ``where`` names a batch position in
    messages.
    Stops after ``limit`` problems.
    """
    name = where or (lambda i: f"batch position {i + 1}")
    first: dict[str, int] = {}
    new: list[int] = []
    duplicates = 0
    problems: list[Problem] = []
    for i, r in enumerate(records):
        rid = r.id
        k = known.get(rid)
        j = first.get(rid)
        if k is not None:
            if k.content_hash == hashes[i]:
                duplicates += 1
                continue
            # the stored record may be another agency's: name the id, not its content
            problems.append(
                Problem(i, "id", _conflict(r, None, f"id {rid!r} is already stored"), True)
            )
        elif j is not None:
            if hashes[j] == hashes[i]:
                duplicates += 1
                continue
            problems.append(
                Problem(i, "id", _conflict(r, records[j], f"id {rid!r} is also at {name(j)}"), True)
            )
        else:
            first[rid] = i
            new.append(i)
            continue
        if len(problems) >= limit:
            return Plan(new, duplicates, problems)
    for i in new:
        r = records[i]
        if r.refers_to is None:
            continue
        problem = _reference_problem(i, r, records, first, known)
        if problem is not None:
            problems.append(problem)
            if len(problems) >= limit:
                break
    return Plan(new, duplicates, problems)


def _conflict(record: Record, other: Record | None, where: str) -> str:
    if other is None:
        differ = "content"
    else:
        a, b = record.to_dict(), other.to_dict()
        differ = "fields " + ", ".join(k for k in a if a[k] != b[k])
    return (
        f"{where} with different content ({differ} differ); records are never overwritten: "
        "give this record a new id, or to change a stored record append a 'correction' whose "
        "refers_to names it"
    )


def _reference_problem(
    i: int,
    r: Record,
    records: Sequence[Record],
    first: Mapping[str, int],
    known: Mapping[str, Known],
) -> Problem | None:
    ref = r.refers_to
    assert ref is not None
    j = first.get(ref)
    referent: tuple[str, Status | str, str | None] | None = None
    if j is not None:
        referent = (records[j].subject, records[j].status, records[j].category)
    elif (k := known.get(ref)) is not None:
        # the referred category, for stores that keep it (see docs/records.md)
        referent = (k.subject, k.status, getattr(k, "category", None))
    why = reference_issue(r.id, r.subject, r.status.value, r.category, ref, referent)
    if why is None:
        return None
    return Problem(i, "refers_to", why, missing=ref if referent is None else None)


def reference_issue(
    rid: str,
    subject: str,
    status: str,
    category: str,
    ref: str,
    referent: tuple[str, Status | str, str | None] | None,
) -> str | None:
    """Why record ``rid`` (``subject``, ``status``, ``category``) may not refer to ``ref``,
    given the referent's (subject, status, category if judged) or ``None`` when it is
    neither stored nor in the batch; ``None`` when it may."""
    what = f"record {rid!r} ({status})"
    if referent is None:
        need = "an active record" if status != "active" else "a record"
        return (
            f"{what} refers to {ref!r}, which is neither stored nor in this batch; "
            f"refers_to must name {need} of subject {subject}"
        )
    other, other_status, referred_category = referent
    if other != subject:
        return (
            f"{what} of subject {subject} refers to {ref!r}, which belongs to subject "
            f"{other}; a record can only refer to a record of the same subject"
        )
    if status != "active" and other_status != "active":
        return (
            f"{what} refers to {ref!r}, which is itself a {Status(other_status).value}; a "
            f"{status} must refer to the original active record"
        )
    why = (
        reference_problem_of(status, category, referred_category)
        if referred_category is not None
        else None
    )
    return None if why is None else f"{what}: {why}"


# --- canonical encoding (shared by backends, hot path) ---------------------------------------

_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode
_text = json.encoder.encode_basestring  # what the encoder above uses for str (C version)
_INF = float("inf")


def details_json(details: Mapping[str, object]) -> str:
    """Canonical JSON text of a details object (sorted keys, compact, UTF-8)."""
    if not details:
        return "{}"
    return _encode(details if type(details) is dict else dict(details))


def _iso(t: datetime) -> str:
    if t.tzinfo is UTC:
        return t.isoformat()[:-6] + "Z"
    return iso(t)


def canonical(
    record: Record, occurred: str | None = None, recorded: str | None = None
) -> tuple[str, str]:
    """``(details_json, content_hash)`` of ``record``, fast.

    ``occurred``/``recorded``: the record's times as canonical text when the caller has them
    already. Byte for byte what :meth:`Record.content_hash` hashes (a property test holds it
    to that);
    unusual values (a non-finite or non-float amount, a non-text field) take the slow path.
    """
    r = record
    dj = details_json(r.details)
    a = r.amount
    try:
        if occurred is None:
            occurred = _iso(r.occurred_at)
        if recorded is None:
            recorded = _iso(r.recorded_at)
        if a is None:
            amount = "null"
        elif type(a) is float and a == a and a not in (_INF, -_INF):
            amount = float.__repr__(a)
        else:
            raise TypeError
        text = (
            f'{{"amount":{amount},"category":{_text(r.category)},"details":{dj},'
            f'"evidence":{_text(r.evidence)},"id":{_text(r.id)},'
            f'"legal_basis":{_text(r.legal_basis)},"occurred_at":"{occurred}",'
            f'"recorded_at":"{recorded}",'
            f'"refers_to":{"null" if r.refers_to is None else _text(r.refers_to)},'
            f'"severity":{"null" if r.severity is None else _text(r.severity)},'
            f'"source":{_text(r.source)},"status":{_text(r.status)},'
            f'"subject":{_text(r.subject)}}}'
        )
    except (TypeError, AttributeError):
        return dj, r.content_hash()
    return dj, hashlib.sha256(text.encode()).hexdigest()
