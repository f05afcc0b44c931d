"""Start-up time of the CLI beside the interpreter's own, measured in the same run.

    .venv/bin/python bench/startup.py [--runs 11]

Runs each command as a fresh process (one warm-up, then ``--runs`` counted, interleaved so a
drift in the machine's speed falls on all of them alike) and prints the median and the range
of the wall time, and the median minus ``python -c pass``'s: what the CLI itself costs. The
target (issue 16) is under 0.3 s for ``xinyong --help`` and ``xinyong code check CODE``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "xinyong --help": [str(BIN / "xinyong"), "--help"],
    "xinyong code check CODE": [str(BIN / "xinyong"), "code", "check", "11010519491231002X"],
    "xinyong --version": [str(BIN / "xinyong"), "--version"],
}
TARGET_S = 0.3


def once(argv: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11)
    runs = parser.parse_args().runs
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for argv in COMMANDS.values():
        once(argv)  # warm-up: page cache, .pyc files
    for _ in range(runs):
        for name, argv in COMMANDS.items():
            times[name].append(once(argv))
    base = statistics.median(times["python -c pass"])
    print(f"{'command':<26} {'median':>8} {'min':>8} {'max':>8} {'minus python':>13}  target")
    for name, got in times.items():
        med = statistics.median(got)
        target = "" if name == "python -c pass" else ("met" if med < TARGET_S else "NOT met")
        print(
            f"{name:<26} {med:>7.3f}s {min(got):>7.3f}s {max(got):>7.3f}s "
            f"{med - base:>12.3f}s  {target}"
        )
    print(f"({runs} runs each after a warm-up, interleaved; target < {TARGET_S} s)")


if __name__ == "__main__":
    main()
