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
from collections.abc import Sequence
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
    """Core count, memory and platform of this machine."""
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(memory_gib(), 1),
        "platform": f"{platform.machine()}, CPython {platform.python_version()}",
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
