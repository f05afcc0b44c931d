"""Data minimisation: which records may be kept at all.

A record is kept only when (1) its category is in the catalogue, (2) at least one configured
scheme uses the category (a record no scheme needs is not collected), and (3) it names its
legal basis (the law or decision that makes it; blank text is no basis).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from xinyong.core.records import NO_LEGAL_BASIS
from xinyong.core.schemes.lists import RecordEntry, ThresholdEntry

__all__ = [
    "NO_LEGAL_BASIS",
    "Admissible",
    "has_legal_basis",
    "scheme_categories",
    "unused_category_error",
]


class Admissible(frozenset[str]):
    """The categories that may be recorded: the catalogue's, narrowed to those the configured
    schemes use. Remembers the catalogue and the schemes so a refusal can say why."""

    catalogued: frozenset[str]
    schemes: tuple[str, ...]

    def __new__(
        cls, categories: Collection[str], *, catalogued: Collection[str], schemes: Collection[str]
    ) -> Admissible:
        self = super().__new__(cls, categories)
        self.catalogued = frozenset(catalogued)
        self.schemes = tuple(sorted(schemes))
        return self


def scheme_categories(scheme: Any) -> set[str]:
    """Every record category a scheme refers to: rules, overrides, grade assignments and every
    part of lists."""
    out: set[str] = set(scheme.meta.rated_only_with)
    for v in scheme.versions:
        out.update(r.category for r in v.rules)
        for o in getattr(v, "overrides", []):
            out.update(o.categories)
        for a in getattr(v, "assignments", []):
            out.update(a.categories)
        for lst in v.lists:
            for e in lst.entries:
                if isinstance(e, RecordEntry | ThresholdEntry):
                    out.update(e.categories)
            if lst.extension is not None:
                out.update(lst.extension.categories)
            for x in lst.exclusions:
                out.update(x.categories)
            for rm in lst.removals:
                out.update(rm.categories)
            out.update(lst.role_categories)
    return out


def unused_category_error(category: str, schemes: Collection[str]) -> str:
    names = ", ".join(sorted(schemes)) or "none"
    return (
        f"category {category!r} is in the catalogue but no configured scheme uses it "
        f"(configured schemes: {names}); data minimisation: a record is kept only when a "
        "configured scheme needs its category. Configure a scheme that uses it, or do not "
        "send it"
    )


def has_legal_basis(text: str) -> bool:
    return bool(text.strip())
