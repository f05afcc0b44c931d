"""The scenario: every parameter of the synthetic world, read from one TOML file.

The shipped default is ``xinyong/data/scenarios/default.toml``; every key there carries a
comment saying what it means (a test fails when one does not). Keys are validated strictly:
an unknown key or a value out of range is an error naming the file and the key path.

Nothing here is a fact about a real place. Rates are per person-month (or per
organisation-month) unless said otherwise.
"""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from xinyong.core.errors import XinyongError
from xinyong.core.schemes.model import format_validation_error

Share = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Eligible = Literal["all", "adult", "driver", "borrower", "head", "org"]
"""Who can do something: everyone, adults (18+), drivers, borrowers, household heads, or
organisations."""


class ScenarioError(XinyongError):
    """A scenario file is invalid."""


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorldParams(Strict):
    start: date
    city: Annotated[str, Field(pattern=r"^\d{4}$")]
    local_born_share: Share
    orgs_per_1000: Rate
    residents: Annotated[int, Field(ge=1)]
    months: Annotated[int, Field(ge=1, le=600)]
    seed: int

    @model_validator(mode="after")
    def _first_of_month(self) -> WorldParams:
        if self.start.day != 1:
            raise ValueError(f"start must be the first day of a month, got {self.start}")
        return self


class Occupation(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    share: Rate
    income_shift: float


class OrgType(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    authority: Annotated[str, Field(min_length=1, max_length=1)]
    code: Annotated[str, Field(min_length=1, max_length=1)]
    share: Rate
    suffix: str


class PopulationParams(Strict):
    household_size_shares: list[Rate]
    couple_share: Share
    male_head_share: Share
    head_age_edges: list[int]
    head_age_shares: list[Rate]
    child_gap_min: Annotated[int, Field(ge=14)]
    child_gap_max: Annotated[int, Field(ge=14)]
    elder_share: Share
    retirement_age: Annotated[int, Field(ge=40)]
    student_share_18_22: Share
    income_spread: Positive
    income_age_gain: float
    occupations: list[Occupation]
    driver_share_low: Share
    driver_share_high: Share
    borrower_share_low: Share
    borrower_share_high: Share
    org_types: list[OrgType]
    rep_business_owner_share: Share
    composed_given_share: Share

    @model_validator(mode="after")
    def _shapes(self) -> PopulationParams:
        if not self.household_size_shares or sum(self.household_size_shares) <= 0:
            raise ValueError("household_size_shares: give at least one positive share")
        if len(self.head_age_edges) != len(self.head_age_shares) + 1:
            raise ValueError("head_age_edges must have one more entry than head_age_shares")
        if self.head_age_edges != sorted(self.head_age_edges) or self.head_age_edges[0] < 18:
            raise ValueError("head_age_edges must increase and start at 18 or more")
        if self.child_gap_max < self.child_gap_min:
            raise ValueError("child_gap_max must not be below child_gap_min")
        if not self.occupations or sum(o.share for o in self.occupations) <= 0:
            raise ValueError("occupations: give at least one with a positive share")
        if not self.org_types or sum(o.share for o in self.org_types) <= 0:
            raise ValueError("org_types: give at least one with a positive share")
        return self


class Agency(Strict):
    title: str
    source: str
    prefix: Annotated[str, Field(pattern=r"^[A-Z]{2,4}$")]
    coverage: Share
    latency_median_days: Positive
    latency_sigma: Annotated[float, Field(ge=0.0)]
    false_positive_rate: Share
    misattribution_rate: Share
    misattribute_household_share: Share
    duplicate_rate: Share


class EventSpec(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    category: str
    who: Eligible
    rate: Rate
    young_factor: Positive = 1.0
    old_factor: Positive = 1.0
    income_factor: Positive = 1.0
    history_weight: Annotated[float, Field(ge=0.0)] = 0.0
    history_cap: Annotated[int, Field(ge=0)] = 0
    deterred: bool = False
    stressed: bool = False
    agencies: dict[str, Positive]
    legal_basis: str
    severity: Literal["minor", "general", "serious"] | None = None
    amount_median: Annotated[float, Field(ge=0.0)] = 0.0
    amount_sigma: Annotated[float, Field(ge=0.0)] = 0.0
    evidence: str = ""

    @property
    def negative(self) -> bool:
        return self.deterred or self.stressed


class PurchaseSpec(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    gate: str
    agency: str
    who: Eligible
    rate: Rate
    income_factor: Positive = 1.0
    listed_attempt_factor: Share


class Removal(Strict):
    category: str
    share: Rate
    legal_basis: str
    evidence: str


class CourtParams(Strict):
    agency: str
    judgment_category: str
    listing_category: str
    resident_rate: Rate
    org_rate: Rate
    income_factor: Positive
    amount_median: Positive
    amount_sigma: Annotated[float, Field(ge=0.0)]
    perform_monthly: Share
    perform_income_factor: Positive
    listing_after_months: Annotated[int, Field(ge=0)]
    listing_monthly: Share
    ground_shares: dict[Annotated[str, Field(pattern=r"^[1-6]$")], Rate]
    removal_monthly: Share
    removals: list[Removal]
    initial_listed_share: Share
    initial_org_listed_share: Share
    initial_open_share: Share
    backlog_months: Annotated[int, Field(ge=1)]
    judgment_legal_basis: str
    listing_legal_basis: str

    @model_validator(mode="after")
    def _grounds(self) -> CourtParams:
        if sum(self.ground_shares.values()) <= 0:
            raise ValueError("ground_shares: give at least one positive share")
        if not self.removals or sum(r.share for r in self.removals) <= 0:
            raise ValueError("removals: give at least one with a positive share")
        return self


class Deterrence(Strict):
    strength: Share
    awareness: Share
    specific_strength: Share


class Feedback(Strict):
    denial_stress_months: Annotated[int, Field(ge=0)]
    stress_factor: Annotated[float, Field(ge=1.0)]
    listed_factor: Annotated[float, Field(ge=1.0)]


class History(Strict):
    half_life_months: Positive


class Family(Strict):
    association_effect: Annotated[float, Field(ge=0.0)]


class Attention(Strict):
    mode: Literal["off", "proportional", "hotspot", "independent"]
    agency: str
    zones: Annotated[int, Field(ge=2, le=20)]
    first_zone_share: Share
    prior_detections: Positive
    hotspot_share: Share
    first_zone_rate: Positive


class Errors(Strict):
    scale: Annotated[float, Field(ge=0.0)]


SizeRates = Annotated[list[Rate], Field(min_length=3, max_length=3)]
SizeShares = Annotated[list[Share], Field(min_length=3, max_length=3)]


class Firms(Strict):
    """Organisations as firms (world/firms.py): filings, annual reports, moves, tax
    violations, listings and corrections. Lists of three are by size: small, medium, large.
    Every rate is illustrative (U)."""

    on: bool = False
    types: list[str] = ["enterprise", "individual_business", "cooperative"]
    size_shares: SizeRates = [0.8, 0.15, 0.05]
    new_share: Share = 0.1
    late_filings_per_year: SizeRates = [1.5, 0.6, 0.2]
    late_report_share: SizeShares = [0.12, 0.05, 0.02]
    moves_per_year: SizeRates = [0.08, 0.05, 0.02]
    unregistered_move_share: Share = 0.3
    unreachable_found_monthly: Share = 0.1
    major_violation_per_year: SizeRates = [0.004, 0.004, 0.002]
    correct_monthly: Share = 0.15
    wrong_listing_share: Share = 0.01
    objection_monthly: Share = 0.1
    tax_agency: str = "tax"
    market_agency: str = "market"

    @model_validator(mode="after")
    def _sizes(self) -> Firms:
        if sum(self.size_shares) <= 0:
            raise ValueError("size_shares: give at least one positive share")
        return self


class System(Strict):
    schemes: list[str]
    memoranda: list[str]
    in_place: bool


class Scenario(Strict):
    world: WorldParams
    population: PopulationParams
    agencies: dict[Annotated[str, Field(pattern=r"^[a-z_]+$")], Agency]
    events: list[EventSpec]
    purchases: list[PurchaseSpec]
    courts: CourtParams
    deterrence: Deterrence
    feedback: Feedback
    history: History
    family: Family
    errors: Errors
    # Optional so that worlds saved before it existed still load (off, as in default.toml).
    attention: Attention = Attention(
        mode="off",
        agency="traffic_officer",
        zones=2,
        first_zone_share=0.55,
        prior_detections=20.0,
        hotspot_share=0.8,
        first_zone_rate=1.0,
    )
    # Optional so that worlds saved before it existed still load (off).
    firms: Firms = Firms()
    system: System

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        names = set(self.agencies)
        for key in ("tax_agency", "market_agency") if self.firms.on else ():
            if getattr(self.firms, key) not in names:
                raise ValueError(f"firms.{key}: unknown agency {getattr(self.firms, key)!r}")
        org_types = {t.name for t in self.population.org_types}
        unknown_types = sorted(set(self.firms.types) - org_types) if self.firms.on else []
        if unknown_types:
            raise ValueError(f"firms.types: unknown organisation types {unknown_types}")
        for i, e in enumerate(self.events):
            unknown = sorted(set(e.agencies) - names)
            if unknown:
                raise ValueError(f"events[{i}] ({e.id}): unknown agencies {unknown}")
        for i, p in enumerate(self.purchases):
            if p.agency not in names:
                raise ValueError(f"purchases[{i}] ({p.id}): unknown agency {p.agency!r}")
        if self.attention.mode != "off" and self.attention.agency not in names:
            raise ValueError(f"attention.agency: unknown agency {self.attention.agency!r}")
        if self.courts.agency not in names:
            raise ValueError(f"courts.agency: unknown agency {self.courts.agency!r}")
        ids = [e.id for e in self.events] + [p.id for p in self.purchases]
        if len(ids) != len(set(ids)):
            raise ValueError("event and purchase ids must be unique")
        prefixes = [a.prefix for a in self.agencies.values()]
        if len(prefixes) != len(set(prefixes)):
            raise ValueError("agency prefixes must be unique (they start record ids)")
        return self

    def categories(self) -> set[str]:
        """Every record category the world can produce."""
        c = self.courts
        out = {e.category for e in self.events}
        out.update((c.judgment_category, c.listing_category))
        out.update(r.category for r in c.removals)
        if self.firms.on:
            from xinyong.world.firms import CATEGORIES

            out.update(CATEGORIES)
        return out

    def with_changes(self, **changes: Any) -> Scenario:
        """A copy with some values changed: ``with_changes(deterrence={"strength": 0.5})``
        updates one key of a section; a top-level scalar section is replaced."""
        data = self.model_dump()
        for section, value in changes.items():
            if isinstance(value, dict) and isinstance(data.get(section), dict):
                data[section] = {**data[section], **value}
            else:
                data[section] = value
        return parse_scenario(data, "scenario (with changes)")


def parse_scenario(data: dict[str, Any], origin: str) -> Scenario:
    """Validate a parsed scenario; errors name ``origin`` and the key path."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as e:
        text = format_validation_error(e, origin).replace(
            "see docs/schemes.md for allowed keys",
            "the shipped scenarios/default.toml documents every key",
        )
        raise ScenarioError(text) from None


def default_scenario_text() -> str:
    f = resources.files("xinyong.data").joinpath("scenarios", "default.toml")
    return f.read_text(encoding="utf-8")


def load_scenario(path: Path | str | None = None) -> Scenario:
    """The scenario in ``path``, or the shipped default when None."""
    if path is None:
        text, origin = default_scenario_text(), "scenarios/default.toml"
    else:
        p = Path(path)
        origin = str(p)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ScenarioError(f"{origin}: no such scenario file") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError(f"{origin}: not valid TOML: {e}") from None
    return parse_scenario(data, origin)
