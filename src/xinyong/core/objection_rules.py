"""The rules that govern an objection: who decides, and within which periods.

Rules are data (``src/xinyong/data/procedures/objections.toml``). The rule for a target is the
first whose ``lists`` (``scheme/list`` patterns) or ``categories`` (record categories,
``family.*`` patterns) match it; the ``default`` rule governs everything else.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, PlainSerializer, ValidationError, model_validator

from xinyong.core.errors import SchemeError
from xinyong.core.schemes.model import format_validation_error
from xinyong.core.schemes.params import Confidence, Strict
from xinyong.core.workdays import Period

TargetKind = Literal["record", "list_entry"]


def _period(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return Period.parse(v)
        except ValueError as e:
            raise ValueError(str(e)) from None
    return v


PeriodField = Annotated[Period, BeforeValidator(_period), PlainSerializer(str)]


class ObjectionRule(Strict):
    id: str
    title: str
    default: bool = False
    lists: list[str] = []
    categories: list[str] = []
    deciding_body: str
    reconsideration_body: str
    legal_basis: str
    decision: PeriodField
    """From filing to the decision."""
    correction: PeriodField
    """From an upholding decision to the corrected entry."""
    reconsideration_filing: PeriodField
    """From a rejection: the window to ask for reconsideration."""
    reconsideration_decision: PeriodField
    """From the reconsideration request to its decision."""
    roll: bool = True
    confidence: Confidence
    source: str

    def matches(self, kind: TargetKind, target: str, category: str | None) -> bool:
        if kind == "list_entry":
            return any(fnmatchcase(target, p) for p in self.lists)
        return category is not None and any(fnmatchcase(category, p) for p in self.categories)

    def periods(self) -> dict[str, str]:
        return {
            "decision": self.decision.describe(),
            "correction": self.correction.describe(),
            "reconsideration_filing": self.reconsideration_filing.describe(),
            "reconsideration_decision": self.reconsideration_decision.describe(),
        }


class ObjectionRules(Strict):
    rules: list[ObjectionRule]

    @model_validator(mode="after")
    def _one_default(self) -> ObjectionRules:
        defaults = [r.id for r in self.rules if r.default]
        if len(defaults) != 1:
            raise ValueError(f"exactly one rule must have default = true, got {defaults}")
        ids = [r.id for r in self.rules]
        if len(ids) != len(set(ids)):
            raise ValueError(f"rule ids must be unique, got {ids}")
        return self

    def governing(
        self, kind: TargetKind, target: str, category: str | None = None
    ) -> ObjectionRule:
        """The rule for an objection to ``target`` (a record of ``category``, or a list)."""
        for r in self.rules:
            if not r.default and r.matches(kind, target, category):
                return r
        return next(r for r in self.rules if r.default)

    def by_id(self, rule_id: str) -> ObjectionRule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise SchemeError(
            f"no objection rule {rule_id!r}; known: {', '.join(r.id for r in self.rules)}"
        )


def parse_objection_rules(data: dict[str, Any], origin: str) -> ObjectionRules:
    try:
        return ObjectionRules.model_validate(data)
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, origin)) from None
