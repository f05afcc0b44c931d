"""A self-contained HTML report of a run: every figure is a PNG embedded as a data URI.

The file needs nothing but itself: no scripts, no style sheets, no fonts or images from
the network, and no links out. Figures (matplotlib, Agg backend):

1. score and grade distribution over time;
2. list sizes over time;
3. denials per gate;
4. share on a black list by income decile;
5. wrongful listings and denials caused by data errors;
6. objections that would be needed;
7. firms on the organisation lists by size and type, and their wrongful listings.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from xinyong.world.report_captions import MONTH_COLUMNS, SHOWS, found

FIGURES = (
    ("grades", "Score and grade distribution over time"),
    ("lists", "List sizes over time"),
    ("gates", "Denials per gate"),
    ("deciles", "Share on a black list by income decile"),
    ("wrongful", "Wrongful listings and denials caused by data errors"),
    ("objections", "Objections that would be needed"),
    ("firms", "Firms on the organisation lists, by size and type"),
)


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _integers(*axes: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _months(ax: Any, frame: pl.DataFrame) -> None:
    """Calendar months (YYYY-MM, from the frame's ``label``) on the x axis."""
    if not frame.height or "label" not in frame.columns:
        return
    pairs = frame.select("month", "label").unique().sort("month")
    step = max(1, pairs.height // 12)
    ax.set_xticks(pairs["month"].to_list()[::step], pairs["label"].to_list()[::step])
    ax.tick_params(axis="x", labelrotation=45)
    ax.set_xlabel("month end")


def _legend_outside(ax: Any) -> None:
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def fig_grades(metrics: Mapping[str, pl.DataFrame], final_scores: Mapping[str, np.ndarray]) -> str:
    """Small multiples (one linear panel per grade: % of adults), and the scores at the
    end of those whose score moved from the base."""
    plt = _plt()
    grades = metrics["grades"]
    schemes = grades["scheme"].unique(maintain_order=True).to_list() if grades.height else []
    if not schemes:
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
        _empty(axes[0], "no scored scheme")
        _empty(axes[1], "no scores")
        return _png(fig)
    name = schemes[0]
    g = grades.filter(pl.col("scheme") == name)
    order = g.sort("rank")["grade"].unique(maintain_order=True).to_list()
    months = g.select("month", "label").unique().sort("month")
    total = g.group_by("month").agg(pl.col("residents").sum().alias("total"))
    g = g.join(total, on="month").with_columns(
        share=pl.col("residents") / pl.max_horizontal(pl.col("total"), pl.lit(1)) * 100
    )
    cols = len(order) + 1
    fig, axes = plt.subplots(1, cols, figsize=(min(2.2 * cols, 14), 3.2))
    for ax, grade in zip(axes[:-1], order, strict=True):
        sel = g.filter(pl.col("grade") == grade).sort("month")
        ax.plot(sel["month"], sel["share"], marker="o", ms=2.5, color="#4c72b0")
        ax.set_title(f"grade {grade}", fontsize=9)
        ax.set_ylim(bottom=0)
        _months(ax, months)
        ax.set_xlabel("")
    axes[0].set_ylabel(f"{name}: % of adults")
    right = axes[-1]
    scores = final_scores.get(name)
    finite = scores[np.isfinite(scores)] if scores is not None else np.zeros(0)
    if finite.size:
        base = float(np.median(finite))
        moved = finite[finite != base]
        if moved.size:
            right.hist(moved, bins=30, color="#4c72b0")
        else:
            _empty(right, "nobody's score moved")
        at_base = int((finite == base).sum())
        right.set_title(f"scores at the end\n(not shown: {at_base:,} at {base:g})", fontsize=9)
        right.set_xlabel("score")
        right.set_ylabel("adults")
    else:
        _empty(right, "no scores")
    fig.tight_layout()
    return _png(fig)


def fig_lists(metrics: Mapping[str, pl.DataFrame]) -> str:
    """Small multiples: one panel per list, each on its own scale."""
    plt = _plt()
    lists = metrics["lists"]
    if not lists.height:
        fig, ax = plt.subplots(figsize=(10, 3.6))
        _empty(ax, "no lists")
        return _png(fig)
    keys = lists["list"].unique(maintain_order=True).to_list()
    cols = min(3, len(keys))
    rows = (len(keys) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(10, 2.8 * rows), squeeze=False)
    for ax, key in zip(axes.flat, keys, strict=False):
        sel = lists.filter(pl.col("list") == key).sort("month")
        ax.plot(sel["month"], sel["in_force"], marker="o", ms=2.5, label="on the list")
        ax.plot(sel["month"], sel["wrongful"], ls="--", label="of whom wrongfully")
        ax.set_title(key, fontsize=9)
        if not sel["in_force"].to_numpy().any():
            ax.text(0.5, 0.5, "nobody on this list", ha="center", transform=ax.transAxes)
        ax.set_ylim(bottom=0, top=max(1, int(sel["in_force"].to_numpy().max())) * 1.15)
        _months(ax, sel)
        _integers_y(ax)
    for ax in list(axes.flat)[len(keys) :]:
        ax.axis("off")
    axes[0][0].set_ylabel("subjects")
    _legend_outside(axes[0][-1] if len(keys) >= cols else axes[0][0])
    fig.tight_layout()
    return _png(fig)


def _integers_y(ax: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def fig_gates(metrics: Mapping[str, pl.DataFrame]) -> str:
    """Denials per 1,000 attempts at each gate (wrongful ones hatched), and benefits."""
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8), gridspec_kw={"width_ratios": [3, 2]})
    gates = metrics["gates"]
    if not gates.height:
        _empty(axes[0], "no gates")
        _empty(axes[1], "no gates")
        return _png(fig)
    total = gates.group_by("gate", maintain_order=True).agg(
        pl.col("attempts").sum(),
        pl.col("deny").sum(),
        pl.col("wrongful_deny").sum(),
        pl.col("benefit").sum(),
    )
    denying = total.filter(pl.col("deny") > 0).sort("deny")
    if denying.height:
        y = np.arange(denying.height)
        per = 1000 / np.maximum(denying["attempts"].to_numpy(), 1)
        wrong = denying["wrongful_deny"].to_numpy() * per
        right = denying["deny"].to_numpy() * per - wrong
        axes[0].barh(y, right, color="#c44e52", label="denied")
        axes[0].barh(y, wrong, left=right, color="#dd8452", hatch="//", label="denied wrongfully")
        labels = [
            f"{g}\n({int(d):,} of {int(a):,} attempts)"
            for g, d, a in zip(denying["gate"], denying["deny"], denying["attempts"], strict=True)
        ]
        axes[0].set_yticks(y, labels, fontsize=8)
        axes[0].legend(fontsize=8, loc="upper left", bbox_to_anchor=(0.0, -0.18), ncols=2)
    else:
        _empty(axes[0], "nobody was denied")
    axes[0].set_xlabel("denials per 1,000 attempts over the run")
    axes[0].set_title("Denials per gate")
    rewarding = total.filter(pl.col("benefit") > 0).sort("benefit")
    if rewarding.height:
        y = np.arange(rewarding.height)
        axes[1].barh(y, rewarding["benefit"].to_numpy(), color="#55a868")
        axes[1].set_yticks(y, rewarding["gate"].to_list(), fontsize=8)
        axes[1].set_xlim(0, max(1, int(rewarding["benefit"].to_numpy().max())) * 1.15)
        from matplotlib.ticker import MaxNLocator

        axes[1].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[1].set_xlabel("benefits given over the run")
    else:
        _empty(axes[1], "no benefits given")
    axes[1].set_title("Benefits per gate")
    fig.tight_layout()
    return _png(fig)


def fig_deciles(metrics: Mapping[str, pl.DataFrame]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 3.4))
    dec = metrics["deciles"]
    if not dec.height:
        _empty(ax, "no residents")
        return _png(fig)
    last = dec.filter(pl.col("month") == dec["month"].max()).sort("decile")
    ax.bar(last["decile"], last["share_listed"] * 100, color="#8172b3")
    ax.set_xticks(range(1, 11))
    ax.set_xlabel("income decile (1 = poorest)")
    ax.set_ylabel("% on a black list")
    ax.set_title("Adult residents on a black list at the last month end, by income decile")
    return _png(fig)


