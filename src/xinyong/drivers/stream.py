"""Streaming ingest from NATS JetStream, for agencies that push events.

Each message on the stream is one batch: a JSON record, or JSONL (one record a line), with the
agency's API key in the ``X-API-Key`` header (the same keys as the HTTP service,
:mod:`xinyong.system.principals`). A message goes through the same checks as
``POST /v1/records``: every row parsed and validated, categories known and allowed for the
agency, the store's rules (conflicts, references); then it is appended in one transaction,
all or nothing, and the live state (:class:`~xinyong.system.ports.LiveStatePort`) is caught up.

Delivery: a durable pull consumer with explicit acks. A good message is acked only after its
records are committed; a message that cannot be ingested as it is (bad JSON, a bad field, an
unknown key, a category the agency may not record, a conflict) is published to the
dead-letter subject with the errors (header ``X-Error`` and a JSON body) and then acked. If
the process dies after the commit and before the ack, JetStream redelivers the message and
the re-ingest is a no-op (every record a duplicate): at-least-once delivery plus idempotent
ingest gives effectively-once. Other failures (the store unreachable) are not acked: the
message is redelivered after ``ack_wait``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from nats.js.errors import NotFoundError

from xinyong.core.errors import XinyongError
from xinyong.system.credit_system import CreditSystem
from xinyong.system.principals import KeyRing, Role
from xinyong.system.reading import IngestFailed, RowError
from xinyong.system.record_store import AppendResult

KEY_HEADER = "X-API-Key"
MAX_ERRORS = 50


@dataclass
class StreamReport:
    """What a run of :func:`consume` did."""

    messages: int = 0
    inserted: int = 0
    duplicates: int = 0
    dead: int = 0
    retried: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StreamOptions:
    url: str
    stream: str
    subject: str
    durable: str = "xinyong-ingest"
    dead_letter: str | None = None
    ack_wait: float = 30.0
    batch: int = 64
    max_attempts: int = 5
    """Deliveries of a message that fails for an unexpected reason (not a row error: the
    store down, a bug) before it is dead-lettered with the error, so one poison message
    cannot stop the stream; a failure before that is redelivered after a short delay."""

    @property
    def dead_subject(self) -> str:
        """Where refused messages go (outside the consumed subjects)."""
        return self.dead_letter or f"xinyong.dead.{self.stream}"


def admit(system: CreditSystem, keys: KeyRing, msg: Msg) -> AppendResult | list[RowError]:
    """Ingest ``msg`` through the admission path: the store's answer, or the row errors if
    it was refused (then nothing was written)."""
    key = (msg.headers or {}).get(KEY_HEADER)
    if not key:
        return [RowError(None, None, f"no {KEY_HEADER} header; send the agency's API key")]
    who = keys.find(key)
    if who is None or who.role is not Role.AGENCY:
        return [RowError(None, None, f"{KEY_HEADER} is not a configured agency key; check the key")]
    try:
        return system.admit(msg.data, by=who, name="message").result
    except IngestFailed as e:
        return list(e.errors)
    except XinyongError as e:  # a conflict or reference raced in since the check
        return [RowError(None, None, str(e))]


async def ensure_streams(js: JetStreamContext, opts: StreamOptions) -> None:
    """Create the records stream and the dead-letter stream if they do not exist."""
    for name, subject in (
        (opts.stream, opts.subject),
        (f"{opts.stream}_DEAD", opts.dead_subject),
    ):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(StreamConfig(name=name, subjects=[subject]))


async def consume(
    system: CreditSystem,
    opts: StreamOptions,
    *,
    keys: KeyRing | None = None,
    max_messages: int | None = None,
    idle_exit: float | None = None,
    after_commit: Callable[[Msg], None] | None = None,
    log: Callable[[str], None] | None = None,
) -> StreamReport:
    """Consume ``opts.stream`` until ``max_messages`` are handled or nothing arrived for
    ``idle_exit`` seconds (``None``: run until cancelled).

    ``after_commit`` is called between the commit and the ack (tests use it to crash there).
    """
    report = StreamReport()
    ring = keys if keys is not None else system.keys

    # an unreachable server is given up within a few seconds (3 tries, 1 s apart, 2 s each)
    async def on_error(e: Exception) -> None:  # one line, not the client's traceback
        if log is not None:
            log(f"nats: {e or type(e).__name__}")

    nc = await nats.connect(
        opts.url,
        connect_timeout=2,
        max_reconnect_attempts=3,
        reconnect_time_wait=1,
        error_cb=on_error,
    )
    try:
        js = nc.jetstream()
        await ensure_streams(js, opts)
        config = ConsumerConfig(
            durable_name=opts.durable, ack_policy=AckPolicy.EXPLICIT, ack_wait=opts.ack_wait
        )
        sub = await js.pull_subscribe(
            opts.subject, durable=opts.durable, stream=opts.stream, config=config
        )
        idle = 0.0
        while max_messages is None or report.messages < max_messages:
            wait = 1.0 if idle_exit is None else min(1.0, max(idle_exit - idle, 0.05))
            want = opts.batch if max_messages is None else max_messages - report.messages
            try:
                msgs = await sub.fetch(min(want, opts.batch), timeout=wait)
            except TimeoutError:  # nats.errors.TimeoutError, or asyncio's when the fetch's
                # own deadline runs out before it asks the server (seen under load)
                idle += wait
                if idle_exit is not None and idle >= idle_exit:
                    break
                continue
            idle = 0.0
            for msg in msgs:
                await _handle(system, js, opts, msg, ring, report, after_commit)
                if log is not None:
                    log(
                        f"{report.messages} message(s): {report.inserted} inserted, "
                        f"{report.duplicates} duplicate(s), {report.dead} dead-lettered"
                    )
    finally:
        await nc.close()
    return report


async def _handle(
    system: CreditSystem,
    js: JetStreamContext,
    opts: StreamOptions,
    msg: Msg,
    keys: KeyRing,
    report: StreamReport,
    after_commit: Callable[[Msg], None] | None,
) -> None:
    try:
        done = await asyncio.to_thread(admit, system, keys, msg)
    except Exception as e:  # not the message's fault as far as we know: retry, then give up
        attempt = msg.metadata.num_delivered or 1
        if attempt < opts.max_attempts:
            report.retried += 1
            await msg.nak(delay=min(0.5 * attempt, 5.0))
            return
        done = [
            RowError(
                None,
                None,
                f"failed {attempt} time(s) with {type(e).__name__}: {str(e)[:300]}; "
                "dead-lettered so the stream goes on",
            )
        ]
    if isinstance(done, list):
        await _dead_letter(js, opts, msg, done)
        report.dead += 1
        report.errors.extend(str(e) for e in done[:3])
    else:
        # live state and notices, as after an HTTP ingest (the log mark makes a crash here
        # lose no notice: the next step covers it)
        await asyncio.to_thread(system.after_ingest, notices=True)
        report.inserted += done.inserted
        report.duplicates += done.duplicates
        if after_commit is not None:
            after_commit(msg)
    await msg.ack_sync(timeout=10)
    report.messages += 1


async def _dead_letter(
    js: JetStreamContext, opts: StreamOptions, msg: Msg, errors: list[RowError]
) -> None:
    meta = msg.metadata
    body = {
        "subject": msg.subject,
        "stream_seq": meta.sequence.stream,
        "errors": [{"row": e.row, "field": e.field, "reason": e.reason} for e in errors],
        "data": msg.data.decode("utf-8", "replace"),
    }
    headers = {"X-Error": str(errors[0])[:500], "X-Original-Subject": msg.subject}
    await js.publish(
        opts.dead_subject,
        json.dumps(body, ensure_ascii=False).encode(),
        headers=headers,
        timeout=10,
    )
