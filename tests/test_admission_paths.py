"""One admission path: the same batches through file ingest (the CLI), HTTP and NATS give the
same results, the same row errors and the same notices.

Each path writes into its own fresh store; the comparison is between what each path answered
and what each store then holds. The NATS leg needs JetStream at 127.0.0.1:4222 (skipped if it
is not reachable).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import xinyong

sys.path.insert(0, str(Path(__file__).resolve().parent / "http"))

from http_helpers import AGENCY, KEYS_TOML, TestClient

from factories import PERSON, make_record
from test_stream_nats import KEY, _publish, _reachable, opts  # noqa: F401  (fixture)
from xinyong.composition import open_system
from xinyong.core.timeutil import now
from xinyong.drivers.cli.app import app
from xinyong.drivers.http import create_app
from xinyong.drivers.stream import KEY_HEADER, StreamOptions, consume
from xinyong.system.principals import KeyRing
from xinyong.system.settings import Settings

KEYS = KeyRing.from_toml(KEYS_TOML, "test keys")
STREAM_KEYS = KeyRing.from_toml(
    KEYS_TOML.replace('key = "agency-secret-1"', f'key = "{KEY}"'), "stream keys"
)
RECENT = now() - timedelta(days=10)


def _line(**kw: Any) -> str:
    return json.dumps(make_record(**kw).to_dict())


def _batches() -> dict[str, str]:
    listing = _line(
        category="court.listing_decision",
        subject=PERSON,
        occurred_at=RECENT,
        recorded_at=RECENT,
        source="court",
        legal_basis="SPC Provisions art. 1",
        details={"ground": 1},
    )
    return {
        "good": "\n".join([listing, _line(), _line()]),
        "nested": "\n".join([_line(), "[" * 100_000 + "]" * 100_000]),
        "array": "\n".join([_line(), "[1, 2]", '"text"']),
        "bad fields": "\n".join(
            [_line(), _line(amount="x"), json.dumps({"id": "x"}), _line(category="court.judgement")]
        ),
        "unused category": "\n".join([_line(), _line(category="court.judgment")]),
        "not the agency's": "\n".join([_line(), _line(category="tax.arrears")]),
    }


BATCHES = _batches()

Answer = tuple[str, Any]  # ("ok", results) or ("refused", errors)


def _stable(notices: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Notices without the moment they were produced (the paths run seconds apart)."""
    return sorted(({k: v for k, v in n.items() if k != "at"} for n in notices), key=str)


def _held(db: Path) -> tuple[list[str], list[dict[str, Any]]]:
    with open_system(Settings(db=str(db))) as system:
        ids = sorted(r.id for batch in system.store.scan() for r in batch)
        return ids, _stable(system.notices(PERSON))


def via_file(db: Path, body: str, tmp: Path) -> Answer:
    path = tmp / "batch.jsonl"
    path.write_text(body + "\n", encoding="utf-8")
    keys = tmp / "keys.toml"
    keys.write_text(KEYS_TOML, encoding="utf-8")
    with open_system(Settings(db=str(db))) as system:
        system.desk.start_notices()  # as the service does at start
    args = ["ingest", str(path), "--db", str(db), "--as", "court-1", "--keys", str(keys)]
    r = CliRunner().invoke(app, [*args, "--notices", "--json"])
    data = json.loads(r.stdout)
    if r.exit_code == 0:
        return "ok", data["results"]
    assert r.exit_code == 1, r.output
    return "refused", data["errors"]


def via_http(db: Path, body: str, tmp: Path) -> Answer:
    with TestClient(create_app(str(db), keys=KEYS)) as client:
        r = client.post("/v1/records", content=body.encode(), headers=AGENCY)
    data = r.json()
    if r.status_code == 200:
        return "ok", data["results"]
    assert r.status_code in (403, 422), data
    return "refused", data["errors"]


def via_stream(db: Path, body: str, o: StreamOptions) -> Answer:
    asyncio.run(_publish(o, [(body.encode(), {KEY_HEADER: KEY})]))
    with open_system(Settings(db=str(db), extra={"keys": STREAM_KEYS})) as system:
        system.desk.start_notices()
        dead: list[Any] = []

        async def run() -> None:
            import nats

            nc = await nats.connect(o.url)
            js = nc.jetstream()
            await consume(system, o, max_messages=1, idle_exit=5.0)
            sub = await js.pull_subscribe(o.dead_subject, stream=f"{o.stream}_DEAD")
            with contextlib.suppress(nats.errors.TimeoutError):
                dead.extend(await sub.fetch(1, timeout=1))
            await nc.close()

        asyncio.run(run())
    if not dead:
        with open_system(Settings(db=str(db))) as system:
            stored = {r.id for batch in system.store.scan() for r in batch}
        rows = [json.loads(line) for line in body.splitlines()]
        return "ok", [
            {"row": i, "id": row["id"], "result": "inserted"}
            for i, row in enumerate(rows, 1)
            if row["id"] in stored
        ]
    return "refused", json.loads(dead[0].data)["errors"]


