"""``bench/results.json``: every benchmark writes its own key and keeps the others.

Each section is stamped with what a reader needs to weigh its figures: the command that
produced it, when, and the machine's core count and memory (a bench may give more detail in
its own ``machine`` entry).
"""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path("bench/results.json")


def command_line(module: str | None = None, argv: Sequence[str] | None = None) -> str:
    """The command as a user would type it: ``python -m module args``. By default how this
    process was started; a bench's ``main(argv)`` called from code passes its module and
    ``argv`` (when ``argv`` is None, the process's own arguments)."""
    if module is None:
        main = sys.modules.get("__main__")
        module = getattr(getattr(main, "__spec__", None), "name", None)
    head = f"python -m {module}" if module else f"python {sys.argv[0]}"
    return " ".join([head, *(sys.argv[1:] if argv is None else argv)])


def memory_gib() -> float:
    """This machine's physical memory in GiB."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30


def machine_facts() -> dict[str, Any]:
    """Core count, memory and platform of this machine, and its speed right now."""
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "platform": f"{platform.machine()}, CPython {platform.python_version()}",
        "speed": machine_speed(),
    }


def machine_speed(rounds: int = 3) -> dict[str, float]:
    """Three fixed workloads timed now (best of ``rounds``), so that figures measured on
    different machines, or on one machine whose share of its host varies, can be compared:
    a pure-Python loop (the interpreter), SHA-256 over 1 KiB blocks (native code) and
    single-row inserts into an in-memory SQLite table (the embedded store's engine). Larger
    is faster; each takes about a tenth of a second."""
    import hashlib
    import sqlite3
    import time

    def best(work: Callable[[], int]) -> float:
        rates = []
        for _ in range(rounds):
            started = time.perf_counter()
            n = work()
            rates.append(n / (time.perf_counter() - started))
        return max(rates)

    def loop() -> int:
        d: dict[int, str] = {}
        for i in range(200_000):
            d[i & 1023] = str(i)
        return 200_000

    block = bytes(1024)

    def sha() -> int:
        for _ in range(20_000):
            hashlib.sha256(block).digest()
        return 20_000

    def inserts() -> int:
        db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE t (k INTEGER PRIMARY KEY, a TEXT, b INTEGER)")
        db.executemany("INSERT INTO t (a, b) VALUES (?, ?)", (("x" * 20, i) for i in range(50_000)))
        db.close()
        return 50_000

    return {
        "python_loop_mops": round(best(loop) / 1e6, 2),
        "sha256_1k_blocks_k_per_s": round(best(sha) / 1e3, 1),
        "sqlite_inserts_k_per_s": round(best(inserts) / 1e3, 1),
    }


def merge_results(path: Path, key: str, figures: dict[str, Any]) -> None:
    """Read-modify-write ``path``: set ``key`` to ``figures`` (stamped with the command, the
    time and the machine unless the bench gave them), keep every other key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            data = json.loads(text)
    stamped = {
        "command": command_line(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **figures,
        "machine_facts": machine_facts(),
    }
    data[key] = stamped
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
