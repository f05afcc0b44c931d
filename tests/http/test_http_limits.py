"""Bounded cost: body limits enforced while reading, keyed endpoints refused before reading."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from http_helpers import AGENCY, GATE, TestClient, jsonl

from factories import PERSON, make_record
from xinyong.drivers.http import create_app
from xinyong.drivers.http.limits import DEFAULT_LIMIT, limit_of
from xinyong.system.principals import KeyRing


def test_a_gate_check_too_large_is_refused_before_the_key_is_looked_at(
    client: TestClient,
) -> None:
    big = json.dumps({"subject": PERSON, "pad": "x" * (limit_of("/v1/gates/") + 10)})
    r = client.post("/v1/gates/air.ticket/check", content=big, headers=GATE)
    assert r.status_code == 413
    assert "at most" in r.json()["message"]


def test_a_body_without_content_length_is_cut_off_while_read(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            yield b"x" * 4096  # 400 KiB in all, past the 64 KiB default

    r = client.post(
        "/v1/objections", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/v1/records", {}, 403),
        ("/v1/records", {"X-API-Key": "not-a-key-at-all"}, 401),
        ("/v1/gates/air.ticket/check", {}, 403),
        ("/v1/repairs", {}, 403),
        ("/v1/objections/obj-0/review", {}, 403),
    ],
)
def test_keyed_writes_without_a_usable_key_are_refused(
    client: TestClient, path: str, headers: dict[str, str], status: int
) -> None:
    r = client.post(path, content=b"{}", headers=headers)
    assert r.status_code == status


def test_public_objection_steps_are_not_refused_for_want_of_a_key(client: TestClient) -> None:
    r = client.post("/v1/objections/obj-0123456789abcdef/withdrawal", json={"reason": ""})
    assert r.status_code == 404  # reached the route: no such case


def test_small_requests_pass(client: TestClient) -> None:
    r = client.post("/v1/records", content=jsonl(make_record()), headers=AGENCY)
    assert r.status_code == 200
    assert limit_of("/v1/objections") == DEFAULT_LIMIT


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_declared_huge_body_is_answered_at_once_on_a_real_server(
    tmp_path: Path, keys: KeyRing
) -> None:
    """A client that declares 10 GB and sends nothing more gets 413 straight away."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(str(tmp_path / "c.db"), keys=keys), port=port, log_level="error")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(
                b"POST /v1/records HTTP/1.1\r\nHost: x\r\nX-API-Key: agency-secret-1\r\n"
                b"Content-Length: 10000000000\r\n\r\n"
            )
            started = time.monotonic()
            answer = s.recv(4096)
            assert time.monotonic() - started < 5
        assert answer.startswith(b"HTTP/1.1 413")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
