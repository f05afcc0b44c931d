"""Fast gate decisions (gate plans, one-query batches) equal ``check_gate`` exactly."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from http_helpers import GATE, TestClient

from pg_schema import fresh_pg_schema
from xinyong.adapters.store import SqlRecordStore, open_store
from xinyong.core.codes.issue import make_resident_id
from xinyong.core.evaluate import check_gate, evaluate_subject
from xinyong.core.records import Record, Status
from xinyong.core.sanctions import gates_of
from xinyong.system.catalogue import known_categories
from xinyong.system.gate_plan import make_plan
from xinyong.system.schemes_io import all_memoranda, all_presets

ORGS = ["91110000600037341L"]
COURT = [
    "court.listing_decision",
    "court.listing_extension",
    "court.security_given",
    "court.assets_frozen_cover_debt",
    "court.later_in_order",
    "court.performance",
    "court.settlement_performed",
    "court.creditor_request",
    "court.no_assets_found",
    "court.enforcement_terminated",
]
AT = [
    datetime(2019, 6, 1, tzinfo=UTC),
    datetime(2024, 3, 1, 12, tzinfo=UTC),
    datetime(2025, 9, 30, tzinfo=UTC),
]


def population(seed: int, people: int) -> tuple[list[str], list[Record]]:
    """Subjects (adults, minors, an organisation, one without records) and random records."""
    rng = random.Random(seed)
    categories = sorted(known_categories() | set(COURT))
    subjects = [
        make_resident_id("110105", date(1950, 1, 1) + timedelta(days=rng.randrange(25_000)), i + 1)
        for i in range(people)
    ] + ORGS
    records: list[Record] = []
    t0 = datetime(2018, 1, 1, tzinfo=UTC)
    n = 0
    for s in subjects[:-1] if people > 1 else subjects:
        for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
            n += 1
            court = rng.random() < 0.35
            category = rng.choice(COURT[:3] if rng.random() < 0.5 else COURT) if court else None
            occurred = t0 + timedelta(days=rng.randrange(2800), hours=rng.randrange(24))
            details: dict[str, Any] = {}
            if category == "court.listing_decision" and rng.random() < 0.9:
                details["ground"] = rng.randint(1, 6)
            if category == "court.listing_extension":
                details["years"] = rng.randint(0, 4)
            listing = [r for r in records if r.subject == s and r.category == COURT[0]]
            refers = rng.choice(listing).id if listing and court and rng.random() < 0.6 else None
            r = Record(
                id=f"gp-{seed}-{n}",
                subject=s,
                category=category or rng.choice(categories),
                occurred_at=occurred,
                recorded_at=occurred + timedelta(days=rng.randrange(0, 40)),
                source="test-court" if court else "test-agency",
                legal_basis="synthetic",
                evidence=f"ev-{n}",
                amount=rng.choice([None, 50.0, 1000.0, 250_000.0]),
                severity=None,
                status=Status.ACTIVE,
                refers_to=refers,
                details=details,
            )
            records.append(r)
            if rng.random() < 0.15:  # a correction, revocation or expiry of it
                n += 1
                status = rng.choice([Status.CORRECTION, Status.REVOCATION, Status.EXPIRY])
                records.append(
                    Record(
                        id=f"gp-{seed}-{n}",
                        subject=s,
                        category=rng.choice([r.category, *COURT[:2], rng.choice(categories)]),
                        occurred_at=occurred + timedelta(days=rng.randrange(0, 400)),
                        recorded_at=r.recorded_at + timedelta(days=rng.randrange(0, 200)),
                        source=r.source,
                        legal_basis="synthetic",
                        evidence=f"ev-{n}",
                        amount=r.amount,
                        severity=None,
                        status=status,
                        refers_to=r.id,
                        details=r.details,
                    )
                )
    return subjects, records


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_plan_equals_check_gate(seed: int) -> None:
    schemes, memoranda = all_presets(), all_memoranda()
    subjects, records = population(seed, 60)
    files = {s: [r for r in records if r.subject == s] for s in subjects}
    listed = 0
    for gate in sorted(gates_of(memoranda)):
        plan = make_plan(schemes, memoranda, gate)
        for at in AT:
            for s in subjects:
                want = check_gate(memoranda, evaluate_subject(schemes, s, files[s], at), gate)
                got = plan.decide(s, files[s], at)
                assert got.to_dict() == want.to_dict(), (gate, s, at)
                listed += want.decision == "deny"
    assert listed > 0  # the population does reach the lists


def test_plan_skips_only_gates_without_score_conditions() -> None:
    schemes, memoranda = all_presets(), all_memoranda()
    rail = make_plan(schemes, memoranda, "rail.g-train")
    assert set(rail.schemes) == {"spc-defaulters"}
    assert rail.categories is not None
    assert "court.listing_decision" in rail.categories
    assert "traffic.violation" not in rail.categories
    bike = make_plan(schemes, memoranda, "deposit.bike")
    assert bike.categories is None
    assert "sesame" in bike.scored


def _many_contract(store: SqlRecordStore) -> None:
    subjects, records = population(7, 40)
    half = len(records) // 2
    store.append(records[:half])
    court = {"court.listing_decision"}

    def expected(done: list[Record]) -> set[str]:
        return {r.subject for r in done if r.category in court}

    assert store.subjects_with(court) == expected(records[:half])
    store.append(records[half:])  # brought up to date from the append position
    assert store.subjects_with(court) == expected(records)
    assert store.subjects_with(set()) == set()
    every = store.records_for_many([*subjects, "NOSUCHSUBJECT"])
    for s in subjects:
        assert every.get(s, []) == store.records_for(s)
    some = store.records_for_many(subjects, court)
    for s in subjects:
        mine = store.records_for(s)
        has = any(r.category in court for r in mine)
        assert some.get(s, []) == (mine if has else [])
    rows = store.rows_for_many(subjects[:5])
    for s, got in rows.items():
        assert [row[13] for row in got] == [r.content_hash() for r in store.records_for(s)]
    assert store.records_for_many([]) == {}
    assert store.records_for_many(subjects, set()) == {}


def test_records_for_many_matches_records_for(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "many.db"))
    try:
        assert isinstance(store, SqlRecordStore)
        _many_contract(store)
    finally:
        store.close()


@pytest.mark.postgres
def test_records_for_many_on_postgresql() -> None:
    for url in fresh_pg_schema():
        store = open_store(url)
        try:
            assert isinstance(store, SqlRecordStore)
            _many_contract(store)
        finally:
            store.close()


def test_check_batch_equals_check_gate(client: TestClient, db: str) -> None:
    schemes, memoranda = all_presets(), all_memoranda()
    subjects, records = population(11, 50)
    store = open_store(db)
    try:
        store.append(records)
    finally:
        store.close()
    files = {s: [r for r in records if r.subject == s] for s in subjects}
    later = [datetime(2030, 1, 1, tzinfo=UTC), datetime(2031, 5, 2, 3, 4, 5, tzinfo=UTC)]
    for gate in ("rail.g-train", "deposit.bike", "air.ticket"):
        for at in [*AT, *later, *AT, *later]:  # twice: the second time from the entry cache
            r = client.post(
                f"/v1/gates/{gate}/check-batch",
                json={"subjects": subjects, "at": at.isoformat()},
                headers=GATE,
            )
            assert r.status_code == 200, r.text
            got = r.json()["decisions"]
            want = [
                check_gate(memoranda, evaluate_subject(schemes, s, files[s], at), gate).to_dict()
                for s in subjects
            ]
            assert got == want
            one = client.post(
                f"/v1/gates/{gate}/check",
                json={"subject": subjects[3], "at": at.isoformat()},
                headers=GATE,
            )
            assert one.json() == want[3]
