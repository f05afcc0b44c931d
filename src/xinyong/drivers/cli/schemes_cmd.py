"""``xinyong schemes``: list, show and validate schemes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from xinyong.adapters.audit_io import audit_summary
from xinyong.core.errors import SchemeError
from xinyong.core.timeutil import version_start
from xinyong.drivers.cli.options import JsonOpt, fail, out, print_json
from xinyong.system.schemes_io import all_memoranda, all_presets, load_scheme, load_scheme_file

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_command(as_json: JsonOpt = False) -> None:
    """List the preset schemes.

    Example: xinyong schemes list --json
    """
    rows: list[dict[str, Any]] = [
        {
            "name": s.name,
            "kind": s.kind,
            "title": s.meta.title,
            "versions": [str(v.effective_from) for v in s.versions],
            "lists": sorted({lst.id for v in s.versions for lst in v.lists}),
            "unverified_parameters": len(s.unverified()),
        }
        for s in all_presets().values()
    ]
    if as_json:
        print_json(rows)
        return
    t = Table("name", "kind", "versions", "lists", "unverified", title="Preset schemes")
    for r in rows:
        t.add_row(
            r["name"],
            r["kind"],
            ", ".join(r["versions"]),
            ", ".join(r["lists"]),
            str(r["unverified_parameters"]),
        )
    out.print(t)


@app.command("memoranda")
def memoranda_command(as_json: JsonOpt = False) -> None:
    """List the memoranda: their gates, measures and unverified measures.

    Example: xinyong schemes memoranda --json
    """
    rows: list[dict[str, Any]] = [
        {
            "name": m.name,
            "title": m.meta.title,
            "issued": m.meta.issued.isoformat(),
            "gates": sorted(m.gates),
            "measures": [
                {"id": x.id, "effect": x.effect, "gates": x.gates, "legal_basis": x.legal_basis}
                for x in m.measures
            ],
            "unverified": m.unverified(),
        }
        for m in all_memoranda()
    ]
    if as_json:
        print_json(rows)
        return
    t = Table("name", "issued", "gates", "measures", "unverified", title="Memoranda")
    for r in rows:
        t.add_row(
            r["name"],
            r["issued"],
            str(len(r["gates"])),
            str(len(r["measures"])),
            "\n".join(r["unverified"]) or "-",
        )
    out.print(t)


@app.command("show")
def show_command(
    name: Annotated[str, typer.Argument(help="Preset name or .toml path.")],
    as_json: JsonOpt = False,
) -> None:
    """Print a scheme: a summary, then its TOML as written (with --json: the parsed scheme,
    its unverified parameters and its audit summary).

    Example: xinyong schemes show rongcheng
    """
    try:
        s = load_scheme(name)
    except SchemeError as e:
        fail(str(e))
    audit = audit_summary(name)  # details: xinyong audit NAME
    if as_json:
        data = s.model_dump(mode="json")
        data["unverified_parameters"] = s.unverified()
        data["audit"] = audit
        data["covers"] = s.meta.covers.describe() if s.meta.covers else "every valid subject"
        data["versions_take_effect"] = [version_start(v.effective_from) for v in s.versions]
        print_json(data)
        return
    unverified = s.unverified()
    severities = ", ".join(f"{n} {k}" for k, n in audit["by_severity"].items()) or "none"
    out.print(f"[bold]{s.name}[/]: {s.meta.title} ({s.kind})", highlight=False)
    out.print(f"covers: {s.meta.covers.describe() if s.meta.covers else 'every valid subject'}")
    out.print(
        "versions take effect: " + ", ".join(version_start(v.effective_from) for v in s.versions),
        highlight=False,
    )
    out.print(
        f"unverified parameters: {len(unverified)}; audit findings: {audit['findings']} "
        f"({severities}; details: xinyong audit {name})",
        highlight=False,
    )
    out.print(f"--- {_source(name)}", highlight=False, markup=False)
    out.print(_text(name), highlight=False, markup=False, end="")


def _source(name: str) -> str:
    return name if name.endswith(".toml") else f"src/xinyong/data/schemes/{name}.toml"


def _text(name: str) -> str:
    if name.endswith(".toml"):
        return Path(name).read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("xinyong.data").joinpath("schemes", f"{name}.toml").read_text("utf-8")


@app.command("validate")
def validate_command(files: Annotated[list[Path], typer.Argument(help="Scheme files.")]) -> None:
    """Validate scheme files strictly; exit 1 on the first invalid one.

    Example: xinyong schemes validate my-scheme.toml
    """
    bad = 0
    for f in files:
        try:
            s = load_scheme_file(f)
        except SchemeError as e:
            out.print(f"[red]✗[/] {e}", highlight=False)
            bad += 1
            continue
        out.print(
            f"[green]✓[/] {f}: {s.kind} scheme {s.name!r}, {len(s.versions)} version(s), "
            f"{len(s.unverified())} unverified parameter(s)",
            highlight=False,
        )
    if bad:
        raise typer.Exit(1)
