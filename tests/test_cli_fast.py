"""The console entry point's fast path (issue 16: start-up under 0.3 s for commands that need
neither SQLAlchemy nor Polars): ``--version``, ``--help`` and ``code check CODE...`` answer
without importing Typer, Rich or Pydantic, and say exactly what the Typer app says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from xinyong.drivers.cli.fast import HELP_FILE, render_help

PERSON = "11010519491231002X"
BAD = "11010519491231002Y"
ORG = "91110000600037341L"
HEAVY = ("typer", "rich", "pydantic", "sqlalchemy", "polars", "numpy")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "TERMINAL_WIDTH"}}
    env.update(extra)
    return env


def _run(entry: str, argv: list[str], tmp_path: Path, **env: str) -> tuple[int, str, str]:
    """Run ``argv`` through ``entry`` (``fast`` or ``app``) as a script named ``xinyong``,
    as the console script runs it."""
    script = tmp_path / entry / "xinyong"
    script.parent.mkdir(exist_ok=True)
    script.write_text(
        f"import sys\nfrom xinyong.drivers.cli.{entry} import main\nsys.exit(main())\n",
        encoding="utf-8",
    )
    run = subprocess.run(
        [sys.executable, str(script), *argv],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(**env),
        stdin=subprocess.DEVNULL,
        check=False,
    )
    return run.returncode, run.stdout, run.stderr


def test_the_stored_root_help_is_what_typer_renders() -> None:
    assert HELP_FILE.read_text(encoding="utf-8") == render_help(), (
        "the root help changed: regenerate it with "
        "`.venv/bin/python -m xinyong.drivers.cli.fast --write-help`"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        [],
        ["--version"],
        ["code", "check", PERSON],
        ["code", "check", PERSON, ORG],
        ["code", "check", BAD, ORG],
        ["code", "check", "abc"],
    ],
)
def test_the_fast_path_answers_as_the_typer_app(argv: list[str], tmp_path: Path) -> None:
    fast = _run("fast", argv, tmp_path)
    typer_ = _run("app", argv, tmp_path)
    assert fast == typer_
    assert fast[1]  # something was printed


def test_a_narrow_terminal_gets_typers_own_rendering(tmp_path: Path) -> None:
    fast = _run("fast", ["--help"], tmp_path, COLUMNS="60")
    typer_ = _run("app", ["--help"], tmp_path, COLUMNS="60")
    assert fast == typer_
    assert max(len(line) for line in fast[1].splitlines()) <= 60


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["code", "check", PERSON], ["code", "check", BAD]],
)
def test_the_fast_path_imports_neither_typer_nor_rich_nor_pydantic(argv: list[str]) -> None:
    probe = (
        "import sys\n"
        "from xinyong.drivers.cli.fast import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print('HEAVY', sorted({{m.split('.')[0] for m in sys.modules}} & {set(HEAVY)!r}))\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        capture_output=True,
        text=True,
        env=_env(),
        stdin=subprocess.DEVNULL,
        check=True,
    )
    assert "HEAVY []" in run.stdout, (argv, run.stdout[-300:])


def test_anything_else_goes_to_the_typer_app(tmp_path: Path) -> None:
    status, out, err = _run(
        "fast", ["code", "check", "--allow-file", "/nonexistent", PERSON], tmp_path
    )
    assert status == 2
    assert "--allow-file" in err
    status, out, err = _run("fast", ["gates"], tmp_path)
    assert status == 0
    assert "air.ticket" in out
