"""One table from exception to HTTP status, and the handlers that apply it.

Every error body is ``{"error": kind, "message": what/where/what would be right}``; an
ingest refusal adds ``"errors"`` (row, field, reason for each bad row) and ``"written": 0``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from xinyong.core.errors import (
    InvalidRecord,
    RecordConflict,
    SchemeError,
    UnknownSubject,
    XinyongError,
)
from xinyong.core.objection_case import NoSuchCase, NoSuchTarget, TransitionRefused
from xinyong.core.objection_remedy import BadRemedy
from xinyong.core.workdays import OutsideCalendar
from xinyong.system.engine import UnknownGate
from xinyong.system.reading import IngestFailed, RowError

log = logging.getLogger("xinyong.http")


class ServiceError(XinyongError):
    """Base of the errors only the service raises."""


class BadRequest(ServiceError):
    """The request is malformed (a missing header, a bad time, a bad body)."""


class Unauthenticated(ServiceError):
    """An X-API-Key was sent but is not a configured key."""


class Forbidden(ServiceError):
    """The caller's role or key may not do this."""

    def __init__(self, message: str, row_errors: Sequence[RowError] = ()) -> None:
        super().__init__(message)
        self.row_errors = list(row_errors)


class NotFound(ServiceError):
    """No such subject, scheme, list, gate or objection."""


class Busy(ServiceError):
    """Too much work is waiting; the caller should come back after ``retry_after`` seconds."""

    retry_after = 5


#: Exception class -> (HTTP status, error kind). The most specific class in the MRO wins.
STATUS: dict[type[BaseException], tuple[int, str]] = {
    IngestFailed: (422, "ingest_refused"),
    TransitionRefused: (409, "transition_refused"),
    BadRemedy: (422, "bad_remedy"),
    OutsideCalendar: (422, "outside_calendar"),
    NoSuchCase: (404, "not_found"),
    NoSuchTarget: (404, "not_found"),
    InvalidRecord: (422, "invalid_record"),
    RecordConflict: (409, "record_conflict"),
    UnknownGate: (404, "unknown_gate"),
    UnknownSubject: (404, "unknown_subject"),
    NotFound: (404, "not_found"),
    Busy: (503, "busy"),
    Forbidden: (403, "forbidden"),
    Unauthenticated: (401, "unauthenticated"),
    BadRequest: (400, "bad_request"),
    SchemeError: (500, "scheme_error"),
    XinyongError: (400, "bad_request"),
}


def status_of(exc: BaseException) -> tuple[int, str]:
    if isinstance(exc, IngestFailed) and exc.errors and all(e.conflict for e in exc.errors):
        return 409, "record_conflict"
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "internal_error"


def error_body(exc: BaseException) -> dict[str, Any]:
    status, kind = status_of(exc)
    body: dict[str, Any] = {"error": kind, "message": str(exc)}
    if isinstance(exc, IngestFailed):
        body["message"] = (
            f"{len(exc.errors)} row error(s), nothing was written; fix the rows listed and "
            "send the whole batch again"
        )
        body["errors"] = [{"row": e.row, "field": e.field, "reason": e.reason} for e in exc.errors]
        body["truncated"] = exc.truncated
        body["written"] = 0
    if isinstance(exc, Forbidden) and exc.row_errors:
        body["errors"] = [
            {"row": e.row, "field": e.field, "reason": e.reason} for e in exc.row_errors
        ]
        body["written"] = 0
    if status == 500:
        body["message"] = "internal error; the request was logged"
    return body


async def _domain(request: Request, exc: Exception) -> JSONResponse:
    status, _ = status_of(exc)
    if status >= 500 and not isinstance(exc, Busy):
        log.exception("error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": "X-API-Key"} if status == 401 else None
    if isinstance(exc, Busy):
        headers = {"Retry-After": str(exc.retry_after)}
    return JSONResponse(error_body(exc), status_code=status, headers=headers)


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "where": ".".join(str(p) for p in e.get("loc", ())),
            "reason": e.get("msg", "invalid"),
        }
        for e in exc.errors()
    ]
    where = "; ".join(f"{e['where']}: {e['reason']}" for e in errors)
    return JSONResponse(
        {
            "error": "invalid_request",
            "message": f"the request is not valid: {where}",
            "errors": errors,
        },
        status_code=422,
    )


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(
        {"error": "http_error", "message": str(exc.detail)},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return JSONResponse(
        {"error": "internal_error", "message": "internal error; the request was logged"},
        status_code=500,
    )


#: Paths answered in JSON; every other path is the portal, answered with HTML pages.
_API = ("/v1", "/openapi.json", "/docs", "/redoc", "/static-offline-docs")
_TITLES = {400: "Bad request", 401: "Who are you?", 403: "Not allowed", 404: "Not found",
           405: "Not allowed", 409: "Conflict", 413: "Too large", 422: "Cannot accept this",
           429: "Too many requests", 503: "Busy"}  # fmt: skip


def _plain(e: Mapping[str, Any]) -> str:
    """A validation error in plain words: which field, and what would be right."""
    field = str(e.get("loc", ("", "value"))[-1])
    ctx = e.get("ctx") or {}
    words = {
        "int_parsing": "must be a whole number",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_too_long": f"is too long (at most {ctx.get('max_length')} characters)",
        "string_too_short": "is missing or too short",
        "missing": "is missing",
    }.get(str(e.get("type")), str(e.get("msg", "is not valid")))
    return f"{field} {words}"


def _portal(handler: Callable[[Request, Exception], Awaitable[Response]]) -> Any:
    """``handler`` for the API; for a portal path, the same status as an HTML page."""

    async def handle(request: Request, exc: Exception) -> Response:
        answer = await handler(request, exc)
        if request.url.path.startswith(_API) or answer.status_code in (500, 502, 504):
            return answer
        from xinyong.drivers.http.templates import render

        if isinstance(exc, RequestValidationError):
            message = "; ".join(_plain(e) for e in exc.errors()) + "."
        elif isinstance(exc, StarletteHTTPException) and exc.status_code == 404:
            message = (
                f"There is no page at {request.url.path[:200]} here; start from the home page."
            )
        else:
            message = json.loads(bytes(answer.body))["message"]
        title = _TITLES.get(answer.status_code, "Bad request")
        html = render("error", title=title, message=message)
        return HTMLResponse(html, status_code=answer.status_code)

    return handle


def install(app: FastAPI) -> None:
    """Register the handlers on ``app`` (HTML pages for the portal's paths)."""
    app.add_exception_handler(XinyongError, _portal(_domain))
    app.add_exception_handler(RequestValidationError, _portal(_validation))
    app.add_exception_handler(StarletteHTTPException, _portal(_http))
    app.add_exception_handler(Exception, _unexpected)
