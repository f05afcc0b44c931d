"""The study report: one self-contained HTML file (figures embedded as PNG data URIs).

Definitions come first; each figure has a caption saying what it shows and a finding
computed from the results; intervals are drawn as error bars; tables use plain names.
"""

from __future__ import annotations

import html
import math
from datetime import date

import numpy as np
import polars as pl

from xinyong.world.report import _CSS, _plt, _png
from xinyong.world.study.findings import decile_finding, fmt, month_finding, scalar_finding
from xinyong.world.study.outcomes import OUTCOMES
from xinyong.world.study.spec import Study

KEY_OUTCOMES = (
    "detections_watched",
    "true_watched",
    "attention_largest",
    "attention_first_zone",
    "peer_gini",
    "peer_rank_persistence",
    "peer_concentration",
    "negative_acts_per_1000",
    "wrongful_listed_per_100k",
    "wrongful_denials_per_100k",
    "objections_needed_per_100k",
    "household_of_listed_per_100k",
    "listed_concentration",
    "score_gini",
    "grade_changed",
    "rank_persistence",
    "months_wrongfully_listed",
)


def _scalar(summary: pl.DataFrame, outcome: str) -> pl.DataFrame:
    return summary.filter((pl.col("outcome") == outcome) & (pl.col("group") == ""))


def fig_outcome(summary: pl.DataFrame, outcome: str, variants: list[str]) -> str:
    plt = _plt()
    rows = _scalar(summary, outcome)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(variants) + 1.2))
    y = np.arange(len(variants))[::-1]
    means, lows, highs = [], [], []
    for v in variants:
        r = rows.filter(pl.col("variant") == v)
        m = float(r["mean"][0]) if r.height else math.nan
        lo = float(r["low"][0]) if r.height else math.nan
        hi = float(r["high"][0]) if r.height else math.nan
        means.append(m)
        lows.append(m - lo if math.isfinite(lo) else 0.0)
        highs.append(hi - m if math.isfinite(hi) else 0.0)
    ax.errorbar(means, y, xerr=[lows, highs], fmt="o", color="#4c72b0", capsize=4)
    ax.set_yticks(y, variants)
    o = OUTCOMES[outcome]
    ax.set_xlabel(f"{o.label} ({o.unit}); mean and 95 % interval over seeds")
    ax.grid(axis="x", color="0.9")
    return _png(fig)


