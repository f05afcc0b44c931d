"""The public portal: server-rendered HTML (search, list status, explanations, objections).

Public role only: published fields, masked identity numbers, no photos. Every status lookup
is logged as a public read.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from xinyong.core.codes import check
from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import iso
from xinyong.drivers.http.context import Services, Svc, access, code
from xinyong.drivers.http.dates import Day, PortalDay
from xinyong.drivers.http.errors import BadRequest, NotFound, _plain, error_body, status_of
from xinyong.drivers.http.lists import list_def, list_page, list_subjects, public_lists
from xinyong.drivers.http.objections import ObjectionIn, log_read, public_view, target_of
from xinyong.drivers.http.public import entry_view, mask, reached_on, shown
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


def _error(exc: XinyongError, day: Day | None = None) -> HTMLResponse:
    status, _ = status_of(exc)
    titles = {404: "Not found", 403: "Not allowed", 422: "Cannot accept this", 409: "Conflict"}
    return _page(
        render(
            "error",
            title=titles.get(status, "Bad request"),
            message=error_body(exc)["message"],
            day=day,
        ),
        status,
    )


def entry_secret(request: Request) -> bytes:
    """This app's key for entry links (made at start-up; links last while the portal runs)."""
    state = request.app.state
    if not hasattr(state, "entry_secret"):
        state.entry_secret = secrets.token_bytes(32)
    got: bytes = state.entry_secret
    return got


def entry_key(secret: bytes, subject: str) -> str:
    """The key of a subject's entry in links: a keyed hash, never the number itself."""
    return hmac.new(secret, subject.encode(), hashlib.sha256).hexdigest()[:24]


def _home(svc: Services, day: Day, lists: list[dict[str, Any]], q: str, message: str | None) -> str:
    return render(
        "home",
        day=day,
        lists=lists,
        q=q,
        message=message,
        report=day.world is not None and day.world.report is not None,
    )


@router.get("/", response_class=HTMLResponse)
def home(svc: Svc, day: PortalDay) -> HTMLResponse:
    return _page(_home(svc, day, public_lists(svc, day.at, sizes=True), "", None))


@router.get("/report", response_class=HTMLResponse)
def report(request: Request) -> Response:
    """The synthetic world's report, for a store the world made (see :mod:`.dates`)."""
    world = getattr(request.app.state, "world", None)
    if world is None or world.report is None:
        raise NotFound(
            "there is no report here: only a store made by the synthetic world has one "
            "(xinyong demo writes it beside the store)"
        )
    return FileResponse(world.report, media_type="text/html")


@router.get("/search", response_class=HTMLResponse)
def search(svc: Svc, day: PortalDay, q: Annotated[str, Query(max_length=100)] = "") -> Response:
    text = q.strip()
    if text and check(text.upper()).valid:
        return RedirectResponse(f"/subject/{quote(text.upper())}{day.query()}", status_code=303)
    lists = public_lists(svc, day.at, sizes=True)
    if about_code := code_message(text):
        return _page(_home(svc, day, lists, "", about_code))
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
    return _page(_home(svc, day, found or lists, text, message))


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


def subject_status(svc: Services, subject: str, at: datetime) -> dict[str, Any]:
    records = svc.store.records_for(subject)
    by_id = {r.id: r for r in records}
    view = svc.engine.view(subject, at)
    entries = []
    for e in view.in_force():
        _, lst = list_def(svc, e.scheme, e.list_id, at)
        if not lst.published_fields or not shown(e, by_id, at):
            continue
        result = view.scores.get(e.scheme)
        reached = reached_on(svc.engine.schemes[e.scheme], e, subject, records, at)
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
                    reached=reached,
                ),
                "record_id": e.cause.get("record_id"),
            }
        )
    return {"code": subject, "masked": mask(subject), "at": iso(at), "entries": entries}


@router.get("/subject/{subject}", response_class=HTMLResponse)
def subject_page(subject: str, svc: Svc, day: PortalDay) -> HTMLResponse:
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
        return _page(render("subject", day=day, **subject_status(svc, wanted, day.at)))
    except XinyongError as e:
        return _error(e)


@router.get("/lists/{scheme}/{list_id}", response_class=HTMLResponse)
def list_html(
    scheme: str,
    list_id: str,
    svc: Svc,
    day: PortalDay,
    request: Request,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> HTMLResponse:
    try:
        got = list_page(svc, scheme, list_id, day.at, page, 50, keep=True)
    except XinyongError as e:
        return _error(e, day)
    secret = entry_secret(request)
    for row in got["entries"]:
        row["link"] = f"/lists/{scheme}/{list_id}/entries/{entry_key(secret, row['_code'])}"
        for k in [k for k in row if k.startswith("_")]:
            del row[k]
    return _page(render("list", page=got, day=day))


@router.get("/lists/{scheme}/{list_id}/entries/{key}", response_class=HTMLResponse)
def entry_html(
    scheme: str, list_id: str, key: str, svc: Svc, day: PortalDay, request: Request
) -> HTMLResponse:
    """One entry of a list, reached from the list page's row: the key stands for the subject
    (a keyed hash, so an identity number never appears in an address)."""
    try:
        _, lst = list_def(svc, scheme, list_id, day.at)
        secret = entry_secret(request)
        for subject in list_subjects(svc, scheme, lst, day.at):
            if entry_key(secret, subject) != key[:64]:
                continue
            status = subject_status(svc, subject, day.at)
            mine = [x for x in status["entries"] if x["scheme"] == scheme and x["list"] == lst.id]
            if mine:
                return _page(
                    render(
                        "entry",
                        day=day,
                        e=mine[0],
                        masked=status["masked"],
                        back=f"/lists/{scheme}/{lst.id}{day.query()}",
                    )
                )
        raise NotFound(
            f"no such entry on the {lst.title} on {day.date}: the entry may have ended, or "
            "the link is from an earlier run of the portal; find it on the list page"
        )
    except XinyongError as e:
        return _error(e, day)


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
