"""The portal's company page (/org/{code}, /org?q=): the same use case as ``xinyong org``;
a test sends the same store through both drivers and requires the same content."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from http_helpers import PERSON, TestClient, jsonl
from typer.testing import CliRunner

from xinyong.core.records import Record
from xinyong.core.timeutil import iso
from xinyong.drivers.cli.app import app as cli
from xinyong.drivers.http.lists import default_at

COMPANY = "91310115100000016P"


def _records() -> list[Record]:
    today = default_at()
    long_ago = today - timedelta(days=4000)
    month_ago = today - timedelta(days=30)

    def rec(rid: str, category: str, when: object, **kw: object) -> Record:
        return Record(rid, COMPANY, category, when, when, "agency", "basis " + rid, **kw)  # type: ignore[arg-type]

    return [
        rec("reg", "tax.first_registration", long_ago),
        rec("dd", "tax.direct_d_determination", month_ago, details={"ground": 1}),
        rec("pen", "market.admin_penalty_general", month_ago),
    ]


def test_search_by_uscc_goes_to_the_company_page(client: TestClient) -> None:
    r = client.get("/org", params={"q": COMPANY.lower()}, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == f"/org/{COMPANY}"
    r = client.get("/org", params={"q": "某某有限公司"})
    assert r.status_code == 200
    assert "holds no company names" in r.text


def test_a_person_code_is_not_a_company(client: TestClient) -> None:
    r = client.get(f"/org/{PERSON}")
    assert r.status_code == 400
    assert "not a company" in r.text
    assert PERSON not in r.text  # an identity number is never echoed on a public page


def test_company_page_shows_what_the_cli_shows(client: TestClient, db: str, tmp_path: Path) -> None:
    # written through the CLI (the test keys' agencies may not record tax categories)
    src = tmp_path / "orgs.jsonl"
    src.write_text(jsonl(*_records()), encoding="utf-8")
    ingested = CliRunner().invoke(cli, ["ingest", str(src), "--db", db])
    assert ingested.exit_code == 0, ingested.output
    page = client.get(f"/org/{COMPANY}")
    assert page.status_code == 200
    html = page.text
    result = CliRunner().invoke(
        cli, ["org", COMPANY, "--at", iso(default_at()), "--db", db, "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [p["record_id"] for p in data["penalties"]] == ["pen"]
    assert {e["list"] for e in data["list_entries"]} == {
        "sat-tax-credit/direct-d",
        "sat-tax-credit/d-level",
    }
    for p in data["penalties"]:
        assert f"record {p['record_id']}" in html
        assert p["published_until"][:10] in html
    for e in data["list_entries"]:
        assert e["title"] in html
        assert e["list"] in html
    assert "sat-tax-credit: <b>D</b>" in html
    assert "Unverified values (U)" in html
