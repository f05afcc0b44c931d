"""Benchmark of batch and out-of-core rescoring (not a test): records/s against baselines.

    python -m xinyong.adapters.batch.ooc_bench [--scale 0.05] [--records 1000000000]
        [--subjects 100000000] [--data /work/ooc-data] [--workers 1] [--scheme rongcheng]

a) In memory, on one generated population (``--memory-records``, default 10M records of 1M
   subjects, read back from its Parquet dataset): :func:`score_population` (best of
   ``--runs``) against a hand-written DuckDB SQL query (:data:`SQL`, same data as an Arrow
   table, best of ``--runs``; its scores and grades must equal the batch path's on every
   subject) and against the plain-Python loop of :mod:`xinyong.adapters.batch.bench` (on the
   records of a sample of subjects; its results must agree too).
b) Out of core: a dataset of ``--records`` x ``--scale`` records over ``--subjects`` x
   ``--scale`` subjects under ``--data`` (generated, or reused when its manifest says it was
   generated the same way), rescored bucket by bucket with :func:`rescore_dataset`; wall
   time, per-stage time and peak memory. The issue's target: 1e9 records in 600 s on 2 cores
   within 24 GB.

Timings are taken while other jobs may share the machine: the ratios against the baselines,
measured in the same run, say more than the absolute figures. The figures are merged into
``bench/results.json`` under ``"ooc_rescoring"``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from xinyong.adapters.batch.bench import Row, best_of, loop_scores
from xinyong.adapters.batch.dataset import (
    MANIFEST,
    DatasetError,
    parts_of,
    read_bucket,
    read_dataset,
    read_manifest,
)
from xinyong.adapters.batch.ooc import Summary, rescore_dataset
from xinyong.adapters.batch.parallel import peak_rss_mib
from xinyong.adapters.batch.score import AnyScheme, score_population
from xinyong.adapters.batch.synth import AT, generate_dataset
from xinyong.adapters.bench_results import RESULTS, memory_gib, merge_results
from xinyong.core.schemes.model import PointsVersion
from xinyong.core.scoring.engine import version_in_force
from xinyong.core.timeutil import Duration

TARGET_SECONDS = 600.0

# --- the DuckDB baseline -----------------------------------------------------------------------

SQL = """
WITH known AS (
    SELECT * FROM records WHERE recorded_at <= $known_at
),
originals AS (
    SELECT subject, id, category, occurred_at FROM known WHERE status = 'active'
),
amendments AS (  -- only those that refer to a known active record of the same subject
    SELECT k.subject, k.refers_to, k.id, k.status, k.category, k.occurred_at, k.recorded_at
    FROM known k SEMI JOIN originals o ON o.subject = k.subject AND o.id = k.refers_to
    WHERE k.status <> 'active'
),
latest_correction AS (
    SELECT subject, refers_to, category, occurred_at
    FROM amendments WHERE status = 'correction'
    QUALIFY row_number() OVER (
        PARTITION BY subject, refers_to ORDER BY recorded_at DESC, id DESC) = 1
),
revoked AS (
    SELECT DISTINCT subject, refers_to FROM amendments WHERE status = 'revocation'
),
expiry AS (
    SELECT subject, refers_to, min(occurred_at) AS ends_at
    FROM amendments WHERE status = 'expiry' GROUP BY subject, refers_to
),
effective AS (  -- the records as corrected, not revoked, with their earliest expiry
    SELECT o.subject,
           coalesce(c.category, o.category) AS category,
           coalesce(c.occurred_at, o.occurred_at) AS occurred_at,
           e.ends_at
    FROM originals o
    LEFT JOIN latest_correction c ON c.subject = o.subject AND c.refers_to = o.id
    LEFT JOIN expiry e ON e.subject = o.subject AND e.refers_to = o.id
    ANTI JOIN revoked r ON r.subject = o.subject AND r.refers_to = o.id
),
alive AS (
    SELECT * FROM effective
    WHERE occurred_at <= $at AND (ends_at IS NULL OR $at < ends_at)
),
counted AS (  -- the rule of the version in force on the day the record occurred
    SELECT a.subject, a.category, r.points
    FROM alive a JOIN rules r
      ON r.category = a.category
     AND a.occurred_at >= r.version_from AND a.occurred_at < r.version_to
    WHERE $at < a.occurred_at + r.validity
),
per_category AS (  -- caps of the version in force at $at
    SELECT t.subject,
           CASE WHEN c.cap IS NULL THEN t.points
                ELSE greatest(-c.cap, least(c.cap, t.points)) END AS points
    FROM (SELECT subject, category, sum(points) AS points
          FROM counted GROUP BY subject, category) t
    LEFT JOIN caps c ON c.category = t.category
),
overridden AS (  -- the worst grade an override caps each subject at
    SELECT a.subject, max(o.grade_index) AS grade_index
    FROM alive a JOIN overrides o ON o.category = a.category
    WHERE a.occurred_at >= $first_day AND $at < a.occurred_at + o.validity
    GROUP BY a.subject
),
scored AS (
    SELECT s.subject,
           CAST(least(greatest($base + coalesce(p.points, 0), $floor), $ceiling) AS BIGINT)
               AS score,
           v.grade_index AS override_index
    FROM (SELECT DISTINCT subject FROM records) s
    LEFT JOIN (SELECT subject, sum(points) AS points
               FROM per_category GROUP BY subject) p ON p.subject = s.subject
    LEFT JOIN overridden v ON v.subject = s.subject
)
SELECT subject, score,
       list_extract($grades, 1 + greatest(
           (SELECT min(b.grade_index) FROM bands b WHERE score >= b.min_score),
           coalesce(override_index, 0))) AS grade
