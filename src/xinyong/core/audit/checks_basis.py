"""Legal basis: measures whose basis is not of a rank the legal order accepts, blank bases,
and rules or measures that rest only on unverified values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xinyong.core.audit.context import AuditContext
from xinyong.core.audit.findings import Hit


def legal_basis(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Deny measures whose basis rank is not in ``params.accepted_ranks``; blank bases."""
    accepted = set(params.get("accepted_ranks", []))
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if not m.legal_basis.strip():
            hits.append(Hit(doc.name, doc.file, f"measures[{i}]", f"{m.id} names no legal basis"))
        elif m.effect == "deny" and m.basis_rank not in accepted:
            rank = m.basis_rank or "not stated"
            hits.append(
                Hit(
                    doc.name,
                    doc.file,
                    f"measures[{i}]",
                    f"{m.id} rests on a basis of rank '{rank}' ({m.legal_basis}); accepted "
                    f"ranks: {', '.join(sorted(accepted))}",
                )
            )
    for s in ctx.scoped_schemes():
        for vi, v in enumerate(s.scheme.versions):
            for ri, r in enumerate(v.rules):
                if not r.legal_basis.strip():
                    key = f"versions[{vi}].rules[{ri}]"
                    hits.append(Hit(s.name, s.file, key, f"rule for {r.category} names no basis"))
            for li, lst in enumerate(v.lists):
                if not lst.legal_basis.strip():
                    key = f"versions[{vi}].lists[{li}]"
                    hits.append(Hit(s.name, s.file, key, f"list {lst.id} names no legal basis"))
    return hits


def unverified(ctx: AuditContext, params: Mapping[str, Any]) -> list[Hit]:
    """Measures marked U, and schemes with parameters marked U (one finding per scheme)."""
    hits: list[Hit] = []
    for doc, i, m in ctx.scoped_measures():
        if (m.confidence or doc.memo.meta.default_confidence) == "U":
            hits.append(
                Hit(
                    doc.name,
                    doc.file,
                    f"measures[{i}]",
                    f"{m.id} ({m.effect}) is marked U: its trigger or basis is unverified",
                )
            )
    for s in ctx.scoped_schemes():
        paths = s.scheme.unverified()
        if paths:
            shown = ", ".join(paths[:5]) + (", ..." if len(paths) > 5 else "")
            hits.append(
                Hit(
                    s.name,
                    s.file,
                    "versions",
                    f"{len(paths)} parameter(s) marked U: {shown}",
                )
            )
    return hits
