"""Since when a grade or score entry has held: the day the grade was reached.

A list entry made by a grade or a score (Rongcheng AAA on the red list, a tax credit grade)
is evaluated at one moment, so the entry itself only says it holds then. The public register
shows when the subject reached the grade: the start of the unbroken stretch, up to that
moment, during which the entry's condition held.

A score is constant between the instants at which something changes: a record occurs or is
recorded, or a record's effect ends (its ``expires_at``, a cap's ``until``...). Those
instants are taken from the records and from the explanations of the scores at them, and the
stretch is walked back from the moment asked, each instant scored with what was known then.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from xinyong.core.records import Record
from xinyong.core.review import DEFAULT_HOLDS, ReviewHold
from xinyong.core.scoring.engine import AnyScheme, NoVersionInForce, score_subject
from xinyong.core.scoring.result import ScoreResult
from xinyong.core.timeutil import parse_instant

_TIME_KEYS = ("until", "since", "ends", "expires")


def _instants(value: Any, out: set[datetime]) -> None:
    """Collect the instants named in an explanation (keys ending in ``_at``, ``until``...)."""
    if isinstance(value, dict):
        for k, v in value.items():
            if isinstance(v, str) and (k.endswith("_at") or k in _TIME_KEYS):
                with contextlib.suppress(ValueError, TypeError, OverflowError):
                    out.add(parse_instant(v))
            else:
                _instants(v, out)
    elif isinstance(value, list):
        for v in value:
            _instants(v, out)


def state_since(
    scheme: AnyScheme,
    subject: str,
    records: Iterable[Record],
    at: datetime,
    holds: Callable[[ScoreResult], bool],
    review_holds: Sequence[ReviewHold] = DEFAULT_HOLDS,
) -> datetime | None:
    """The instant since which ``holds(score)`` has been true without a break up to ``at``,
    or ``None`` when it does not hold at ``at`` or held before any record (the base score)."""
    mine = [r for r in records if r.subject == subject]

    def score(t: datetime) -> ScoreResult | None:
        try:
            return score_subject(scheme, subject, mine, t, t, review_holds)
        except NoVersionInForce:
            return None

    now = score(at)
    if now is None or not holds(now):
        return None
    changes: set[datetime] = {t for r in mine for t in (r.occurred_at, r.recorded_at) if t <= at}
    found: set[datetime] = set()
    for t in [*sorted(changes), at]:
        got = score(t)
        if got is not None:
            _instants(got.to_dict(), found)
    candidates = sorted(c for c in changes | found if c <= at)
    since: datetime | None = None
    for t in reversed(candidates):
        got = score(t)
        if got is None or not holds(got):
            return since if since is not None else at
        since = t
    if since is None:
        return at
    before = score(since - timedelta(microseconds=1))
    return None if before is not None and holds(before) else since
