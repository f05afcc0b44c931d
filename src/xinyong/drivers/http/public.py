"""What the public may see: masked identity numbers, a list's published fields, plain words.

A list entry resting on a record under the publication rules (administrative penalties) is
shown only while that record is published: never for a class that is not published (minor
penalties under the 2026 measures), and not after its maximum period or a credit repair
(:mod:`xinyong.core.publication`; the end is computed, no job has to run).

Identity numbers of people are always masked in public views (``1101**********002X``);
names are not held at all (records arrive attributed to codes), so a published ``name`` field
shows as not held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from xinyong.core.codes import check
from xinyong.core.evaluate import age_on
from xinyong.core.lists import ListEntry, state_entry
from xinyong.core.publication import Publication, publication_of
from xinyong.core.records import Record, resolve
from xinyong.core.schemes.lists import UNTIL_REMOVAL, ListDef
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.scoring.result import ScoreResult
from xinyong.core.state_since import state_since
from xinyong.core.timeutil import Duration, china_day, iso
from xinyong.system.catalogue import catalogue, publication_classes

NOT_HELD = None
"""The value of a published field xinyong does not hold (names)."""


def mask(code: str) -> str:
    """A subject code for public view: people's identity numbers keep 4 + 4 characters."""
    c = code.strip().upper()
    kind = check(c).kind if len(c) in (15, 18) else None
    if kind == "organisation":
        return c
    if len(c) <= 8:
        return "*" * len(c)
    return c[:4] + "*" * (len(c) - 8) + c[-4:]


def kind_of(code: str) -> str:
    return {"resident": "person", "organisation": "organisation"}.get(
        str(check(code).kind), "unknown"
    )


def entry_publication(
    entry: ListEntry, records: Mapping[str, Record], at: datetime
) -> Publication | None:
    """The publication of the record an entry rests on, when that record's category is under
    the publication rules (else None: the list's own rules decide)."""
    if entry.cause.get("kind") != "record":
        return None
    listing = records.get(str(entry.cause.get("record_id", "")))
    if listing is None:
        return None
    cls = publication_classes().get(listing.category)
    if cls is None:
        return None
    effective, _ = resolve([r for r in records.values() if r.subject == listing.subject], at)
    found = next((e for e in effective if e.record.id == listing.id), None)
    return None if found is None else publication_of(found, cls, catalogue().publication)


def shown(entry: ListEntry, records: Mapping[str, Record], at: datetime) -> bool:
    """Whether the public may see this entry at ``at`` (publication periods respected)."""
    pub = entry_publication(entry, records, at)
    return pub is None or pub.shown(at)


def published(
    fields: Sequence[str],
    entry: ListEntry,
    subject: str,
    at: datetime,
    *,
    grade: str | None,
    records: Mapping[str, Record],
) -> dict[str, Any]:
    """The values of a list's ``fields`` for one entry; fields for the other kind are left out.

    Nothing (an empty mapping) while the record the entry rests on is not published."""
    if not shown(entry, records, at):
        return {}
    kind = kind_of(subject)
    listing = records.get(str(entry.cause.get("record_id", "")))
    details: Mapping[str, Any] = listing.details if listing is not None else {}
    out: dict[str, Any] = {}
    for f in fields:
        prefix, _, name = f.rpartition(".")
        if prefix and prefix != kind:
            continue
        out[f] = _value(name, entry, subject, at, grade, details)
    return out


def entry_view(
    fields: Sequence[str],
    entry: ListEntry,
    subject: str,
    at: datetime,
    *,
    grade: str | None,
    records: Mapping[str, Record],
    reached: datetime | None = None,
) -> dict[str, Any]:
    """What the public sees of one list entry: its term, published fields and the plain-words
    explanation (with the publication period, when one applies). ``reached``: for an entry
    made by a grade or score, when the subject reached it (:func:`reached_on`); it is then
    the entry's start."""
    view: dict[str, Any] = {
        "since": iso(reached or entry.since),
        "until": iso(entry.until) if entry.until else None,
        "term": term_words(entry.term),
        "fields": published(fields, entry, subject, at, grade=grade, records=records),
        "explanation": explain(entry, at, reached),
    }
    if reached is not None:
        view["reached"] = iso(reached)
    pub = entry_publication(entry, records, at)
    if pub is not None:
        view["publication"] = pub.to_dict(at)
        view["explanation"] += " " + pub.explain(at)
    return view


