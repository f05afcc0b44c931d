"""GET /v1/subjects/{code}: a subject's credit file (records, scores explained, list history).

Only the subject itself may read it, and every read is logged (who, whom, when, why); the
``X-Purpose`` header, saying why the file is read, is required.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query

from xinyong.core.evaluate import view_to_dict
from xinyong.core.records import Record
from xinyong.core.timeutil import iso
from xinyong.drivers.http.context import Services, Svc, access, code, instant, require
from xinyong.drivers.http.errors import BadRequest, Forbidden, NotFound
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1/subjects", tags=["files"])

Purpose = Annotated[
    str | None,
    Header(description="Why the file is read (logged with who, whom and when). Required."),
]


def purpose(value: str | None) -> str:
    why = (value or "").strip()
    if not why:
        raise BadRequest(
            "header X-Purpose is required for a credit-file read: say why you read this file, "
            "e.g. 'X-Purpose: checking my own file'"
        )
    return why[:200]


def credit_file(
    svc: Services, subject: str, at: str | None, known_at: str | None
) -> dict[str, Any]:
    when = instant(at, "at")
    known = None if not known_at else instant(known_at, "known_at")  # None: the latest
    records = svc.store.records_for(subject)
    if not records:
        raise NotFound(f"no records for subject {subject}; nothing is held about this code")
    view = svc.engine.view(subject, when, known)
    lists = view_to_dict(view)
    lists.pop("subject", None)
    return {
        "subject": subject,
        "at": iso(when),
        "known_at": None if known is None else iso(known),
        "records": [_with_acceptance(r) for r in records],
        "scores": {name: r.to_dict() for name, r in view.scores.items()},
        "lists": lists,
        "objections": [svc.desk.show(c) for c in svc.desk.cases(subject)],
        "notices": svc.desk.notices_of(subject),
        "reads": svc.journal.reads_of(subject, limit=50),
    }


def _with_acceptance(r: Record) -> dict[str, Any]:
    """A record as sent, and when the store accepted it (its clock, not the sender's)."""
    accepted = None if r.accepted_at is None else iso(r.accepted_at)
    return {**r.to_dict(), "accepted_at": accepted}


@router.get("/{subject}", summary="A subject's credit file (the subject only; logged)")
def get_file(
    subject: str,
    svc: Svc,
    who: Annotated[Principal, Depends(require(Role.SUBJECT))],
    x_purpose: Purpose = None,
    at: Annotated[str | None, Query(description="moment evaluated; default now")] = None,
    known_at: Annotated[
        str | None,
        Query(
            description="what the store held then (records it had accepted by this moment, "
            "on its clock); default: the latest knowledge"
        ),
    ] = None,
) -> dict[str, Any]:
    wanted = code(subject)
    if who.subject != wanted:
        raise Forbidden(f"a subject key may read only its own file ({who.subject}), not {wanted}")
    why = purpose(x_purpose)
    svc.journal.log([access(who, wanted, why, "credit file")])
    return credit_file(svc, wanted, at, known_at)
