"""GET /v1/lists/{scheme}/{list}: who is on a list now, showing only its published fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from xinyong.core.errors import did_you_mean
from xinyong.core.schemes.lists import ListDef
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.timeutil import iso, now
from xinyong.core.workdays import china_date, end_of_day
from xinyong.drivers.http.context import Services, Svc, Who, instant
from xinyong.drivers.http.errors import NotFound
from xinyong.system.principals import Role

router = APIRouter(prefix="/v1/lists", tags=["lists"])


def day_of(at: datetime) -> datetime:
    """The start (00:00 China time) of the day in China holding ``at``: the public sees
    each list as it stood at the start of a day, so a list costs one evaluation per day (and
    per change of the store), however many times and moments it is asked for."""
    return end_of_day(china_date(at)) - timedelta(days=1)


def default_at() -> datetime:
    """The start of today in China (see :func:`day_of`)."""
    return day_of(now())


def list_def(svc: Services, scheme: str, list_id: str, at: datetime) -> tuple[AnyScheme, ListDef]:
    s = svc.engine.schemes.get(scheme)
    if s is None:
        raise NotFound(
            f"no scheme {scheme!r}; known schemes: {', '.join(sorted(svc.engine.schemes))}"
        )
    version = s.version_on(at)
    if version is None:
        raise NotFound(f"scheme {scheme!r} has no version in force on {at.date()}")
    lists: list[ListDef] = list(version.lists)
    for lst in lists:
        if lst.id == list_id:
            return s, lst
    known = ", ".join(lst.id for lst in lists) or "none"
    hint = did_you_mean(list_id, [lst.id for lst in lists])
    raise NotFound(
        f"scheme {scheme!r} has no list {list_id!r} on {at.date()}{hint}; its lists: {known}"
    )


def public_lists(svc: Services, at: datetime) -> list[dict[str, str]]:
    """Every list in force at ``at`` that publishes something."""
    out = []
    for name, s in sorted(svc.engine.schemes.items()):
        version = s.version_on(at)
        for lst in [] if version is None else version.lists:
            if lst.published_fields:
                out.append(
                    {"scheme": name, "list": lst.id, "title": lst.title, "polarity": lst.polarity}
                )
    return out


def list_page(
    svc: Services, scheme: str, list_id: str, at: datetime, page: int, size: int
) -> dict[str, Any]:
    _, lst = list_def(svc, scheme, list_id, at)
    body: dict[str, Any] = {
        "scheme": scheme,
        "list": lst.id,
        "title": lst.title,
        "polarity": lst.polarity,
        "legal_basis": lst.legal_basis,
        "published_fields": list(lst.published_fields),
        "at": iso(at),
        "page": page,
        "size": size,
    }
    if not lst.published_fields:
        body.update(
            total=0,
            entries=[],
            note="this list publishes no fields; its entries are not public",
        )
        return body
    rows = svc.lists.rows(scheme, lst.id, at)
    start = (page - 1) * size
    body["total"] = len(rows)
    body["entries"] = [
        {k: v for k, v in r.items() if k != "_code"} for r in rows[start : start + size]
    ]
    return body


@router.get("/{scheme}/{list_id}", summary="Who is on a list, published fields only")
def get_list(
    scheme: str,
    list_id: str,
    svc: Svc,
    who: Who,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=500)] = 50,
    at: Annotated[
        str | None,
        Query(
            description="ISO date or date-time; default now. Without a key, the list as it "
            "stood at the start (00:00 China time) of that day"
        ),
    ] = None,
) -> dict[str, Any]:
    when = instant(at, "at", now())
    if who.role is Role.PUBLIC:
        when = day_of(when)
    return list_page(svc, scheme, list_id, when, page, size)
