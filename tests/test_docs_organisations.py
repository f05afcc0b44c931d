"""The console blocks of docs/organisations.md run as printed: each ``$ command`` is run from
the repository root and its output compared with the lines that follow it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOC = ROOT / "docs" / "organisations.md"


def blocks() -> list[tuple[str, str]]:
    out = []
    for block in re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S):
        command, _, expected = block.partition("\n")
        assert command.startswith("$ "), f"{DOC.name}: a console block starts with {command!r}"
        out.append((command[2:], expected))
    return out


def test_the_doc_has_console_blocks() -> None:
    assert len(blocks()) >= 4


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "xinyong").exists(), reason="no .venv")
@pytest.mark.parametrize(("command", "expected"), blocks())
def test_console_block_prints_what_the_doc_shows(command: str, expected: str) -> None:
    run = subprocess.run(
        command, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert run.stdout == expected, f"$ {command}\n--- got ---\n{run.stdout}{run.stderr}"
