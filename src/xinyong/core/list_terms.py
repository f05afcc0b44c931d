"""How long a record entry lasts: its term, and the extension records that lengthen it.

Extensions (SPC Provisions 2017 art. 2): whole years within ``[min_years, max_years]``, made
while the term runs (an extension after the term ended extends nothing), and never beyond
``max_total`` from the listing in all (2 + 3 = 5 years). Each extension is read under the
version of the rules in force on its own day (no rule changes an entry's past): a version
without an extension rule refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from xinyong.core.records import Effective, Record
from xinyong.core.schemes.lists import ListDef
from xinyong.core.timeutil import Duration, china_day, iso

ListOn = Callable[[datetime], ListDef | None]
"""The definition of one list in the version in force at an instant (None: none then)."""


def _refused(r: Record, reason: str) -> dict[str, Any]:
    return {"event": "extension refused", "record_id": r.id, "reason": reason}


def extend(
    listing: Record,
    since: datetime,
    until: datetime,
    known: Sequence[Effective],
    lst_on: ListOn,
) -> tuple[datetime, list[dict[str, Any]]]:
    """The end of a fixed-term entry after its extensions, and the events (applied or refused)."""
    events: list[dict[str, Any]] = []
    for x in known:
        r = x.record
        rules = lst_on(r.occurred_at)
        ext = rules.extension if rules is not None else None
        cats = set(ext.categories) if ext else set()
        if r.refers_to != listing.id and not (r.refers_to is None and r.category in cats):
            continue
        if ext is None:
            if r.category.endswith("extension") and r.refers_to == listing.id:
                events.append(
                    _refused(
                        r, f"the rules in force on {china_day(r.occurred_at)} provide no extension"
                    )
                )
            continue
        if r.category not in cats:
            continue
        if r.occurred_at < since or r.occurred_at >= until:
            events.append(
                _refused(
                    r,
                    f"made on {china_day(r.occurred_at)}, when the term was not running "
                    f"(it ran from {china_day(since)} to {china_day(until)}); only a running "
                    "term can be extended",
                )
            )
            continue
        years = r.details.get(ext.detail)
        if (
            not isinstance(years, int)
            or isinstance(years, bool)
            or not (ext.min_years <= years <= ext.max_years)
        ):
            events.append(
                _refused(r, f"{ext.detail} must be a whole number {ext.min_years}-{ext.max_years}")
            )
            continue
        new_until = Duration(years=years).after(until)
        event: dict[str, Any] = {
            "event": "extended",
            "record_id": r.id,
            "years": years,
            "at": iso(r.occurred_at),
            "legal_basis": r.legal_basis,
        }
        if ext.max_total is not None:
            limit = ext.max_total.after(since)
            if until >= limit:
                events.append(
                    _refused(
                        r, f"the entry already lasts the most allowed ({ext.max_total} in all)"
                    )
                )
                continue
            if new_until > limit:
                new_until = limit
                event["limited_to"] = iso(limit)
                event["reason"] = f"never more than {ext.max_total} in all: {ext.legal_basis}"
        until = new_until
        events.append(event)
    return until, events
