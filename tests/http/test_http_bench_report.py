"""The service bench's report: figures beside the same run's baselines, ratios oriented so
that above 1 is better, targets judged."""

from __future__ import annotations

from bench.service_targets import report


def test_report_ratios_and_targets() -> None:
    figures = {
        "gate_checks": {
            "single_at_rate": {
                "checks_per_second": 995.0,
                "p50_ms": 2.0,
                "p99_ms": 12.0,
                "baseline": {"checks_per_second": 250.0, "p50_ms": 900.0, "p99_ms": 1200.0},
            },
            "batch": {"checks_per_second": 210_000.0, "baseline": {"checks_per_second": 700.0}},
        },
        "bulk_ingest": {
            "sqlite": {
                "append_records_per_second": 90_000,
                "baseline_append_1000_per_call_records_per_second": 45_000,
            },
            "postgresql": {"skipped": "not reachable"},
        },
    }
    lines = {line[:36].strip(): line[36:].split() for line in report(figures)[1:]}
    # measured, target (op, value), baseline, ratio, ok
    assert lines["single checks/s at offered load"] == ["995", ">=", "1000", "250", "4.0x", "yes"]
    # 1200 / 12: for latencies the ratio is baseline / measured; 12 ms misses "< 10"
    assert lines["single check p99 ms at that load"] == ["12", "<", "10", "1200", "100.0x", "NO"]
    assert lines["single check p50 ms at that load"] == ["2", "900", "450.0x"]  # no target
    assert lines["batch subjects/s over HTTP"][-2:] == ["300.0x", "yes"]
    assert lines["batch subjects/s in process, no HTTP"] == ["n/a", ">=", "200000", "n/a"]
    assert lines["bulk ingest records/s, SQLite"][-2:] == ["2.0x", "NO"]
    assert lines["bulk ingest records/s, PostgreSQL"] == ["n/a", ">=", "100000", "n/a"]
