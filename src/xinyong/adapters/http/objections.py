"""POST /v1/objections and GET /v1/objections/{id}: contest a record or a list entry.

An objection names the subject and either a record (``record_id``) or a list
(``list``: ``scheme/list``) the subject is or was on. It is stored (append-only) with status
``filed`` and its deadlines: a decision within 15 days (the SPC rule for the court list of
defaulters, applied to every objection here), a correction within 3 working days of a decision
that upholds it, a reconsideration request within 10 days of receiving the decision.
Subject keys may object only about their own file; the public (no key) may object too.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.adapters.http.auth import Principal, Role
from xinyong.adapters.http.context import Services, Svc, code, require
from xinyong.adapters.http.errors import BadRequest, Forbidden, NotFound
from xinyong.adapters.http.public import mask
from xinyong.core.timeutil import now

router = APIRouter(prefix="/v1/objections", tags=["objections"])

DECISION_DAYS = 15
CORRECTION_WORKING_DAYS = 3
RECONSIDERATION_DAYS = 10


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=40, description="the subject's code")
    record_id: str | None = Field(None, min_length=1, max_length=200)
    list: str | None = Field(
        None,
        min_length=3,
        max_length=200,
        description="scheme/list, e.g. spc-defaulters/dishonest-defaulters",
    )
    reason: str = Field(min_length=1, max_length=4000, description="what is wrong and why")
    contact: str | None = Field(None, max_length=200, description="how to reach the objector")

    @model_validator(mode="after")
    def _one_target(self) -> ObjectionIn:
        if (self.record_id is None) == (self.list is None):
            raise ValueError("give exactly one of record_id (a record) or list (scheme/list)")
        return self


def add_working_days(day: date, n: int) -> date:
    """``n`` working days (Monday to Friday; public holidays not modelled) after ``day``."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def deadlines(filed: datetime, court: bool) -> dict[str, str]:
    decision = filed.date() + timedelta(days=DECISION_DAYS)
    body = "the enforcing court" if court else "the body that made the record or list entry"
    return {
        "decision_by": decision.isoformat(),
        "decision": f"{body} decides within {DECISION_DAYS} days of receiving the objection",
        "correction_by_if_upheld": add_working_days(decision, CORRECTION_WORKING_DAYS).isoformat(),
        "correction": f"if upheld, the entry is corrected within {CORRECTION_WORKING_DAYS} "
        "working days of the decision",
        "reconsideration_by_latest": (decision + timedelta(days=RECONSIDERATION_DAYS)).isoformat(),
        "reconsideration": f"if refused, reconsideration may be requested within "
        f"{RECONSIDERATION_DAYS} days of receiving the decision",
    }


def file_objection(svc: Services, who: Principal, body: ObjectionIn) -> dict[str, Any]:
    subject = code(body.subject)
    if who.role is Role.SUBJECT and who.subject != subject:
        raise Forbidden(f"a subject key may object only about its own file ({who.subject})")
    filed = now()
    if body.record_id is not None:
        rec = svc.store.get(body.record_id.strip())
        if rec is None or rec.subject != subject:
            raise NotFound(
                f"no record {body.record_id!r} of subject {subject}; give the id of a record in "
                "this subject's file (shown in the file and in each list explanation)"
            )
        kind, target, court = "record", rec.id, rec.category.startswith("court.")
    else:
        assert body.list is not None
        scheme, _, list_id = body.list.strip().partition("/")
        if not scheme or not list_id:
            raise BadRequest(f"list {body.list!r} must be written scheme/list")
        view = svc.engine.view(subject, filed)
        if not any(e.scheme == scheme and e.list_id == list_id for e in view.entries):
            raise NotFound(
                f"subject {subject} is not and was not on list {scheme}/{list_id}; object to a "
                "list the subject is or was on, or to a record"
            )
        kind, target, court = "list_entry", f"{scheme}/{list_id}", scheme == "spc-defaulters"
    oid = "obj-" + secrets.token_hex(8)
    svc.journal.file(
        {
            "id": oid,
            "status": "filed",
            "role": who.role.value,
            "filed_by": who.name,
            "subject": subject,
            "target_kind": kind,
            "target": target,
            "reason": body.reason.strip() or body.reason,
            "contact": body.contact,
            "deadlines": deadlines(filed, court),
        }
    )
    got = svc.journal.objection(oid)
    assert got is not None
    return got


Objector = Annotated[Principal, Depends(require(Role.SUBJECT, Role.PUBLIC))]


@router.post("", status_code=201, summary="File an objection (subject or public)")
def post_objection(body: ObjectionIn, svc: Svc, who: Objector) -> dict[str, Any]:
    return file_objection(svc, who, body)


@router.get("/{objection_id}", summary="An objection's status and deadlines")
def get_objection(
    objection_id: Annotated[str, Path(max_length=100)], svc: Svc, who: Objector
) -> dict[str, Any]:
    got = svc.journal.objection(objection_id)
    if got is None or (who.role is Role.SUBJECT and got["subject"] != who.subject):
        raise NotFound(
            f"no objection {objection_id!r}; objection ids look like obj-0123456789abcdef"
        )
    if who.role is Role.PUBLIC:
        got = {k: v for k, v in got.items() if k not in ("filed_by",)}
        got["subject"] = mask(got["subject"])
    return got
