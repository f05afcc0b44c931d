"""The JSON API over a fresh SQLite store: roles, all-or-nothing ingest, reads logged,
gates, published lists with masked numbers, objections and their deadlines."""

from __future__ import annotations

import json
import sqlite3

import pytest
from http_helpers import AGENCY, GATE, ME, OPERATOR, ORG, PERSON, TestClient, jsonl, listing

from factories import make_record
from xinyong.adapters.state import LiveState
from xinyong.adapters.store import open_store
from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import iso, now, parse_instant
from xinyong.core.workdays import OutsideCalendar, Period, china_date
from xinyong.drivers.http import create_app
from xinyong.drivers.http.public import mask
from xinyong.system.principals import KeyRing
from xinyong.system.procedures_io import work_calendar


def count(db: str, table: str = "records") -> int:
    con = sqlite3.connect(db)
    try:
        return int(con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    finally:
        con.close()


def post(client: TestClient, body: str, headers: dict[str, str] = AGENCY) -> object:
    return client.post("/v1/records", content=body.encode(), headers=headers)


# -- ingest


def test_agency_appends_with_per_row_results(client: TestClient, db: str) -> None:
    a, b = listing(), make_record()
    r = client.post("/v1/records", content=jsonl(a, b), headers=AGENCY)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["inserted"], body["duplicates"]) == (2, 0)
    assert [x["result"] for x in body["results"]] == ["inserted", "inserted"]
    again = client.post("/v1/records", content=jsonl(a, b), headers=AGENCY).json()
    assert [x["result"] for x in again["results"]] == ["duplicate", "duplicate"]
    assert count(db) == 2


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({}, 403, "role 'public'"),
        (GATE, 403, "role 'gate'"),
        ({"X-API-Key": "subject-secret-1"}, 403, "role 'subject'"),
        ({"X-API-Key": "not-a-key-at-all"}, 401, "not a configured key"),
    ],
)
def test_only_agencies_write(
    client: TestClient, db: str, headers: dict[str, str], status: int, words: str
) -> None:
    r = client.post("/v1/records", content=jsonl(make_record()), headers=headers)
    assert r.status_code == status
    assert words in r.json()["message"]
    assert count(db) == 0


def test_agency_only_in_its_categories(client: TestClient, db: str) -> None:
    bad = make_record(category="tax.arrears")
    r = client.post("/v1/records", content=jsonl(make_record(), bad), headers=AGENCY)
    assert r.status_code == 403
    msg = r.json()["message"]
    assert "row 2" in msg
    assert "tax.arrears" in msg
    assert "court-1" in msg
    assert count(db) == 0


def test_bad_rows_are_listed_and_nothing_is_written(client: TestClient, db: str) -> None:
    good = make_record()
    no_subject = {k: v for k, v in good.to_dict().items() if k != "subject"}
    no_subject["id"] = "other-id"
    missing_ref = make_record(status="revocation", refers_to="no-such-record")
    body = "\n".join(
        [
            json.dumps(good.to_dict()),
            "{not json",
            json.dumps(no_subject),
            "[1, 2]",
            jsonl(missing_ref).strip(),
            json.dumps({**make_record().to_dict(), "category": "traffic.violatoin"}),
        ]
    )
    r = client.post("/v1/records", content=body, headers=AGENCY)
    assert r.status_code == 403  # the misspelt category is not the agency's
    body = body.replace("traffic.violatoin", "traffic.violation")
    r = client.post("/v1/records", content=body, headers=AGENCY)
    assert r.status_code == 422
    got = r.json()
    assert got["written"] == 0
    assert "nothing was written" in got["message"]
    rows = {(e["row"], e["field"]) for e in got["errors"]}
    assert {(2, None), (3, "subject"), (4, None), (5, "refers_to")} <= rows
    assert all(e["reason"] for e in got["errors"])
    assert count(db) == 0


def test_conflicting_id_is_refused(client: TestClient, db: str) -> None:
    a = make_record(amount=1.0)
    post(client, jsonl(a))
    changed = make_record(id=a.id, amount=2.0, evidence=a.evidence)
    r = client.post("/v1/records", content=jsonl(changed), headers=AGENCY)
    assert r.status_code == 409  # as documented
    reason = r.json()["errors"][0]["reason"]
    assert a.id in reason
    assert "amount" not in reason  # nothing of the stored record (maybe another agency's)
    assert count(db) == 1


@pytest.mark.parametrize("body", [b"", b"\n\n", b"\xff\xfe\x00"])
def test_empty_or_binary_body(client: TestClient, db: str, body: bytes) -> None:
    r = client.post("/v1/records", content=body, headers=AGENCY)
    assert r.status_code in (400, 422)
    assert r.json()["message"]
    assert count(db) == 0