CAUSE_COLUMNS = (
    ("wrongful_misattributed", "misattributed record", "#c44e52"),
    ("wrongful_false_positive", "false positive", "#8172b3"),
    ("wrongful_duplicate", "duplicate record", "#dd8452"),
)


def fig_wrongful(metrics: Mapping[str, pl.DataFrame]) -> str:
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    lists, monthly = metrics["lists"], metrics["monthly"]
    black = lists.filter(pl.col("polarity") == "black") if lists.height else lists
    if black.height and all(c in black.columns for c, _, _ in CAUSE_COLUMNS):
        per = (
            black.group_by("month").agg(pl.col(c).sum() for c, _, _ in CAUSE_COLUMNS).sort("month")
        )
        bottom = np.zeros(per.height)
        for col, label, colour in CAUSE_COLUMNS:
            v = per[col].to_numpy().astype(float)
            axes[0].bar(per["month"], v, bottom=bottom, color=colour, label=label)
            bottom += v
        axes[0].legend(fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.32))
    else:
        _empty(axes[0], "no black lists")
    axes[0].set_ylabel("subjects")
    axes[0].set_title("Wrongfully on a black list, by kind of data error")
    if monthly.height:
        axes[1].bar(monthly["month"], monthly["wrongful_denials"], color="#dd8452")
    axes[1].set_ylabel("denials")
    axes[1].set_title("Wrongful denials at gates")
    _integers(axes[0], axes[1])
    _months(axes[0], monthly)
    _months(axes[1], monthly)
    return _png(fig)


