"""Every ```console block in README.md and docs/*.md runs as printed.

Each document is one test. Its blocks run in order, in ONE bash session (so a variable set by
``$ OBJ=$(...)`` in one block is there in the next), started in a fresh temporary directory
holding a copy of ``examples/`` and links to the repository's ``.venv``, ``src`` and ``tests``
(so ``examples/records.jsonl``, ``.venv/bin/xinyong`` and ``tests/golden/...`` work as
written), with ``.venv/bin`` first on PATH (as after ``source .venv/bin/activate``), no
``XINYONG_*`` variables from the caller's environment, and a 100-column terminal.

A line starting with ``$ `` is a command; the lines after it, up to the next command or the
end of the block, are what it prints (stdout and stderr together). When it exits with a status
other than 0 the output ends with the line ``(exit status N)``. Blank lines at the end of what
a command prints, or of what the document shows, are not compared. The printed output must equal
the lines shown, except for these placeholders, the only places where output may differ:

- a line that is only ``...`` stands for any number of lines (zero or more);
- ``<NAME>`` (upper-case letters, digits and ``_`` between angle brackets, e.g. ``<TIME>``)
  stands for any text within one line;
- a run of spaces, or of the table-rule characters ``─ ━ ═``, equals a run of any length of the
  same kind, so a table whose columns widen around a placeholder still matches.

Generated ids are never written into a document: it captures them into shell variables
(``$ OBJ=$(xinyong objections file ... --quiet)``) and uses ``$OBJ`` afterwards.
"""

from __future__ import annotations

import os
import re
import selectors
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
END = "__XINYONG_DOCS_END__"
PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
TIMEOUT_S = 240.0


@dataclass(frozen=True)
class Step:
    where: str  # document:line of the command
    command: str
    expected: list[str]


def steps(document: Path) -> list[Step]:
    out: list[Step] = []
    lines = document.read_text(encoding="utf-8").splitlines()
    name = document.relative_to(ROOT)
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        i += 1
        current: Step | None = None
        while lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ "):
                current = Step(f"{name}:{i + 1}", line[2:], [])
                out.append(current)
            else:
                assert current is not None, f"{name}:{i + 1}: a console block starts with output"
                current.expected.append(line)
            i += 1
        i += 1
    for step in out:  # a blank line that separates commands is not output
        while step.expected and not step.expected[-1].strip():
            step.expected.pop()
    return out


def _normalise(line: str) -> str:
    line = re.sub(r" +", " ", line.rstrip())
    return re.sub(r"([─━═])\1+", r"\1", line)


def _line_pattern(line: str) -> re.Pattern[str]:
    parts = PLACEHOLDER.split(_normalise(line))
    return re.compile(".+?".join(re.escape(p) for p in parts) + r"\Z")


def matches(expected: list[str], got: list[str]) -> bool:
    """Whether ``got`` is what ``expected`` shows, placeholders allowed (see the module)."""
    if not expected:
        return not got
    head, rest = expected[0], expected[1:]
    if head.strip() == "...":
        return any(matches(rest, got[k:]) for k in range(len(got) + 1))
    return (
        bool(got) and bool(_line_pattern(head).match(_normalise(got[0]))) and matches(rest, got[1:])
    )


class Shell:
    """One bash session; :meth:`run` sends a command and returns what it printed and its status."""

    def __init__(self, cwd: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("XINYONG_")}
        env.update(PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}", COLUMNS="100")
        env.update(TERM="dumb", NO_COLOR="1", LC_ALL="C.UTF-8", PYTHONIOENCODING="utf-8")
        self.proc = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        self.sel = selectors.DefaultSelector()
        assert self.proc.stdout is not None
        self.sel.register(self.proc.stdout, selectors.EVENT_READ)

    def run(self, command: str) -> tuple[str, int]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(f"{{ {command}\n}} 2>&1; printf '\\n{END} %d\\n' $?\n".encode())
        self.proc.stdin.flush()
        buf = b""
        deadline = time.monotonic() + TIMEOUT_S
        marker = re.compile(rf"\n{END} (\d+)\n".encode())
        while not (found := marker.search(buf)):
            if time.monotonic() > deadline or not self.sel.select(deadline - time.monotonic()):
                raise AssertionError(f"$ {command}\ntimed out; printed so far:\n{buf.decode()}")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise AssertionError(f"$ {command}\nthe shell exited:\n{buf.decode()}")
            buf += chunk
        return buf[: found.start()].decode("utf-8", "replace"), int(found.group(1))

    def close(self) -> None:
        self.sel.close()
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


def sandbox(tmp: Path) -> Path:
    shutil.copytree(ROOT / "examples", tmp / "examples")
    for name in (".venv", "src", "tests"):
        (tmp / name).symlink_to(ROOT / name)
    return tmp


def test_placeholders_match_only_where_they_stand() -> None:
    assert matches(["a <ID> b", "...", "z"], ["a obj-1 b", "x", "y", "z"])
    assert matches(["│ x │ <TIME> │", "└──┘"], ["│ x │ 0.12 s (3 rows/s) │", "└─────┘"])
    assert not matches(["a <ID> b"], ["a  b"])
    assert not matches(["a <ID> b"], ["a x c"])
    assert not matches(["...", "z"], ["y"])
    assert not matches(["x"], ["x", "extra"])
    assert not matches(["<https://example.org>"], ["anything"])


@pytest.mark.skipif(not (VENV_BIN / "xinyong").exists(), reason="no .venv")
@pytest.mark.parametrize("document", [d for d in DOCUMENTS if steps(d)], ids=lambda d: d.name)
def test_console_blocks_print_what_the_document_shows(document: Path, tmp_path: Path) -> None:
    shell = Shell(sandbox(tmp_path))
    failures = []
    try:
        for step in steps(document):
            printed, status = shell.run(step.command)
            got = printed.splitlines()
            while got and not got[-1].strip():
                got.pop()
            if status:
                got.append(f"(exit status {status})")
            if not matches(step.expected, got):
                failures.append(
                    f"{step.where}: $ {step.command}\n--- document ---\n"
                    + "\n".join(step.expected)
                    + "\n--- printed ---\n"
                    + "\n".join(got)
                )
    finally:
        shell.close()
    assert not failures, "\n\n".join(failures)
