"""The HTTP service: ``create_app(store_url)`` builds the FastAPI app over one store.

The store and the service's journal (objections, access log) are opened in the lifespan (or,
under a test client that skips it, on first use) and closed at shutdown.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import threading
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.concurrency import run_in_threadpool

from xinyong.composition import keyring, open_system
from xinyong.core.sanctions import Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.drivers.http import (
    audit_page,
    errors,
    files,
    gates,
    ingest,
    lists,
    notices,
    objections,
    org_page,
    portal,
)
from xinyong.drivers.http import repairs as repairs_http
from xinyong.drivers.http.context import Services
from xinyong.drivers.http.dates import world_of
from xinyong.drivers.http.limits import BoundedRequests
from xinyong.drivers.http.list_pages import ListPages
from xinyong.drivers.http.throttle import PublicThrottle
from xinyong.system.principals import KeyRing
from xinyong.system.settings import Settings


class _Opener:
    """Opens the system once, on the first call; closes it on :meth:`close`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.services: Services | None = None
        self._lock = threading.Lock()

    def open(self) -> Services:
        with self._lock:
            if self.services is None:
                system = open_system(self.settings)
                system.desk.start_notices()  # from here on every appended record is news
                cats = system.admission.categories
                self.services = Services(
                    system.store,
                    system.engine,
                    system.desk.journal,
                    system.keys,
                    frozenset(cats) if cats is not None else frozenset(),
                    system.desk,
                    system,
                    ListPages(self.settings, system.store, dict(system.engine.schemes)),
                )
            return self.services

    def close(self) -> None:
        with self._lock:
            if self.services is not None:
                self.services.lists.close()
                self.services.system.close()
                self.services = None


def _warm(app: FastAPI, services: Services) -> None:
    """Evaluate every public list for the portal's default day (cached for the home page)."""
    from xinyong.drivers.http.dates import default_day
    from xinyong.drivers.http.lists import public_lists

    try:
        public_lists(services, default_day(app.state.world), sizes=True)
    except Exception:  # best effort: a stop meanwhile closes the store under it
        logging.getLogger("xinyong.http").debug("warming the list cache failed", exc_info=True)


def create_app(
    store_url: str,
    *,
    keys: KeyRing | None = None,
    keys_file: Path | None = None,
    schemes: dict[str, AnyScheme] | None = None,
    memoranda: Sequence[Memorandum] | None = None,
    categories: Collection[str] | None = None,
    warm: bool = False,
) -> FastAPI:
    """The app over the store at ``store_url`` (a file path or a database URL).

    Keys: ``keys`` if given, else ``keys_file``, else from the environment
    (the settings: ``XINYONG_KEYS_FILE`` or ``XINYONG_API_KEYS``). Schemes and memoranda
    default to the presets. ``warm``: after start-up, count the public lists for the home
    page in the background (on a large store the first visit would otherwise wait for it).
    """
    extra: dict[str, Any] = {}
    for name, value in (
        ("keys", keys),
        ("schemes", schemes),
        ("memoranda", memoranda),
        ("categories", categories),
    ):
        if value is not None:
            extra[name] = value
    # the service always runs on the real clock; no setting or request moves it
    settings = Settings.from_env(db=store_url, keys_file=keys_file).on_real_clock()
    settings = dataclasses.replace(settings, extra=extra)
    if keys is None:
        extra["keys"] = keyring(settings)  # a bad keys file fails here, not at the first request
    opener = _Opener(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = opener.open()
        checker = services.system.admission.checker
        if checker is not None:  # bulk bodies are checked beside the writer from the first
            checker.start()
        # notices of records appended since the last step: a crash after an ingest's answer
        # and before its notices, or ingests made while the service was down
        await run_in_threadpool(services.desk.notices_catch_up)
        # Everything loaded so far (schemes, memoranda, the ORM, FastAPI's routes) lives as
        # long as the app: keep it out of the collector's full passes, which otherwise stall
        # every request in flight for tens of milliseconds now and then.
        gc.collect()
        gc.freeze()
        if warm:
            threading.Thread(target=_warm, args=(app, services), daemon=True).start()
        try:
            yield
        finally:
            opener.close()

    # /docs and /redoc from assets shipped in the fastapi-offline package: they work offline
    app = FastAPIOffline(
        title="xinyong",
        version="0.1.0",
        summary="Explainable, contestable credit files, lists and gates (synthetic data only).",
        lifespan=lifespan,
    )
    app.state.opener = opener
    app.state.world = world_of(store_url)  # a store the synthetic world made: its day, report
    app.add_middleware(BoundedRequests, keys=lambda: opener.open().keys)
    app.add_middleware(PublicThrottle, rate=settings.public_rate)
    errors.install(app)
    for module in (ingest, files, gates, lists, objections, notices, portal, audit_page):
        app.include_router(module.router)
    app.include_router(repairs_http.router)
    app.include_router(org_page.router)
    return app