# -- credit files


def test_subject_reads_own_file_and_the_read_is_logged(client: TestClient, db: str) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    r = client.get(f"/v1/subjects/{PERSON.lower()}", headers=ME)
    assert r.status_code == 200, r.text
    f = r.json()
    assert [x["id"] for x in f["records"]] == [entry.id]
    assert "spc-defaulters" in f["scores"]
    assert f["lists"]["lists_in_force"][0]["list"] == "dishonest-defaulters"
    assert f["lists"]["lists_in_force"][0]["how_to_object"]["body"]
    assert f["reads"][0]["why"] == "checking my own file"
    assert f["reads"][0]["role"] == "subject"
    assert count(db, "access_log") == 1


@pytest.mark.parametrize(
    ("headers", "status", "words"),
    [
        ({"X-API-Key": "subject-secret-1"}, 400, "X-Purpose is required"),
        ({**ME, "X-Purpose": "  "}, 400, "X-Purpose is required"),
        ({**AGENCY, "X-Purpose": "x"}, 403, "role 'agency'"),
        ({**GATE, "X-Purpose": "x"}, 403, "role 'gate'"),
        ({"X-Purpose": "curious"}, 403, "role 'public'"),
    ],
)
def test_file_reads_refused(
    client: TestClient, db: str, headers: dict[str, str], status: int, words: str
) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    r = client.get(f"/v1/subjects/{PERSON}", headers=headers)
    assert r.status_code == status
    assert words in r.json()["message"]
    assert count(db, "access_log") == 0


def test_subject_cannot_read_another_file(client: TestClient, db: str) -> None:
    client.post("/v1/records", content=jsonl(make_record(subject=ORG)), headers=AGENCY)
    r = client.get(f"/v1/subjects/{ORG}", headers=ME)
    assert r.status_code == 403
    assert "only its own file" in r.json()["message"]
    assert count(db, "access_log") == 0


def test_journal_tables_are_append_only(client: TestClient, db: str) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    client.get(f"/v1/subjects/{PERSON}", headers=ME)
    con = sqlite3.connect(db)
    try:
        for sql in ("UPDATE access_log SET why = 'x'", "DELETE FROM access_log"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                con.execute(sql)
    finally:
        con.close()
    assert count(db, "access_log") == 1


# -- gates


def test_gate_checks(client: TestClient, db: str) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    r = client.post("/v1/gates/rail.g-train/check", json={"subject": PERSON}, headers=GATE)
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["decision"] == "deny"
    assert d["measures"][0]["how_to_object"]["body"]
    r = client.post(
        "/v1/gates/rail.g-train/check-batch", json={"subjects": [PERSON, ORG]}, headers=GATE
    )
    assert [x["decision"] for x in r.json()["decisions"]] == ["deny", "allow"]
    r = client.post(
        "/v1/gates/rail.g-train/check", json={"subject": PERSON, "at": "2020-01-01"}, headers=GATE
    )
    assert r.json()["decision"] == "allow"
    assert count(db, "access_log") == 4
    r = client.post(  # codes as typed: trimmed and upper-cased, as for a single check
        "/v1/gates/rail.g-train/check-batch",
        json={"subjects": [f" {PERSON.lower()} ", ORG]},
        headers=GATE,
    )
    assert [(x["subject"], x["decision"]) for x in r.json()["decisions"]] == [
        (PERSON, "deny"),
        (ORG, "allow"),
    ]
    assert count(db, "access_log") == 6


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "words"),
    [
        ("/v1/gates/rail.g-train/check", {"subject": PERSON}, ME, 403, "role 'subject'"),
        ("/v1/gates/rail.g-train/check", {"subject": PERSON}, AGENCY, 403, "role 'agency'"),
        ("/v1/gates/no.such/check", {"subject": PERSON}, GATE, 404, "known gates"),
        ("/v1/gates/rail.g-train/check", {"subject": PERSON, "at": "soon"}, GATE, 400, "at:"),
        ("/v1/gates/rail.g-train/check", {"subject": "x y"}, GATE, 400, "not a code"),
        ("/v1/gates/rail.g-train/check", {"who": PERSON}, GATE, 422, "subject"),
        ("/v1/gates/rail.g-train/check-batch", {"subjects": []}, GATE, 422, "subjects"),
        ("/v1/gates/rail.g-train/check-batch", {"subjects": [PERSON, "x-y"]}, GATE, 400, "x-y"),
    ],
)
def test_gate_refusals(
    client: TestClient,
    db: str,
    path: str,
    body: dict[str, object],
    headers: dict[str, str],
    status: int,
    words: str,
) -> None:
    r = client.post(path, json=body, headers=headers)
    assert r.status_code == status
    assert words in r.json()["message"]
    assert count(db, "access_log") == 0


