"""The live state on PostgreSQL: same tables (migration 0002), same answers, crash repair."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from factories import ORG, PERSON
from pg_schema import fresh_pg_schema
from test_incremental_state import GATES, MEMORANDA, SCHEMES, START, Clock
from xinyong.adapters.state import LiveState
from xinyong.adapters.store import SqlRecordStore, open_store
from xinyong.core.records import Record, Status
from xinyong.system.engine import Engine

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.postgres


@pytest.fixture
def url() -> Iterator[str]:
    yield from fresh_pg_schema()


def test_postgres_live_state_answers_as_the_engine_and_repairs_after_a_crash(url: str) -> None:
    clock = Clock(datetime(2024, 3, 1, tzinfo=UTC))
    store = open_store(url)
    assert isinstance(store, SqlRecordStore)
    live = LiveState(store, SCHEMES, MEMORANDA, clock)
    listing = Record(
        "p1", PERSON, "court.listing_decision", START, START, "court", "law",
        details={"ground": "2"},
    )  # fmt: skip
    arrears = Record("p2", ORG, "tax.arrears", START, START, "tax", "law", amount=5000.0)
    store.append([listing, arrears])
    assert live.catch_up().subjects == 2
    plain = Engine(store)
    for subject in (PERSON, ORG):
        for gate in GATES:
            assert live.check(gate, subject) == plain.check(gate, subject, clock.t)
    assert live.check("air.ticket", PERSON).decision == "deny"
    # a crash between the commit and the state update: the next catch-up repairs it
    revocation = Record(
        "p3", PERSON, "court.listing_decision", START, START + timedelta(days=3), "court",
        "law", status=Status.REVOCATION, refers_to="p1",
    )  # fmt: skip
    store.append([revocation])
    store.close()
    store = open_store(url)
    assert isinstance(store, SqlRecordStore)
    again = LiveState(store, SCHEMES, MEMORANDA, clock)
    assert again.behind()
    assert again.catch_up().subjects == 1
    state = again.stored(PERSON)
    assert state is not None
    assert state.gates["air.ticket"]["decision"] == "allow"
    assert again.check("air.ticket", PERSON) == Engine(store).check("air.ticket", PERSON, clock.t)
    store.close()
