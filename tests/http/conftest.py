"""Fixtures for the HTTP service: an app over a fresh SQLite store, keys for every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from http_helpers import KEYS_TOML, TestClient

from xinyong.drivers.http import create_app
from xinyong.system.principals import KeyRing


@pytest.fixture
def keys() -> KeyRing:
    return KeyRing.from_toml(KEYS_TOML, "test keys")


@pytest.fixture
def db(tmp_path: Path) -> str:
    return str(tmp_path / "credit.db")


@pytest.fixture
def client(db: str, keys: KeyRing) -> Iterator[TestClient]:
    with TestClient(create_app(db, keys=keys)) as c:
        yield c
