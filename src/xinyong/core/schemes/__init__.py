"""Schemes as data: the declarative models a scheme file is validated against."""

from xinyong.core.schemes.model import (
    AnyScheme,
    ListsScheme,
    PointsScheme,
    Scheme,
    ScorecardScheme,
    TiersScheme,
    parse_scheme,
)

__all__ = [
    "AnyScheme",
    "ListsScheme",
    "PointsScheme",
    "Scheme",
    "ScorecardScheme",
    "TiersScheme",
    "parse_scheme",
]
