"""Content checks at ingest: what a record says must be possible, never silently ignored.

Input hygiene (:mod:`xinyong.core.record_fields`) checks the form of each field; these
check what the fields say together, for the categories whose meaning the law fixes:

* a listing decision names a ground 1-6 (``details.ground``; SPC Provisions art. 1);
* an extension names 1-3 whole years (``details.years``; art. 2);
* no conduct is dated before the subject's birth (from the resident identity number; the
  day in China);
* a record about a listing (a removal, an extension, an exclusion) refers to a listing
  decision (:func:`reference_problem`, which needs the referred record's category).

Each problem names the field and the reason; :meth:`xinyong.core.records.Record.check` refuses
the first, so file, HTTP and stream ingest refuse the row with row, field and reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from xinyong.core.roles import ROLE_CATEGORY, role_problems
from xinyong.core.timeutil import china_day

if TYPE_CHECKING:
    from xinyong.core.records import Record

LISTING = "court.listing_decision"
#: Whole-number details that a category must carry, and their range (the law's).
DETAIL_RANGES: dict[str, tuple[str, int, int, str]] = {
    LISTING: ("ground", 1, 6, "SPC Provisions art. 1 lists six grounds"),
    "court.listing_extension": ("years", 1, 3, "SPC Provisions art. 2: 1-3 years"),
}
#: Categories that, when they refer to a record, must refer to a listing decision.
ABOUT_A_LISTING = frozenset(
    {
        "court.listing_extension",
        "court.performance",
        "court.settlement_performed",
        "court.creditor_request",
        "court.no_assets_found",
        "court.enforcement_terminated",
        "court.security_given",
        "court.assets_frozen_cover_debt",
        "court.later_in_order",
        "court.unable_to_perform",
    }
)


@dataclass(frozen=True, slots=True)
class ContentProblem:
    field: str
    reason: str


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def content_problems(record: Record) -> list[ContentProblem]:
    """Every content problem of ``record`` on its own (pure; empty when none). A correction
    is checked like the record whose content it replaces."""
    from xinyong.core.records import Status

    out: list[ContentProblem] = []
    if record.status not in (Status.ACTIVE, Status.CORRECTION):
        return out  # a revocation or expiry carries no content of its own
    rng = DETAIL_RANGES.get(record.category)
    if rng is not None:
        name, lo, hi, why = rng
        raw = record.details.get(name)
        n = _whole(raw)
        if n is None or not lo <= n <= hi:
            out.append(
                ContentProblem(
                    f"details.{name}",
                    f"{record.category} needs details.{name} = a whole number {lo}-{hi} "
                    f"({why}), got {raw!r}",
                )
            )
    if record.category == ROLE_CATEGORY:
        out.extend(ContentProblem(f, r) for f, r in role_problems(record.details))
    born = _birth(record.subject)
    if born is not None and china_day(record.occurred_at) < born:
        out.append(
            ContentProblem(
                "occurred_at",
                f"{china_day(record.occurred_at)} (in China) is before the subject's birth on "
                f"{born} (from the identity number); no conduct predates its author",
            )
        )
    return out


def reference_problem(record: Record, referred_category: str) -> str | None:
    """Why ``record`` may not refer to a record of ``referred_category``, or None (only
    active records: a correction, revocation or expiry refers to the record it amends)."""
    return reference_problem_of(record.status.value, record.category, referred_category)


def reference_problem_of(status: str, category: str, referred_category: str) -> str | None:
    """:func:`reference_problem` from the referring record's status and category (the
    columnar path has them as text)."""
    if status == "active" and category in ABOUT_A_LISTING and referred_category != LISTING:
        return (
            f"a {category} record is about a listing: refers_to must name a "
            f"{LISTING} record, but names a {referred_category} record"
        )
    return None


def _birth(subject: str) -> date | None:
    from xinyong.core.codes import check

    c = check(subject)
    if c.kind != "resident" or not c.valid:
        return None
    return date.fromisoformat(str(c.fields["birth_date"]))
