"""POST /v1/repairs: a subject asks for credit repair; GET /v1/publications/{code}: what of a
subject's records is published now, and until when.

A repair is decided at once by the rules (:mod:`xinyong.core.repair`): granted (the
publication ends now; an expiry record is appended, nothing is deleted) or refused with
each failing condition named. Both are a 200 answer: a refusal is a decision, not an error.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from xinyong.core.repair import RepairRequest
from xinyong.core.timeutil import iso, now
from xinyong.drivers.http.context import Services, Svc, access, code, instant, require
from xinyong.drivers.http.errors import BadRequest
from xinyong.drivers.http.public import mask
from xinyong.system.principals import PUBLIC, Principal, Role
from xinyong.system.repairs import RepairTargetError, publications, record_for_entry, repair

router = APIRouter(prefix="/v1", tags=["repairs"])


class RepairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    record_id: str | None = Field(None, min_length=1, max_length=200)
    list: str | None = Field(
        None, min_length=3, max_length=200, description="scheme/list of an entry in force"
    )
    obligations_fulfilled: bool = Field(description="every obligation of the decision performed")
    obligations_reference: str = Field("", max_length=500, description="proof: receipt, ...")
    commitment: bool = Field(description="a written commitment to keep the law is given")
    commitment_text: str = Field("", max_length=4000, description="its text (published)")

    @model_validator(mode="after")
    def _one_target(self) -> RepairIn:
        if (self.record_id is None) == (self.list is None):
            raise ValueError("give exactly one of record_id (a record) or list (scheme/list)")
        return self


def file_repair(svc: Services, who: Principal, body: RepairIn) -> dict[str, Any]:
    assert who.subject is not None
    at = now()
    records = svc.store.records_for(who.subject)
    rid = body.record_id
    if rid is None:
        assert body.list is not None
        try:
            rid = record_for_entry(svc.engine.schemes, who.subject, records, body.list, at)
        except RepairTargetError as e:
            raise BadRequest(str(e)) from None
    request = RepairRequest(
        who.subject,
        rid.strip(),
        at,
        body.obligations_fulfilled,
        body.obligations_reference,
        body.commitment,
        body.commitment_text,
    )
    decision, rec = repair(svc.store, request, at, record=True)
    return {**decision.to_dict(), "repair_record": rec.to_dict() if rec else None}


@router.post("/repairs", summary="Ask for credit repair of a record (subject; decided at once)")
async def post_repair(
    body: RepairIn, svc: Svc, who: Annotated[Principal, Depends(require(Role.SUBJECT))]
) -> dict[str, Any]:
    return await run_in_threadpool(file_repair, svc, who, body)


@router.get("/publications/{subject}", summary="A subject's published records (public)")
def get_publications(
    subject: str,
    svc: Svc,
    at: Annotated[str | None, Query(description="ISO date or date-time; default now")] = None,
) -> dict[str, Any]:
    wanted = code(subject)
    when = instant(at, "at")
    svc.journal.log([access(PUBLIC, wanted, "public publication lookup", "publications")])
    pubs = publications(svc.store.records_for(wanted), when)
    return {
        "subject": mask(wanted),
        "at": iso(when),
        "published": [p.to_dict(when) for p in pubs if p.shown(when)],
    }
