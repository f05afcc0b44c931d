"""The benchmark table: ratios point the right way, targets are judged, gaps are shown."""

from __future__ import annotations

import json
from pathlib import Path

from bench.table import evaluate, lookup
from bench.table_rows import ROWS, Row

FAST = Row("fast", "records/s", "s", "a.value", "loop", "a.base", target=(">=", 100))
QUICK = Row(
    "quick", "ms", "s", "b.value", "naive", "b.base", higher_is_better=False, target=("<=", 10)
)


def test_ratio_and_target_for_higher_and_lower_is_better() -> None:
    data = {"s": {"a": {"value": 300, "base": 100}, "b": {"value": 20, "base": 80}}}
    fast, quick = evaluate(data, [FAST, QUICK])
    assert (fast["ratio"], fast["met"]) == (3.0, True)
    assert (quick["ratio"], quick["met"]) == (4.0, False)  # 4x better than naive, misses 10 ms


def test_a_missing_section_or_figure_is_reported_not_invented() -> None:
    [row] = evaluate({}, [FAST])
    assert (row["value"], row["ratio"], row["met"]) == (None, None, None)
    assert lookup({"s": {"a": {"value": "fast"}}}, "s", "a.value") is None


def test_every_row_reads_a_distinct_figure() -> None:
    keys = [(r.section, r.path) for r in ROWS]
    assert len(keys) == len(set(keys))


def test_command_line_names_the_module_and_its_arguments() -> None:
    from bench.results import command_line

    assert command_line("bench.batch", ["--records", "10"]) == (
        "python -m bench.batch --records 10"
    )
    assert command_line("m", []) == "python -m m"


def test_every_section_is_stamped_with_the_machine_speed(tmp_path: Path) -> None:
    from bench.results import merge_results
    from bench.table import speed_lines

    path = tmp_path / "results.json"
    merge_results(path, "world", {"x": 1})
    data = json.loads(path.read_text())
    speed = data["world"]["machine_facts"]["speed"]
    assert set(speed) == {"python_loop_mops", "sha256_1k_blocks_k_per_s", "sqlite_inserts_k_per_s"}
    assert all(v > 0 for v in speed.values())
    [line] = speed_lines(data)
    assert line.startswith("machine speed during world (")
    assert f"SQLite {speed['sqlite_inserts_k_per_s']}k inserts/s" in line
    assert speed_lines({"old": {"figure": 1}}) == []  # sections written before the stamp
