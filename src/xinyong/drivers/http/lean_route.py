"""A FastAPI route documented by its endpoint's signature but served, for well-formed
requests, by a lean handler that skips FastAPI's per-request work.

FastAPI solves an endpoint's dependencies, reads and validates its body and wraps its answer
on every request; for the gates' hot endpoints that costs about as much as the check itself.
:class:`LeanRoute` keeps the endpoint as it is (its signature makes the OpenAPI document, and
it stays correct on its own) and puts a *lean* handler in front: given a request whose body is
JSON of the expected content type that the model accepts, the lean handler does the same work
through the same functions; for anything else (no or another content type, bad JSON, a body
the model refuses) it hands the request to FastAPI's standard handler, so refusals are
FastAPI's own. ``tests/http/test_lean_route.py`` holds both paths to the same answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Lean = Callable[[Request, Handler], Awaitable[Response]]
M = TypeVar("M", bound=BaseModel)

_LEAN: dict[Callable[..., Any], Lean] = {}


class LeanRoute(APIRoute):
    """An :class:`APIRoute` whose endpoint may have a lean handler (:meth:`serve`)."""

    @staticmethod
    def serve(endpoint: Callable[..., Any], lean: Lean) -> None:
        """Serve ``endpoint``'s route through ``lean``, which receives the request and
        FastAPI's standard handler for the requests it leaves to FastAPI (looked up on each
        request, so it may be called after the route is declared)."""
        _LEAN[endpoint] = lean

    def get_route_handler(self) -> Handler:
        standard = super().get_route_handler()
        endpoint = self.endpoint

        async def handler(request: Request) -> Response:
            lean = _LEAN.get(endpoint)
            if lean is None:
                return await standard(request)
            return await lean(request, standard)

        return handler


async def valid_json(request: Request, model: type[M]) -> M | None:
    """The body as ``model`` if it is JSON (``Content-Type: application/json``) that the model
    accepts; ``None`` for anything else, which the standard handler then refuses its way."""
    if request.headers.get("content-type") != "application/json":
        return None
    try:
        return model.model_validate(orjson.loads(await request.body()))
    except (orjson.JSONDecodeError, ValidationError):
        return None
