"""Red and black list definitions: how one gets on a list, for how long, and how one gets off.

Entry rules (``entries``), one of:

* ``grade``     while the subject's grade is one of ``grades`` (e.g. Rongcheng D: black);
* ``score``     while the score is ``at_least`` / ``below`` a value;
* ``threshold`` ``count`` records of ``categories`` within ``window`` list the subject for
                ``term`` from the last of them (e.g. five traffic violations in a year);
* ``record``    a list-creating record (a court's listing decision) lists the subject from its
                ``occurred_at`` for ``term``, or a term chosen by one of its details
                (``term_detail`` = "ground" with ``terms`` per ground; "until-removal" = no
                fixed term).

A list may also take subjects from another list (``moved_from``): an entry of that list still
in force after a period lists the subject here (abnormal operations for 3 years: the serious
list).

Extension records add whole years within [min_years, max_years]; removal events end an
entry; exclusions stop an entry from being made (minors; security given under ground 1).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from xinyong.core.schemes.params import DurationField, IntParam, Strict

UNTIL_REMOVAL = "until-removal"


class GradeEntry(Strict):
    kind: Literal["grade"]
    grades: list[str]
    description: str = ""


class ScoreEntry(Strict):
    kind: Literal["score"]
    at_least: IntParam | None = None
    below: IntParam | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_bound(self) -> ScoreEntry:
        if self.at_least is None and self.below is None:
            raise ValueError("a score entry needs at_least or below")
        return self


class ThresholdEntry(Strict):
    kind: Literal["threshold"]
    categories: list[str]
    count: IntParam
    window: DurationField
    term: DurationField
    legal_basis: str
    description: str = ""
    source: str | None = None


class RecordEntry(Strict):
    kind: Literal["record"]
    categories: list[str]
    term: DurationField | Literal["until-removal"] | None = None
    term_detail: str | None = None
    """Name of the record detail that chooses the term (e.g. 'ground')."""
    terms: dict[str, DurationField | Literal["until-removal"]] = {}
    legal_basis: str
    description: str = ""
    source: str | None = None

    @model_validator(mode="after")
    def _terms(self) -> RecordEntry:
        if self.term_detail is None and self.term is None:
            raise ValueError("give a term, or term_detail with terms")
        if self.term_detail is not None and not self.terms:
            raise ValueError("term_detail needs terms (one per detail value)")
        return self


class MoveFrom(Strict):
    """An entry of another list of the same version (``list``) still in force ``after`` its
    start lists the subject here from that moment, for ``term`` (an enterprise still on the
    abnormal-operations list after 3 years moves to the serious illegal list). This list's
    removals that refer to the other list's listing record (or to none) end it."""

    list: str
    after: DurationField
    term: DurationField | Literal["until-removal"]
    legal_basis: str
    description: str = ""
    source: str | None = None


Entry = Annotated[
    GradeEntry | ScoreEntry | ThresholdEntry | RecordEntry, Field(discriminator="kind")
]


class Extension(Strict):
    categories: list[str]
    detail: str = "years"
    min_years: StrictInt = 1
    max_years: StrictInt = 3
    max_total: DurationField | None = None
    """The longest an entry may last in all, from the listing (e.g. 5y = 2 + 3)."""
    legal_basis: str
    description: str = ""


class Exclusion(Strict):
    kind: Literal["minor", "record"]
    categories: list[str] = []
    """For kind 'record': a record of these categories referring to the listing prevents it."""
    detail_values: list[str] = []
    """Only for listing records whose term_detail value is one of these (e.g. ground '1')."""
    legal_basis: str
    description: str


RemovalEvent = Literal[
    "performance",
    "settlement",
    "creditor-request",
    "no-assets",
    "enforcement-ended",
    "other",
]


class Removal(Strict):
    categories: list[str]
    legal_basis: str
    description: str
    event: RemovalEvent = "other"
    """What kind of removal event this is (shown in the entry's events)."""
    relisting_bar: DurationField | None = None
    """After this removal, a new listing on the same creditor's claim (``details.creditor``
    of the listing, or of the removal record) within this period is refused."""


class Objection(Strict):
    body: str
    """Who decides (e.g. the enforcing court)."""
    how: str
    decision_within: str
    reconsideration: str = ""


class ListDef(Strict):
    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    title: str
    polarity: Literal["red", "black"]
    legal_basis: str
    entries: list[Entry]
    extension: Extension | None = None
    exclusions: list[Exclusion] = []
    removals: list[Removal] = []
    published_fields: list[str] = []
    objection: Objection
    role_categories: list[str] = []
    """Categories of role records that link a person to a listed unit (e.g. registry.role):
    never an entry of the person; memoranda that bind roles read them at gates."""
    moved_from: list[MoveFrom] = []
