"""The service benchmark's open-loop client: single gate checks due at a fixed rate,
whatever came back before, from a minimal asyncio HTTP/1.1 client; and latency quantiles."""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
from typing import Any

from bench.service_data import GATE, HEADERS


def quantiles(latencies: list[float]) -> dict[str, float]:
    qs = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50_ms": round(qs[49] * 1000, 3), "p99_ms": round(qs[98] * 1000, 3)}


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    """One HTTP/1.1 keep-alive request and its answer (status, body)."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return status, await reader.readexactly(length)


def _check_request(host: str, subject: str) -> bytes:
    body = json.dumps({"subject": subject}).encode()
    return (
        f"POST /v1/gates/{GATE}/check HTTP/1.1\r\nHost: {host}\r\n"
        f"X-API-Key: {HEADERS['X-API-Key']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def open_loop(
    base: str, codes: list[str], checks: int, rate: float, connections: int
) -> dict[str, Any]:
    """Open-loop load: check ``i`` is due at t0 + i/rate, whatever came back before.

    A minimal asyncio HTTP/1.1 client (pre-encoded requests, ``connections`` keep-alive
    connections taking due checks from one queue) so that the client's own cost stays far
    below the server's; latency runs from the due time to the end of the answer.
    """
    host, port = base.removeprefix("http://").split(":")
    requests = [_check_request(f"{host}:{port}", codes[i % len(codes)]) for i in range(checks)]
    gc.collect()
    gc.disable()  # no collector pauses in the client while it times the server
    try:
        return await _run_open_loop(host, port, codes, requests, checks, rate, connections)
    finally:
        gc.enable()


async def _run_open_loop(
    host: str,
    port: str,
    codes: list[str],
    requests: list[bytes],
    checks: int,
    rate: float,
    connections: int,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[int, float] | None] = asyncio.Queue()
    lat: list[float] = []
    counts = {"denied": 0, "failed": 0}

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            for s in codes[:5]:  # warm up
                await _exchange(reader, writer, _check_request(f"{host}:{port}", s))
            while (item := await queue.get()) is not None:
                i, due = item
                status, body = await _exchange(reader, writer, requests[i])
                lat.append(loop.time() - due)
                if status != 200:
                    counts["failed"] += 1
                elif b'"decision":"deny"' in body:
                    counts["denied"] += 1
        finally:
            writer.close()

    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    await asyncio.sleep(0.5)
    t0 = loop.time()
    for i in range(checks):
        due = t0 + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        queue.put_nowait((i, due))
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = loop.time() - t0
    return {
        "checks": checks,
        "offered_per_second": rate,
        "checks_per_second": round(checks / elapsed, 1),
        "connections": connections,
        **counts,
        **quantiles(lat),
    }