def fig_deciles(summary: pl.DataFrame, outcome: str, variants: list[str]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    rows = summary.filter((pl.col("outcome") == outcome) & (pl.col("group") != "all"))
    for i, v in enumerate(variants):
        r = rows.filter(pl.col("variant") == v).with_columns(d=pl.col("group").cast(pl.Int64))
        r = r.sort("d")
        x = r["d"].to_numpy() + (i - (len(variants) - 1) / 2) * 0.08
        m = r["mean"].to_numpy()
        err = np.nan_to_num(np.vstack([m - r["low"].to_numpy(), r["high"].to_numpy() - m]))
        ax.errorbar(x, m, yerr=err, marker="o", ms=3, capsize=2, label=v)
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("income decile (1 = poorest, 10 = richest)")
    o = OUTCOMES[outcome]
    ax.set_ylabel(f"% of adults ({o.label.lower()})" if o.unit == "%" else f"{o.label} ({o.unit})")
    if o.unit == "%":
        ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _png(fig)


def fig_months(summary: pl.DataFrame, outcome: str, variants: list[str]) -> str:
    """One line per variant over calendar months, its 95 % interval as a band."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.4))
    rows = summary.filter(pl.col("outcome") == outcome)
    labels = sorted(set(rows["group"].to_list()))
    x = np.arange(len(labels))
    for v in variants:
        r = rows.filter(pl.col("variant") == v).sort("group")
        if not r.height:
            continue
        xs = np.array([labels.index(g) for g in r["group"].to_list()])
        line = ax.plot(xs, r["mean"].to_numpy(), marker="o", ms=3, label=v)
        low, high = r["low"].to_numpy(), r["high"].to_numpy()
        ok = np.isfinite(low) & np.isfinite(high)
        ax.fill_between(xs[ok], low[ok], high[ok], color=line[0].get_color(), alpha=0.2, lw=0)
    ax.set_xticks(x, labels, rotation=45)
    ax.set_xlabel("month end")
    o = OUTCOMES[outcome]
    ax.set_ylabel(f"{o.unit}")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return _png(fig)


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def _interval(lo: float, hi: float) -> str:
    return "" if not (math.isfinite(lo) and math.isfinite(hi)) else f"{fmt(lo)} to {fmt(hi)}"


def summary_table(summary: pl.DataFrame, study: Study) -> str:
    rows = []
    for r in summary.filter(pl.col("group").is_in(["", "all"])).iter_rows(named=True):
        diff = "" if r["variant"] == study.baseline else fmt(r["difference"])
        rows.append(
            [
                r["variant"],
                f"{r['label']} ({r['unit']})",
                fmt(r["mean"]),
                _interval(r["low"], r["high"]),
                diff,
                "" if not diff else _interval(r["difference_low"], r["difference_high"]),
            ]
        )
    return _table(
        [
            "Variant",
            "Outcome",
            "Mean",
            "95 % interval",
            f"Difference from {study.baseline}",
            "95 % interval of the difference",
        ],
        rows,
    )


def transition_table(summary: pl.DataFrame, variant: str) -> str:
    """The grade transition matrix of one variant: rows the grade at the first month end,
    columns the grade at the end, cells the mean % over seeds (empty: nobody started there)."""
    rows = summary.filter(
        (pl.col("outcome") == "grade_transition") & (pl.col("variant") == variant)
    )
    if not rows.height:
        return ""
    pairs = [tuple(g.split(" -> ")) for g in rows["group"].to_list()]
    grades = list(dict.fromkeys(a for a, _ in pairs))
    cell = dict(zip(pairs, rows["mean"].to_list(), strict=True))
    body = [
        [
            f"from {a}",
            *("" if not math.isfinite(cell[(a, b)]) else fmt(cell[(a, b)]) for b in grades),
        ]
        for a in grades
        if any(math.isfinite(cell[(a, b)]) for b in grades)
    ]
    return _table(["", *(f"to {b}" for b in grades)], body)


def render(study: Study, summary: pl.DataFrame, months: int, start: date) -> str:
    variants = [v.name for v in study.variants]
    end_m = start.month - 1 + months - 1
    end = date(start.year + end_m // 12, end_m % 12 + 1, 1)
    period = f"{start:%B %Y} to {end:%B %Y}"
    present = set(summary["outcome"].to_list())
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(study.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Study: {html.escape(study.title)}</h1>",
        f"<p><b>Question.</b> {html.escape(study.question)}</p>",
        f"<p><b>Design.</b> {len(variants)} variant(s) x {len(study.seeds)} seeds, "
        f"{months} months ({period}); each seed is an independent synthetic city, the same "
        f"city for every variant (paired). Baseline: <i>{html.escape(study.baseline)}</i>. "
        "Synthetic data only.</p>",
        "<h2>Definitions</h2><ul>",
    ]
    for name, o in OUTCOMES.items():
        if name in present:
            parts.append(f"<li><b>{html.escape(o.label)}</b> ({html.escape(o.unit)}): "
                         f"{html.escape(o.definition)}</li>")  # fmt: skip
    parts.append(
        "<li>95 % interval: the t interval of the mean over seeds; a difference's interval is "
        "the t interval of the per-seed differences from the baseline.</li></ul>"
    )
    for outcome in ("share_listed", "share_denied", "peer_stars"):
        if outcome in present:
            o = OUTCOMES[outcome]
            head = o.label if "decile" in o.label else f"{o.label}, by income decile"
            parts.append(f"<h2>{html.escape(head)}</h2>")
            parts.append(f"<p class='note'>{html.escape(o.definition)} Points: mean over seeds; "
                         "bars: 95 % interval. "
                         f"{html.escape(decile_finding(summary, outcome, study))}</p>")  # fmt: skip
            img = fig_deciles(summary, outcome, variants)
            parts.append(f"<img alt='{html.escape(o.label)}' src='{img}'>")
    for outcome in ("listed_by_month", "negative_acts_by_month"):
        if outcome in present:
            o = OUTCOMES[outcome]
            parts.append(f"<h2>{html.escape(o.label)}</h2>")
            text = f"{o.definition} Lines: mean over seeds; bands: 95 % interval. "
            text += month_finding(summary, outcome, study)
            parts.append(f"<p class='note'>{html.escape(text)}</p>")
            img = fig_months(summary, outcome, variants)
            parts.append(f"<img alt='{html.escape(o.label)}' src='{img}'>")
    for outcome in KEY_OUTCOMES:
        if outcome not in present or not _scalar(summary, outcome)["mean"].is_finite().any():
            continue
        o = OUTCOMES[outcome]
        parts.append(f"<h2>{html.escape(o.label)}</h2>")
        parts.append(f"<p class='note'>{html.escape(o.definition)} "
                     f"{html.escape(scalar_finding(summary, outcome, study))}</p>")  # fmt: skip
        parts.append(
            f"<img alt='{html.escape(o.label)}' src='{fig_outcome(summary, outcome, variants)}'>"
        )
    names = [study.baseline, *(v for v in variants if v != study.baseline)]
    shown, matrix = next(((v, m) for v in names if (m := transition_table(summary, v))), ("", ""))
    if matrix:
        parts.append("<h2>Grade mobility</h2>")
        parts.append(
            "<p class='note'>Of the adults in each grade at the first month end (rows), the % "
            f"in each grade at the end (columns), in \u201c{html.escape(shown)}"
            "\u201d; mean over seeds. Grades nobody started in are left out.</p>"
        )
        parts.append(matrix)
    parts.append("<h2>Every outcome</h2>")
    parts.append(summary_table(summary, study))
    parts.append("</body></html>")
    return "\n".join(parts)
