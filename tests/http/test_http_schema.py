"""Schemathesis against /openapi.json: generated requests, in every role, get no 5xx.

Example counts are kept small so the whole module runs in well under a minute.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from http_helpers import AGENCY, GATE, KEYS_TOML, ME, OPERATOR, TestClient, jsonl, listing

from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import schemathesis
    from hypothesis import HealthCheck, settings
    from schemathesis.checks import not_a_server_error

ROLES = [{}, AGENCY, GATE, ME, OPERATOR]


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    """POST /v1/records takes JSONL: send the generated text as it is."""
    return value.encode() if isinstance(value, str) else str(value).encode()


_folder = Path(tempfile.mkdtemp(prefix="xinyong-schema-"))
app = create_app(str(_folder / "credit.db"), keys=KeyRing.from_toml(KEYS_TOML, "test keys"))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(scope="module", autouse=True)
def _store() -> Iterator[None]:
    with TestClient(app) as c:  # one listed person, so reads and checks find something
        c.post("/v1/records", content=jsonl(listing()), headers=AGENCY)
    yield
    app.state.opener.close()
    shutil.rmtree(_folder, ignore_errors=True)


@pytest.mark.filterwarnings("ignore")
@schema.parametrize()
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_server_errors(case: Any) -> None:
    """Each generated request is sent in every role (public, agency, gate, subject, operator)."""
    generated = dict(case.headers or {})
    for role in ROLES:
        case.headers = {**generated, **role}
        case.call_and_validate(checks=[not_a_server_error])
