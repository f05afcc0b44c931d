"""Who is on which red or black list, since when, until when, and why.

:func:`list_entries` returns every entry (past, present, future-ending) that one subject has
under one scheme, as known at ``known_at`` and looking at acts up to ``at``. An entry is
*in force* at ``at`` when ``since <= at`` and (``until`` is None or ``at < until``).

Entry kinds (see :mod:`xinyong.core.schemes.lists`):

* record entries start when the listing record occurred and last for their term, extended by
  extension records (whole years within the allowed range) and ended by the first removal
  record (referring to the listing, or to none) or by an expiry record of the listing;
* threshold entries start at the record that completes ``count`` within ``window`` and last
  ``term`` from the latest qualifying record (overlapping triggers merge into one entry);
* grade and score entries hold while the condition holds at ``at`` (no term: they end when
  the grade or score changes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from xinyong.core.list_terms import ListOn, extend
from xinyong.core.records import Effective, Record, resolve
from xinyong.core.schemes.lists import (
    UNTIL_REMOVAL,
    GradeEntry,
    ListDef,
    RecordEntry,
    Removal,
    ScoreEntry,
    ThresholdEntry,
)
from xinyong.core.schemes.population import not_covered
from xinyong.core.timeutil import Duration, china_day, iso

AgeOn = Callable[[str, date], int | None]
"""Age in whole years of a subject on a day, or None when the subject is not a person."""


@dataclass(frozen=True, slots=True)
class ListEntry:
    scheme: str
    list_id: str
    title: str
    polarity: str
    since: datetime
    until: datetime | None
    cause: dict[str, Any]
    legal_basis: str
    term: str | None
    objection: dict[str, str]
    events: list[dict[str, Any]] = field(default_factory=list)

    def in_force(self, at: datetime) -> bool:
        return self.since <= at and (self.until is None or at < self.until)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scheme": self.scheme,
            "list": self.list_id,
            "title": self.title,
            "polarity": self.polarity,
            "since": iso(self.since),
            "until": iso(self.until) if self.until else None,
            "term": self.term,
            "cause": self.cause,
            "legal_basis": self.legal_basis,
            "events": self.events,
            "how_to_object": self.objection,
        }


@dataclass(frozen=True, slots=True)
class NotListed:
    """A listing record that did not produce an entry, and why (an exclusion applied)."""

    list_id: str
    record_id: str
    reason: str
    legal_basis: str


def _objection(lst: ListDef) -> dict[str, str]:
    o = lst.objection
    return {
        "body": o.body,
        "how": o.how,
        "decision_within": o.decision_within,
        "reconsideration": o.reconsideration,
    }


def _refers(r: Record, listing: Record) -> bool:
    return r.refers_to is None or r.refers_to == listing.id


def record_entries(
    scheme: str,
    lst: ListDef,
    entry: RecordEntry,
    effective: Sequence[Effective],
    at: datetime,
    age_on: AgeOn,
    lst_on: ListOn | None = None,
) -> tuple[list[ListEntry], list[NotListed]]:
    """Entries made by listing records. Each listing is read under the rules in force on the
    day (in China) it was decided: its term and exclusions; each extension and removal under
    the rules in force on its own day. So a later version never changes an entry's past.
    ``lst_on`` gives those rules (default: ``lst`` whatever the day)."""
    rules_on: ListOn = lst_on if lst_on is not None else (lambda _t: lst)
    entries: list[ListEntry] = []
    refused: list[NotListed] = []
    known = [e for e in effective if e.record.occurred_at <= at]
    for e in known:
        listing = e.record
        if listing.category not in entry.categories:
            continue
        own = rules_on(listing.occurred_at)
        own_entry = _record_entry(own, listing.category)
        if own is None or own_entry is None:
            refused.append(
                NotListed(
                    lst.id,
                    listing.id,
                    f"decided on {china_day(listing.occurred_at)}, when no rules of this "
                    "scheme provided for this listing (before its first version)",
                    entry.legal_basis,
                )
            )
            continue
        detail = (
            str(listing.details.get(own_entry.term_detail, ""))
            if own_entry.term_detail is not None
            else ""
        )
        exclusion = _excluded(own, listing, detail, known, age_on)
        if exclusion is None:
            exclusion = _relisting_barred(rules_on, listing, known)
        if exclusion is not None:
            refused.append(exclusion)
            continue
        if own_entry.term_detail is not None:
            if detail not in own_entry.terms:
                refused.append(
                    NotListed(
                        lst.id,
                        listing.id,
                        f"detail {own_entry.term_detail}={detail!r} is not one of "
                        f"{sorted(own_entry.terms)}; the listing has no term",
                        own_entry.legal_basis,
                    )
                )
                continue
            term: Duration | str = own_entry.terms[detail]
        else:
            term = own_entry.term if own_entry.term is not None else UNTIL_REMOVAL
        since = listing.occurred_at
        until = term.after(since) if isinstance(term, Duration) else None
        events: list[dict[str, Any]] = []
        if until is None:
            for x in known:
                r = x.record
                if r.refers_to == listing.id and r.category.endswith("extension"):
                    events.append(
                        {
                            "event": "extension refused",
                            "record_id": r.id,
                            "reason": "the listing has no fixed term (it lasts until a "
                            "removal event), so there is nothing to extend",
                        }
                    )
        else:
            until, more = extend(listing, since, until, known, rules_on)
            events.extend(more)
        term_end = until
        for x in known:
            r = x.record
            if r.occurred_at < since or not _refers(r, listing):
                continue
            r_rules = rules_on(r.occurred_at)
            removal = _removal_of(r_rules, r) if r_rules is not None else None
            if removal is None:
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
                        "rule": removal.legal_basis,
                    }
                )
            break
        if e.ends_at is not None and (until is None or e.ends_at < until):
            until = e.ends_at
            events.append({"event": "expired", "at": iso(e.ends_at), "by": list(e.amended_by)})
        if term_end is not None and until == term_end and term_end <= at:
            events.append({"event": "term ended", "removal": "end-of-term", "at": iso(until)})
        cause = {
            "kind": "record",
            "record_id": listing.id,
            "category": listing.category,
            "source": listing.source,
            "record_basis": listing.legal_basis,
            "evidence": listing.evidence,
            "rules_of": str(china_day(listing.occurred_at)),
        }
        if own_entry.term_detail is not None:
            cause[own_entry.term_detail] = detail
        entries.append(
            ListEntry(
                scheme,
                lst.id,
                lst.title,
                lst.polarity,
                since,
                until,
                cause,
                own_entry.legal_basis,
                str(term),
                _objection(lst),
                events,
            )
        )
    return entries, refused


def _record_entry(lst: ListDef | None, category: str) -> RecordEntry | None:
    if lst is None:
        return None
    return next(
        (x for x in lst.entries if isinstance(x, RecordEntry) and category in x.categories),
        None,
    )


def _removal_of(lst: ListDef, r: Record) -> Removal | None:
    return next((rm for rm in lst.removals if r.category in rm.categories), None)


def _creditor(r: Record) -> str:
    return str(r.details.get("creditor", "")).strip()


def _relisting_barred(
    rules_on: ListOn, listing: Record, known: Sequence[Effective]
) -> NotListed | None:
    """A removal with a ``relisting_bar`` (the creditor's request) bars a new listing on the
    same creditor's claim within the bar. The creditor is the removal record's
    ``details.creditor``, else that of the listing it removed; a listing naming no creditor
    is not barred (the bar is about that creditor's request)."""
    wanted = _creditor(listing)
    if not wanted:
        return None
    by_id = {x.record.id: x.record for x in known}
    for x in known:
        r = x.record
        lst = rules_on(r.occurred_at)
        rm = _removal_of(lst, r) if lst is not None else None
        if lst is None or rm is None or rm.relisting_bar is None or r.refers_to == listing.id:
            continue
        removed = by_id.get(r.refers_to) if r.refers_to is not None else None
        creditor = _creditor(r) or (_creditor(removed) if removed is not None else "")
        end = rm.relisting_bar.after(r.occurred_at)
        if creditor == wanted and r.occurred_at <= listing.occurred_at < end:
            return NotListed(
                lst.id,
                listing.id,
                f"re-listing bar: on {iso(r.occurred_at)[:10]} a listing was removed at the "
                f"request of creditor {creditor!r} (record {r.id}); no new listing on that "
                f"creditor's claim within {rm.relisting_bar}, i.e. before {iso(end)[:10]}",
                rm.legal_basis,
            )
    return None


def _excluded(
    lst: ListDef, listing: Record, detail: str, known: Sequence[Effective], age_on: AgeOn
) -> NotListed | None:
    for ex in lst.exclusions:
        if ex.detail_values and detail not in ex.detail_values:
            continue
        if ex.kind == "minor":
            age = age_on(listing.subject, china_day(listing.occurred_at))
            if age is not None and age < 18:
                return NotListed(
                    lst.id, listing.id, f"{ex.description} (age {age})", ex.legal_basis
                )
        else:
            for x in known:
                r = x.record
                if r.category in ex.categories and r.refers_to == listing.id:
                    return NotListed(
                        lst.id, listing.id, f"{ex.description} (record {r.id})", ex.legal_basis
                    )
    return None


def threshold_entries(
    scheme: str,
    lst: ListDef,
    entry: ThresholdEntry,
    effective: Sequence[Effective],
    at: datetime,
    first_day: date,
) -> list[ListEntry]:
    """Conduct before the scheme's first version (``first_day``) never counts."""
    hits = [
        e
        for e in effective
        if e.record.category in entry.categories
        and e.record.occurred_at <= at
        and china_day(e.record.occurred_at) >= first_day
    ]
    hits.sort(key=lambda e: (e.record.occurred_at, e.record.id))
    count = entry.count.value
    out: list[ListEntry] = []
    current: dict[str, Any] | None = None
    for i, e in enumerate(hits):
        t = e.record.occurred_at
        start = entry.window.before(t)
        window = [
            h
            for h in hits[: i + 1]
            if h.record.occurred_at > start and (h.ends_at is None or h.ends_at > t)
        ]
        if len(window) < count:
            continue
        end = entry.term.after(t)
        if current is not None and t < current["until"]:
            current["until"] = max(current["until"], end)
            current["records"] = sorted({*current["records"], *(h.record.id for h in window)})
            continue
        if current is not None:
            out.append(_threshold_entry(scheme, lst, entry, current))
        current = {"since": t, "until": end, "records": [h.record.id for h in window]}
    if current is not None:
        out.append(_threshold_entry(scheme, lst, entry, current))
    return out


def _threshold_entry(
    scheme: str, lst: ListDef, entry: ThresholdEntry, c: dict[str, Any]
) -> ListEntry:
    cause = {
        "kind": "threshold",
        "rule": entry.description,
        "count": entry.count.value,
        "window": str(entry.window),
        "record_ids": c["records"],
    }
    return ListEntry(
        scheme,
        lst.id,
        lst.title,
        lst.polarity,
        c["since"],
        c["until"],
        cause,
        entry.legal_basis,
        str(entry.term),
        _objection(lst),
    )


def state_entry(
    scheme: str,
    lst: ListDef,
    entry: GradeEntry | ScoreEntry,
    score: int | None,
    grade: str | None,
    since: datetime,
) -> ListEntry | None:
    """A grade/score entry in force at the moment scored (``since`` = that moment)."""
    if isinstance(entry, GradeEntry):
        if grade is None or grade not in entry.grades:
            return None
        cause: dict[str, Any] = {"kind": "grade", "grade": grade, "rule": entry.description}
    else:
        if score is None:
            return None
        if entry.at_least is not None and score < entry.at_least.value:
            return None
        if entry.below is not None and score >= entry.below.value:
            return None
        cause = {"kind": "score", "score": score, "rule": entry.description}
    return ListEntry(
        scheme,
        lst.id,
        lst.title,
        lst.polarity,
        since,
        None,
        cause,
        lst.legal_basis,
        None,
        _objection(lst),
    )


def _rules_on(scheme: Any, list_id: str) -> ListOn:
    """The definition of list ``list_id`` in the version of ``scheme`` in force at an instant."""

    def on(t: datetime) -> ListDef | None:
        v = scheme.version_on(t)
        return None if v is None else next((x for x in v.lists if x.id == list_id), None)

    return on


def list_entries(
    scheme: Any,
    subject: str,
    records: Iterable[Record],
    at: datetime,
    known_at: datetime | None = None,
    *,
    age_on: AgeOn,
    score: int | None = None,
    grade: str | None = None,
) -> tuple[list[ListEntry], list[NotListed]]:
    """All entries of ``subject`` under ``scheme``'s lists in the version in force at ``at``.

    Grade/score entries need the subject's ``score``/``grade`` at ``at`` (from the scorer).
    """
    version = scheme.version_on(at)
    if version is None:
        return [], []
    if not_covered(scheme.meta.covers, subject, china_day(at)) is not None:
        return [], []  # outside the population the scheme covers: on none of its lists
    effective, _ = resolve([r for r in records if r.subject == subject], known_at)
    wanted = scheme.meta.rated_only_with
    if wanted and not any(
        e.record.category in wanted and e.record.occurred_at <= at for e in effective
    ):
        return [], []  # not rated: no record of meta.rated_only_with yet
    out: list[ListEntry] = []
    refused: list[NotListed] = []
    for lst in version.lists:
        for entry in lst.entries:
            if isinstance(entry, RecordEntry):
                got, no = record_entries(
                    scheme.name, lst, entry, effective, at, age_on, _rules_on(scheme, lst.id)
                )
                out.extend(got)
                refused.extend(no)
            elif isinstance(entry, ThresholdEntry):
                out.extend(
                    threshold_entries(
                        scheme.name,
                        lst,
                        entry,
                        effective,
                        at,
                        scheme.versions[0].effective_from,
                    )
                )
            else:
                st = state_entry(scheme.name, lst, entry, score, grade, at)
                if st is not None:
                    out.append(st)
        if lst.moved_from:
            from xinyong.core.list_moves import moved_entries  # imports this module

            out.extend(moved_entries(scheme.name, lst, version.lists, effective, at, age_on))
    out.sort(key=lambda x: (x.since, x.list_id))
    return out, refused
