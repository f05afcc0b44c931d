"""Credit-file records and how corrections, revocations and expiries resolve.

A record is one attributed fact about one subject. Records are never changed: a correction,
a revocation or an expiry is a new record whose ``refers_to`` names the original (an
``active`` record of the same subject). What the system believes at a moment ``known_at`` is
obtained by :func:`resolve`, which only looks at records the store had accepted by then.

Time has two axes. ``occurred_at`` and ``recorded_at`` are what the sending agency reports
(kept as sent); ``accepted_at`` is the instant the store accepted the record, on the store's
clock (never from the sender; ``None`` until a store has accepted it). "Known at K" means
"held by the store at K": accepted at or before K. A record no store has accepted (built in
memory, a golden case) counts as known from its ``recorded_at``.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from xinyong.core.errors import InvalidRecord
from xinyong.core.record_fields import MAX_DETAILS, check_range, clean_subject, clean_text
from xinyong.core.timeutil import iso, parse_instant

DetailValue = str | int | float | bool


class Status(StrEnum):
    """What a record does."""

    ACTIVE = "active"  # an original fact
    CORRECTION = "correction"  # replaces the content of the record it refers to
    REVOCATION = "revocation"  # the referred record is void (as if never made)
    EXPIRY = "expiry"  # the referred record stops counting at this record's occurred_at


SEVERITIES = ("minor", "general", "serious")

FIELDS = (
    "id",
    "subject",
    "category",
    "occurred_at",
    "recorded_at",
    "source",
    "legal_basis",
    "evidence",
    "amount",
    "severity",
    "status",
    "refers_to",
    "details",
)
REQUIRED = ("id", "subject", "category", "occurred_at", "recorded_at", "source", "legal_basis")
NO_LEGAL_BASIS = (
    "missing or blank; this field is required: every record must name the law or decision "
    "that makes it, e.g. "
    "'Road Traffic Safety Law art. 90' (data minimisation: a record without a legal basis "
    "is not kept)"
)


@dataclass(frozen=True, slots=True)
class Record:
    """One attributed fact about one subject (a person's or organisation's credit code)."""

    id: str
    subject: str
    category: str
    occurred_at: datetime
    recorded_at: datetime
    source: str
    legal_basis: str
    evidence: str = ""
    amount: float | None = None
    severity: str | None = None
    status: Status = Status.ACTIVE
    refers_to: str | None = None
    details: Mapping[str, DetailValue] = field(default_factory=dict)
    accepted_at: datetime | None = field(default=None, compare=False)
    """When the store accepted the record, on the store's clock (not part of the content,
    the content hash or equality: the same record sent twice is the same record)."""

    def __post_init__(self) -> None:
        # an amount is a float, as the stores give it back: a record built with amount=5 was
        # hashed as "5" and read back as 5.0, so it no longer matched its stored fields
        if type(self.amount) is int:
            object.__setattr__(self, "amount", float(self.amount))
        # Every rule works in UTC (days, calendar months): normalise whatever zone came in.
        for name in ("occurred_at", "recorded_at", "accepted_at"):
            t: datetime | None = getattr(self, name)
            if t is None:
                continue
            utc = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
            if utc is not t:
                object.__setattr__(self, name, utc)

    @property
    def known_from(self) -> datetime:
        """From when the store held the record: ``accepted_at``, or ``recorded_at`` for a
        record no store has accepted."""
        return self.recorded_at if self.accepted_at is None else self.accepted_at

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form; times as canonical ISO text (the content as sent:
        ``accepted_at`` is the store's, not part of it)."""
        return {
            "id": self.id,
            "subject": self.subject,
            "category": self.category,
            "occurred_at": iso(self.occurred_at),
            "recorded_at": iso(self.recorded_at),
            "source": self.source,
            "legal_basis": self.legal_basis,
            "evidence": self.evidence,
            "amount": self.amount,
            "severity": self.severity,
            "status": self.status.value,
            "refers_to": self.refers_to,
            "details": dict(sorted(self.details.items())),
        }

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON form: equal content, equal hash."""
        text = json.dumps(self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @classmethod
    def from_dict(
        cls, data: Mapping[str, Any], *, row: int | None = None, typed: bool = False
    ) -> Record:
        """Build and validate a record from loosely typed input (JSON object or CSV row).

        ``typed``: the input has types (JSON), so a number must be a number (``"12"`` is
        refused); CSV cells are all text. Raises :class:`InvalidRecord` naming the row and
        field on the first problem found.
        """
        if not _FIELD_SET.issuperset(data):
            unknown = sorted(set(data) - _FIELD_SET)
            raise InvalidRecord(
                f"unknown field(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(FIELDS)}",
                field=unknown[0],
                row=row,
            )
        amount_raw = data.get("amount")
        amount: float | None
        if amount_raw is None or amount_raw == "":
            amount = None
        elif isinstance(amount_raw, bool):
            raise InvalidRecord("must be a number, got a boolean", field="amount", row=row)
        elif typed and not isinstance(amount_raw, int | float):
            raise InvalidRecord(
                f"must be a number, got {type(amount_raw).__name__} {str(amount_raw)[:40]!r}; "
                'write it without quotes, e.g. "amount": 12',
                field="amount",
                row=row,
            )
        else:
            try:
                amount = float(amount_raw)
            except (TypeError, ValueError):
                raise InvalidRecord(
                    f"must be a number, got {amount_raw!r}", field="amount", row=row
                ) from None
            if not math.isfinite(amount):
                raise InvalidRecord("must be a finite number", field="amount", row=row)
            # -0.0 is read as 0.0: SQLite stores a whole REAL as an integer and gives back
            # 0.0, so a record hashed with "-0.0" would no longer match its stored fields
            # (done here, where records come in, not when a store's row is read back: one
            # stored as -0.0 on PostgreSQL before still matches its hash)
            amount += 0.0

        severity = _text(data, "severity", False, row) or None
        if severity is not None and severity not in SEVERITIES:
            raise InvalidRecord(
                f"{severity!r} is not a severity; use one of {', '.join(SEVERITIES)}",
                field="severity",
                row=row,
            )
        status_raw = _text(data, "status", False, row) or "active"
        status = _STATUS_OF.get(status_raw)
        if status is None:
            raise InvalidRecord(
                f"{status_raw!r} is not a status; use one of " + ", ".join(s.value for s in Status),
                field="status",
                row=row,
            )
        details = _details(data.get("details"), row)
        record = cls(
            id=_text(data, "id", True, row),
            subject=clean_subject(_text(data, "subject", True, row), row),
            category=_text(data, "category", True, row),
            occurred_at=_instant(data, "occurred_at", row),
            recorded_at=_instant(data, "recorded_at", row),
            source=_text(data, "source", True, row),
            legal_basis=_text(data, "legal_basis", True, row),
            evidence=_text(data, "evidence", False, row),
            amount=amount,
            severity=severity,
            status=status,
            refers_to=_text(data, "refers_to", False, row) or None,
            details=details,
        )
        record.check(row=row)
        return record

    def check(self, *, row: int | None = None) -> None:
        """Rules that hold for a record on its own (cross-record rules live in the store)."""
        if self.occurred_at > self.recorded_at:
            raise InvalidRecord(
                f"occurred_at {iso(self.occurred_at)} is after recorded_at "
                f"{iso(self.recorded_at)}; a fact cannot be recorded before it happened",
                field="occurred_at",
                row=row,
            )
        if not self.legal_basis.strip():
            raise InvalidRecord(NO_LEGAL_BASIS, field="legal_basis", row=row)
        if self.refers_to is not None and self.refers_to == self.id:
            raise InvalidRecord("a record cannot refer to itself", field="refers_to", row=row)
        if self.status is not Status.ACTIVE and self.refers_to is None:
            raise InvalidRecord(
                f"a {self.status.value} must name the record it applies to in refers_to",
                field="refers_to",
                row=row,
            )
        from xinyong.core.record_content import content_problems

        for p in content_problems(self):
            raise InvalidRecord(p.reason, field=p.field, row=row)

    def with_content_of(self, correction: Record) -> Record:
        """This record as a correction says it should have read (id and subject kept)."""
        return replace(
            self,
            category=correction.category,
            occurred_at=correction.occurred_at,
            legal_basis=correction.legal_basis,
            evidence=correction.evidence,
            amount=correction.amount,
            severity=correction.severity,
            details=correction.details,
        )


_FIELD_SET = frozenset(FIELDS)
_STATUS_OF = {s.value: s for s in Status}


def _text(data: Mapping[str, Any], name: str, required: bool, row: int | None) -> str:
    """Field ``name`` of loosely typed input as trimmed text ("" if absent and optional)."""
    v = data.get(name)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            why = NO_LEGAL_BASIS if name == "legal_basis" else "missing; this field is required"
            raise InvalidRecord(why, field=name, row=row)
        return ""
    if not isinstance(v, str):
        raise InvalidRecord(f"must be text, got {type(v).__name__}", field=name, row=row)
    return v.strip() if name == "subject" else clean_text(v.strip(), name, row)


def _instant(data: Mapping[str, Any], name: str, row: int | None) -> datetime:
    raw = _text(data, name, True, row)
    try:
        return check_range(parse_instant(raw), name, row)
    except (ValueError, OverflowError) as e:
        raise InvalidRecord(str(e), field=name, row=row) from None


def _details(raw: Any, row: int | None) -> dict[str, DetailValue]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError as e:
            raise InvalidRecord(
                f'must be a JSON object, e.g. {{"ground": 1}}: {e.msg}',
                field="details",
                row=row,
            ) from None
    if not isinstance(raw, Mapping):
        raise InvalidRecord("must be an object of simple values", field="details", row=row)
    if len(raw) > MAX_DETAILS:
        raise InvalidRecord(
            f"has {len(raw):,} entries; at most {MAX_DETAILS} are allowed",
            field="details",
            row=row,
        )
    out: dict[str, DetailValue] = {}
    for k, v in raw.items():
        if not isinstance(k, str) or not isinstance(v, str | int | float | bool):
            raise InvalidRecord(
                f"entry {str(k)[:40]!r} must map a name to text, a number or a boolean",
                field="details",
                row=row,
            )
        clean_text(k, "details.name", row)
        if isinstance(v, str):
            clean_text(v, "details.value", row)
        elif isinstance(v, float) and not math.isfinite(v):
            raise InvalidRecord(f"entry {k!r} must be a finite number", field="details", row=row)
        out[k] = v
    return out


@dataclass(frozen=True, slots=True)
class Effective:
    """A record as the system believes it at some ``known_at``, after its amendments."""

    record: Record  # content after the latest correction, id of the original
    ends_at: datetime | None  # set by an expiry record
    amended_by: tuple[str, ...]  # ids of corrections/expiries applied, oldest first


@dataclass(frozen=True, slots=True)
class Voided:
    record: Record
    revoked_by: str


def known_by(records: Iterable[Record], known_at: datetime | None) -> list[Record]:
    """The records the store held at ``known_at`` (accepted by then, see
    :attr:`Record.known_from`); ``None``: all of them (the latest knowledge)."""
    if known_at is None:
        return list(records)
    return [r for r in records if r.known_from <= known_at]


def resolve(
    records: Iterable[Record], known_at: datetime | None = None
) -> tuple[list[Effective], list[Voided]]:
    """Apply corrections, revocations and expiries the store held at ``known_at`` (accepted
    by then; ``None``: every record given, the latest knowledge).

    Order of application: by ``recorded_at`` (the agency's order), then id. The latest
    correction wins; a revocation voids the record whatever else happened; the earliest
    expiry ends it. The result is sorted by (occurred_at, id) and does not depend on input
    order.
    """
    known = sorted(known_by(records, known_at), key=lambda r: (r.recorded_at, r.id))
    originals: dict[str, Record] = {r.id: r for r in known if r.status is Status.ACTIVE}
    content: dict[str, Record] = dict(originals)
    ends: dict[str, datetime] = {}
    amended: dict[str, list[str]] = {}
    revoked: dict[str, str] = {}
    for r in known:
        if r.status is Status.ACTIVE or r.refers_to not in originals:
            continue
        target = r.refers_to
        if r.status is Status.CORRECTION:
            content[target] = originals[target].with_content_of(r)
            amended.setdefault(target, []).append(r.id)
        elif r.status is Status.REVOCATION:
            revoked.setdefault(target, r.id)
        elif r.status is Status.EXPIRY:
            if target not in ends or r.occurred_at < ends[target]:
                ends[target] = r.occurred_at
            amended.setdefault(target, []).append(r.id)
    effective = [
        Effective(content[i], ends.get(i), tuple(amended.get(i, ())))
        for i in originals
        if i not in revoked
    ]
    effective.sort(key=lambda e: (e.record.occurred_at, e.record.id))
    voided = [Voided(content[i], by) for i, by in revoked.items()]
    voided.sort(key=lambda v: (v.record.occurred_at, v.record.id))
    return effective, voided
