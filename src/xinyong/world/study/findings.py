"""Findings stated in words, computed from a study's summary (for the report's captions)."""

from __future__ import annotations

import math

import polars as pl

from xinyong.world.study.outcomes import OUTCOMES
from xinyong.world.study.spec import Study


def fmt(x: float | None) -> str:
    """A number to three significant figures, with thousands separators."""
    if x is None or not math.isfinite(x):
        return "n/a"
    if x == 0:
        return "0"
    digits = max(0, 2 - math.floor(math.log10(abs(x))))
    return f"{x:,.{digits}f}"


def unit(o: object) -> str:
    """The unit to write after a number ("" for indices, correlations and ratios)."""
    u = str(getattr(o, "unit", ""))
    return "" if u in ("index", "correlation", "ratio") else f" {u}"


def _row(summary: pl.DataFrame, outcome: str, variant: str, group: str = "") -> dict | None:  # type: ignore[type-arg]
    r = summary.filter(
        (pl.col("outcome") == outcome) & (pl.col("variant") == variant) & (pl.col("group") == group)
    )
    return r.row(0, named=True) if r.height else None


def _between(lo: float, hi: float) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no interval: fewer than two seeds"
    return f"95 % interval {fmt(lo)} to {fmt(hi)}"


def scalar_finding(summary: pl.DataFrame, outcome: str, study: Study) -> str:
    """The baseline's value, and the variant that differs most from it."""
    o = OUTCOMES[outcome]
    base = _row(summary, outcome, study.baseline)
    if base is None:
        return ""
    text = (
        f"Finding: in \u201c{study.baseline}\u201d, {o.label}: "
        f"{fmt(base['mean'])}{unit(o)} "
        f"({_between(base['low'], base['high'])})."
    )
    others = [
        r for v in study.variants if v.name != study.baseline
        if (r := _row(summary, outcome, v.name)) is not None and math.isfinite(r["difference"])
    ]  # fmt: skip
    if not others:
        return text
    far = max(others, key=lambda r: abs(r["difference"]))
    if far["difference"] == 0:
        return text + " No variant differs from it at any seed."
    points = " percentage points" if o.unit == "%" else unit(o)
    lo, hi = far["difference_low"], far["difference_high"]
    sure = math.isfinite(lo) and math.isfinite(hi) and (lo > 0 or hi < 0)
    verdict = "a difference the seeds bear out" if sure else "within the noise between seeds"
    return text + (
        f" The largest change is in \u201c{far['variant']}\u201d: "
        f"{'+' if far['difference'] > 0 else ''}{fmt(far['difference'])}{points} "
        f"({_between(lo, hi)}), {verdict}."
    )


def decile_finding(summary: pl.DataFrame, outcome: str, study: Study) -> str:
    """How the poorest decile compares with the richest, in the baseline (or, when nobody
    is counted there, in the first variant where anybody is)."""
    o = OUTCOMES[outcome]
    names = [study.baseline, *(v.name for v in study.variants if v.name != study.baseline)]
    variant = next(
        (n for n in names if (r := _row(summary, outcome, n, "all")) and r["mean"] > 0),
        None if o.unit == "%" else study.baseline,
    )
    if variant is None:
        return f"Finding: nobody is counted here in any variant ({o.label.lower()})."
    d1 = _row(summary, outcome, variant, "1")
    d10 = _row(summary, outcome, variant, "10")
    if d1 is None or d10 is None:
        return ""
    if o.unit != "%":
        return (
            f"Finding: in \u201c{variant}\u201d, {o.label}: {fmt(d1['mean'])}{unit(o)} in the "
            f"poorest decile ({_between(d1['low'], d1['high'])}) and {fmt(d10['mean'])} in the "
            f"richest ({_between(d10['low'], d10['high'])})."
        )
    text = (
        f"Finding: in \u201c{variant}\u201d, {fmt(d1['mean'])} % of adults in the poorest "
        f"decile and {fmt(d10['mean'])} % in the richest ({o.label.lower()})"
    )
    ratio = _row(summary, "listed_poorest_to_richest", variant)
    if outcome == "share_listed" and ratio is not None and math.isfinite(ratio["mean"]):
        text += (
            f"; the poorest decile is listed {fmt(ratio['mean'])} times as often as the richest "
            f"({_between(ratio['low'], ratio['high'])})"
        )
    conc = _row(summary, outcome.replace("share_", "") + "_concentration", variant)
    if conc is not None and math.isfinite(conc["mean"]):
        text += f"; concentration index {fmt(conc['mean'])} ({_between(conc['low'], conc['high'])})"
    return text + "."


def month_finding(summary: pl.DataFrame, outcome: str, study: Study) -> str:
    """The first and the last month of the baseline, and the variant furthest from it in
    the last month."""
    o = OUTCOMES[outcome]
    rows = summary.filter((pl.col("outcome") == outcome) & (pl.col("variant") == study.baseline))
    if not rows.height:
        return ""
    rows = rows.sort("group")
    first, last = rows.row(0, named=True), rows.row(-1, named=True)
    text = (
        f"Finding: in \u201c{study.baseline}\u201d, {fmt(first['mean'])}{unit(o)} at "
        f"{first['group']} and {fmt(last['mean'])}{unit(o)} at {last['group']} "
        f"({_between(last['low'], last['high'])})."
    )
    ends = summary.filter(
        (pl.col("outcome") == outcome)
        & (pl.col("group") == last["group"])
        & (pl.col("variant") != study.baseline)
        & pl.col("difference").is_finite()
    )
    if ends.height:
        far = ends.sort(pl.col("difference").abs(), descending=True).row(0, named=True)
        if far["difference"] != 0:
            text += (
                f" At {last['group']}, \u201c{far['variant']}\u201d differs by "
                f"{'+' if far['difference'] > 0 else ''}{fmt(far['difference'])}"
                f"{' percentage points' if o.unit == '%' else unit(o)} "
                f"({_between(far['difference_low'], far['difference_high'])})."
            )
    return text
