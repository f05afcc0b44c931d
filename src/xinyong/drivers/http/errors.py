"""One table from exception to HTTP status, and the handlers that apply it.

Every error body is ``{"error": kind, "message": what/where/what would be right}``; an
ingest refusal adds ``"errors"`` (row, field, reason for each bad row) and ``"written": 0``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
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
    if status >= 500:
        log.exception("error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = {"WWW-Authenticate": "X-API-Key"} if status == 401 else None
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


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(XinyongError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
