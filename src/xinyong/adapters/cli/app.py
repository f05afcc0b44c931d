"""``xinyong``: the command line. Each command calls one library function."""

from __future__ import annotations

import typer

from xinyong.adapters.cli import (
    audit_cmd,
    code_cmd,
    dataset_cmd,
    engine_cmd,
    ledger_cmd,
    objections_cmd,
    schemes_cmd,
    spark_cmd,
)
from xinyong.adapters.cli.ingest_cmd import ingest_command
from xinyong.adapters.cli.repair_cmd import app as repair_app
from xinyong.adapters.cli.serve_cmd import serve_command
from xinyong.adapters.cli.state_cmd import ingest_stream_command, state_command
from xinyong.adapters.cli.world_cmd import demo_command, world_app

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
app.add_typer(ledger_cmd.app, name="ledger", help="Verify and sign the tamper-evident ledger.")
app.command("audit")(audit_cmd.audit_command)


def main() -> None:
    app()
