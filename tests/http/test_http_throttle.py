"""Public lookups are rate-limited per client, so a masked number cannot be completed by
trying candidate codes against the portal."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from http_helpers import TestClient

from xinyong.core.codes import make_resident_id
from xinyong.drivers.http import create_app
from xinyong.drivers.http.throttle import Buckets
from xinyong.system.principals import KeyRing


def test_the_bucket_refills_at_its_rate() -> None:
    t = [0.0]
    b = Buckets(rate=60, clock=lambda: t[0])  # one a second, bursts of 60
    assert all(b.take("a") == 0 for _ in range(60))
    assert b.take("a") > 0
    assert b.take("b") == 0  # another client has its own bucket
    t[0] += 1.0
    assert b.take("a") == 0


def test_enumerating_a_masked_number_is_cut_off(tmp_path: Path, keys: KeyRing) -> None:
    """Replay of the attack: from a masked entry (region and check digits shown, birth date
    hidden) and a published age, try every candidate birth date of one year against the
    subject page. The service must stop answering long before the ~135 requests that found
    a number."""
    candidates = [
        make_resident_id("371002", date(1990, 1, 1) + timedelta(days=d), 901) for d in range(365)
    ]
    answered = refused = 0
    with TestClient(create_app(str(tmp_path / "c.db"), keys=keys)) as client:
        for code in candidates[:200]:
            r = client.get(f"/subject/{code}")
            if r.status_code == 429:
                refused += 1
                assert int(r.headers["Retry-After"]) >= 1
            else:
                answered += 1
        keyed = client.get("/v1/subjects/" + candidates[0] + "/file", headers={"X-API-Key": "x"})
    assert answered <= 35  # the default: bursts of 30, then 30 a minute
    assert refused == 200 - answered
    assert keyed.status_code != 429  # keys are accountable: not throttled here


def test_the_rate_is_a_setting(
    tmp_path: Path, keys: KeyRing, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XINYONG_PUBLIC_RATE", "0")
    codes = [make_resident_id("371002", date(1990, 1, 1), n) for n in range(1, 60)]
    with TestClient(create_app(str(tmp_path / "c.db"), keys=keys)) as client:
        assert all(client.get(f"/subject/{c}").status_code != 429 for c in codes)
