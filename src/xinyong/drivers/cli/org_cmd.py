"""``xinyong org CODE``: a company's public credit information (one use case:
:func:`xinyong.system.company.company_file`)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from xinyong.core.errors import XinyongError
from xinyong.drivers.cli.options import (
    DEFAULT_DB,
    AtOpt,
    DbOpt,
    JsonOpt,
    fail,
    moments,
    out,
    print_json,
    system_for,
)
from xinyong.system.company import company_file


def org_command(
    code: Annotated[str, typer.Argument(help="The company's unified social credit code.")],
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """A company's public credit information: published penalties, list entries in force,
    public ratings, each with its basis, term and how to object or repair.

    Example: xinyong org 91310115100000016P --at 2024-06-01 --json
    """
    t, _ = moments(at, None)
    with system_for(db) as system:
        try:
            page = company_file(system, code, t).to_dict()
        except XinyongError as exc:
            fail(str(exc))
    if as_json:
        print_json(page)
        return
    _render(page)


def _render(p: dict[str, Any]) -> None:
    reg = p["registration"]
    out.print(f"{p['code']} at {p['at']}", highlight=False, markup=False)
    region = reg.get("region_name") or reg.get("region") or "?"
    out.print(f"registered in {region}; names are {p['names']}", highlight=False, markup=False)
    out.print(f"\nAdministrative penalties published ({len(p['penalties'])})", markup=False)
    for x in p["penalties"]:
        out.print(
            f"- {x['record_id']} {x['title']} ({x['class']}), decided {x['decided'][:10]} by "
            f"{x['by']}; published until {str(x['published_until'])[:10]}; repair possible "
            f"from {str(x['repair_possible_from'])[:10]}\n  basis: {x['legal_basis']}",
            highlight=False,
            markup=False,
        )
    out.print(f"\nList entries in force ({len(p['list_entries'])})", markup=False)
    for e in p["list_entries"]:
        if e["until"]:
            span = f"until {e['until'][:10]} (term {e['term']})"
        elif e["term"]:
            span = f"until removal (term {e['term']})"
        else:
            span = "while its condition holds"
        out.print(
            f"- {e['title']} ({e['polarity']} list {e['list']}): since {e['since'][:10]}, "
            f"{span}\n  basis: {e['basis']}\n"
            f"  object: {e['how_to_object']['how']} ({e['how_to_object']['body']})",
            highlight=False,
            markup=False,
        )
        cause = e["cause"]
        if cause.get("kind") == "moved":
            out.print(
                f"  cause: on {cause['from_list']} since {cause['on_that_list_since'][:10]} "
                f"(record {cause['record_id']}), still there after {cause['after']}",
                highlight=False,
                markup=False,
            )
        elif cause.get("record_id"):
            out.print(
                f"  cause: record {cause['record_id']} ({cause.get('category')})",
                highlight=False,
                markup=False,
            )
        for way in e["how_to_get_off"]:
            out.print(f"  removal: {way}", highlight=False, markup=False)
    out.print(f"\nPublic ratings ({len(p['ratings'])}; {p['ratings_note']})", markup=False)
    for r in p["ratings"]:
        lists = ", ".join(r["published_by"])
        out.print(
            f"- {r['scheme']}: {r['grade']} (published on {lists})", highlight=False, markup=False
        )
    for scheme, values in p["unverified"].items():
        out.print(f"\nunverified (U) in {scheme}:", highlight=False, markup=False)
        for v in values:
            out.print(f"  {v}", highlight=False, markup=False)