def reached_on(
    scheme: AnyScheme, entry: ListEntry, subject: str, records: Iterable[Record], at: datetime
) -> datetime | None:
    """For an entry made by a grade or a score: when the subject reached that grade or score
    range (the start of the unbroken stretch up to ``at``); else ``None``."""
    c = entry.cause
    if c.get("kind") == "grade":
        grade = c.get("grade")
        return state_since(scheme, subject, records, at, lambda r: r.grade == grade)
    if c.get("kind") == "score":
        lst = next((x for x in _lists_on(scheme, at) if x.id == entry.list_id), None)
        if lst is None:
            return None

        def inside(r: ScoreResult) -> bool:
            return r.score is not None and any(
                state_entry(scheme.name, lst, e, r.score, r.grade, at) is not None
                for e in lst.entries
                if e.kind == "score"
            )

        return state_since(scheme, subject, records, at, inside)
    return None


def _lists_on(scheme: AnyScheme, at: datetime) -> list[ListDef]:
    version = scheme.version_on(at)
    return [] if version is None else list(version.lists)


def term_words(term: str | None) -> str | None:
    """A list term in words: ``2y`` -> "2 years", ``until-removal`` -> "until removed"."""
    if term is None:
        return None
    if term == UNTIL_REMOVAL:
        return "until removed"
    try:
        d = Duration.parse(term)
    except ValueError:
        return term.replace("-", " ")
    parts = [
        f"{n} {unit}{'' if n == 1 else 's'}"
        for n, unit in ((d.years, "year"), (d.months, "month"), (d.days, "day"))
        if n
    ]
    return " and ".join(parts) or "no time"


def _value(
    name: str,
    entry: ListEntry,
    subject: str,
    at: datetime,
    grade: str | None,
    details: Mapping[str, Any],
) -> Any:
    if name in ("id_number", "uscc", "code"):
        return mask(subject)
    if name == "name":
        return NOT_HELD
    if name == "grade":
        return grade
    if name == "sex":
        return check(subject).fields.get("sex")
    if name == "age":
        return age_on(subject, china_day(at))
    if name == "case_number":
        return entry.cause.get("evidence")
    if name == "enforcing_court":
        return entry.cause.get("source")
    if name == "dishonest_conduct":
        ground = entry.cause.get("ground", details.get("ground"))
        return None if ground is None else f"ground {ground}"
    if name in details:
        return details[name]
    return entry.cause.get(name)


def explain(entry: ListEntry, at: datetime, reached: datetime | None = None) -> str:
    """An entry in plain words: what, since when, why, until when, and (for an adverse
    entry) how to object. ``reached``: when a grade or score entry's grade was reached."""
    c = entry.cause
    adverse = entry.polarity == "black"
    since = reached or entry.since
    words = [
        f"{'On' if entry.in_force(at) else 'Was on'} the {entry.title} since {iso(since)[:10]}."
    ]
    if c.get("kind") == "record":
        words.append(
            f"The cause is record {c.get('record_id')} ({c.get('category')}) reported by "
            f"{c.get('source')}, made under {c.get('record_basis')}."
        )
    elif c.get("kind") in ("grade", "score"):
        what = f"grade {c.get('grade')}" if c.get("kind") == "grade" else f"score {c.get('score')}"
        when = (
            f", reached on {iso(reached)[:10]}"
            if reached is not None
            else f" on {iso(entry.since)[:10]}"
        )
        rule = str(c.get("rule") or "").rstrip(".")
        words.append(f"The cause is the subject's {what}{when}" + (f": {rule}." if rule else "."))
    elif c:
        words.append(
            "The cause is the subject's "
            + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in c.items() if k != "kind")
            + "."
        )
    words.append(f"The listing rests on {entry.legal_basis}.")
    if entry.until is not None:
        words.append(f"It ends on {iso(entry.until)[:10]}.")
    elif entry.term == UNTIL_REMOVAL:
        words.append("It lasts until it is removed.")
    elif entry.term:
        words.append(f"It lasts {term_words(entry.term)}.")
    if adverse:
        o = entry.objection
        words.append(
            f"If this is wrong, object to {o.get('body')}: {o.get('how')}. A decision is due "
            f"within {o.get('decision_within')}."
        )
    return " ".join(words)
