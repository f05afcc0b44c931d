"""Bulk ingest end to end: the columnar admission path against the row path, same run.

* a JSONL file of ``--records`` records (default 1,000,000) ingested end to end (read,
  validate, hash, chain, commit; notices off) into a fresh SQLite store and, when reachable, a
  fresh PostgreSQL schema, by the columnar path (``CreditSystem.ingest``) and by the row path
  (``parse_file`` then ``Admission.admit``, what ``ingest`` did before), over the first
  ``--baseline-records`` of them (default: all);
* ``POST /v1/records`` with bodies of ``--body-records`` records (default 10,000),
  ``--bodies`` of them (after one not counted), columnar against the row path (the server
  in a child process, the row path forced by turning the columnar path off there; the check
  worker is the server's own process beside it);
* ``xinyong ingest FILE`` of the same file, end to end (start-up to exit), as a user runs it;
* the peak memory (max RSS) of a child process ingesting a file of ``--memory-records``
  records (default 0: skipped; the target is 10,000,000 under 2 GiB) and of its check
  worker, beside one of a tenth of that size, to show it stays flat.

Each timed figure starts on a quiet disk: the stores of earlier figures are deleted and the
page cache's dirty pages written out (``os.sync``) first, so that one figure does not pay for
the writeback of another's gigabyte of SQLite files (measured: PostgreSQL's file figure
100,000 records/s right after SQLite's, 130,000 alone).

The columnar figure is to the commit; the SQLite WAL checkpoint that copies the records into
the database file runs after it in a thread, and the figure "with the WAL checkpointed"
includes it.

With ``--repeat N`` each columnar file and HTTP figure is run N times, each on a fresh store
(and server), and the median is reported beside every run: on this machine the same figure
moves by 10% and more from run to run. The row path runs once.

Targets (issue 17): >= 150,000 records/s into each store; >= 100,000 records/s over HTTP.
Run from the repository root: ``python -m bench.ingest_bulk``; figures go to
``bench/results.json`` under ``ingest_bulk``, stamped with the machine's speed.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench.results import RESULTS, machine_facts, merge_results
from bench.service_data import subjects
from bench.service_ingest import pg_reachable, pg_schema

AGENCY = {"X-API-Key": "bench-agency-key"}


def write_jsonl(path: Path, n: int, prefix: str = "b", first: int = 0) -> int:
    """``n`` traffic records (a court listing for every tenth of the first subjects) over
    ``n // 10`` residents; returns the file's size in bytes."""
    codes = subjects(max(1_000, min(n // 10, 200_000)))
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    minute = timedelta(minutes=1)
    size = 0
    with path.open("wb") as f:
        for start in range(first, first + n, 100_000):
            lines = []
            for i in range(start, min(start + 100_000, first + n)):
                listing = i < len(codes) and i % 10 == 0
                occurred = t0 + (i % 10_000) * minute
                lines.append(
                    orjson.dumps(
                        {
                            "id": f"{prefix}-{i:09d}",
                            "subject": codes[i % len(codes)],
                            "category": "court.listing_decision"
                            if listing
                            else "traffic.violation",
                            "occurred_at": occurred.isoformat().replace("+00:00", "Z"),
                            "recorded_at": (occurred + timedelta(days=1))
                            .isoformat()
                            .replace("+00:00", "Z"),
                            "source": "bench-court" if listing else "bench-police",
                            "legal_basis": "synthetic benchmark record",
                            "evidence": f"ev-{i}",
                            "details": {"ground": 2} if listing else {},
                        }
                    )
                )
            data = b"\n".join(lines) + b"\n"
            f.write(data)
            size += len(data)
    return size


def head(src: Path, dst: Path, n: int) -> None:
    with src.open("rb") as f, dst.open("wb") as g:
        for _ in range(n):
            line = f.readline()
            if not line:
                break
            g.write(line)


def _quiet_disk() -> None:
    """Write out every dirty page now, not during the next figure."""
    os.sync()


def _row_path(url: str, path: Path) -> tuple[float, float]:
    """Wall and CPU seconds (this process, every thread) of the row path."""
    import xinyong
    from xinyong.system.reading import parse_file

    _quiet_disk()
    with xinyong.open_system(xinyong.Settings(db=url)) as system:
        started, cpu = time.perf_counter(), time.process_time()
        batch = parse_file(path, system.admission.max_errors)
        system.admission.admit(batch, None)
        system.after_ingest(notices=False)
        return time.perf_counter() - started, time.process_time() - cpu


def _columnar(url: str, path: Path) -> tuple[float, float, float, int]:
    """Wall and CPU seconds (this process, every thread) of ``CreditSystem.ingest`` (to the
    commit), the wall seconds until the WAL checkpoint that follows it is done too (SQLite),
    and the chunks the check worker checked."""
    import xinyong

    _quiet_disk()
    with xinyong.open_system(xinyong.Settings(db=url)) as system:
        started, cpu = time.perf_counter(), time.process_time()
        done = system.ingest(path)
        elapsed = time.perf_counter() - started, time.process_time() - cpu
        getattr(system.store, "wait_for_checkpoint", lambda: None)()
        settled = time.perf_counter() - started
        assert done.admitted.columns is not None, "the columnar path fell back"
        checker = system.admission.checker
        return *elapsed, settled, 0 if checker is None else checker.received


@contextmanager
def _pg_url() -> Iterator[str]:
    with pg_schema() as url:
        yield url


def file_figures(
    tmp: Path, path: Path, n: int, baseline: Path, nb: int, backend: str, repeat: int = 1
) -> dict[str, Any]:
    """The columnar figure ``repeat`` times (each on a fresh store; the median counts), the
    row path once."""

    def fresh() -> Any:
        return _pg_url() if backend == "postgresql" else _sqlite_url(tmp, "file")

    runs = []
    for _ in range(repeat):
        with fresh() as url:
            runs.append(_columnar(url, path))
    col_s, col_cpu, settled_s, worker_chunks = sorted(runs)[len(runs) // 2]  # the median
    with fresh() as url:
        row_s, row_cpu = _row_path(url, baseline)
    return {
        "records": n,
        "columnar_records_per_second": round(n / col_s),
        "columnar_runs_records_per_second": [round(n / r[0]) for r in runs],
        "columnar_seconds": round(col_s, 2),
        "columnar_records_per_cpu_second": round(n / col_cpu),
        "checkpointed_records_per_second": round(n / settled_s),
        "worker_chunks": worker_chunks,
        "row_path_records": nb,
        "row_path_records_per_second": round(nb / row_s),
        "row_path_seconds": round(row_s, 2),
        "row_path_records_per_cpu_second": round(nb / row_cpu),
        "speedup": round((n / col_s) / (nb / row_s), 2),
        "load_1min": round(os.getloadavg()[0], 1),
    }


def http_figures(
    tmp: Path, body_records: int, bodies: int, backend: str, repeat: int = 1
) -> dict[str, Any]:
    """``POST /v1/records`` to a server in a child process (so that this client does not
    share its interpreter), notices off, by the columnar path (``repeat`` times, each with a
    fresh store and server: the median counts) and by the row path (once); one body first
    and a second's pause, not counted (the server's start-up: its first request, its check
    worker's start), then the timed ones. The server's CPU seconds are read from /proc."""
    from bench.service_servers import cpu_seconds, serve_child

    body_file = tmp / "bodies.jsonl"
    write_jsonl(body_file, body_records * (bodies + 1) * 2, prefix="h")
    lines = body_file.read_bytes().splitlines(keepends=True)
    half = body_records * (bodies + 1)
    sets = {
        mode: [
            b"".join(lines[k : k + body_records]) for k in range(first, first + half, body_records)
        ]
        for mode, first in (("columnar", 0), ("row", half))
    }
    out: dict[str, Any] = {"body_records": body_records, "bodies": bodies, "notices": "off"}
    runs: dict[str, list[tuple[float, float | None]]] = {"columnar": [], "row": []}
    for mode in ["columnar"] * repeat + ["row"]:
        ctx = _pg_url() if backend == "postgresql" else _sqlite_url(tmp, mode)
        with (
            ctx as url,
            serve_child(url, ingest=mode) as served,
            httpx.Client(base_url=served.base, timeout=600) as c,
        ):
            first, *timed = sets[mode]
            c.post("/v1/records", content=first, headers=AGENCY).raise_for_status()
            _quiet_disk()
            time.sleep(1)  # the server's check worker, started with it, is up (0.4 s)
            cpu = cpu_seconds(served.pid)
            started = time.perf_counter()
            for body in timed:
                r = c.post("/v1/records", content=body, headers=AGENCY)
                r.raise_for_status()
            elapsed = time.perf_counter() - started
            used = cpu_seconds(served.pid)
        server = None if cpu is None or used is None else used - cpu
        runs[mode].append((elapsed, server))
    for mode, got in runs.items():
        elapsed, server = sorted(got, key=lambda r: r[0])[len(got) // 2]  # the median
        out[f"{mode}_records_per_second"] = round(body_records * bodies / elapsed)
        if mode == "columnar":
            out["columnar_runs_records_per_second"] = [
                round(body_records * bodies / r[0]) for r in got
            ]
        if server is not None:
            out[f"{mode}_server_cpu_us_per_record"] = round(
                server / (body_records * bodies) * 1e6, 1
            )
    out["speedup"] = round(out["columnar_records_per_second"] / out["row_records_per_second"], 2)
    return out


@contextmanager
def _sqlite_url(tmp: Path, tag: str) -> Iterator[str]:
    d = Path(tempfile.mkdtemp(dir=tmp, prefix=tag))
    try:
        yield str(d / "store.db")
    finally:
        shutil.rmtree(d, ignore_errors=True)


_CHILD = """
import resource, sys, time, xinyong
with xinyong.open_system(xinyong.Settings(db=sys.argv[2])) as system:
    started = time.perf_counter()
    done = system.ingest(__import__("pathlib").Path(sys.argv[1]))
    elapsed = time.perf_counter() - started
# the check worker has been waited for (closed with the system): its peak is the children's
print(done.rows, elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def cli_figures(tmp: Path, path: Path, n: int) -> dict[str, Any]:
    """``xinyong ingest FILE --db STORE`` end to end (start-up, read, check, write, commit,
    the WAL checkpoint and exit), into a fresh SQLite store."""
    cli = Path(sys.executable).with_name("xinyong")
    db = Path(tempfile.mkdtemp(dir=tmp)) / "store.db"
    _quiet_disk()
    started = time.perf_counter()
    subprocess.run(
        [str(cli), "ingest", str(path), "--db", str(db)], check=True, capture_output=True
    )
    elapsed = time.perf_counter() - started
    return {"records": n, "seconds": round(elapsed, 2), "records_per_second": round(n / elapsed)}


def memory_figures(tmp: Path, n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for size in (n // 10, n):
        path = tmp / f"memory-{size}.jsonl"
        write_jsonl(path, size, prefix="m")
        d = Path(tempfile.mkdtemp(dir=tmp))
        run = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), str(d / "store.db")],
            capture_output=True,
            text=True,
            check=True,
        )
        rows, elapsed, rss_kib, worker_kib = run.stdout.split()
        out[f"{size}_records"] = {
            "peak_rss_mib": round(int(rss_kib) / 1024),
            "worker_peak_rss_mib": round(int(worker_kib) / 1024),
            "both_peaks_mib": round((int(rss_kib) + int(worker_kib)) / 1024),
            "records_per_second": round(int(rows) / float(elapsed)),
            "file_mib": round(path.stat().st_size / 2**20),
        }
        path.unlink()
    return out


def _runs(figures: dict[str, Any]) -> str:
    runs = figures["columnar_runs_records_per_second"]
    if len(runs) == 1:
        return "one run"
    return f"median of {len(runs)} runs: " + ", ".join(f"{r:,}" for r in runs)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, default=1_000_000)
    p.add_argument("--baseline-records", type=int, default=None)
    p.add_argument("--body-records", type=int, default=10_000)
    p.add_argument("--bodies", type=int, default=10)
    p.add_argument("--memory-records", type=int, default=0)
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="columnar runs of each file and HTTP figure (fresh stores; the median counts)",
    )
    p.add_argument("--no-pg", action="store_true")
    p.add_argument("--results", type=Path, default=RESULTS)
    args = p.parse_args(argv)
    if args.repeat < 1:
        p.error(f"--repeat must be 1 or more (got {args.repeat}): the runs of each figure")
    n = args.records
    nb = min(args.baseline_records or n, n)
    pg = not args.no_pg and pg_reachable()
    figures: dict[str, Any] = {"machine": machine_facts()}
    print(f"machine: {figures['machine']}", flush=True)
    with tempfile.TemporaryDirectory(prefix="ingest-bulk-") as t:
        tmp = Path(t)
        path = tmp / "records.jsonl"
        size = write_jsonl(path, n)
        baseline = path
        if nb < n:
            baseline = tmp / "baseline.jsonl"
            head(path, baseline, nb)
        figures["file_mib"] = round(size / 2**20, 1)
        for backend in ("sqlite", "postgresql") if pg else ("sqlite",):
            f = file_figures(tmp, path, n, baseline, nb, backend, args.repeat)
            figures[f"file_{backend}"] = f
            print(
                f"file -> {backend}: columnar {f['columnar_records_per_second']:,} records/s "
                f"({n:,} in {f['columnar_seconds']} s; {_runs(f)}) | row path "
                f"{f['row_path_records_per_second']:,} records/s ({nb:,} in "
                f"{f['row_path_seconds']} s) | x{f['speedup']} | target 150,000 | per CPU "
                f"second (client process): {f['columnar_records_per_cpu_second']:,} against "
                f"{f['row_path_records_per_cpu_second']:,} | with the WAL checkpointed after the "
                f"commit: {f['checkpointed_records_per_second']:,} records/s | chunks checked "
                f"by the worker: {f['worker_chunks']} | load {f['load_1min']}",
                flush=True,
            )
            h = http_figures(tmp, args.body_records, args.bodies, backend, args.repeat)
            figures[f"http_{backend}"] = h
            print(
                f"POST /v1/records -> {backend} ({args.bodies} bodies of "
                f"{args.body_records:,}): columnar {h['columnar_records_per_second']:,} "
                f"records/s ({_runs(h)}) | row path {h['row_records_per_second']:,} records/s | "
                f"x{h['speedup']} | target 100,000",
                flush=True,
            )
        c = cli_figures(tmp, path, n)
        figures["cli_sqlite"] = c
        print(
            f"xinyong ingest FILE -> sqlite, end to end (start-up to exit): "
            f"{c['records_per_second']:,} records/s ({n:,} in {c['seconds']} s)",
            flush=True,
        )
        if args.memory_records:
            m = memory_figures(tmp, args.memory_records)
            figures["memory"] = m
            for k, v in m.items():
                print(f"peak memory, {k.replace('_', ' ')} file: {v}", flush=True)
    figures["self_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    figures["date"] = date.today().isoformat()
    merge_results(args.results, "ingest_bulk", figures)
    return figures


if __name__ == "__main__":
    main()
