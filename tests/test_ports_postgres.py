"""The persistence ports' contracts (:mod:`ports_contract`) on PostgreSQL: a fresh schema per
test on the server at 127.0.0.1:5432 (skipped if unreachable)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pg_schema import fresh_pg_schema
from ports_contract import (
    GateReadsContract,
    JournalContract,
    LedgerContract,
    LiveStateContract,
    StoreFactory,
)
from xinyong.adapters.store import open_store

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema_url() -> Iterator[str]:
    yield from fresh_pg_schema("p_")


class _OnPostgres:
    @pytest.fixture
    def make_store(self, schema_url: str) -> StoreFactory:
        return lambda: open_store(schema_url)


class TestPostgresLedger(_OnPostgres, LedgerContract):
    pass


class TestPostgresLiveState(_OnPostgres, LiveStateContract):
    pass


class TestPostgresJournal(_OnPostgres, JournalContract):
    pass


class TestPostgresGateReads(_OnPostgres, GateReadsContract):
    pass