FROM scored
"""
"""The hand-written query; the scheme's rules, caps, overrides and bands are small tables."""


def _interval(d: Duration) -> str:
    return f"INTERVAL '{d.years} years {d.months} months {d.days} days'"


def duckdb_connection(scheme: AnyScheme, at: datetime) -> duckdb.DuckDBPyConnection:
    """A connection holding the scheme's tables (``rules``, ``caps``, ``overrides``, ``bands``)."""
    current = version_in_force(scheme, at)
    if not isinstance(current, PointsVersion):
        raise SystemExit(f"scheme {scheme.name!r}: the DuckDB baseline handles points schemes")
    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    rules, ends = [], [*[v.effective_from for v in scheme.versions[1:]], datetime(9999, 1, 1)]
    for v, end in zip(scheme.versions, ends, strict=True):
        for r in v.rules:
            rules.append(
                f"('{r.category}', {r.points.value}, {_interval(r.validity)}, "
                f"TIMESTAMP '{v.effective_from}', TIMESTAMP '{end:%Y-%m-%d}')"
            )
    con.execute(
        "CREATE TABLE rules (category VARCHAR, points BIGINT, validity INTERVAL, "
        "version_from TIMESTAMP, version_to TIMESTAMP)"
    )
    con.execute(f"INSERT INTO rules VALUES {', '.join(rules)}")
    con.execute("CREATE TABLE caps (category VARCHAR, cap BIGINT)")
    caps = [f"('{r.category}', {abs(r.cap.value)})" for r in current.rules if r.cap is not None]
    if caps:
        con.execute(f"INSERT INTO caps VALUES {', '.join(caps)}")
    con.execute("CREATE TABLE overrides (category VARCHAR, grade_index INT, validity INTERVAL)")
    rows = [
        f"('{c}', {current.grades.index(o.max_grade)}, {_interval(o.validity)})"
        for o in current.overrides
        for c in o.categories
    ]
    if rows:
        con.execute(f"INSERT INTO overrides VALUES {', '.join(rows)}")
    con.execute("CREATE TABLE bands (grade_index INT, min_score BIGINT)")
    low = -(2**62)  # the last band takes every score
    bands = [
        f"({i}, {b.min.value if b.min is not None else low})" for i, b in enumerate(current.bands)
    ]
    con.execute(f"INSERT INTO bands VALUES {', '.join(bands)}")
    return con


