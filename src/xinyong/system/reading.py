"""Reading a batch of records: JSONL or CSV files, JSONL bodies and messages, one parser.

Every input (a file, an HTTP body, a stream message) becomes a :class:`Parsed` batch: the
records that parsed, their row numbers, and a :class:`RowError` for every row that did not.
Row numbers are line numbers: a JSONL row is its line; a CSV row is the line on which the data
row starts (the header is line 1). What happens to the batch next is
:mod:`xinyong.system.admission`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinyong.core.errors import InvalidRecord, XinyongError
from xinyong.core.records import FIELDS, REQUIRED, Record

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
"""Accepted file extensions and the format each means."""


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an input: where (row = line number; ``None`` = the whole file), which
    field (``None`` = the row as a whole), and what is wrong and what would be right."""

    row: int | None
    field: str | None
    reason: str
    conflict: bool = False
    """The row reuses a stored id with other content (HTTP answers 409 when every error is
    one)."""

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
    """``(line number, object or why not)`` for each non-blank line: the one JSONL parser."""
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
        except RecursionError:
            yield n, RowError(n, None, "JSON nested too deeply; a record is one flat object")
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


# --- parsing into records ------------------------------------------------------------------


@dataclass
class Parsed:
    """A batch as read: the records that parsed (``rows[i]`` is the line of ``records[i]``),
    the rows that did not (``errors``) and the ids of the refused rows (``failed_ids``: the
    store's complaints about references to them are left out, they follow from the row)."""

    records: list[Record] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    failed_ids: set[str] = field(default_factory=set)
    source: str = "input"
    truncated: bool = False
    empty_ok: bool = False
    """Ready-made records from code may be none (a no-op); a file, body or message may not."""

    @classmethod
    def of_records(cls, records: Iterable[Record], source: str = "records") -> Parsed:
        """Ready-made records; row numbers are 1-based positions."""
        batch = list(records)
        return cls(batch, list(range(1, len(batch) + 1)), source=source, empty_ok=True)


def parse_items(
    items: Iterable[tuple[int, dict[str, Any] | RowError]],
    source: str,
    max_errors: int,
    typed: bool = True,
) -> Parsed:
    """Records from ``(row, object or error)`` items, stopping at ``max_errors`` errors."""
    out = Parsed(source=source)
    for row, item in items:
        if len(out.errors) >= max_errors:
            out.truncated = True
            break
        if isinstance(item, RowError):
            out.errors.append(item)
            continue
        try:
            out.records.append(Record.from_dict(item, row=row, typed=typed))
            out.rows.append(row)
        except InvalidRecord as e:
            out.errors.append(RowError(row, e.field, e.reason))
            if isinstance(item.get("id"), str):
                out.failed_ids.add(item["id"].strip())
        except (TypeError, ValueError, OverflowError, RecursionError) as e:
            out.errors.append(RowError(row, None, f"cannot read this record: {e}"))
    return out


def parse_file(path: Path, max_errors: int = 50) -> Parsed:
    """Every row of a ``.jsonl``/``.ndjson`` or ``.csv`` file (see :func:`read_records`)."""
    typed = FORMATS.get(path.suffix.lower()) != "csv"
    return parse_items(_read_rows(path), str(path), max_errors, typed)


def parse_jsonl(body: bytes, source: str = "body", max_errors: int = 50) -> Parsed:
    """Every line of a JSONL body or message (UTF-8; a byte-order mark is allowed)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise IngestFailed(
            [RowError(None, None, f"{source} is not UTF-8 text ({e.reason}); send UTF-8 JSONL")],
            source=source,
        ) from None
    return parse_items(_jsonl(text.splitlines()), source, max_errors)
