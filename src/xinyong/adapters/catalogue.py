"""The catalogue of record categories: what may be recorded at all (data minimisation).

A record whose category is not in the catalogue is refused at ingest. Each category says
what it means, its severity class and how long it may be published.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import ValidationError

from xinyong.core.errors import SchemeError
from xinyong.core.schemes.model import format_validation_error
from xinyong.core.schemes.params import DurationField, Strict


class Category(Strict):
    title: str
    severity: Literal["positive", "minor", "general", "serious", "procedural"]
    publication_min: DurationField | None = None
    publication_max: DurationField | None = None
    sources: list[str] = []
    legal_basis: str


class Catalogue(Strict):
    categories: dict[str, Category]


@cache
def catalogue() -> Catalogue:
    f = resources.files("xinyong.data").joinpath("catalogue.toml")
    try:
        return Catalogue.model_validate(tomllib.loads(f.read_text(encoding="utf-8")))
    except ValidationError as e:
        raise SchemeError(format_validation_error(e, "data/catalogue.toml")) from None


def known_categories() -> frozenset[str]:
    return frozenset(catalogue().categories)
