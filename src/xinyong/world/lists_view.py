"""List membership for a whole population, in agreement with the engine's pure path.

Record and threshold entries come from :func:`xinyong.core.lists.list_entries` itself, but
only for the few subjects whose list-relevant records changed since the last month (the
rest keep their cached entries, which cannot change without new records while the scheme
version in force stays the same). Grade and score entries are state: they hold while the
grade or score holds, so they are derived in columns from the batch scores with
:func:`xinyong.core.lists.state_entry`, exactly as the engine builds them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from xinyong.core.evaluate import age_on
from xinyong.core.lists import ListEntry, list_entries
from xinyong.core.records import Record
from xinyong.core.schemes.lists import GradeEntry, ListDef, RecordEntry, ScoreEntry, ThresholdEntry
from xinyong.core.scoring.engine import AnyScheme


@dataclass(frozen=True)
class ListShape:
    """What one scheme's lists (in the version in force) look at."""

    scheme: str
    version: Any
    event_categories: frozenset[str]  # categories that can change record/threshold entries
    record_categories: frozenset[str]  # categories of record entries (listing decisions)
    threshold_counts: dict[str, int]  # category -> smallest count of a threshold using it
    state_lists: tuple[tuple[ListDef, GradeEntry | ScoreEntry], ...]

    @property
    def has_event_lists(self) -> bool:
        return bool(self.event_categories)


def list_shape(scheme: AnyScheme, at: datetime) -> ListShape:
    version = scheme.version_on(at)
    events: set[str] = set()
    records: set[str] = set()
    thresholds: dict[str, int] = {}
    states: list[tuple[ListDef, GradeEntry | ScoreEntry]] = []
    for lst in version.lists if version is not None else ():
        touched = False
        for e in lst.entries:
            if isinstance(e, RecordEntry):
                records.update(e.categories)
                events.update(e.categories)
                touched = True
            elif isinstance(e, ThresholdEntry):
                for c in e.categories:
                    thresholds[c] = min(thresholds.get(c, e.count.value), e.count.value)
                events.update(e.categories)
                touched = True
            else:
                states.append((lst, e))
        if touched:
            if lst.extension is not None:
                events.update(lst.extension.categories)
            for rm in lst.removals:
                events.update(rm.categories)
            for ex in lst.exclusions:
                events.update(ex.categories)
    return ListShape(
        scheme.name,
        version,
        frozenset(events),
        frozenset(records),
        thresholds,
        tuple(states),
    )


def event_entries(
    schemes: Mapping[str, AnyScheme],
    shapes: Mapping[str, ListShape],
    subject: str,
    records: Sequence[Record],
    at: datetime,
) -> list[ListEntry]:
    """Record and threshold entries of ``subject`` under every scheme with such lists,
    exactly as :func:`xinyong.core.evaluate.evaluate_subject` makes them (without a score,
    so no grade/score entries)."""
    out: list[ListEntry] = []
    for name, scheme in schemes.items():
        if not shapes[name].has_event_lists:
            continue
        got, _ = list_entries(scheme, subject, records, at, at, age_on=age_on)
        out.extend(got)
    return out
