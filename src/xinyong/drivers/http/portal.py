"""The public portal: server-rendered HTML (search, list status, explanations, objections).

Public role only: published fields, masked identity numbers, no photos. Every status lookup
is logged as a public read.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.core.codes import check
from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import iso
from xinyong.drivers.http.context import Services, Svc, access, code
from xinyong.drivers.http.errors import BadRequest, _plain, error_body, status_of
from xinyong.drivers.http.lists import default_at, list_def, list_page, public_lists
from xinyong.drivers.http.objections import ObjectionIn, log_read, public_view, target_of
from xinyong.drivers.http.public import entry_view, mask, shown
from xinyong.drivers.http.public_objections import (
    RECEIVED,
    client_of,
    file_public,
    withdraw_public,
)
from xinyong.drivers.http.templates import render
from xinyong.system.principals import PUBLIC

router = APIRouter(include_in_schema=False)


def _page(html: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(html, status_code=status)


async def _form(request: Request) -> dict[str, str]:
    """A posted form's fields (the first value of each), decoded leniently."""
    body = (await request.body()).decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body).items()}


def _error(exc: XinyongError) -> HTMLResponse:
    status, _ = status_of(exc)
    titles = {404: "Not found", 403: "Not allowed", 422: "Cannot accept this", 409: "Conflict"}
    return _page(
        render(
            "error", title=titles.get(status, "Bad request"), message=error_body(exc)["message"]
        ),
        status,
    )


@router.get("/", response_class=HTMLResponse)
def home(svc: Svc) -> HTMLResponse:
    return _page(
        render(
            "home",
            as_of=default_at().date().isoformat(),
            lists=public_lists(svc, default_at()),
            q="",
            message=None,
        )
    )


@router.get("/search", response_class=HTMLResponse)
def search(svc: Svc, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    text = q.strip()
    if text and check(text.upper()).valid:
        return RedirectResponse(f"/subject/{quote(text.upper())}", status_code=303)
    if about_code := code_message(text):
        return _page(
            render(
                "home",
                as_of=default_at().date().isoformat(),
                lists=public_lists(svc, default_at()),
                q="",
                message=about_code,
            )
        )
    at = default_at()
    lists = public_lists(svc, at)
    found = [
        lst
        for lst in lists
        if text and (text.lower() in lst["title"].lower() or text.lower() in lst["list"])
    ]
    message = (
        (f"No list matches {text!r}. " if text and not found else "")
        + "xinyong holds no names: records are attributed to codes. Search by a full "
        "18-character code, or by the name of a list."
    )
    return _page(
        render(
            "home",
            as_of=default_at().date().isoformat(),
            lists=found or lists,
            q=text,
            message=message,
        )
    )


def code_message(text: str) -> str | None:
    """What to say when the search text looks like a code but cannot be looked up (never
    repeating an unmasked number), or ``None`` when it does not look like one."""
    compact = text.replace(" ", "").upper()
    if "*" in compact and len(compact) >= 15:
        return (
            "This is a masked number, as the lists show them: the hidden characters are not "
            "published, so it cannot be looked up. Type the full 18-character code, or follow "
            "the entry's link on the list page."
        )
    if len(compact) in (15, 18) and compact.isascii() and compact.isalnum():
        got = check(compact)
        return None if got.valid else f"{mask(compact)} is not a valid code: {got.reason}."
    if len(compact) >= 12 and compact.isascii() and compact.isalnum():
        return (
            f"A code has 18 characters (a first-generation resident number 15); this one has "
            f"{len(compact)}."
        )
    return None


def subject_status(svc: Services, subject: str) -> dict[str, Any]:
    at = default_at()
    records = svc.store.records_for(subject)
    by_id = {r.id: r for r in records}
    view = svc.engine.view(subject, at)
    entries = []
    for e in view.in_force():
        _, lst = list_def(svc, e.scheme, e.list_id, at)
        if not lst.published_fields or not shown(e, by_id, at):
            continue
        result = view.scores.get(e.scheme)
        entries.append(
            {
                "scheme": e.scheme,
                "list": e.list_id,
                "title": e.title,
                "polarity": e.polarity,
                **entry_view(
                    lst.published_fields,
                    e,
                    subject,
                    at,
                    grade=result.grade if result else None,
                    records=by_id,
                ),
                "record_id": e.cause.get("record_id"),
            }
        )
    return {"code": subject, "masked": mask(subject), "at": iso(at), "entries": entries}


@router.get("/subject/{subject}", response_class=HTMLResponse)
def subject_page(subject: str, svc: Svc) -> HTMLResponse:
    try:
        wanted = code(subject)
        if (problem := code_message(wanted)) is not None:
            raise BadRequest(problem)
        if not check(wanted).valid:
            raise BadRequest(
                "This is not a code: a resident identity number or a unified social credit "
                "code has 18 characters (a first-generation resident number 15)."
            )
        svc.journal.log([access(PUBLIC, wanted, "public portal status lookup", "public status")])
        return _page(render("subject", **subject_status(svc, wanted)))
    except XinyongError as e:
        return _error(e)


@router.get("/lists/{scheme}/{list_id}", response_class=HTMLResponse)
def list_html(
    scheme: str, list_id: str, svc: Svc, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1
) -> HTMLResponse:
    try:
        return _page(render("list", page=list_page(svc, scheme, list_id, default_at(), page, 50)))
    except XinyongError as e:
        return _error(e)


@router.post("/objections", response_class=HTMLResponse)
async def objection_form(request: Request, svc: Svc) -> Response:
    form = await _form(request)
    kind, _, target = form.get("target", "").partition(":")
    data: dict[str, Any] = {
        "subject": form.get("subject", ""),
        "reason": form.get("reason", ""),
        "contact": form.get("contact") or None,
    }
    if kind == "record":
        data["record_id"] = target
    else:
        data["list"] = target
    try:
        body = ObjectionIn.model_validate(data)
    except ValidationError as e:
        why = "; ".join(_plain(x) for x in e.errors()) + "."
        return _page(render("error", title="Cannot accept this", message=why), 422)
    try:
        subject = code(body.subject)
        kind, target = target_of(body)
        got = await run_in_threadpool(
            file_public,
            svc,
            client_of(request),
            subject,
            kind,
            target,
            body.reason,
            body.contact,
        )
    except XinyongError as e:
        return _error(e)
    # post-redirect-get: a reload does not post again; the receipt is the objector's secret
    return RedirectResponse(f"/objections/received?receipt={quote(got['receipt'])}", 303)


@router.get("/objections/received", response_class=HTMLResponse)
def received_page(receipt: Annotated[str, Query(max_length=100)] = "") -> HTMLResponse:
    return _page(render("received", receipt=receipt, message=RECEIVED))


@router.post("/objections/withdraw", response_class=HTMLResponse)
async def withdraw_form(request: Request, svc: Svc) -> HTMLResponse:
    form = await _form(request)
    got = await run_in_threadpool(
        withdraw_public,
        svc,
        client_of(request),
        form.get("receipt", "")[:100],
        form.get("reason", "")[:4000],
    )
    return _page(render("withdrawn", message=got["message"]), 202)


@router.get("/objections/{objection_id}", response_class=HTMLResponse)
def objection_page(objection_id: str, svc: Svc) -> HTMLResponse:
    try:
        case = svc.desk.case(objection_id[:100])
    except XinyongError:
        return _page(
            render("error", title="Not found", message=f"no objection {objection_id[:100]!r}"), 404
        )
    log_read(svc, PUBLIC, case)
    return _page(render("objection", o=public_view(svc, case, PUBLIC)))
