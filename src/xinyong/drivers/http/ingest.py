"""POST /v1/records: an agency appends records (JSONL), all or nothing, with per-row results."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.concurrency import run_in_threadpool

from xinyong.adapters.state import live_state
from xinyong.core.errors import InvalidRecord
from xinyong.core.records import Record
from xinyong.drivers.http.context import Services, Svc, require
from xinyong.drivers.http.errors import BadRequest, Forbidden
from xinyong.system.ingest import IngestFailed, RowError, append_or_explain, category_error
from xinyong.system.principals import Principal, Role

router = APIRouter(prefix="/v1", tags=["ingest"])

MAX_BYTES = 64 * 1024 * 1024
MAX_ERRORS = 50


def parse(body: bytes) -> tuple[list[Record], list[int], list[RowError]]:
    """Records and their line numbers from a JSONL body, and the rows that are not records."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestFailed(
            [RowError(None, None, f"body is not UTF-8 text ({e.reason}); send UTF-8 JSONL")],
            source="body",
        ) from None
    records: list[Record] = []
    rows: list[int] = []
    errors: list[RowError] = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if len(errors) >= MAX_ERRORS:
            break
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            errors.append(
                RowError(
                    n,
                    None,
                    f"not valid JSON: {e.msg} at column {e.colno}; each line must "
                    "be one JSON object",
                )
            )
            continue
        except RecursionError:
            errors.append(RowError(n, None, "JSON nested too deeply"))
            continue
        if not isinstance(obj, dict):
            errors.append(
                RowError(n, None, f"must be a JSON object {{...}}, got {type(obj).__name__}")
            )
            continue
        try:
            records.append(Record.from_dict(obj, row=n))
            rows.append(n)
        except InvalidRecord as e:
            errors.append(RowError(n, e.field, e.reason))
        except (TypeError, ValueError, OverflowError) as e:
            errors.append(RowError(n, None, f"cannot read this record: {e}"))
    return records, rows, errors


def append(svc: Services, who: Principal, body: bytes) -> tuple[dict[str, Any], list[Record]]:
    """Validate every row, then append the batch; raise with every row error otherwise.
    Returns the response and the records newly inserted."""
    records, rows, errors = parse(body)
    if not records and not errors:
        raise BadRequest("the body holds no records; send one JSON record per line (JSONL)")
    refused = [
        (rows[i], r.category) for i, r in enumerate(records) if not who.may_write(r.category)
    ]
    if refused:
        listed = "; ".join(f"row {n}: {c!r}" for n, c in refused[:10])
        raise Forbidden(
            f"agency {who.name!r} is not authorised to record these categories ({listed}); it "
            f"may record: {', '.join(sorted(who.categories))}; nothing was written"
        )
    for i, r in enumerate(records):
        if r.category not in svc.categories:
            errors.append(RowError(rows[i], "category", category_error(r.category, svc.categories)))
    done = append_or_explain(svc.store, records, errors, rows, source="body", max_errors=MAX_ERRORS)
    results = [
        {"row": rows[i], "id": r.id, "result": "inserted" if new else "duplicate"}
        for i, (r, new) in enumerate(zip(records, done.fresh, strict=True))
    ]
    fresh = [r for r, new in zip(records, done.fresh, strict=True) if new]
    return {
        "rows": len(records),
        "inserted": done.inserted,
        "duplicates": done.duplicates,
        "results": results,
        "notices_for_subjects": len({r.subject for r in fresh}),
    }, fresh


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
    body = await request.body()
    if len(body) > MAX_BYTES:
        raise BadRequest(f"body is {len(body)} bytes; send at most {MAX_BYTES} per request")
    answer, fresh = await run_in_threadpool(append, svc, who, body)
    if fresh:
        live = live_state(svc.store, svc.engine.schemes, svc.engine.memoranda)
        if live is not None:  # the store keeps a live state: bring it up to date
            background.add_task(live.catch_up)
        background.add_task(svc.desk.notices_catch_up)
    return answer
