"""What the audit looks at: the schemes and memoranda (with the file each came from), the
catalogue facts of every record category (domain, gravity, sensitive kinds, publication
class), how domains relate, the publication regimes, and which of them are audited now."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from xinyong.core.errors import XinyongError
from xinyong.core.publication import Regime
from xinyong.core.sanctions import Measure, Memorandum
from xinyong.core.scoring.engine import AnyScheme


class AuditError(XinyongError):
    """The audit cannot run: an unknown profile, or data it needs is missing (file and key)."""


@dataclass(frozen=True, slots=True)
class CategoryFacts:
    domain: str
    gravity: str
    """The catalogue's severity class: positive, minor, general, serious or procedural."""
    sensitive: tuple[str, ...] = ()
    publication_class: str | None = None


@dataclass(frozen=True, slots=True)
class SchemeDoc:
    scheme: AnyScheme
    file: str

    @property
    def name(self) -> str:
        return self.scheme.name


@dataclass(frozen=True, slots=True)
class MemoDoc:
    memo: Memorandum
    file: str

    @property
    def name(self) -> str:
        return self.memo.name


@dataclass(frozen=True)
class AuditContext:
    schemes: Mapping[str, SchemeDoc]
    """Every scheme known (targets and the presets memoranda refer to), by name."""
    memoranda: Sequence[MemoDoc]
    categories: Mapping[str, CategoryFacts]
    related: Mapping[str, frozenset[str]]
    """Domain -> domains in which detriment from its records counts as related."""
    target_schemes: frozenset[str] = frozenset()
    target_memoranda: frozenset[str] = frozenset()
    regimes: Sequence[Regime] = field(default_factory=tuple)

    def scoped_schemes(self) -> list[SchemeDoc]:
        return [self.schemes[n] for n in sorted(self.target_schemes)]

    def scoped_measures(self) -> Iterator[tuple[MemoDoc, int, Measure]]:
        """Measures of the target memoranda, and every measure acting on a target scheme."""
        for doc in self.memoranda:
            for i, m in enumerate(doc.memo.measures):
                if doc.name in self.target_memoranda or _schemes_of(m) & self.target_schemes:
                    yield doc, i, m

    def is_related(self, record_domain: str, gate_domain: str) -> bool:
        return record_domain == gate_domain or gate_domain in self.related.get(
            record_domain, frozenset()
        )


def _schemes_of(m: Measure) -> set[str]:
    out = {name.split("/")[0] for name in m.lists}
    if m.score is not None:
        out.add(m.score.scheme)
    return out
