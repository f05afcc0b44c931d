"""Attacks on PostgreSQL's span COPY (PostgresRecordStore._inserted), the ledger runs written
only at a span's last chunk, and the columnar instants parsed by a fixed-width strptime."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import xinyong
import xinyong.adapters.store.sql as sql
from test_columnar_admission import (
    AGENCY,
    AT,
    _pg_dump,
    compare,
    file_source,
    jsonl,
    many,
    rec,
    rid,
    run,
)
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.system import columnar
from xinyong.system.columnar_worker import local_chunks
from xinyong.system.reading import IngestFailed


@pytest.fixture
def pg_url() -> Iterator[str]:
    from pg_schema import fresh_pg_schema

    yield from fresh_pg_schema("span_")


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every store accepts at the same instant, so that two stores' ledgers compare."""
    monkeypatch.setattr(SqlRecordStore, "accepted_us", lambda self: AT)


def _small(monkeypatch: pytest.MonkeyPatch, chunk: int, run_size: int) -> None:
    monkeypatch.setattr(columnar, "CHUNK", chunk)
    monkeypatch.setattr(sql, "_LEDGER_RUN", run_size)


def _system(url: str) -> Any:
    return xinyong.open_system(xinyong.Settings(db=url, check_workers=0))


def _write(tmp: Path, rows: list[dict[str, Any]], name: str = "input.jsonl") -> Path:
    path = tmp / name
    path.write_text(jsonl(rows), encoding="utf-8")
    return path


def _frames(rows: list[dict[str, Any]]) -> list[pl.DataFrame]:
    """The checked chunks of ``rows`` as admission hands them to the store."""
    return [f.drop("row") for f in local_chunks(jsonl(rows).encode())]


def _alike_on_pg(
    url: str,
    tmp: Path,
    rows: list[dict[str, Any]],
    before: list[dict[str, Any]] = (),  # type: ignore[assignment]
    by: Any = None,
    source: Any = None,
) -> tuple[Any, dict[str, Any]]:
    """Admit ``rows`` by the columnar path on PostgreSQL; the row path on SQLite must store
    the very same rows and ledger."""
    path = _write(tmp, rows)
    old = run(tmp, "old", path, columnar_path=False, before=before, by=by)
    with _system(url) as system:
        if before:
            system.ingest(jsonl(before).encode())
        done = system.admission.admit_columns(path if source is None else source, by)
        audit = system.verify_ledger()
        assert audit.ok, audit
        assert audit.entries == len(old["store"]["ledger"])
    assert _pg_dump(url) == old["store"]
    return done, old


# --- all or nothing while a COPY is open ---------------------------------------------------------


