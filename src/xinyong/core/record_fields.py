"""Input hygiene for record fields, in one place: what text, codes, numbers and dates a record
may carry, whichever way it arrives (file, HTTP, stream, code).

* text is valid Unicode without NUL, other control characters (but tab and newline in free
  text) or lone surrogates, and no longer than :data:`MAX_LENGTH` for its field;
* the subject is a valid credit code (GB 11643 resident identity number or GB 32100 unified
  social credit code), stored in its canonical form;
* dates lie between :data:`EARLIEST` and :data:`LATEST`, and neither ``occurred_at`` nor
  ``recorded_at`` lies in the future of the store's clock by more than a small tolerance
  (:func:`future_problem`; the admission path asks it with the store's clock);
* ``details`` holds at most :data:`MAX_DETAILS` entries with short names and values.

The same limits are documented in ``docs/records.md``; a test holds the two together.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from xinyong.core.errors import InvalidRecord

#: Longest text, in characters, per field (``details`` names and text values included).
MAX_LENGTH = {
    "id": 128,
    "subject": 18,
    "category": 64,
    "source": 128,
    "legal_basis": 500,
    "evidence": 1000,
    "severity": 16,
    "status": 16,
    "refers_to": 128,
    "details.name": 64,
    "details.value": 1000,
}
MAX_DETAILS = 50
"""Most entries in ``details``."""
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
"""Dates a record may carry: ``EARLIEST <= t < LATEST``."""

#: Characters refused in identifiers (id, category, source, refers_to, ...): every control
#: character, and any space other than a plain one.
_BAD_IN_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
#: In free text (evidence, legal basis, details), tab and newlines are allowed.
_BAD_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FREE_TEXT = frozenset({"legal_basis", "evidence", "details.value"})


def clean_text(value: str, field: str, row: int | None) -> str:
    """``value`` if it is acceptable text for ``field``; else :class:`InvalidRecord` saying
    which character is wrong and where."""
    limit = MAX_LENGTH.get(field)
    if limit is not None and len(value) > limit:
        raise InvalidRecord(
            f"is {len(value):,} characters long; at most {limit:,} are allowed",
            field=_name(field),
            row=row,
        )
    bad = (_BAD_IN_TEXT if field in _FREE_TEXT else _BAD_IN_NAME).search(value)
    if bad is not None:
        raise InvalidRecord(
            f"holds the control character U+{ord(bad.group()):04X} at position "
            f"{bad.start() + 1}; send plain text",
            field=_name(field),
            row=row,
        )
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        raise InvalidRecord(
            f"holds a lone surrogate (U+{ord(value[e.start]):04X}) at position {e.start + 1}, "
            "which is not a character; send valid UTF-8 text",
            field=_name(field),
            row=row,
        ) from None
    return value


def _name(field: str) -> str:
    return "details" if field.startswith("details.") else field


@lru_cache(maxsize=1 << 16)
def _code(value: str) -> tuple[str | None, str]:
    from xinyong.core.codes import check

    c = check(unicodedata.normalize("NFKC", value))
    return (c.code if c.valid else None), c.reason or ""


def clean_subject(value: str, row: int | None) -> str:
    """The subject as a canonical credit code; refused unless it is a valid one."""
    if len(value) > 40:
        code, reason = None, f"has {len(value):,} characters; a credit code has 18"
    else:
        code, reason = _code(value)
    if code is None:
        raise InvalidRecord(
            f"{value[:40]!r} is not a valid credit code: {reason}. A subject is an 18-character "
            "resident identity number (17 digits and a check digit or X, e.g. "
            "11010519491231002X) or unified social credit code (digits and capital letters, "
            "e.g. 91110000600037341L)",
            field="subject",
            row=row,
        )
    return code


def check_range(t: datetime, field: str, row: int | None) -> datetime:
    if not EARLIEST <= t < LATEST:
        raise InvalidRecord(
            f"{t.date().isoformat()} is outside the dates a record may carry "
            f"({EARLIEST.year} to {LATEST.year - 1})",
            field=field,
            row=row,
        )
    return t


def future_problem(
    occurred_at: datetime, recorded_at: datetime, now: datetime, tolerance: timedelta
) -> tuple[str, str] | None:
    """``(field, reason)`` when a record's reported times lie in the future of the store's
    clock (``now``) by more than ``tolerance``; ``None`` when they do not. A fact cannot have
    happened, or been recorded by an agency, after the store receives it."""
    limit = now + tolerance
    for name, t in (("occurred_at", occurred_at), ("recorded_at", recorded_at)):
        if t > limit:
            minutes = int(tolerance.total_seconds() // 60)
            return (
                name,
                f"{_text(t)} is in the future of the store's clock ({_text(now)}) by more than "
                f"{minutes} minutes; a record reports what happened and was recorded, so send "
                f"it once it has (or fix the date; times without an offset are UTC)",
            )
    return None


def _text(t: datetime) -> str:
    t = t.astimezone(UTC)
    spec = "microseconds" if t.microsecond else "seconds"
    return t.replace(tzinfo=None).isoformat(timespec=spec) + "Z"