def duckdb_scores(
    con: duckdb.DuckDBPyConnection, scheme: AnyScheme, at: datetime, known_at: datetime
) -> pl.DataFrame:
    """Run :data:`SQL` on the connection's ``records`` (naive UTC timestamps)."""
    current = version_in_force(scheme, at)
    naive = "%Y-%m-%d %H:%M:%S.%f"
    params = {
        "at": at.astimezone(UTC).strftime(naive),
        "known_at": known_at.astimezone(UTC).strftime(naive),
        "first_day": f"{scheme.versions[0].effective_from} 00:00:00",
        "base": current.base.value,
        "floor": current.floor if current.floor is not None else -(2**62),
        "ceiling": current.ceiling if current.ceiling is not None else 2**62,
        "grades": list(current.grades),
    }
    sql = SQL
    for name in ("at", "known_at", "first_day"):  # typed literals, not text comparisons
        sql = sql.replace(f"${name}", f"CAST(${name} AS TIMESTAMP)")
    table = con.sql(sql, params=params).to_arrow_table()
    out = pl.from_arrow(table)
    assert isinstance(out, pl.DataFrame)
    return out


def duckdb_records(frame: pl.DataFrame) -> pl.DataFrame:
    """The same records for DuckDB: text category and status, naive UTC timestamps."""
    return frame.select(
        "id",
        "subject",
        pl.col("category").cast(pl.String),
        pl.col("occurred_at").dt.replace_time_zone(None),
        pl.col("recorded_at").dt.replace_time_zone(None),
        pl.col("status").cast(pl.String),
        "refers_to",
    )


# --- the data ----------------------------------------------------------------------------------


def dataset_for(
    data: Path, records: int, subjects: int, scheme: str, seed: int, workers: int
) -> tuple[Path, float | None]:
    """The dataset of that shape under ``data``, reused if its manifest matches; and the
    generation time (None when reused)."""
    root = data / f"r{records}-s{subjects}-seed{seed}-{scheme}"
    if (root / MANIFEST).is_file():
        try:
            g = read_manifest(root).generator or {}
        except DatasetError:
            g = {}
        want = {"records": records, "subjects": subjects, "scheme": scheme, "seed": seed}
        if {k: g.get(k) for k in want} == want and g.get("at") == AT.isoformat():
            return root, None
    if root.exists():
        shutil.rmtree(root)  # a leftover of an interrupted or different generation
    t = time.perf_counter()
    with Progress(transient=True) as progress:
        bar = progress.add_task(f"generating {records:,} records", total=records)
        generate_dataset(
            root,
            records,
            subjects,
            scheme=scheme,
            seed=seed,
            workers=workers,
            on_bucket=lambda n: progress.advance(bar, n),
        )
    return root, time.perf_counter() - t


def size_gib(root: Path) -> float:
    return sum(p.stat().st_size for p in root.rglob("*.parquet")) / 2**30


# --- the two parts -----------------------------------------------------------------------------


