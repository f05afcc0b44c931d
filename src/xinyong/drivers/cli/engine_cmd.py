"""``xinyong score / lists / check / gates / rescore``: the engine over the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from xinyong.core.evaluate import view_to_dict
from xinyong.core.scoring.engine import NoVersionInForce
from xinyong.core.scoring.explanation import GradeDecision, TierDecision
from xinyong.core.scoring.result import ScoreResult
from xinyong.core.timeutil import iso
from xinyong.drivers.cli.options import (
    DEFAULT_DB,
    AtOpt,
    DbOpt,
    JsonOpt,
    KnownAtOpt,
    err,
    fail,
    moments,
    out,
    print_json,
    settings,
    system_for,
)
from xinyong.system.schemes_io import load_scheme

SubjectArg = Annotated[str, typer.Argument(help="Credit code of the subject.")]
SchemeOpt = Annotated[str, typer.Option("--scheme", "-s", help="Preset name or .toml path.")]


def _subject(code: str) -> str:
    from xinyong.core.codes import check

    c = check(code)
    if not c.valid:
        fail(f"subject {code!r} is not a valid credit code: {c.reason}")
    return c.code


def score_command(
    subject: SubjectArg,
    scheme: SchemeOpt,
    at: AtOpt = None,
    known_at: KnownAtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Score a subject with a full explanation.

    Example: xinyong score 11010519491231002X --scheme rongcheng --at 2024-06-01 --json
    """
    code = _subject(subject)
    t, k = moments(at, known_at)
    with system_for(db) as system:
        try:
            result, entries = system.engine.score(code, load_scheme(scheme), t, k)
        except NoVersionInForce as exc:
            fail(str(exc))
    data = result.to_dict()
    data["lists_in_force"] = [e.to_dict() for e in entries if e.in_force(t)]
    if as_json:
        print_json(data)
        return
    _render_score(result)


def _render_score(r: ScoreResult) -> None:
    head = f"{r.subject} under {r.scheme} (version {r.version}) at {iso(r.at)}"
    out.print(f"[bold]{head}[/]", highlight=False)
    if r.score is not None:
        out.print(f"score [bold]{r.score}[/]  grade [bold]{r.grade}[/]", highlight=False)
    elif r.grade is not None:
        out.print(f"tier [bold]{r.grade}[/]", highlight=False)
    if r.not_scored:
        out.print(r.not_scored, highlight=False)
    if r.base is not None:
        out.print(f"base {r.base}")
    t = Table("record", "category", "occurred", "points", "counts until")
    for i in r.items:
        t.add_row(
            i.record_id,
            i.category,
            f"{i.occurred_at:%Y-%m-%d}",
            f"{i.points:+d}",
            f"{i.expires_at:%Y-%m-%d}" if i.expires_at else "",
        )
    if r.items:
        out.print(t)
    for i in r.items:
        out.print(f"  {i.record_id}: {i.rule} [{i.legal_basis}]", highlight=False)
    for a in r.adjustments:
        out.print(f"adjustment {a.points:+d}: {getattr(a, 'rule', '') or a.kind}", highlight=False)
    d = r.decided_by
    if isinstance(d, GradeDecision):
        b = d.band
        floor = f"score >= {b.min}" if b.min is not None else "lowest band"
        out.print(f"grade: band {b.grade} ({floor}, confidence {b.confidence})", highlight=False)
        if d.assigned is not None:
            g = d.assigned
            out.print(
                f"  set to {g.grade} by {g.record_id} ({g.category}) until {iso(g.until)}: "
                f"{g.rule}",
                highlight=False,
            )
        if d.override is not None:
            o = d.override
            out.print(
                f"  capped at {o.max_grade} by {o.record_id} "
                f"({o.category}) until {iso(o.until)}: {o.rule}",
                highlight=False,
            )
    if isinstance(d, TierDecision):
        out.print(f"tier rule: {d.rule}", highlight=False)
    if r.ignored:
        out.print(f"{len(r.ignored)} record(s) not counted; --json says why each one")


