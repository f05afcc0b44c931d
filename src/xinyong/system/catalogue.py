"""The catalogue of record categories: what may be recorded at all (data minimisation).

A record whose category is not in the catalogue is refused at ingest. Each category says
what it means, its severity class and whether it is published under the catalogue's
publication rules (``[[publication]]`` regimes, :mod:`xinyong.core.publication`).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import ValidationError, model_validator

from xinyong.core.errors import SchemeError
from xinyong.core.minimisation import Admissible, scheme_categories
from xinyong.core.publication import CLASSES, PublicationClass, Regime, check_regimes
from xinyong.core.review import DEFAULT_HOLDS, ReviewHold
from xinyong.core.schemes.model import format_validation_error
from xinyong.core.schemes.params import Confidence, Strict


class Category(Strict):
    title: str
    severity: Literal["positive", "minor", "general", "serious", "procedural"]
    publication: bool = False
    """Published under the publication rules, for the period of its severity class."""
    sources: list[str] = []
    legal_basis: str
    domain: str | None = None
    """The social context the record is generated in (one of the catalogue's domains)."""
    sensitive: list[str] = []
    """Kinds of sensitive personal data the record reveals (e.g. financial-account)."""

    @property
    def publication_class(self) -> PublicationClass | None:
        if not self.publication or self.severity not in CLASSES:
            return None
        return self.severity  # type: ignore[return-value]


class Domain(Strict):
    title: str
    related: list[str] = []
    """Domains in which detriment from this domain's records counts as related."""
    basis: str = ""
    confidence: Confidence | None = None


class Catalogue(Strict):
    categories: dict[str, Category]
    publication: list[Regime] = []
    domains: dict[str, Domain] = {}
    review_holds: list[ReviewHold] | None = None
    """Records held for human review, never scored automatically (None: the core default,
    :data:`xinyong.core.review.DEFAULT_HOLDS`; an empty list holds nothing)."""

    @model_validator(mode="after")
    def _publication(self) -> Catalogue:
        check_regimes(self.publication)
        for name, c in self.categories.items():
            if c.publication and c.severity not in CLASSES:
                raise ValueError(
                    f"categories.{name}: publication = true needs a severity of "
                    f"{', '.join(CLASSES)} (the class decides the period), got {c.severity!r}"
                )
            if c.publication and not self.publication:
                raise ValueError(
                    f"categories.{name}: publication = true but the catalogue has no "
                    "[[publication]] rules"
                )
        return self

    @model_validator(mode="after")
    def _domains(self) -> Catalogue:
        if not self.domains:
            return self
        known = sorted(self.domains)
        for name, c in self.categories.items():
            if c.domain is not None and c.domain not in self.domains:
                raise ValueError(f"categories.{name}.domain: {c.domain!r} is not one of {known}")
        for name, d in self.domains.items():
            for r in d.related:
                if r not in self.domains:
                    raise ValueError(f"domains.{name}.related: {r!r} is not one of {known}")
        return self

    def publication_classes(self) -> dict[str, PublicationClass]:
        """Category -> publication class, for the published categories."""
        out: dict[str, PublicationClass] = {}
        for name, c in self.categories.items():
            cls = c.publication_class
            if cls is not None:
                out[name] = cls
        return out


def parse_catalogue(text: str, origin: str) -> Catalogue:
    """Validate catalogue TOML text; errors name ``origin`` and the key path."""
    try:
        return Catalogue.model_validate(tomllib.loads(text))
    except tomllib.TOMLDecodeError as e:
        raise SchemeError(f"{origin}: not valid TOML: {e}") from None
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, origin)) from None


@cache
def catalogue() -> Catalogue:
    f = resources.files("xinyong.data").joinpath("catalogue.toml")
    return parse_catalogue(f.read_text(encoding="utf-8"), "data/catalogue.toml")


@cache
def publication_classes() -> dict[str, PublicationClass]:
    """The installed catalogue's published categories and their class (read once)."""
    return catalogue().publication_classes()


def review_holds() -> tuple[ReviewHold, ...]:
    """The installed catalogue's review holds (the speech offences by default)."""
    holds = catalogue().review_holds
    return DEFAULT_HOLDS if holds is None else tuple(holds)


def known_categories() -> frozenset[str]:
    return frozenset(catalogue().categories)


def categories_for(schemes: Mapping[str, object]) -> Admissible:
    """The catalogue's categories that at least one of ``schemes`` (name -> scheme) uses
    (data minimisation: a record no configured scheme needs is not kept)."""
    used: set[str] = set()
    for s in schemes.values():
        used |= scheme_categories(s)
    known = known_categories()
    return Admissible(known & used, catalogued=known, schemes=list(schemes))
