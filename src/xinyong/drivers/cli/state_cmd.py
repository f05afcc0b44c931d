"""``xinyong state`` and ``xinyong ingest-stream``: the incremental path from the command line.

Thin: :meth:`xinyong.CreditSystem.build_live_state` and :func:`~xinyong.drivers.stream.consume`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import DEFAULT_DB, DbOpt, err, fail, out, settings, system_for


def state_command(db: DbOpt = DEFAULT_DB) -> None:
    """Build or bring up to date the store's live state (scores, lists, gate answers per
    subject); from then on every ingest updates it and gate checks read it.

    Example: xinyong state --db credit.db
    """
    with system_for(db) as system:
        done = system.build_live_state()
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

    Example: xinyong ingest-stream --nats nats://127.0.0.1:4222 --stream RECORDS --subject 'records.>' --keys keys.toml --db credit.db
    """  # noqa: E501
    from nats.errors import Error as NatsError

    from xinyong.composition import open_system
    from xinyong.drivers.stream import StreamOptions, consume

    try:
        system = open_system(settings(db, keys_file=keys))
    except XinyongError as e:
        fail(str(e))
    opts = StreamOptions(nats_url, stream, subject, durable, dead_letter)
    try:
        system.desk.start_notices()  # from here on every appended record is news
        report = asyncio.run(
            consume(
                system,
                opts,
                max_messages=max_messages,
                idle_exit=idle_exit,
                log=lambda line: err.print(line, highlight=False, markup=False),
            )
        )
    except (OSError, TimeoutError, NatsError) as e:
        fail(
            f"cannot consume from {nats_url}: {e or type(e).__name__}; is a NATS server with "
            "JetStream running there? (e.g. nats-server -js)"
        )
    finally:
        system.close()
    out.print(
        f"{report.messages:,} message(s): {report.inserted:,} inserted, "
        f"{report.duplicates:,} duplicate(s), {report.dead:,} sent to {opts.dead_subject}",
        highlight=False,
    )
