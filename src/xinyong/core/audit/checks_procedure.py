"""Procedure: terms without end, objections without a route or deadline, adverse decisions
without what a notice needs, and listings decided by automated processing alone."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from typing import Any

from xinyong.core.audit.context import AuditContext, SchemeDoc
from xinyong.core.audit.findings import Hit
from xinyong.core.schemes.lists import UNTIL_REMOVAL, ListDef, RecordEntry

_DAYS = re.compile(r"(\d+)(?:\s*-\s*(\d+))?\s*(working\s+)?days?")


def black_lists(s: SchemeDoc) -> Iterator[tuple[str, ListDef]]:
    for vi, v in enumerate(s.scheme.versions):
        for li, lst in enumerate(v.lists):
            if lst.polarity == "black":
                yield f"versions[{vi}].lists[{li}]", lst


def term_without_end(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Black-list entries with no fixed term. With ``params.removal_route_suffices`` an entry
    that a removal event (performance, settlement, ...) ends is accepted."""
    suffices = bool(params.get("removal_route_suffices", False))
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        for key, lst in black_lists(s):
            for e in lst.entries:
                if not isinstance(e, RecordEntry):
                    continue
                open_ended = e.term == UNTIL_REMOVAL or UNTIL_REMOVAL in e.terms.values()
                if not open_ended or (suffices and lst.removals):
                    continue
                routes = ", ".join(r.event for r in lst.removals) or "none"
                hits.append(
                    Hit(
                        s.name,
                        s.file,
                        key,
                        f"{s.name}/{lst.id}: an entry lasts until removal, with no maximum "
                        f"term (removal events: {routes})",
                    )
                )
    return hits


def deadline_days(text: str) -> int | None:
    """The longest deadline in days that ``text`` states (working days count 7/5), if any."""
    found = [
        math.ceil(int(hi or lo) * (1.4 if working else 1))
        for lo, hi, working in _DAYS.findall(text)
    ]
    return max(found) if found else None


def objection_route(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Black lists whose objection has no body, no stated deadline, or one longer than
    ``params.max_days``; deny measures triggered by a score alone (no entry to object to)."""
    limit = params.get("max_days")
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        for key, lst in black_lists(s):
            o = lst.objection
            days = deadline_days(o.decision_within)
            if not o.body.strip() or not o.how.strip():
                found = "names no body or no way to object"
            elif days is None:
                found = f"states no deadline for the decision ({o.decision_within!r})"
            elif limit is not None and days > limit:
                found = f"allows {days} days for the decision ({o.decision_within!r})"
            else:
                continue
            hits.append(Hit(s.name, s.file, f"{key}.objection", f"{s.name}/{lst.id}: {found}"))
    for doc, i, m in ctx.scoped_measures():
        if m.effect == "deny" and not m.lists:
            hits.append(
                Hit(
                    doc.name,
                    doc.file,
                    f"measures[{i}]",
                    f"{m.id} denies on a score alone: there is no list entry to object to",
                )
            )
    return hits


def notice(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Adverse decisions whose notice could not say why or how to contest: a deny measure
    without a description or basis, a black list without an objection route."""
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if m.effect == "deny" and not (m.description.strip() and m.legal_basis.strip()):
            found = f"{m.id}: a notice of this denial could not state its reasons and basis"
            hits.append(Hit(doc.name, doc.file, f"measures[{i}]", found))
    for s in ctx.scoped_schemes():
        for key, lst in black_lists(s):
            if not (lst.objection.how.strip() and lst.objection.body.strip()):
                found = f"{s.name}/{lst.id}: a listing notice could not say how to dispute it"
                hits.append(Hit(s.name, s.file, f"{key}.objection", found))
    return hits


def human_review(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Black-list entries made by the engine alone (a grade, a score or a count of records),
    not by a decision of a person; says whether a person reviews on objection."""
    hits: list[Hit] = []
    for s in ctx.scoped_schemes():
        for key, lst in black_lists(s):
            automated = [e.kind for e in lst.entries if e.kind != "record"]
            if not automated:
                continue
            review = (
                f"a person reviews only on objection ({lst.objection.body})"
                if lst.objection.body.strip()
                else "no person reviews it"
            )
            hits.append(
                Hit(
                    s.name,
                    s.file,
                    key,
                    f"{s.name}/{lst.id}: listed automatically ({', '.join(automated)} entry); "
                    f"{review}",
                )
            )
    return hits
