"""``xinyong audit``: the legality and proportionality audit of schemes and memoranda."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from xinyong.adapters.audit_html import render_html
from xinyong.adapters.audit_io import run_audit
from xinyong.core.audit import SEVERITIES, Finding, Profile, at_or_above, summary
from xinyong.core.audit.run import clean_rules
from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import JsonOpt, fail, out, print_json

_COLOUR = {"high": "red", "medium": "yellow", "low": "cyan"}


def audit_command(
    targets: Annotated[
        list[str] | None,
        typer.Argument(help="Preset schemes or memoranda by name, or .toml files."),
    ] = None,
    everything: Annotated[
        bool, typer.Option("--all", help="Audit every preset scheme and memorandum.")
    ] = False,
    profiles: Annotated[
        list[str] | None,
        typer.Option("--profile", help="Profile name or .toml file; repeat; default: all."),
    ] = None,
    as_json: JsonOpt = False,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", help="Exit 1 if a finding is at least this severe."),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write a self-contained HTML page.")
    ] = None,
) -> None:
    """Audit schemes and memoranda against legal orders (EU AI Act, GDPR, FCRA, PRC).

    Example: xinyong audit joint-punishment-2016 --profile eu-ai-act --fail-on high
    """
    if not targets and not everything:
        fail("give a scheme or memorandum (name or .toml file), or --all")
    if fail_on is not None and fail_on not in SEVERITIES:
        fail(f"--fail-on: {fail_on!r} is not a severity; use one of {', '.join(SEVERITIES)}")
    try:
        findings, chosen = run_audit(targets or [], everything, profiles or [])
    except XinyongError as e:
        fail(str(e))
    if html is not None:
        html.write_text(render_html(findings, chosen, targets or ["--all"]), encoding="utf-8")
    if as_json:
        print_json(
            {
                "profiles": [p.name for p in chosen],
                "summary": summary(findings),
                "no_finding_under": clean_rules(findings, chosen),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        _print(findings, chosen)
    if fail_on is not None and at_or_above(findings, fail_on):
        raise typer.Exit(1)


def _print(findings: list[Finding], profiles: list[Profile]) -> None:
    for f in findings:
        h = f.hit
        out.print(
            f"[bold {_COLOUR[f.severity]}]{f.severity.upper():6}[/] "
            + escape(f"{f.profile}.{f.rule}  {h.file}  {h.key}"),
            highlight=False,
        )
        lines = [f"  found:    {h.found}", *(f"  path:     {step}" for step in h.path)]
        lines += [
            f"  why:      {f.why}",
            f"  rests on: {f.article} [{f.confidence}] {f.source} <{f.source_url}>",
            f"  fix:      {f.fix}",
        ]
        for line in lines:
            out.print(line, markup=False, highlight=False)
    s = summary(findings)
    counts = ", ".join(f"{n} {k}" for k, n in s["by_severity"].items())
    names = ", ".join(p.name for p in profiles)
    out.print(f"{s['findings']} finding(s): {counts} (profiles: {names})", highlight=False)
    clean = clean_rules(findings, profiles)
    if clean:
        out.print(f"no finding under: {', '.join(clean)}", highlight=False)
