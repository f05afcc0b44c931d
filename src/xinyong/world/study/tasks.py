"""One run of a study (a variant at a seed) as a self-contained task.

A :class:`Task` holds everything the run needs as plain data (the whole scenario as
JSON-ready values), so the same task runs in a local process pool or as a Spark task and
gives the same numbers. Its ``key`` hashes what determines the result; results are saved
under it, so a rerun of a study skips every run already done.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

import xinyong
from xinyong.world.population import generate_population
from xinyong.world.run import run_world
from xinyong.world.scenario import parse_scenario
from xinyong.world.study.outcomes import measure
from xinyong.world.study.peer import PeerRatings
from xinyong.world.study.tracker import Tracker

RESULTS_VERSION = 4
"""Part of every run's key: raise it when a change of the world or of the outcomes changes
what a run gives, so earlier results on disk are not reused."""

RESULT_SCHEMA = {
    "study": pl.String,
    "variant": pl.String,
    "seed": pl.Int64,
    "outcome": pl.String,
    "group": pl.String,
    "value": pl.Float64,
}


@dataclass(frozen=True)
class Task:
    study: str
    variant: str
    seed: int
    scenario: dict[str, Any]
    peer_ratings: bool = False

    @property
    def key(self) -> str:
        """A hash of everything that determines the result (not the names)."""
        blob = json.dumps(
            [RESULTS_VERSION, self.scenario, self.seed, self.peer_ratings], sort_keys=True
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def run_task(task: Task, tmp: str | None = None) -> bytes:
    """Run ``task`` on a fresh embedded store; its outcomes as a Parquet file's bytes.

    The population depends on the seed (and the population keys of the scenario) only, so
    variants at the same seed meet the same people.
    """
    scenario = parse_scenario(task.scenario, f"variant {task.variant!r}")
    population = generate_population(scenario, seed=task.seed)
    tracker = Tracker()
    watchers: list[Any] = [tracker]
    peer = PeerRatings(seed=task.seed) if task.peer_ratings else None
    if peer is not None:
        watchers.append(peer)
    folder = tempfile.mkdtemp(prefix="xinyong-study-", dir=tmp)
    try:
        settings = xinyong.Settings(db=str(Path(folder) / "run.db"), admit="catalogue")
        with xinyong.open_system(settings) as system:
            run_world(
                scenario,
                population,
                system,
                seed=task.seed,
                known_categories=frozenset(system.admission.categories or ()),
                watchers=watchers,
            )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    rows = measure(tracker, peer)
    frame = pl.DataFrame(
        {
            "study": [task.study] * len(rows),
            "variant": [task.variant] * len(rows),
            "seed": [task.seed] * len(rows),
            "outcome": [r[0] for r in rows],
            "group": [r[1] for r in rows],
            "value": [r[2] for r in rows],
        },
        schema=RESULT_SCHEMA,
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()
