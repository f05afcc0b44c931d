"""The HTTP service: ``create_app(store_url)`` builds the FastAPI app over one store.

The store and the service's journal (objections, access log) are opened in the lifespan (or,
under a test client that skips it, on first use) and closed at shutdown.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from xinyong.adapters.store import open_store
from xinyong.core.sanctions import Memorandum
from xinyong.core.scoring.engine import AnyScheme
from xinyong.drivers.http import (
    errors,
    files,
    gates,
    ingest,
    lists,
    notices,
    objections,
    portal,
)
from xinyong.drivers.http import repairs as repairs_http
from xinyong.drivers.http.context import Services
from xinyong.system.catalogue import categories_for
from xinyong.system.engine import Engine
from xinyong.system.objection_desk import Desk
from xinyong.system.principals import KeyRing
from xinyong.system.schemes_io import all_memoranda, all_presets


class _Opener:
    """Opens the services once, on the first call; closes them on :meth:`close`."""

    def __init__(
        self,
        store_url: str,
        keys: KeyRing,
        schemes: dict[str, AnyScheme] | None,
        memoranda: Sequence[Memorandum] | None,
        categories: Collection[str] | None,
    ) -> None:
        self.store_url, self.keys = store_url, keys
        self.schemes, self.memoranda, self.categories = schemes, memoranda, categories
        self.services: Services | None = None
        self._lock = threading.Lock()

    def open(self) -> Services:
        with self._lock:
            if self.services is None:
                store = open_store(self.store_url)
                try:
                    journal = store.journal()
                except BaseException:
                    store.close()
                    raise
                schemes = self.schemes if self.schemes is not None else all_presets()
                engine = Engine(
                    store,
                    schemes,
                    self.memoranda if self.memoranda is not None else all_memoranda(),
                )
                # data minimisation: only categories in the catalogue that a scheme uses
                cats = (
                    frozenset(self.categories)
                    if self.categories is not None
                    else categories_for(schemes)
                )
                desk = Desk(engine, journal)
                desk.start_notices()  # from here on every appended record is news
                self.services = Services(store, engine, journal, self.keys, cats, desk)
            return self.services

    def close(self) -> None:
        with self._lock:
            if self.services is not None:
                self.services.store.close()
                self.services.journal.close()
                self.services = None


def create_app(
    store_url: str,
    *,
    keys: KeyRing | None = None,
    keys_file: Path | None = None,
    schemes: dict[str, AnyScheme] | None = None,
    memoranda: Sequence[Memorandum] | None = None,
    categories: Collection[str] | None = None,
) -> FastAPI:
    """The app over the store at ``store_url`` (a file path or a database URL).

    Keys: ``keys`` if given, else ``keys_file``, else from the environment
    (:meth:`KeyRing.from_env`). Schemes and memoranda default to the presets.
    """
    ring = (
        keys
        if keys is not None
        else (KeyRing.from_file(keys_file) if keys_file is not None else KeyRing.from_env())
    )
    opener = _Opener(store_url, ring, schemes, memoranda, categories)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = opener.open()
        # notices of records appended since the last step: a crash after an ingest's answer
        # and before its notices, or ingests made while the service was down
        await run_in_threadpool(services.desk.notices_catch_up)
        # Everything loaded so far (schemes, memoranda, the ORM, FastAPI's routes) lives as
        # long as the app: keep it out of the collector's full passes, which otherwise stall
        # every request in flight for tens of milliseconds now and then.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            opener.close()

    app = FastAPI(
        title="xinyong",
        version="0.1.0",
        summary="Explainable, contestable credit files, lists and gates (synthetic data only).",
        lifespan=lifespan,
    )
    app.state.opener = opener
    errors.install(app)
    for module in (ingest, files, gates, lists, objections, notices, portal):
        app.include_router(module.router)
    app.include_router(repairs_http.router)
    return app
