"""``xinyong serve``: the command's options and its refusal of a bad keys file."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

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
    r = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "x.db"), "--keys", str(keys)])
    assert r.exit_code == 2
    assert "at least 8 characters" in r.output + (r.stderr if r.stderr_bytes else "")
