"""The CLI has no surprises (issue 16): lazy start-up, refusals that protect a store, names
suggested for typos, empty results said in words, readable scheme output."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from xinyong.drivers.cli.app import COMMANDS, app, load

ROOT = Path(__file__).parents[1]
RECORDS = ROOT / "examples" / "records.jsonl"
PERSON = "11010519491231002X"
runner = CliRunner()


def _store(tmp_path: Path) -> str:
    db = str(tmp_path / "c.db")
    assert runner.invoke(app, ["ingest", str(RECORDS), "--db", db]).exit_code == 0
    return db


def test_help_and_code_check_import_no_heavy_module() -> None:
    probe = (
        "import sys\n"
        "from xinyong.drivers.cli.app import app\n"
        "try:\n"
        "    app(sys.argv[1:])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('sqlalchemy', 'polars', 'numpy', 'fastapi', 'pyarrow')"
        " if m in sys.modules)\n"
        "print('HEAVY', heavy)\n"
    )
    for argv in (["--help"], ["code", "check", PERSON]):
        run = subprocess.run(
            [sys.executable, "-c", probe, *argv], capture_output=True, text=True, check=True
        )
        assert "HEAVY []" in run.stdout, (argv, run.stdout[-300:])


def test_every_command_in_the_table_loads_and_has_help() -> None:
    for name in COMMANDS:
        r = runner.invoke(app, [name, "--help"])
        assert r.exit_code == 0, (name, r.output)
        assert "Usage" in r.output


def test_world_run_refuses_to_wipe_an_existing_store(tmp_path: Path) -> None:
    db = _store(tmp_path)
    before = Path(db).stat().st_size
    r = runner.invoke(app, ["world", "run", "--world", str(tmp_path / "w"), "--db", db])
    assert r.exit_code == 2
    assert "exists" in r.output
    assert "--replace" in r.output
    assert Path(db).stat().st_size == before


def test_typos_get_a_suggestion(tmp_path: Path) -> None:
    db = _store(tmp_path)
    r = runner.invoke(app, ["check", "rail.gtrain", PERSON, "--db", db])
    assert "did you mean 'rail.g-train'?" in r.output
    r = runner.invoke(app, ["score", PERSON, "--scheme", "rongchen", "--db", db])
    assert "did you mean 'rongcheng'?" in r.output
    r = runner.invoke(app, ["objectons"])
    assert "Did you mean 'objections'?" in r.output


def test_a_resident_number_with_a_bad_check_character_is_read_as_one() -> None:
    r = runner.invoke(app, ["code", "check", "11010519491231002Y"])
    assert r.exit_code == 1
    assert '"kind": "resident"' in r.output
    assert "position 18" in r.output


def test_empty_results_are_said_in_words(tmp_path: Path) -> None:
    db = _store(tmp_path)
    r = runner.invoke(app, ["lists", PERSON, "--at", "2024-06-01", "--db", db])
    assert r.output.strip() == f"{PERSON} has never been on a list (as of 2024-06-01)"
    r = runner.invoke(app, ["objections", "list", "--at", "2026-01-01", "--db", db])
    assert r.output.strip() == "no objections at 2026-01-01"


def test_objections_list_shows_what_is_overdue(tmp_path: Path) -> None:
    db = _store(tmp_path)
    filed = runner.invoke(
        app,
        ["objections", "file", PERSON, "--record", "tp-2024-0001", "--reason", "not me",
         "--at", "2026-03-02T02:00:00Z", "--quiet", "--db", db],
    )  # fmt: skip
    assert filed.exit_code == 0, filed.output
    case = filed.output.strip()
    assert case.startswith("obj-")
    r = runner.invoke(
        app, ["objections", "list", "--at", "2026-06-01", "--db", db], env={"COLUMNS": "200"}
    )
    row = next(line for line in r.output.splitlines() if case in line)
    assert "decision (due" in row


def test_read_commands_refuse_a_store_that_does_not_exist(tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.db")
    for argv in (
        ["lists", PERSON],
        ["check", "air.ticket", PERSON],
        ["state"],
        ["serve"],
        ["export", "parquet", "--out", str(tmp_path / "ds")],
        ["gates"],
        ["score", PERSON, "--scheme", "rongcheng"],
        ["notices", PERSON],
        ["org", "91110000600037341L"],
        ["objections", "list"],
        ["ledger", "verify"],
    ):
        r = runner.invoke(app, [*argv, "--db", missing])
        assert r.exit_code != 0, (argv, r.output)
        assert "no store at" in r.output, (argv, r.output)
    assert not Path(missing).exists()


def test_schemes_show_is_readable_and_json_on_request() -> None:
    r = runner.invoke(app, ["schemes", "show", "rongcheng"])
    assert r.exit_code == 0
    assert r.output.startswith("rongcheng: ")
    assert "--- src/xinyong/data/schemes/rongcheng.toml" in r.output
    assert "[meta]" in r.output
    assert runner.invoke(app, ["schemes", "show", "rongcheng", "--json"]).output.startswith("{")


def test_gates_reads_the_store_given_and_the_memoranda_in_force(tmp_path: Path) -> None:
    db = _store(tmp_path)
    every = runner.invoke(app, ["gates", "--json"])
    assert every.exit_code == 0, every.output
    with_store = runner.invoke(app, ["gates", "--json", "--db", db])
    assert with_store.exit_code == 0, with_store.output
    assert with_store.output == every.output
    assert "air.ticket" in with_store.output
    only = runner.invoke(
        app, ["gates", "--json"], env={"XINYONG_MEMORANDA": "corporate-measures-2016"}
    )
    assert only.exit_code == 0, only.output
    assert "finance.bond-issue" in only.output
    assert "air.ticket" not in only.output


def _leaves(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
    subcommands = getattr(command, "commands", None)
    if subcommands:
        for name, sub in subcommands.items():
            yield from _leaves(sub, [*path, name])
    else:
        yield path, command


def test_help_examples_are_one_line_each() -> None:
    """Each example in a command's help is one line, to copy as it is (issue 16)."""
    broken = {}
    for name in COMMANDS:
        for path, command in _leaves(load(name), [name]):
            for paragraph in (command.help or "").split("\n\n"):
                lines = paragraph.strip().splitlines()
                example = bool(lines) and lines[0].startswith("Example")
                if example and any("xinyong " not in line for line in lines):  # one line each
                    broken[" ".join(path)] = paragraph
    assert not broken, broken
    r = runner.invoke(app, ["repair", "request", "--help"], env={"COLUMNS": "250"})
    example = next(line for line in r.output.splitlines() if "Example:" in line)
    assert '--commitment "I will comply with the law"' in example


def test_command_lists_show_each_summary_on_one_line() -> None:
    r = runner.invoke(app, ["objections", "--help"], env={"COLUMNS": "250"})
    row = next(line for line in r.output.splitlines() if "│ decide" in line)
    assert "the wrong record is revoked or corrected, and scores" in row
