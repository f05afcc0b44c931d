"""``xinyong code check``: check resident identity numbers and unified social credit codes.

Thin: reads the optional allow-list file, calls :func:`xinyong.core.codes.check`, prints
one JSON object per line (:func:`xinyong.drivers.cli.fast.check_codes`, which the fast path
for ``xinyong code check CODE...`` calls without Typer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xinyong.core.codes import parse_allow_list
from xinyong.drivers.cli.fast import check_codes
from xinyong.drivers.cli.options import fail

app = typer.Typer(
    help="Check credit codes: resident identity numbers (GB 11643-1999) and unified social "
    "credit codes (GB 32100-2015).\n\n"
    "Example: xinyong code check 11010519491231002X 91110000600037341L",
    no_args_is_help=True,
)


@app.callback()
def code_group() -> None:
    """Check credit codes: resident identity numbers (GB 11643-1999) and unified social
    credit codes (GB 32100-2015).

    Example: xinyong code check 11010519491231002X 91110000600037341L
    """


@app.command("check")
def check_command(
    codes: Annotated[
        list[str],
        typer.Argument(help="One or more codes (18 characters; 15-digit old IDs are reported)."),
    ],
    allow_file: Annotated[
        Path | None,
        typer.Option(
            "--allow-file",
            help="Extra allow-list of known non-conforming pilot USCCs: one code a line, "
            "# starts a comment.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
) -> None:
    """Check codes; print one JSON object per line.

    Each line has code, kind (resident, organisation or null), valid, reason (what is wrong
    and where), then the parsed fields. Exit status 0 when every code is valid, 1 otherwise,
    2 on bad usage.

    Example: xinyong code check 11010519491231002X 91110000600037341L 110105194912310025
    """
    allow: frozenset[str] = frozenset()
    if allow_file is not None:
        try:
            lines = allow_file.read_text(encoding="utf-8").splitlines()
            allow = parse_allow_list(lines, source=str(allow_file))
        except (OSError, UnicodeDecodeError, ValueError) as e:
            fail(f"--allow-file: {e}")
    if not check_codes(codes, allow):
        raise typer.Exit(1)
