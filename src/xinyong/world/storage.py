"""A world on disk: the population as Parquet, the scenario and how it was made as JSON.

Layout of a world directory::

    residents.parquet       one row per resident (see population.py for the columns)
    organisations.parquet   one row per organisation
    scenario.json           the full scenario the world was made with
    manifest.json           seed, sizes, months to run, file list

and, after a run, ``metrics/<frame>.parquet``, ``truth.parquet`` (ground truth of every
ingested record), ``decisions.parquet`` (every gate attempt and its answer) and
``beliefs.parquet`` (at the last month end, what the system believed beside the error-free
view, for every subject where the two could differ or anything is listed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from xinyong.world.population import Population
from xinyong.world.scenario import Scenario, ScenarioError, parse_scenario

MANIFEST = "manifest.json"


def save_world(
    directory: Path, population: Population, scenario: Scenario, *, months: int, seed: int
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    population.residents.write_parquet(directory / "residents.parquet")
    population.organisations.write_parquet(directory / "organisations.parquet")
    (directory / "scenario.json").write_text(scenario.model_dump_json(indent=2), encoding="utf-8")
    manifest = {
        "kind": "xinyong-world",
        "residents": population.n_residents,
        "organisations": population.organisations.height,
        "months": months,
        "seed": seed,
        "start": scenario.world.start.isoformat(),
        "city": scenario.world.city,
        "files": ["residents.parquet", "organisations.parquet", "scenario.json"],
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return directory


def load_world(directory: Path) -> tuple[Scenario, Population, dict[str, Any]]:
    """(scenario, population, manifest) of a world made by :func:`save_world`."""
    m = directory / MANIFEST
    if not m.is_file():
        raise ScenarioError(
            f"{directory}: no {MANIFEST}; make a world first with "
            f"`xinyong world generate --out {directory}`"
        )
    manifest: dict[str, Any] = json.loads(m.read_text(encoding="utf-8"))
    data = json.loads((directory / "scenario.json").read_text(encoding="utf-8"))
    scenario = parse_scenario(data, str(directory / "scenario.json"))
    population = Population(
        pl.read_parquet(directory / "residents.parquet"),
        pl.read_parquet(directory / "organisations.parquet"),
    )
    return scenario, population, manifest


def save_run(
    directory: Path,
    metrics: dict[str, pl.DataFrame],
    truth: pl.DataFrame,
    decisions: pl.DataFrame,
    beliefs: pl.DataFrame,
) -> None:
    out = directory / "metrics"
    out.mkdir(parents=True, exist_ok=True)
    for name, frame in metrics.items():
        frame.write_parquet(out / f"{name}.parquet")
    truth.write_parquet(directory / "truth.parquet")
    decisions.write_parquet(directory / "decisions.parquet")
    beliefs.write_parquet(directory / "beliefs.parquet")
