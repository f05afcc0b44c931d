"""POST /v1/records: an agency appends records (JSONL), all or nothing, with per-row results."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.concurrency import run_in_threadpool

from xinyong.drivers.http.context import Services, Svc, require
from xinyong.drivers.http.errors import BadRequest, Forbidden
from xinyong.system.admission import EmptyBatch, NotAuthorised
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1", tags=["ingest"])


def append(svc: Services, who: Principal, body: bytes) -> dict[str, Any]:
    """Validate every row, then append the batch; raise with every row error otherwise."""
    try:
        done = svc.system.admit(body, by=who)
    except NotAuthorised as e:
        listed = "; ".join(str(x) for x in e.errors[:10])
        raise Forbidden(
            f"agency {who.name!r} may not write {len(e.errors)} row(s) of this batch ({listed}); "
            f"it may record: {', '.join(sorted(who.categories))}, as "
            f"{', '.join(sorted(who.sources))}; nothing was written",
            e.errors,
        ) from None
    except EmptyBatch:
        raise BadRequest(
            "the body holds no records; send one JSON record per line (JSONL)"
        ) from None
    results = [
        {"row": row, "id": rid, "result": "inserted" if new else "duplicate"}
        for row, rid, new in zip(done.rows, done.ids, done.result.fresh, strict=True)
    ]
    return {
        "rows": len(done.rows),
        "inserted": done.result.inserted,
        "duplicates": done.result.duplicates,
        "results": results,
        "notices_for_subjects": len(done.fresh_subjects),
    }


_BODY = {
    "requestBody": {
        "required": True,
        "description": "One JSON record per line (JSONL). The batch is written all or nothing.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


@router.post(
    "/records",
    summary="Append records (agency): all or nothing",
    openapi_extra=_BODY,
    responses={
        403: {"description": "a category the agency may not record"},
        409: {"description": "an id already stored with other content"},
        422: {"description": "row errors; nothing was written"},
    },
)
async def post_records(
    request: Request,
    svc: Svc,
    who: Annotated[Principal, Depends(require(Role.AGENCY))],
    background: BackgroundTasks,
) -> dict[str, Any]:
    """The subjects of the inserted records (``notices_for_subjects``: how many) are sent
    the notices of the adverse changes the records make (listing, score below a gate
    threshold, sanction) right after the response; they read them at
    ``GET /v1/subjects/{code}/notices``."""
    body = await request.body()  # bounded while read (drivers/http/limits.py)
    answer = await run_in_threadpool(append, svc, who, body)
    if answer["inserted"]:  # live state and notices after the response
        background.add_task(svc.system.after_ingest, notices=True)
    return answer