@pytest.mark.parametrize("where", ["stored", "in batch"])
def test_refusal_in_a_later_chunk_after_the_server_refused_a_duplicate(
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server meets a re-sent id in the first chunk (5,000 rows: its COPY buffers are
    flushed, so the unique index refuses it while the COPY is still open), then the check of
    the second chunk raises Fallback: the COPY's end reports the UniqueViolation. It must not
    be taken for a re-sent span (rolled back and re-inserted chunk by chunk, the Fallback
    lost): nothing may stay."""
    _small(monkeypatch, 5000, 100_000)
    rows = many(5000)
    before = [rows[0]] if where == "stored" else []
    if where == "in batch":
        rows[7] = rows[3]  # the same record twice, within the COPY's first buffer
    rows.append(rec(id="bad", occurred_at="yesterday"))  # chunk 2: Fallback
    path = _write(tmp_path, rows)
    with _system(pg_url) as system:
        if before:
            system.ingest(jsonl(before).encode())
        start = _pg_dump(pg_url)
        with caplog.at_level("WARNING", logger="psycopg"):
            assert system.admission.admit_columns(path, None) is None
        # the scenario ran: the COPY's end reported the server's refusal (psycopg logs it
        # and keeps the Fallback; with a psycopg that raised it, the span would be re-sent)
        assert "duplicate key" in caplog.text
        assert _pg_dump(pg_url) == start
        with pytest.raises(IngestFailed):
            system.ingest(path)
        assert system.ingest(jsonl([rec(id="next")]).encode()).inserted == 1
        assert system.verify_ledger().ok


def test_generator_error_mid_span_propagates_and_the_store_goes_on(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Any exception from the frames while the span's COPY is open (here after two chunks
    streamed) is the one raised, nothing is written, and the connection takes the next
    batch, also when the server had refused a row of the span already."""
    _small(monkeypatch, 5000, 100_000)
    rows = many(10000)
    frames = _frames(rows)
    assert len(frames) == 2

    class Boom(Exception):
        pass

    def failing() -> Any:
        yield from frames
        raise Boom("the worker died")

    with _system(pg_url) as system:
        store = system.admission.store
        system.ingest(jsonl([rows[5]]).encode())  # the server refuses it mid-COPY
        start = _pg_dump(pg_url)
        with pytest.raises(Boom):
            store.append_frames(failing())
        assert _pg_dump(pg_url) == start

        def one_then_boom() -> Any:
            yield frames[1]  # all new: the server refuses nothing before the error
            raise Boom("x")

        with pytest.raises(Boom):
            store.append_frames(one_then_boom())
        assert _pg_dump(pg_url) == start
        done = store.append_frames(iter(frames))
        assert (done.inserted, done.duplicates) == (9999, 1)
        audit = system.verify_ledger()
        assert audit.ok
        assert audit.entries == 10000


def test_agency_refused_category_in_a_later_span_writes_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Fallback raised by the admission's own checks (a category the agency may not
    write) in a chunk of a later span, after earlier spans were COPYed and their ledger run
    written: everything is rolled back."""
    _small(monkeypatch, 3, 5)
    _refused_whole(pg_url, tmp_path, [*many(14), rec(id="tax", category="tax.arrears")], AGENCY)


def _refused_whole(url: str, tmp: Path, rows: list[dict[str, Any]], by: Any = None) -> None:
    """The columnar path refuses ``rows`` and leaves the store as it was, its ledger sound."""
    path = _write(tmp, rows)
    with _system(url) as system:
        start = _pg_dump(url)
        assert system.admission.admit_columns(path, by) is None
        assert _pg_dump(url) == start
        assert system.verify_ledger().ok


# --- idempotence, duplicates across chunks and spans ---------------------------------------------


@pytest.mark.parametrize("run_size", [1, 4, 6, 7, 100_000])
def test_duplicates_across_chunks_and_spans_and_a_second_send(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_size: int
) -> None:
    _small(monkeypatch, 3, run_size)
    base = many(20)
    rows = [*base[:8], base[2], *base[8:14], base[0], base[13], *base[14:], base[19], base[5]]
    done, old = _alike_on_pg(pg_url, tmp_path, rows)
    assert done is not None
    assert (done.result.inserted, done.result.duplicates) == (20, 5)
    assert list(done.result.fresh) == list(old["done"][4])
    before = _pg_dump(pg_url)
    with _system(pg_url) as system:  # the same batch again: all duplicates, nothing new
        again = system.admission.admit_columns(_write(tmp_path, rows, "again.jsonl"), None)
        assert again is not None
        assert (again.result.inserted, again.result.duplicates) == (0, 25)
        assert system.verify_ledger().entries == 20
    assert _pg_dump(pg_url) == before


@pytest.mark.parametrize("stored", [[0, 1, 2], [3, 4, 5], [17, 18, 19], list(range(0, 20, 2))])
def test_partly_stored_batch_sent_again(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stored: list[int]
) -> None:
    """Whole chunks stored (a span that is all duplicates, its last chunk writing no
    ledger), or every other row: the rest goes in, the ledger as the row path makes it."""
    _small(monkeypatch, 3, 6)
    rows = many(20)
    done, _old = _alike_on_pg(pg_url, tmp_path, rows, before=[rows[k] for k in stored])
    assert done is not None
    assert done.result.duplicates == len(stored)


# --- conflicts in any position -------------------------------------------------------------------


_AT = [0, 2, 3, 5, 6, 11, 12, 19]


@pytest.mark.parametrize(
    ("kind", "at"),
    [("stored", k) for k in _AT]
    + [("in batch, earlier span", k) for k in _AT if k >= 6]
    + [("in batch, same chunk", k) for k in _AT if k % 3],
)
def test_conflict_anywhere_writes_nothing_and_the_store_goes_on(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, at: int, kind: str
) -> None:
    _small(monkeypatch, 3, 6)
    rows = many(20)
    before: list[dict[str, Any]] = []
    if kind == "stored":
        before = [rec(id="s1")]
        rows[at] = rec(id="s1", evidence="changed")
    elif kind == "in batch, earlier span":
        rows[at] = rows[at - 6] | {"evidence": "changed"}
    else:
        rows[at] = rows[at - 1] | {"evidence": "changed"}
    path = _write(tmp_path, rows)
    with _system(pg_url) as system:
        if before:
            system.ingest(jsonl(before).encode())
        start = _pg_dump(pg_url)
        assert system.admission.admit_columns(path, None) is None
        assert _pg_dump(pg_url) == start
        assert system.ingest(jsonl(many(7, "ok")).encode()).inserted == 7
        audit = system.verify_ledger()
        assert audit.ok
        assert audit.entries == len(before) + 7


# --- references and the ledger across spans ------------------------------------------------------


@pytest.mark.parametrize("run_size", [1, 3, 5])
def test_references_across_spans(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_size: int
) -> None:
    _small(monkeypatch, 2, run_size)
    rows = [
        rec(id="c1", status="correction", refers_to="late", amount=5),  # to a later span
        *many(6),
        rec(id="x1", refers_to="m0"),  # back to an earlier span
        rec(id="e1", status="expiry", refers_to="stored1"),
        rec(id="late", evidence="original"),
        rec(id="perf", category="court.performance", refers_to="listing"),
        *many(3, "n"),
        rec(id="listing", category="court.listing_decision", details={"ground": 1}),
    ]
    done, _old = _alike_on_pg(pg_url, tmp_path, rows, before=[rec(id="stored1")])
    assert done is not None


@pytest.mark.parametrize("run_size", [2, 3, 5])
def test_broken_reference_in_a_later_span_writes_nothing(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_size: int
) -> None:
    _small(monkeypatch, 2, run_size)
    rows = [*many(9), rec(id="c", status="revocation", refers_to="nowhere"), *many(3, "n")]
    _refused_whole(pg_url, tmp_path, rows)


@pytest.mark.parametrize(
    ("chunk", "run_size", "n"), [(4, 8, 16), (4, 8, 17), (5, 3, 23), (7, 1, 9)]
)
def test_ledger_over_span_boundaries(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int, run_size: int, n: int
) -> None:
    """Spans ending exactly at a chunk's end, one row over, spans of one chunk, chunks
    larger than a span; two batches in a row (the second follows the first's chain)."""
    _small(monkeypatch, chunk, run_size)
    first = many(n)
    _alike_on_pg(pg_url, tmp_path, first)
    second = [*first[: n // 2], *many(n, "z")]
    path = _write(tmp_path, second, "second.jsonl")
    with _system(pg_url) as system:
        done = system.admission.admit_columns(path, None)
        assert done is not None
        assert (done.result.inserted, done.result.duplicates) == (n, n // 2)
        audit = system.verify_ledger()
        assert audit.ok
        assert audit.entries == 2 * n


# --- change 3: canonical instants ---------------------------------------------------------------


def _py_micros(text: str) -> int | None:
    from xinyong.core.timeutil import parse_instant

    try:
        dt = parse_instant(text)
    except (ValueError, TypeError):
        return None
    return (dt - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_instant_columns_equal_python_on_random_canonical_strings() -> None:
    rnd = random.Random(7)
    texts = []
    for _ in range(20_000):
        y, mo, d = rnd.randint(1, 9999), rnd.randint(1, 12), rnd.randint(1, 31)
        h, mi, s = rnd.randint(0, 23), rnd.randint(0, 59), rnd.randint(0, 59)
        base = f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}"
        frac = rnd.choice(["", ".000000", f".{rnd.randint(0, 999_999):06d}", ".999999", ".000001"])
        texts.append(base + frac + "Z")
    got = pl.DataFrame({"t": texts}).select(columnar._instant("t"))["t"].to_list()
    for text, us in zip(texts, got, strict=True):
        if us is None:
            continue  # the row path decides
        assert us == _py_micros(text), text
        assert not text.endswith(".000000Z"), text


@pytest.mark.parametrize(
    "value",
    [
        "2024-02-29T12:00:00.000001Z",
        "2023-02-29T12:00:00.000001Z",
        "2024-01-01T00:00:00.999999Z",
        "2024-01-01T00:00:00.000000Z",
        "2024-01-01T00:00:00.0000001Z",
        "2024-01-01T00:00:00.00001Z",
        "2024-01-01T00:00:00.+12345Z",
        "2024-01-01T00:00:00. 12345Z",
        "2024-01-01T00:00:00.-00001Z",
        "2024-01-01T00:00:00.１２３４５６Z",
        "２024-01-01T00:00:00Z",
        "2024-01-01T00:00:00Z\n",
        "2024-01-01 00:00:00.123456Z",
        "2024-01-01T00:00:00,123456Z",
        "2024-01-01T00:00:00.123456+00:00",
        "2024-01-01T00:00:00.123456z",
        "2024-01-01T00:00:00.123456",
    ],
)
def test_instants_alike_by_both_paths(value: str, tmp_path: Path) -> None:
    compare(tmp_path, file_source([rec(id="a"), rec(id="b", occurred_at=value), rec(id="c")]))


@pytest.mark.parametrize(
    "value",
    ["1969-12-31T23:59:59.999999Z", "1950-06-01T12:00:00.000001Z", "1901-01-01T00:00:00.5Z"],
)
def test_pre_epoch_fractions_alike(value: str, tmp_path: Path) -> None:
    old, new = compare(
        tmp_path,
        file_source([rec(id="a", subject=rid("11010519200101001"), occurred_at=value)]),
    )
    if value.endswith(("999999Z", "000001Z")):
        assert "errors" not in old, old
        assert new["columnar"]


# --- a writer, and chunks from the check worker --------------------------------------------------


@pytest.mark.parametrize("run_size", [1, 4])
def test_agency_batch_over_spans_with_duplicates(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, run_size: int
) -> None:
    """The writer is in every entry hash: spans, a fallback span and the ledger runs agree
    with the row path for an agency."""
    _small(monkeypatch, 3, run_size)
    rows = many(14)
    rows.insert(9, rows[1])
    done, _old = _alike_on_pg(pg_url, tmp_path, rows, before=[rows[6]], by=AGENCY)
    assert done is not None
    assert done.result.duplicates == 2


def test_agency_amending_another_agencys_record_in_a_later_span(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _small(monkeypatch, 2, 3)
    rows = [*many(9), rec(id="c", status="correction", refers_to="theirs")]
    path = _write(tmp_path, rows)
    with _system(pg_url) as system:
        system.ingest(jsonl([rec(id="theirs", source="tax-bureau")]).encode())
        start = _pg_dump(pg_url)
        assert system.admission.admit_columns(path, AGENCY) is None
        assert _pg_dump(pg_url) == start
        assert system.verify_ledger().ok


@pytest.fixture(scope="module")
def shared_worker() -> Any:
    from xinyong.system.columnar_worker import CheckWorker

    worker = CheckWorker()
    assert worker.wait_ready(60)
    yield worker
    worker.close()


def _through_worker(monkeypatch: pytest.MonkeyPatch, worker: Any) -> None:
    import xinyong.composition
    from test_check_worker import lower_thresholds

    lower_thresholds(monkeypatch)

    class Shared:
        def __new__(cls) -> Any:
            return worker

    monkeypatch.setattr(xinyong.composition, "CheckWorker", Shared)
    monkeypatch.setattr(worker, "close", lambda: None)


@pytest.mark.parametrize("as_body", [False, True])
def test_worker_chunks_into_spans(
    pg_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_worker: Any,
    as_body: bool,
) -> None:
    _small(monkeypatch, 3, 5)
    _through_worker(monkeypatch, shared_worker)
    rows = many(30)
    rows.insert(20, rows[2])
    before = [rows[0], rows[17]]
    path = _write(tmp_path, rows, "w.jsonl")
    old = run(tmp_path, "old", path, columnar_path=False, before=before)
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=1)) as system:
        system.ingest(jsonl(before).encode())
        shared_worker.received = 0
        done = system.admission.admit_columns(path.read_bytes() if as_body else path, None)
        assert done is not None
        assert shared_worker.received > 0, "the worker checked nothing"
        assert (done.result.inserted, done.result.duplicates) == (28, 3)
        audit = system.verify_ledger()
        assert audit.ok
        assert audit.entries == 30
    assert _pg_dump(pg_url) == old["store"]


def test_worker_refusal_after_spans_were_copied(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_worker: Any
) -> None:
    _small(monkeypatch, 3, 4)
    _through_worker(monkeypatch, shared_worker)
    rows = [*many(30), rec(id="bad", occurred_at="yesterday"), *many(4, "n")]
    body = jsonl(rows).encode()
    with xinyong.open_system(xinyong.Settings(db=pg_url, check_workers=1)) as system:
        system.ingest(jsonl([rows[3]]).encode())
        start = _pg_dump(pg_url)
        assert system.admission.admit_columns(body, None) is None
        assert _pg_dump(pg_url) == start
        assert system.ingest(jsonl(many(3, "k")).encode()).inserted == 3
        assert system.verify_ledger().ok


def test_a_copy_whose_end_cannot_be_sent_is_cancelled_not_left_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``FrameCopy``: when the COPY's last message cannot be sent (psycopg's sending thread
    failed), the COPY is still ended, cancelled with that error, and the error raised; when
    the block raises, the COPY is cancelled with the block's error and an error about the
    rows sent so far does not replace it."""
    from xinyong.adapters.store import binary_copy

    exits: list[type[BaseException] | None] = []

    class Block:
        def __init__(self, fail_on: int, exit_raises: bool) -> None:
            self.writes, self.fail_on, self.exit_raises = 0, fail_on, exit_raises

        def __enter__(self) -> Block:
            return self

        def write(self, data: bytes) -> None:
            self.writes += 1
            if self.writes == self.fail_on:
                raise OSError("the sending thread failed")

        def __exit__(self, t: Any, e: Any, tb: Any) -> None:
            exits.append(t)
            if self.exit_raises:
                raise RuntimeError("duplicate key value violates unique constraint")

    class Cursor:
        def __init__(self, block: Block) -> None:
            self.block = block

        def copy(self, sql: str, writer: Any = None) -> Block:
            return self.block

    monkeypatch.setattr(binary_copy, "QueuedLibpqWriter", lambda cur: None)
    frame = pl.DataFrame({"a": [1, 2, 3]})

    def send(block: Block, then: BaseException | None = None) -> None:
        with binary_copy.FrameCopy(Cursor(block), "COPY t FROM STDIN") as copy:
            copy.write(frame)
            if then is not None:
                raise then

    # header, one batch, then the end: the third write fails
    with pytest.raises(OSError, match="sending thread"):
        send(Block(3, False))
    assert exits == [OSError]
    exits.clear()
    with pytest.raises(KeyError):
        send(Block(0, True), KeyError("a later chunk refused"))
    assert exits == [KeyError]


def test_a_refusal_reported_while_a_chunk_is_sent_loses_no_chunk(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """psycopg may report the server's refusal of a row (a re-sent id) while a later chunk
    is being sent rather than at the COPY's end: the chunk being sent and those not yet read
    must still go in, after the span is rolled back and its chunks looked up."""
    import psycopg

    from xinyong.adapters.store import binary_copy

    _small(monkeypatch, 3, 100_000)
    rows = many(9)
    real = binary_copy.FrameCopy.write
    calls = [0]

    def refused_at_second(self: Any, frame: pl.DataFrame) -> None:
        calls[0] += 1
        if calls[0] == 2:
            raise psycopg.errors.UniqueViolation("duplicate key value (reported late)")
        real(self, frame)

    with _system(pg_url) as system:
        system.ingest(jsonl(rows[:1]).encode())
        old = run(tmp_path, "old", _write(tmp_path, rows), columnar_path=False, before=rows[:1])
        monkeypatch.setattr(binary_copy.FrameCopy, "write", refused_at_second)
        done = system.admission.admit_columns(_write(tmp_path, rows, "again.jsonl"), None)
        assert done is not None
        assert (done.result.inserted, done.result.duplicates) == (8, 1)
        assert system.verify_ledger().ok
    assert _pg_dump(pg_url) == old["store"]
