"""Options shared by every command, declared once."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import now, parse_instant
from xinyong.system.settings import Settings

if TYPE_CHECKING:
    from xinyong.system.credit_system import CreditSystem

DbOpt = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="XINYONG_DB",
        help="Store: a file path (embedded SQLite) or a database URL.",
    ),
]
DEFAULT_DB = "./xinyong.db"
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AtOpt = Annotated[
    str | None,
    typer.Option("--at", help="Moment to evaluate (ISO date or date-time, UTC); default now."),
]
KnownAtOpt = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="Use only what the store held at this moment (records it had accepted by "
        "then, on the store's clock), to reproduce a past answer; default: the latest "
        "knowledge, everything it holds now (not --at).",
    ),
]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def instant(value: str | None, option: str) -> datetime:
    if value is None:
        return now()
    try:
        return parse_instant(value)
    except ValueError as e:
        fail(f"{option}: {e}")


def moments(at: str | None, known_at: str | None) -> tuple[datetime, datetime | None]:
    """``--at`` and ``--known-at`` as instants; what the store held defaults to ``None``, the
    latest knowledge (not the moment asked about: evaluating the past with hindsight)."""
    t = instant(at, "--at")
    return t, (instant(known_at, "--known-at") if known_at else None)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def settings(db: str, **overrides: Any) -> Settings:
    """The environment's settings with this command's options on top; a bad setting stops
    the command with its message."""
    try:
        return Settings.from_env(db=db, **overrides)
    except XinyongError as e:
        fail(str(e))


@contextmanager
def system_for(db: str, *, must_exist: bool = True, **overrides: Any) -> Iterator[CreditSystem]:
    """The system over ``db`` (opened by the composition root), closed on the way out. A
    store that does not exist is refused when ``must_exist`` (read commands must not create
    an empty one); any :class:`XinyongError` stops the command with its message."""
    from xinyong.composition import open_system

    try:
        system = open_system(settings(db, **overrides), must_exist=must_exist)
    except XinyongError as e:
        fail(str(e))
    try:
        yield system
    except XinyongError as e:
        fail(str(e))
    finally:
        system.close()
