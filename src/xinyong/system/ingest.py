"""Ingest credit-file records from JSONL or CSV files, or from ready-made :class:`Record` objects.

A file is **one batch**: every row is validated first (fields, category, duplicate ids, the
references between records, against the store and the file itself) and if any row is wrong
:class:`IngestFailed` lists the row errors and nothing is written. Otherwise all rows are
appended in one transaction. Sending the same file again is a no-op (every row is a
duplicate); a row that reuses a stored id with different content is refused.

Row numbers are line numbers: a JSONL row is its line; a CSV row is the line on which the data
row starts (the header is line 1).
"""

from __future__ import annotations

import csv
import difflib
import json
from array import array
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from time import perf_counter
from typing import Any

from xinyong.core.errors import InvalidRecord, RecordConflict, XinyongError
from xinyong.core.minimisation import (
    NO_LEGAL_BASIS,
    Admissible,
    has_legal_basis,
    unused_category_error,
)
from xinyong.core.records import FIELDS, REQUIRED, Record
from xinyong.system.record_store import AppendResult, RecordStore

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
"""Accepted file extensions and the format each means."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input: where (row = line number; ``None`` = the whole file), which
    field (``None`` = the row as a whole), and what is wrong and what would be right."""

    row: int | None
    field: str | None
    reason: str

    def __str__(self) -> str:
        where = [] if self.row is None else [f"row {self.row}"]
        if self.field is not None:
            where.append(f"field {self.field!r}")
        return ": ".join([*where, self.reason])


class IngestFailed(XinyongError):
    """The input was refused; nothing was written. ``errors`` are sorted by row."""

    def __init__(
        self, errors: Sequence[RowError], *, source: str = "input", truncated: bool = False
    ) -> None:
        self.errors = sorted(errors, key=lambda e: (e.row or 0, e.field or ""))
        self.source = source
        self.truncated = truncated
        more = "; stopped there, there may be more" if truncated else ""
        lines = "\n".join(f"  {e}" for e in self.errors)
        super().__init__(
            f"{source}: {len(self.errors)} error(s){more}, nothing was written:\n{lines}"
        )


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What an ingest did: rows read, records inserted, duplicates skipped, time taken."""

    rows: int
    inserted: int
    duplicates: int
    elapsed: float  # seconds

    @property
    def rate(self) -> float:
        """Rows per second."""
        return self.rows / self.elapsed if self.elapsed > 0 else float("inf")


# --- reading -------------------------------------------------------------------------------


def read_records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(row, raw dict)`` for each record of a ``.jsonl``/``.ndjson`` or ``.csv`` file.

    Streams the file. Raises :class:`IngestFailed` at the first unreadable row (bad JSON, a
    line that is not an object, a CSV row of the wrong width) or on a bad file (unknown
    extension, missing or unknown CSV columns, not UTF-8).
    """
    for row, item in _read_rows(path):
        if isinstance(item, RowError):
            raise IngestFailed([item], source=str(path))
        yield row, item


def _read_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise IngestFailed(
            [
                RowError(
                    None,
                    None,
                    f"unknown file type {path.suffix or '(no extension)'!r}; accepted: "
                    + ", ".join(FORMATS)
                    + " (one JSON object a line, or CSV with a header row)",
                )
            ],
            source=str(path),
        )
    try:
        with path.open(encoding="utf-8-sig", newline="" if fmt == "csv" else None) as f:
            yield from (_jsonl(f) if fmt == "jsonl" else _csv(f, str(path)))
    except OSError as e:
        raise IngestFailed(
            [RowError(None, None, f"cannot read: {e.strerror}")], source=str(path)
        ) from None
    except UnicodeDecodeError as e:
        raise IngestFailed(
            [RowError(None, None, f"not UTF-8 text ({e.reason}); save the file as UTF-8")],
            source=str(path),
        ) from None


_JSON_KIND = {list: "an array", str: "a string", int: "a number", float: "a number"}


def _jsonl(lines: Iterable[str]) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            yield (
                n,
                RowError(
                    n,
                    None,
                    f"not valid JSON: {e.msg} at column {e.colno}; each line must be one JSON "
                    'object, e.g. {"id": "r1", "subject": "...", ...}',
                ),
            )
            continue
        if not isinstance(obj, dict):
            kind = _JSON_KIND.get(type(obj), "true, false or null")
            yield n, RowError(n, None, f"must be a JSON object {{...}}, got {kind}")
            continue
        yield n, obj


def _csv(f: Iterable[str], source: str) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    reader = csv.reader(f)
    header: list[str] | None = None
    for cells in reader:
        if any(c.strip() for c in cells):
            header = [c.strip() for c in cells]
            break
    if header is None:
        raise IngestFailed(
            [RowError(1, None, "empty file; a CSV needs a header row: " + ",".join(REQUIRED))],
            source=source,
        )
    _check_header(header, reader.line_num, source)
    width, line = len(header), reader.line_num
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != width:
                yield (
                    start,
                    RowError(
                        start, None, f"has {len(cells)} cells but the header has {width} columns"
                    ),
                )
                continue
            yield start, {k: v for k, v in zip(header, cells, strict=True) if v.strip()}
    except csv.Error as e:
        raise IngestFailed(
            [RowError(line + 1, None, f"unreadable CSV: {e}")], source=source
        ) from None