# -- published lists


def test_list_shows_published_fields_with_masked_numbers(client: TestClient) -> None:
    client.post(
        "/v1/records",
        content=jsonl(listing(), listing(subject=ORG, days_ago=10)),
        headers=AGENCY,
    )
    r = client.get("/v1/lists/spc-defaulters/dishonest-defaulters", params={"size": 1})
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["total"] == 2
    assert len(page["entries"]) == 1
    first = page["entries"][0]
    assert first["subject"] == "1101**********002X" == mask(PERSON)
    assert first["fields"]["person.id_number"] == "1101**********002X"
    assert first["fields"]["person.name"] is None  # names are not held
    assert first["fields"]["case_number"] == "(2026) 京0105执123号"
    assert set(first["fields"]) <= set(page["published_fields"])
    assert PERSON not in r.text
    second = client.get(
        "/v1/lists/spc-defaulters/dishonest-defaulters", params={"size": 1, "page": 2}
    ).json()["entries"][0]
    assert second["fields"]["organisation.uscc"] == ORG
    assert "person.id_number" not in second["fields"]


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/v1/lists/nope/x", 404, "known schemes"),
        ("/v1/lists/spc-defaulters/x", 404, "dishonest-defaulters"),
        ("/v1/lists/spc-defaulters/dishonest-defaulters?page=0", 422, "page"),
        ("/v1/lists/spc-defaulters/dishonest-defaulters?at=tomorrow", 400, "at:"),
    ],
)
def test_list_refusals(client: TestClient, path: str, status: int, words: str) -> None:
    r = client.get(path)
    assert r.status_code == status
    assert words in r.json()["message"]


# -- objections


def _due(filed_at: str, period: str) -> str | None:
    """The due date the engine's calendar gives (None beyond the calendar's years)."""
    cal = work_calendar()
    try:
        return cal.due(china_date(parse_instant(filed_at)), Period.parse(period)).isoformat()
    except OutsideCalendar:
        return None


def test_objection_flow(client: TestClient, db: str) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    r = client.post(
        "/v1/objections",
        json={
            "subject": PERSON,
            "list": "spc-defaulters/dishonest-defaulters",
            "reason": "I paid in full",
        },
        headers=ME,
    )
    assert r.status_code == 201, r.text
    o = r.json()
    assert o["status"] == "filed"
    assert o["id"].startswith("obj-")
    assert o["rule"]["id"] == "spc-defaulters"
    assert o["rule"]["periods"]["correction"] == "3 working days"
    [decision] = o["deadlines"]
    assert decision["name"] == "decision"
    assert decision["period"] == "15d"
    assert decision["due"] == _due(o["filed_at"], "15d")
    assert decision["overdue"] is False
    public = client.get(f"/v1/objections/{o['id']}").json()
    assert public["subject"] == mask(PERSON)
    assert "filed_by" not in public
    assert all(set(e) == {"kind", "at"} for e in public["history"])
    mine = client.get(f"/v1/objections/{o['id']}", headers=ME).json()
    assert mine["subject"] == PERSON
    assert count(db, "access_log") >= 2  # both reads of the objection are logged
    r = client.post(
        "/v1/objections",
        json={"subject": PERSON, "record_id": entry.id, "reason": "wrong case"},
        headers=ME,
    )
    assert r.status_code == 201
    assert r.json()["filed_by"] == "subject:the person"
    assert o["filed_by"] == "subject:the person"
    assert count(db, "objection_events") == 2
    file = client.get(f"/v1/subjects/{PERSON}", headers=ME).json()
    assert {x["id"] for x in file["objections"]} == {o["id"], r.json()["id"]}


