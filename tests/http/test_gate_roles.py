"""Over HTTP, a legal representative is refused at a high-consumption gate while their
company is listed (Provisions on Restricting High Consumption art. 3 para. 2), through a
role record about them; they are not listed themselves, and allowed once the role ends."""

from __future__ import annotations

from http_helpers import GATE, TestClient

from factories import make_record
from xinyong.adapters.store import open_store
from xinyong.core.records import Status

PERSON = "11010519491231002X"
ORG = "91110000600037341L"


def _records() -> list[object]:
    role = make_record(
        id="rep1",
        subject=PERSON,
        category="registry.role",
        occurred_at="2023-01-01",
        recorded_at="2023-01-02",
        source="market-regulation",
        legal_basis="Company Law",
        details={"unit": ORG, "role": "legal_representative"},
    )
    ended = make_record(
        id="x1",
        subject=PERSON,
        category="registry.role",
        status=Status.EXPIRY,
        refers_to="rep1",
        occurred_at="2024-06-30",
        recorded_at="2024-06-30",
        source="market-regulation",
        legal_basis="change of legal representative",
    )
    listing = make_record(
        id="l1",
        subject=ORG,
        category="court.listing_decision",
        occurred_at="2024-01-10",
        recorded_at="2024-01-11",
        source="court",
        legal_basis="SPC Provisions art. 1",
        details={"ground": 1},
    )
    return [role, ended, listing]


def test_representative_denied_through_role_over_http(client: TestClient, db: str) -> None:
    store = open_store(db)
    try:
        store.append(_records())  # type: ignore[arg-type]
    finally:
        store.close()
    r = client.post(
        "/v1/gates/air.ticket/check", json={"subject": PERSON, "at": "2024-02-01"}, headers=GATE
    )
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["decision"] == "deny"
    role = d["measures"][0]["through_role"]
    assert (role["unit"], role["record_id"]) == (ORG, "rep1")
    assert "art. 3 para. 2" in role["rule"]
    batch = client.post(
        "/v1/gates/air.ticket/check-batch",
        json={"subjects": [PERSON, ORG], "at": "2024-02-01"},
        headers=GATE,
    ).json()
    assert [x["decision"] for x in batch["decisions"]] == ["deny", "deny"]
    after = client.post(
        "/v1/gates/air.ticket/check", json={"subject": PERSON, "at": "2024-07-01"}, headers=GATE
    ).json()
    assert after["decision"] == "allow"
