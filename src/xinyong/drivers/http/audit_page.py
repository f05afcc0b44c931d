"""The portal's audit page per preset scheme or memorandum: ``GET /schemes/{name}/audit``,
the same self-contained page as ``xinyong audit NAME --html`` (public; presets only, never a
file path)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from xinyong.adapters.audit_html import render_html
from xinyong.adapters.audit_io import run_audit
from xinyong.system.schemes_io import memorandum_names, preset_names

router = APIRouter(include_in_schema=False)


def audit_html(name: str) -> str | None:
    """The audit page of preset scheme or memorandum ``name``; None if there is none."""
    if name not in preset_names() + memorandum_names():
        return None
    findings, profiles = run_audit([name])
    return render_html(findings, profiles, [name])


@router.get("/schemes/{name}/audit", response_class=HTMLResponse)
async def audit_page(name: str) -> HTMLResponse:
    page = await run_in_threadpool(audit_html, name)
    if page is None:
        known = ", ".join(preset_names() + memorandum_names())
        return HTMLResponse(
            f"<!doctype html><title>Not found</title><p>No preset scheme or memorandum "
            f"of that name. Known: {known}.</p>",
            status_code=404,
        )
    return HTMLResponse(page)