def test_operator_decides_and_the_gate_follows(client: TestClient, db: str) -> None:
    entry = listing()
    r = client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    assert r.json()["notices_for_subjects"] == 1  # sent after the response
    check = {"subject": PERSON}
    assert (
        client.post("/v1/gates/rail.g-train/check", json=check, headers=GATE).json()["decision"]
        == "deny"
    )
    oid = client.post(
        "/v1/objections",
        json={"subject": PERSON, "record_id": entry.id, "reason": "paid"},
        headers=ME,
    ).json()["id"]
    # only an operator runs the workflow
    r = client.post(f"/v1/objections/{oid}/review", json={}, headers=ME)
    assert r.status_code == 403
    r = client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "rejected", "reasons": "no"},
        headers=OPERATOR,
    )
    assert r.status_code == 409
    assert "start the review first" in r.json()["message"]
    assert client.post(f"/v1/objections/{oid}/review", json={}, headers=OPERATOR).status_code == 200
    r = client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "upheld", "reasons": "paid"},
        headers=OPERATOR,
    )
    assert r.status_code == 409
    assert "needs a remedy" in r.json()["message"]
    r = client.post(
        f"/v1/objections/{oid}/decision",
        json={
            "outcome": "upheld",
            "reasons": "paid before the listing",
            "remedy": {"action": "revoke", "record": entry.id},
        },
        headers=OPERATOR,
    )
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["status"] == "upheld"
    assert got["decision"]["correcting_records"] == [f"{oid}-decision-revoke"]
    assert [n["kind"] for n in got["notices"]] == ["objection_decision"]
    assert (
        client.post("/v1/gates/rail.g-train/check", json=check, headers=GATE).json()["decision"]
        == "allow"
    )
    listed = client.get(f"/v1/objections?at={got['filed_at']}", headers=OPERATOR).json()
    assert [c["id"] for c in listed["cases"]] == [oid]
    notices = client.get(f"/v1/subjects/{PERSON}/notices", headers=ME).json()["notices"]
    assert {"listing", "sanction", "objection_decision"} <= {n["kind"] for n in notices}
    listing_notice = next(n for n in notices if n["kind"] == "listing")
    assert listing_notice["why"]["records"] == [entry.id]
    assert listing_notice["how_to_object"]["body"] == "the enforcing court"
    assert client.get(f"/v1/subjects/{PERSON}/notices").status_code == 403
    assert client.get(f"/v1/subjects/{ORG}/notices", headers=ME).status_code == 403
    assert client.get(f"/v1/subjects/{PERSON}/notices", headers=OPERATOR).status_code == 200
    r = client.post(f"/v1/objections/{oid}/close", json={"note": "done"}, headers=OPERATOR)
    assert r.json()["status"] == "closed"
    r = client.post(f"/v1/objections/{oid}/reconsideration", json={"reason": "x"}, headers=ME)
    assert r.status_code == 409


def test_reconsideration_of_a_rejection(client: TestClient) -> None:
    if _due(iso(now()), "30d") is None:
        pytest.skip("today is too close to the end of the working-day calendar's years")
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    oid = client.post(
        "/v1/objections",
        json={"subject": PERSON, "record_id": entry.id, "reason": "paid"},
        headers=ME,
    ).json()["id"]
    client.post(f"/v1/objections/{oid}/review", json={}, headers=OPERATOR)
    client.post(
        f"/v1/objections/{oid}/decision",
        json={"outcome": "rejected", "reasons": "no proof"},
        headers=OPERATOR,
    )
    r = client.post(f"/v1/objections/{oid}/reconsideration", json={"reason": "receipt"})
    assert r.status_code == 403  # filed with the subject's key: only that key may ask
    assert "with that key" in r.json()["message"]
    r = client.post(f"/v1/objections/{oid}/reconsideration", json={"reason": "receipt"}, headers=ME)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "reconsideration"
    names = [d["name"] for d in r.json()["deadlines"]]
    assert names == ["decision", "reconsideration_filing", "reconsideration_decision"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "words"),
    [
        ({"subject": PERSON, "reason": "x"}, {}, 422, "exactly one of"),
        ({"subject": PERSON, "record_id": "a", "list": "a/b", "reason": "x"}, {}, 422, "exactly"),
        ({"subject": PERSON, "record_id": "nope", "reason": "x"}, ME, 404, "no record"),
        ({"subject": PERSON, "list": "rongcheng/black", "reason": "x"}, ME, 404, "not and was not"),
        ({"subject": PERSON, "list": "nolist", "reason": "x"}, {}, 400, "scheme/list"),
        ({"subject": ORG, "list": "a/b", "reason": "x"}, ME, 403, "only about its own"),
        ({"subject": PERSON, "list": "a/b", "reason": "x"}, GATE, 403, "role 'gate'"),
        ({"subject": PERSON, "list": "a/b", "reason": ""}, {}, 422, "reason"),
    ],
)
def test_objection_refusals(
    client: TestClient,
    db: str,
    body: dict[str, str],
    headers: dict[str, str],
    status: int,
    words: str,
) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    r = client.post("/v1/objections", json=body, headers=headers)
    assert r.status_code == status, r.text
    assert words in r.json()["message"]
    assert count(db, "objection_events") == 0


def test_unknown_objection(client: TestClient) -> None:
    r = client.get("/v1/objections/obj-0000")
    assert r.status_code == 404
    assert "obj-" in r.json()["message"]


