"""``xinyong test``: check golden cases against the presets or the operator's own schemes.

Modelled on ``openfisca test``: each case file says what the engine must find for one
subject; the command prints PASS or FAIL per case with every difference (the key path in
the case file, expected and got), a summary, and exits 0 (all pass), 1 (some fail) or 2
(bad input: an unreadable or malformed case, an unknown scheme, a bad scheme file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from xinyong.core.errors import SchemeError
from xinyong.core.schemes.model import AnyScheme
from xinyong.drivers.cli.options import JsonOpt, err, fail, out, print_json
from xinyong.golden import CaseError, CaseOutcome, case_files, load_case, prepare, run_case
from xinyong.system.schemes_io import load_scheme_file, preset

CasesArg = Annotated[
    list[Path],
    typer.Argument(
        help="Case files (YAML) or folders (searched recursively for *.yaml, *.yml).",
        metavar="CASES",
        show_default=False,
    ),
]
SchemeOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--scheme",
        metavar="FILE",
        help="A scheme file (TOML) used instead of the preset of the same name (meta.name) "
        "in every case that names it. Repeat for several.",
    ),
]


def _own_scheme(name_or_path: str) -> AnyScheme:
    if name_or_path.endswith(".toml") or Path(name_or_path).exists():
        return load_scheme_file(Path(name_or_path))
    return preset(name_or_path)


def _summary(outcomes: list[CaseOutcome]) -> dict[str, int]:
    counts = {"cases": len(outcomes), "passed": 0, "failed": 0, "xfailed": 0, "xpassed": 0}
    names = {"PASS": "passed", "FAIL": "failed", "XFAIL": "xfailed", "XPASS": "xpassed"}
    for o in outcomes:
        counts[names[o.status]] += 1
    return counts


def _print(outcomes: list[CaseOutcome], summary: dict[str, int]) -> None:
    for o in outcomes:
        colour = "green" if o.passed else "red"
        out.print(f"[{colour}]{o.status:<5}[/] {escape(o.case.name)}", highlight=False)
        if o.status == "XPASS":
            note = f"      marked xfail ({o.case.xfail}) but the engine now agrees"
            out.print(note, highlight=False, markup=False)
        for f in o.failures if o.status == "FAIL" else []:
            out.print(f"      {f.where}", highlight=False, markup=False)
            for d in f.differences:
                out.print(f"        {d}", highlight=False, markup=False)
    parts = [f"{summary[k]} {k}" for k in ("passed", "failed", "xfailed", "xpassed") if summary[k]]
    out.print(f"{summary['cases']} case(s): {', '.join(parts)}", highlight=False)
    if summary["failed"]:
        out.print("--json gives each failing check with the engine's full explanation")


def cases_command(cases: CasesArg, scheme: SchemeOpt = None, as_json: JsonOpt = False) -> None:
    """Run golden cases: one line per case (PASS or FAIL with the differences), a summary.

    Exit status: 0 if every case passes, 1 if any fails, 2 on bad input.
    See docs/golden-cases.md for the case format.

    Example: xinyong test tests/golden/rongcheng --scheme my-rongcheng.toml
    """
    try:
        own = [(s, _own_scheme(s)) for s in scheme or []]
        files = case_files(cases)
    except (SchemeError, CaseError) as e:
        fail(escape(str(e)))
    prepared, errors = [], []
    for f in files:
        try:
            prepared.append(prepare(load_case(f), [s for _, s in own]))
        except CaseError as e:
            errors.append(str(e))
    for origin, s in own:
        if not errors and not any(p.schemes.get(s.name) is s for p in prepared):
            errors.append(
                f"--scheme {origin}: no case names its scheme {s.name!r} (meta.name); a scheme "
                "file replaces the scheme of the same name in the cases that name it"
            )
    if errors:
        for msg in errors[:-1]:
            err.print(f"[bold red]error:[/] {escape(msg)}", highlight=False)
        fail(escape(errors[-1]))
    outcomes = [run_case(p) for p in prepared]
    summary = _summary(outcomes)
    if as_json:
        doc: dict[str, Any] = {
            "schemes": {s.name: origin for origin, s in own},
            "cases": [o.to_dict() for o in outcomes],
            "summary": summary,
        }
        print_json(doc)
    else:
        _print(outcomes, summary)
    if summary["failed"] or summary["xpassed"]:
        raise typer.Exit(1)