def in_memory(
    scheme: AnyScheme, root: Path, runs: int, sample_records: int, console: Console
) -> dict[str, Any]:
    frame = read_dataset(root)
    records = frame.height
    subjects = frame.get_column("subject").n_unique()
    console.print(f"a) in memory: {records:,} records of {subjects:,} subjects")
    batch_s, batch = best_of(lambda: score_population(scheme, frame, AT), runs)
    want = batch.select("subject", "score", "grade").sort("subject")

    con = duckdb_connection(scheme, AT)
    con.register("records", duckdb_records(frame).to_arrow())
    sql_s, got = best_of(lambda: duckdb_scores(con, scheme, AT, AT), runs)
    sql_agrees = got.sort("subject").equals(want)
    if not sql_agrees:
        diff = got.join(want, on="subject", how="full", suffix="_batch").filter(
            (pl.col("score") != pl.col("score_batch")) | (pl.col("grade") != pl.col("grade_batch"))
        )
        raise AssertionError(f"DuckDB and score_population disagree:\n{diff.head(5)}")

    share = max(1, round(subjects * min(1.0, sample_records / records)))
    part = frame.filter(pl.col("subject") < share)
    rows: list[Row] = list(
        part.select(
            pl.col("id").cast(pl.String).str.zfill(12),  # text ids sort like the numbers
            pl.col("subject").cast(pl.String),
            pl.col("category").cast(pl.String),
            pl.col("occurred_at").dt.epoch("us"),
            pl.col("recorded_at").dt.epoch("us"),
            pl.col("status").cast(pl.String),
            pl.col("refers_to").cast(pl.String).str.zfill(12),
        ).iter_rows()
    )
    loop_s, loop = best_of(lambda: loop_scores(scheme, rows, AT), 1, warm_up=False)
    sample = {
        str(s): (score, grade)
        for s, score, grade in want.filter(pl.col("subject") < share).iter_rows()
    }
    if loop != sample:
        raise AssertionError("the Python loop and score_population disagree on the sample")

    loop_rps = len(rows) / loop_s
    return {
        "records": records,
        "subjects": subjects,
        "score_population": {
            "best_seconds": round(batch_s, 3),
            "records_per_second": round(records / batch_s),
        },
        "duckdb_sql": {
            "best_seconds": round(sql_s, 3),
            "records_per_second": round(records / sql_s),
            "threads": os.cpu_count(),
            "agrees_with_batch": sql_agrees,
        },
        "python_loop": {
            "sample_records": len(rows),
            "sample_subjects": share,
            "seconds": round(loop_s, 3),
            "records_per_second": round(loop_rps),
            "agrees_with_batch": True,
        },
        "runs": runs,
        "ratio_batch_vs_loop": round(records / batch_s / loop_rps, 1),
        "ratio_batch_vs_duckdb": round(sql_s / batch_s, 2),
        "ratio_duckdb_vs_loop": round(records / sql_s / loop_rps, 1),
    }


def out_of_core(
    scheme: AnyScheme,
    root: Path,
    generated_s: float | None,
    workers: int,
    console: Console,
) -> dict[str, Any]:
    manifest = read_manifest(root)
    out = root.parent / f"scores-{root.name}"
    if out.exists():
        shutil.rmtree(out)
    console.print(
        f"b) out of core: {manifest.records:,} records of {manifest.subjects:,} subjects, "
        f"{manifest.buckets} buckets, {size_gib(root):.1f} GiB on disk, {workers} worker(s)"
    )
    load_before = os.getloadavg()[0]
    with Progress(transient=True) as progress:
        bar = progress.add_task("rescoring", total=manifest.records)
        s: Summary = rescore_dataset(
            root,
            scheme,
            AT,
            out,
            workers=workers,
            on_bucket=lambda d: progress.advance(bar, d.records),
        )
    load_after = os.getloadavg()[0]
    checked = check_sample(scheme, root, out, subjects=200)
    return {
        "reference_scorer_agrees_on_sample_subjects": checked,
        "dataset": str(root),
        "dataset_gib": round(size_gib(root), 2),
        "buckets": manifest.buckets,
        "records": s.records,
        "subjects": s.subjects,
        "generate_seconds": None if generated_s is None else round(generated_s, 1),
        "reused_dataset": generated_s is None,
        "workers": workers,
        "seconds": s.seconds,
        "records_per_second": round(s.records_per_second),
        "stage_seconds_summed_over_workers": s.stage_seconds,
        "peak_rss_mib": s.peak_rss_mib,
        "results_gib": round(size_gib(out), 2),
        "load_average_1min": {"before": round(load_before, 2), "after": round(load_after, 2)},
        "target": {"records": 1_000_000_000, "seconds": TARGET_SECONDS, "memory_gib": 24},
        "projected_seconds_for_1e9": round(1e9 / s.records_per_second, 1),
    }


