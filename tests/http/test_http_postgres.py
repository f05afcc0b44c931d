"""The service over a PostgreSQL store: the same flow, and the journal's append-only guard."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_helpers import AGENCY, GATE, KEYS_TOML, ME, OPERATOR, PERSON, TestClient, jsonl, listing

from pg_schema import PG_SERVER, fresh_pg_schema
from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing

psycopg = pytest.importorskip("psycopg")

pytestmark = pytest.mark.postgres


@pytest.fixture
def url() -> Iterator[str]:
    yield from fresh_pg_schema("h_")


def test_service_on_postgres(url: str) -> None:
    with TestClient(create_app(url, keys=KeyRing.from_toml(KEYS_TOML, "test keys"))) as c:
        entry = listing()
        assert c.post("/v1/records", content=jsonl(entry), headers=AGENCY).status_code == 200
        assert c.get(f"/v1/subjects/{PERSON}", headers=ME).status_code == 200
        r = c.post("/v1/gates/rail.g-train/check", json={"subject": PERSON}, headers=GATE)
        assert r.json()["decision"] == "deny"
        r = c.post(
            "/v1/objections", json={"subject": PERSON, "record_id": entry.id, "reason": "paid"}
        )
        assert r.status_code == 202  # public: a receipt, nothing learnt
        [case] = c.get("/v1/objections", headers=OPERATOR).json()["cases"]
        assert c.get(f"/v1/objections/{case['id']}").json()["status"] == "filed"
    with psycopg.connect(PG_SERVER, autocommit=True) as con:
        con.execute(f'SET search_path = "{url.rsplit("%3D", 1)[1]}"')
        for sql in (
            "UPDATE access_log SET why = 'x'",
            "DELETE FROM objection_events",
            "UPDATE notices SET kind = 'x'",
            "TRUNCATE access_log",
        ):
            with pytest.raises(psycopg.Error, match="append-only"):
                con.execute(sql)
        # file, gate check, public objection filed, operator list, objection read
        assert con.execute("SELECT count(*) FROM access_log").fetchone() == (5,)
        assert con.execute("SELECT count(*) FROM objection_events").fetchone() == (1,)
        assert con.execute("SELECT count(*) FROM notices").fetchone()[0] >= 2
