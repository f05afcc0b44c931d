"""The outcomes of a study, defined once. Each is a number per run (seed), some per income
decile (``group`` 1..10) or per grade transition (``group`` "A -> B"); ``OUTCOMES`` holds
the label and definition the report and docs/studies.md print.

People are the city's adult residents at the start of the run unless said otherwise;
"at the end" is the last month end. The world does not model people filing objections or
courts deciding them, so objections *filed* and days to correction after an objection are
not outcomes; what is derivable is how many would need to object and how long a wrongful
listing lasts when nobody objects (it ends only when the data change).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from xinyong.world.attention import Attention
from xinyong.world.study.peer import PeerRatings
from xinyong.world.study.stats import concentration_index, gini, spearman
from xinyong.world.study.tracker import Tracker


@dataclass(frozen=True)
class Outcome:
    label: str
    unit: str
    definition: str
    by: str = ""  # "decile", "transition" or "" (one number per run)


OUTCOMES: dict[str, Outcome] = {
    "share_listed": Outcome(
        "On a black list", "%", "Adults on any black list in force at the end, % of adults "
        "(per income decile, and all).", "decile"),
    "listed_concentration": Outcome(
        "Concentration of listings", "index", "Concentration index of the share listed over "
        "income deciles: below 0 the poor are listed more, 0 equal, above 0 the rich."),
    "listed_poorest_to_richest": Outcome(
        "Listed, poorest / richest decile", "ratio", "Share listed in decile 1 divided by "
        "the share listed in decile 10."),
    "share_denied": Outcome(
        "Denied at a gate", "%", "Adults denied at least one purchase during the run, % of "
        "adults (per income decile, and all).", "decile"),
    "denied_concentration": Outcome(
        "Concentration of denials", "index", "Concentration index of the share denied over "
        "income deciles."),
    "wrongful_listed_per_100k": Outcome(
        "Wrongfully listed", "per 100,000", "Subjects on a black list at the end that the "
        "error-free view would not list, per 100,000 residents."),
    "wrongful_denials_per_100k": Outcome(
        "Wrongful denials", "per 100,000", "Denials during the run that the error-free view "
        "would not have made, per 100,000 residents."),
    "objections_needed_per_100k": Outcome(
        "Would need to object", "per 100,000", "Subjects who at some month end were "
        "wrongfully listed, were wrongfully denied, or had a lower grade than the error-free "
        "view gives, per 100,000 residents."),
    "months_wrongfully_listed": Outcome(
        "Months wrongfully listed", "months", "Mean month ends on a black list wrongfully, "
        "over subjects wrongfully listed at least once (nobody objects in the world)."),
    "wrongful_listings_ended": Outcome(
        "Wrongful listings ended without objection", "%", "Wrongful listing spells that "
        "ended before the end of the run, % of spells that began (they end only when the "
        "data change)."),
    "negative_acts_per_1000": Outcome(
        "Rule-breaking acts", "per 1,000 adults a month", "True negative acts (deterred or "
        "stressed behaviours, and court judgments) per 1,000 adults per month, mean over "
        "months: compare with and without the scheme for deterrence."),
    "listed_by_month": Outcome("On a black list, month by month", "%", "Adults on any "
        "black list in force at each month end, % of adults.", "month"),
    "negative_acts_by_month": Outcome("Rule-breaking acts, month by month", "per 1,000 "
        "adults", "True negative acts in each month per 1,000 adults.", "month"),
    "household_of_listed_per_100k": Outcome(
        "Living with a listed person", "per 100,000", "Residents not on a black list who "
        "share a household with someone who is, at the end, per 100,000 residents."),
    "score_mean": Outcome("Mean score", "points", "Mean score of adults at the end, first "
        "point scheme."),
    "score_gini": Outcome("Gini of scores", "index", "Gini coefficient of adults' scores at "
        "the end (first point scheme)."),
    "score_p10": Outcome("Score, 10th percentile", "points", "10th percentile of adults' "
        "scores at the end."),
    "grade_changed": Outcome("Changed grade", "%", "Adults whose grade at the end differs "
        "from their grade at the first month end, %."),
    "rank_persistence": Outcome("Rank persistence of scores", "correlation", "Rank "
        "correlation of adults' scores at the first and the last month end (1: nobody "
        "moves relative to others)."),
    "grade_transition": Outcome("Grade transitions", "%", "Of the adults in grade A at the "
        "first month end, % in grade B at the end.", "transition"),
    "peer_stars_mean": Outcome("Mean peer stars", "stars", "Peer ratings (world only): "
        "mean stars of adults at the end."),
    "peer_gini": Outcome("Gini of peer stars", "index", "Gini coefficient of adults' peer "
        "stars at the end."),
    "peer_rank_persistence": Outcome("Rank persistence of peer stars", "correlation", "Rank "
        "correlation of adults' stars at the first and the last month end."),
    "peer_stars": Outcome("Peer stars by decile", "stars", "Mean peer stars of adults at "
        "the end, per income decile.", "decile"),
    "peer_concentration": Outcome("Concentration of low stars", "index", "Concentration "
        "index of the share of adults below 3 stars, over income deciles."),
    "attention_first_zone": Outcome("Attention on zone 1", "%", "Enforcement attention "
        "model (world only): zone 1's share of the attended agency's attention in the last "
        "month (it starts at first_zone_share)."),
    "attention_largest": Outcome("Attention on the most watched zone", "%", "The largest "
        "zone's share of attention in the last month (100 / zones when equal)."),
    "detections_first_zone": Outcome("Detections in zone 1", "%", "Zone 1's share of the "
        "attended agency's records over the run."),
    "true_first_zone": Outcome("True events in zone 1", "%", "Zone 1's share of the true "
        "events the attended agency handles (what detections should mirror)."),
    "detections_watched": Outcome("Detections in the most watched zone", "%", "The share "
        "of the attended agency's records over the run in the zone that has most attention in "
        "the last month (compare with true_watched)."),
    "true_watched": Outcome("True events in the most watched zone", "%", "That zone's share "
        "of the agency's true events over the run."),
    "firms_listed": Outcome("Firms on a black list", "%", "Firms (organisations the market "
        "regulator registers, when [firms] are on) on any black list in force at the end, % "
        "of firms."),
    "firms_wrongful_per_1000": Outcome("Firms wrongfully listed", "per 1,000 firms", "Firms "
        "on a black list at the end that the error-free view would not list, per 1,000 "
        "firms."),
    "detection_rate": Outcome("Detected, by zone", "%", "The attended agency's records per "
        "true event over the run, % per zone.", "zone"),
}  # fmt: skip

Row = tuple[str, str, float]  # (outcome, group, value)


def _deciles(rows: list[Row], name: str, mask: np.ndarray, t: Tracker) -> tuple[Any, Any]:
    adult = t.adult
    dec = t.decile
    n = np.bincount(dec[adult], minlength=11)[1:]
    hit = np.bincount(dec[adult & mask], minlength=11)[1:]
    share = hit / np.maximum(n, 1)
    for d in range(10):
        rows.append((name, str(d + 1), 100.0 * share[d]))
    rows.append((name, "all", 100.0 * hit.sum() / max(int(n.sum()), 1)))
    return share, n


def measure(t: Tracker, peer: PeerRatings | None = None) -> list[Row]:
    """Every outcome of one run, from what the tracker followed."""
    rows: list[Row] = []
    per_100k = 100_000 / max(t.n_residents, 1)
    listed, n = _deciles(rows, "share_listed", t.black, t)
    rows.append(("listed_concentration", "", concentration_index(listed, n)))
    ratio = listed[0] / listed[9] if listed[9] > 0 else math.nan
    rows.append(("listed_poorest_to_richest", "", ratio))
    denied, n = _deciles(rows, "share_denied", t.denied, t)
    rows.append(("denied_concentration", "", concentration_index(denied, n)))
    rows.append(("wrongful_listed_per_100k", "", per_100k * int(t.wrong_now.sum())))
    rows.append(("wrongful_denials_per_100k", "", per_100k * t.wrongful_denials))
    rows.append(("objections_needed_per_100k", "", per_100k * int(t.needed.sum())))
    ever = t.wrong_months > 0
    rows.append(
        (
            "months_wrongfully_listed",
            "",
            float(t.wrong_months[ever].mean()) if ever.any() else math.nan,
        )
    )
    ended = 100.0 * t.spells_ended / t.spells_started if t.spells_started else math.nan
    rows.append(("wrongful_listings_ended", "", ended))
    neg = t.negative_per_1000
    rows.append(("negative_acts_per_1000", "", float(np.mean(neg)) if neg else math.nan))
    rows.extend(("listed_by_month", lb, v) for lb, v in zip(t.labels, t.listed_share, strict=False))
    rows.extend(("negative_acts_by_month", lb, v) for lb, v in zip(t.labels, neg, strict=False))
    rows.append(("household_of_listed_per_100k", "", per_100k * int(t.household_of_listed().sum())))
    rows.extend(_scores(t))
    if t.firm.any():
        rows.append(("firms_listed", "", 100.0 * float(t.black[t.firm].mean())))
        rows.append(("firms_wrongful_per_1000", "", 1000.0 * float(t.wrong_now[t.firm].mean())))
    if peer is not None and peer.month:
        rows.extend(_peer(t, peer))
    if t.attention is not None and t.attention.months:
        rows.extend(_attention(t.attention))
    return rows


def _attention(a: Attention) -> list[Row]:
    last = a.history[-1]
    found = np.sum(a.detected, axis=0).astype(np.float64)
    true = np.sum(a.true, axis=0).astype(np.float64)
    rows: list[Row] = [
        ("attention_first_zone", "", 100.0 * float(last[0])),
        ("attention_largest", "", 100.0 * float(last.max())),
        ("detections_first_zone", "", 100.0 * found[0] / found.sum() if found.sum() else math.nan),
        ("true_first_zone", "", 100.0 * true[0] / true.sum() if true.sum() else math.nan),
    ]
    top = int(np.argmax(last))
    rows.append(
        ("detections_watched", "", 100.0 * found[top] / found.sum() if found.sum() else math.nan)
    )
    rows.append(("true_watched", "", 100.0 * true[top] / true.sum() if true.sum() else math.nan))
    rate = np.where(true > 0, 100.0 * found / np.maximum(true, 1), math.nan)
    rows.extend(("detection_rate", str(z + 1), float(rate[z])) for z in range(a.zones))
    return rows


def _scores(t: Tracker) -> list[Row]:
    """Score and grade outcomes of the first scheme that gives numeric scores."""
    for g in t.grades.values():
        s = g.score[t.adult]
        if not np.isfinite(s).any():
            continue
        rows: list[Row] = [
            ("score_mean", "", float(np.nanmean(s))),
            ("score_gini", "", gini(s)),
            ("score_p10", "", float(np.nanpercentile(s, 10))),
            ("rank_persistence", "", spearman(g.first_score[t.adult], s)),
        ]
        a, b = g.first[t.adult], g.last[t.adult]
        ok = (a >= 0) & (b >= 0)
        rows.append(
            ("grade_changed", "", 100.0 * float((a[ok] != b[ok]).mean()) if ok.any() else math.nan)
        )
        for i, x in enumerate(g.names):
            start = ok & (a == i)
            for j, y in enumerate(g.names):
                share = float((b[start] == j).mean()) * 100 if start.any() else math.nan
                rows.append(("grade_transition", f"{x} -> {y}", share))
        return rows
    return []


def _peer(t: Tracker, peer: PeerRatings) -> list[Row]:
    stars = peer.stars
    dec = t.decile[peer.adults]
    rows: list[Row] = [
        ("peer_stars_mean", "", float(stars.mean())),
        ("peer_gini", "", gini(stars)),
        ("peer_rank_persistence", "", spearman(peer.first, stars)),
    ]
    n = np.bincount(dec, minlength=11)[1:]
    mean = np.bincount(dec, weights=stars, minlength=11)[1:] / np.maximum(n, 1)
    low = np.bincount(dec[stars < 3.0], minlength=11)[1:] / np.maximum(n, 1)
    rows.extend(("peer_stars", str(d + 1), float(mean[d])) for d in range(10))
    rows.append(("peer_concentration", "", concentration_index(low, n)))
    return rows
