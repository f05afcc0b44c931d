"""The CLI end to end on the example files: ingest, score, lists, check, rescore, schemes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from xinyong.drivers.cli.app import app

EXAMPLES = Path(__file__).parent.parent / "examples"
PERSON = "11010519491231002X"
DEFAULTER = "440524188001010014"
runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "x.db")
    result = runner.invoke(app, ["ingest", str(EXAMPLES / "records.jsonl"), "--db", path])
    assert result.exit_code == 0, result.output
    return path


def run_json(*args: str) -> dict[str, object]:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_score_explains_band_and_override(db: str) -> None:
    d = run_json(
        "score", PERSON, "--scheme", "rongcheng", "--at", "2024-06-01", "--json", "--db", db
    )
    assert d["score"] == 1025  # 1000 - 5 (ticket) + 30 (heroic act)
    assert d["grade"] == "C"  # band A, capped at C by drunk driving
    explanation = d["explanation"]
    assert isinstance(explanation, dict)
    assert explanation["grade_decided_by"]["override"]["record_id"] == "tp-2024-0002"
    assert {c["record_id"] for c in explanation["counted"]} == {"tp-2024-0001", "ca-2024-0003"}
    before = run_json(
        "score", PERSON, "--scheme", "rongcheng", "--at", "2024-03-15", "--json", "--db", db
    )
    assert (before["score"], before["grade"]) == (995, "A")


def test_check_denies_listed_defaulter_and_allows_others(db: str) -> None:
    d = run_json("check", "rail.g-train", DEFAULTER, "--at", "2024-06-01", "--json", "--db", db)
    assert d["decision"] == "deny"
    measure = d["measures"][0]  # type: ignore[index]
    assert measure["list_entry"]["until"] == "2026-02-01T00:00:00Z"  # ground 3: two years
    assert measure["how_to_object"]["decision_within"] == "15 days"
    after = run_json("check", "rail.g-train", DEFAULTER, "--at", "2026-02-02", "--json", "--db", db)
    assert after["decision"] == "allow"
    other = run_json("check", "rail.g-train", PERSON, "--at", "2024-06-01", "--json", "--db", db)
    assert other["decision"] == "allow"


def test_lists_history(db: str) -> None:
    d = run_json("lists", DEFAULTER, "--at", "2024-06-01", "--json", "--db", db)
    assert [e["list"] for e in d["lists_in_force"]] == ["dishonest-defaulters"]  # type: ignore[union-attr]


def test_bad_input_is_refused_clearly_and_store_unchanged(db: str, tmp_path: Path) -> None:
    before = Path(db).read_bytes()
    bad = tmp_path / "bad.csv"
    shutil.copy(EXAMPLES / "bad-records.csv", bad)
    result = runner.invoke(app, ["ingest", str(bad), "--db", db])
    assert result.exit_code == 1
    assert "did you mean 'traffic.violation'" in result.stderr
    assert "bad.csv:5: field 'legal_basis'" in result.stderr
    after = run_json(
        "score", PERSON, "--scheme", "rongcheng", "--at", "2024-06-01", "--json", "--db", db
    )
    assert after["score"] == 1025
    assert len(before) > 0
    for args, fragment in [
        (["check", "air.tickets", PERSON, "--db", db], "known gates: air.ticket"),
        (["score", "110105194912310021", "--scheme", "rongcheng", "--db", db], "not a valid"),
        (["score", PERSON, "--scheme", "nowhere", "--db", db], "presets: honest-shanghai"),
        (["score", PERSON, "--scheme", "rongcheng", "--at", "June", "--db", db], "--at"),
        (
            ["score", PERSON, "--scheme", "rongcheng", "--db", str(Path(db).parent / "no.db")],
            "no store at",
        ),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert fragment in result.stderr


def test_rescore_matches_single_subject(db: str, tmp_path: Path) -> None:
    out = tmp_path / "scores.parquet"
    result = runner.invoke(
        app,
        ["rescore", "--scheme", "rongcheng", "--at", "2024-06-01", "--out", str(out), "--db", db],
    )
    assert result.exit_code == 0, result.output
    frame = pl.read_parquet(out)
    row = frame.filter(pl.col("subject") == PERSON).row(0, named=True)
    assert (row["score"], row["grade"]) == (1025, "C")


def test_schemes_list_names_every_preset() -> None:
    rows = json.loads(runner.invoke(app, ["schemes", "list", "--json"]).stdout)
    assert {r["name"] for r in rows} == {
        "rongcheng",
        "suining-2010",
        "sesame",
        "honest-shanghai",
        "spc-defaulters",
        "shenzhen-traffic",
        "sat-tax-credit",
        "sat-major-tax-violations",
        "samr-enterprise-lists",
    }
    assert all(r["unverified_parameters"] > 0 for r in rows if r["name"] == "rongcheng")


def test_schemes_memoranda_lists_gates_measures_and_unverified() -> None:
    result = runner.invoke(app, ["schemes", "memoranda", "--json"])
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert set(rows) == {
        "high-consumption-2015",
        "joint-punishment-2016",
        "rewards",
        "corporate-measures-2016",
    }
    assert "rail.g-train" in rows["high-consumption-2015"]["gates"]
    assert rows["high-consumption-2015"]["unverified"] == []
    assert any("rw.loan-terms" in u for u in rows["rewards"]["unverified"])
