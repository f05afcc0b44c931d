"""Bounded cost per request, before the routes: body limits enforced while the body is read,
and keyed endpoints refused before their body is read when no usable key is sent.

* a body longer than its endpoint's limit is refused with 413: at once when
  ``Content-Length`` says so, else as soon as the bytes read pass the limit;
* a ``POST`` to an endpoint that needs a key (every ``/v1`` write but filing an objection,
  which the public may do) without ``X-API-Key``, or with a key that is not configured, is
  refused (403 or 401) without reading its body.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from xinyong.core.errors import XinyongError
from xinyong.system.principals import KeyRing

KIB = 1024
MIB = 1024 * KIB

#: (path prefix, limit in bytes), the first that matches wins.
LIMITS: tuple[tuple[str, int], ...] = (
    ("/v1/records", 64 * MIB),
    ("/v1/gates/", 256 * KIB),
)
DEFAULT_LIMIT = 64 * KIB
PUBLIC_STEPS = ("/reconsideration", "/withdrawal")


def public_post(path: str) -> bool:
    """``/v1`` writes the public role may make: filing an objection, and an objector's own
    steps on it (everything else under ``/v1`` needs a key)."""
    return path == "/v1/objections" or (
        path.startswith("/v1/objections/") and path.endswith(PUBLIC_STEPS)
    )


Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]


def limit_of(path: str) -> int:
    for prefix, limit in LIMITS:
        if path.startswith(prefix):
            return limit
    return DEFAULT_LIMIT


class TooLarge(XinyongError):
    """The body passed its limit while it was read (an internal signal)."""


class BoundedRequests:
    """ASGI middleware applying :data:`LIMITS` and the early key check."""

    def __init__(self, app: Any, keys: Callable[[], KeyRing]) -> None:
        self.app = app
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = limit_of(path)
        headers = {k.decode("latin-1").lower(): v for k, v in scope.get("headers", [])}
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, 413, "payload_too_large", _too_large(path, limit))
            return
        refusal = self._key_refusal(scope, path, headers)
        if refusal is not None:
            await _refuse(send, *refusal)
            return
        seen = 0
        over = started = False

        async def bounded_receive() -> Message:
            nonlocal seen, over
            message: Message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    over = True
                    raise TooLarge
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if over:  # whatever the app made of the cut-off body, the answer is 413
                if not started:
                    started = True
                    await _refuse(send, 413, "payload_too_large", _too_large(path, limit))
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, bounded_receive, tracked_send)
        except TooLarge:
            if not started:
                await _refuse(send, 413, "payload_too_large", _too_large(path, limit))

    def _key_refusal(
        self, scope: Scope, path: str, headers: dict[str, bytes]
    ) -> tuple[int, str, str] | None:
        if scope.get("method") != "POST" or not path.startswith("/v1/") or public_post(path):
            return None
        key = headers.get("x-api-key", b"").decode("latin-1")
        if not key:
            return (
                403,
                "forbidden",
                "role 'public' may not do this; it needs a key (send X-API-Key)",
            )
        if self.keys().find(key) is None:
            return (
                401,
                "unauthenticated",
                "X-API-Key is not a configured key; check the key, or send no key to act in "
                "the public role",
            )
        return None


def _too_large(path: str, limit: int) -> str:
    return f"the body of a request to {path} may be at most {limit:,} bytes; send less"


async def _refuse(send: Send, status: int, kind: str, message: str) -> None:
    body = json.dumps({"error": kind, "message": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"X-API-Key"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
