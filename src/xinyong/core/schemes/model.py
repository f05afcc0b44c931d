"""The scheme models. A scheme file is validated strictly against these.

Four kinds share one vocabulary:

* ``points``    base + points per record (Rongcheng, Suining, Shenzhen traffic), graded in bands;
* ``scorecard`` weighted factors scaled to a range (Sesame Credit's 350-950), graded in bands;
* ``tiers``     good / bad / no comment from positive and negative records (Honest Shanghai);
* ``lists``     no score, only red/black lists (the SPC list of dishonest judgment defaulters).

Every kind has dated ``versions``. A record's points come from the version in force when the
record's act occurred (no retroactive rules); base, caps, bands, overrides and lists come
from the version in force at the moment scored.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, TypeAdapter, ValidationError, model_validator

from xinyong.core.errors import SchemeError
from xinyong.core.schemes.lists import ListDef
from xinyong.core.schemes.params import Confidence, DurationField, IntParam, Param, Strict
from xinyong.core.schemes.population import Population
from xinyong.core.timeutil import china_day


class Source(Strict):
    id: str
    title: str
    url: str | None = None
    confidence: Confidence


class Meta(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    jurisdiction: str
    description: str
    default_confidence: Confidence
    sources: list[Source]
    excluded_by_policy: list[str] = []
    """Parts of the real scheme deliberately not implemented, and why (e.g. speech)."""
    covers: Population | None = None
    """Whom the scheme applies to (None: every valid subject)."""
    rated_only_with: list[str] = []
    """Record categories one of which must exist for a subject (occurred by the moment
    evaluated) before the scheme scores, grades or lists it (the tax authority rates only the
    taxpayers it has registered): without one, the subject is not covered."""
    unverified_values: list[str] = []
    """Unverified values that cannot carry a mark themselves (durations such as a list's term),
    each as 'path (value)'; :meth:`SchemeBase.unverified` lists them after the parameters."""


class Rule(Strict):
    """Points for each record of one category. Its description is its published explanation."""

    category: str
    points: IntParam
    validity: DurationField
    """How long a record counts after it occurred."""
    cap: IntParam | None = None
    """Largest total (in absolute value) this category may contribute at one time."""
    factor: str | None = None
    """Scorecards: the factor the points go to (per mille of that factor). Points schemes
    with ``parts``: the part of the base the points go to."""
    legal_basis: str
    description: str
    source: str | None = None


class Band(Strict):
    grade: str
    min: IntParam | None = None
    """Lowest score in the band; the last band has none (it takes everything below)."""
    description: str = ""


class Override(Strict):
    """An active record of one of these categories caps the grade (e.g. drunk driving: C)."""

    categories: list[str]
    max_grade: str
    validity: DurationField
    legal_basis: str
    description: str
    source: str | None = None


class Assignment(Strict):
    """An active record of one of these categories sets the grade, whatever the band (the tax
    rating's M for a new enterprise); overrides still cap it. With ``min_score`` it applies
    only when the score is at least that (M for an enterprise without income: 70 or more)."""

    categories: list[str]
    grade: str
    validity: DurationField
    min_score: IntParam | None = None
    legal_basis: str
    description: str
    source: str | None = None


class Factor(Strict):
    id: str
    title: str
    weight: IntParam
    base: IntParam
    """Starting value of the factor, per mille (0-1000)."""
    excluded_reason: str | None = None

    @model_validator(mode="after")
    def _excluded_has_no_weight(self) -> Factor:
        if self.excluded_reason is not None and self.weight.value != 0:
            raise ValueError("an excluded factor must have weight 0")
        if not 0 <= self.base.value <= 1000:
            raise ValueError("base must be between 0 and 1000 (per mille)")
        return self


class Tier(Strict):
    name: str
    negative_at_least: IntParam | None = None
    negative_at_most: IntParam | None = None
    positive_at_least: IntParam | None = None
    description: str = ""


class VersionBase(Strict):
    effective_from: date
    rules: list[Rule] = []
    lists: list[ListDef] = []
    notes: str = ""

    def rule_for(self, category: str) -> Rule | None:
        return self._rules.get(category)

    @cached_property
    def _rules(self) -> dict[str, Rule]:
        return {r.category: r for r in self.rules}

    @model_validator(mode="after")
    def _unique_rules(self) -> VersionBase:
        seen: set[str] = set()
        for i, r in enumerate(self.rules):
            if r.category in seen:
                raise ValueError(f"rules[{i}]: category {r.category!r} has two rules")
            seen.add(r.category)
        ids = [lst.id for lst in self.lists]
        if len(ids) != len(set(ids)):
            raise ValueError(f"list ids must be unique, got {ids}")
        for lst in self.lists:
            for j, move in enumerate(lst.moved_from):
                if move.list not in ids or move.list == lst.id:
                    raise ValueError(
                        f"lists[{lst.id}].moved_from[{j}].list: {move.list!r} must be another "
                        f"list of this version, one of {[i for i in ids if i != lst.id]}"
                    )
        return self


class Graded(VersionBase):
    bands: list[Band]
    overrides: list[Override] = []
    assignments: list[Assignment] = []
    grade_order: list[str] = []
    """Best to worst, when assignments set a grade that is no band's (the tax rating's M
    between B and C); by default the bands' grades in order."""

    @property
    def grades(self) -> list[str]:
        return list(self.grade_order) or [b.grade for b in self.bands]

    @model_validator(mode="after")
    def _bands_ordered(self) -> Graded:
        if not self.bands:
            raise ValueError("bands: at least one band is needed")
        mins = [b.min.value for b in self.bands[:-1] if b.min is not None]
        if len(mins) != len(self.bands) - 1:
            raise ValueError("bands: every band but the last needs a min")
        if self.bands[-1].min is not None:
            raise ValueError("bands: the last band takes everything below; give it no min")
        if mins != sorted(mins, reverse=True) or len(set(mins)) != len(mins):
            raise ValueError(f"bands: mins must strictly decrease, got {mins}")
        band_grades = [b.grade for b in self.bands]
        if self.grade_order:
            if len(set(self.grade_order)) != len(self.grade_order):
                raise ValueError(f"grade_order: grades must be unique, got {self.grade_order}")
            if [g for g in self.grade_order if g in band_grades] != band_grades:
                raise ValueError(
                    f"grade_order: must hold every band grade {band_grades} in band order, "
                    f"got {self.grade_order}"
                )
        for i, a in enumerate(self.assignments):
            if a.grade not in self.grades:
                raise ValueError(
                    f"assignments[{i}].grade: {a.grade!r} is not one of {self.grades} "
                    "(add it to grade_order)"
                )
        for o in self.overrides:
            if o.max_grade not in self.grades:
                raise ValueError(
                    f"overrides: max_grade {o.max_grade!r} is not one of {self.grades}"
                )
        return self


class Part(Strict):
    """A part of a points scheme's base (e.g. Suining's four areas of 150/120/530/200)."""

    id: str
    title: str
    base: IntParam


class PointsVersion(Graded):
    base: IntParam
    floor: StrictInt | None = None
    ceiling: StrictInt | None = None
    parts: list[Part] = []
    """The base split into parts; each rule then names its part in ``factor``."""

    @model_validator(mode="after")
    def _parts(self) -> PointsVersion:
        if not self.parts:
            return self
        total = sum(p.base.value for p in self.parts)
        if total != self.base.value:
            raise ValueError(f"parts: their bases add up to {total}, not base {self.base.value}")
        ids = {p.id for p in self.parts}
        for i, r in enumerate(self.rules):
            if r.factor not in ids:
                raise ValueError(f"rules[{i}].factor: {r.factor!r} is not a part: {sorted(ids)}")
        return self

    @model_validator(mode="after")
    def _floor_below_ceiling(self) -> PointsVersion:
        if self.floor is not None and self.ceiling is not None and self.floor > self.ceiling:
            raise ValueError(
                f"floor {self.floor} is above ceiling {self.ceiling}; the floor must not exceed it"
            )
        return self


class ScorecardVersion(Graded):
    range_min: StrictInt
    range_max: StrictInt
    factors: list[Factor]

    @model_validator(mode="after")
    def _factors(self) -> ScorecardVersion:
        ids = {f.id for f in self.factors}
        for i, r in enumerate(self.rules):
            if r.factor not in ids:
                raise ValueError(f"rules[{i}].factor: {r.factor!r} is not one of {sorted(ids)}")
        if sum(f.weight.value for f in self.factors) <= 0:
            raise ValueError("factors: weights must add up to more than 0")
        if self.range_max <= self.range_min:
            raise ValueError("range_max must be above range_min")
        return self


class TiersVersion(VersionBase):
    tiers: list[Tier]
    default_tier: str


class ListsVersion(VersionBase):
    pass


class SchemeBase(Strict):
    meta: Meta

    @property
    def name(self) -> str:
        return self.meta.name

    def version_on(self, t: datetime) -> Any:
        """The version in force at instant ``t``: on its calendar day in China."""
        return self.version_at(china_day(t))

    def version_at(self, day: date) -> Any:
        """The version in force on ``day``, a Chinese calendar date (the latest whose
        effective_from is not after it)."""
        versions: list[Any] = getattr(self, "versions")  # noqa: B009
        current = None
        for v in versions:
            if v.effective_from <= day:
                current = v
        return current

    def unverified(self) -> list[str]:
        """Dotted paths of every value marked U (directly or through default_confidence)."""
        return list(self._unverified)

    @cached_property
    def _unverified(self) -> tuple[str, ...]:
        # the model is frozen, so the walk (a full dump of the scheme) is done once
        out: list[str] = []
        _walk(self.model_dump(exclude={"meta"}), "", self.meta.default_confidence, out)
        return (*out, *self.meta.unverified_values)

    @model_validator(mode="after")
    def _versions(self) -> SchemeBase:
        versions: list[Any] = getattr(self, "versions")  # noqa: B009
        if not versions:
            raise ValueError("versions: at least one version is needed")
        days = [v.effective_from for v in versions]
        if days != sorted(days) or len(set(days)) != len(days):
            raise ValueError(f"versions: effective_from must strictly increase, got {days}")
        source_ids = {s.id for s in self.meta.sources}
        for path, ref in _source_refs(self.model_dump(exclude={"meta"}), ""):
            if ref not in source_ids:
                raise ValueError(
                    f"{path}: source {ref!r} is not in meta.sources {sorted(source_ids)}"
                )
        return self


def unverified_paths(node: Any, default: str) -> list[str]:
    """Dotted paths (each starting with '.' or '[') of the parameters marked U in ``node``."""
    out: list[str] = []
    _walk(node, "", default, out)
    return [p if p.startswith("[") else f".{p}" for p in out]


def _walk(node: Any, path: str, default: str, out: list[str]) -> None:
    if isinstance(node, dict):
        if set(node) >= {"value", "confidence"} and set(node) <= {
            "value",
            "confidence",
            "source",
            "note",
        }:
            if (node["confidence"] or default) == "U":
                out.append(path)
            return
        for k, v in node.items():
            _walk(v, f"{path}.{k}" if path else k, default, out)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _walk(v, f"{path}[{i}]", default, out)


def _source_refs(node: Any, path: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else k
            if k == "source" and isinstance(v, str):
                out.append((p, v))
            else:
                out.extend(_source_refs(v, p))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.extend(_source_refs(v, f"{path}[{i}]"))
    return out


class PointsScheme(SchemeBase):
    kind: Literal["points"]
    versions: list[PointsVersion]


class ScorecardScheme(SchemeBase):
    kind: Literal["scorecard"]
    versions: list[ScorecardVersion]


class TiersScheme(SchemeBase):
    kind: Literal["tiers"]
    versions: list[TiersVersion]


class ListsScheme(SchemeBase):
    kind: Literal["lists"]
    versions: list[ListsVersion]


AnyScheme = PointsScheme | ScorecardScheme | TiersScheme | ListsScheme
"""A validated scheme of any kind (the one definition; other modules import it from here)."""
Scheme = Annotated[AnyScheme, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[AnyScheme] = TypeAdapter(Scheme)
KINDS = ("points", "scorecard", "tiers", "lists")


def parse_scheme(data: dict[str, Any], origin: str) -> AnyScheme:
    """Validate a parsed scheme document; errors name ``origin`` (the file) and the key path."""
    if not isinstance(data.get("kind"), str) or data["kind"] not in KINDS:
        raise SchemeError(
            f"{origin}: key 'kind': must be one of {', '.join(KINDS)}, got {data.get('kind')!r}"
        )
    try:
        return _ADAPTER.validate_python(data)
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, origin)) from None


def format_validation_error(e: ValidationError, origin: str) -> str:
    lines = [f"{origin}: {e.error_count()} problem(s)"]
    for err in e.errors():
        loc = [str(p) for p in err["loc"]]
        if loc and loc[0] in KINDS:
            loc = loc[1:]  # the discriminator tag pydantic puts first
        path = ""
        for part in loc:
            path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown key (check spelling; see docs/schemes.md for allowed keys)"
        elif err["type"] == "missing":
            msg = "missing required key"
        lines.append(f"  key '{path or '(top)'}': {msg}")
    return "\n".join(lines)


__all__ = [
    "AnyScheme",
    "Assignment",
    "Band",
    "Factor",
    "Override",
    "Param",
    "Rule",
    "Source",
    "Tier",
    "parse_scheme",
]