def _check_header(header: list[str], line: int, source: str) -> None:
    errors = []
    unknown = [h for h in header if h not in FIELDS]
    if unknown:
        errors.append(
            RowError(
                line,
                unknown[0],
                f"unknown column(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(FIELDS)}",
            )
        )
    missing = [f for f in REQUIRED if f not in header]
    if missing:
        errors.append(
            RowError(
                line,
                missing[0],
                f"missing required column(s) {', '.join(map(repr, missing))}; "
                f"required: {', '.join(REQUIRED)}",
            )
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        errors.append(
            RowError(line, repeated[0], f"column(s) {', '.join(repeated)} appear more than once")
        )
    if errors:
        raise IngestFailed(errors, source=source)


# --- validating and writing ----------------------------------------------------------------


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


def _categories(known: Collection[str]) -> frozenset[str]:
    return known if isinstance(known, frozenset) else frozenset(known)


def ingest_file(
    store: RecordStore,
    path: Path,
    *,
    known_categories: Collection[str] | None = None,
    max_errors: int = 50,
    after_append: Callable[[Sequence[Record]], object] | None = None,
) -> IngestReport:
    """Validate every row of ``path``, then append them all in one transaction.

    ``after_append``, if given, is called with the records once they are stored (e.g. to send
    the notices of adverse changes to their subjects).

    Raises :class:`IngestFailed` with up to ``max_errors`` row errors (and writes nothing)
    if any row is wrong: a bad field, a category not in ``known_categories`` (when given),
    an id used twice with different content (in the file, or already stored), a
    ``refers_to`` that names no suitable record in the store or the file.
    """
    started = perf_counter()
    cats = None if known_categories is None else _categories(known_categories)
    records: list[Record] = []
    rows = array("q")  # line number of each record, compactly
    errors: list[RowError] = []
    failed_ids: set[str] = set()
    for row, item in _read_rows(path):
        if len(errors) >= max_errors:
            break
        if isinstance(item, RowError):
            errors.append(item)
            continue
        try:
            record = Record.from_dict(item, row=row)
        except InvalidRecord as e:
            errors.append(RowError(row, e.field, e.reason))
            if isinstance(item.get("id"), str):
                failed_ids.add(item["id"].strip())
            continue
        if cats is not None and record.category not in cats:
            errors.append(RowError(row, "category", category_error(record.category, cats)))
            failed_ids.add(record.id)
            continue
        records.append(record)
        rows.append(row)
    result = append_or_explain(
        store, records, errors, rows, source=str(path), max_errors=max_errors, failed_ids=failed_ids
    )
    if after_append is not None:
        after_append(records)
    return IngestReport(len(records), result.inserted, result.duplicates, perf_counter() - started)


def append_or_explain(
    store: RecordStore,
    records: Sequence[Record],
    errors: Sequence[RowError],
    rows: Sequence[int],
    *,
    source: str,
    max_errors: int = 50,
    failed_ids: Collection[str] = frozenset(),
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
            RowError(rows[p.index], p.field, p.reason)
            for p in found
            if p.missing is None or p.missing not in failed_ids
        ]

    if not errors:
        try:
            return store.append(records)
        except (RecordConflict, InvalidRecord):
            found = problems(max_errors)
            if not found:  # refused for a reason the dry run does not see: say it as it is
                raise
            raise IngestFailed(found, source=source, truncated=len(found) >= max_errors) from None
    every = [*errors, *problems(max_errors - len(errors))]
    raise IngestFailed(every, source=source, truncated=len(every) >= max_errors)


def ingest_records(
    store: RecordStore,
    records: Iterable[Record],
    *,
    known_categories: Collection[str] | None = None,
    max_errors: int = 50,
) -> IngestReport:
    """Append ready-made records as one batch (all or nothing); the fast path.

    The records are trusted to be valid on their own (they are built by
    :meth:`Record.from_dict` or by code); only the category (when ``known_categories`` is
    given) and the store's rules (conflicts, references: raised by
    :meth:`RecordStore.append`) are checked. Rows in errors are 1-based positions.
    """
    started = perf_counter()
    batch = records if isinstance(records, Sequence) else list(records)
    blank = [i for i, r in enumerate(batch) if not has_legal_basis(r.legal_basis)]
    if blank:
        raise IngestFailed(
            [RowError(i + 1, "legal_basis", NO_LEGAL_BASIS) for i in blank[:max_errors]],
            source="records",
            truncated=len(blank) > max_errors,
        )
    if known_categories is not None:
        cats = _categories(known_categories)
        bad = [i for i, r in enumerate(batch) if r.category not in cats]
        if bad:
            raise IngestFailed(
                [
                    RowError(i + 1, "category", category_error(batch[i].category, cats))
                    for i in bad[:max_errors]
                ],
                source="records",
                truncated=len(bad) > max_errors,
            )
    result = store.append(batch)
    return IngestReport(len(batch), result.inserted, result.duplicates, perf_counter() - started)
