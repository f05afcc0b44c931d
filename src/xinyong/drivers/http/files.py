"""GET /v1/subjects/{code}: a subject's credit file (records, scores explained, list history).

Only the subject itself may read it, and every read is logged (who, whom, when, why); the
``X-Purpose`` header, saying why the file is read, is required.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query

from xinyong.core.evaluate import view_to_dict
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
    known = instant(known_at, "known_at", when)
    records = svc.store.records_for(subject)
    if not records:
        raise NotFound(f"no records for subject {subject}; nothing is held about this code")
    view = svc.engine.view(subject, when, known)
    lists = view_to_dict(view)
    lists.pop("subject", None)
    return {
        "subject": subject,
        "at": iso(when),
        "known_at": iso(known),
        "records": [r.to_dict() for r in records],
        "scores": {name: r.to_dict() for name, r in view.scores.items()},
        "lists": lists,
        "objections": [svc.desk.show(c) for c in svc.desk.cases(subject)],
        "notices": svc.desk.notices_of(subject),
        "reads": svc.journal.reads_of(subject, limit=50),
    }


@router.get("/{subject}", summary="A subject's credit file (the subject only; logged)")
def get_file(
    subject: str,
    svc: Svc,
    who: Annotated[Principal, Depends(require(Role.SUBJECT))],
    x_purpose: Purpose = None,
    at: Annotated[str | None, Query(description="moment evaluated; default now")] = None,
    known_at: Annotated[str | None, Query(description="what was recorded by then")] = None,
) -> dict[str, Any]:
    wanted = code(subject)
    if who.subject != wanted:
        raise Forbidden(f"a subject key may read only its own file ({who.subject}), not {wanted}")
    why = purpose(x_purpose)
    svc.journal.log([access(who, wanted, why, "credit file")])
    return credit_file(svc, wanted, at, known_at)