Path_ = Callable[[Path, str, Path], Answer]


@pytest.mark.parametrize("name", list(BATCHES))
def test_file_and_http_admit_alike(name: str, tmp_path: Path) -> None:
    body = BATCHES[name]
    answers, held = [], []
    for how, path in (("file", via_file), ("http", via_http)):
        db = tmp_path / f"{how}.db"
        (tmp_path / how).mkdir()
        answers.append(path(db, body, tmp_path / how))
        held.append(_held(db))
    assert answers[0] == answers[1], f"{name}: file and HTTP answered differently"
    assert held[0] == held[1], f"{name}: file and HTTP left different stores or notices"
    expected = "ok" if name == "good" else "refused"
    assert answers[0][0] == expected
    if name == "good":
        assert held[0][1], "a listing must send notices"
    else:
        assert held[0][0] == [], "a refused batch writes nothing"


@pytest.mark.nats
@pytest.mark.parametrize("name", list(BATCHES))
def test_stream_admits_as_http(name: str, tmp_path: Path, opts: StreamOptions) -> None:  # noqa: F811
    body = BATCHES[name]
    http = via_http(tmp_path / "http.db", body, tmp_path)
    stream = via_stream(tmp_path / "stream.db", body, opts)
    assert stream == http, f"{name}: the stream answered differently from HTTP"
    assert _held(tmp_path / "stream.db") == _held(tmp_path / "http.db")


def test_an_agency_writes_only_in_its_own_name(tmp_path: Path) -> None:
    """``source`` must belong to the key that writes (issue 12: provenance)."""
    body = "\n".join([_line(source="traffic-police"), _line(source="tax-bureau")])
    for how, path in (("file", via_file), ("http", via_http)):
        (tmp_path / how).mkdir()
        got = path(tmp_path / f"{how}.db", body, tmp_path / how)
        assert got[0] == "refused", how
        assert [(e["row"], e["field"]) for e in got[1]] == [(2, "source")], how
        assert "tax-bureau" in got[1][0]["reason"]


def test_an_agency_cannot_amend_another_agencys_record(tmp_path: Path) -> None:
    """The attack of issue 12: a traffic key revoking a court listing, and correcting a court
    record into drunk driving. Both are refused; the court's own revocation is accepted."""
    from factories import make_revocation

    court_listing = make_record(
        category="court.listing_decision",
        source="beijing-chaoyang-court",
        legal_basis="SPC Provisions art. 1",
        details={"ground": 1},
    )
    keys = KEYS_TOML + (
        '\n[[key]]\nkey = "traffic-secret-1"\nrole = "agency"\nname = "traffic-police"\n'
        'categories = ["traffic.*", "court.*"]\n'
    )
    ring = KeyRing.from_toml(keys, "keys")
    with open_system(Settings(db=str(tmp_path / "c.db"), extra={"keys": ring})) as system:
        system.ingest([court_listing])  # by the operator, as the court's batch
        revoke = make_revocation(
            court_listing, source="traffic-police", category="traffic.violation"
        )
        with pytest.raises(xinyong.IngestFailed) as e:
            system.ingest([revoke], by="traffic-police")
        assert [(x.row, x.field) for x in e.value.errors] == [(1, "refers_to")]
        assert "beijing" not in str(e.value)  # nothing about the other agency's record
        own = make_revocation(court_listing, source="court")
        assert system.ingest([own], by="court-1").inserted == 1


def test_http_refuses_an_amendment_of_another_agencys_record_naming_the_row(
    tmp_path: Path,
) -> None:
    from factories import make_revocation

    listing = make_record(
        category="court.listing_decision",
        source="tax-bureau",  # not one of court-1's sources: written by another agency
        legal_basis="SPC Provisions art. 1",
        details={"ground": 1},
    )
    db = tmp_path / "c.db"
    with open_system(Settings(db=str(db))) as system:
        system.ingest([listing])
    revoke = make_revocation(listing, source="court", category="court.listing_decision")
    with TestClient(create_app(str(db), keys=KEYS)) as client:
        r = client.post("/v1/records", content=_jsonl(revoke), headers=AGENCY)
    assert r.status_code == 403
    assert [(e["row"], e["field"]) for e in r.json()["errors"]] == [(1, "refers_to")]
    assert "row 1: field 'refers_to'" in r.json()["message"]
    assert "tax-bureau" not in r.text


def _jsonl(record: Any) -> bytes:
    return (json.dumps(record.to_dict()) + "\n").encode()
