"""``xinyong``: the command line. Each command calls one library function."""

from __future__ import annotations

from typing import Annotated

import typer

from xinyong.drivers.cli import (
    audit_cmd,
    code_cmd,
    dataset_cmd,
    engine_cmd,
    ledger_cmd,
    objections_cmd,
    org_cmd,
    schemes_cmd,
    spark_cmd,
    study_cmd,
)
from xinyong.drivers.cli.ingest_cmd import ingest_command
from xinyong.drivers.cli.repair_cmd import app as repair_app
from xinyong.drivers.cli.serve_cmd import serve_command
from xinyong.drivers.cli.state_cmd import ingest_stream_command, state_command
from xinyong.drivers.cli.test_cmd import cases_command
from xinyong.drivers.cli.world_cmd import demo_command, world_app

app = typer.Typer(
    name="xinyong",
    help="xinyong (信用): explainable, contestable social credit schemes, with a synthetic "
    "world to study them.\n\nExample: xinyong demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(code_cmd.app, name="code", help="Check credit codes.")
app.command("ingest")(ingest_command)
app.add_typer(schemes_cmd.app, name="schemes", help="List, show and validate schemes.")
app.command("score")(engine_cmd.score_command)
app.command("lists")(engine_cmd.lists_command)
app.command("check")(engine_cmd.check_command)
app.command("gates")(engine_cmd.gates_command)
app.command("rescore")(engine_cmd.rescore_command)
app.add_typer(dataset_cmd.app, name="export", help="Export the store's records (Parquet dataset).")
app.command("serve")(serve_command)
app.add_typer(repair_app, name="repair", help="Credit repair of published records.")
app.command("state")(state_command)
app.command("ingest-stream")(ingest_stream_command)
app.add_typer(
    objections_cmd.app, name="objections", help="File, review, decide and follow objections."
)
app.command("notices")(objections_cmd.notices_command)
app.add_typer(spark_cmd.app, name="spark", help="Rescore on Apache Spark.")
app.add_typer(world_app, name="world", help="Generate and run a synthetic city.")
app.command("demo")(demo_command)
app.command("study")(study_cmd.study_command)
app.add_typer(ledger_cmd.app, name="ledger", help="Verify and sign the tamper-evident ledger.")
app.command("test")(cases_command)
app.command("audit")(audit_cmd.audit_command)
app.command("org")(org_cmd.org_command)


def _version(value: bool) -> None:
    if value:
        from xinyong import __version__

        typer.echo(f"xinyong {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """xinyong (信用): explainable, contestable social credit schemes, with a synthetic world
    to study them.

    Example: xinyong demo
    """


def main() -> None:
    app()
