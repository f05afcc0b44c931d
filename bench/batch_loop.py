"""The batch benchmark's baseline: a plain-Python loop over the records as tuples.

It resolves amendments with dicts, then sums per subject with the same rules, from the same
precompiled lookup tables as :func:`score_population` (so the loop does not pay for date
arithmetic the batch path does not do either). The batch and out-of-core benchmarks check
its scores against the batch path's before they quote a ratio.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import datetime

from xinyong.adapters.batch.frame import US_PER_DAY, instant_us
from xinyong.adapters.batch.score import AnyScheme, Tables, compile_scheme, cutoffs
from xinyong.core.schemes.model import Graded, PointsVersion
from xinyong.core.scoring.engine import version_in_force

Row = tuple[str, str, str, int, int, str, str | None]


def loop_scores(
    scheme: AnyScheme, rows: list[Row], at: datetime
) -> dict[str, tuple[int | None, str | None]]:
    """Points schemes only: (score, grade) per subject, one record at a time, in Python.

    Same rules as the reference engine; expiry tests use the same cut-offs as the batch path.
    """
    current = version_in_force(scheme, at)
    assert isinstance(current, PointsVersion), "the loop baseline handles points schemes"
    at_us = instant_us(at)
    known_us = at_us
    t: Tables = compile_scheme(scheme, current, at_us)
    code = {c: i for i, c in enumerate(t.categories)}
    width = len(t.categories) + 1
    a_tod = at_us % US_PER_DAY
    # resolve: originals by (subject, id); amendments in (recorded_at, id) order
    content: dict[tuple[str, str], tuple[str, int]] = {}
    amendments: list[Row] = []
    subjects: set[str] = set()
    for r in rows:
        subjects.add(r[1])
        if r[4] > known_us:
            continue
        if r[5] == "active":
            content[(r[1], r[0])] = (r[2], r[3])
        else:
            amendments.append(r)
    amendments.sort(key=lambda r: (r[4], r[0]))
    ends: dict[tuple[str, str], int] = {}
    revoked: set[tuple[str, str]] = set()
    for r in amendments:
        key = (r[1], r[6] or "")
        if key not in content:
            continue
        if r[5] == "correction":
            content[key] = (r[2], r[3])
        elif r[5] == "revocation":
            revoked.add(key)
        elif r[5] == "expiry" and (key not in ends or r[3] < ends[key]):
            ends[key] = r[3]
    totals: dict[str, list[int]] = {s: [0] * len(t.buckets) for s in subjects}
    worst: dict[str, int] = {}
    overrides = [
        (set(o.categories), current.grades.index(o.max_grade), *cutoffs(o.validity, at_us))
        for o in current.overrides
    ]
    for key, (category, occ) in content.items():
        if key in revoked or occ > at_us or ends.get(key, at_us + 1) <= at_us:
            continue
        late = occ % US_PER_DAY > a_tod
        k = bisect_right(t.starts, occ) * width + code.get(category, width - 1)
        if occ >= t.cut[2 * k + late]:
            totals[key[0]][t.slot[k]] += t.points[k]
        for cats, cap_index, o_late, o_early in overrides:
            if category in cats and occ >= (o_early if late else o_late):
                worst[key[0]] = max(worst.get(key[0], -1), cap_index)
    out: dict[str, tuple[int | None, str | None]] = {}
    for s, sums in totals.items():
        score = current.base.value
        for b, v in zip(t.buckets, sums, strict=True):
            score += v if b.cap is None else max(-b.cap, min(b.cap, v))
        if current.floor is not None:
            score = max(current.floor, score)
        if current.ceiling is not None:
            score = min(current.ceiling, score)
        out[s] = (score, _grade(current, score, worst.get(s, -1)))
    return out


def _grade(version: Graded, score: int, worst: int) -> str:
    index = len(version.bands) - 1
    for i, b in enumerate(version.bands):
        if b.min is not None and score >= b.min.value:
            index = i
            break
    return version.grades[max(index, worst)]
