"""Captions of the run report: what each figure shows, and a finding computed from the
run's metrics (so every chart says what it found, not only what it plots)."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

SHOWS = {
    "grades": "Left: the share of adult residents in each grade at each month end, one panel "
    "per grade, each on its own linear scale. Right: the scores at the last month end of the "
    "adults whose score moved from the base score (everyone else sits at the base).",
    "lists": "Subjects on each list at each month end (solid), and of them those the "
    "error-free view would not list (dashed); one panel per list, each on its own scale.",
    "gates": "Left: denials per 1,000 purchase attempts at each gate over the run, the part "
    "caused by data errors hatched (counts in brackets). Right: benefits (fast lanes, "
    "discounts) given at each gate.",
    "deciles": "Adult residents on any black list at the last month end, % of each income decile.",
    "wrongful": "Subjects wrongfully on a black list at each month end, by the kind of data "
    "error behind it, and denials the error-free view would not have made.",
    "objections": "Subjects who would need to object at each month end, by what the error did "
    "to them (a subject can be counted under several reasons).",
    "firms": "Left: the share of firms (organisations the market regulator registers) of each "
    "size on each black list of the organisation schemes at the last month end; middle: the "
    "same for the red list (A level), on its own scale; right: firms on a black list only "
    "because of an agency error (absent from the error-free view), by firm type.",
}


def _last(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("month") == frame["month"].max()) if frame.height else frame


def _pct(x: float) -> str:
    return f"{x:.2f} %" if x < 10 else f"{x:.1f} %"


def found(fid: str, m: Mapping[str, pl.DataFrame]) -> str:
    """One sentence computed from the metrics for figure ``fid``."""
    monthly = m["monthly"]
    if not monthly.height:
        return "Nothing ran."
    label = str(monthly["label"][-1])
    if fid == "grades" and m["grades"].height:
        g = _last(m["grades"])
        name = str(g["scheme"][0])
        g = g.filter(pl.col("scheme") == name)
        total = max(int(g["residents"].sum()), 1)
        top = g.sort("residents", descending=True).row(0, named=True)
        return (
            f"Found: at {label}, {_pct(100 * top['residents'] / total)} of adults hold grade "
            f"{top['grade']} of {name}; the other grades together hold "
            f"{_pct(100 * (total - top['residents']) / total)}."
        )
    if fid == "lists" and m["lists"].height:
        last = _last(m["lists"]).sort("in_force", descending=True).row(0, named=True)
        return (
            f"Found: the largest list at {label} is {last['list']} with {last['in_force']:,} "
            f"subjects, {last['wrongful']:,} of them wrongfully."
        )
    if fid == "gates" and m["gates"].height:
        tot = m["gates"].select(pl.col("attempts", "deny", "wrongful_deny").sum()).row(0)
        per = 1000 * tot[1] / max(tot[0], 1)
        return (
            f"Found: {tot[1]:,} of {tot[0]:,} attempts were denied ({per:.1f} per 1,000), "
            f"{tot[2]:,} of the denials wrongfully."
        )
    if fid == "deciles" and m["deciles"].height:
        d = _last(m["deciles"]).sort("decile")
        poor, rich = float(d["share_listed"][0]), float(d["share_listed"][-1])
        ratio = f"{poor / rich:.1f} times" if rich > 0 else "(the richest: nobody)"
        return (
            f"Found: at {label}, {_pct(100 * poor)} of the poorest decile and "
            f"{_pct(100 * rich)} of the richest are on a black list; the poorest are listed "
            f"{ratio} as often (one run: see `xinyong study` for intervals over seeds)."
        )
    if fid == "wrongful":
        return (
            f"Found: {int(monthly['wrongful_listed'][-1]):,} subjects are wrongfully on a black "
            f"list at {label}; {int(monthly['wrongful_denials'].sum()):,} denials over the run "
            "were wrongful."
        )
    if fid == "objections":
        peak = monthly.sort("objections_needed", descending=True).row(0, named=True)
        return (
            f"Found: at most {peak['objections_needed']:,} subjects would need to object at one "
            f"month end ({peak['label']}); nobody in the world files objections."
        )
    if fid == "firms":
        return _found_firms(m.get("firms", pl.DataFrame()), label)
    return ""


def _found_firms(firms: pl.DataFrame, label: str) -> str:
    black = firms.filter(pl.col("polarity") == "black") if firms.height else firms
    if not black.height:
        return "Found: no firms in this run (the scenario's [firms] are off)."
    per_list = black.group_by("list").agg(pl.col("listed").sum(), pl.col("wrongful").sum())
    top = per_list.sort("listed", "list", descending=[True, False]).row(0, named=True)
    sizes = (
        black.filter(pl.col("list") == top["list"])
        .group_by("size")
        .agg(pl.col("listed").sum(), pl.col("firms").sum())
    )
    shares = {
        str(r["size"]): 100 * r["listed"] / max(r["firms"], 1) for r in sizes.iter_rows(named=True)
    }
    by_size = ", ".join(
        f"{_pct(shares[k])} of {k}" for k in ("small", "medium", "large") if k in shares
    )
    wrong = int(per_list["wrongful"].sum())
    return (
        f"Found: at {label} the black list holding most firms is {top['list']} "
        f"({top['listed']:,} firms: {by_size} firms); {wrong:,} firm listings on black lists "
        "are wrongful (agency errors)."
    )


MONTH_COLUMNS = {
    "label": "Month",
    "true_events": "True events",
    "records_ingested": "Records ingested",
    "erroneous_ingested": "of them erroneous",
    "black_listed": "On a black list",
    "wrongful_listed": "of them wrongfully",
    "gate_attempts": "Gate attempts",
    "denials": "Denials",
    "wrongful_denials": "of them wrongful",
    "objections_needed": "Would need to object",
}

AGENCY_COLUMNS = {
    "agency": "Agency",
    "true_events": "True events",
    "reported": "Records sent",
    "genuine": "Genuine",
    "misattributed": "Misattributed",
    "false_positive": "False positive",
    "duplicate": "Duplicate",
    "coverage": "Coverage",
    "erroneous_share": "Erroneous share",
}
