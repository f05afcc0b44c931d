"""The service benchmark's gate checks: the service and the baseline server, runs
alternating; and the check-batch work in process, without HTTP."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from bench.service_clients import bench_batch, bench_sequential
from bench.service_data import GATE
from bench.service_open_loop import open_loop
from bench.service_servers import Served, cpu_seconds
from xinyong.adapters.store import open_store


def bench_in_process(db: str, codes: list[str], batch: int, rounds: int = 50) -> dict[str, Any]:
    """The check-batch work without HTTP and access log: the one-query fetch and the gate
    plan per batch, as ``gates.decide`` runs it inside the server; and the baseline, the
    unplanned path (``Engine.check`` per subject) over the same subjects."""
    from xinyong.core.timeutil import now
    from xinyong.system.engine import Engine
    from xinyong.system.gate_plan import plan_for

    store = open_store(db)
    try:
        engine = Engine(store)
        plan = plan_for(engine.schemes, engine.memoranda, GATE)
        assert plan.categories is not None
        with_ = getattr(store, "subjects_with")  # noqa: B009
        rows = getattr(store, "rows_for_many")  # noqa: B009
        chunks = [
            [codes[(i * batch + k) % len(codes)] for k in range(batch)] for i in range(rounds)
        ]
        plan.decide_rows(chunks[0], rows(chunks[0]), now())  # warm up
        started = time.perf_counter()
        for chunk in chunks:
            relevant = with_(plan.categories)
            plan.decide_rows(chunk, rows([s for s in chunk if s in relevant]), now())
        planned = rounds * batch / (time.perf_counter() - started)
        few = chunks[0][: max(1, batch // 4)]
        at = now()
        started = time.perf_counter()
        for s in few:
            engine.check(GATE, s, at)
        unplanned = len(few) / (time.perf_counter() - started)
    finally:
        store.close()
    return {
        "batch_size": batch,
        "batches": rounds,
        "checks_per_second": round(planned, 1),
        "baseline_checks_per_second": round(unplanned, 1),
        "ratio": round(planned / unplanned, 1),
    }


def _median_run(runs: list[dict[str, Any]], key: str) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: float(r[key]))
    return {**ordered[len(ordered) // 2], f"{key}_of_runs": [r[key] for r in runs]}


def bench_checks(
    servers: tuple[Served, Served],
    codes: list[str],
    checks: int,
    batch: int,
    rate: float,
    connections: int,
    runs: int,
) -> dict[str, Any]:
    """Single checks at ``rate`` and check-batch, on the service (``servers[0]``) and on the
    baseline (``servers[1]``), runs alternating between the two; each run also notes the
    server's CPU time per check."""
    singles: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    batches: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])
    batch_requests = max(20, checks * 10 // batch)
    for server in servers:  # one untimed second at the rate: steady state
        asyncio.run(open_loop(server.base, codes, int(rate), rate, connections))
        bench_batch(server.base, codes, 2, batch)
    for _ in range(runs):
        for side, (base, pid) in enumerate(servers):
            cpu = cpu_seconds(pid)
            run = asyncio.run(open_loop(base, codes, checks, rate, connections))
            after = cpu_seconds(pid)
            if cpu is not None and after is not None:
                run["server_cpu_ms_per_check"] = round((after - cpu) * 1000 / checks, 3)
            singles[side].append(run)
            # the baseline takes about a millisecond a subject: fewer requests, same size
            n = batch_requests if side == 0 else max(2, batch_requests // 25)
            cpu = cpu_seconds(pid)
            run = bench_batch(base, codes, n, batch)
            after = cpu_seconds(pid)
            if cpu is not None and after is not None:
                run["server_cpu_us_per_subject"] = round((after - cpu) * 1e6 / (n * batch), 2)
            batches[side].append(run)
    single = _median_run(singles[0], "p99_ms")
    single_base = _median_run(singles[1], "p99_ms")
    many = _median_run(batches[0], "checks_per_second")
    many_base = _median_run(batches[1], "checks_per_second")
    return {
        "single_at_rate": {**single, "baseline": single_base},
        "single_sequential": bench_sequential(servers[0].base, codes, min(checks, 2000)),
        "batch": {
            **many,
            "baseline": many_base,
            "ratio": round(many["checks_per_second"] / many_base["checks_per_second"], 1),
        },
    }
