"""Entries a list takes from another list of the same version (``ListDef.moved_from``).

An enterprise still on the list of enterprises with abnormal operations three years after
it was listed moves to the list of serious illegal and dishonest entities: the moved entry
starts when the other entry has lasted ``after`` and lasts its own ``term``; a removal
record of this list that refers to the other list's listing record (or to none) ends it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from xinyong.core.lists import AgeOn, ListEntry, _objection, _removal_of, record_entries
from xinyong.core.records import Effective
from xinyong.core.schemes.lists import UNTIL_REMOVAL, ListDef, MoveFrom, RecordEntry
from xinyong.core.timeutil import Duration, iso


def moved_entries(
    scheme: str,
    lst: ListDef,
    lists: Sequence[ListDef],
    effective: Sequence[Effective],
    at: datetime,
    age_on: AgeOn,
) -> list[ListEntry]:
    out: list[ListEntry] = []
    for move in lst.moved_from:
        source = next(x for x in lists if x.id == move.list)
        for entry in source.entries:
            if not isinstance(entry, RecordEntry):
                continue
            got, _ = record_entries(scheme, source, entry, effective, at, age_on)
            for earlier in got:
                moved = _moved(scheme, lst, move, earlier, effective, at)
                if moved is not None:
                    out.append(moved)
    return out


def _moved(
    scheme: str,
    lst: ListDef,
    move: MoveFrom,
    earlier: ListEntry,
    effective: Sequence[Effective],
    at: datetime,
) -> ListEntry | None:
    start = move.after.after(earlier.since)
    if start > at or (earlier.until is not None and earlier.until <= start):
        return None
    until = move.term.after(start) if isinstance(move.term, Duration) else None
    listing_id = earlier.cause.get("record_id")
    events: list[dict[str, Any]] = []
    for x in sorted(effective, key=lambda e: e.record.occurred_at):
        r = x.record
        removal = _removal_of(lst, r)
        if removal is None or r.occurred_at > at or r.occurred_at < start:
            continue
        if r.refers_to is not None and r.refers_to != listing_id:
            continue
        if until is None or r.occurred_at < until:
            until = r.occurred_at
            events.append(
                {
                    "event": "removed",
                    "removal": removal.event,
                    "record_id": r.id,
                    "category": r.category,
                    "at": iso(r.occurred_at),
                    "legal_basis": r.legal_basis,
                }
            )
        break
    if until is not None and until <= at and not events:
        events.append({"event": "term ended", "removal": "end-of-term", "at": iso(until)})
    cause = {
        "kind": "moved",
        "from_list": f"{scheme}/{move.list}",
        "on_that_list_since": iso(earlier.since),
        "after": str(move.after),
        "record_id": listing_id,
        "category": earlier.cause.get("category"),
        "rule": move.description,
    }
    term = str(move.term) if move.term != UNTIL_REMOVAL else UNTIL_REMOVAL
    return ListEntry(
        scheme,
        lst.id,
        lst.title,
        lst.polarity,
        start,
        until,
        cause,
        move.legal_basis,
        term,
        _objection(lst),
        events,
    )
