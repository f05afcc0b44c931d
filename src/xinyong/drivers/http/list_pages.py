"""Who is on a list at a moment: evaluated in worker processes, apart from the gates.

A list page costs one evaluation of every candidate subject: seconds of CPU on a large store.
Done in the server's process, that holds the interpreter lock and every gate check waits
behind it (p99 in the hundreds of milliseconds while a few clients ask for lists of new
days). So lists are evaluated by :class:`ListPages` in ``list_workers`` processes of their own
(the setting ``XINYONG_LIST_WORKERS``, default 1), started when the first list is asked for,
each with its own connection to the store and at a lower scheduling priority than the
server; the server only waits for the answer.

Bounded cost: the same list at the same moment (and store size) is evaluated once however
many ask at once (single flight), answers are cached (16 pages), and at most
:data:`MAX_PENDING` different evaluations wait at once: beyond that the caller gets
:class:`Busy` (HTTP 503 with ``Retry-After``), so anonymous callers cannot queue unbounded
work. With ``list_workers = 0``, or a store only this process can see (``:memory:``), lists
are evaluated in the server's process, one at a time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from multiprocessing import get_context
from typing import Any

import polars as pl

from xinyong.core.evaluate import evaluate_subject
from xinyong.core.schemes.lists import ListDef
from xinyong.core.scoring.engine import AnyScheme
from xinyong.drivers.http.errors import Busy, NotFound
from xinyong.drivers.http.public import entry_view, mask, shown
from xinyong.system.ports import Backend
from xinyong.system.settings import Settings

#: Different list evaluations that may wait at once; more are refused with 503.
MAX_PENDING = 4
#: Pages kept in the cache.
CACHED = 16
#: Seconds a caller waits for an evaluation before it is told to come back.
WAIT = 120.0

Key = tuple[str, str, str, int]
Rows = list[dict[str, Any]]


def candidates(
    store: Backend, schemes: dict[str, AnyScheme], scheme: str, lst: ListDef, at: datetime
) -> list[str]:
    """Subjects that could be on ``lst`` at ``at``: for entries made by records, those with a
    record of a listing category (one columnar read); for grade and score entries, those the
    batch scorer puts in the grade or range at ``at`` (the batch scorer gives each subject
    exactly what the per-subject one does, so each candidate is then evaluated one by one as
    before, but only the candidates); for anything else, every subject."""
    if not lst.entries and not lst.moved_from:
        return store.subjects()
    found: set[str] = set()
    categories: set[str] = set()
    states: list[Any] = []
    version = schemes[scheme].version_on(at)
    others = {x.id: x for x in (version.lists if version is not None else [])}
    for move in lst.moved_from:  # entries moved from another list: its candidates
        other = others.get(move.list)
        if other is None or other.moved_from:
            return store.subjects()
        found.update(candidates(store, schemes, scheme, other, at))
    for e in lst.entries:
        if e.kind in ("record", "threshold"):
            categories.update(getattr(e, "categories", []))
        elif e.kind in ("grade", "score"):
            states.append(e)
        else:
            return store.subjects()
    if categories:
        frame = store.frame(["subject", "category"])
        hit = frame.filter(pl.col("category").cast(pl.String).is_in(sorted(categories)))
        found.update(hit["subject"].unique().to_list())
    if states:
        scores = _batch_scores(store, schemes, scheme, at)
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
_batch_lock = threading.Lock()


def _batch_scores(
    store: Backend, schemes: dict[str, AnyScheme], scheme: str, at: datetime
) -> pl.DataFrame:
    """Every subject's score and grade under ``scheme`` at ``at`` (batch; cached per store
    state, so a scheme's red and black lists share one run)."""
    from xinyong.adapters.batch import score_population
    from xinyong.core.scoring.engine import NoVersionInForce

    key = (id(store), scheme, at.isoformat(), store.count())
    with _batch_lock:
        if key in _batch:
            return _batch[key]
    try:
        got = score_population(schemes[scheme], store.frame(), at)
    except NoVersionInForce:
        got = pl.DataFrame(
            {"subject": [], "score": [], "grade": []},
            schema={"subject": pl.String, "score": pl.Int64, "grade": pl.String},
        )
    got = got.select(pl.col("subject").cast(pl.String), "score", "grade")
    with _batch_lock:
        _batch[key] = got
        while len(_batch) > 8:
            _batch.popitem(last=False)
    return got


def evaluate(store: Backend, schemes: dict[str, AnyScheme], scheme: str, list_id: str,
             at: datetime) -> Rows:  # fmt: skip
    """The rows of list ``list_id`` of ``scheme`` at ``at``: published fields only, subjects
    masked, the full code kept under ``_code`` for the server's own links."""
    s = schemes[scheme]
    version = s.version_on(at)
    lst = next((x for x in (version.lists if version else ()) if x.id == list_id), None)
    if lst is None:  # the scheme changed between the server's check and this evaluation
        raise NotFound(f"scheme {scheme!r} has no list {list_id!r} on {at.date()}")
    rows: Rows = []
    for subject in candidates(store, schemes, scheme, lst, at):
        records = store.records_for(subject)
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
                    "_state": e.cause.get("kind"),  # grade/score: the page adds when reached
                }
            )
    rows.sort(key=lambda r: (r["since"], r["subject"]))
    return rows


