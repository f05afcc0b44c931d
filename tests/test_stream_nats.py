"""Streaming ingest against the real NATS JetStream at 127.0.0.1:4222 (skipped if unreachable).

Each test uses its own stream, subjects and durable consumer names.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from factories import ORG, PERSON, make_record
from xinyong.adapters.state import LiveState
from xinyong.adapters.store import SqlRecordStore
from xinyong.composition import open_system
from xinyong.drivers.stream import KEY_HEADER, StreamOptions, consume
from xinyong.system.credit_system import CreditSystem
from xinyong.system.principals import KeyRing
from xinyong.system.settings import Settings

pytestmark = pytest.mark.nats

URL = os.environ.get("XINYONG_TEST_NATS", "nats://127.0.0.1:4222")
KEY = "court-agency-secret"
KEYS = KeyRing.from_toml(
    f'[[key]]\nkey = "{KEY}"\nrole = "agency"\nname = "court"\n'
    'categories = ["court.*", "traffic.*"]\nsources = ["court", "traffic-police"]\n'
    '[[key]]\nkey = "gate-key-secret"\nrole = "gate"\n',
    "test keys",
)


def system_at(db: Path) -> CreditSystem:
    return open_system(Settings(db=str(db), extra={"keys": KEYS}))


def _reachable() -> bool:
    host, port = URL.split("://", 1)[1].rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def opts() -> Iterator[StreamOptions]:
    if not _reachable():
        pytest.skip(f"NATS JetStream not reachable at {URL}; start nats-server -js")
    tag = uuid.uuid4().hex[:10]
    o = StreamOptions(
        URL,
        f"T_{tag}",
        f"t{tag}.records.>",
        durable=f"d{tag}",
        dead_letter=f"t{tag}.dead",
        ack_wait=1.0,
    )
    yield o
    asyncio.run(_drop(o))


async def _drop(o: StreamOptions) -> None:
    import nats

    nc = await nats.connect(o.url)
    js = nc.jetstream()
    for name in (o.stream, f"{o.stream}_DEAD"):
        with contextlib.suppress(Exception):
            await js.delete_stream(name)
    await nc.close()


async def _publish(o: StreamOptions, messages: list[tuple[bytes, dict[str, str]]]) -> None:
    import nats
    from nats.js.api import StreamConfig

    nc = await nats.connect(o.url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=o.stream, subjects=[o.subject]))
    base = o.subject[:-2]
    for data, headers in messages:
        await js.publish(f"{base}.court", data, headers=headers, timeout=10)
    await nc.close()


async def _dead(o: StreamOptions) -> list[Any]:
    import nats

    nc = await nats.connect(o.url)
    js = nc.jetstream()
    sub = await js.pull_subscribe(o.dead_subject, stream=f"{o.stream}_DEAD")
    try:
        msgs = await sub.fetch(10, timeout=2)
    except nats.errors.TimeoutError:
        msgs = []
    out = [(m.headers, json.loads(m.data)) for m in msgs]
    await nc.close()
    return out


def _line(**kw: Any) -> str:
    r = make_record(**kw)
    d = r.to_dict()
    return json.dumps(d)


def test_good_messages_are_ingested_and_bad_ones_dead_lettered(
    opts: StreamOptions, tmp_path: Path
) -> None:
    store = SqlRecordStore(f"sqlite:///{tmp_path}/credit.db")
    live = LiveState(store, clock=lambda: datetime(2024, 6, 1, tzinfo=UTC))
    live.catch_up()
    listing = _line(category="court.listing_decision", subject=PERSON, details={"ground": "1"})
    batch = "\n".join(_line(subject=ORG) for _ in range(3))
    key = {KEY_HEADER: KEY}
    asyncio.run(
        _publish(
            opts,
            [
                (listing.encode(), key),
                (batch.encode(), key),
                (b"{not json", key),
                (_line(category="tax.arrears").encode(), key),  # not this agency's category
                (_line().encode(), {KEY_HEADER: "wrong-key-123"}),
                (_line().encode(), {}),
            ],
        )
    )
    with system_at(tmp_path / "credit.db") as system:
        report = asyncio.run(consume(system, opts, idle_exit=2.0))
    assert (report.messages, report.inserted, report.duplicates, report.dead) == (6, 4, 0, 4)
    assert store.count() == 4
    assert live.check("air.ticket", PERSON).decision == "deny"  # the state was updated
    dead = asyncio.run(_dead(opts))
    reasons = [h["X-Error"] for h, _ in dead]
    assert len(dead) == 4
    assert "not valid JSON" in reasons[0]
    assert "not authorised to record 'tax.arrears'" in reasons[1]
    assert "not a configured agency key" in reasons[2]
    assert "no X-API-Key header" in reasons[3]
    assert dead[0][1]["data"] == "{not json"
    assert dead[0][1]["errors"][0]["row"] == 1
    # everything was acked: a second run gets nothing
    with system_at(tmp_path / "credit.db") as system:
        again = asyncio.run(consume(system, opts, idle_exit=0.5))
    assert again.messages == 0
    store.close()


class Crash(Exception):
    pass


def test_crash_after_commit_before_ack_is_redelivered_without_duplicates(
    opts: StreamOptions, tmp_path: Path
) -> None:
    store = SqlRecordStore(f"sqlite:///{tmp_path}/credit.db")
    lines = [_line(subject=ORG) for _ in range(5)]
    asyncio.run(_publish(opts, [(line.encode(), {KEY_HEADER: KEY}) for line in lines]))
    seen: list[int] = []

    def crash_on_third(msg: Any) -> None:
        seen.append(msg.metadata.sequence.stream)
        if len(seen) == 3:
            raise Crash("process died after the commit, before the ack")

    with pytest.raises(Crash), system_at(tmp_path / "credit.db") as system:
        asyncio.run(consume(system, opts, idle_exit=1.0, after_commit=crash_on_third))
    assert store.count() == 3  # committed, the third not acked
    with system_at(tmp_path / "credit.db") as system:
        report = asyncio.run(consume(system, opts, idle_exit=2.0))
    assert report.messages == 3  # the unacked third is redelivered, then the last two
    assert (report.inserted, report.duplicates, report.dead) == (2, 1, 0)
    assert store.count() == 5  # nothing lost, nothing twice
    assert sorted(r.id for b in store.scan() for r in b) == sorted(
        json.loads(line)["id"] for line in lines
    )
    store.close()


def test_a_poison_message_is_dead_lettered_and_the_stream_goes_on(
    opts: StreamOptions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A lone surrogate (a row error) and a message that crashes the handler every time
    (a poison message) each end in the dead-letter subject; the good ones around them are
    ingested."""
    import dataclasses

    from xinyong.drivers import stream

    surrogate = _line(subject=ORG).replace('"evidence": "', '"evidence": "\\ud800')
    messages = [_line(subject=ORG), surrogate, '{"poison": true}', _line(subject=ORG)]
    asyncio.run(_publish(opts, [(m.encode(), {KEY_HEADER: KEY}) for m in messages]))
    real = stream.admit

    def crashing(system: CreditSystem, keys: KeyRing, msg: Any) -> Any:
        if b"poison" in msg.data:
            raise RuntimeError("a bug this message triggers every time")
        return real(system, keys, msg)

    monkeypatch.setattr(stream, "admit", crashing)
    quick = dataclasses.replace(opts, max_attempts=3)
    with system_at(tmp_path / "credit.db") as system:
        report = asyncio.run(consume(system, quick, idle_exit=3.0))
        assert system.store.count() == 2
    assert (report.inserted, report.dead, report.retried) == (2, 2, 2)
    dead = asyncio.run(_dead(opts))
    reasons = [h["X-Error"] for h, _ in dead]
    assert "lone surrogate" in reasons[0]
    assert "failed 3 time(s) with RuntimeError" in reasons[1]