def lists_command(
    subject: SubjectArg,
    at: AtOpt = None,
    known_at: KnownAtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """A subject's list entries in force, and their full history.

    Example: xinyong lists 11010519491231002X --json
    """
    code = _subject(subject)
    t, k = moments(at, known_at)
    with system_for(db) as system:
        view = system.view(code, t, k)
    data = view_to_dict(view)
    if as_json:
        print_json(data)
        return
    if not view.entries:
        out.print(f"{code} has never been on a list (as of {t:%Y-%m-%d})", highlight=False)
        return
    table = Table("list", "polarity", "since", "until", "in force", "cause", "basis")
    for e in view.entries:
        table.add_row(
            f"{e.scheme}/{e.list_id}",
            e.polarity,
            f"{e.since:%Y-%m-%d}",
            f"{e.until:%Y-%m-%d}" if e.until else "-",
            "yes" if e.in_force(t) else "no",
            str(e.cause.get("record_id") or e.cause.get("grade") or e.cause.get("kind")),
            e.legal_basis,
        )
    out.print(table)


def check_command(
    gate: Annotated[str, typer.Argument(help="Gate id, e.g. air.ticket (see xinyong gates).")],
    subject: SubjectArg,
    at: AtOpt = None,
    known_at: KnownAtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Answer a gate: allow, deny or benefit, with measure, basis, term and how to object.

    Example: xinyong check air.ticket 11010519491231002X --json
    """
    code = _subject(subject)
    t, k = moments(at, known_at)
    with system_for(db) as system:
        decision = system.check(gate, code, t, k)
    if as_json:
        print_json(decision.to_dict())
        return
    colour = {"deny": "red", "benefit": "green", "allow": "white"}[decision.decision]
    out.print(f"[bold {colour}]{decision.decision.upper()}[/] {gate} for {code}")
    for a in decision.applied:
        d = a.to_dict()
        out.print(f"- {d['title']} ({d['memorandum']}): {d['legal_basis']}", highlight=False)
        if "list_entry" in d:
            e = d["list_entry"]
            out.print(f"  list {e['list']} since {e['since']} until {e['until'] or 'removal'}")
        if "through_role" in d:
            r = d["through_role"]
            out.print(
                f"  entry of {r['unit']}, binding you as {r['role']} (record {r['record_id']}, "
                f"since {r['since']}): {r['rule']}; you are not listed yourself",
                highlight=False,
            )
        if "how_to_object" in d and ("list_entry" in d or "through_role" in d):
            out.print(f"  to object: {d['how_to_object']['how']} ({d['how_to_object']['body']})")


def gates_command(
    as_json: JsonOpt = False,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            envvar="XINYONG_DB",
            help="Store whose system's gates to list (it must exist); default: no store, the "
            "memoranda in force under the settings (XINYONG_MEMORANDA).",
        ),
    ] = None,
) -> None:
    """List the gates the memoranda in force define.

    The gates come from the memoranda, not the records, so no store is needed; with --db
    (as every command that reads a store) the store is opened and must exist.

    Example: xinyong gates --db demo/xinyong.db
    """
    if db is not None:
        with system_for(db) as system:
            gates = system.gates()
    else:
        from xinyong.composition import memoranda_in_force
        from xinyong.core.sanctions import gates_of

        gates = gates_of(memoranda_in_force(settings(DEFAULT_DB)))
    if as_json:
        print_json(gates)
        return
    t = Table("gate", "what")
    for g, what in sorted(gates.items()):
        t.add_row(g, what)
    out.print(t)


def rescore_command(
    scheme: SchemeOpt,
    output: Annotated[
        Path,
        typer.Option(
            "--out", help="Parquet file for the results (with --dataset: a new directory)."
        ),
    ],
    at: AtOpt = None,
    known_at: KnownAtOpt = None,
    db: DbOpt = DEFAULT_DB,
    dataset: Annotated[
        Path | None,
        typer.Option(
            "--dataset",
            help="Rescore a Parquet records dataset bucket by bucket instead of the store "
            "(see xinyong export parquet).",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="With --dataset: worker processes.")
    ] = 1,
) -> None:
    """Rescore the whole population (columnar batch job) into Parquet.

    Example: xinyong rescore --scheme rongcheng --out scores.parquet
    Out of core: xinyong rescore --dataset records-dataset --scheme rongcheng --out scores/
    """
    from xinyong.adapters.batch.score import score_population

    if dataset is not None:
        from xinyong.drivers.cli.dataset_cmd import rescore_dataset_command

        rescore_dataset_command(dataset, scheme, at, known_at, output, workers)
        return
    t, k = moments(at, known_at)
    with system_for(db) as system:
        try:
            frame = system.store.frame()
            result = score_population(load_scheme(scheme), frame, t, k)
        except NoVersionInForce as exc:
            fail(str(exc))
    result.write_parquet(output)
    err.print(f"scored {result.height:,} subjects from {frame.height:,} records -> {output}")
