"""Fuzzing ingest: whatever a record holds, file and HTTP ingest answer with row errors (4xx)
or success, never a crash or a 500, and a refused batch leaves the store as it was."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent / "http"))

from http_helpers import AGENCY, KEYS_TOML, TestClient

from factories import make_record
from xinyong.composition import open_system
from xinyong.core.records import FIELDS
from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing
from xinyong.system.reading import IngestFailed
from xinyong.system.settings import Settings

TEXT = st.text(
    alphabet=st.characters(codec=None, exclude_categories=()), max_size=40
) | st.sampled_from(["\ud800", "\x00", "１１０１０５１９４９１２３１００２Ｘ", "2099-01-01", "12"])
SCALAR = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
VALUE = st.recursive(
    SCALAR, lambda x: st.lists(x, max_size=3) | st.dictionaries(TEXT, x, max_size=3), max_leaves=6
)


@st.composite
def rows(draw: st.DrawFn) -> str:
    base = make_record().to_dict()
    for name in draw(st.lists(st.sampled_from([*FIELDS, "extra"]), max_size=3, unique=True)):
        base[name] = draw(VALUE)
    return json.dumps(base, ensure_ascii=True, allow_nan=True)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, str]]:
    db = str(tmp_path_factory.mktemp("fuzz") / "http.db")
    keys = KeyRing.from_toml(KEYS_TOML, "test keys")
    with TestClient(create_app(db, keys=keys)) as c:
        yield c, db


def _count(db: str) -> int:
    with open_system(Settings(db=db)) as system:
        return system.store.count()


FUZZ = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@FUZZ
@given(batch=st.lists(rows(), min_size=1, max_size=3))
def test_http_never_fails_on_a_record(client: tuple[TestClient, str], batch: list[str]) -> None:
    c, db = client
    before = _count(db)
    r = c.post("/v1/records", content="\n".join(batch).encode(), headers=AGENCY)
    assert r.status_code < 500, r.text
    if r.status_code != 200:
        assert _count(db) == before, "a refused batch must write nothing"
        assert r.json()["errors"] or r.json()["message"]


@FUZZ
@given(batch=st.lists(rows(), min_size=1, max_size=3))
def test_file_ingest_never_fails_on_a_record(tmp_path: Path, batch: list[str]) -> None:
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(batch) + "\n", encoding="utf-8")
    with open_system(Settings(db=str(tmp_path / "file.db"))) as system:
        before = system.store.count()
        refused: list[IngestFailed] = []
        try:
            system.ingest(path)
        except IngestFailed as e:
            refused.append(e)
        if refused:
            assert refused[0].errors
            assert system.store.count() == before
