"""A fresh PostgreSQL schema per test on the server at 127.0.0.1:5432 (skip if unreachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

PG_SERVER = os.environ.get("XINYONG_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


def fresh_pg_schema(prefix: str = "t_") -> Iterator[str]:
    """Yield a store URL whose search_path is a new schema; drop the schema afterwards."""
    psycopg = pytest.importorskip("psycopg")
    try:
        with psycopg.connect(PG_SERVER, connect_timeout=3) as probe:
            probe.execute("SELECT 1")
    except psycopg.OperationalError as e:
        pytest.skip(f"PostgreSQL not reachable at {PG_SERVER} ({e})")
    name = prefix + uuid.uuid4().hex[:12]
    with psycopg.connect(PG_SERVER, autocommit=True) as con:
        con.execute(f'CREATE SCHEMA "{name}"')
    yield f"{PG_SERVER}?options=-csearch_path%3D{name}"
    with psycopg.connect(PG_SERVER, autocommit=True) as con:
        con.execute(f'DROP SCHEMA "{name}" CASCADE')
