"""The line on speech: records held for human review instead of being scored automatically.

Some offences are commonly used against speech: "picking quarrels and provoking trouble"
(Criminal Law art. 293), defamation (art. 246), subversion and inciting subversion (art. 105).
The engine does not classify speech and cannot tell from a record whether a conviction under
such an article punished speech; so a record of a held category whose legal basis names one
of these articles never counts automatically. It is shown, not counted, with a note saying
it awaits a human review (a person decides, and records the outcome as a correction or a
revocation of the record).

The holds are data: the catalogue's ``[[review_holds]]`` (``xinyong.system.catalogue``);
:data:`DEFAULT_HOLDS` applies wherever no catalogue is given, so every path is safe by
default.
"""

from __future__ import annotations

import re
from functools import cached_property

from xinyong.core.records import Record
from xinyong.core.schemes.params import Strict


class ReviewHold(Strict):
    id: str
    categories: list[str]
    legal_basis_patterns: list[str]
    """Regular expressions (case-insensitive) searched in the record's ``legal_basis``."""
    note: str

    @cached_property
    def _compiled(self) -> list[re.Pattern[str]]:
        return [re.compile(p, re.IGNORECASE) for p in self.legal_basis_patterns]

    def holds(self, r: Record) -> bool:
        return r.category in self.categories and any(
            p.search(r.legal_basis) for p in self._compiled
        )


def _article(n: int, chinese: str) -> list[str]:
    return [rf"\bart(?:icle|s?\.)?\s*{n}\b", rf"第\s*{chinese}\s*条"]


DEFAULT_HOLDS: tuple[ReviewHold, ...] = (
    ReviewHold(
        id="speech-offences",
        categories=["court.criminal_conviction"],
        legal_basis_patterns=[
            *_article(293, "二百九十三"),
            *_article(246, "二百四十六"),
            *_article(105, "一百零五"),
        ],
        note=(
            "held for human review: a conviction under Criminal Law art. 293 (picking "
            "quarrels and provoking trouble), 246 (insult, defamation) or 105 (subversion, "
            "inciting subversion), offences commonly used against speech; the engine does not "
            "classify speech, so it is not scored automatically"
        ),
    ),
)


def held(r: Record, holds: tuple[ReviewHold, ...] | list[ReviewHold]) -> str | None:
    """The note of the first hold that ``r`` falls under, or None."""
    for h in holds:
        if h.holds(r):
            return f"{h.note} (hold {h.id!r}; record basis: {r.legal_basis})"
    return None
