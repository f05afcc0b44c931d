"""Audit profiles as data: one legal order per file, every rule with its article, the quoted
text, the source and a confidence mark (V read in the primary text, S in a secondary source
or a reproduction, U not verified)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationError, model_validator

from xinyong.core.audit.findings import Severity
from xinyong.core.errors import SchemeError
from xinyong.core.schemes.model import format_validation_error
from xinyong.core.schemes.params import Confidence, Strict

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]


class ProfileSource(Strict):
    id: str
    title: str
    url: str
    confidence: Confidence
    note: str = ""


class ProfileRule(Strict):
    id: Name
    check: str
    """The check (a function in :data:`xinyong.core.audit.run.CHECKS`) this rule runs."""
    severity: Severity
    article: str
    quote: str
    """The words of the article relied on, as found in the source (empty if not found)."""
    source: str
    confidence: Confidence
    why: str
    fix: str
    params: dict[str, Any] = {}


class ProfileMeta(Strict):
    name: Name
    title: str
    jurisdiction: str
    description: str


class Profile(Strict):
    profile: ProfileMeta
    sources: list[ProfileSource]
    rules: list[ProfileRule]

    @property
    def name(self) -> str:
        return self.profile.name

    def source(self, ref: str) -> ProfileSource:
        return next(s for s in self.sources if s.id == ref)

    @model_validator(mode="after")
    def _refs(self) -> Profile:
        ids = {s.id for s in self.sources}
        seen: set[str] = set()
        for i, r in enumerate(self.rules):
            if r.source not in ids:
                raise ValueError(f"rules[{i}].source: {r.source!r} is not one of {sorted(ids)}")
            if r.id in seen:
                raise ValueError(f"rules[{i}].id: {r.id!r} is used twice")
            seen.add(r.id)
        return self


def parse_profile(data: dict[str, Any], origin: str) -> Profile:
    """Validate a parsed profile document; errors name ``origin`` and the key path."""
    try:
        return Profile.model_validate(data)
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, origin)) from None
