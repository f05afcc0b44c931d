"""Data: sensitive categories, measures that reach minors or other persons, and records that
keep counting longer than a retention or publication limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.core.audit.checks_procedure import black_lists
from xinyong.core.audit.context import AuditContext, SchemeDoc
from xinyong.core.audit.findings import Hit
from xinyong.core.audit.paths import days
from xinyong.core.publication import regime_on
from xinyong.core.schemes.lists import UNTIL_REMOVAL, RecordEntry, ThresholdEntry


def sensitive_data(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Rules on categories that reveal a kind of data in ``params.kinds``."""
    kinds = set(params.get("kinds", []))
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        seen: set[str] = set()
        for vi, v in enumerate(s.scheme.versions):
            for ri, r in enumerate(v.rules):
                found = kinds & set(ctx.categories[r.category].sensitive)
                if found and r.category not in seen:
                    seen.add(r.category)
                    hits.append(
                        Hit(
                            s.name,
                            s.file,
                            f"versions[{vi}].rules[{ri}]",
                            f"{r.category} reveals {', '.join(sorted(found))} data",
                        )
                    )
    return hits


def minors(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Black lists with no exclusion of minors; measures that fall on the subject's children."""
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        for key, lst in black_lists(s):
            if not any(x.kind == "minor" for x in lst.exclusions):
                found = f"{s.name}/{lst.id} has no exclusion of minors: a minor can be listed"
                hits.append(Hit(s.name, s.file, key, found))
    for doc, i, m in ctx.scoped_measures():
        if "children" in m.reaches:
            found = f"{m.id} ({m.effect}) falls on the listed person's children"
            hits.append(Hit(doc.name, doc.file, f"measures[{i}]", found))
    return hits


def others_records(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Measures that fall on persons other than the one whose records triggered them."""
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if m.reaches:
            found = (
                f"{m.id} treats the {', '.join(m.reaches)} of a listed person by that "
                "person's records"
            )
            hits.append(Hit(doc.name, doc.file, f"measures[{i}]", found))
    return hits


def retention(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Adverse records that count longer than ``params.max_years``; with
    ``params.publication``, longer than (or although not) published under the catalogue's
    publication regime in force when the scheme version took effect."""
    limit = params.get("max_years")
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        for vi, v in enumerate(s.scheme.versions):
            for ri, r in enumerate(v.rules):
                if r.points.value >= 0:
                    continue
                key = f"versions[{vi}].rules[{ri}]"
                if limit is not None and days(r.validity) > 365 * limit:
                    found = f"{r.category} counts for {r.validity}, over {limit} years"
                    hits.append(Hit(s.name, s.file, key, found))
                cls = ctx.categories[r.category].publication_class
                regime = regime_on(ctx.regimes, v.effective_from)
                if params.get("publication") and cls is not None and regime is not None:
                    period = regime.period(cls)  # type: ignore[arg-type]
                    if not period.published:
                        found = (
                            f"{r.category} ({cls}) counts although {regime.id} does not publish it"
                        )
                        hits.append(Hit(s.name, s.file, key, found))
                    elif period.max is not None and days(r.validity) > days(period.max):
                        found = (
                            f"{r.category} ({cls}) counts for {r.validity}, longer than its "
                            f"publication under {regime.id} ({period.max})"
                        )
                        hits.append(Hit(s.name, s.file, key, found))
        if limit is not None:
            hits += _long_terms(s, limit)
    return hits


def _long_terms(s: SchemeDoc, limit: int) -> list[Hit]:
    """Black-list entries whose term can exceed ``limit`` years (or has no maximum)."""
    hits: list[Hit] = []
    for key, lst in black_lists(s):
        for e in lst.entries:
            terms: list[Any] = []
            if isinstance(e, RecordEntry):
                terms = [e.term, *e.terms.values()]
            elif isinstance(e, ThresholdEntry):
                terms = [e.term]
            if UNTIL_REMOVAL in terms:
                term = "until removal (no maximum)"
            else:
                over = [t for t in terms if t is not None and days(t) > 365 * limit]
                if not over:
                    continue
                term = str(over[0])
            found = f"{s.name}/{lst.id}: an entry can last {term}, longer than {limit} years"
            hits.append(Hit(s.name, s.file, key, found))
    return hits
