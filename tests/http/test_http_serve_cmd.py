"""``xinyong serve``: the command's options and its refusal of a bad keys file."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import typer
from typer.testing import CliRunner

import xinyong
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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_demo_refuses_to_replace_a_store_a_running_server_holds(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    out.mkdir()
    db = out / "xinyong.db"
    records = Path(__file__).parents[2] / "examples" / "records.jsonl"
    assert CliRunner().invoke(cli, ["ingest", str(records), "--db", str(db)]).exit_code == 0
    before = db.read_bytes()
    port = _free_port()
    serve = ["serve", "--db", str(db), "--port", str(port)]
    server = subprocess.Popen(
        [sys.executable, "-m", "xinyong.drivers.cli.fast", *serve],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while xinyong.store_holder(str(db)) is None:
            assert server.poll() is None, "the server stopped"
            assert time.monotonic() < deadline, "the server never marked its store"
            time.sleep(0.1)
        assert f"http://127.0.0.1:{port}/" in str(xinyong.store_holder(str(db)))
        argv = ["--out", str(out), "--no-serve", "--residents", "200", "--months", "1"]
        r = CliRunner().invoke(cli, ["demo", *argv])
        assert r.exit_code == 2, r.output
        assert "in use" in r.output
        assert f"a server at http://127.0.0.1:{port}/" in r.output
        assert "stop the server" in r.output
        assert db.read_bytes() == before
        r = CliRunner().invoke(
            cli, ["world", "run", "--world", str(tmp_path / "w"), "--db", str(db), "--replace"]
        )
        assert r.exit_code != 0
        assert db.read_bytes() == before
        while True:  # up and serving, so Ctrl-C (SIGINT) stops it cleanly
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the server never answered"
                time.sleep(0.2)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
    assert xinyong.store_holder(str(db)) is None
    assert not db.with_name("xinyong.db.held").exists()  # Ctrl-C removes the mark
