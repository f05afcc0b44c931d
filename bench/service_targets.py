"""The service benchmark's targets (issue #4) and its report: each figure beside its
target and the same run's baseline."""

from __future__ import annotations

from typing import Any

#: Issue #4: (label, comparison, target, path to the figure, path to its same-run baseline;
#: for times (ms, us) the ratio is baseline / figure, so above 1 is better everywhere).
TARGETS: list[tuple[str, str, float, tuple[str, ...], tuple[str, ...]]] = [
    (
        "single checks/s at offered load",
        ">=",
        1000.0,
        ("gate_checks", "single_at_rate", "checks_per_second"),
        ("gate_checks", "single_at_rate", "baseline", "checks_per_second"),
    ),
    (
        "single check p50 ms at that load",
        "",
        0.0,
        ("gate_checks", "single_at_rate", "p50_ms"),
        ("gate_checks", "single_at_rate", "baseline", "p50_ms"),
    ),
    (
        "single check p99 ms at that load",
        "<",
        10.0,
        ("gate_checks", "single_at_rate", "p99_ms"),
        ("gate_checks", "single_at_rate", "baseline", "p99_ms"),
    ),
    (
        "server CPU ms per single check",
        "",
        0.0,
        ("gate_checks", "single_at_rate", "server_cpu_ms_per_check"),
        ("gate_checks", "single_at_rate", "baseline", "server_cpu_ms_per_check"),
    ),
    (
        "batch subjects/s over HTTP",
        ">=",
        200_000.0,
        ("gate_checks", "batch", "checks_per_second"),
        ("gate_checks", "batch", "baseline", "checks_per_second"),
    ),
    (
        "batch request p99 ms over HTTP",
        "",
        0.0,
        ("gate_checks", "batch", "p99_ms"),
        ("gate_checks", "batch", "baseline", "p99_ms"),
    ),
    (
        "server CPU us per batch subject",
        "",
        0.0,
        ("gate_checks", "batch", "server_cpu_us_per_subject"),
        ("gate_checks", "batch", "baseline", "server_cpu_us_per_subject"),
    ),
    (
        "batch subjects/s in process, no HTTP",
        ">=",
        200_000.0,
        ("gate_checks", "batch_in_process", "checks_per_second"),
        ("gate_checks", "batch_in_process", "baseline_checks_per_second"),
    ),
    (
        "bulk ingest records/s, SQLite",
        ">=",
        100_000.0,
        ("bulk_ingest", "sqlite", "append_records_per_second"),
        ("bulk_ingest", "sqlite", "baseline_append_1000_per_call_records_per_second"),
    ),
    (
        "bulk ingest records/s, PostgreSQL",
        ">=",
        100_000.0,
        ("bulk_ingest", "postgresql", "append_records_per_second"),
        ("bulk_ingest", "postgresql", "baseline_append_1000_per_call_records_per_second"),
    ),
]


def _at(figures: dict[str, Any], path: tuple[str, ...]) -> float | None:
    got: Any = figures
    for key in path:
        got = got.get(key) if isinstance(got, dict) else None
    return float(got) if isinstance(got, int | float) else None


def report(figures: dict[str, Any]) -> list[str]:
    """Lines: each figure, its target, the same run's baseline, the ratio (above 1: better
    than the baseline), and whether the target is met."""
    lines = [
        f"{'figure':<36} {'measured':>10} {'target':>10} {'baseline':>10} {'ratio':>7}  ok",
    ]
    for label, op, target, path, base_path in TARGETS:
        value, base = _at(figures, path), _at(figures, base_path)
        wanted = f"{op} {target:g}" if op else ""
        shown = "n/a" if value is None else f"{value:g}"
        base_shown = "n/a" if base is None else f"{base:g}"
        ratio = ""
        if value and base:
            lower_is_better = {"ms", "us"} & set(label.split())
            ratio = f"{(base / value if lower_is_better else value / base):.1f}x"
        ok = ""
        if value is not None and op:
            # the single-check rate is a throughput at an offered load of ``target``: met
            # when the server kept up (within 1%: the elapsed time includes the last answer)
            floor = target * 0.99 if label.startswith("single checks/s") else target
            ok = "yes" if (value >= floor if op == ">=" else value < target) else "NO"
        lines.append(f"{label:<36} {shown:>10} {wanted:>10} {base_shown:>10} {ratio:>7}  {ok}")
    return lines
