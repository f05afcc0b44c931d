"""One table of every benchmark figure, beside its same-run baseline and its target.

Each bench module writes its own section of ``bench/results.json`` (with the command that
produced it, when and on what machine); ``make bench`` runs them all and then this module,
which prints one table from that file::

    python -m bench.table [--results bench/results.json] [--json]

A row whose section is missing (that bench has not been run) says so rather than being left
out, so a reader sees what the table does not cover.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from bench.results import RESULTS
from bench.table_rows import ROWS, Row


def lookup(data: dict[str, Any], section: str, path: str) -> float | None:
    node: Any = data.get(section)
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return float(node) if isinstance(node, int | float) and not isinstance(node, bool) else None


def evaluate(data: dict[str, Any], rows: Sequence[Row] = ROWS) -> list[dict[str, Any]]:
    """Each row's figure, baseline, ratio (above 1 = better than the baseline) and target."""
    out: list[dict[str, Any]] = []
    for r in rows:
        value = lookup(data, r.section, r.path)
        base = lookup(data, r.section, r.baseline_path) if r.baseline_path else None
        ratio = None
        if value is not None and base:
            ratio = value / base if r.higher_is_better else base / value if value else None
        met = None
        if r.target is not None and value is not None:
            op, limit = r.target
            met = value >= limit if op == ">=" else value <= limit
        section = data.get(r.section) or {}
        out.append(
            {
                "figure": r.figure,
                "unit": r.unit,
                "value": value,
                "baseline": r.baseline,
                "baseline_value": base,
                "ratio": None if ratio is None else round(ratio, 2),
                "target": None if r.target is None else f"{r.target[0]} {r.target[1]:,.0f}",
                "met": met,
                "section": r.section,
                "measured_at": section.get("measured_at") if isinstance(section, dict) else None,
            }
        )
    return out


def _num(v: float | None) -> str:
    if v is None:
        return "-"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.3g}" if abs(v) < 10 else f"{v:,.1f}"


def main(
    results: Annotated[Path, typer.Option(help="The results file the benches wrote.")] = RESULTS,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Print every benchmark figure beside its same-run baseline and its target."""
    if not results.is_file():
        raise typer.BadParameter(f"{results} does not exist; run `make bench` first")
    data: dict[str, Any] = json.loads(results.read_text(encoding="utf-8"))
    rows = evaluate(data)
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    cores = os.cpu_count()
    t = Table(
        "figure",
        "measured",
        "unit",
        "baseline (same run)",
        "ratio",
        "target",
        "met",
        "measured at",
        title=f"xinyong benchmarks ({results}, {cores} cores)",
    )
    for r in rows:
        if r["value"] is None:
            t.add_row(
                r["figure"], "not run", "", f"section {r['section']!r} missing", "", "", "", ""
            )
            continue
        base = f"{_num(r['baseline_value'])} ({r['baseline']})" if r["baseline"] else "-"
        met = {True: "[green]yes[/]", False: "[red]NO[/]", None: ""}[r["met"]]
        ratio = f"{r['ratio']:g}x" if r["ratio"] is not None else ""
        t.add_row(r["figure"], _num(r["value"]), r["unit"], base, ratio, r["target"] or "", met)
    console = Console(width=160)
    console.print(t)
    for line in speed_lines(data):
        console.print(line, highlight=False)


def speed_lines(data: dict[str, Any]) -> list[str]:
    """The machine's speed as each section's run measured it (``machine_facts.speed``): how
    fast this machine was while the figures above were taken."""
    out = []
    for key, section in data.items():
        speed = section.get("machine_facts", {}).get("speed") if isinstance(section, dict) else None
        if speed:
            out.append(
                f"machine speed during {key} ({section.get('measured_at', '?')}): Python loop "
                f"{speed['python_loop_mops']} M/s, SHA-256 {speed['sha256_1k_blocks_k_per_s']}k "
                f"1-KiB blocks/s, SQLite {speed['sqlite_inserts_k_per_s']}k inserts/s"
            )
    return out


if __name__ == "__main__":
    typer.run(main)
