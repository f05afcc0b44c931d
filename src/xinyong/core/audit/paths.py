"""Paths from records to consequences: which record categories feed a list or a score, and
through which rule, threshold or entry (the steps the audit shows)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from xinyong.core.audit.context import AuditContext, SchemeDoc
from xinyong.core.sanctions import Measure
from xinyong.core.schemes.lists import GradeEntry, RecordEntry, ScoreEntry, ThresholdEntry


@dataclass(frozen=True, slots=True)
class Trigger:
    """One record category that can bring a subject to a consequence, and how."""

    category: str
    scheme: str
    key: str
    """Where in the scheme file the category acts (a rule, an override or a list entry)."""
    step: str


def score_triggers(doc: SchemeDoc, adverse: bool, threshold: str) -> Iterator[Trigger]:
    """Categories whose rules move the score (down, if ``adverse``), and overrides."""
    for vi, v in enumerate(doc.scheme.versions):
        for ri, r in enumerate(v.rules):
            if adverse and r.points.value >= 0:
                continue
            yield Trigger(
                r.category,
                doc.name,
                f"versions[{vi}].rules[{ri}]",
                f"{r.category}: {r.points.value:+d} points for {r.validity} -> {threshold}",
            )
        if adverse:
            for oi, o in enumerate(getattr(v, "overrides", [])):
                for c in o.categories:
                    yield Trigger(
                        c,
                        doc.name,
                        f"versions[{vi}].overrides[{oi}]",
                        f"{c}: grade at most {o.max_grade} for {o.validity} -> {threshold}",
                    )


def list_triggers(doc: SchemeDoc, list_id: str, adverse: bool) -> Iterator[Trigger]:
    for vi, v in enumerate(doc.scheme.versions):
        for li, lst in enumerate(v.lists):
            if lst.id != list_id:
                continue
            where = f"{doc.name}/{lst.id}"
            for e in lst.entries:
                if isinstance(e, GradeEntry):
                    grades = f"grade {'/'.join(e.grades)}{_cut_offs(v, e.grades)}"
                    yield from score_triggers(doc, adverse, f"{grades} -> {where}")
                elif isinstance(e, ScoreEntry):
                    yield from score_triggers(doc, adverse, f"{_bound(e)} -> {where}")
                elif isinstance(e, ThresholdEntry):
                    for c in e.categories:
                        yield Trigger(
                            c,
                            doc.name,
                            f"versions[{vi}].lists[{li}]",
                            f"{c}: {e.count.value} records within {e.window} -> {where} "
                            f"for {e.term}",
                        )
                elif isinstance(e, RecordEntry):
                    for c in e.categories:
                        yield Trigger(
                            c, doc.name, f"versions[{vi}].lists[{li}]", f"{c}: listed -> {where}"
                        )


def _cut_offs(version: Any, grades: list[str]) -> str:
    """' (score below 900)': the score range of the lowest of ``grades``, from the bands."""
    bands = getattr(version, "bands", [])
    chosen = [i for i, b in enumerate(bands) if b.grade in grades]
    if not chosen:
        return ""
    i = max(chosen)
    if i == len(bands) - 1 and i > 0:
        return f" (score below {bands[i - 1].min.value})"
    if bands[i].min is not None:
        return f" (score {bands[i].min.value} or more)"
    return ""


def _bound(e: ScoreEntry) -> str:
    parts = []
    if e.at_least is not None:
        parts.append(f"score >= {e.at_least.value}")
    if e.below is not None:
        parts.append(f"score < {e.below.value}")
    return " and ".join(parts)


def measure_triggers(ctx: AuditContext, m: Measure) -> list[Trigger]:
    """Every record category that can trigger ``m`` (for a deny measure: only those that
    count against the subject; for a benefit: every category that moves the score)."""
    adverse = m.effect == "deny"
    out: list[Trigger] = []
    for name in m.lists:
        scheme, list_id = name.split("/")
        doc = ctx.schemes.get(scheme)
        if doc is not None:
            out += list_triggers(doc, list_id, adverse)
    if m.score is not None and (doc := ctx.schemes.get(m.score.scheme)) is not None:
        out += score_triggers(doc, adverse, f"{doc.name} score >= {m.score.at_least.value}")
    return _unique(out)


def _unique(triggers: list[Trigger]) -> list[Trigger]:
    seen: dict[tuple[str, str], Trigger] = {}
    for t in triggers:
        seen.setdefault((t.category, t.step), t)
    return list(seen.values())


def days(duration: Any) -> int:
    """A duration in days, roughly (a year is 365 days, a month 30), to compare lengths."""
    return int(duration.years * 365 + duration.months * 30 + duration.days)
