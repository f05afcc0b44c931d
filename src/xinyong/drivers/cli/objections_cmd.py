"""``xinyong objections ...`` and ``xinyong notices SUBJECT``: thin over the objection desk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from xinyong.core.objection_case import Case
from xinyong.core.timeutil import now, parse_instant
from xinyong.core.workdays import china_date
from xinyong.drivers.cli.options import (
    DEFAULT_DB,
    AtOpt,
    DbOpt,
    JsonOpt,
    fail,
    instant,
    out,
    print_json,
    system_for,
)
from xinyong.system.objection_desk import Desk

app = typer.Typer(no_args_is_help=True)

CaseArg = Annotated[str, typer.Argument(help="Objection id, e.g. obj-0123456789abcdef.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who acts (kept in the case history).")]


@contextmanager
def _desk(db: str) -> Iterator[Desk]:
    with system_for(db) as system:
        yield system.desk


def _moment(at: str | None) -> Any:
    return instant(at, "--at") if at is not None else None


def _subject(code: str) -> str:
    from xinyong.core.codes import check

    c = check(code)
    if not c.valid:
        fail(f"subject {code!r} is not a valid credit code: {c.reason}")
    return c.code


def _china_day(instant: str | None) -> str:
    """The local date in China of an ISO instant ("" for none)."""
    return china_date(parse_instant(instant)).isoformat() if instant else ""


def _render(desk: Desk, case: Case, as_json: bool, at: Any = None) -> None:
    data = desk.show(case, at)
    if as_json:
        print_json(data)
        return
    out.print(
        f"[bold]{case.id}[/] {data['status']} · {case.subject} · "
        f"{case.target_kind.replace('_', ' ')} {case.target}",
        highlight=False,
    )
    out.print(f"rule: {data['rule']['title']} ({data['rule']['legal_basis']})", highlight=False)
    t = Table("deadline", "from", "period", "due (China)", "done (China)", "overdue")
    for d in data["deadlines"]:
        t.add_row(
            d["name"],
            d["from"],
            d["period"],
            (d["due"] + (" (provisional)" if d.get("provisional") else ""))
            if d["due"]
            else f"? {d.get('problem', '')}",
            _china_day(d["met_at"])
            or (f"ended {_china_day(d.get('ended_at'))}" if d.get("ended_at") else ""),
            "yes" if d.get("overdue") else "",
        )
    out.print(t)
    for note in dict.fromkeys(d["provisional"] for d in data["deadlines"] if d.get("provisional")):
        out.print(f"  {note}", highlight=False)
    for e in data["history"]:
        rest = {k: v for k, v in e.items() if k not in ("kind", "at", "actor")}
        out.print(
            f"  {e['at']} {e['kind']} by {e['actor']} {json.dumps(rest, ensure_ascii=False)}",
            highlight=False,
            markup=False,
        )


@app.command("file")
def file_command(
    subject: Annotated[str, typer.Argument(help="Credit code of the subject.")],
    reason: Annotated[str, typer.Option("--reason", help="What is wrong and why.")],
    record: Annotated[str | None, typer.Option("--record", help="Id of the wrong record.")] = None,
    list_: Annotated[
        str | None, typer.Option("--list", help="scheme/list the subject is or was on.")
    ] = None,
    by: ByOpt = "subject",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the new case's id (for scripts).")
    ] = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """File an objection to a record or a list entry; prints its id and deadlines.

    Example: xinyong objections file 11010519491231002X --reason "paid in full" --list spc-defaulters/dishonest-defaulters
    """  # noqa: E501
    if (record is None) == (list_ is None):
        fail("give exactly one of --record ID or --list scheme/list")
    code = _subject(subject)
    with _desk(db) as desk:
        if record is not None:
            case = desk.file(code, "record", record, reason, by, at=_moment(at))
        else:
            assert list_ is not None
            case = desk.file(code, "list_entry", list_, reason, by, at=_moment(at))
        if quiet:
            out.print(case.id, highlight=False)
            return
        _render(desk, case, as_json, _moment(at))


@app.command("start-review")
def start_review_command(
    case_id: CaseArg,
    by: ByOpt = "operator",
    note: Annotated[str, typer.Option("--note")] = "",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Start the review of a filed objection.

    Example: xinyong objections start-review obj-0123456789abcdef --by clerk-1
    """
    with _desk(db) as desk:
        _render(desk, desk.start_review(case_id, by, note=note, at=_moment(at)), as_json)


