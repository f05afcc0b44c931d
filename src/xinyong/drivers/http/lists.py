"""GET /v1/lists/{scheme}/{list}: who is on a list now, showing only its published fields."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from xinyong.core.errors import did_you_mean
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.schemes.lists import ListDef
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.timeutil import iso, now
from xinyong.core.workdays import china_date, end_of_day
from xinyong.drivers.http.context import Services, Svc, Who, instant
from xinyong.drivers.http.errors import Busy, NotFound
from xinyong.drivers.http.public import entry_view, reached_on
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


def public_lists(svc: Services, at: datetime, *, sizes: bool = False) -> list[dict[str, Any]]:
    """Every list in force at ``at`` that publishes something (``sizes``: with how many
    entries each has at ``at``, from the day's evaluation, cached like the list pages'; a
    list the workers are too busy to count now has ``size`` ``None``)."""
    out: list[dict[str, Any]] = []
    for name, s in sorted(svc.engine.schemes.items()):
        version = s.version_on(at)
        for lst in [] if version is None else version.lists:
            if lst.published_fields:
                row: dict[str, Any] = {
                    "scheme": name,
                    "list": lst.id,
                    "title": lst.title,
                    "polarity": lst.polarity,
                }
                if sizes:
                    try:
                        row["size"] = len(svc.lists.rows(name, lst.id, at))
                    except Busy:
                        row["size"] = None
                out.append(row)
    return out


def list_subjects(svc: Services, scheme: str, lst: ListDef, at: datetime) -> list[str]:
    """The subjects on ``lst`` at ``at`` (public entries only), in the list's order."""
    return list(dict.fromkeys(r["_code"] for r in svc.lists.rows(scheme, lst.id, at)))


def list_page(
    svc: Services,
    scheme: str,
    list_id: str,
    at: datetime,
    page: int,
    size: int,
    *,
    keep: bool = False,
) -> dict[str, Any]:
    """One page of a list (``keep``: with each row's internal ``_`` keys, for the portal)."""
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
        {k: v for k, v in _with_reached(svc, scheme, lst, r, at).items() if keep or k[0] != "_"}
        for r in rows[start : start + size]
    ]
    return body


def _with_reached(
    svc: Services, scheme: str, lst: ListDef, row: dict[str, Any], at: datetime
) -> dict[str, Any]:
    """A row made by a grade or a score, with the day the subject reached it (computed here
    for the rows of the page only: it scores the subject at each change of its records)."""
    if row.get("_state") not in ("grade", "score"):
        return row
    s = svc.engine.schemes[scheme]
    code = row["_code"]
    records = svc.store.records_for(code)
    view = evaluate_subject({scheme: s}, code, records, at)
    entry = next((e for e in view.in_force() if e.list_id == lst.id), None)
    if entry is None:
        return row
    result = view.scores.get(scheme)
    by_id = {r.id: r for r in records}
    reached = reached_on(s, entry, code, records, at)
    view_ = entry_view(
        lst.published_fields,
        entry,
        code,
        at,
        grade=result.grade if result else None,
        records=by_id,
        reached=reached,
    )
    return {**row, **view_}


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
