"""The service benchmark's bulk ingest: one ``append`` of many records (COPY on
PostgreSQL) against 1,000-record appends, and over HTTP; on SQLite and, when reachable, on a
fresh PostgreSQL schema."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import orjson

from bench.service_data import records
from bench.service_servers import serve
from xinyong.adapters.store import open_store

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"


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


def bench_ingest(store_url: str, n: int, http_n: int, codes: list[str], tag: str) -> dict[str, Any]:
    """Records/s appended straight into the store in one call, then the baseline (other
    records of the same shape, same count, in 1,000-record calls), then over HTTP."""
    direct = records(codes, n, f"{tag}-d")
    chunked = records(codes, n, f"{tag}-c")
    store = open_store(store_url)
    try:
        started = time.perf_counter()
        store.append(direct)
        direct_s = time.perf_counter() - started
        started = time.perf_counter()
        for start in range(0, n, 1000):
            store.append(chunked[start : start + 1000])
        chunked_s = time.perf_counter() - started
    finally:
        store.close()
    over_http = records(codes, http_n, f"{tag}-h")
    body = b"\n".join(orjson.dumps(r.to_dict()) for r in over_http)
    with serve(store_url) as base, httpx.Client(base_url=base, timeout=600) as c:
        started = time.perf_counter()
        r = c.post("/v1/records", content=body, headers={"X-API-Key": "bench-agency-key"})
        http_s = time.perf_counter() - started
        r.raise_for_status()
    return {
        "append_records": n,
        "append_records_per_second": round(n / direct_s),
        "baseline_append_1000_per_call_records_per_second": round(n / chunked_s),
        "ratio": round(chunked_s / direct_s, 2),
        "http_records": http_n,
        "http_records_per_second": round(http_n / http_s),
        "http_body_mib": round(len(body) / 2**20, 2),
    }