def fig_objections(metrics: Mapping[str, pl.DataFrame]) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(10, 3.4))
    obj = metrics["objections"]
    if not obj.height:
        _empty(ax, "no objections")
        return _png(fig)
    bottom = None
    for reason in obj["reason"].unique(maintain_order=True).to_list():
        sel = obj.filter(pl.col("reason") == reason).sort("month")
        v = sel["subjects"].to_numpy()
        ax.bar(sel["month"], v, bottom=bottom, label=f"wrongful {reason}")
        bottom = v if bottom is None else bottom + v
    ax.set_ylabel("subjects")
    ax.set_title("Subjects who would need to object (by what the error did to them)")
    _legend_outside(ax)
    _integers(ax)
    _months(ax, obj)
    return _png(fig)


SIZE_COLOURS = (("small", "#4c72b0"), ("medium", "#dd8452"), ("large", "#55a868"))


def _size_bars(ax: Any, by_size: pl.DataFrame, keys: list[str]) -> None:
    y = np.arange(len(keys))
    h = 0.8 / len(SIZE_COLOURS)
    for i, (size, colour) in enumerate(SIZE_COLOURS):
        sel = dict(by_size.filter(pl.col("size") == size).select("list", "share").iter_rows())
        ax.barh(y + (i - 1) * h, [100 * sel.get(k, 0.0) for k in keys], h, color=colour, label=size)
    ax.set_yticks(y, [k.replace("/", "/\n") for k in keys], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(left=0)


def fig_firms(metrics: Mapping[str, pl.DataFrame]) -> str:
    """Left: % of firms of each size on each black list of the organisation schemes at the
    last month end; middle: the same for the red lists (A level), on its own scale; right:
    wrongful listings of firms on the black lists, stacked by firm type."""
    plt = _plt()
    fig, axes = plt.subplots(
        1, 3, figsize=(11, 4.0), gridspec_kw={"width_ratios": [5, 3, 4]}, squeeze=True
    )
    firms = metrics.get("firms", pl.DataFrame())
    if not firms.height:
        for ax in axes:
            _empty(ax, "no firms in this run")
        return _png(fig)
    by_size = (
        firms.group_by("list", "polarity", "size")
        .agg(pl.col("firms").sum(), pl.col("listed").sum())
        .with_columns(share=pl.col("listed") / pl.max_horizontal(pl.col("firms"), pl.lit(1)))
    )
    for ax, polarity, title in (
        (axes[0], "black", "Firms on each black list"),
        (axes[1], "red", "Firms on each red list"),
    ):
        part = by_size.filter(pl.col("polarity") == polarity)
        keys = sorted(part["list"].unique().to_list())
        if keys:
            _size_bars(ax, part, keys)
            ax.set_xlabel("% of the firms of that size")
        else:
            _empty(ax, f"no {polarity} list")
        ax.set_title(title, fontsize=10)
    axes[0].legend(fontsize=8, title="firm size", title_fontsize=8, frameon=False)
    black = firms.filter(pl.col("polarity") == "black")
    wrong = black.group_by("list", "type").agg(pl.col("wrongful").sum()).sort("list", "type")
    if wrong.height and int(wrong["wrongful"].sum()) > 0:
        wkeys = sorted(wrong.filter(pl.col("wrongful") > 0)["list"].unique().to_list())
        wy = np.arange(len(wkeys))
        left = np.zeros(len(wkeys))
        for t in sorted(wrong["type"].unique().to_list()):
            sel = dict(wrong.filter(pl.col("type") == t).select("list", "wrongful").iter_rows())
            v = np.array([float(sel.get(k, 0)) for k in wkeys])
            if v.any():
                axes[2].barh(wy, v, 0.5, left=left, label=t)
            left += v
        axes[2].set_yticks(wy, [k.replace("/", "/\n") for k in wkeys], fontsize=8)
        axes[2].set_ylim(len(wkeys) - 0.5, -0.5)
        axes[2].legend(
            fontsize=8,
            title="firm type",
            title_fontsize=8,
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.18),
            ncols=2,
        )
        from matplotlib.ticker import MaxNLocator

        axes[2].xaxis.set_major_locator(MaxNLocator(integer=True))
        axes[2].set_xlabel("firms")
    else:
        _empty(axes[2], "no wrongful listing of a firm")
    axes[2].set_title("Wrongfully listed firms (agency errors)", fontsize=10)
    fig.tight_layout()
    return _png(fig)


