"""The PostgreSQL backend: the store contract, plus what only PostgreSQL does (trigger, COPY).

Each test gets its own schema (created and dropped here) on the server at 127.0.0.1:5432
(``make test`` starts it with scripts/ensure-postgres.sh); skipped if the server is unreachable.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from factories import make_record
from store_contract import StoreContract, StoreFactory
from xinyong.adapters.store import PostgresRecordStore, open_store, store_url
from xinyong.adapters.store.migrations import MIGRATIONS

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.postgres

SERVER = os.environ.get("XINYONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def _conninfo() -> str:
    return SERVER.replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture(scope="module")
def server() -> str:
    try:
        with psycopg.connect(_conninfo(), connect_timeout=3) as con:
            con.execute("SELECT 1")
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL not reachable at {SERVER} ({e}); run scripts/ensure-postgres.sh")
    return SERVER


@pytest.fixture
def schema_url(server: str) -> Iterator[str]:
    """A store URL whose search_path is a fresh schema, dropped after the test."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(_conninfo(), autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in server else "?"
    yield f"{server}{sep}options=-csearch_path%3D{name}"
    with psycopg.connect(_conninfo(), autocommit=True) as con:
        con.execute(f'DROP SCHEMA "{name}" CASCADE')


class TestPostgresStore(StoreContract):
    @pytest.fixture
    def make_store(self, schema_url: str) -> StoreFactory:
        return lambda: open_store(schema_url)


@pytest.fixture
def filled(schema_url: str) -> str:
    """The schema name of a store holding two records."""
    store = open_store(schema_url)
    try:
        assert isinstance(store, PostgresRecordStore)
        store.append([make_record(), make_record()])
    finally:
        store.close()
    return schema_url.rsplit("%3D", 1)[1]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("UPDATE records SET amount = 1", "UPDATE refused"),
        ("DELETE FROM records", "DELETE refused"),
        ("DELETE FROM records WHERE false", "DELETE refused"),
        ("TRUNCATE records", "TRUNCATE refused"),
        (
            "INSERT INTO records SELECT * FROM records WHERE seq = 1 "
            "ON CONFLICT (seq) DO UPDATE SET amount = 7",
            "UPDATE refused",
        ),
        ("INSERT INTO records SELECT * FROM records WHERE seq = 1", "duplicate key"),
    ],
)
def test_database_refuses_changes_from_any_client(filled: str, sql: str, message: str) -> None:
    with psycopg.connect(_conninfo(), autocommit=True) as con:
        con.execute(f'SET search_path = "{filled}"')
        with pytest.raises(psycopg.Error, match=message):
            con.execute(sql)
        assert con.execute("SELECT count(*) FROM records").fetchone() == (2,)


def test_migrations_are_recorded_once(filled: str, schema_url: str) -> None:
    open_store(schema_url).close()
    with psycopg.connect(_conninfo(), autocommit=True) as con:
        con.execute(f'SET search_path = "{filled}"')
        names = [r[0] for r in con.execute("SELECT name FROM migrations ORDER BY name")]
    assert names == [m.name for m in MIGRATIONS]


def test_bulk_append_uses_one_transaction(schema_url: str) -> None:
    store = open_store(schema_url)
    try:
        records = [make_record(amount=float(i)) for i in range(5000)]
        assert store.append(records).inserted == 5000
        bad = [make_record() for _ in range(3000)]
        bad.append(make_record(status="revocation", refers_to="nowhere"))
        with pytest.raises(Exception, match="nowhere"):
            store.append(bad)
        assert store.count() == 5000
        assert store.get(records[4321].id) == records[4321]
    finally:
        store.close()


def test_store_url_accepts_postgresql() -> None:
    assert store_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert store_url("postgresql+psycopg://u@h/db") == "postgresql+psycopg://u@h/db"
