"""Studies end to end at tiny sizes: study files, resumability, the command, Spark."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from xinyong.drivers.cli.app import app
from xinyong.world.study.execute import local_mapper, plan, run_study
from xinyong.world.study.spec import load_study, shipped_names
from xinyong.world.study.tasks import Task

TINY = """
[study]
title = "tiny"
seeds = 2
residents = 300
months = 2
baseline = "errors.scale=1"

[[variants]]
set = { "errors.scale" = [1, 3] }
"""
DOCS = Path(__file__).parents[2] / "docs" / "studies.md"


def _write(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_list_values_expand_and_names_say_the_value(tmp_path: Path) -> None:
    text = TINY.replace(
        '"errors.scale" = [1, 3]', '"errors.scale" = [1, 3], "system.in_place" = [true, false]'
    ).replace('baseline = "errors.scale=1"\n', "")
    study = load_study(_write(tmp_path, text))
    assert [v.name for v in study.variants] == [
        "errors.scale=1, system.in_place=true",
        "errors.scale=1, system.in_place=false",
        "errors.scale=3, system.in_place=true",
        "errors.scale=3, system.in_place=false",
    ]
    assert study.seeds == (1, 2)
    v = study.variants[3]
    assert v.scenario["errors"]["scale"] == 3
    assert v.scenario["system"]["in_place"] is False
    assert v.scenario["world"]["residents"] == 300


def test_a_list_valued_key_takes_a_list_and_expands_on_a_list_of_lists(tmp_path: Path) -> None:
    one = TINY.replace('"errors.scale" = [1, 3]', '"system.schemes" = ["rongcheng"]')
    one = one.replace('baseline = "errors.scale=1"\n', "").replace(
        "[[variants]]", "[[variants]]\nname = 'r'"
    )
    assert len(load_study(_write(tmp_path, one)).variants) == 1
    two = one.replace('["rongcheng"]', '[["rongcheng"], ["spc-defaulters"]]')
    assert len(load_study(_write(tmp_path, two)).variants) == 2


def test_star_and_item_ids_address_keys(tmp_path: Path) -> None:
    text = (
        TINY.replace(
            '"errors.scale" = [1, 3]',
            '"agencies.*.coverage" = 0.5, "events.drunk_driving.rate" = 0.0',
        )
        .replace('baseline = "errors.scale=1"\n', "")
        .replace("[[variants]]", "[[variants]]\nname = 'x'")
    )
    v = load_study(_write(tmp_path, text)).variants[0]
    assert {a["coverage"] for a in v.scenario["agencies"].values()} == {0.5}
    drunk = next(e for e in v.scenario["events"] if e["id"] == "drunk_driving")
    assert drunk["rate"] == 0.0


@pytest.mark.parametrize(
    ("change", "expect"),
    [
        (('"errors.scale"', '"errors.scael"'), "unknown scenario key 'errors.scael'"),
        (('"errors.scale" = [1, 3]', '"errors.scale" = [1, -3]'), "errors.scale"),
        (('"errors.scale" = [1, 3]', '"events.nosuch.rate" = 1'), "no item 'nosuch'"),
        (('title = "tiny"', 'title = "tiny"\nscenario = "missing.toml"'), "no such scenario file"),
        (("seeds = 2", "seeds = 0"), "study.seeds"),
        (('baseline = "errors.scale=1"', 'baseline = "nope"'), "study.baseline 'nope'"),
        (("[[variants]]", "[[variantz]]"), "unknown key"),
    ],
)
def test_bad_study_files_exit_2_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], expect: str
) -> None:
    p = _write(tmp_path, TINY.replace(*change))
    got = CliRunner().invoke(app, ["study", str(p), "--out", str(tmp_path / "o")])
    assert got.exit_code == 2, got.output
    assert str(p) in got.output
    assert expect in got.output
    assert "Traceback" not in got.output


def test_missing_study_file_exits_2_and_lists_the_shipped_ones(tmp_path: Path) -> None:
    got = CliRunner().invoke(app, ["study", str(tmp_path / "none.toml")])
    assert got.exit_code == 2
    assert "data-quality" in got.output


def test_a_second_run_does_no_work(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, TINY))
    calls: list[Task] = []
    inner = local_mapper(1)

    def counting(tasks: list[Task]):  # type: ignore[no-untyped-def]
        calls.extend(tasks)
        yield from inner(tasks)

    first, ran = run_study(study, tmp_path / "out", mapper=counting)
    assert ran == 4
    assert len(calls) == 4
    assert len(list((tmp_path / "out" / "runs").glob("*.parquet"))) == 4
    calls.clear()
    again, ran = run_study(study, tmp_path / "out", mapper=counting)
    assert ran == 0
    assert calls == []
    assert again.equals(first)
    # a changed variant is a new run; the unchanged ones are kept
    study2 = load_study(_write(tmp_path, TINY.replace("[1, 3]", "[1, 2]")))
    _, ran = run_study(study2, tmp_path / "out", mapper=counting)
    assert ran == 2
    assert {t.variant for t in calls} == {"errors.scale=2"}
    assert first.columns == ["study", "variant", "seed", "outcome", "group", "value"]
    assert set(first["seed"].to_list()) == {1, 2}
    assert first.filter(pl.col("outcome") == "share_listed")["group"].n_unique() == 11


def test_the_process_pool_gives_the_same_results_as_one_process(tmp_path: Path) -> None:
    study = load_study(_write(tmp_path, TINY.replace("seeds = 2", "seeds = 1")))
    one, _ = run_study(study, tmp_path / "one", mapper=local_mapper(1))
    pool, ran = run_study(study, tmp_path / "pool", workers=2)
    assert ran == 2
    assert pool.equals(one)


def test_same_seed_meets_the_same_people_in_every_variant(tmp_path: Path) -> None:
    tasks = plan(load_study(_write(tmp_path, TINY)))
    assert [t.seed for t in tasks] == [1, 2, 1, 2]
    assert len({t.key for t in tasks}) == 4


def test_a_shipped_study_runs_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "fb"
    args = ["study", "feedback-loop", "--residents", "400", "--months", "2", "--seeds", "2"]
    got = CliRunner().invoke(app, [*args, "--workers", "1", "--out", str(out)])
    assert got.exit_code == 0, got.output
    assert "12 of 12 runs done now" in got.output
    for name in ("results.parquet", "results.csv", "summary.parquet", "summary.csv", "report.html"):
        assert (out / name).is_file(), name
    summary = pl.read_csv(out / "summary.csv")
    hot = summary.filter(
        (pl.col("outcome") == "attention_first_zone")
        & (pl.col("variant") == "attention.mode=hotspot")
    )
    assert hot["mean"].to_list() == [80.0]  # zone 1 starts ahead and keeps the hotspot
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Definitions" in html
    assert "Grade mobility" in html
    assert "On a black list, month by month" in html  # drawn over calendar months
    assert "Finding: in \u201cattention.mode=independent\u201d" in html
    assert "src='http" not in html
    assert "href" not in html
    assert "<script" not in html
    got = CliRunner().invoke(app, [*args, "--out", str(out)])
    assert "0 of 12 runs done now, 12 found done" in got.output


def test_every_shipped_study_loads_and_is_documented() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    names = shipped_names()
    assert len(names) >= 6
    for name in names:
        study = load_study(name)
        assert study.question
        assert study.variants
        assert f"`{name}`" in docs, f"docs/studies.md says nothing about {name}"


def test_every_outcome_is_documented() -> None:
    from xinyong.world.study.outcomes import OUTCOMES

    docs = DOCS.read_text(encoding="utf-8")
    missing = [name for name in OUTCOMES if f"`{name}`" not in docs]
    assert not missing, missing


@pytest.mark.spark
def test_spark_gives_the_same_results_as_the_local_pool(tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    from xinyong.drivers.cli.study_spark import spark_mapper

    study = load_study(_write(tmp_path, TINY.replace("seeds = 2", "seeds = 1")))
    local, _ = run_study(study, tmp_path / "local", mapper=local_mapper(1))
    spark, ran = run_study(study, tmp_path / "spark", mapper=spark_mapper("local[2]"))
    assert ran == 2
    assert spark.equals(local)
