"""Benchmark of the HTTP service on loopback and of bulk ingest into each store.

Measures, over a uvicorn server started here on 127.0.0.1 (one process, keep-alive client):

- gate checks per second and p50/p99 latency, one subject per request (``/check``);
- the same with ``/check-batch`` (``--batch`` subjects per request): subjects/s, request p50/p99;
- bulk ingest records/s into each store: straight into the store (``append``; COPY on
  PostgreSQL) and over HTTP (``POST /v1/records``, JSONL, all or nothing).

Synthetic data only. Results are merged into ``bench/results.json`` under ``"service"``
(read-modify-write; other keys are kept).

    python -m xinyong.adapters.http.bench [--subjects 2000] [--checks 2000] [--ingest 100000]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from xinyong.adapters.http.app import create_app
from xinyong.adapters.http.auth import KeyRing
from xinyong.adapters.store import open_store
from xinyong.core.codes.issue import make_resident_id
from xinyong.core.records import Record, Status

RESULTS = Path("bench/results.json")
PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
KEYS = """
[[key]]
key = "bench-agency-key"
role = "agency"
name = "bench-agency"
categories = ["*"]

[[key]]
key = "bench-gate-key"
role = "gate"
name = "bench-gate"
"""
GATE = "rail.g-train"


def subjects(n: int) -> list[str]:
    born = date(1960, 1, 1)
    return [
        make_resident_id("110105", born + timedelta(days=i // 900), i % 900 + 1) for i in range(n)
    ]


def records(codes: list[str], n: int, prefix: str) -> list[Record]:
    """``n`` traffic records over ``codes``; every tenth subject also has a court listing."""
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(days=60)
    out = []
    for i in range(n):
        subject = codes[i % len(codes)]
        listing = i < len(codes) and i % 10 == 0
        out.append(
            Record(
                id=f"{prefix}-{i:08d}",
                subject=subject,
                category="court.listing_decision" if listing else "traffic.violation",
                occurred_at=t0 + timedelta(minutes=i % 10_000),
                recorded_at=t0 + timedelta(days=1, minutes=i % 10_000),
                source="bench-court" if listing else "bench-police",
                legal_basis="synthetic benchmark record",
                evidence=f"ev-{i}",
                amount=None,
                severity=None,
                status=Status.ACTIVE,
                refers_to=None,
                details={"ground": 2} if listing else {},
            )
        )
    return out


def pg_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(PG_URL, connect_timeout=3) as con:
            con.execute("SELECT 1")
        return True
    except Exception:
        return False


@contextmanager
def pg_schema() -> Iterator[str]:
    """A store URL on a fresh PostgreSQL schema, dropped afterwards."""
    import psycopg

    name = f"bench_{int(time.time() * 1000)}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f'DROP SCHEMA "{name}" CASCADE')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(store_url: str) -> Iterator[str]:
    """A uvicorn server over ``store_url`` on a free loopback port; yields its base URL."""
    import uvicorn

    app = create_app(store_url, keys=KeyRing.from_toml(KEYS, "bench keys"))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def _quantiles(latencies: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": round(qs[49] * 1000, 3), "p99_ms": round(qs[98] * 1000, 3)}


def bench_checks(base: str, codes: list[str], checks: int, batch: int) -> dict[str, Any]:
    headers = {"X-API-Key": "bench-gate-key"}
    out: dict[str, Any] = {}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
        for s in codes[:20]:  # warm up
            c.post(f"/v1/gates/{GATE}/check", json={"subject": s}).raise_for_status()
        lat: list[float] = []
        denied = 0
        started = time.perf_counter()
        for i in range(checks):
            t = time.perf_counter()
            r = c.post(f"/v1/gates/{GATE}/check", json={"subject": codes[i % len(codes)]})
            lat.append(time.perf_counter() - t)
            r.raise_for_status()
            denied += r.json()["decision"] == "deny"
        elapsed = time.perf_counter() - started
        out["single"] = {
            "checks": checks,
            "checks_per_second": round(checks / elapsed, 1),
            "denied": denied,
            **_quantiles(lat),
        }
        lat = []
        requests = max(2, checks // batch)
        started = time.perf_counter()
        for i in range(requests):
            chunk = [codes[(i * batch + k) % len(codes)] for k in range(batch)]
            t = time.perf_counter()
            r = c.post(f"/v1/gates/{GATE}/check-batch", json={"subjects": chunk})
            lat.append(time.perf_counter() - t)
            r.raise_for_status()
        elapsed = time.perf_counter() - started
        out["batch"] = {
            "batch_size": batch,
            "requests": requests,
            "checks_per_second": round(requests * batch / elapsed, 1),
            **_quantiles(lat),
        }
    return out


def bench_ingest(store_url: str, n: int, http_n: int, codes: list[str], tag: str) -> dict[str, Any]:
    """Records/s appended straight into the store, then over HTTP into the same store."""
    direct = records(codes, n, f"{tag}-d")
    store = open_store(store_url)
    try:
        started = time.perf_counter()
        store.append(direct)
        direct_s = time.perf_counter() - started
    finally:
        store.close()
    over_http = records(codes, http_n, f"{tag}-h")
    body = "\n".join(json.dumps(r.to_dict(), ensure_ascii=False) for r in over_http).encode()
    with serve(store_url) as base, httpx.Client(base_url=base, timeout=600) as c:
        started = time.perf_counter()
        r = c.post("/v1/records", content=body, headers={"X-API-Key": "bench-agency-key"})
        http_s = time.perf_counter() - started
        r.raise_for_status()
    return {
        "append_records": n,
        "append_records_per_second": round(n / direct_s),
        "http_records": http_n,
        "http_records_per_second": round(http_n / http_s),
        "http_body_mib": round(len(body) / 2**20, 2),
    }


def bench(
    subject_count: int, checks: int, batch: int, ingest: int, http_ingest: int
) -> dict[str, Any]:
    codes = subjects(subject_count)
    figures: dict[str, Any] = {
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "subjects": subject_count,
        "gate": GATE,
        "note": "loopback, one uvicorn worker, one keep-alive client, SQLite store",
    }
    folder = Path(tempfile.mkdtemp(prefix="xinyong-bench-"))
    try:
        db = str(folder / "gates.db")
        store = open_store(db)
        try:
            store.append(records(codes, subject_count * 3, "seed"))
        finally:
            store.close()
        with serve(db) as base:
            figures["gate_checks"] = bench_checks(base, codes, checks, batch)
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
    return figures


def merge(path: Path, figures: dict[str, Any]) -> None:
    data: dict[str, Any] = {}
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
    data["service"] = figures
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m xinyong.adapters.http.bench", description=__doc__)
    p.add_argument("--subjects", type=int, default=2000, help="subjects in the gate store")
    p.add_argument("--checks", type=int, default=2000, help="single gate checks to time")
    p.add_argument("--batch", type=int, default=100, help="subjects per check-batch request")
    p.add_argument("--ingest", type=int, default=100_000, help="records appended per store")
    p.add_argument("--http-ingest", type=int, default=20_000, help="records posted per store")
    p.add_argument("--results", type=Path, default=RESULTS)
    p.add_argument("--no-save", action="store_true", help="print only; do not write results")
    args = p.parse_args(argv)
    figures = bench(args.subjects, args.checks, args.batch, args.ingest, args.http_ingest)
    print(json.dumps(figures, indent=2))
    if not args.no_save:
        merge(args.results, figures)
        print(f"saved under 'service' in {args.results}")


if __name__ == "__main__":
    main()
