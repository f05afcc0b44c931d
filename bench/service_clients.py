"""The service benchmark's closed-loop clients: one request at a time, single checks from
one client and check-batch requests from two."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import orjson

from bench.service_data import GATE, HEADERS
from bench.service_open_loop import quantiles


def bench_sequential(base: str, codes: list[str], checks: int) -> dict[str, Any]:
    """One keep-alive client, one request at a time (the baseline's method)."""
    with httpx.Client(base_url=base, headers=HEADERS, timeout=60) as c:
        for s in codes[:50]:  # warm up
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
    return {
        "checks": checks,
        "checks_per_second": round(checks / elapsed, 1),
        "denied": denied,
        **quantiles(lat),
    }


def bench_batch(
    base: str, codes: list[str], requests: int, batch: int, clients: int = 2
) -> dict[str, Any]:
    """``requests`` ``/check-batch`` requests of ``batch`` subjects from ``clients`` clients
    (threads, each one keep-alive connection sending one request at a time), so the server
    is not idle while a client reads an answer; bodies are encoded beforehand and every
    answer is checked for ``batch`` decisions."""
    bodies = [
        orjson.dumps({"subjects": [codes[(i * batch + j) % len(codes)] for j in range(batch)]})
        for i in range(requests)
    ]
    url = f"/v1/gates/{GATE}/check-batch"
    headers = {**HEADERS, "Content-Type": "application/json"}
    lat: list[float] = []
    errors: list[BaseException] = []

    def client(mine: list[bytes]) -> None:
        try:
            with httpx.Client(base_url=base, headers=headers, timeout=600) as c:
                for body in mine:
                    t = time.perf_counter()
                    r = c.post(url, content=body)
                    lat.append(time.perf_counter() - t)
                    r.raise_for_status()
                    if len(orjson.loads(r.content)["decisions"]) != batch:
                        raise RuntimeError(f"{url} answered {batch} subjects with another count")
        except BaseException as e:  # reported below, in the main thread
            errors.append(e)

    with httpx.Client(base_url=base, headers=headers, timeout=600) as c:
        c.post(url, content=bodies[0]).raise_for_status()  # warm up
    n = max(1, min(clients, requests))
    threads = [threading.Thread(target=client, args=(bodies[k::n],)) for k in range(n)]
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return {
        "batch_size": batch,
        "requests": requests,
        "clients": n,
        "checks_per_second": round(requests * batch / elapsed, 1),
        **quantiles(lat),
    }
