"""``xinyong state`` and ``xinyong ingest-stream``: the incremental path from the command line.

Thin: the store's live state (:class:`~xinyong.system.ports.LiveStatePort`) and
:func:`~xinyong.drivers.stream.consume`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from xinyong.adapters.state import live_state
from xinyong.adapters.store import open_store
from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import DEFAULT_DB, DbOpt, err, fail, out


def state_command(db: DbOpt = DEFAULT_DB) -> None:
    """Build or bring up to date the store's live state (scores, lists, gate answers per
    subject); from then on every ingest updates it and gate checks read it.

    Example: xinyong state --db credit.db
    """
    try:
        store = open_store(db)
    except XinyongError as e:
        fail(str(e))
    try:
        done = store.live_state().catch_up()
    finally:
        store.close()
    what = "rebuilt" if done.rebuilt else "brought up to date"
    out.print(
        f"live state {what}: {done.subjects:,} subject(s) re-evaluated, records up to "
        f"position {done.to_seq:,} reflected",
        highlight=False,
    )


def ingest_stream_command(
    nats_url: Annotated[str, typer.Option("--nats", help="NATS server URL.")] = (
        "nats://127.0.0.1:4222"
    ),
    stream: Annotated[str, typer.Option(help="JetStream stream (created if missing).")] = (
        "RECORDS"
    ),
    subject: Annotated[str, typer.Option(help="Subjects the stream holds.")] = "records.>",
    durable: Annotated[str, typer.Option(help="Durable consumer name.")] = "xinyong-ingest",
    dead_letter: Annotated[
        str | None, typer.Option(help="Subject for refused messages [xinyong.dead.STREAM].")
    ] = None,
    keys: Annotated[
        Path | None,
        typer.Option(help="Agency API keys (TOML); default env XINYONG_KEYS_FILE/_API_KEYS."),
    ] = None,
    max_messages: Annotated[int | None, typer.Option(help="Stop after this many.")] = None,
    idle_exit: Annotated[
        float | None, typer.Option(help="Stop after this many seconds without a message.")
    ] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Ingest records pushed by agencies to NATS JetStream (JSON or JSONL per message, the
    agency's key in header X-API-Key); refused messages go to the dead-letter subject.

    Example: xinyong ingest-stream --nats nats://127.0.0.1:4222 --stream RECORDS
    --subject 'records.>' --keys keys.toml --db credit.db
    """
    from xinyong.drivers.stream import StreamOptions, consume
    from xinyong.system.catalogue import known_categories
    from xinyong.system.principals import KeyRing

    try:
        ring = KeyRing.from_file(keys) if keys is not None else KeyRing.from_env()
        store = open_store(db)
        cats = known_categories()
    except XinyongError as e:
        fail(str(e))
    opts = StreamOptions(nats_url, stream, subject, durable, dead_letter)
    live = live_state(store)
    if live is not None and live.behind():
        live.catch_up()  # repair after a crash between a commit and the state update
    try:
        report = asyncio.run(
            consume(
                store,
                opts,
                keys=ring,
                categories=cats,
                live=live,
                max_messages=max_messages,
                idle_exit=idle_exit,
                log=lambda line: err.print(line, highlight=False, markup=False),
            )
        )
    except (OSError, TimeoutError) as e:
        fail(f"cannot consume from {nats_url}: {e}")
    finally:
        store.close()
    out.print(
        f"{report.messages:,} message(s): {report.inserted:,} inserted, "
        f"{report.duplicates:,} duplicate(s), {report.dead:,} sent to {opts.dead_subject}",
        highlight=False,
    )