# --- the worker process --------------------------------------------------------------------

_reader: tuple[Backend, dict[str, AnyScheme]] | None = None


def _start_worker(settings: Settings) -> None:
    """In a worker: lower priority than the server, and open the store for reading."""
    global _reader
    with contextlib.suppress(OSError):  # not allowed here: run at the server's priority
        os.nice(10)
    from xinyong.composition import open_reader

    _reader = open_reader(settings)


def _evaluate_in_worker(scheme: str, list_id: str, at: datetime) -> Rows:
    assert _reader is not None, "worker not started"
    store, schemes = _reader
    return evaluate(store, schemes, scheme, list_id, at)


# --- the server's side ----------------------------------------------------------------------


def _shareable(settings: Settings) -> dict[str, Any]:
    """What a worker needs of ``extra``: ready-made schemes, not keys or other objects."""
    return {k: v for k, v in settings.extra.items() if k == "schemes"}


class ListPages:
    """Evaluates list pages for one server: cache, single flight, bound, worker processes."""

    def __init__(self, settings: Settings, store: Backend, schemes: dict[str, AnyScheme]) -> None:
        self.store, self.schemes = store, schemes
        self.workers = settings.list_workers if settings.db not in ("", ":memory:") else 0
        # what a spawned worker is handed must pickle: no keys or other live objects
        self._settings = dataclasses.replace(settings, extra=_shareable(settings))
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._inline = threading.Lock()  # without workers: one evaluation at a time
        self._cache: OrderedDict[Key, Rows] = OrderedDict()
        self._pending: dict[Key, Future[Rows]] = {}

    def rows(self, scheme: str, list_id: str, at: datetime) -> Rows:
        """The list's rows at ``at`` (see the module's docstring for what bounds the cost)."""
        key: Key = (scheme, list_id, at.isoformat(), self.store.count())
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            future = self._pending.get(key)
            mine = future is None
            if future is None:
                if len(self._pending) >= MAX_PENDING:
                    raise Busy(
                        f"{MAX_PENDING} list evaluations are already waiting; ask again in "
                        f"{Busy.retry_after} seconds (pages already made are answered at once)"
                    )
                future = Future()
                self._pending[key] = future
                future.add_done_callback(lambda f: self._settle(key, f))
        if mine:
            self._run(future, scheme, list_id, at)
        try:
            return future.result(timeout=WAIT)
        except TimeoutError:
            wait = Busy.retry_after
            raise Busy(f"the list is still being made; ask again in {wait} seconds") from None
        except BrokenProcessPool:
            raise Busy("the list worker stopped; ask again") from None

    def worker_pids(self) -> list[int]:
        """The worker processes running now (none before the first list, or without workers)."""
        with self._lock:
            pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return sorted(processes)

    def _run(self, future: Future[Rows], scheme: str, list_id: str, at: datetime) -> None:
        """Make the rows into ``future``: here (one at a time) or in a worker."""
        if self.workers == 0:
            with self._inline:
                try:
                    future.set_result(evaluate(self.store, self.schemes, scheme, list_id, at))
                except BaseException as e:
                    future.set_exception(e)
            return
        try:
            with self._lock:
                if self._pool is None:
                    self._pool = ProcessPoolExecutor(
                        self.workers,
                        mp_context=get_context("spawn"),
                        initializer=_start_worker,
                        initargs=(self._settings,),
                    )
                pool = self._pool
            done = pool.submit(_evaluate_in_worker, scheme, list_id, at)
        except BrokenProcessPool as e:
            self._forget(pool)
            future.set_exception(e)
            return
        except Exception as e:  # shut down meanwhile, or no process could start: say so
            future.set_exception(e)  # (and free the page's place among those waiting)
            return
        done.add_done_callback(lambda d: self._copy(d, future, pool))

    def _copy(self, done: Future[Rows], future: Future[Rows], pool: ProcessPoolExecutor) -> None:
        error = done.exception()
        if error is None:
            future.set_result(done.result())
            return
        if isinstance(error, BrokenProcessPool):
            self._forget(pool)  # a worker died: the next list starts a new pool
        future.set_exception(error)

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def _settle(self, key: Key, future: Future[Rows]) -> None:
        with self._lock:
            self._pending.pop(key, None)
            if future.exception() is not None:
                return
            self._cache[key] = future.result()
            while len(self._cache) > CACHED:
                self._cache.popitem(last=False)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
