"""The rows of the benchmark table: which figure of ``bench/results.json`` each row reads,
its same-run baseline, which way is better, and its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Op = Literal[">=", "<="]


@dataclass(frozen=True)
class Row:
    figure: str
    unit: str
    section: str
    path: str
    baseline: str | None = None
    """What the baseline is; None when the figure has no baseline of its own."""
    baseline_path: str | None = None
    higher_is_better: bool = True
    target: tuple[Op, float] | None = None


ROWS: tuple[Row, ...] = (
    Row(
        "batch scoring, store-typed frame",
        "records/s",
        "batch_scoring",
        "score_population.store_types.records_per_second",
        "plain-Python loop",
        "python_loop.records_per_second",
        target=(">=", 10_000_000),
    ),
    Row(
        "batch scoring, enum-encoded frame",
        "records/s",
        "batch_scoring",
        "score_population.encoded_types.records_per_second",
        "plain-Python loop",
        "python_loop.records_per_second",
        target=(">=", 10_000_000),
    ),
    Row(
        "batch scoring (rongcheng, 10M records)",
        "records/s",
        "ooc_rescoring",
        "in_memory.score_population.records_per_second",
        "hand-written DuckDB SQL",
        "in_memory.duckdb_sql.records_per_second",
    ),
    Row(
        "out-of-core rescoring, 1e9 records / 1e8 subjects",
        "s",
        "ooc_rescoring",
        "out_of_core.seconds",
        higher_is_better=False,
        target=("<=", 600),
    ),
    Row(
        "out-of-core rescoring, peak memory",
        "MiB",
        "ooc_rescoring",
        "out_of_core.peak_rss_mib.all_processes_bound",
        higher_is_better=False,
        target=("<=", 24 * 1024),
    ),
    Row(
        "Spark local[*] rescoring",
        "records/s",
        "spark_scoring",
        "spark_local.records_per_second",
        "embedded Polars scorer",
        "embedded.records_per_second",
    ),
    Row(
        "incremental update, commit to state, p50",
        "ms",
        "incremental",
        "incremental_ms_p50",
        "batch rescoring of the population",
        "baseline_population_rescore_ms_median",
        higher_is_better=False,
    ),
    Row(
        "incremental update, commit to state, p99",
        "ms",
        "incremental",
        "incremental_ms_p99",
        "re-evaluating the subject, p99",
        "baseline_subject_reevaluation_ms_p99",
        higher_is_better=False,
    ),
    Row(
        "gate check over HTTP at 1,000/s offered, p99",
        "ms",
        "service",
        "gate_checks.single_at_rate.p99_ms",
        "unplanned Engine.check server",
        "gate_checks.single_at_rate.baseline.p99_ms",
        higher_is_better=False,
        target=("<=", 10),
    ),
    Row(
        "gate check over HTTP, server CPU per check",
        "ms",
        "service",
        "gate_checks.single_at_rate.server_cpu_ms_per_check",
        "unplanned Engine.check server",
        "gate_checks.single_at_rate.baseline.server_cpu_ms_per_check",
        higher_is_better=False,
    ),
    Row(
        "batch gate checks over HTTP",
        "subjects/s",
        "service",
        "gate_checks.batch.checks_per_second",
        "unplanned Engine.check server",
        "gate_checks.batch.baseline.checks_per_second",
        target=(">=", 200_000),
    ),
    Row(
        "batch gate checks in process",
        "subjects/s",
        "service",
        "gate_checks.batch_in_process.checks_per_second",
        "unplanned check_gate",
        "gate_checks.batch_in_process.baseline_checks_per_second",
        target=(">=", 200_000),
    ),
    Row(
        "bulk ingest into SQLite",
        "records/s",
        "service",
        "bulk_ingest.sqlite.append_records_per_second",
        "appends of 1,000 records",
        "bulk_ingest.sqlite.baseline_append_1000_per_call_records_per_second",
        target=(">=", 100_000),
    ),
    Row(
        "bulk ingest into PostgreSQL (COPY)",
        "records/s",
        "service",
        "bulk_ingest.postgresql.append_records_per_second",
        "appends of 1,000 records",
        "bulk_ingest.postgresql.baseline_append_1000_per_call_records_per_second",
        target=(">=", 100_000),
    ),
    Row(
        "file ingest end to end into SQLite (columnar)",
        "records/s",
        "ingest_bulk",
        "file_sqlite.columnar_records_per_second",
        "row path",
        "file_sqlite.row_path_records_per_second",
        target=(">=", 150_000),
    ),
    Row(
        "file ingest end to end into PostgreSQL (columnar)",
        "records/s",
        "ingest_bulk",
        "file_postgresql.columnar_records_per_second",
        "row path",
        "file_postgresql.row_path_records_per_second",
        target=(">=", 150_000),
    ),
    Row(
        "POST /v1/records, 10,000-record bodies, SQLite",
        "records/s",
        "ingest_bulk",
        "http_sqlite.columnar_records_per_second",
        "row path",
        "http_sqlite.row_records_per_second",
        target=(">=", 100_000),
    ),
    Row(
        "POST /v1/records, 10,000-record bodies, PostgreSQL",
        "records/s",
        "ingest_bulk",
        "http_postgresql.columnar_records_per_second",
        "row path",
        "http_postgresql.row_records_per_second",
        target=(">=", 100_000),
    ),
    Row(
        "synthetic world, 200k residents x 12 months",
        "resident-months/s",
        "world",
        "resident_months_per_second",
    ),
)
