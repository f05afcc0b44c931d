"""``xinyong``: the command line. Each command calls one library function.

Commands are loaded when they are run: the root group knows each command's module and a
one-line help, so ``xinyong --help`` imports no command module and ``xinyong code check``
imports only ``code_cmd`` (and what it needs), not SQLAlchemy, Polars or FastAPI. The
console entry point is :func:`xinyong.drivers.cli.fast.main`, which answers ``--version``,
``--help`` and ``code check`` without importing Typer at all. Measure with
``python bench/startup.py``.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any

import typer
from typer import _click as click  # typer vendors click: its classes, not the click package's
from typer.core import TyperCommand, TyperGroup

from xinyong.drivers.cli.fast import stored_help

#: name -> (module, attribute, help): ``attribute`` is a Typer app (a group of commands) or a
#: command function. The order is the order of ``xinyong --help``.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "code": ("code_cmd", "app", "Check credit codes."),
    "ingest": (
        "ingest_cmd",
        "ingest_command",
        "Load a file of credit-file records, all or nothing.",
    ),
    "schemes": ("schemes_cmd", "app", "List, show and validate schemes."),
    "score": ("engine_cmd", "score_command", "Score a subject with a full explanation."),
    "lists": ("engine_cmd", "lists_command", "A subject's list entries, with history."),
    "check": ("engine_cmd", "check_command", "Ask a gate: allow, deny or benefit, and why."),
    "gates": ("engine_cmd", "gates_command", "List the gates the memoranda define."),
    "rescore": ("engine_cmd", "rescore_command", "Rescore the whole population into Parquet."),
    "export": ("dataset_cmd", "app", "Export the store's records (Parquet dataset)."),
    "serve": ("serve_cmd", "serve_command", "Serve the API and the public portal over HTTP."),
    "repair": ("repair_cmd", "app", "Credit repair of published records."),
    "state": ("state_cmd", "state_command", "Rebuild or catch up the live state."),
    "ingest-stream": ("state_cmd", "ingest_stream_command", "Ingest records from NATS JetStream."),
    "objections": ("objections_cmd", "app", "File, review, decide and follow objections."),
    "notices": (
        "objections_cmd",
        "notices_command",
        "The notices of adverse changes to a subject.",
    ),
    "spark": ("spark_cmd", "app", "Rescore on Apache Spark."),
    "world": ("world_cmd", "world_app", "Generate and run a synthetic city."),
    "demo": ("world_cmd", "demo_command", "Generate a city, run it, write the report, serve it."),
    "ledger": ("ledger_cmd", "app", "Verify and sign the tamper-evident ledger."),
    "test": ("test_cmd", "cases_command", "Check schemes against golden cases (YAML)."),
    "audit": ("audit_cmd", "audit_command", "Audit schemes and memoranda against legal orders."),
    "study": ("study_cmd", "study_command", "Run a study: variants x seeds, with intervals."),
    "org": ("org_cmd", "org_command", "A company's public credit information."),
}


def load(name: str) -> click.Command:
    """The click command ``name``, its module imported now."""
    module, attribute, help_ = COMMANDS[name]
    target: Any = getattr(importlib.import_module(f"xinyong.drivers.cli.{module}"), attribute)
    if isinstance(target, typer.Typer):
        command: click.Command = typer.main.get_group(target)
        command.help = command.help or help_
    else:
        single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    _one_line_summaries(command)
    return command


def _one_line_summaries(command: click.Command) -> None:
    """A group's list of commands shows each one's first paragraph as one line (a docstring's
    line breaks would otherwise break the row in the middle of a sentence)."""
    for sub in (getattr(command, "commands", None) or {}).values():
        if sub.short_help is None and sub.help:
            sub.short_help = " ".join(sub.help.strip().split("\n\n")[0].split())
        _one_line_summaries(sub)


class LazyGroup(TyperGroup):
    """The root group: commands imported on first use; help lists them from :data:`COMMANDS`."""

    _listing = False
    #: Print the root help rendered at build time (``root_help.txt``, as the fast path in
    #: :mod:`.fast` does) when it fits the terminal; ``False`` renders it now (to regenerate).
    use_stored_help = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, (_, _, help_) in COMMANDS.items():  # stand-ins: names for help and "did you mean"
            self.commands[name] = TyperCommand(name, help=help_)
        self._loaded: set[str] = set()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS or self._listing:
            return super().get_command(ctx, cmd_name)
        if cmd_name not in self._loaded:
            self.commands[cmd_name] = load(cmd_name)
            self._loaded.add(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.use_stored_help and ctx.parent is None and (text := stored_help()) is not None:
            click.echo(text.removesuffix("\n"), nl=False)  # click adds the last newline
            return
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


app = typer.Typer(
    cls=LazyGroup,
    name="xinyong",
    help="xinyong (信用): explainable, contestable social credit schemes, with a synthetic "
    "world to study them.\n\nExample: xinyong demo",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


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
