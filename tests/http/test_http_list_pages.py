"""List pages are made apart from the gates: one evaluation per list, day and store size,
a bound on how many wait, and worker processes that answer as the server itself would."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_helpers import AGENCY, GATE, ORG, PERSON, TestClient, jsonl, listing

from xinyong.drivers.http import create_app, list_pages
from xinyong.drivers.http.errors import Busy
from xinyong.system.principals import KeyRing

URL = "/v1/lists/spc-defaulters/dishonest-defaulters"


@pytest.fixture
def inline(
    db: str, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, list[str]]]:
    """A client whose lists are made in its own process, counting the evaluations."""
    monkeypatch.setenv("XINYONG_LIST_WORKERS", "0")
    monkeypatch.setenv("XINYONG_PUBLIC_RATE", "0")
    calls: list[str] = []
    real = list_pages.evaluate

    def counting(*args: Any) -> Any:
        calls.append(str(args[-1]))
        return real(*args)

    monkeypatch.setattr(list_pages, "evaluate", counting)
    with TestClient(create_app(db, keys=keys)) as c:
        yield c, calls


def test_public_list_pages_cost_one_evaluation_a_day(
    inline: tuple[TestClient, list[str]],
) -> None:
    client, calls = inline
    moments = ["2026-03-05T01:00:00Z", "2026-03-05T09:30:00Z", "2026-03-05T15:59:59Z"]
    answers = [client.get(URL, params={"at": t}).json() for t in moments]
    assert len(calls) == 1  # one China day (2026-03-05 +08:00), one evaluation
    assert {a["at"] for a in answers} == {"2026-03-04T16:00:00Z"}  # 00:00 in China
    keyed = client.get(URL, params={"at": moments[1]}, headers=GATE).json()
    assert keyed["at"] == "2026-03-05T09:30:00Z"  # a key asks for the moment itself
    assert len(calls) == 2
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    client.get(URL, params={"at": moments[0]})
    assert len(calls) == 3  # the store changed: the day's page is made again


def test_evaluations_waiting_are_bounded_and_the_rest_answer_busy(
    inline: tuple[TestClient, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    client, _ = inline
    client.get(URL, params={"at": "2026-01-01"})  # a page made before the jam
    release = threading.Event()
    started = threading.Semaphore(0)
    real = list_pages.evaluate

    def slow(*args: Any) -> Any:
        started.release()
        release.wait(30)
        return real(*args)

    monkeypatch.setattr(list_pages, "evaluate", slow)
    answers: list[int] = []

    def ask(day: str) -> None:
        answers.append(client.get(URL, params={"at": day}).status_code)

    days = [f"2025-0{m}-01" for m in range(1, 1 + list_pages.MAX_PENDING)]
    threads = [threading.Thread(target=ask, args=(d,)) for d in days]
    for t in threads:
        t.start()
    pages = client.app.state.opener.open().lists  # type: ignore[attr-defined]
    try:
        assert started.acquire(timeout=30)  # the first is being made, the others wait
        for _ in range(1500):
            if len(pages._pending) == len(days):
                break
            threading.Event().wait(0.02)
        r = client.get(URL, params={"at": "2024-12-01"})
        assert r.status_code == 503
        assert r.headers["Retry-After"] == str(Busy.retry_after)
        assert "already waiting" in r.json()["message"]
        assert client.get(URL, params={"at": "2026-01-01"}).status_code == 200  # cached
        check = client.post("/v1/gates/air.ticket/check", json={"subject": PERSON}, headers=GATE)
        assert check.status_code == 200
    finally:
        release.set()
        for t in threads:
            t.join(60)
    assert answers == [200] * len(days)


def test_a_worker_process_makes_the_same_page_as_the_server(
    tmp_path: Path, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    records = jsonl(listing(), listing(subject=ORG, days_ago=10, id="court-org"))
    pages: dict[str, Any] = {}
    for workers in ("0", "1"):
        monkeypatch.setenv("XINYONG_LIST_WORKERS", workers)
        db = str(tmp_path / f"w{workers}.db")
        with TestClient(create_app(db, keys=keys)) as client:
            assert client.post("/v1/records", content=records, headers=AGENCY).status_code == 200
            services = client.app.state.opener.open()  # type: ignore[attr-defined]
            pages[workers] = client.get(URL).json()
            html = client.get("/lists/spc-defaulters/dishonest-defaulters")
            assert html.status_code == 200
            pids = services.lists.worker_pids()
            assert (len(pids) == 1) if workers == "1" else (pids == [])
    assert pages["1"]["total"] == 2
    assert pages["1"]["entries"] == pages["0"]["entries"]
    assert "_code" not in pages["1"]["entries"][0]
    assert PERSON not in str(pages["1"])  # masked, whoever made the page


def test_list_workers_setting_is_checked() -> None:
    from xinyong.system.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="XINYONG_LIST_WORKERS"):
        Settings.from_env({"XINYONG_LIST_WORKERS": "many"})
    with pytest.raises(SettingsError, match="0 to 64"):
        Settings(list_workers=-1)
    assert Settings.from_env({"XINYONG_LIST_WORKERS": "0"}).list_workers == 0


def test_a_killed_list_worker_is_replaced(
    tmp_path: Path, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_LIST_WORKERS", "1")
    monkeypatch.setenv("XINYONG_PUBLIC_RATE", "0")
    with TestClient(create_app(str(tmp_path / "k.db"), keys=keys)) as client:
        client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
        assert client.get(URL, params={"at": "2026-01-01"}).status_code == 200
        pages = client.app.state.opener.open().lists  # type: ignore[attr-defined]
        [pid] = pages.worker_pids()
        os.kill(pid, signal.SIGKILL)
        codes = [client.get(URL, params={"at": f"2025-0{m}-01"}).status_code for m in (1, 2, 3)]
        assert codes[0] in (200, 503)  # the request that finds the worker dead: told to retry
        assert codes[-1] == 200  # a new worker makes the next ones
        assert pages.worker_pids() not in ([], [pid])
