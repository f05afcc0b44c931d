"""One admission path for every way records arrive: a file, an HTTP body, a stream message,
or ready-made records from code.

A batch is parsed (:mod:`xinyong.system.reading`), then :meth:`Admission.admit` runs the same
steps whoever sent it: authorise (an agency writes only its categories), data minimisation
(the category is catalogued and a configured scheme uses it; the record names its legal
basis), the store's rules (conflicts, references: a dry run only when the batch is refused),
the append (one transaction, all or nothing). After the commit, :meth:`Admission.after_commit`
brings the live state up to date and, when asked, sends the notices of adverse changes.
A refused batch raises :class:`~xinyong.system.reading.IngestFailed` with every row error, and
nothing is written.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Callable, Collection, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from time import perf_counter
from typing import cast

import polars as pl

from xinyong.core.errors import InvalidRecord, RecordConflict
from xinyong.core.minimisation import (
    NO_LEGAL_BASIS,
    Admissible,
    has_legal_basis,
    unused_category_error,
)
from xinyong.core.notices import Notice
from xinyong.core.record_fields import future_problem
from xinyong.core.records import Record
from xinyong.core.timeutil import now
from xinyong.system import columnar
from xinyong.system.clock import FUTURE_TOLERANCE, Clock
from xinyong.system.columnar_worker import CheckWorker, local_chunks
from xinyong.system.principals import Principal
from xinyong.system.reading import IngestFailed, IngestReport, Parsed, RowError, parse_file
from xinyong.system.record_store import AppendResult, RecordStore

MAX_ERRORS = 50


class NotAuthorised(IngestFailed):
    """Rows the sending agency may not write (a category or source not its own, an
    amendment of another agency's record); nothing was written."""


class EmptyBatch(IngestFailed):
    """The input holds no records at all."""


def category_error(category: str, known: Collection[str]) -> str:
    """Why ``category`` is refused, with the closest known categories as suggestions.

    When ``known`` is :class:`Admissible` (the catalogue narrowed to the categories the
    configured schemes use), a catalogued category no scheme uses is refused for data
    minimisation, and the message says so.
    """
    if isinstance(known, Admissible) and category in known.catalogued:
        return unused_category_error(category, known.schemes)
    close = difflib.get_close_matches(category, list(known), n=3, cutoff=0.6)
    if not close:  # a family name alone, e.g. "tax" for "tax.arrears"
        close = sorted(k for k in known if k.startswith(category + "."))[:3]
    if close:
        hint = "did you mean " + " or ".join(map(repr, close)) + "?"
    elif len(known) <= 30:
        hint = "known categories: " + ", ".join(sorted(known))
    else:
        hint = "see the catalogue for the known categories"
    return f"unknown category {category!r}; {hint}"


def _named(source: str) -> str:
    return f"the {source}" if source in ("body", "message", "records") else source


def not_authorised(who: Principal, category: str) -> str:
    return (
        f"agency {who.name!r} is not authorised to record {category!r}; it may record: "
        f"{', '.join(sorted(who.categories))}"
    )


OPERATOR = "operator:local"
"""The writer of records appended without a key: the operator (file ingest without ``--as``,
objection and repair decisions, the synthetic world)."""


def writer_of(who: Principal | None) -> str:
    """The provenance stamped on records ``who`` writes: ``role:name``."""
    return OPERATOR if who is None else f"{who.role.value}:{who.name}"


def not_their_source(who: Principal, source: str) -> str:
    return (
        f"agency {who.name!r} may not write records in the name of source {source!r}; its "
        f"sources: {', '.join(sorted(who.sources))} (a key's 'sources' setting)"
    )


@dataclass(frozen=True, slots=True)
class Admitted:
    """A committed batch: the store's answer, and the records with their rows (the
    columnar path keeps no records: their ids and subjects instead)."""

    result: AppendResult
    records: Sequence[Record]
    rows: Sequence[int]
    elapsed: float
    columns: pl.DataFrame | None = None
    """``row``, ``id`` and ``subject`` of every row, when admitted by the columnar path
    (kept as columns: a list of ten million ids would take gigabytes)."""

    @property
    def ids(self) -> Sequence[str]:
        """The id of each row's record, in row order."""
        if self.columns is not None:
            return self.columns.get_column("id").to_list()
        return [r.id for r in self.records]

    @property
    def fresh(self) -> list[Record]:
        """The records this batch inserted (the others were stored already); the
        columnar path keeps none (see :attr:`fresh_subjects`)."""
        return [r for r, new in zip(self.records, self.result.fresh, strict=True) if new]

    @property
    def fresh_subjects(self) -> set[str]:
        """The subjects of the records this batch inserted."""
        if self.columns is not None:
            fresh = pl.Series(self.result.fresh, dtype=pl.Boolean)
            return set(self.columns.get_column("subject").filter(fresh).unique().to_list())
        return {r.subject for r, new in zip(self.records, self.result.fresh, strict=True) if new}


@dataclass(frozen=True, slots=True)
class AfterCommit:
    """What followed a commit: the notices sent, and how many subjects the live state
    re-evaluated (``None``: the store keeps no live state)."""

    notices: list[Notice]
    live_subjects: int | None


@dataclass
class Admission:
    """The admission steps over one store, for the configured categories.

    ``categories``: what may be recorded (``None``: no catalogue check, for stores run
    without one); ``live``: called after a commit to bring the live state up to date;
    ``notify``: called after a commit to send the notices of what was appended since the
    last notices (it follows the record log, so a crash loses none); ``clock``: the store's
    clock, against which records dated in the future (beyond :data:`FUTURE_TOLERANCE`) are
    refused.
    """

    store: RecordStore
    categories: Collection[str] | None
    live: Callable[[], object] | None = None
    notify: Callable[[], list[Notice]] | None = None
    max_errors: int = MAX_ERRORS
    clock: Clock | None = None  # None: the store's own clock (the real clock if it has none)
    checker: CheckWorker | None = None

    def refusals(self, batch: Parsed, by: Principal | None) -> list[RowError]:
        """The row errors of ``batch`` before the store is asked: parsing, authorisation,
        catalogue and legal basis. Raises :class:`NotAuthorised` or :class:`EmptyBatch`."""
        if not batch.records and not batch.errors and not batch.empty_ok:
            raise EmptyBatch(
                [
                    RowError(
                        None,
                        None,
                        f"{_named(batch.source)} holds no records; send one JSON record per "
                        "line (JSONL) or a CSV file with a header row",
                    )
                ],
                source=batch.source,
            )
        if by is not None:
            refused = [
                RowError(batch.rows[i], "category", not_authorised(by, r.category))
                for i, r in enumerate(batch.records)
                if not by.may_write(r.category)
            ]
            refused += [
                RowError(batch.rows[i], "source", not_their_source(by, r.source))
                for i, r in enumerate(batch.records)
                if by.may_write(r.category) and not by.may_source(r.source)
            ]
            refused += self._foreign_amendments(batch, by)
            refused.sort(key=lambda e: (e.row or 0, e.field or ""))
            if refused:
                raise NotAuthorised(
                    refused[: self.max_errors],
                    source=batch.source,
                    truncated=len(refused) > self.max_errors,
                )
        errors = list(batch.errors)
        cats = self.categories
        keep_records: list[Record] = []
        keep_rows: list[int] = []
        store_now = self.store_now()
        for i, r in enumerate(batch.records):
            future = future_problem(r.occurred_at, r.recorded_at, store_now, FUTURE_TOLERANCE)
            if cats is not None and r.category not in cats:
                errors.append(RowError(batch.rows[i], "category", category_error(r.category, cats)))
            elif not has_legal_basis(r.legal_basis):
                errors.append(RowError(batch.rows[i], "legal_basis", NO_LEGAL_BASIS))
            elif future is not None:
                errors.append(RowError(batch.rows[i], *future))
            else:
                keep_records.append(r)
                keep_rows.append(batch.rows[i])
                continue
            batch.failed_ids.add(r.id)
        if len(keep_records) < len(batch.records):  # the store judges only the rows left
            batch.records, batch.rows = keep_records, keep_rows
        return errors[: self.max_errors]

    def store_now(self) -> datetime:
        """What time it is on the store's clock (records dated after it, beyond
        :data:`FUTURE_TOLERANCE`, are refused)."""
        clock: Clock = self.clock if self.clock is not None else getattr(self.store, "clock", now)
        return clock()

    def _foreign_amendments(self, batch: Parsed, by: Principal) -> list[RowError]:
        """Corrections, revocations and expiries of records another agency wrote: only the
        writer (or an objection or repair decision, which the operator appends) may amend a
        record. The writer is known by the source, which a key can only write as its own."""
        in_batch = {r.id: r for r in batch.records}
        out = []
        for i, r in enumerate(batch.records):
            if r.refers_to is None or not by.may_write(r.category):
                continue
            original = in_batch.get(r.refers_to) or self.store.get(r.refers_to)
            if original is not None and not by.may_source(original.source):
                out.append(
                    RowError(
                        batch.rows[i],
                        "refers_to",
                        f"record {r.refers_to!r} is not one of agency {by.name!r}'s records; "
                        "only the agency that wrote a record may correct, revoke or expire "
                        "it (or an objection or repair decision)",
                    )
                )
        return out

    def admit(self, batch: Parsed, by: Principal | None = None) -> Admitted:
        """Check ``batch`` as sent by ``by`` (``None``: the operator, who may record every
        admissible category) and append it, all or nothing."""
        started = perf_counter()
        errors = self.refusals(batch, by)
        result = append_or_explain(
            self.store,
            batch.records,
            errors,
            batch.rows,
            source=batch.source,
            max_errors=self.max_errors,
            failed_ids=batch.failed_ids,
            truncated=batch.truncated,
            writer=writer_of(by),
        )
        return Admitted(result, batch.records, batch.rows, perf_counter() - started)

    def admit_columns(
        self,
        source: Path | bytes,
        by: Principal | None = None,
        *,
        name: str = "body",
        progress: Callable[[int], None] | None = None,
    ) -> Admitted | None:
        """Admit a JSONL/CSV file or a JSONL body by the columnar path
        (:mod:`xinyong.system.columnar`), all or nothing; ``None`` when it cannot (a row
        error, a refusal, a conflict, a broken reference, a store without
        ``append_frames``): nothing was written, and the row path (:meth:`admit`) words
        the errors. ``progress(n)``: told of each chunk of ``n`` records the store has
        taken (written, or on PostgreSQL sent into the span's COPY), before the commit."""
        append = getattr(self.store, "append_frames", None)
        if append is None:
            return None
        started = perf_counter()
        parts: list[pl.DataFrame] = []
        cats = self.categories
        latest = columnar.micros_of(self.store_now() + FUTURE_TOLERANCE)

        checker, inserting = self.checker, getattr(self.store, "inserts_in_process", False)

        def checked(source: Path | bytes) -> Generator[pl.DataFrame]:
            if checker is None:
                return local_chunks(source)
            return checker.chunks(source, inserting=inserting)

        def frames() -> Generator[pl.DataFrame]:
            with contextlib.closing(checked(source)) as chunks:  # the worker freed at once
                yield from _admissible(chunks)

        def _admissible(chunks: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
            for chunk in chunks:
                columnar.not_in_future(chunk, latest)  # the row path words the refusal
                columnar.admissible(
                    chunk,
                    cats,
                    None if by is None else by.may_write,
                    None if by is None else by.may_source,
                )
                parts.append(chunk.select("row", "id", pl.col("subject").cast(pl.Categorical)))
                yield chunk.drop("row")
                if progress is not None:  # asked for the next: the store took this one
                    progress(chunk.height)

        try:
            with contextlib.closing(frames()) as stream:  # closed whatever append raises
                result = append(
                    stream,
                    writer=writer_of(by),
                    may_amend=None if by is None else by.may_source,
                )
        except (columnar.Fallback, RecordConflict, InvalidRecord):
            return None
        if not parts:  # nothing read (an empty input): the row path says so
            return None
        columns = pl.concat(parts, rechunk=False)
        rows = cast(Sequence[int], columns.get_column("row"))  # a Series is a sequence
        return Admitted(result, (), rows, perf_counter() - started, columns)

    def after_commit(self, notices: bool) -> AfterCommit:
        """Bring the live state up to date; send notices if ``notices``."""
        updated = None
        if self.live is not None:
            updated = getattr(self.live(), "subjects", None)
        sent = self.notify() if notices and self.notify is not None else []
        return AfterCommit(sent, updated)


def append_or_explain(
    store: RecordStore,
    records: Sequence[Record],
    errors: Sequence[RowError],
    rows: Sequence[int],
    *,
    source: str,
    max_errors: int = MAX_ERRORS,
    failed_ids: Collection[str] = frozenset(),
    truncated: bool = False,
    writer: str | None = None,
) -> AppendResult:
    """Append ``records`` (line ``rows[i]`` each) unless ``errors`` holds row errors already;
    a refused batch raises :class:`IngestFailed` with the store's problems added (up to
    ``max_errors`` in all), and nothing is written.

    The store is asked for its problems (:meth:`RecordStore.check`) only when the batch is
    refused or has errors already, so a good batch is hashed and looked up once, by the append
    itself. Problems about a reference to an id in ``failed_ids`` (rows refused already) are
    left out: they follow from those rows.
    """

    def problems(room: int) -> list[RowError]:
        if room <= 0:
            return []
        found = store.check(records, limit=room, where=lambda i: f"row {rows[i]}")
        return [
            RowError(rows[p.index], p.field, p.reason, p.conflict)
            for p in found
            if p.missing is None or p.missing not in failed_ids
        ]

    if not errors:
        try:
            return store.append(records, writer=writer)
        except (RecordConflict, InvalidRecord):
            found = problems(max_errors)
            if not found:  # refused for a reason the dry run does not see: say it as it is
                raise
            raise IngestFailed(found, source=source, truncated=len(found) >= max_errors) from None
    every = [*errors, *problems(max_errors - len(errors))]
    raise IngestFailed(every, source=source, truncated=truncated or len(every) >= max_errors)


def ingest_file(
    store: RecordStore,
    path: Path,
    *,
    known_categories: Collection[str] | None = None,
    max_errors: int = MAX_ERRORS,
) -> IngestReport:
    """Validate every row of ``path``, then append them all in one transaction (the
    admission path without a principal, live state or notices: see
    :meth:`xinyong.CreditSystem.ingest` for the whole of it)."""
    batch = parse_file(path, max_errors)
    done = Admission(store, known_categories, max_errors=max_errors).admit(batch)
    return IngestReport(
        len(done.records), done.result.inserted, done.result.duplicates, done.elapsed
    )


def ingest_records(
    store: RecordStore,
    records: Iterable[Record],
    *,
    known_categories: Collection[str] | None = None,
    max_errors: int = MAX_ERRORS,
) -> IngestReport:
    """Append ready-made records as one batch (all or nothing); rows in errors are 1-based
    positions."""
    batch = Parsed.of_records(records)
    done = Admission(store, known_categories, max_errors=max_errors).admit(batch)
    return IngestReport(
        len(done.records), done.result.inserted, done.result.duplicates, done.elapsed
    )
