"""The run report says what it found: captions computed from the metrics, how to read it
first, calendar months and human column names."""

from __future__ import annotations

import polars as pl

from xinyong.world.report import FIGURES, render
from xinyong.world.report_captions import found


def _metrics() -> dict[str, pl.DataFrame]:
    months = {"month": [1, 2], "label": ["2025-01", "2025-02"]}
    monthly = pl.DataFrame(
        {
            **months,
            "true_events": [10, 12],
            "records_ingested": [8, 9],
            "erroneous_ingested": [1, 0],
            "black_listed": [3, 4],
            "wrongful_listed": [1, 2],
            "gate_attempts": [100, 100],
            "denials": [5, 3],
            "wrongful_denials": [1, 0],
            "objections_needed": [2, 5],
        }
    )
    deciles = pl.DataFrame(
        {
            "month": [2] * 10,
            "label": ["2025-02"] * 10,
            "decile": list(range(1, 11)),
            "share_listed": [0.04] + [0.02] * 8 + [0.01],
        }
    )
    gates = pl.DataFrame(
        {**months, "gate": ["air", "air"], "attempts": [60, 40], "deny": [5, 3],
         "wrongful_deny": [1, 0], "benefit": [0, 0], "allow": [55, 37]}
    )  # fmt: skip
    lists = pl.DataFrame(
        {**months, "list": ["a/b", "a/b"], "polarity": ["black"] * 2, "in_force": [3, 4],
         "wrongful": [1, 2]}
    )  # fmt: skip
    grades = pl.DataFrame(
        {"month": [2, 2], "label": ["2025-02"] * 2, "scheme": ["s", "s"], "grade": ["A", "B"],
         "rank": [0, 1], "residents": [90, 10]}
    )  # fmt: skip
    objections = pl.DataFrame({**months, "reason": ["listing"] * 2, "subjects": [2, 5]})
    return {
        "monthly": monthly, "deciles": deciles, "gates": gates, "lists": lists,
        "grades": grades, "objections": objections, "agencies": pl.DataFrame(),
        "events": pl.DataFrame(),
    }  # fmt: skip


def test_each_caption_states_a_finding_from_the_data() -> None:
    m = _metrics()
    assert "poorest are listed 4.0 times as often" in found("deciles", m)
    assert "8 of 100 attempts were denied (80.0 per 1,000), 1 of the denials" in found("gates", m)
    assert "a/b with 4 subjects, 2 of them wrongfully" in found("lists", m)
    assert "90.0 % of adults hold grade A of s" in found("grades", m)
    assert "at most 5 subjects would need to object at one month end (2025-02)" in found(
        "objections", m
    )
    assert "2 subjects are wrongfully on a black list at 2025-02" in found("wrongful", m)


def test_how_to_read_comes_first_and_tables_have_human_names() -> None:
    html = render("t", [("residents", "10")], _metrics(), {}, ["a note"])
    assert html.index("How to read this") < html.index("Summary") < html.index(FIGURES[0][1])
    assert html.count("Found:") == len(FIGURES)
    assert "<th>Would need to object</th>" in html
    assert "objections_needed" not in html
