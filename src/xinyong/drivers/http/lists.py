"""GET /v1/lists/{scheme}/{list}: who is on a list now, showing only its published fields."""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Any

import polars as pl
from fastapi import APIRouter, Query

from xinyong.core.errors import did_you_mean
from xinyong.core.evaluate import evaluate_subject
from xinyong.core.schemes.lists import ListDef
from xinyong.core.scoring.engine import AnyScheme
from xinyong.core.timeutil import iso, now
from xinyong.core.workdays import china_date, end_of_day
from xinyong.drivers.http.context import Services, Svc, Who, instant
from xinyong.drivers.http.errors import NotFound
from xinyong.drivers.http.public import entry_view, mask, reached_on, shown
from xinyong.system.principals import Role

router = APIRouter(prefix="/v1/lists", tags=["lists"])

_cache: OrderedDict[tuple[int, str, str, str, int], list[dict[str, Any]]] = OrderedDict()
_cache_lock = threading.Lock()
_evaluating = threading.Lock()


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
    entries each has at ``at``, the day's evaluation, cached like the list pages')."""
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
                    row["size"] = len(_rows(svc, name, lst, at))
                out.append(row)
    return out


def list_subjects(svc: Services, scheme: str, lst: ListDef, at: datetime) -> list[str]:
    """The subjects on ``lst`` at ``at`` (public entries only), in the list's order."""
    return list(dict.fromkeys(r["_code"] for r in _rows(svc, scheme, lst, at)))


def candidates(svc: Services, scheme: str, lst: ListDef, at: datetime) -> list[str]:
    """Subjects that could be on ``lst`` at ``at``: for entries made by records, those with a
    record of a listing category (one columnar read); for grade and score entries, those the
    batch scorer puts in the grade or range at ``at`` (the batch scorer gives each subject
    exactly what the per-subject one does, so each candidate is then evaluated one by one as
    before, but only the candidates); for anything else, every subject."""
    if not lst.entries and not lst.moved_from:
        return svc.store.subjects()
    found: set[str] = set()
    categories: set[str] = set()
    states: list[Any] = []
    version = svc.engine.schemes[scheme].version_on(at)
    others = {x.id: x for x in (version.lists if version is not None else [])}
    for move in lst.moved_from:  # entries moved from another list: its candidates
        other = others.get(move.list)
        if other is None or other.moved_from:
            return svc.store.subjects()
        found.update(candidates(svc, scheme, other, at))
    for e in lst.entries:
        if e.kind in ("record", "threshold"):
            categories.update(getattr(e, "categories", []))
        elif e.kind in ("grade", "score"):
            states.append(e)
        else:
            return svc.store.subjects()
    if categories:
        frame = svc.store.frame(["subject", "category"])
        hit = frame.filter(pl.col("category").cast(pl.String).is_in(sorted(categories)))
        found.update(hit["subject"].unique().to_list())
    if states:
        scores = _batch_scores(svc, scheme, at)
        for e in states:
            if e.kind == "grade":
                hit = scores.filter(pl.col("grade").is_in(list(e.grades)))
            else:
                cond = pl.col("score").is_not_null()
                if e.at_least is not None:
                    cond &= pl.col("score") >= e.at_least.value
                if e.below is not None:
                    cond &= pl.col("score") < e.below.value
                hit = scores.filter(cond)
            found.update(str(x) for x in hit["subject"].to_list())
    return sorted(found)


_batch: OrderedDict[tuple[int, str, str, int], pl.DataFrame] = OrderedDict()


def _batch_scores(svc: Services, scheme: str, at: datetime) -> pl.DataFrame:
    """Every subject's score and grade under ``scheme`` at ``at`` (batch; cached per store
    state, so a scheme's red and black lists share one run)."""
    from xinyong.adapters.batch import score_population
    from xinyong.core.scoring.engine import NoVersionInForce

    key = (id(svc), scheme, iso(at), svc.store.count())
    with _cache_lock:
        if key in _batch:
            return _batch[key]
    try:
        got = score_population(svc.engine.schemes[scheme], svc.store.frame(), at)
    except NoVersionInForce:
        got = pl.DataFrame(
            {"subject": [], "score": [], "grade": []},
            schema={"subject": pl.String, "score": pl.Int64, "grade": pl.String},
        )
    got = got.select(pl.col("subject").cast(pl.String), "score", "grade")
    with _cache_lock:
        _batch[key] = got
        while len(_batch) > 8:
            _batch.popitem(last=False)
    return got


def _rows(svc: Services, scheme: str, lst: ListDef, at: datetime) -> list[dict[str, Any]]:
    key = (id(svc), scheme, lst.id, iso(at), svc.store.count())
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    with _evaluating:  # one evaluation at a time: the same page asked twice is made once
        with _cache_lock:
            if key in _cache:
                return _cache[key]
        rows = _evaluate(svc, scheme, lst, at)
        with _cache_lock:
            _cache[key] = rows
            while len(_cache) > 16:
                _cache.popitem(last=False)
    return rows


def _evaluate(svc: Services, scheme: str, lst: ListDef, at: datetime) -> list[dict[str, Any]]:
    s = svc.engine.schemes[scheme]
    rows: list[dict[str, Any]] = []
    for subject in candidates(svc, scheme, lst, at):
        records = svc.store.records_for(subject)
        view = evaluate_subject({scheme: s}, subject, records, at)
        by_id = {r.id: r for r in records}
        result = view.scores.get(scheme)
        for e in view.in_force():
            if e.list_id != lst.id or not shown(e, by_id, at):
                continue
            rows.append(
                {
                    "subject": mask(subject),
                    **entry_view(
                        lst.published_fields,
                        e,
                        subject,
                        at,
                        grade=result.grade if result else None,
                        records=by_id,
                    ),
                    "_code": subject,
                    "_state": (e, grade_of(result), by_id)
                    if e.cause.get("kind") in ("grade", "score")
                    else None,
                }
            )
    rows.sort(key=lambda r: (r["since"], r["subject"]))
    return rows


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
    rows = _rows(svc, scheme, lst, at)
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
    """A row made by a grade or a score, with the day the subject reached it (computed for
    the rows of the page only: it scores the subject at each change of its records)."""
    if row.get("_state") is None:
        return row
    entry, grade, by_id = row["_state"]
    s = svc.engine.schemes[scheme]
    reached = reached_on(s, entry, row["_code"], list(by_id.values()), at)
    view = entry_view(
        lst.published_fields, entry, row["_code"], at, grade=grade, records=by_id, reached=reached
    )
    return {**row, **view}


def grade_of(result: Any) -> str | None:
    return None if result is None else result.grade


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
