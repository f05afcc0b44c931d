"""``xinyong ingest FILE``: load a JSONL or CSV file of records into the store, all or nothing.

Thin: opens the system, calls :meth:`xinyong.CreditSystem.ingest`, prints a summary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import (
    DEFAULT_DB,
    DbOpt,
    JsonOpt,
    err,
    fail,
    out,
    print_json,
    settings,
)
from xinyong.system.reading import FORMATS, IngestFailed, RowError

_PROGRESS_FROM = 16 << 20
"""Files of this many bytes or more show the records written as they go (on a terminal)."""


@contextmanager
def _progress(file: Path, show: bool) -> Iterator[Callable[[int], None] | None]:
    """A count of the records written so far, for a large file (the commit comes after
    the last; a refused file writes nothing and says why)."""
    try:
        large = file.stat().st_size >= _PROGRESS_FROM
    except OSError:
        large = False
    if not show or not large:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.completed:,} records written"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("ingest", total=None)
        yield lambda n: bar.advance(task, n)


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
    as_agency: Annotated[
        str | None,
        typer.Option(
            "--as",
            help="Ingest as the agency key of this name (from --keys or XINYONG_KEYS_FILE): "
            "only its categories are accepted, as over HTTP and NATS. Default: the operator.",
        ),
    ] = None,
    keys: Annotated[
        Path | None, typer.Option("--keys", help="API keys (TOML), for --as.", dir_okay=False)
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load a file of credit-file records into the store, all or nothing.

    Every row is checked first; if any row is wrong, each error is printed as
    FILE:ROW: field 'x': reason and nothing is written (exit status 1). Loading the same file
    again is a no-op: its rows are counted as duplicates.

    Example: xinyong ingest records.jsonl --db credit.db
    """
    from xinyong.composition import open_system

    try:
        system = open_system(settings(db, keys_file=keys))
    except XinyongError as e:
        fail(str(e))
    try:
        with _progress(file, show=not as_json) as progress:
            report = system.ingest(file, by=as_agency, notices=notices, progress=progress)
    except IngestFailed as e:
        if as_json:
            print_json({"written": 0, "errors": [_row_error(x) for x in e.errors]})
            raise typer.Exit(1) from None
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
        system.close()
    if as_json:
        print_json(
            {
                "rows": report.rows,
                "inserted": report.inserted,
                "duplicates": report.duplicates,
                "results": report.results,
                "notices": [n.to_dict() for n in report.notices],
            }
        )
        return
    table = Table(title=f"ingested {file}", show_header=False)
    table.add_row("rows", f"{report.rows:,}")
    table.add_row("inserted", f"{report.inserted:,}")
    table.add_row("duplicates (already stored)", f"{report.duplicates:,}")
    table.add_row("time", f"{report.elapsed:.2f} s ({report.rate:,.0f} rows/s)")
    table.add_row("store", db)
    if report.live_subjects is not None:
        table.add_row("live state", f"{report.live_subjects:,} subject(s) updated")
    if notices:
        table.add_row("notices sent", f"{len(report.notices):,}")
    out.print(table)


def _row_error(e: RowError) -> dict[str, object]:
    return {"row": e.row, "field": e.field, "reason": e.reason}
