"""``xinyong serve``: the command's options and its refusal of a bad keys file."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from xinyong.drivers.cli.app import app as cli
from xinyong.drivers.cli.serve_cmd import serve_command

app = typer.Typer()
app.command("serve")(serve_command)
app.command("other")(lambda: None)  # two commands, so "serve" is addressed by name


def test_help_lists_the_options() -> None:
    r = CliRunner().invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    for option in ("--db", "--host", "--port", "--keys"):
        assert option in r.output


def test_bad_keys_file_is_refused(tmp_path: Path) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text('[[key]]\nkey = "short"\nrole = "gate"\n', encoding="utf-8")
    db = str(tmp_path / "x.db")
    records = Path(__file__).parents[2] / "examples" / "records.jsonl"
    assert CliRunner().invoke(cli, ["ingest", str(records), "--db", db]).exit_code == 0
    r = CliRunner().invoke(app, ["serve", "--db", db, "--keys", str(keys)])
    assert r.exit_code == 2
    assert "at least 8 characters" in r.output + (r.stderr if r.stderr_bytes else "")


def test_serve_refuses_a_store_that_does_not_exist(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code == 2
    assert "no store at" in r.output
    assert not (tmp_path / "missing.db").exists()