def check_sample(scheme: AnyScheme, root: Path, out: Path, subjects: int) -> int:
    """The reference scorer (:func:`score_subject`) on ``subjects`` subjects of the first
    bucket must give the out-of-core results; returns how many were checked."""
    from xinyong.core.records import Record, Status
    from xinyong.core.scoring.engine import score_subject

    manifest = read_manifest(root)
    frame = read_bucket(parts_of(root, manifest)[0], manifest, 0)
    got = pl.read_parquet(out / "part-00000.parquet")
    chosen = got.get_column("subject").unique().sort().head(subjects)
    mine = frame.filter(pl.col("subject").is_in(chosen.implode()))
    text = manifest.id_type == "string"
    records = [
        Record(
            id=r["id"] if text else f"{r['id']:012d}",  # text ids that sort like the numbers
            subject=str(r["subject"]),
            category=r["category"],
            occurred_at=r["occurred_at"],
            recorded_at=r["recorded_at"],
            source="synthetic",
            legal_basis="synthetic",
            status=Status(r["status"]),
            refers_to=r["refers_to"]
            if text or r["refers_to"] is None
            else f"{r['refers_to']:012d}",
        )
        for r in mine.iter_rows(named=True)
    ]
    for subject, score, grade in got.filter(pl.col("subject").is_in(chosen.implode())).iter_rows():
        ref = score_subject(scheme, str(subject), records, AT)
        if (ref.score, ref.grade) != (score, grade):
            raise AssertionError(
                f"subject {subject}: out of core {score} {grade}, reference {ref.score} {ref.grade}"
            )
    return chosen.len()


def report(f: dict[str, Any], console: Console) -> None:
    m = f.get("in_memory")
    if m:
        t = Table(
            title=f"Batch scoring in memory: {m['records']:,} records, {m['subjects']:,} subjects"
        )
        for c in ("what", "seconds", "records/s", "vs loop"):
            t.add_column(c, justify="left" if c == "what" else "right")
        sp, sql, loop = m["score_population"], m["duckdb_sql"], m["python_loop"]
        t.add_row(
            f"score_population (best of {m['runs']})",
            f"{sp['best_seconds']:.3f}",
            f"{sp['records_per_second']:,}",
            f"{m['ratio_batch_vs_loop']}x",
        )
        t.add_row(
            f"DuckDB SQL, {sql['threads']} threads (best of {m['runs']}; same scores)",
            f"{sql['best_seconds']:.3f}",
            f"{sql['records_per_second']:,}",
            f"{m['ratio_duckdb_vs_loop']}x",
        )
        t.add_row(
            f"Python loop on {loop['sample_records']:,} records (same scores)",
            f"{loop['seconds']:.3f}",
            f"{loop['records_per_second']:,}",
            "1x",
        )
        console.print(t)
    o = f.get("out_of_core")
    if o:
        t = Table(
            title=f"Out-of-core rescoring: {o['records']:,} records, {o['subjects']:,} subjects"
        )
        t.add_column("what")
        t.add_column("value", justify="right")
        t.add_row("dataset on disk", f"{o['dataset_gib']} GiB in {o['buckets']} buckets")
        gen = o["generate_seconds"]
        t.add_row("generation", "reused" if gen is None else f"{gen} s")
        t.add_row(f"rescoring, {o['workers']} worker(s)", f"{o['seconds']} s")
        t.add_row("records/s", f"{o['records_per_second']:,}")
        st = o["stage_seconds_summed_over_workers"]
        t.add_row("read / score / write", f"{st['read']} / {st['score']} / {st['write']} s")
        rss = o["peak_rss_mib"]
        t.add_row("peak RSS, largest process", f"{rss['largest_worker']:,} MiB")
        t.add_row("peak RSS, all processes (bound)", f"{rss['all_processes_bound']:,} MiB")
        t.add_row(
            "reference scorer agrees on",
            f"{o['reference_scorer_agrees_on_sample_subjects']} sample subjects",
        )
        t.add_row("projected for 1e9 records", f"{o['projected_seconds_for_1e9']} s (target 600)")
        console.print(t)
    mc = f["machine"]
    console.print(f"{mc['cores']} cores, {mc['memory_gib']} GiB, {mc['platform']}")


