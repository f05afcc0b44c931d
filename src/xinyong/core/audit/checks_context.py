"""Context and proportion: detriment in a context unrelated to where the records were made,
and measures heavier than the least grave conduct that can trigger them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.core.audit.context import AuditContext
from xinyong.core.audit.findings import Hit
from xinyong.core.audit.paths import measure_triggers

GRAVITY = {"minor": 1, "general": 2, "serious": 3}
MEASURE_SEVERITY = {"minor": 1, "moderate": 2, "severe": 3}


def cross_context(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """A measure at a gate of one domain, triggered by records of unrelated domains.

    ``params.effects``: which measures to look at ("deny", "benefit"; default both).
    """
    effects = params.get("effects", ["deny", "benefit"])
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if m.effect not in effects:
            continue
        triggers = measure_triggers(ctx, m)
        for g in m.gates:
            gate_domain = doc.memo.gate_domains[g]
            foreign = [
                t
                for t in triggers
                if not ctx.is_related(ctx.categories[t.category].domain, gate_domain)
            ]
            if not foreign:
                continue
            by_domain: dict[str, list[str]] = {}
            for t in foreign:
                by_domain.setdefault(ctx.categories[t.category].domain, []).append(t.category)
            sources = "; ".join(
                f"{d}: {', '.join(sorted(set(c)))}" for d, c in sorted(by_domain.items())
            )
            hits.append(
                Hit(
                    doc.name,
                    doc.file,
                    f"measures[{i}]",
                    f"{m.id} ({m.effect}) at gate {g} [{gate_domain}] is triggered by records "
                    f"of unrelated contexts ({sources})",
                    tuple(f"{t.step} -> {m.id} at {g} [{gate_domain}]" for t in foreign[:6]),
                )
            )
            break  # one finding per measure: the first gate shows the problem
    return hits


def disproportion(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """A deny measure more severe than the least grave conduct that can trigger it."""
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if m.effect != "deny" or m.severity is None:
            continue
        graded = [
            (GRAVITY[ctx.categories[t.category].gravity], t)
            for t in measure_triggers(ctx, m)
            if ctx.categories[t.category].gravity in GRAVITY
        ]
        if not graded:
            continue
        least = min(g for g, _ in graded)
        if MEASURE_SEVERITY[m.severity] <= least:
            continue
        paths = [t for g, t in graded if g == least]
        gravity = ctx.categories[paths[0].category].gravity
        hits.append(
            Hit(
                doc.name,
                doc.file,
                f"measures[{i}]",
                f"{m.id} is {m.severity}, but {gravity} conduct "
                f"({', '.join(sorted({t.category for t in paths}))}) can trigger it",
                tuple(f"{t.step} -> {m.id} ({m.severity})" for t in paths[:6]),
            )
        )
    return hits
