"""The gates' lean handlers answer exactly as FastAPI's own handlers would, request for
request: the same status and the same JSON for good requests and for every kind of bad one."""

from __future__ import annotations

from typing import Any

import pytest
from http_helpers import AGENCY, GATE, ME, PERSON, TestClient, jsonl, listing

from xinyong.drivers.http import lean_route

CHECK = "/v1/gates/rail.g-train/check"
BATCH = "/v1/gates/rail.g-train/check-batch"
JSON = {"Content-Type": "application/json"}
AT = '"at": "2026-06-01"'
GOOD = f'{{"subject": "{PERSON}", {AT}}}'.encode()

CASES: list[tuple[str, str, dict[str, str], bytes]] = [
    (CHECK, "allowed or denied", {**GATE, **JSON}, GOOD),
    (CHECK, "with a purpose", {**GATE, **JSON, "X-Purpose": "ticket 7"}, GOOD),
    (CHECK, "lower case code", {**GATE, **JSON}, GOOD.lower()),
    (CHECK, "unknown gate", {**GATE, **JSON}, b'{"subject": "X1"}'),
    (CHECK, "no key", JSON, f'{{"subject": "{PERSON}"}}'.encode()),
    (CHECK, "bad key", {"X-API-Key": "nope", **JSON}, f'{{"subject": "{PERSON}"}}'.encode()),
    (CHECK, "wrong role", {**ME, **JSON}, f'{{"subject": "{PERSON}"}}'.encode()),
    (CHECK, "bad code", {**GATE, **JSON}, b'{"subject": "x y"}'),
    (CHECK, "bad time", {**GATE, **JSON}, f'{{"subject": "{PERSON}", "at": "soon"}}'.encode()),
    (CHECK, "extra field", {**GATE, **JSON}, f'{{"subject": "{PERSON}", "x": 1}}'.encode()),
    (CHECK, "missing field", {**GATE, **JSON}, b"{}"),
    (CHECK, "not JSON", {**GATE, **JSON}, b'{"subject": '),
    (CHECK, "no body", {**GATE, **JSON}, b""),
    (CHECK, "no content type", GATE, f'{{"subject": "{PERSON}"}}'.encode()),
    (CHECK, "text content type", {**GATE, "Content-Type": "text/plain"}, b'{"subject": "A"}'),
    (CHECK, "number for text", {**GATE, **JSON}, b'{"subject": 12345678901234567890123}'),
    (CHECK, "NaN", {**GATE, **JSON}, b'{"subject": NaN}'),
    (BATCH, "batch", {**GATE, **JSON}, f'{{"subjects": ["{PERSON}", "x1"], {AT}}}'.encode()),
    (BATCH, "batch, wrong role", {**AGENCY, **JSON}, f'{{"subjects": ["{PERSON}"]}}'.encode()),
    (BATCH, "batch, empty", {**GATE, **JSON}, b'{"subjects": []}'),
    (BATCH, "batch, bad code", {**GATE, **JSON}, b'{"subjects": ["a b"]}'),
]  # fmt: skip


def _answer(client: TestClient, path: str, headers: dict[str, str], body: bytes) -> Any:
    """The status, the JSON answer and the newest access-log entry of the person's file."""
    r = client.post(path, content=body, headers=headers)
    journal = client.app.state.opener.open().journal  # type: ignore[attr-defined]
    logged = [{k: v for k, v in x.items() if k != "at"} for x in journal.reads_of(PERSON, 1)]
    return r.status_code, r.json(), logged


@pytest.mark.parametrize(("path", "what", "headers", "body"), CASES, ids=[c[1] for c in CASES])
def test_lean_and_standard_handlers_answer_alike(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    what: str,
    headers: dict[str, str],
    body: bytes,
) -> None:
    client.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    if what == "unknown gate":
        path = path.replace("rail.g-train", "no.such")
    lean = _answer(client, path, headers, body)
    monkeypatch.setattr(lean_route, "_LEAN", {})  # every request to FastAPI's own handler
    assert _answer(client, path, headers, body) == lean


def test_the_lean_handler_is_the_one_serving_good_requests(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: list[str] = []
    real = dict(lean_route._LEAN)

    def spy(fn: Any) -> Any:
        async def wrapped(request: Any, standard: Any) -> Any:
            served.append(request.url.path)
            return await fn(request, standard)

        return wrapped

    monkeypatch.setattr(lean_route, "_LEAN", {k: spy(v) for k, v in real.items()})
    r = client.post(CHECK, json={"subject": PERSON}, headers=GATE)
    assert r.status_code == 200
    assert served == [CHECK]
