"""``xinyong ingest FILE``: load a JSONL or CSV file of records into the store, all or nothing.

Thin: opens the store, calls :func:`xinyong.system.ingest.ingest_file`, prints a summary.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xinyong.adapters.state import live_state
from xinyong.adapters.store import open_store
from xinyong.core.errors import XinyongError
from xinyong.core.records import Record
from xinyong.drivers.cli.options import DEFAULT_DB, DbOpt, err, fail, out
from xinyong.system.engine import Engine
from xinyong.system.ingest import FORMATS, IngestFailed, ingest_file
from xinyong.system.objection_desk import Desk
from xinyong.system.ports import Backend


def _known_categories() -> Collection[str] | None:
    """The catalogue's categories that the preset schemes use, or ``None`` (no check) if the
    catalogue is not installed.

    A catalogue that exists but is invalid stops the command: ingest must not silently skip
    data minimisation.
    """
    try:
        from xinyong.system.catalogue import categories_for
        from xinyong.system.schemes_io import all_presets
    except ImportError:
        return None
    try:
        return categories_for(all_presets())
    except FileNotFoundError as e:
        err.print(
            f"warning: no category catalogue ({e.filename or e}); categories are not checked",
            highlight=False,
            markup=False,
        )
        return None
    except XinyongError as e:
        fail(f"cannot load the category catalogue: {e}")


def _notifier(store: Backend, sent: list[int]) -> Callable[[Sequence[Record]], None]:
    """Follow the log for notices from here on; after the append, notices for everything
    appended since the last step (this file, and any step a crash left undone)."""
    desk = Desk(Engine(store), store.journal())
    desk.start_notices()

    def send(records: Sequence[Record]) -> None:
        sent.append(len(desk.notices_catch_up()))

    return send


def ingest_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Records to load: " + ", ".join(FORMATS) + " (one JSON object a line, or CSV "
            "with a header row).",
            dir_okay=False,
        ),
    ],
    db: DbOpt = DEFAULT_DB,
    notices: Annotated[
        bool,
        typer.Option(
            "--notices",
            help="Also send each affected subject the notices of adverse changes (listing, "
            "score below a gate threshold, sanction); off by default for bulk loads.",
        ),
    ] = False,
) -> None:
    """Load a file of credit-file records into the store, all or nothing.

    Every row is checked first; if any row is wrong, each error is printed as
    FILE:ROW: field 'x': reason and nothing is written (exit status 1). Loading the same file
    again is a no-op: its rows are counted as duplicates.

    Example: xinyong ingest records.jsonl --db credit.db
    """
    try:
        store = open_store(db)
    except XinyongError as e:
        fail(str(e))
    try:
        sent: list[int] = []
        after = _notifier(store, sent) if notices else None
        report = ingest_file(store, file, known_categories=_known_categories(), after_append=after)
        live = live_state(store)
        updated = live.catch_up().subjects if live is not None else None
    except IngestFailed as e:
        for error in e.errors:
            where = f"{file}:{error.row}" if error.row is not None else str(file)
            field = f" field {error.field!r}:" if error.field is not None else ""
            err.print(f"{where}:{field} {error.reason}", highlight=False, markup=False)
        more = " (stopped there; there may be more)" if e.truncated else ""
        err.print(
            f"[bold red]refused:[/] {len(e.errors)} error(s){more}; nothing was written",
            highlight=False,
        )
        raise typer.Exit(1) from None
    except XinyongError as e:  # e.g. a concurrent writer stored a conflicting record
        err.print(f"{file}: {e}", highlight=False, markup=False)
        raise typer.Exit(1) from None
    finally:
        store.close()
    table = Table(title=f"ingested {file}", show_header=False)
    table.add_row("rows", f"{report.rows:,}")
    table.add_row("inserted", f"{report.inserted:,}")
    table.add_row("duplicates (already stored)", f"{report.duplicates:,}")
    table.add_row("time", f"{report.elapsed:.2f} s ({report.rate:,.0f} rows/s)")
    table.add_row("store", db)
    if updated is not None:
        table.add_row("live state", f"{updated:,} subject(s) updated")
    if notices:
        table.add_row("notices sent", f"{sum(sent):,}")
    out.print(table)
