"""The ``xinyong`` console entry point, with a fast path for the commonest quick commands.

``xinyong --version``, ``xinyong --help`` (and bare ``xinyong``) and ``xinyong code check
CODE...`` are answered here without importing Typer, Rich or Pydantic (together about 0.4 s
of start-up); everything else, and any of these with other options, goes to the Typer app in
:mod:`xinyong.drivers.cli.app`. The answers are the same either way: the root help is a text
rendered by Typer at build time (``root_help.txt``, regenerated with
``python -m xinyong.drivers.cli.fast --write-help``) that the Typer app prints too, and a
test holds the file equal to Typer's rendering and both paths to the same output.
Measure with ``python bench/startup.py``.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

HELP_FILE = Path(__file__).with_name("root_help.txt")
#: The width ``root_help.txt`` is rendered at; narrower terminals get Typer's own rendering.
HELP_WIDTH = 80


def help_width() -> int:
    """The width Typer's help (Rich) would render at: ``TERMINAL_WIDTH``, else ``COLUMNS``,
    else the terminal's (of stdin, stdout or stderr, as Rich asks them), else 80."""
    for name in ("TERMINAL_WIDTH", "COLUMNS"):
        value = os.environ.get(name, "")
        if value.isdigit():
            return int(value)
    for fd in (0, 1, 2):
        try:
            return os.get_terminal_size(fd).columns or HELP_WIDTH
        except (AttributeError, ValueError, OSError):
            continue
    return HELP_WIDTH


def stored_help() -> str | None:
    """The root help as rendered at build time, when it fits this terminal (else ``None``:
    let Typer render it for the narrow width)."""
    if help_width() < HELP_WIDTH:
        return None
    try:
        return HELP_FILE.read_text(encoding="utf-8")
    except OSError:
        return None


def check_codes(codes: Sequence[str], allow: frozenset[str] = frozenset()) -> bool:
    """Print one JSON object per code (``xinyong code check``); whether all are valid."""
    from xinyong.core.codes import check

    all_valid = True
    for code in codes:
        result = check(code, allow=allow)
        all_valid = all_valid and result.valid
        sys.stdout.write(json.dumps(result.to_json_dict(), ensure_ascii=False) + "\n")
    return all_valid


def quick(args: Sequence[str]) -> int | None:
    """Answer ``args`` here and return the exit status, or ``None`` for the Typer app."""
    if list(args) == ["--version"]:
        from xinyong import __version__

        sys.stdout.write(f"xinyong {__version__}\n")
        return 0
    if list(args) in ([], ["--help"]):
        text = stored_help()
        if text is None:
            return None
        if args:
            sys.stdout.write(text)
            return 0
        sys.stdout.write(text.removesuffix("\n"))  # as Typer: a usage error, one newline less
        return 2
    if len(args) > 2 and args[0] == "code" and args[1] == "check":
        codes = args[2:]
        if any(c.startswith("-") for c in codes):  # options (and `--`): Typer parses them
            return None
        return 0 if check_codes(codes) else 1
    return None


def main() -> None:
    status = quick(sys.argv[1:])
    if status is None:
        from xinyong.drivers.cli.app import main as typer_main

        typer_main()
        return
    sys.stdout.flush()
    raise SystemExit(status)


def render_help() -> str:
    """The root help as Typer renders it at :data:`HELP_WIDTH` columns, without colour."""
    import subprocess

    probe = (
        "import sys\n"
        "from xinyong.drivers.cli import app\n"
        "app.LazyGroup.use_stored_help = False\n"
        "app.app(['--help'], prog_name='xinyong')\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"COLUMNS", "FORCE_COLOR", "PY_COLORS", "GITHUB_ACTIONS", "TERMINAL_WIDTH"}
    }
    env.update(TERMINAL_WIDTH=str(HELP_WIDTH), NO_COLOR="1", TERM="dumb")
    run = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if run.returncode != 0:
        raise RuntimeError(f"rendering the help failed: {run.stderr[-2000:]}")
    return run.stdout


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-help"]:
        HELP_FILE.write_text(render_help(), encoding="utf-8")
        print(f"wrote {HELP_FILE}")
    else:
        main()