def figures(
    metrics: Mapping[str, pl.DataFrame], final_scores: Mapping[str, np.ndarray]
) -> dict[str, str]:
    """Data URIs by figure id (see FIGURES)."""
    return {
        "grades": fig_grades(metrics, final_scores),
        "lists": fig_lists(metrics),
        "gates": fig_gates(metrics),
        "deciles": fig_deciles(metrics),
        "wrongful": fig_wrongful(metrics),
        "objections": fig_objections(metrics),
        "firms": fig_firms(metrics),
    }


_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1060px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:.3em .6em;
text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}
img{max-width:100%}.note{color:#555;font-size:.92em}.wide{overflow-x:auto}
table{font-size:.9em}
"""


def _table(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"


def _frame_table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<div class='wide'><table><tr>{head}</tr>{body}</table></div>"


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def render(
    title: str,
    summary: list[tuple[str, str]],
    metrics: Mapping[str, pl.DataFrame],
    final_scores: Mapping[str, np.ndarray],
    notes: list[str],
    tables: Sequence[tuple[str, str, pl.DataFrame]] = (),
) -> str:
    """The report as one HTML string: how to read it first, then the summary, each figure
    with a caption (what it shows, and what it found), the month table and ``tables``
    (title, note, frame)."""
    figs = figures(metrics, final_scores)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p class='note'>Synthetic data only: every person and organisation here is made "
        "up. The engine scores each subject on that subject's own records; errors are "
        "counted against the world's ground truth, which the engine never sees.</p>",
    ]
    if notes:
        parts.append("<h2>How to read this</h2><ul>")
        parts.extend(f"<li>{html.escape(n)}</li>" for n in notes)
        parts.append("</ul>")
    parts += ["<h2>Summary</h2>", _table(summary)]
    for fid, caption in FIGURES:
        parts.append(f"<h2 id='{fid}'>{html.escape(caption)}</h2>")
        text = f"{SHOWS.get(fid, '')} {found(fid, metrics)}".strip()
        parts.append(f"<p class='note'>{html.escape(text)}</p>")
        parts.append(f"<img alt='{html.escape(caption)}' src='{figs[fid]}'>")
    monthly = metrics.get("monthly")
    if monthly is not None and monthly.height:
        cols = [c for c in MONTH_COLUMNS if c in monthly.columns]
        parts.append("<h2>Month by month</h2>")
        parts.append(_frame_table(monthly.select(cols).rename(MONTH_COLUMNS, strict=False)))
    for title_, note, frame in tables:
        parts.append(f"<h2>{html.escape(title_)}</h2>")
        if note:
            parts.append(f"<p class='note'>{html.escape(note)}</p>")
        parts.append(_frame_table(frame))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: Path, html_text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html_text, encoding="utf-8")
    return path