def _earlier(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8") or "{}")
    found = data.get("ooc_rescoring", {})
    return found if isinstance(found, dict) else {}


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(
        prog="python -m xinyong.adapters.batch.ooc_bench", description=__doc__
    )
    p.add_argument("--records", type=float, default=1e9, help="full-run records")
    p.add_argument("--subjects", type=float, default=1e8, help="full-run subjects")
    p.add_argument("--scale", type=float, default=1.0, help="share of the full run, e.g. 0.05")
    p.add_argument("--data", type=Path, default=Path("/work/ooc-data"))
    p.add_argument("--scheme", default="rongcheng", help="points preset (the SQL needs points)")
    p.add_argument("--workers", type=int, default=1, help="rescoring worker processes")
    p.add_argument("--gen-workers", type=int, default=2, help="generation worker processes")
    p.add_argument("--memory-records", type=int, default=10_000_000)
    p.add_argument("--memory-subjects", type=int, default=1_000_000)
    p.add_argument("--sample", type=int, default=300_000, help="records for the Python loop")
    p.add_argument("--runs", type=int, default=2)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--skip-memory", action="store_true", help="only the out-of-core part")
    p.add_argument("--skip-ooc", action="store_true", help="only the in-memory part")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true")
    args = p.parse_args(argv)
    given = sys.argv[1:] if argv is None else argv
    console = Console()
    from xinyong.adapters.schemes_io import load_scheme

    scheme = load_scheme(args.scheme)
    figures: dict[str, Any] = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python -m xinyong.adapters.batch.ooc_bench", *given]),
        "machine": {
            "cores": os.cpu_count(),
            "memory_gib": round(memory_gib(), 1),
            "platform": f"{platform.machine()}, {platform.python_implementation()} "
            f"{platform.python_version()}, polars {pl.__version__}, duckdb {duckdb.__version__}",
        },
        "scheme": scheme.name,
        "at": AT.isoformat(),
    }
    args.data.mkdir(parents=True, exist_ok=True)
    if not args.skip_memory:
        root, _ = dataset_for(
            args.data,
            args.memory_records,
            args.memory_subjects,
            args.scheme,
            args.seed,
            args.gen_workers,
        )
        figures["in_memory"] = in_memory(scheme, root, args.runs, args.sample, console)
        figures["in_memory"]["peak_rss_mib_process"] = round(peak_rss_mib(), 1)
    if not args.skip_ooc:
        records = round(args.records * args.scale)
        subjects = round(args.subjects * args.scale)
        root, gen_s = dataset_for(
            args.data, records, subjects, args.scheme, args.seed, args.gen_workers
        )
        figures["out_of_core"] = out_of_core(scheme, root, gen_s, args.workers, console)
    report(figures, console)
    if not args.no_save:
        # a run of one part keeps the other part's figures from an earlier run
        stamp = {"command": figures["command"], "measured_at": figures["measured_at"]}
        for part in ("in_memory", "out_of_core"):
            if part in figures:
                figures[part] = {**stamp, **figures[part]}
            else:
                earlier = _earlier(args.results).get(part)
                if earlier is not None:
                    figures[part] = earlier
        merge_results(args.results, "ooc_rescoring", figures)
        console.print(f"saved under 'ooc_rescoring' in {args.results}")


if __name__ == "__main__":
    main()
