"""Running profiles: each rule runs its check; each hit becomes a finding with the rule's
article, quote, source, confidence, why and fix."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from xinyong.core.audit import checks_basis, checks_context, checks_data, checks_procedure
from xinyong.core.audit.context import AuditContext
from xinyong.core.audit.findings import Finding, Hit, ordered
from xinyong.core.audit.profile import Profile

Check = Callable[[AuditContext, Mapping[str, Any]], list[Hit]]

CHECKS: dict[str, Check] = {
    "cross-context": checks_context.cross_context,
    "disproportion": checks_context.disproportion,
    "legal-basis": checks_basis.legal_basis,
    "unverified": checks_basis.unverified,
    "term-without-end": checks_procedure.term_without_end,
    "objection-route": checks_procedure.objection_route,
    "notice": checks_procedure.notice,
    "human-review": checks_procedure.human_review,
    "sensitive-data": checks_data.sensitive_data,
    "minors": checks_data.minors,
    "others-records": checks_data.others_records,
    "retention": checks_data.retention,
}


def audit(ctx: AuditContext, profiles: Sequence[Profile]) -> list[Finding]:
    """Every finding of every rule of ``profiles`` on the targets of ``ctx``, most severe first."""
    out: list[Finding] = []
    for p in profiles:
        for rule in p.rules:
            src = p.source(rule.source)
            for hit in CHECKS[rule.check](ctx, rule.params):
                out.append(
                    Finding(
                        profile=p.name,
                        rule=rule.id,
                        severity=rule.severity,
                        hit=hit,
                        why=rule.why,
                        article=rule.article,
                        quote=rule.quote,
                        source=src.title,
                        source_url=src.url,
                        confidence=rule.confidence,
                        fix=rule.fix,
                    )
                )
    return ordered(out)


def clean_rules(findings: Sequence[Finding], profiles: Sequence[Profile]) -> list[str]:
    """The rules (``profile.rule``) that found nothing: what the targets satisfy."""
    hit = {(f.profile, f.rule) for f in findings}
    return [f"{p.name}.{r.id}" for p in profiles for r in p.rules if (p.name, r.id) not in hit]
