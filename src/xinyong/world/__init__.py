"""The synthetic world: a city of made-up residents and organisations, the agencies that
report on them, and the credit system (the real engine) watching them month by month.

Modules, in the order a run uses them:

* :mod:`.scenario`    every parameter, from ``xinyong/data/scenarios/default.toml``;
* :mod:`.population`  residents in households and organisations, with valid unique codes
  (:mod:`.names` draws the names, :mod:`.storage` writes them as Parquet);
* :mod:`.behaviour`   what people actually do each month (the ground truth), vectorised;
* :mod:`.courts`      judgments, enforcement, listing decisions and performance;
* :mod:`.agencies`    which events reach the credit system, when, and how wrong
  (:mod:`.attention`: one agency's attention moved by past detections, off by default);
* :mod:`.emit`        reported rows become engine records;
* :mod:`.credit`      ingest, batch scoring and lists through the engine, and the
  error-free view used to call a listing or denial wrongful (:mod:`.lists_view`);
* :mod:`.gates`       purchases answered by the memoranda;
* :mod:`.study`       studies: variants x seeds, outcomes, intervals, the study report;
* :mod:`.metrics`     monthly Polars frames; :mod:`.report` the HTML report;
* :mod:`.run`         the monthly loop; :mod:`.pipeline` the jobs the CLI calls (its
  benchmark is ``python -m bench.world``, outside the package).

Two rules hold throughout. The engine sees only records: each subject is scored on that
subject's own records, and the world's ground truth (who really acted, which records are
wrong) never reaches it. Family association effects exist only as an optional, off by
default behaviour parameter of the world (``[family]`` in the scenario).
"""

from xinyong.world.pipeline import Outcome, demo, generate, simulate
from xinyong.world.population import Population, generate_population
from xinyong.world.run import RunResult, run_world
from xinyong.world.scenario import Scenario, ScenarioError, load_scenario

__all__ = [
    "Outcome",
    "Population",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "demo",
    "generate",
    "generate_population",
    "load_scenario",
    "run_world",
    "simulate",
]
