"""Each outcome on a tiny hand-made city (20 adults, two per income decile, households of
two), and the world-only mechanisms (peer ratings, attention) on hand data."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from xinyong.world.attention import Attention
from xinyong.world.study.outcomes import OUTCOMES, measure
from xinyong.world.study.peer import PeerParams, PeerRatings, _partners
from xinyong.world.study.tracker import Grades, Tracker

N = 20


def _tracker() -> Tracker:
    b = np.zeros(N, dtype=bool)
    t = Tracker(
        n=N,
        n_residents=N,
        months=2,
        decile=np.repeat(np.arange(1, 11), 2),
        household=np.arange(N) // 2,
        adult=~b,
    )
    t.black = b.copy()
    t.black[0] = True
    t.ever_black = t.black.copy()
    t.wrong_now = t.black.copy()
    t.wrong_months = np.zeros(N, dtype=np.int64)
    t.wrong_months[0] = 2
    t.spells_started, t.spells_ended = 2, 1
    t.needed = b.copy()
    t.needed[[0, 5]] = True
    t.denied = b.copy()
    t.denied[[1, 19]] = True
    t.wrongful_denials = 1
    t.negative_per_1000 = [10.0, 20.0]
    t.labels = ["2025-01", "2025-02"]
    t.listed_share = [0.0, 5.0]
    last = np.zeros(N, dtype=np.int16)
    last[0] = 1
    score = np.full(N, 1000.0)
    score[0] = 900.0
    t.grades = {"toy": Grades(["A", "B"], np.zeros(N, dtype=np.int16), last, score.copy(), score)}
    return t


def _value(rows: list[tuple[str, str, float]], outcome: str, group: str = "") -> float:
    return next(v for o, g, v in rows if o == outcome and g == group)


def test_every_outcome_on_a_hand_made_city() -> None:
    rows = measure(_tracker())
    assert _value(rows, "share_listed", "1") == 50.0
    assert _value(rows, "share_listed", "2") == 0.0
    assert _value(rows, "share_listed", "all") == 5.0
    # all listings in the poorest decile: C = 2 / 0.05 * (0.1 * 0.5 * 0.05) - 1 = -0.9
    assert _value(rows, "listed_concentration") == pytest.approx(-0.9)
    assert math.isnan(_value(rows, "listed_poorest_to_richest"))  # nobody rich is listed
    assert _value(rows, "share_denied", "1") == 50.0
    assert _value(rows, "share_denied", "10") == 50.0
    assert _value(rows, "share_denied", "all") == 10.0
    assert _value(rows, "denied_concentration") == pytest.approx(0.0)  # poorest and richest
    assert _value(rows, "wrongful_listed_per_100k") == 5_000.0  # 1 of 20
    assert _value(rows, "wrongful_denials_per_100k") == 5_000.0
    assert _value(rows, "objections_needed_per_100k") == 10_000.0
    assert _value(rows, "months_wrongfully_listed") == 2.0
    assert _value(rows, "wrongful_listings_ended") == 50.0
    assert _value(rows, "negative_acts_per_1000") == 15.0
    assert _value(rows, "negative_acts_by_month", "2025-02") == 20.0
    assert _value(rows, "listed_by_month", "2025-01") == 0.0
    assert _value(rows, "listed_by_month", "2025-02") == 5.0
    assert _value(rows, "household_of_listed_per_100k") == 5_000.0  # resident 1 lives with 0
    assert _value(rows, "score_mean") == pytest.approx(995.0)
    assert _value(rows, "score_p10") == pytest.approx(1000.0)
    assert _value(rows, "grade_changed") == 5.0
    assert _value(rows, "grade_transition", "A -> B") == 5.0
    assert _value(rows, "grade_transition", "A -> A") == 95.0
    assert math.isnan(_value(rows, "grade_transition", "B -> A"))  # nobody started in B
    assert {o for o, _, _ in rows} <= set(OUTCOMES)


def test_poorest_to_richest_ratio() -> None:
    t = _tracker()
    t.black[[0, 1, 18]] = True
    rows = measure(t)
    assert _value(rows, "listed_poorest_to_richest") == 2.0  # 100 % against 50 %


def _run(n: int, decile: np.ndarray, acted: list[int]) -> SimpleNamespace:
    subjects = SimpleNamespace(
        n=n,
        decile=decile.astype(np.float64),
        is_org=np.zeros(n, dtype=bool),
        ages=lambda _on: np.full(n, 30),
    )
    kinds = [SimpleNamespace(negative=True), SimpleNamespace(negative=False)]
    events = pl.DataFrame({"kind": [0] * len(acted), "subject": acted})
    scenario = SimpleNamespace(world=SimpleNamespace(start=None))
    return SimpleNamespace(subjects=subjects, kinds=kinds, events=events, scenario=scenario)


def test_peer_ratings_punish_rule_breakers_and_stay_in_range() -> None:
    n = 400
    run = _run(n, np.repeat(np.arange(1, 11), n // 10), acted=list(range(20)))
    peer = PeerRatings(PeerParams(interactions=20), seed=3)
    for _ in range(4):
        peer(run)  # type: ignore[arg-type]
    assert peer.month == 4
    assert ((peer.stars >= 1) & (peer.stars <= 5)).all()
    assert peer.stars[:20].mean() < peer.stars[20:].mean() - 0.5


def test_partners_are_someone_else_from_the_same_decile_under_full_homophily() -> None:
    rng = np.random.default_rng(1)
    decile = np.repeat(np.arange(1, 11), 5).astype(np.float64)
    rater = np.repeat(np.arange(50), 10)
    got = _partners(rng, rater, decile, 1.0)
    assert (got != rater).all()
    # a clash moves to the next person, who is in the same decile except at a group's end
    assert (decile[got] == decile[rater]).mean() > 0.9


def test_attention_modes() -> None:
    zone = np.array([0, 1, 0, 1])

    def make(mode: str) -> Attention:
        return Attention(mode, 0, 2, zone, np.array([0.6, 0.4]), np.array([6.0, 4.0]), 0.8)

    reported = pl.DataFrame({"agency": [0, 0, 0, 1], "subject": [0, 2, 0, 1]})
    for mode, expect in (
        ("proportional", [9 / 13, 4 / 13]),  # counts 6 + 3 and 4 + 0
        ("hotspot", [0.8, 0.2]),
        ("independent", [0.5, 0.5]),
    ):
        a = make(mode)
        a.begin_month()
        assert a.shares.tolist() == [0.6, 0.4]  # the first month keeps the first shares
        a.observe(reported, np.array([3, 0]))
        a.begin_month()
        assert a.shares == pytest.approx(expect), mode
    assert make("off").on is False
    assert make("hotspot").coverage_factor(np.array([0, 1])) == pytest.approx([1.2, 0.8])


def test_unequal_zone_rates_only_for_the_attended_agency_and_only_when_on() -> None:
    from xinyong.world.behaviour import zone_rates
    from xinyong.world.scenario import load_scenario

    base = load_scenario()
    subjects = SimpleNamespace(district=np.array([0, 1, 2, 3]))
    idx = np.arange(4)
    rate = np.ones(4)
    officer = next(e for e in base.events if "traffic_officer" in e.agencies)
    other = next(e for e in base.events if "traffic_officer" not in e.agencies)
    on = base.with_changes(attention={"mode": "proportional", "first_zone_rate": 2.0})
    got = zone_rates(on, subjects, officer, idx, rate)  # type: ignore[arg-type]
    assert got.tolist() == [2.0, 1.0, 2.0, 1.0]  # zone = district % 2
    assert zone_rates(on, subjects, other, idx, rate).tolist() == [1.0] * 4  # type: ignore[arg-type]
    off = base.with_changes(attention={"mode": "off", "first_zone_rate": 2.0})
    assert zone_rates(off, subjects, officer, idx, rate).tolist() == [1.0] * 4  # type: ignore[arg-type]


def test_firm_outcomes_only_when_the_run_has_firms() -> None:
    t = _tracker()
    assert not any(o.startswith("firms_") for o, _, _ in measure(t))
    # subjects 0..3 are firms here: 0 is listed (wrongfully), 1 is listed rightly
    t.firm = np.zeros(N, dtype=bool)
    t.firm[:4] = True
    t.black[1] = True
    rows = measure(t)
    assert _value(rows, "firms_listed") == 50.0  # 2 of 4
    assert _value(rows, "firms_wrongful_per_1000") == 250.0  # 1 of 4
