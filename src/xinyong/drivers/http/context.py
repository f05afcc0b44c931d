"""What every router needs: the services behind the app, who is calling, and small parsers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request

from xinyong.core.timeutil import now, parse_instant
from xinyong.drivers.http.errors import BadRequest, Forbidden, Unauthenticated
from xinyong.drivers.http.list_pages import ListPages
from xinyong.system.credit_system import CreditSystem
from xinyong.system.engine import Engine
from xinyong.system.objection_desk import Desk
from xinyong.system.ports import Access, Backend, JournalPort
from xinyong.system.principals import PUBLIC, KeyRing, Principal, Role


@dataclass
class Services:
    store: Backend
    engine: Engine
    journal: JournalPort
    keys: KeyRing
    categories: frozenset[str]
    desk: Desk
    system: CreditSystem
    lists: ListPages


def open_services(request: Request) -> Services:
    s: Services = request.app.state.opener.open()
    return s


async def services(request: Request) -> Services:
    """The services (a coroutine: FastAPI runs it on the event loop, no thread hop)."""
    return open_services(request)


async def principal(
    request: Request,
    x_api_key: Annotated[
        str | None,
        Header(description="API key; without one the request acts in the public role."),
    ] = None,
) -> Principal:
    if x_api_key is None or x_api_key == "":
        return PUBLIC
    p = open_services(request).keys.find(x_api_key)
    if p is None:
        raise Unauthenticated(
            "X-API-Key is not a configured key; check the key, or send no key to act in the "
            "public role"
        )
    return p


def require(*roles: Role) -> Callable[..., Awaitable[Principal]]:
    """A dependency that lets through only the given roles."""
    names = ", ".join(r.value for r in roles)

    async def check(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role not in roles:
            hint = " (send X-API-Key)" if who.role is Role.PUBLIC else ""
            raise Forbidden(f"role {who.role.value!r} may not do this; allowed: {names}{hint}")
        return who

    return check


Svc = Annotated[Services, Depends(services)]
Who = Annotated[Principal, Depends(principal)]


def instant(value: str | None, field: str, default: datetime | None = None) -> datetime:
    """Parse an ISO date or date-time (UTC when no offset) or raise :class:`BadRequest`."""
    if value is None or value == "":
        return default if default is not None else now()
    try:
        return parse_instant(value)
    except (ValueError, TypeError, OverflowError) as e:
        raise BadRequest(
            f"{field}: {e}; give an ISO date or date-time such as 2024-05-01 or "
            "2024-05-01T08:00:00Z"
        ) from None


def code(value: str) -> str:
    """A subject code as stored (trimmed, upper case), checked for a plausible shape."""
    c = value.strip().upper()
    if not 1 <= len(c) <= 40 or not c.isascii() or not c.isalnum():
        raise BadRequest(
            f"subject code {value[:60]!r} is not a code; give an 18-character resident "
            "identity number or unified social credit code"
        )
    return c


def access(who: Principal, whom: str, why: str, what: str) -> Access:
    return Access(who.role.value, who.name, whom, why, what)