# -- keys and the schema


def test_openapi_is_served(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/v1/records", "/v1/subjects/{subject}", "/v1/objections"} <= set(spec["paths"])


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ('[[key]]\nkey = "short"\nrole = "agency"', "at least 8"),
        ('[[key]]\nkey = "long-enough"\nrole = "admin"', "role"),
        ('[[key]]\nkey = "long-enough"\nrole = "agency"', "categories"),
        ('[[key]]\nkey = "long-enough"\nrole = "subject"', "subject"),
        ('[[key]]\nkey = "long-enough"\nrole = "gate"\ncolour = 1', "unknown field"),
        ("[[key]\n", "not valid TOML"),
    ],
)
def test_bad_key_files(toml: str, words: str) -> None:
    with pytest.raises(XinyongError, match=words):
        KeyRing.from_toml(toml, "keys.toml")


def test_records_appended_while_the_service_was_down_get_their_notices_at_start(
    db: str, keys: KeyRing
) -> None:
    with TestClient(create_app(db, keys=keys)) as c:  # the service starts following the log
        assert c.get(f"/v1/subjects/{PERSON}/notices", headers=ME).json()["notices"] == []
    store = open_store(db)  # e.g. `xinyong ingest` without --notices, or a crash mid-way
    entry = listing()
    store.append([entry])
    store.close()
    with TestClient(create_app(db, keys=keys)) as c:  # restart: the lifespan catches up
        notices = c.get(f"/v1/subjects/{PERSON}/notices", headers=ME).json()["notices"]
    kinds = {n["kind"] for n in notices}
    assert {"listing", "sanction"} <= kinds
    assert count(db, "notice_marks") == 2  # start, then the catch-up


def test_ingest_over_http_brings_a_live_state_up_to_date(db: str, keys: KeyRing) -> None:
    store = open_store(db)
    live = LiveState(store)
    live.catch_up()  # the operator ran `xinyong state` once: the store keeps a state
    with TestClient(create_app(db, keys=keys)) as c:
        assert c.post("/v1/records", content=jsonl(listing()), headers=AGENCY).status_code == 200
    assert not live.behind()  # updated right after the answer, without a batch run
    stored = live.stored(PERSON)
    assert stored is not None
    assert live.check("rail.g-train", PERSON).decision == "deny"
    store.close()


def test_withdrawal_by_the_objector(client: TestClient) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    body = {"subject": PERSON, "record_id": entry.id, "reason": "paid"}
    mine = client.post("/v1/objections", json=body, headers=ME).json()["id"]
    receipt = client.post("/v1/objections", json=body).json()["receipt"]  # the public role
    [theirs] = [c["id"] for c in client.get("/v1/objections", headers=OPERATOR).json()["cases"]
                if c["filed_by"] == "public"]  # fmt: skip
    r = client.post(f"/v1/objections/{mine}/withdrawal", json={"reason": "x"})
    assert r.status_code == 403, r.text
    assert "withdraw it with that key" in r.json()["message"]
    r = client.post(f"/v1/objections/{mine}/withdrawal", json={"reason": "settled"}, headers=ME)
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["status"], got["withdrawable"]) == ("withdrawn", False)
    assert got["withdrawal"]["reason"] == "settled"
    assert got["deadlines"][0]["ended_at"] == got["withdrawal"]["at"]
    assert got["overdue"] == []
    again = client.post(f"/v1/objections/{mine}/withdrawal", json={}, headers=ME)
    assert again.status_code == 409
    assert "was withdrawn" in again.json()["message"]
    r = client.post(f"/v1/objections/{mine}/decision", json={"outcome": "rejected",
                    "reasons": "x"}, headers=OPERATOR)  # fmt: skip
    assert r.status_code == 409
    r = client.post(f"/v1/objections/{theirs}/withdrawal", json={})
    assert r.status_code == 403, r.text  # the id is not enough: the receipt is the secret
    assert "receipt" in r.json()["message"]
    r = client.post("/v1/objections/withdrawal", json={"receipt": "rcp-guess"})
    assert r.status_code == 202
    assert client.get(f"/v1/objections/{theirs}").json()["status"] == "filed"
    r = client.post("/v1/objections/withdrawal", json={"receipt": receipt, "reason": "settled"})
    assert r.status_code == 202
    got = client.get(f"/v1/objections/{theirs}").json()
    assert got["status"] == "withdrawn"
    assert got["subject"] == mask(PERSON)
    assert (
        client.post(f"/v1/objections/{theirs}/withdrawal", json={}, headers=GATE).status_code == 403
    )
