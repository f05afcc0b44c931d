"""Gate checks while public list pages are hammered (issue 12: bounded cost).

One uvicorn server (a child process, one worker) over a synthetic SQLite store. Single gate
checks are offered at ``--rate`` per second, open loop (the service bench's client), twice,
alternating: alone (the baseline, measured in the same run) and while ``--hammer`` clients
ask for public list pages as fast as they are answered, each page with a different ``at``
day and page number (the costly case: nothing cached from one request to the next). The
server runs with the public rate limit off (``XINYONG_PUBLIC_RATE=0``), so what bounds the
cost is the design, not the throttle.

Two designs, alternating in each round: lists evaluated in the server's own process
(``XINYONG_LIST_WORKERS=0``, the baseline) and in a worker process (``=1``, the default).
Prints the p50/p99 of the checks in each condition, the ratio of p99 hammered to p99 alone,
and what the hammer got (HTTP status: count).

    python -m bench.list_load [--subjects 2000] [--rate 500] [--seconds 10] [--hammer 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.results import machine_speed
from bench.service_data import records, subjects
from bench.service_open_loop import open_loop
from bench.service_servers import serve_child
from xinyong.adapters.store import open_store

LIST = "/v1/lists/spc-defaulters/dishonest-defaulters"


def hammer(base: str, stop: threading.Event, got: dict[str, int], k: int) -> None:
    """Ask for list pages with a new day and page each time until ``stop``."""
    day = date(2026, 1, 1) - timedelta(days=400 * k)
    with httpx.Client(base_url=base, timeout=120) as client:
        n = 0
        while not stop.is_set():
            n += 1
            at = (day - timedelta(days=n)).isoformat()
            r = client.get(LIST, params={"at": at, "page": 1 + n % 5})
            key = str(r.status_code)
            got[key] = got.get(key, 0) + 1


def run(base: str, codes: list[str], checks: int, rate: float, hammers: int) -> dict[str, Any]:
    stop = threading.Event()
    got: dict[str, int] = {}
    threads = [threading.Thread(target=hammer, args=(base, stop, got, k)) for k in range(hammers)]
    for t in threads:
        t.start()
    try:
        figures = asyncio.run(open_loop(base, codes, checks, rate, 32))
    finally:
        stop.set()
        for t in threads:
            t.join()
    return {**figures, "list_pages": got}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--hammer", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    codes = subjects(args.subjects)
    checks = int(args.rate * args.seconds)
    folder = Path(tempfile.mkdtemp(prefix="xinyong-list-load-"))
    os.environ["XINYONG_PUBLIC_RATE"] = "0"  # the child server's setting: no throttle
    print(f"machine speed: {machine_speed()}")
    try:
        db = str(folder / "c.db")
        store = open_store(db)
        try:
            store.append(records(codes, args.subjects * 3, "seed"))
        finally:
            store.close()
        for r in range(args.rounds):
            for workers, design in (("0", "in the server (baseline)"), ("1", "in a worker")):
                os.environ["XINYONG_LIST_WORKERS"] = workers
                with serve_child(db) as served:
                    alone = run(served.base, codes, checks, args.rate, 0)
                    loaded = run(served.base, codes, checks, args.rate, args.hammer)
                p99 = alone["p99_ms"]
                ratio = loaded["p99_ms"] / p99 if p99 else float("inf")
                print(
                    f"round {r + 1}, lists {design}: gate checks at {args.rate:.0f}/s offered: "
                    f"alone p50 {alone['p50_ms']} ms p99 {p99} ms; with {args.hammer} list "
                    f"hammers p50 {loaded['p50_ms']} ms p99 {loaded['p99_ms']} ms "
                    f"(p99 ratio {ratio:.2f}); failed {loaded['failed']}; list pages "
                    f"answered {loaded['list_pages']}",
                    flush=True,
                )
                time.sleep(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
