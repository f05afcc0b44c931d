"""``xinyong repair check|request``: credit repair of a published record.

Thin: builds a :class:`RepairRequest`, calls :func:`xinyong.system.repairs.repair`, prints
the decision. ``check`` only decides; ``request`` also appends the repair record when granted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from xinyong.core.errors import XinyongError
from xinyong.core.repair import RepairDecision, RepairRequest
from xinyong.drivers.cli.engine_cmd import _subject
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
from xinyong.system.credit_system import CreditSystem
from xinyong.system.repairs import RepairTargetError, record_for_entry

app = typer.Typer(no_args_is_help=True)

SubjectArg = Annotated[str, typer.Argument(help="Credit code of the subject.")]
RecordOpt = Annotated[
    str | None, typer.Option("--record", help="Id of the published record to repair.")
]
ListOpt = Annotated[
    str | None,
    typer.Option("--list", help="Or: scheme/list of an entry in force that rests on a record."),
]
FiledOpt = Annotated[
    str | None, typer.Option("--filed-at", help="When the request was filed; default --at.")
]
ObligationsOpt = Annotated[
    str | None,
    typer.Option(
        "--obligations-fulfilled",
        help="Reference to the proof that every obligation is performed (receipt, certificate).",
    ),
]
CommitmentOpt = Annotated[
    str | None, typer.Option("--commitment", help="Text of the written commitment.")
]


def _decide(
    subject: str,
    record: str | None,
    list_ref: str | None,
    at: str | None,
    filed_at: str | None,
    obligations: str | None,
    commitment: str | None,
    db: str,
    write: bool,
) -> tuple[RepairDecision, dict[str, object] | None]:
    code = _subject(subject)
    if (record is None) == (list_ref is None):
        fail("give exactly one of --record ID or --list scheme/list")
    decided = instant(at, "--at")
    filed = instant(filed_at, "--filed-at") if filed_at else decided
    with system_for(db) as system:
        return _decide_on(
            system, code, record, list_ref, decided, filed, obligations, commitment, write
        )


def _decide_on(
    system: CreditSystem,
    code: str,
    record: str | None,
    list_ref: str | None,
    decided: datetime,
    filed: datetime,
    obligations: str | None,
    commitment: str | None,
    write: bool,
) -> tuple[RepairDecision, dict[str, object] | None]:
    try:
        rid = record
        if rid is None:
            assert list_ref is not None
            records = system.store.records_for(code)
            rid = record_for_entry(system.engine.schemes, code, records, list_ref, decided)
        request = RepairRequest(
            code,
            rid,
            filed,
            obligations is not None,
            obligations or "",
            commitment is not None,
            commitment or "",
        )
        decision, rec = system.repair(request, decided, record=write)
    except (RepairTargetError, XinyongError) as e:
        fail(str(e))
    return decision, rec.to_dict() if rec else None


def _show(
    decision: RepairDecision, rec: dict[str, object] | None, as_json: bool, wrote: bool
) -> None:
    if as_json:
        print_json(
            {**decision.to_dict(), "repair_record": rec, "recorded": wrote and rec is not None}
        )
        return
    word = "[bold green]granted[/]" if decision.granted else "[bold red]refused[/]"
    q = decision.request
    out.print(f"repair of {q.record_id} for {q.subject}: {word}", highlight=False)
    for reason in decision.reasons:
        out.print(f"  - {reason}", highlight=False)
    if decision.publication is not None and not decision.granted:
        out.print(decision.publication.explain(decision.decided_at), highlight=False)
    if rec is not None:
        what = "recorded" if wrote else "would be recorded (use 'repair request' to record it)"
        out.print(f"repair record {rec['id']} {what}", highlight=False)


def _run(
    subject: str,
    record: str | None,
    list_ref: str | None,
    at: str | None,
    filed_at: str | None,
    obligations: str | None,
    commitment: str | None,
    db: str,
    as_json: bool,
    write: bool,
) -> None:
    """Decide (and with ``write``, record) the repair, show it; exit 1 when refused."""
    decision, rec = _decide(
        subject, record, list_ref, at, filed_at, obligations, commitment, db, write
    )
    _show(decision, rec, as_json, write)
    if not decision.granted:
        raise typer.Exit(1)


@app.command("check")
def check_command(
    subject: SubjectArg,
    record: RecordOpt = None,
    list_ref: ListOpt = None,
    obligations: ObligationsOpt = None,
    commitment: CommitmentOpt = None,
    filed_at: FiledOpt = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Decide a credit-repair request without recording anything.

    Example: xinyong repair check 91310000MA1FL0XX0X --record p1 --obligations-fulfilled "receipt 2026-118" --commitment "I will comply with the law" --at 2027-05-10
    """  # noqa: E501
    _run(subject, record, list_ref, at, filed_at, obligations, commitment, db, as_json, False)


@app.command("request")
def request_command(
    subject: SubjectArg,
    record: RecordOpt = None,
    list_ref: ListOpt = None,
    obligations: ObligationsOpt = None,
    commitment: CommitmentOpt = None,
    filed_at: FiledOpt = None,
    at: AtOpt = None,
    as_json: JsonOpt = False,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Decide a credit-repair request and, if granted, append the repair record (an expiry of
    the record at the decision; nothing is deleted).

    Example: xinyong repair request 91310000MA1FL0XX0X --record p1 --obligations-fulfilled "receipt 2026-118" --commitment "I will comply with the law"
    """  # noqa: E501
    _run(subject, record, list_ref, at, filed_at, obligations, commitment, db, as_json, True)
