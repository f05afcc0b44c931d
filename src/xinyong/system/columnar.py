"""Columnar admission: a JSONL/CSV file or a JSONL body read in chunks and checked as columns.

A chunk of rows becomes a Polars frame; every field rule of the row validator
(:meth:`xinyong.core.records.Record.from_dict`, :mod:`xinyong.core.record_fields`,
:mod:`xinyong.core.record_content`) is a column expression that marks a row *plainly good*:
text without surrounding space or refused characters and within its length, a resident
identity number whose check character, province and birth date are computed over the column,
ISO instants of the canonical form within the allowed dates and in order, a known severity
and status, whole-number details where the law fixes them. A row the expressions cannot vouch
for (an organisation code, a date-only instant, a role record, ...) goes through the row
validator, which either returns its record (added to the chunk) or raises its error.

The first error anywhere, or any refusal later (authorisation, catalogue, the store's
conflicts and references), stops this path with :class:`Fallback`: the caller rolls back
and runs the row path (:mod:`xinyong.system.reading`, :mod:`xinyong.system.admission`) over
the same input, which words every error exactly as before. A good input is never read whole:
chunks of :data:`CHUNK` rows are checked, hashed and handed to the store one after another,
inside one transaction.

The canonical JSON text of each record (what :meth:`Record.content_hash` hashes) is built as
a string column; SHA-256 then runs over it in one loop.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

import orjson
import polars as pl
import polars_hash as plh

from xinyong.core.errors import InvalidRecord, XinyongError
from xinyong.core.record_content import DETAIL_RANGES, _whole
from xinyong.core.record_fields import EARLIEST, LATEST, MAX_DETAILS, MAX_LENGTH
from xinyong.core.records import FIELDS, REQUIRED, SEVERITIES, Record, Status, _details
from xinyong.core.roles import ROLE_CATEGORY
from xinyong.system.code_columns import birth_day, valid_organisation, valid_resident
from xinyong.system.reading import FORMATS, _csv
from xinyong.system.record_store import _iso, canonical, details_json

CHUNK = 100_000
"""Rows checked and written at a time (memory stays bounded whatever the input's size)."""

#: The columns of a checked chunk, as the store writes them (times in microseconds since the
#: epoch, details as canonical JSON text), then the content hash; ``row`` is the input line.
COLUMNS = (*FIELDS, "content_hash")


class Fallback(XinyongError):
    """This path cannot admit the input as it is: run the row path (it words the errors)."""


@dataclass
class Stream:
    """Where a columnar batch comes from and what it holds once read: filled in as the
    chunks are produced (``rows``, ``ids``, ``subjects`` of every record, in order)."""

    source: str
    rows: list[int]
    ids: list[str]
    subjects: list[str]

    @classmethod
    def named(cls, source: str) -> Stream:
        return cls(source, [], [], [])


# --- reading ----------------------------------------------------------------------------------


def _plain_lines(data: bytes, body: bool) -> bool:
    """Only ``\\n`` (or ``\\r\\n``) ends a line: no other break the row path would see
    (universal newlines in a file; ``str.splitlines`` in a body). Other control characters
    need no look: JSON refuses them on a line, and a line of only white space other than
    spaces and tabs is left to the row path."""
    breaks = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
    if body and not data.isascii() and any(b in data for b in breaks):
        return False
    return b"\r" not in data or data.count(b"\r") == data.count(b"\r\n")


def _json_rows(data: bytes, first_line: int) -> list[tuple[int, Any]]:
    """``(line, object)`` for every non-blank line of ``data``; a line orjson refuses (or
    that the row path might read otherwise) raises :class:`Fallback`."""
    lines = data.split(b"\n")
    loads = orjson.loads
    try:
        if all(lines):  # no blank line: one pass in C
            objs = list(map(loads, lines))
            if all(type(o) is dict for o in objs):
                return list(zip(range(first_line, first_line + len(lines)), objs, strict=True))
            raise Fallback
    except orjson.JSONDecodeError:
        pass  # which line: the loop below says
    out: list[tuple[int, Any]] = []
    for n, line in enumerate(lines, first_line):
        if not line.strip(b" \t"):  # blank
            continue
        try:
            obj = loads(line)
        except orjson.JSONDecodeError:
            raise Fallback from None
        if type(obj) is not dict:
            raise Fallback
        out.append((n, obj))
    return out


def byte_chunks(read: Callable[[int], bytes], size: int = 32 << 20) -> Iterator[bytes]:
    """Whole lines, about ``size`` bytes at a time."""
    rest = b""
    while True:
        block = read(size)
        if not block:
            if rest:
                yield rest
            return
        block = rest + block
        cut = block.rfind(b"\n")
        if cut < 0:
            rest = block
            continue
        rest = block[cut + 1 :]
        yield block[: cut + 1]


def jsonl_items(
    chunks: Iterator[bytes],
    body: bool = False,
    *,
    first_line: int = 1,
    rows: int | None = None,
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """Lists of up to ``rows`` (default :data:`CHUNK`) ``(line, object)`` from whole-line
    byte chunks, the first of them line ``first_line`` (a byte order mark is skipped only
    at line 1, the start of the input)."""
    size = CHUNK if rows is None else rows
    line = first_line
    out: list[tuple[int, dict[str, Any]]] = []
    first = first_line == 1
    for data in chunks:
        if first:
            if data.startswith(b"\xef\xbb\xbf"):
                data = data[3:]
            first = False
        if not _plain_lines(data, body):
            raise Fallback
        if b"\r" in data:
            data = data.replace(b"\r\n", b"\n")
        lines = data.count(b"\n")
        out.extend(_json_rows(data[:-1] if data.endswith(b"\n") else data, line))
        while len(out) >= size:
            yield out[:size]
            out = out[size:]
        line += lines
    if out:
        yield out


def file_items(path: Path) -> tuple[Iterator[list[tuple[int, dict[str, Any]]]], bool]:
    """The item chunks of a file and whether its values are typed (JSON) or text (CSV)."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise Fallback
    if fmt == "csv":
        return _csv_items(path), False

    def chunks() -> Iterator[bytes]:
        try:
            with path.open("rb") as f:
                yield from byte_chunks(f.read)
        except OSError:
            raise Fallback from None

    return jsonl_items(chunks()), True


def is_jsonl(path: Path) -> bool:
    return FORMATS.get(path.suffix.lower()) == "jsonl"


def _csv_items(path: Path) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    out: list[tuple[int, dict[str, Any]]] = []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            for row, item in _csv(f, str(path)):
                if not isinstance(item, dict):
                    raise Fallback
                out.append((row, item))
                if len(out) >= CHUNK:
                    yield out
                    out = []
    except (OSError, UnicodeDecodeError, ValueError):
        raise Fallback from None
    except Exception as e:  # IngestFailed from the header check: the row path says it
        raise Fallback from e
    if out:
        yield out


def body_items(
    body: bytes, *, first_line: int = 1, rows: int | None = None, block: int | None = None
) -> Iterator[list[tuple[int, dict[str, Any]]]]:
    """The item chunks of a JSONL body (parsed ``block`` bytes at a time: default, whole)."""
    blocks = iter((body,)) if block is None else byte_chunks(io.BytesIO(body).read, block)
    return jsonl_items(blocks, body=True, first_line=first_line, rows=rows)


def head_cut(data: bytes, size: int) -> int:
    """Where the first whole lines of about ``size`` bytes of ``data`` end (0: no line
    ends within them): the split between the part the writer's process checks and the
    rest, checked meanwhile in a worker (:mod:`xinyong.system.columnar_worker`)."""
    return data.rfind(b"\n", 0, size) + 1


# --- the column rules -------------------------------------------------------------------------

_SPACE = r"[\s\x1c-\x1f\x85]"
_EDGE_SPACE = rf"^{_SPACE}|{_SPACE}$"
_BAD_IN_NAME = r"[\x00-\x1f\x7f-\x9f\u2028\u2029]"
_BAD_IN_TEXT = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_FREE = ("legal_basis", "evidence")
_NAMES = ("id", "category", "source", "refers_to", "severity", "status")
_REQUIRED_TEXT = REQUIRED  # every required field is text
_TEXT_FIELDS = (*_REQUIRED_TEXT, "evidence", "severity", "status", "refers_to")
_CANONICAL_INSTANT = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]{6})?Z$"
)
_STATUSES = [s.value for s in Status]
_FIELD_SET = frozenset(FIELDS)
_DAY_US = 86_400_000_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _us(t: datetime) -> int:
    return (t - _EPOCH) // timedelta(microseconds=1)


_EARLIEST_US = _us(EARLIEST)
_LATEST_US = _us(LATEST)


def _text_ok(name: str) -> pl.Expr:
    """Text the row validator keeps as it is: no surrounding white space (Python's or
    Unicode's), no refused character, within its length; present when required."""
    c = pl.col(name)
    limit = MAX_LENGTH.get(name)
    bad = _BAD_IN_TEXT if name in _FREE else _BAD_IN_NAME
    ok = ~c.str.contains(f"{_EDGE_SPACE}|{bad}")
    if limit is not None:
        ok = ok & (c.str.len_chars() <= limit)
    if name in _REQUIRED_TEXT:
        return c.is_not_null() & (c.str.len_bytes() > 0) & ok
    return c.is_null() | (c.str.len_bytes() == 0) | ok


def _instant(name: str) -> pl.Expr:
    """Microseconds since the epoch of an instant written in canonical form (what the
    store writes back: ``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``, a fraction only when not zero),
    else null (the row validator reads the other forms)."""
    c = pl.col(name)
    # the whole seconds by a fixed-width parse, the fraction's six digits (when written)
    # added as a number: a parse with %.f costs about twice as much (measured on 25,000)
    whole = c.str.slice(0, 19).str.strptime(
        pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S", strict=False
    )
    frac = c.str.slice(20, 6).cast(pl.Int64, strict=False).fill_null(0)
    us = whole.dt.epoch("us") + frac
    short = c.str.len_bytes() == 20
    return pl.when(c.str.contains(_CANONICAL_INSTANT) & (short | (frac != 0))).then(us)


def _valid_subjects(subjects: pl.Series, today: date) -> pl.DataFrame:
    """The distinct subjects that are valid credit codes as written (the checks of
    :func:`xinyong.core.codes.check` that make one valid, over the column): ``_born``, the
    start of a resident's birth day in microseconds (null for an organisation), and
    ``_org``, whether it is an organisation's code."""
    resident, born, organisation = _subject_exprs(today)
    frame = pl.DataFrame({"subject": subjects.unique()}).with_columns(_resident=resident)
    people = frame.filter("_resident").select("subject", born.alias("_born"), _org=False)
    others = frame.filter(~pl.col("_resident"))
    if others.height == 0:  # the usual batch: residents only, no second check
        return people
    organisations = others.filter(organisation).select(
        "subject", _born=pl.lit(None, dtype=pl.Int64), _org=True
    )
    return pl.concat([people, organisations])


KNOWN_SUBJECTS = 500_000
"""Valid subjects a process keeps (with their birth day or kind) so that a subject seen in
an earlier chunk is not checked again: a credit file has many records of one subject (in the
benchmark's file, ten). Past this many the memory starts over (measured with tracemalloc:
134 bytes a subject, 64 MiB at the bound)."""
_ORG = -(2**63)
"""What the memory holds for an organisation's code (it has no birth day)."""


@dataclass(frozen=True)
class _Known:
    today: date
    valid: dict[str, int]  # valid subject -> the start of its birth day (us), or _ORG


_known: list[_Known] = []  # the process's (a new one each day, or when full)


def subject_columns(subjects: pl.Series, today: date) -> tuple[pl.Series, pl.Series]:
    """``_born`` and ``_org`` of each of ``subjects`` as :func:`_valid_subjects` finds them
    (null and false for one that is not a valid code as written): looked up in the
    process's memory of the valid subjects checked so far (as of ``today``: a birth day
    checked yesterday is checked again), only the others checked. A lookup in a dict costs
    about a tenth of a Polars join against the subjects checked (measured: 10 ms a
    25,000-row chunk for the join)."""
    held = _known[0] if _known and _known[0].today == today else None
    if held is None:
        held = _Known(today, {})
        _known[:] = [held]
    names = subjects.to_list()
    found = list(map(held.valid.get, names))
    if None in found:
        unseen = {s for s, v in zip(names, found, strict=True) if v is None and s is not None}
        if unseen:
            checked = _valid_subjects(pl.Series(list(unseen), dtype=pl.String), today)
            if len(held.valid) + checked.height > KNOWN_SUBJECTS:  # start over: this
                seen = zip(names, found, strict=True)  # chunk's remembered ones kept
                held = _Known(today, {s: v for s, v in seen if v is not None})
                _known[:] = [held]
            values = checked.select(
                pl.when("_org").then(pl.lit(_ORG, dtype=pl.Int64)).otherwise("_born")
            ).to_series()
            held.valid.update(
                zip(checked.get_column("subject").to_list(), values.to_list(), strict=True)
            )
            found = list(map(held.valid.get, names))
    kept = pl.Series("_born", found, dtype=pl.Int64)
    org = (kept == _ORG).fill_null(False).alias("_org")
    born = pl.select(pl.when(org).then(None).otherwise(kept).alias("_born")).to_series()
    return born, org


@lru_cache(maxsize=4)
def _subject_exprs(today: date) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    subject = pl.col("subject")
    return (
        valid_resident(subject, today, foreign=True).fill_null(False),
        birth_day(subject).cast(pl.Datetime("us")).dt.epoch("us"),
        valid_organisation(subject).fill_null(False),
    )


@cache
def _instants() -> tuple[pl.Expr, ...]:
    """The instants in microseconds (null unless canonical), and their text as sent."""
    return (
        _instant("occurred_at").alias("occurred_at"),
        _instant("recorded_at").alias("recorded_at"),
        pl.col("occurred_at").alias("_occ_text"),
        pl.col("recorded_at").alias("_rec_text"),
    )


@cache
def _defaults() -> tuple[pl.Expr, ...]:
    """What the row validator makes of an absent or empty optional field."""
    return (
        pl.when(pl.col("evidence").is_null())
        .then(pl.lit(""))
        .otherwise("evidence")
        .alias("evidence"),
        pl.when(pl.col("severity") == "").then(None).otherwise("severity").alias("severity"),
        pl.when(pl.col("status").is_null() | (pl.col("status") == ""))
        .then(pl.lit("active"))
        .otherwise("status")
        .alias("status"),
        pl.when(pl.col("refers_to") == "").then(None).otherwise("refers_to").alias("refers_to"),
    )


@cache
def _content_hash(escape: frozenset[str]) -> pl.Expr:
    return sha256_hex(_canonical_text(escape))


@cache
def _rules() -> pl.Expr:
    """``_ok``: the row is plainly good."""
    occ, rec = pl.col("occurred_at"), pl.col("recorded_at")
    status = pl.col("status")
    refers = pl.col("refers_to")
    has_ref = refers.is_not_null() & (refers.str.len_bytes() > 0)
    ok = pl.all_horizontal(
        *(_text_ok(f) for f in _TEXT_FIELDS if f not in ("subject", "occurred_at", "recorded_at")),
        occ.is_between(_EARLIEST_US, _LATEST_US, closed="left"),
        rec.is_between(_EARLIEST_US, _LATEST_US, closed="left"),
        occ <= rec,
        # a valid code: an organisation's, or a resident's with the conduct on or after the
        # subject's birth (two days' margin for China's local time)
        pl.col("_org").fill_null(False)
        | (pl.col("_born").is_not_null() & (occ - _DAY_US * 2 >= pl.col("_born"))),
        pl.col("severity").is_null() | pl.col("severity").is_in(["", *SEVERITIES]),
        status.is_null() | status.is_in(["", *_STATUSES]),
        ~has_ref | (refers != pl.col("id")),
        has_ref | status.is_null() | status.is_in(["", "active"]),
        pl.col("category") != ROLE_CATEGORY,
        pl.col("_pre_ok"),
    )
    return ok.fill_null(False).alias("_ok")


# --- canonical text -----------------------------------------------------------------------------


def _json_text(c: pl.Expr, escape: bool = True) -> pl.Expr:
    """JSON string literal of a column of text (what ``json.dumps(ensure_ascii=False)``
    writes), for text whose only control characters are tab, newline and carriage return
    (``escape=False``: the column holds none of them, nor a quote or a backslash)."""
    if escape:
        for raw, esc in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
            c = c.str.replace_all(raw, esc, literal=True)
    return pl.concat_str(pl.lit('"'), c, pl.lit('"'))


_ESCAPED = r'[\\"\n\r\t]'
"""What a JSON string literal escapes, of the characters a checked text may hold."""
_FREE_FORM = ("category", "evidence", "id", "legal_basis", "source", "refers_to")
"""The canonical text's columns that may need escapes (subject, status and severity are
digits or fixed words once checked)."""


def _nullable_text(c: pl.Expr, escape: bool = True) -> pl.Expr:
    return pl.when(c.is_null()).then(pl.lit("null")).otherwise(_json_text(c, escape))


def _canonical_text(escape: Collection[str]) -> pl.Expr:
    """The canonical JSON of each record, byte for byte :func:`canonical`'s; ``escape``:
    the columns holding a character to escape."""

    def text(name: str) -> pl.Expr:
        return _json_text(pl.col(name), name in escape)

    return pl.concat_str(
        pl.lit('{"amount":'),
        pl.col("_amount_text"),
        pl.lit(',"category":'),
        text("category"),
        pl.lit(',"details":'),
        pl.col("details"),
        pl.lit(',"evidence":'),
        text("evidence"),
        pl.lit(',"id":'),
        text("id"),
        pl.lit(',"legal_basis":'),
        text("legal_basis"),
        pl.lit(',"occurred_at":"'),
        pl.col("_occ_text"),
        pl.lit('","recorded_at":"'),
        pl.col("_rec_text"),
        pl.lit('","refers_to":'),
        _nullable_text(pl.col("refers_to"), "refers_to" in escape),
        pl.lit(',"severity":'),
        _nullable_text(pl.col("severity"), False),
        pl.lit(',"source":'),
        text("source"),
        pl.lit(',"status":'),
        text("status"),
        pl.lit(',"subject":'),
        text("subject"),
        pl.lit("}"),
    )


# --- hashes over a column -------------------------------------------------------------------


def sha256_hex(e: pl.Expr) -> pl.Expr:
    """SHA-256, as lower-case hex, of each value of ``e`` (text as UTF-8, or bytes), in
    Rust over the column (polars-hash) rather than a Python loop over hashlib."""
    hashed: pl.Expr = plh.CryptographicHashingNameSpace(e).sha2_256()
    return hashed


def entry_hashes(content: pl.Expr, writer: str | None, accepted_us: int) -> pl.Expr:
    """:func:`xinyong.core.ledger.chain.entry_hash` over a column of content hashes (hex):
    SHA-256 of the 32 bytes of the content hash, the acceptance instant (8 bytes, big
    endian) and the writer's name (UTF-8); the content hash itself without a writer."""
    if writer is None:
        return content
    tail = (accepted_us.to_bytes(8, "big", signed=True) + writer.encode("utf-8")).hex()
    return sha256_hex(pl.concat_str(content, pl.lit(tail)).str.decode("hex"))


# --- one chunk ----------------------------------------------------------------------------------

_BAD = object()


def _strings(values: list[Any], pre_ok: list[bool]) -> pl.Series:
    try:
        return pl.Series(values, dtype=pl.String, strict=True)
    except (TypeError, pl.exceptions.PolarsError):
        out = []
        for k, v in enumerate(values):
            if v is None or type(v) is str:
                out.append(v)
            else:
                out.append(None)
                pre_ok[k] = False
        return pl.Series(out, dtype=pl.String)


def _amount(raw: Any, typed: bool) -> Any:
    """The amount as the row validator reads it, or ``_BAD`` (the row validator decides)."""
    if raw is None or raw == "":
        return None
    t = type(raw)
    if t is float or t is int:
        a = float(raw)
    elif typed or t is not str:
        return _BAD
    else:
        try:
            a = float(raw)
        except (TypeError, ValueError):
            return _BAD
    return a + 0.0 if math.isfinite(a) else _BAD  # -0.0 is 0.0, as Record.from_dict reads it


def _details_text(raw: Any, category: Any, row: int) -> str | None:
    """Canonical JSON of the details as the row validator keeps them, ``None`` when it
    would refuse them (or the category's whole-number detail is not in its range)."""
    if raw is None or raw == "":
        d: dict[str, Any] = {}
    elif type(raw) is dict and not raw:
        d = raw
    else:
        if type(raw) is dict and len(raw) > MAX_DETAILS:
            return None
        try:
            d = _details(raw, row)
        except (InvalidRecord, RecursionError, TypeError, ValueError):
            return None
    rng = DETAIL_RANGES.get(category) if type(category) is str else None
    if rng is not None:
        name, lo, hi, _ = rng
        n = _whole(d.get(name))
        if n is None or not lo <= n <= hi:
            return None  # the row validator refuses it (unless a revocation: it decides)
    return details_json(d)


def _columns(dicts: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """Field -> values (``None`` when absent) of the objects: a loop in C per field when
    they all have the first one's keys (the usual case), else with a default per value."""
    keys = list(dicts[0])
    if len(keys) > 1 and set(map(len, dicts)) == {len(keys)}:
        try:
            return {k: list(map(itemgetter(k), dicts)) for k in keys}
        except KeyError:
            pass
    wanted = {k for d in dicts for k in d}
    return {f: [d.get(f) for d in dicts] for f in wanted}


def check_chunk(items: Sequence[tuple[int, dict[str, Any]]], typed: bool) -> pl.DataFrame:
    """The checked chunk: one row per record in input order, columns ``row`` then
    :data:`COLUMNS`. Raises :class:`Fallback` at the first row the row validator refuses."""
    n = len(items)
    rows = [r for r, _ in items]
    dicts = [d for _, d in items]
    cols = _columns(dicts)
    if _FIELD_SET.issuperset(cols):
        pre_ok = [True] * n
    else:
        pre_ok = [_FIELD_SET.issuperset(d) for d in dicts]
    none = [None] * n
    data: dict[str, Any] = {"row": pl.Series(rows, dtype=pl.Int64)}
    for f in _TEXT_FIELDS:
        data[f] = _strings(cols.get(f, none), pre_ok)
    raw_amounts = cols.get("amount", none)
    amount_col: Sequence[float | None]
    if all(a is None for a in raw_amounts):
        amount_col = none
    else:
        amounts: list[float | None] = []
        for k, a in enumerate(raw_amounts):
            v = _amount(a, typed)
            if v is _BAD:
                pre_ok[k] = False
                v = None
            amounts.append(v)
        amount_col = amounts
    details: list[str | None] = []
    categories = cols.get("category", none)
    for k, raw in enumerate(cols.get("details", none)):
        if raw is None or (type(raw) is dict and not raw):
            text: str | None = "{}"
        else:
            text = _details_text(raw, categories[k], rows[k])
            if text is None:
                pre_ok[k] = False
        details.append(text)
    for k, c in enumerate(categories):  # a whole-number detail the law requires
        if type(c) is str and c in DETAIL_RANGES and details[k] == "{}":
            pre_ok[k] = False
    data["amount"] = pl.Series(amount_col, dtype=pl.Float64)
    if amount_col is not none:  # float repr, as json writes it
        texts = ["null" if a is None else float.__repr__(a) for a in amount_col]
        data["_amount_text"] = pl.Series(texts, dtype=pl.String)
    data["details"] = pl.Series(details, dtype=pl.String)
    data["_pre_ok"] = pl.Series(pre_ok, dtype=pl.Boolean)
    data["_born"], data["_org"] = subject_columns(data["subject"], date.today())
    frame = pl.DataFrame(data, height=n)
    # one plan (one collect) for the instants, the rules and the defaults
    plan = frame.lazy().with_columns(*_instants())
    if amount_col is none:
        plan = plan.with_columns(_amount_text=pl.lit("null"))
    frame = plan.with_columns(_rules()).with_columns(*_defaults()).collect()
    good = frame.filter("_ok")
    slow = frame.height - good.height
    special = good.select(pl.col(_FREE_FORM).str.contains(_ESCAPED).any()).row(0)
    escape = frozenset(c for c, yes in zip(_FREE_FORM, special, strict=True) if yes)
    good = good.select("row", *FIELDS, content_hash=_content_hash(escape))
    if not slow:
        return good
    bad = frame.filter(~pl.col("_ok"))["row"].to_list()
    where = {r: k for k, r in enumerate(rows)}
    extra = [_row_path(r, dicts[where[r]], typed) for r in bad]
    more = pl.DataFrame(extra, schema=good.schema, orient="row")
    return pl.concat([good, more]).sort("row")


def _row_path(row: int, item: dict[str, Any], typed: bool) -> tuple[Any, ...]:
    """A row the columns could not vouch for, through the row validator."""
    try:
        r = Record.from_dict(item, row=row, typed=typed)
    except (InvalidRecord, TypeError, ValueError, OverflowError, RecursionError):
        raise Fallback from None
    return record_row(row, r)


def record_row(row: int, r: Record) -> tuple[Any, ...]:
    dj, h = canonical(r, _iso(r.occurred_at), _iso(r.recorded_at))
    return (
        row,
        r.id,
        r.subject,
        r.category,
        _us(r.occurred_at),
        _us(r.recorded_at),
        r.source,
        r.legal_basis,
        r.evidence,
        r.amount,
        r.severity,
        str(r.status.value),
        r.refers_to,
        dj,
        h,
    )


# --- admission rules over a chunk -----------------------------------------------------------------


def micros_of(t: datetime) -> int:
    """``t`` in microseconds since the epoch, as the chunk's instants."""
    return _us(t)


def not_in_future(chunk: pl.DataFrame, latest_us: int) -> None:
    """Raise :class:`Fallback` when a row's ``occurred_at`` or ``recorded_at`` lies after
    ``latest_us`` (the store's clock plus its tolerance)."""
    late = chunk.select(
        (pl.col("occurred_at") > latest_us) | (pl.col("recorded_at") > latest_us)
    ).to_series()
    if late.any():
        raise Fallback


def admissible(
    chunk: pl.DataFrame,
    categories: Collection[str] | None,
    may_write: Callable[[str], bool] | None,
    may_source: Callable[[str], bool] | None,
) -> None:
    """Raise :class:`Fallback` unless every row passes authorisation and the catalogue (the
    legal basis is non-blank already); checked once per distinct value."""
    cats = chunk["category"].unique().to_list()
    if categories is not None and any(c not in categories for c in cats):
        raise Fallback
    if may_write is not None and not all(may_write(c) for c in cats):
        raise Fallback
    if may_source is not None and not all(
        may_source(s) for s in chunk["source"].unique().to_list()
    ):
        raise Fallback
