"""The store keeps the ledger in step with its records, on SQLite and PostgreSQL; the
migration chains a store made before the ledger existed; the ``xinyong ledger`` commands."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

import xinyong.adapters.store.migrations as migrations_module
import xinyong.adapters.store.postgres as pg_module
import xinyong.adapters.store.sql as sql_module
from factories import make_correction, make_record, write_jsonl
from pg_schema import fresh_pg_schema
from xinyong.adapters.store import PostgresRecordStore, SqlRecordStore, store_url
from xinyong.adapters.store.ledger import Signer, new_key
from xinyong.core.errors import RecordConflict, XinyongError
from xinyong.core.ledger.checkpoint import public_hex
from xinyong.drivers.cli.app import app

KEY = Ed25519PrivateKey.generate()
runner = CliRunner()
Opener = Callable[..., SqlRecordStore]


def _pg_url() -> Iterator[str]:
    yield from fresh_pg_schema()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    if request.param == "sqlite":
        url = store_url(str(tmp_path / "credit.db"))
        yield lambda signer=None: SqlRecordStore(url, signer=signer)
    else:
        for pg in _pg_url():
            yield lambda signer=None, url=pg: PostgresRecordStore(url, signer=signer)


def _audit(open_: Opener):  # type: ignore[no-untyped-def]
    store = open_()
    try:
        return store.ledger().verify(trusted=frozenset({public_hex(KEY)}))
    finally:
        store.close()


def test_migration_chains_records_stored_before_the_ledger(
    opener: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = [make_record() for _ in range(7)]
    with monkeypatch.context() as m:  # the store as the version before the ledger made it
        m.setattr(migrations_module, "MIGRATIONS", migrations_module.MIGRATIONS[:1])
        m.setattr(sql_module, "chain_append", lambda *a: None)
        m.setattr(pg_module, "chain_append", lambda *a: None)
        store = opener()
        store.append(old[:3])
        store.append(old[3:])
        store.close()
    store = opener(Signer(KEY, 5))  # opening with this version migrates
    try:
        store.append([make_record() for _ in range(4)])
    finally:
        store.close()
    a = _audit(opener)
    assert a.ok, a.findings
    assert (a.records, a.entries, a.checkpoints) == (11, 11, 2)


def test_failed_append_and_duplicates_take_no_position(opener: Opener) -> None:
    first = make_record()
    store = opener()
    try:
        store.append([first, make_record()])
        with pytest.raises(RecordConflict):
            store.append([make_record(), make_record(id=first.id, amount=9.0)])
        store.append([first, make_correction(first, amount=1.0)])  # one duplicate, one new
    finally:
        store.close()
    a = _audit(opener)
    assert a.ok, a.findings
    assert (a.records, a.entries) == (3, 3)


def test_checkpoints_every_n_records_within_and_across_batches(opener: Opener) -> None:
    store = opener(Signer(KEY, 4))
    try:
        store.append([make_record() for _ in range(9)])  # checkpoints at 4 and 8
        store.append([make_record() for _ in range(3)])  # at 12
        store.append([make_record()])  # 13: not yet
    finally:
        store.close()
    a = _audit(opener)
    assert a.ok, a.findings
    assert a.checkpoints == 3
    assert any("positions 13-13 are after the newest checkpoint" in n for n in a.notes)


def test_ledger_tables_refuse_update_and_delete_sqlite(tmp_path: Path) -> None:
    url = store_url(str(tmp_path / "credit.db"))
    store = SqlRecordStore(url, signer=Signer(KEY, 1))
    store.append([make_record()])
    store.close()
    con = sqlite3.connect(tmp_path / "credit.db")
    for statement in (
        "UPDATE ledger SET chain = 'x'",
        "DELETE FROM ledger",
        "UPDATE checkpoints SET head = 'x'",
        "DELETE FROM checkpoints",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute(statement)
    con.close()


# --- the commands -------------------------------------------------------------------------


def test_cli_keygen_checkpoint_verify_and_a_tampered_store(tmp_path: Path) -> None:
    key, db, anchor = tmp_path / "ledger.pem", str(tmp_path / "credit.db"), tmp_path / "a.json"
    made = runner.invoke(app, ["ledger", "keygen", str(key)])
    assert made.exit_code == 0, made.output
    assert (key.stat().st_mode & 0o777) == 0o600
    again = runner.invoke(app, ["ledger", "keygen", str(key)])
    assert again.exit_code == 2
    assert "never overwritten" in again.output
    records = write_jsonl(tmp_path / "r.jsonl", [make_record() for _ in range(6)])
    assert runner.invoke(app, ["ingest", str(records), "--db", db]).exit_code == 0
    cp = runner.invoke(
        app, ["ledger", "checkpoint", "--db", db, "--key", str(key), "--out", str(anchor), "--json"]
    )
    assert cp.exit_code == 0, cp.output
    assert json.loads(cp.stdout)["checkpoint"]["position"] == 6
    ok = runner.invoke(
        app, ["ledger", "verify", "--db", db, "--key", str(key), "--anchor", str(anchor), "--json"]
    )
    assert ok.exit_code == 0, ok.output
    body = json.loads(ok.stdout)
    assert (body["ok"], body["records"], body["checkpoints"], body["anchors"]) == (True, 6, 1, 1)

    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER records_no_update")
    con.execute("UPDATE records SET legal_basis = 'none' WHERE seq = 4")
    con.commit()
    con.close()
    bad = runner.invoke(app, ["ledger", "verify", "--db", db, "--json"])
    assert bad.exit_code == 1
    found = json.loads(bad.stdout)
    assert (found["ok"], found["first_bad_position"]) == (False, 4)
    assert found["findings"][0]["kind"] == "edited"
    text = runner.invoke(app, ["ledger", "verify", "--db", db])
    assert text.exit_code == 1
    assert "first bad position 4 (edited)" in text.output


def test_cli_checkpoint_needs_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XINYONG_LEDGER_KEY", raising=False)
    result = runner.invoke(app, ["ledger", "checkpoint", "--db", str(tmp_path / "c.db")])
    assert result.exit_code == 2
    assert "no signing key" in result.output


def test_key_from_env_that_is_not_a_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("not a key")
    monkeypatch.setenv("XINYONG_LEDGER_KEY", str(bogus))
    from xinyong import Settings, open_system

    with pytest.raises(XinyongError, match="not an unencrypted PEM private key"):
        open_system(Settings.from_env(db=str(tmp_path / "c.db")))
    new_key(tmp_path / "good.pem")
    monkeypatch.setenv("XINYONG_LEDGER_KEY", str(tmp_path / "good.pem"))
    monkeypatch.setenv("XINYONG_LEDGER_EVERY", "0")
    with pytest.raises(XinyongError, match="XINYONG_LEDGER_EVERY"):
        open_system(Settings.from_env(db=str(tmp_path / "c.db")))


def test_cli_prove_gives_a_path_to_the_signed_root_and_fails_for_an_edited_record(
    tmp_path: Path,
) -> None:
    db = str(tmp_path / "credit.db")
    records = [make_record() for _ in range(11)]
    store = SqlRecordStore(store_url(db), signer=Signer(KEY, 11))
    store.append(records)
    store.close()
    result = runner.invoke(app, ["ledger", "prove", records[6].id, "--db", db])
    assert result.exit_code == 0, result.output
    proof = json.loads(result.stdout)
    assert (proof["position"], proof["index"], proof["size"], proof["verified"]) == (7, 6, 11, True)
    assert len(proof["path"]) == 4  # ceil(log2(11))
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER records_no_update")
    con.execute("UPDATE records SET evidence = 'x' WHERE seq = 7")
    con.commit()
    con.close()
    bad = runner.invoke(app, ["ledger", "prove", records[6].id, "--db", db])
    assert bad.exit_code == 1
    assert json.loads(bad.stdout)["verified"] is False
    missing = runner.invoke(app, ["ledger", "prove", "no-such-id", "--db", db])
    assert missing.exit_code == 1
    assert "no record with id 'no-such-id'" in missing.output
