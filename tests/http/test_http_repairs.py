"""POST /v1/repairs (subject) and GET /v1/publications/{code} (public)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from http_helpers import ME, PERSON, TestClient, listing

from factories import make_record
from xinyong.adapters.store import open_store
from xinyong.core.timeutil import now
from xinyong.drivers.http import create_app
from xinyong.system.admission import ingest_records
from xinyong.system.principals import KeyRing

PROOF = {"obligations_fulfilled": True, "obligations_reference": "receipt 42"}
PROMISE = {"commitment": True, "commitment_text": "I will keep the law."}


@pytest.fixture
def seeded(db: str, keys: KeyRing) -> Iterator[TestClient]:
    """A general penalty of 120 days ago (past any minimum of 3 months, before any maximum
    of at least a year) and a court listing, for the subject that has a key."""
    t = now().replace(microsecond=0) - timedelta(days=120)
    store = open_store(db)
    ingest_records(
        store,
        [
            make_record(
                id="pen-1",
                subject=PERSON,
                category="market.admin_penalty_general",
                occurred_at=t,
                recorded_at=t,
                source="market-regulation",
                legal_basis="Administrative Penalty Law; decision",
            ),
            listing(id="lst-1"),
        ],
    )
    store.close()
    with TestClient(create_app(db, keys=keys)) as c:
        yield c


def shown(c: TestClient) -> list[Any]:
    r = c.get(f"/v1/publications/{PERSON}")
    assert r.status_code == 200, r.text
    assert r.json()["subject"] != PERSON  # masked
    return [p["record_id"] for p in r.json()["published"]]


def test_repair_refused_then_granted_ends_publication(seeded: TestClient) -> None:
    assert shown(seeded) == ["pen-1"]
    refused = seeded.post(
        "/v1/repairs", json={"record_id": "pen-1", **PROOF, "commitment": False}, headers=ME
    )
    assert refused.status_code == 200, refused.text
    assert refused.json()["decision"] == "refused"
    assert refused.json()["reasons"] == [
        "no written commitment: give a written commitment to keep the law (its text is "
        "published with the repair)"
    ]
    assert shown(seeded) == ["pen-1"]
    granted = seeded.post(
        "/v1/repairs", json={"record_id": "pen-1", **PROOF, **PROMISE}, headers=ME
    )
    assert granted.status_code == 200, granted.text
    body = granted.json()
    assert body["decision"] == "granted"
    assert body["repair_record"]["refers_to"] == "pen-1"
    assert body["repair_record"]["status"] == "expiry"
    assert shown(seeded) == []


def test_a_listing_is_not_repaired_but_removed(seeded: TestClient) -> None:
    r = seeded.post(
        "/v1/repairs",
        json={"list": "spc-defaulters/dishonest-defaulters", **PROOF, **PROMISE},
        headers=ME,
    )
    assert r.status_code == 200, r.text
    assert r.json()["decision"] == "refused"
    assert "removal events" in r.json()["reasons"][0]


def test_only_the_subject_may_ask_and_must_name_one_target(seeded: TestClient) -> None:
    body = {"record_id": "pen-1", **PROOF, **PROMISE}
    assert seeded.post("/v1/repairs", json=body).status_code == 403
    both = seeded.post("/v1/repairs", json={**body, "list": "a/b"}, headers=ME)
    assert both.status_code == 422
    missing = seeded.post("/v1/repairs", json={**body, "record_id": "nope"}, headers=ME)
    assert missing.json()["decision"] == "refused"
    assert "no record 'nope'" in missing.json()["reasons"][0]


def test_ingest_over_http_refuses_a_category_no_configured_scheme_uses(
    db: str, keys: KeyRing
) -> None:
    from http_helpers import AGENCY, jsonl

    rec = make_record(category="court.judgment", subject=PERSON)
    with TestClient(create_app(db, keys=keys)) as c:
        r = c.post(
            "/v1/records",
            content=jsonl(rec),
            headers={**AGENCY, "Content-Type": "application/x-ndjson"},
        )
    assert r.status_code == 422, r.text
    assert "no configured scheme uses it" in r.text
