"""Benchmark of the HTTP service on loopback and of bulk ingest into each store.

Every figure is printed beside a baseline measured IN THE SAME RUN, and their ratio:

- gate checks: two uvicorn servers (one worker each, child processes, each over its own copy
  of the same SQLite store) run side by side: the service as it is, and the baseline, the
  same service whose gate endpoints decide each subject on the unplanned path
  (``Engine.check``: the subject's whole credit file, every scheme scored and listed, then
  ``check_gate``), as the first version of the service did. Runs alternate between the two so
  that the machine's load falls on both alike;
- single checks (``/check``, one subject per request) at an offered load of ``--rate``
  checks/s, open loop (check i is due at t0 + i/rate, whether or not earlier answers came
  back; latency from the due time, so queueing counts; coordinated-omission safe) from a
  minimal asyncio client in this process; after one untimed second, ``--runs`` timed runs per
  server, p50/p99 of the run with the median p99, and every run's p99; also the server's
  CPU time per check (``/proc``), which a busy machine inflates far less than latency;
- ``/check-batch`` of ``--batch`` subjects per request from two clients (two keep-alive
  connections, one request at a time each): subjects/s and request p50/p99; also
  the same work in process (no HTTP, no access log), planned and unplanned;
- bulk ingest records/s into each store: one ``append`` of ``--ingest`` records (COPY on
  PostgreSQL) against the baseline of the same records through the same ``append`` in
  1,000-record calls (as a client sending 1,000-record batches); and over HTTP
  (``POST /v1/records``, JSONL, all or nothing).

Synthetic data only. Results are merged into ``bench/results.json`` under ``"service"``
(read-modify-write; other keys are kept). The machine may be shared: judge by the ratios.

    python -m bench.service [--subjects 2000] [--checks 5000] [--ingest 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.results import RESULTS, merge_results
from bench.service_checks import bench_checks, bench_in_process
from bench.service_data import GATE, records, subjects
from bench.service_ingest import PG_URL, bench_ingest, pg_reachable, pg_schema
from bench.service_servers import serve_child, serve_main
from bench.service_targets import report
from xinyong.adapters.store import open_store


def bench(
    subject_count: int,
    checks: int,
    batch: int,
    ingest: int,
    http_ingest: int,
    rate: float = 1000.0,
    connections: int = 32,
    runs: int = 3,
) -> dict[str, Any]:
    codes = subjects(subject_count)
    figures: dict[str, Any] = {
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average "
        + " ".join(f"{x:.1f}" for x in os.getloadavg()),
        "subjects": subject_count,
        "gate": GATE,
        "note": "loopback; service and baseline (unplanned per-subject Engine.check) each one "
        "uvicorn worker in a child process over its own copy of one SQLite store, runs "
        "alternating; single checks at an offered rate (open loop, asyncio client); "
        "check-batch from two keep-alive clients",
    }
    folder = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    try:
        db = str(folder / "gates.db")
        store = open_store(db)
        try:
            store.append(records(codes, subject_count * 3, "seed"))
        finally:
            store.close()
        base_db = str(folder / "gates-baseline.db")
        shutil.copyfile(db, base_db)
        with serve_child(db) as served, serve_child(base_db, baseline=True) as baseline:
            figures["gate_checks"] = bench_checks(
                (served, baseline), codes, checks, batch, rate, connections, runs
            )
        figures["gate_checks"]["batch_in_process"] = bench_in_process(db, codes, batch)
        ingest_figures = {
            "sqlite": bench_ingest(str(folder / "ingest.db"), ingest, http_ingest, codes, "s")
        }
        if pg_reachable():
            with pg_schema() as url:
                ingest_figures["postgresql"] = bench_ingest(url, ingest, http_ingest, codes, "p")
        else:
            ingest_figures["postgresql"] = {"skipped": f"not reachable at {PG_URL}"}
        figures["bulk_ingest"] = ingest_figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    figures["targets"] = report(figures)
    return figures


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.service", description=__doc__)
    p.add_argument("--subjects", type=int, default=2000, help="subjects in the gate store")
    p.add_argument("--checks", type=int, default=5000, help="single gate checks per timed run")
    p.add_argument("--rate", type=float, default=1000.0, help="offered single checks/s")
    p.add_argument("--connections", type=int, default=32, help="client connections at rate")
    p.add_argument("--runs", type=int, default=3, help="timed runs per server")
    p.add_argument("--batch", type=int, default=1000, help="subjects per check-batch request")
    p.add_argument("--ingest", type=int, default=100_000, help="records appended per store")
    p.add_argument("--http-ingest", type=int, default=20_000, help="records posted per store")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    p.add_argument("--serve", metavar="STORE", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--ingest-path", choices=("columnar", "row"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.serve:
        serve_main(args.serve, args.port, args.baseline, args.ingest_path)
        return
    figures = bench(
        args.subjects,
        args.checks,
        args.batch,
        args.ingest,
        args.http_ingest,
        args.rate,
        args.connections,
        args.runs,
    )
    print(json.dumps(figures, indent=2))
    print("\n".join(figures["targets"]))
    if not args.no_save:
        merge_results(args.results, "service", figures)
        print(f"saved under 'service' in {args.results}")


if __name__ == "__main__":
    main()
