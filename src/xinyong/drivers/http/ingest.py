"""POST /v1/records: an agency appends records (JSONL), all or nothing, with per-row results."""

from __future__ import annotations

from typing import Annotated

import orjson
import polars as pl
from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from xinyong.drivers.http.context import Services, Svc, require
from xinyong.drivers.http.errors import BadRequest, Forbidden
from xinyong.system.admission import EmptyBatch, NotAuthorised
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1", tags=["ingest"])


def append(svc: Services, who: Principal, body: bytes) -> tuple[bytes, int]:
    """Validate every row, then append the batch; raise with every row error otherwise.
    Returns the answer as JSON bytes (written in one go: a body of 10,000 rows has 10,000
    results) and how many records were inserted."""
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
    rows = (
        done.columns.select("row", "id")
        if done.columns is not None
        else pl.DataFrame(
            {
                "row": pl.Series(done.rows, dtype=pl.Int64),
                "id": pl.Series(done.ids, dtype=pl.String),
            }
        )
    )
    results = rows.with_columns(
        result=pl.Series(done.result.fresh, dtype=pl.Boolean).replace_strict(
            {True: "inserted", False: "duplicate"}, return_dtype=pl.String
        )
    )
    head = orjson.dumps(
        {
            "rows": len(done.rows),
            "inserted": done.result.inserted,
            "duplicates": done.result.duplicates,
        }
    )
    tail = orjson.dumps({"notices_for_subjects": len(done.fresh_subjects)})
    answer = b"".join((head[:-1], b',"results":', results.write_json().encode(), b",", tail[1:]))
    return answer, done.result.inserted


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
        200: {
            "description": "Written: per-row results, in row order",
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["rows", "inserted", "duplicates", "results"],
                        "properties": {
                            "rows": {"type": "integer"},
                            "inserted": {"type": "integer"},
                            "duplicates": {"type": "integer"},
                            "results": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "properties": {
                                        "row": {"type": "integer"},
                                        "id": {"type": "string"},
                                        "result": {"enum": ["inserted", "duplicate"]},
                                    },
                                },
                            },
                            "notices_for_subjects": {"type": "integer"},
                        },
                    }
                }
            },
        },
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
) -> Response:
    """The subjects of the inserted records (``notices_for_subjects``: how many) are sent
    the notices of the adverse changes the records make (listing, score below a gate
    threshold, sanction) right after the response; they read them at
    ``GET /v1/subjects/{code}/notices``."""
    body = await request.body()  # bounded while read (drivers/http/limits.py)
    answer, inserted = await run_in_threadpool(append, svc, who, body)
    if inserted:  # live state and notices after the response
        background.add_task(svc.system.after_ingest, notices=True)
    return Response(answer, media_type="application/json", background=background)
