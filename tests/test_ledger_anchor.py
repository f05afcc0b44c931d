"""Checkpoints that cannot vanish: with a signing key the signer's interval is enforced by
``ledger verify --key``, and every checkpoint also goes to an anchor file outside the store
that ``ledger verify --anchor`` reads."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from factories import make_record
from xinyong import Settings, open_system
from xinyong.adapters.store.ledger import new_key
from xinyong.drivers.cli.app import app

runner = CliRunner()


def _signed_store(tmp_path: Path) -> tuple[str, Path, Path]:
    key, anchor, db = tmp_path / "k.pem", tmp_path / "anchor.jsonl", tmp_path / "c.db"
    new_key(key)
    s = Settings(db=str(db), ledger_key=key, ledger_every=5, ledger_anchor=anchor)
    with open_system(s) as system:
        system.ingest([make_record() for _ in range(12)])
    return str(db), key, anchor


def _tamper(db: str, *statements: str) -> None:
    con = sqlite3.connect(db)
    for table in ("checkpoints", "ledger", "records"):
        for op in ("update", "delete"):
            con.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
    for sql in statements:
        con.execute(sql)
    con.commit()
    con.close()


def _verify(db: str, *args: str) -> dict[str, object]:
    r = runner.invoke(app, ["ledger", "verify", "--db", db, "--json", *args])
    out: dict[str, object] = json.loads(r.stdout)
    out["exit"] = r.exit_code
    return out


def test_every_checkpoint_also_goes_to_the_anchor_file(tmp_path: Path) -> None:
    db, key, anchor = _signed_store(tmp_path)
    lines = anchor.read_text().splitlines()
    assert [json.loads(x)["position"] for x in lines] == [5, 10]
    assert _verify(db, "--key", str(key), "--anchor", str(anchor))["ok"] is True


def test_deleted_checkpoint_rows_are_caught_with_the_key(tmp_path: Path) -> None:
    db, key, _ = _signed_store(tmp_path)
    _tamper(db, "DELETE FROM checkpoints")
    assert _verify(db)["exit"] == 0  # without the key the store alone cannot tell
    got = _verify(db, "--key", str(key), "--every", "5")
    assert got["exit"] == 1
    assert got["findings"][0]["kind"] == "checkpoint"  # type: ignore[index]


def test_a_deleted_tail_is_caught_by_the_anchor_file(tmp_path: Path) -> None:
    db, key, anchor = _signed_store(tmp_path)
    _tamper(
        db,
        "DELETE FROM checkpoints WHERE position = 10",
        "DELETE FROM records WHERE seq IN (SELECT seq FROM ledger WHERE position > 5)",
        "DELETE FROM ledger WHERE position > 5",
    )
    assert _verify(db, "--key", str(key), "--every", "5")["exit"] == 0  # a shorter log
    got = _verify(db, "--key", str(key), "--every", "5", "--anchor", str(anchor))
    assert got["exit"] == 1
    assert got["findings"][0]["kind"] == "deleted"  # type: ignore[index]


def test_the_writer_is_stamped_and_covered_by_the_ledger(tmp_path: Path) -> None:
    """Provenance: each record carries the principal that wrote it; rewriting it breaks the
    chain."""
    from xinyong.system.principals import KeyRing

    keys = KeyRing.from_toml(
        '[[key]]\nkey = "agency-secret-1"\nrole = "agency"\nname = "traffic-police"\n'
        'categories = ["traffic.*"]\n',
        "keys",
    )
    db = tmp_path / "c.db"
    with open_system(Settings(db=str(db), extra={"keys": keys})) as system:
        system.ingest([make_record()], by="traffic-police")
        system.ingest([make_record()])
    con = sqlite3.connect(db)
    writers = [w for (w,) in con.execute("SELECT writer FROM records ORDER BY seq")]
    con.close()
    assert writers == ["agency:traffic-police", "operator:local"]
    assert _verify(str(db))["ok"] is True
    _tamper(str(db), "UPDATE records SET writer = 'agency:court' WHERE seq = 1")
    got = _verify(str(db))
    assert got["exit"] == 1
    assert got["first_bad_position"] == 1
