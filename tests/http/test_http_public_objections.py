"""Public objections learn nothing (issue 12): the same answer whether or not the subject is
listed or the record exists, no category or unpublished field, deduplicated per day, and every
objection read or filed in the access log."""

from __future__ import annotations

import sqlite3

from http_helpers import AGENCY, ME, OPERATOR, ORG, PERSON, TestClient, jsonl, listing

from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing

LIST = "spc-defaulters/dishonest-defaulters"


def _log(db: str) -> list[tuple[str, str, str, str]]:
    with sqlite3.connect(db) as c:
        rows = c.execute("SELECT role, who, whom, what FROM access_log ORDER BY rowid").fetchall()
    return [tuple(r) for r in rows]


def _shape(r: object) -> tuple[int, tuple[str, ...], str]:
    body = r.json()  # type: ignore[attr-defined]
    return r.status_code, tuple(sorted(body)), body["message"]  # type: ignore[attr-defined]


def test_a_public_objection_answers_the_same_whatever_the_target(
    client: TestClient, db: str
) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    probes = [
        {"subject": PERSON, "list": LIST, "reason": "paid"},  # listed
        {"subject": ORG, "list": LIST, "reason": "paid"},  # not listed
        {"subject": PERSON, "record_id": entry.id, "reason": "wrong"},  # a real record
        {"subject": PERSON, "record_id": "no-such-record", "reason": "wrong"},
        {"subject": ORG, "record_id": entry.id, "reason": "wrong"},  # someone else's record
    ]
    answers = [client.post("/v1/objections", json=p) for p in probes]
    assert {_shape(a) for a in answers} == {_shape(answers[0])}
    assert answers[0].status_code == 202
    for a in answers:
        text = a.text
        assert entry.category not in text  # today the record's category came back
        assert "court" not in text
        assert "deadlines" not in a.json()
        assert a.json()["receipt"].startswith("rcp-")
    # only the real targets became cases
    cases = client.get("/v1/objections", headers=OPERATOR).json()["cases"]
    assert sorted(c["target"]["kind"] for c in cases) == ["list_entry", "record"]


def test_a_repeated_public_objection_files_nothing_new(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    body = {"subject": PERSON, "list": LIST, "reason": "paid"}
    first = client.post("/v1/objections", json=body).json()["receipt"]
    again = client.post("/v1/objections", json={**body, "reason": "paid, really"}).json()
    assert again["receipt"].startswith("rcp-")
    other = client.post("/v1/objections", json={**body, "subject": ORG}).json()["receipt"]
    assert len({first, again["receipt"], other}) == 3
    assert len(client.get("/v1/objections", headers=OPERATOR).json()["cases"]) == 1


def test_receipts_are_kept_in_the_store_as_digests_and_survive_a_restart(
    db: str, keys: KeyRing
) -> None:
    body = {"subject": PERSON, "list": LIST, "reason": "paid"}
    with TestClient(create_app(db, keys=keys)) as first:
        first.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
        receipts = [first.post("/v1/objections", json=body).json()["receipt"] for _ in range(2)]
    with sqlite3.connect(db) as c:
        stored = [r[0] for r in c.execute("SELECT receipt FROM public_receipts")]
    assert len(stored) == 2
    assert not set(receipts) & set(stored)  # the table alone does not let anyone withdraw
    with TestClient(create_app(db, keys=keys)) as second:  # a new server process
        second.post("/v1/objections/withdrawal", json={"receipt": receipts[1], "reason": "ok"})
        [case] = second.get("/v1/objections", headers=OPERATOR).json()["cases"]
        assert case["status"] == "withdrawn"


def test_every_objection_filed_or_read_is_in_the_access_log(client: TestClient, db: str) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    before = len(_log(db))
    client.post("/v1/objections", json={"subject": PERSON, "list": LIST, "reason": "paid"})
    client.post("/v1/objections", json={"subject": ORG, "list": LIST, "reason": "probe"})
    filed = _log(db)[before:]
    assert [(r[0], r[2], r[3]) for r in filed] == [
        ("public", PERSON, "public objection filed"),
        ("public", ORG, "public objection filed"),
    ]
    assert all(r[1].startswith("public ") for r in filed)  # with the client's address
    [case] = client.get("/v1/objections", headers=OPERATOR).json()["cases"]
    assert _log(db)[-1] == ("operator", "objections-desk", PERSON, "objection")
    n = len(_log(db))
    client.get(f"/v1/objections/{case['id']}")
    client.get(f"/v1/objections/{case['id']}", headers=ME)
    client.get(f"/objections/{case['id']}")
    assert [(r[0], r[2], r[3]) for r in _log(db)[n:]] == [
        ("public", PERSON, "objection"),
        ("subject", PERSON, "objection"),
        ("public", PERSON, "objection"),
    ]
    n = len(_log(db))
    client.get(f"/subject/{PERSON}")
    client.get(f"/v1/publications/{PERSON}")
    assert [r[2] for r in _log(db)[n:]] == [PERSON, PERSON]  # public lookups too
