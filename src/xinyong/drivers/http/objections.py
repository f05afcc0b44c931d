"""Objections: filing (subject or public), the decision workflow (operator), reconsideration.

An objection names the subject and either a record (``record_id``) or a list (``list``:
``scheme/list``) the subject is or was on. Its events are stored append-only; its state and
deadlines are the fold of those events (:mod:`xinyong.core.objection_case`), with the
deadlines of the rule that governs the target, in working days over the PRC calendar where
the rule says working days. An operator starts the review, decides (an upheld objection
corrects or revokes the wrong record, and every score, list entry and gate decision follows)
and closes; the objector may ask for reconsideration of a rejection within the window, and
may withdraw the objection before it is ruled on (a case filed with a subject's key only with
that key).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from xinyong.core.objection_case import Case, NoSuchCase
from xinyong.core.timeutil import now
from xinyong.drivers.http.context import Services, Svc, access, code, instant, require
from xinyong.drivers.http.errors import BadRequest, Forbidden, NotFound
from xinyong.drivers.http.public import mask
from xinyong.drivers.http.public_objections import client_of, file_public, withdraw_public
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1/objections", tags=["objections"])

CaseId = Annotated[str, Path(max_length=100, description="e.g. obj-0123456789abcdef")]


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
        if not self.reason.strip():
            raise ValueError("reason: say what is wrong and why (not only spaces)")
        return self


class RemedyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["revoke", "correct"]
    record: str = Field(min_length=1, max_length=200, description="id of the wrong record")
    changes: dict[str, str | int | float | bool | dict[str, str | int | float | bool]] = Field(
        default_factory=dict,
        description="for correct: corrected fields (category, occurred_at, evidence, amount, "
        "severity, details)",
    )


class ReviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=4000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["upheld", "rejected"]
    reasons: str = Field(min_length=1, max_length=4000)
    remedy: RemedyIn | None = Field(
        None, description="required when upheld: revoke or correct the wrong record"
    )


class ReconsiderationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class ReceiptWithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    receipt: str = Field(min_length=1, max_length=100, description="the receipt given at filing")
    reason: str = Field("", max_length=4000, description="why (optional)")


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=4000, description="why (optional)")


def actor(who: Principal) -> str:
    return f"{who.role.value}:{who.name}"


def public_view(svc: Services, case: Case, who: Principal) -> dict[str, Any]:
    got = svc.desk.show(case)
    if who.role is Role.PUBLIC:
        got.pop("filed_by", None)
        got["history"] = [
            {k: v for k, v in e.items() if k in ("kind", "at")} for e in got["history"]
        ]
        got["subject"] = mask(got["subject"])
    return got


def target_of(body: ObjectionIn) -> tuple[str, str]:
    """The target's kind and id, checked for shape only."""
    if body.record_id is not None:
        return "record", body.record_id.strip()
    assert body.list is not None
    target = body.list.strip()
    if "/" not in target:
        raise BadRequest(f"list {body.list!r} must be written scheme/list")
    return "list_entry", target


def file_objection(svc: Services, who: Principal, body: ObjectionIn) -> dict[str, Any]:
    subject = code(body.subject)
    if who.role is Role.SUBJECT and who.subject != subject:
        raise Forbidden(f"a subject key may object only about its own file ({who.subject})")
    if body.record_id is not None:
        case = svc.desk.file(
            subject, "record", body.record_id.strip(), body.reason, actor(who), contact=body.contact
        )
    else:
        assert body.list is not None
        target = body.list.strip()
        if "/" not in target:
            raise BadRequest(f"list {body.list!r} must be written scheme/list")
        case = svc.desk.file(
            subject, "list_entry", target, body.reason, actor(who), contact=body.contact
        )
    return public_view(svc, case, who)


def _case(svc: Services, case_id: str, who: Principal) -> Case:
    try:
        case = svc.desk.case(case_id)
    except NoSuchCase as e:
        raise NotFound(str(e)) from None
    if who.role is Role.SUBJECT and case.subject != who.subject:
        raise NotFound(f"no objection {case_id!r} about your file ({who.subject})")
    return case


Objector = Annotated[Principal, Depends(require(Role.SUBJECT, Role.PUBLIC))]
Reader = Annotated[Principal, Depends(require(Role.SUBJECT, Role.PUBLIC, Role.OPERATOR))]
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]


@router.post(
    "",
    status_code=201,
    response_model=None,
    summary="File an objection (subject or public)",
    responses={
        202: {
            "description": "public role: a receipt, the same answer whether or not the target "
            "exists (see drivers/http/public_objections.py)"
        }
    },
)
def post_objection(
    body: ObjectionIn, svc: Svc, who: Objector, request: Request
) -> dict[str, Any] | JSONResponse:
    if who.role is Role.PUBLIC:
        subject = code(body.subject)
        kind, target = target_of(body)
        got = file_public(
            svc,
            client_of(request),
            subject,
            kind,
            target,
            body.reason,
            body.contact,
        )
        return JSONResponse(got, status_code=202)
    return file_objection(svc, who, body)


