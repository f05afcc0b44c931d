"""The portal in a real browser (Debian's Chromium via Playwright) against a live uvicorn
server: search a code, read the explanation of an adverse entry, file an objection."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_helpers import KEYS_TOML, ORG, PERSON, listing

from xinyong.adapters.store import open_store
from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("XINYONG_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A uvicorn server on a free loopback port over a store with one listed person."""
    import uvicorn

    db = str(Path(tmp_path_factory.mktemp("browser")) / "credit.db")
    entry = listing()
    store = open_store(db)
    try:
        store.append([entry])
    finally:
        store.close()
    port = _free_port()
    app = create_app(db, keys=KeyRing.from_toml(KEYS_TOML, "test keys"))
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail(f"uvicorn did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", entry.id
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is absent; install Debian's chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser.new_page()
        finally:
            browser.close()


@pytest.mark.filterwarnings("ignore")
def test_search_explain_and_object(server: tuple[str, str], page: Any) -> None:
    base, record_id = server
    page.goto(base + "/")
    assert "xinyong public portal" in page.title()
    page.fill("#q", PERSON)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/subject/"))
    assert page.inner_text("#subject") == "1101**********002X"
    body = page.inner_text("main")
    assert PERSON not in body
    assert page.locator("img").count() == 0
    explanation = page.inner_text(".explanation")
    assert f"The cause is record {record_id}" in explanation
    assert "If this is wrong, object to" in explanation
    page.fill("textarea[name=reason]", "The debt was paid in full on the day of the judgment.")
    page.click("form.objection button[type=submit]")
    page.wait_for_url(re.compile(r"/objections/received\?receipt=rcp-"))  # post-redirect-get
    receipt = page.inner_text("#receipt")
    assert receipt.startswith("rcp-")
    assert "Keep the receipt" in page.inner_text("#message")
    page.reload()  # a reload shows the receipt again and files nothing
    assert page.inner_text("#receipt") == receipt
    with httpx.Client(base_url=base, headers={"X-API-Key": "operator-secret-1"}) as api:
        [case] = api.get("/v1/objections").json()["cases"]
        page.goto(f"{base}/objections/{case['id']}")
        assert page.inner_text("#status") == "filed"
        deadlines = page.inner_text("#deadlines")
        assert "Decision by" in deadlines
        assert "3 working days" in deadlines
        assert "10 days" in deadlines
        assert page.locator("form.withdraw").count() == 0  # the case id alone cannot withdraw
        page.go_back()
        page.fill("form.withdraw input[name=reason]", "Settled with the creditor.")
        page.click("form.withdraw button[type=submit]")
        page.wait_for_selector("h1:has-text('Withdrawal received')")
        page.goto(f"{base}/objections/{case['id']}")
        assert page.inner_text("#status") == "withdrawn"
        assert "Settled with the creditor." in page.inner_text("#withdrawn")
        assert len(api.get("/v1/objections").json()["cases"]) == 1


@pytest.mark.filterwarnings("ignore")
def test_portal_errors_are_pages(server: tuple[str, str], page: Any) -> None:
    base, _ = server
    for path, words in (
        ("/lists/spc-defaulters/dishonest-defaulters?page=0", "page must be at least 1"),
        ("/foo", "There is no page at /foo here"),
    ):
        page.goto(base + path)
        assert words in page.inner_text("#error")
    page.goto(base + "/docs")
    page.wait_for_selector(".swagger-ui .info", timeout=15000)  # rendered from local assets


def _entry_link(base: str) -> str:
    html = httpx.get(base + "/lists/spc-defaulters/dishonest-defaulters").text
    m = re.search(r'href="(/lists/spc-defaulters/dishonest-defaulters/entries/[0-9a-f]+)"', html)
    assert m is not None
    return m.group(1)


@pytest.mark.filterwarnings("ignore")
def test_home_to_list_to_entry_keeping_the_day(server: tuple[str, str], page: Any) -> None:
    """The home page's list sizes, a list's row to the entry's page, and ``?at=`` kept on
    the way, on a 390 px wide phone screen."""
    base, record_id = server
    page.set_viewport_size({"width": 390, "height": 844})
    try:
        page.goto(base + "/")
        item = page.locator("#lists li", has_text="List of dishonest judgment defaulters")
        assert "1 entry" in item.inner_text()
        assert "as in force at the start of" in page.inner_text("#as-of")
        item.locator("a").first.click()
        page.wait_for_url(re.compile(r"/lists/spc-defaulters/dishonest-defaulters$"))
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the list page is {wide} px wide on a 390 px screen (table scrolls)"
        page.locator("table a").first.click()
        page.wait_for_url(re.compile(r"/entries/[0-9a-f]+$"))
        assert page.inner_text("#subject") == "1101**********002X"
        assert PERSON not in page.content()
        assert f"The cause is record {record_id}" in page.inner_text(".explanation")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"the entry page is {wide} px wide on a 390 px screen"
        page.goto(base + "/?at=2020-01-01")
        assert "Showing 2020-01-01" in page.inner_text("#as-of-note")
        page.locator("#lists a", has_text="List of dishonest judgment defaulters").click()
        page.wait_for_url(re.compile(r"\?at=2020-01-01$"))
        assert "Nobody is on this list as of 2020-01-01." in page.inner_text("#empty")
    finally:
        page.set_viewport_size({"width": 1280, "height": 720})


@pytest.mark.filterwarnings("ignore")
def test_no_serious_accessibility_violations(server: tuple[str, str], page: Any) -> None:
    """axe-core (packaged by axe-playwright-python) on every portal page: no violation of
    impact serious or critical."""
    from axe_playwright_python.sync_playwright import Axe

    base, _ = server
    axe = Axe()
    paths = [
        "/",
        f"/subject/{PERSON}",
        "/lists/spc-defaulters/dishonest-defaulters",
        "/lists/spc-defaulters/dishonest-defaulters?page=9",
        "/search?q=1101**********002X",
        "/?at=2020-01-01",
        "/lists/rongcheng/red",
        f"/org/{ORG}",
        _entry_link(base),
        "/objections/received?receipt=rcp-example",
        "/foo",
    ]
    found = {}
    for path in paths:
        page.goto(base + path)
        got = axe.run(page).response["violations"]
        serious = [
            f"{v['id']} ({v['impact']}): {v['help']}"
            for v in got
            if v.get("impact") in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert not found, found
