"""The persistence ports' contracts (:mod:`ports_contract`) on SQLite: a file, and in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

from ports_contract import (
    GateReadsContract,
    JournalContract,
    LedgerContract,
    LiveStateContract,
    StoreFactory,
)
from xinyong.adapters.store import open_store


class _OnFile:
    @pytest.fixture
    def make_store(self, tmp_path: Path) -> StoreFactory:
        return lambda: open_store(str(tmp_path / "credit.db"))


class TestSqliteLedger(_OnFile, LedgerContract):
    pass


class TestSqliteLiveState(_OnFile, LiveStateContract):
    pass


class TestSqliteJournal(_OnFile, JournalContract):
    pass


class TestSqliteGateReads(_OnFile, GateReadsContract):
    pass


class TestSqliteInMemoryGateReads(GateReadsContract):
    @pytest.fixture
    def make_store(self) -> StoreFactory:
        return lambda: open_store(":memory:")