@router.post(
    "/withdrawal",
    status_code=202,
    summary="Withdraw a public objection with its receipt (the same answer whatever happened)",
)
def post_receipt_withdrawal(
    body: ReceiptWithdrawalIn, svc: Svc, request: Request
) -> dict[str, Any]:
    return withdraw_public(svc, client_of(request), body.receipt, body.reason)


@router.get("", summary="Objection cases, or only the overdue ones (operator)")
def list_objections(
    svc: Svc,
    who: Operator,
    overdue: Annotated[bool, Query(description="only cases with a deadline passed")] = False,
    at: Annotated[str | None, Query(description="moment for overdue; default now")] = None,
) -> dict[str, Any]:
    when = instant(at, "at")
    cases = [c for c, _ in svc.desk.overdue(when)] if overdue else svc.desk.cases()
    svc.journal.log_reads(
        who.role.value, who.name, [c.subject for c in cases], "objection list", "objection"
    )
    return {"at": when.isoformat(), "cases": [svc.desk.show(c, when) for c in cases]}


@router.get("/{objection_id}", summary="An objection's status, deadlines and history")
def get_objection(objection_id: CaseId, svc: Svc, who: Reader) -> dict[str, Any]:
    case = _case(svc, objection_id, who)
    log_read(svc, who, case)
    return public_view(svc, case, who)


def log_read(svc: Services, who: Principal, case: Case) -> None:
    svc.journal.log([access(who, case.subject, f"reading objection {case.id}", "objection")])


_REFUSED: dict[int | str, dict[str, Any]] = {
    404: {"description": "no such objection (or not about the subject's own file)"},
    409: {"description": "the case's state does not allow this step (the message says why)"},
}


@router.post("/{objection_id}/review", summary="Start the review (operator)", responses=_REFUSED)
def post_review(objection_id: CaseId, body: ReviewIn, svc: Svc, who: Operator) -> dict[str, Any]:
    _case(svc, objection_id, who)
    return svc.desk.show(svc.desk.start_review(objection_id, actor(who), note=body.note))


@router.post(
    "/{objection_id}/decision",
    summary="Decide: upheld (with the remedy) or rejected (operator)",
    responses={**_REFUSED, 422: {"description": "a remedy that cannot be applied"}},
)
def post_decision(
    objection_id: CaseId, body: DecisionIn, svc: Svc, who: Operator
) -> dict[str, Any]:
    _case(svc, objection_id, who)
    remedy = body.remedy.model_dump() if body.remedy is not None else None
    case, notices = svc.desk.decide(
        objection_id, body.outcome, body.reasons, actor(who), remedy=remedy
    )
    return {**svc.desk.show(case), "notices": [n.to_dict() for n in notices]}


@router.post(
    "/{objection_id}/reconsideration",
    summary="Ask for reconsideration of a rejection (the objector: subject or public)",
    responses={
        **_REFUSED,
        403: {"description": "filed with a subject's key: use that key"},
        422: {"description": "a deadline outside the calendar's years"},
    },
)
def post_reconsideration(
    objection_id: CaseId, body: ReconsiderationIn, svc: Svc, who: Objector
) -> dict[str, Any]:
    _objector(svc, objection_id, who, "ask for reconsideration")
    case = svc.desk.reconsider(objection_id, body.reason, actor(who))
    return public_view(svc, case, who)


def _objector(svc: Services, case_id: str, who: Principal, step: str) -> Case:
    """The case, if ``who`` may take the objector's ``step`` on it: the subject of the case,
    or (for a case filed in the public role, to withdraw it) whoever holds its receipt."""
    case = _case(svc, case_id, who)
    if who.role is Role.PUBLIC and case.filed_by.startswith(f"{Role.SUBJECT.value}:"):
        raise Forbidden(
            f"objection {case_id} was filed with the subject's key; {step} with that key"
        )
    if who.role is Role.PUBLIC and step == "withdraw it":
        raise Forbidden(
            "a public objection is withdrawn with the receipt given at filing: "
            "POST /v1/objections/withdrawal with the receipt"
        )
    return case


def withdraw(svc: Services, case_id: str, who: Principal, reason: str) -> dict[str, Any]:
    """Withdraw the objection in ``who``'s name (see :func:`_objector`)."""
    _objector(svc, case_id, who, "withdraw it")
    return public_view(svc, svc.desk.withdraw(case_id, actor(who), reason=reason), who)


@router.post(
    "/{objection_id}/withdrawal",
    summary="Withdraw an objection before it is ruled on (the objector: subject or public)",
    responses={**_REFUSED, 403: {"description": "filed with a subject's key: use that key"}},
)
def post_withdrawal(
    objection_id: CaseId, body: WithdrawalIn, svc: Svc, who: Objector
) -> dict[str, Any]:
    return withdraw(svc, objection_id, who, body.reason)


@router.post("/{objection_id}/close", summary="Close a decided case (operator)", responses=_REFUSED)
def post_close(objection_id: CaseId, body: ReviewIn, svc: Svc, who: Operator) -> dict[str, Any]:
    _case(svc, objection_id, who)
    return svc.desk.show(svc.desk.close(objection_id, actor(who), note=body.note), now())