@app.command("decide")
def decide_command(
    case_id: CaseArg,
    reasons: Annotated[str, typer.Option("--reasons", help="Why (stated to the subject).")],
    upheld: Annotated[
        bool, typer.Option("--upheld/--rejected", help="Uphold or reject the objection.")
    ],
    revoke: Annotated[
        str | None, typer.Option("--revoke", help="Upheld: revoke this record (void).")
    ] = None,
    correct: Annotated[
        str | None, typer.Option("--correct", help="Upheld: correct this record ...")
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option("--set", help="... with FIELD=VALUE (JSON value, e.g. amount=0)."),
    ] = None,
    by: ByOpt = "operator",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Decide an objection (or its reconsideration). Upheld: the wrong record is revoked or
    corrected, and scores, lists and gate decisions follow from the decision on.

    Example: xinyong objections decide obj-0123456789abcdef --upheld --revoke rec-17 --reasons "paid before the listing"
    """  # noqa: E501
    remedy: dict[str, Any] | None = None
    if revoke is not None and correct is not None:
        fail("give at most one of --revoke or --correct")
    if revoke is not None:
        remedy = {"action": "revoke", "record": revoke}
    elif correct is not None:
        changes: dict[str, Any] = {}
        for item in set_ or []:
            name, sep, raw = item.partition("=")
            if not sep:
                fail(f"--set {item!r}: write FIELD=VALUE, e.g. amount=0")
            try:
                changes[name.strip()] = json.loads(raw)
            except json.JSONDecodeError:
                changes[name.strip()] = raw
        remedy = {"action": "correct", "record": correct, "changes": changes}
    with _desk(db) as desk:
        case, notices = desk.decide(
            case_id, "upheld" if upheld else "rejected", reasons, by, remedy=remedy, at=_moment(at)
        )
        _render(desk, case, as_json)
        if not as_json:
            for n in notices:
                out.print(f"notice {n.id} ({n.kind}): {n.what}", highlight=False, markup=False)


@app.command("reconsider")
def reconsider_command(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why the rejection is wrong.")],
    by: ByOpt = "subject",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Ask for reconsideration of a rejected objection (within the rule's window).

    Example: xinyong objections reconsider obj-0123456789abcdef --reason "the receipt was ignored"
    """
    with _desk(db) as desk:
        _render(desk, desk.reconsider(case_id, reason, by, at=_moment(at)), as_json)


@app.command("withdraw")
def withdraw_command(
    case_id: CaseArg,
    reason: Annotated[str, typer.Option("--reason", help="Why (optional).")] = "",
    by: ByOpt = "subject",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Withdraw an objection before it is ruled on (filed, under review, or in
    reconsideration); the deciding body's open deadlines end there.

    Example: xinyong objections withdraw obj-0123456789abcdef --reason "settled with the court"
    """
    with _desk(db) as desk:
        _render(desk, desk.withdraw(case_id, by, reason=reason, at=_moment(at)), as_json)


@app.command("close")
def close_command(
    case_id: CaseArg,
    by: ByOpt = "operator",
    note: Annotated[str, typer.Option("--note")] = "",
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Close a decided objection.

    Example: xinyong objections close obj-0123456789abcdef
    """
    with _desk(db) as desk:
        _render(desk, desk.close(case_id, by, note=note, at=_moment(at)), as_json)


@app.command("show")
def show_command(
    case_id: CaseArg, at: AtOpt = None, as_json: JsonOpt = False, db: DbOpt = DEFAULT_DB
) -> None:
    """An objection's state, deadlines (due dates in China time) and history.

    Example: xinyong objections show obj-0123456789abcdef --json
    """
    with _desk(db) as desk:
        _render(desk, desk.case(case_id), as_json, _moment(at))


@app.command("list")
def list_command(
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only cases with an obligation past its deadline.")
    ] = False,
    subject: Annotated[str | None, typer.Option("--subject", help="Only this subject.")] = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Objection cases, or the overdue ones at --at (default now).

    Example: xinyong objections list --overdue --at 2026-03-01
    """
    when = instant(at, "--at") if at else now()
    with _desk(db) as desk:
        late_by_case = {c.id: late for c, late in desk.overdue(when)}
        if overdue:
            rows = desk.overdue(when)
        else:
            rows = [
                (c, late_by_case.get(c.id, []))
                for c in desk.cases(_subject(subject) if subject else None)
            ]
        if subject and overdue:
            rows = [(c, d) for c, d in rows if c.subject == _subject(subject)]
        if as_json:
            print_json(
                [
                    {**desk.show(c, when), "overdue": [d.name for d in late] or None}
                    for c, late in rows
                ]
            )
            return
        if not rows:
            which = "overdue objections" if overdue else "objections"
            about = f" about {_subject(subject)}" if subject else ""
            out.print(f"no {which}{about} at {when.date().isoformat()}", highlight=False)
            return
        t = Table("objection", "status", "subject", "target", "filed", "overdue")
        for c, late in rows:
            t.add_row(
                c.id,
                c.state,
                c.subject,
                c.target,
                c.filed_at.date().isoformat(),
                ", ".join(f"{d.name} (due {d.due})" for d in late),
            )
        out.print(t)


def notices_command(
    subject: Annotated[str, typer.Argument(help="Credit code of the subject.")],
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """The notices of adverse changes sent to a subject: what, why, the term, how to object.

    Example: xinyong notices 11010519491231002X --json
    """
    code = _subject(subject)
    with _desk(db) as desk:
        got = desk.notices_of(code)
    if as_json:
        print_json(got)
        return
    if not got:
        out.print(f"no notices for {code}")
    for n in got:
        out.print(f"[bold]{n['at'][:10]} {n['kind']}[/]: {n['what']}", highlight=False)
        why = n["why"]
        out.print(
            f"  why: records {', '.join(why.get('records') or []) or '-'}; "
            f"basis: {why.get('legal_basis', '')}",
            highlight=False,
            markup=False,
        )
        term = n["term"]
        out.print(
            f"  term: {term.get('term')} (since {term.get('since')}, until {term.get('until')})",
            highlight=False,
            markup=False,
        )
        how = n["how_to_object"]
        if "routes" in how:
            out.print(f"  object: {how['routes'][-1]}", highlight=False, markup=False)
        if how.get("decision_due_if_filed_now"):
            out.print(
                f"  ({how.get('body')} decides within {how.get('decision_within')}; if filed "
                f"now, by {how['decision_due_if_filed_now']})",
                highlight=False,
                markup=False,
            )
