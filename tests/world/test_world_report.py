"""The report and the command line: a self-contained HTML file with every figure."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner
from world_helpers import toy

from bench.results import merge_results
from xinyong.core.timeutil import parse_instant
from xinyong.drivers.cli.world_cmd import demo_command, world_app
from xinyong.drivers.http.dates import world_of
from xinyong.world.pipeline import generate, simulate
from xinyong.world.population import Population
from xinyong.world.report import FIGURES
from xinyong.world.scenario import Scenario

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def check_report(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    for fid, caption in FIGURES:
        assert f"id='{fid}'" in text, fid
        assert caption in text
    images = re.findall(r"<img [^>]*src='([^']*)'", text)
    assert len(images) == len(FIGURES)
    assert all(src.startswith("data:image/png;base64,") for src in images)
    assert all(len(src) > 2_000 for src in images)  # a real picture, not an empty one
    assert not EXTERNAL.search(text)
    assert "http://" not in text
    assert "https://" not in text
    assert "<script" not in text.lower()
    assert "<link" not in text.lower()


def test_report_is_self_contained_with_every_figure(
    scenario: Scenario, small_population: Population, tmp_path: Path
) -> None:
    outcome = simulate(
        toy(scenario, errors={"scale": 30.0}),
        small_population,
        db=tmp_path / "w.db",
        out=tmp_path,
        months=3,
        seed=1,
    )
    assert outcome.report is not None
    check_report(outcome.report)
    assert "Audit of the schemes and memoranda run" in outcome.report.read_text(encoding="utf-8")
    for name in ("monthly", "lists", "gates", "deciles", "objections"):
        assert (tmp_path / "metrics" / f"{name}.parquet").is_file()
    assert (tmp_path / "truth.parquet").is_file()


def test_generate_then_run_from_the_command_line(scenario: Scenario, tmp_path: Path) -> None:
    runner = CliRunner()
    world = tmp_path / "world"
    got = runner.invoke(
        world_app,
        [
            "generate",
            "--residents",
            "1500",
            "--orgs",
            "30",
            "--months",
            "2",
            "--seed",
            "5",
            "--out",
            str(world),
        ],
    )
    assert got.exit_code == 0, got.output
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["residents"] == 1500
    assert manifest["organisations"] == 30
    assert manifest["months"] == 2
    # Point the generated world at the toy schemes (the run reads scenario.json).
    (world / "scenario.json").write_text(toy(scenario).model_dump_json(), encoding="utf-8")
    got = runner.invoke(world_app, ["run", "--world", str(world)])
    assert got.exit_code == 0, got.output
    check_report(world / "report.html")
    assert (world / "xinyong.db").is_file()


def test_run_without_a_world_says_how_to_make_one(tmp_path: Path) -> None:
    got = CliRunner().invoke(world_app, ["run", "--world", str(tmp_path / "nowhere")])
    assert got.exit_code == 2
    assert "xinyong world generate" in got.output


def test_demo_with_the_presets(tmp_path: Path) -> None:
    """The real thing, small: default scenario, rongcheng and spc-defaulters presets."""
    app = typer.Typer()
    app.command("demo")(demo_command)
    app.command("noop")(lambda: None)
    out = tmp_path / "demo"
    got = CliRunner().invoke(
        app, ["demo", "--residents", "3000", "--months", "2", "--out", str(out), "--no-serve"]
    )
    assert got.exit_code == 0, got.output
    check_report(out / "report.html")
    assert (out / "xinyong.db").is_file()
    assert "records ingested" in got.output
    # the store says the world made it: the portal shows the world's last day and its report
    about = json.loads((out / "xinyong.db.world.json").read_text(encoding="utf-8"))
    assert about["report"] == "report.html"
    world = world_of(str(out / "xinyong.db"))
    assert world is not None
    assert world.at == parse_instant(about["world_at"])
    assert world.report == out / "report.html"


def test_generate_is_reproducible(scenario: Scenario, tmp_path: Path) -> None:
    a = generate(scenario, residents=500, orgs=5, seed=3, out=tmp_path / "a")
    b = generate(scenario, residents=500, orgs=5, seed=3, out=tmp_path / "b")
    assert a.residents.equals(b.residents)
    assert (tmp_path / "a" / "residents.parquet").read_bytes() == (
        tmp_path / "b" / "residents.parquet"
    ).read_bytes()


def test_bench_results_keep_other_keys(tmp_path: Path) -> None:
    f = tmp_path / "bench" / "results.json"
    f.parent.mkdir()
    f.write_text(json.dumps({"batch_scoring": {"x": 1}}))
    merge_results(f, "world", {"residents": 10})
    data = json.loads(f.read_text())
    assert data["batch_scoring"] == {"x": 1}
    assert data["world"]["residents"] == 10
    # every section says what produced it and on what machine
    assert data["world"]["command"].startswith("python ")
    assert data["world"]["machine_facts"]["cores"] == os.cpu_count()
    assert data["world"]["machine_facts"]["memory_gib"] > 0
    assert data["world"]["measured_at"].endswith("+00:00")
    merge_results(tmp_path / "new" / "results.json", "world", {"y": 2, "command": "given"})
    fresh = json.loads((tmp_path / "new" / "results.json").read_text())
    assert set(fresh) == {"world"}
    assert (fresh["world"]["y"], fresh["world"]["command"]) == (2, "given")  # a bench's own


@pytest.mark.parametrize("option", ["--residents", "--months"])
def test_demo_refuses_nonsense_sizes(option: str) -> None:
    app = typer.Typer()
    app.command("demo")(demo_command)
    app.command("noop")(lambda: None)
    got = CliRunner().invoke(app, ["demo", option, "0", "--no-serve"])
    assert got.exit_code == 2


def test_same_numbers_in_another_process(scenario: Scenario, tmp_path: Path) -> None:
    """Reproducible across processes too (string hashing differs between them)."""
    import os
    import subprocess
    import sys

    import polars as pl

    world = tmp_path / "w"
    generate(
        toy(scenario, errors={"scale": 30.0}), residents=1_500, orgs=30, seed=9, months=2, out=world
    )
    outs = []
    for hashseed in ("1", "2"):
        out = tmp_path / f"out{hashseed}"
        code = (
            "from xinyong.drivers.cli.world_cmd import world_app; "
            f"world_app(['run', '--world', {str(world)!r}, '--out', {str(out)!r}])"
        )
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        outs.append(out)
    for name in ("monthly", "lists", "gates", "agencies", "objections"):
        a = pl.read_parquet(outs[0] / "metrics" / f"{name}.parquet")
        b = pl.read_parquet(outs[1] / "metrics" / f"{name}.parquet")
        assert a.equals(b), name
    assert pl.read_parquet(outs[0] / "truth.parquet").equals(
        pl.read_parquet(outs[1] / "truth.parquet")
    )
