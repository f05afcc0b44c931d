"""The portal reads like a public register (issue 16): list sizes and "as of" on the home page,
rows linking to the entry's page, red-list entries with their reason and the day the grade was
reached, terms in words, ``?at=`` on every page, and a store made by the synthetic world shown
at the world's last day."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from http_helpers import AGENCY, ORG, PERSON, TestClient, jsonl, listing

import xinyong
from xinyong.core.timeutil import now
from xinyong.core.workdays import china_date
from xinyong.drivers.http import create_app
from xinyong.drivers.http.dates import ABOUT_SUFFIX
from xinyong.drivers.http.public import term_words
from xinyong.system.principals import KeyRing
from xinyong.world.pipeline import ABOUT_SUFFIX as WORLD_ABOUT_SUFFIX

DEFAULTERS = "/lists/spc-defaulters/dishonest-defaulters"


def _days_ago(n: int) -> str:
    return (now() - timedelta(days=n)).date().isoformat()


def _civic(i: int, category: str, day: str) -> xinyong.Record:
    return xinyong.Record.from_dict(
        {
            "id": f"civ-{i}",
            "subject": PERSON,
            "category": category,
            "occurred_at": day,
            "recorded_at": day,
            "source": "civil-affairs",
            "legal_basis": "test",
            "details": {},
        }
    )


def _ingest(db: str, records: list[xinyong.Record]) -> None:
    with xinyong.open_system(xinyong.Settings(db=db, admit="catalogue")) as system:
        system.ingest(records)


def test_home_shows_each_lists_size_and_as_of_when(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    page = client.get("/").text
    today = china_date(now()).isoformat()
    assert f"Lists as in force at the start of {today} (China time)" in page
    item = re.search(rf'<li><a href="{DEFAULTERS}">[^<]*</a>:\s*<span class="size">([^<]*)', page)
    assert item is not None, page
    assert item.group(1) == "1 entry"
    red = re.search(
        r'<li><a href="/lists/rongcheng/red">[^<]*</a>:\s*<span class="size">([^<]*)', page
    )
    assert red is not None
    assert red.group(1) == "0 entries"
    assert 'href="/docs"' in page
    assert 'href="/report"' not in page  # not a store the world made: there is no report
    assert client.get("/report").status_code == 404


def test_at_is_honoured_on_every_portal_page(client: TestClient) -> None:
    client.post("/v1/records", content=jsonl(listing(days_ago=30)), headers=AGENCY)
    before = _days_ago(60)
    home = client.get("/", params={"at": before}).text
    assert f"Showing {before} (asked for with ?at=)" in home
    assert f'href="{DEFAULTERS}?at={before}"' in home  # links keep the day
    item = re.search(
        rf'href="{DEFAULTERS}\?at={before}">[^<]*</a>:\s*<span class="size">([^<]*)', home
    )
    assert item is not None
    assert item.group(1) == "0 entries"
    lst = client.get(DEFAULTERS, params={"at": before}).text
    assert f"Nobody is on this list as of {before}." in lst
    assert "1 entry" in client.get(DEFAULTERS).text
    subject = client.get(f"/subject/{PERSON}", params={"at": before}).text
    assert f"No public list entries for 1101**********002X on {before}." in subject
    assert "List of dishonest judgment defaulters" in client.get(f"/subject/{PERSON}").text
    org = client.get(f"/org/{ORG}", params={"at": before}).text
    assert f"As of the start of {before} (China time)" in org
    redirect = client.get("/search", params={"q": PERSON, "at": before}, follow_redirects=False)
    assert redirect.headers["location"] == f"/subject/{PERSON}?at={before}"
    bad = client.get(DEFAULTERS, params={"at": "yesterday"})
    assert bad.status_code == 400
    assert bad.headers["content-type"].startswith("text/html")
    assert "give an ISO date" in bad.text


def test_list_rows_link_to_the_entrys_page_without_the_number(client: TestClient) -> None:
    entry = listing()
    client.post("/v1/records", content=jsonl(entry), headers=AGENCY)
    page = client.get(DEFAULTERS).text
    links = re.findall(rf'href="({DEFAULTERS}/entries/[0-9a-f]+)"', page)
    assert len(links) == 1, page
    assert PERSON not in links[0]
    got = client.get(links[0])
    assert got.status_code == 200
    assert "1101**********002X" in got.text
    assert PERSON not in got.text  # no page ever shows an unmasked number
    assert f"The cause is record {entry.id}" in got.text
    assert f'href="{DEFAULTERS}"' in got.text  # back to the list
    gone = client.get(f"{DEFAULTERS}/entries/0123456789abcdef01234567")
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("text/html")


def test_red_list_entries_show_their_reason_and_the_day_the_grade_was_reached(
    db: str, keys: KeyRing
) -> None:
    tipped = _days_ago(40)
    records = [_civic(0, "civic.heroic_act", _days_ago(50))] + [
        _civic(i, "civic.volunteering", _days_ago(44 - i)) for i in range(1, 5)
    ]  # 1000 + 30 + 4 x 5 = 1050 (grade AAA) with the last volunteering record
    assert records[-1].occurred_at.date().isoformat() == tipped
    _ingest(db, records)
    with TestClient(create_app(db, keys=keys)) as client:
        page = client.get("/lists/rongcheng/red").text
        assert "1 entry" in page
        assert f"grade reached on {tipped}" in page
        assert f"grade AAA, reached on {tipped}: On the red list while the grade is AAA" in page
        assert f"since {tipped}" in page
        link = re.search(r'href="(/lists/rongcheng/red/entries/[0-9a-f]+)"', page)
        assert link is not None
        entry = client.get(link.group(1)).text
        assert f"grade reached on {tipped}" in entry
        assert PERSON not in entry
        status = client.get(f"/subject/{PERSON}").text
        assert f"reached on {tipped}" in status


def test_terms_read_in_words(client: TestClient) -> None:
    old = listing(days_ago=1, occurred_at=xinyong.instant("2016-01-04"))
    old = old.__class__.from_dict(
        {**old.to_dict(), "recorded_at": "2016-01-05T00:00:00Z", "id": "ct-2016-1"}
    )
    assert client.post("/v1/records", content=jsonl(old), headers=AGENCY).status_code == 200
    for path in (DEFAULTERS, f"/subject/{PERSON}"):
        page = client.get(path, params={"at": "2016-06-01"}).text
        assert "until-removal" not in page
        assert "until removed" in page or "until it is removed" in page, path
    assert term_words("2y") == "2 years"
    assert term_words("1y6mo") == "1 year and 6 months"
    assert term_words("until-removal") == "until removed"


def test_a_store_the_world_made_shows_the_worlds_day_and_its_report(
    tmp_path: Path, keys: KeyRing
) -> None:
    assert ABOUT_SUFFIX == WORLD_ABOUT_SUFFIX
    db = tmp_path / "xinyong.db"
    _ingest(str(db), [_civic(0, "civic.heroic_act", "2025-03-01")])
    (tmp_path / "report.html").write_text("<!doctype html><title>r</title>the report", "utf-8")
    about = {"world_at": "2025-07-01T00:00:00Z", "report": "report.html"}
    db.with_name(db.name + ABOUT_SUFFIX).write_text(json.dumps(about), encoding="utf-8")
    with TestClient(create_app(str(db), keys=keys)) as client:
        home = client.get("/").text
        assert "made by the synthetic world, which ends on 2025-07-01" in home
        assert "Lists as in force at the start of 2025-07-01" in home
        assert 'href="/report"' in home
        assert client.get("/report").text.endswith("the report")
        lst = client.get(DEFAULTERS).text
        assert "as of the start of 2025-07-01" in lst
        asked = client.get("/", params={"at": "2025-05-01"}).text
        assert "Lists as in force at the start of 2025-05-01" in asked


@pytest.mark.parametrize("path", ["/", DEFAULTERS, f"/subject/{PERSON}", f"/org/{ORG}"])
def test_every_portal_page_says_which_day_it_shows(client: TestClient, path: str) -> None:
    page = client.get(path).text
    assert 'id="as-of-note"' in page
    assert f"Showing today, {china_date(now()).isoformat()}" in page


def test_serve_counts_the_lists_in_the_background_after_start_up(db: str, keys: KeyRing) -> None:
    from xinyong.drivers.http.dates import default_day

    _ingest(db, [_civic(0, "civic.heroic_act", _days_ago(5))])
    day = default_day(None).isoformat()
    app = create_app(db, keys=keys, warm=True)
    with TestClient(app):
        pages = app.state.opener.open().lists
        deadline = time.monotonic() + 60
        while not any(k[1] == "dishonest-defaulters" and k[2] == day for k in pages._cache):
            assert time.monotonic() < deadline, "the lists were not counted after start-up"
            time.sleep(0.05)


def test_home_says_a_list_is_being_counted_when_the_workers_are_busy(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xinyong.drivers.http.errors import Busy

    pages = client.app.state.opener.open().lists  # type: ignore[attr-defined]

    def busy(*args: object) -> list[dict[str, object]]:
        raise Busy("busy")

    monkeypatch.setattr(pages, "rows", busy)
    r = client.get("/")
    assert r.status_code == 200
    assert "being counted (reload in a few seconds)" in r.text
