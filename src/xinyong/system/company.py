"""A company's public credit information, as a Credit China company page shows it.

:func:`company_file` gathers, for one unified social credit code at one moment:

* administrative penalties and other records under the publication rules that are published
  at that moment (with their class, the regime followed, when publication ends and from when
  a credit repair may end it);
* the company's list entries in force that the list publishes (``published_fields``), each
  with its cause, legal basis, term, how to object and the removal routes of its list;
* its ratings where a rating is public: a grade is public only while it puts the company on a
  list that publishes its entries (the tax rating's A-level list);
* the unverified values (U) of every scheme it draws on.

Nothing here is new policy: it reads the engine's view and the publication rules. xinyong
holds no company names, so a company is found by its code only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from xinyong.core.codes import check
from xinyong.core.errors import XinyongError
from xinyong.core.lists import ListEntry
from xinyong.core.publication import Publication, publication_of
from xinyong.core.records import Record, resolve
from xinyong.core.timeutil import iso
from xinyong.system.catalogue import catalogue

if TYPE_CHECKING:
    from xinyong.system.credit_system import CreditSystem

REPAIR_HOW = (
    "credit repair: after the minimum publication period, with every obligation of the "
    "decision met and a public written commitment (xinyong repair request; portal: objections)"
)


class NotACompany(XinyongError):
    """The code is not a valid unified social credit code."""


@dataclass(frozen=True)
class CompanyFile:
    code: str
    at: datetime
    registration: dict[str, Any]
    penalties: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    ratings: list[dict[str, Any]] = field(default_factory=list)
    unverified: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "at": iso(self.at),
            "registration": self.registration,
            "penalties": self.penalties,
            "list_entries": self.entries,
            "ratings": self.ratings,
            "ratings_note": "only ratings that a list publishes are shown; others are not public",
            "unverified": self.unverified,
            "names": "not held: records are attributed to codes",
        }


def company_file(system: CreditSystem, code: str, at: datetime) -> CompanyFile:
    """The public credit information of the company with USCC ``code`` at ``at``."""
    c = check(code.strip().upper())
    if c.kind != "organisation" or not c.valid:
        why = c.reason or f"it is a {c.kind} code"
        raise NotACompany(
            f"{code!r} is not a company's unified social credit code ({why}); give the "
            "18-character USCC, e.g. 91310115100000016P"
        )
    records = list(system.records(c.code))
    by_id = {r.id: r for r in records}
    view = system.view(c.code, at)
    schemes = system.engine.schemes
    used: set[str] = set()
    entries = []
    for e in view.in_force():
        lst = _list_def(schemes[e.scheme], e, at)
        if lst is None or not lst.published_fields or not _shown(e, by_id, at):
            continue
        used.add(e.scheme)
        entries.append(_entry(e, lst))
    ratings = []
    for name, result in sorted(view.scores.items()):
        via = sorted({x["list"] for x in entries if x["list"].startswith(f"{name}/")})
        if result.grade is None or not via:
            continue  # a rating is public only through a list that publishes it
        used.add(name)
        ratings.append(
            {"scheme": name, "grade": result.grade, "score": result.score, "published_by": via}
        )
    return CompanyFile(
        c.code,
        at,
        dict(c.fields),
        _penalties(records, at),
        entries,
        ratings,
        {n: list(schemes[n].unverified()) for n in sorted(used) if schemes[n].unverified()},
    )


def _list_def(scheme: Any, e: ListEntry, at: datetime) -> Any:
    version = scheme.version_at(at.date())
    return next((x for x in version.lists if x.id == e.list_id), None) if version else None


def _entry(e: ListEntry, lst: Any) -> dict[str, Any]:
    d = e.to_dict()
    return {
        "list": f"{e.scheme}/{e.list_id}",
        "title": e.title,
        "polarity": e.polarity,
        "since": d["since"],
        "until": d["until"],
        "term": e.term,
        "basis": e.legal_basis,
        "cause": e.cause,
        "how_to_object": e.objection,
        "how_to_get_off": [f"{r.description} ({r.legal_basis})" for r in lst.removals],
    }


def _publication(listing: Record, records: dict[str, Record], at: datetime) -> Publication | None:
    cls = catalogue().publication_classes().get(listing.category)
    if cls is None:
        return None
    effective, _ = resolve(list(records.values()))
    found = next((x for x in effective if x.record.id == listing.id), None)
    return None if found is None else publication_of(found, cls, catalogue().publication)


def _shown(e: ListEntry, records: dict[str, Record], at: datetime) -> bool:
    """An entry resting on a record under the publication rules shows only while that record
    is published (as on the public portal)."""
    listing = records.get(str(e.cause.get("record_id", "")))
    if e.cause.get("kind") != "record" or listing is None:
        return True
    pub = _publication(listing, records, at)
    return pub is None or pub.shown(at)


def _penalties(records: list[Record], at: datetime) -> list[dict[str, Any]]:
    cat = catalogue()
    classes = cat.publication_classes()
    effective, _ = resolve(records)
    out = []
    for x in effective:
        r = x.record
        if r.category not in classes or r.occurred_at > at:
            continue
        p = publication_of(x, classes[r.category], cat.publication)
        if not p.shown(at):
            continue
        out.append(
            {
                "record_id": r.id,
                "category": r.category,
                "title": cat.categories[r.category].title,
                "class": p.cls,
                "decided": iso(r.occurred_at),
                "by": r.source,
                "legal_basis": r.legal_basis,
                "published_until": iso(p.ends_at) if p.ends_at else None,
                "repair_possible_from": iso(p.min_end) if p.min_end else None,
                "publication_rules": p.legal_basis,
                "how_to_repair": REPAIR_HOW,
            }
        )
    return out
