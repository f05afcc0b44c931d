"""A second process that checks a large input's chunks while the writer writes.

Columnar admission (:mod:`xinyong.system.columnar`) reads, checks and hashes chunks, and the
store writes them, in one transaction. On a large input the writer's process checks the first
part itself (:data:`FILE_HEAD` bytes of a file; of a body :data:`BODY_HEAD`, or
:data:`BODY_HEAD_INSERTING` when it inserts the rows itself) while this worker reads and
checks the rest, chunk after chunk, and sends each back as Arrow IPC; the writer inserts
chunk ``k`` while the worker checks chunk ``k + 1``. Both run the same
:func:`~xinyong.system.columnar.check_chunk`, so the result is the same whichever checks a
row.

The worker is started on first use and kept (an HTTP server sends it every large body); it
runs one input at a time (a second concurrent one is checked in its writer's process). Any
trouble in the worker (a row it cannot vouch for, a crash, a file it cannot read) ends the
stream with :class:`~xinyong.system.columnar.Fallback`: nothing is written and the row path
words the errors, as for a chunk checked in the writer's process.

Protocol, over the worker's stdin and stdout: messages of a 9-byte header (kind, then
length as 8 bytes big endian) and the payload. To the worker: a file job (its number, byte
offset, first line, rows per chunk, the file's identity when its start was read, its
absolute path), a body job (its number, first line, rows per chunk, the bytes) or a stop
(the number of the job it stops); from it: ready once started, then for each job its chunks
and one of done, fallback or stopped.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import os
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any

import polars as pl

from xinyong.system import columnar

FILE_MIN = 16 << 20
"""Files smaller than this (bytes) are checked in the writer's process alone."""
FILE_HEAD = 12 << 20
"""Bytes at the start of a file that the writer's process checks and writes itself while the
worker starts (about 0.4 s) and checks its first chunk of the rest: measured on 1,000,000
records, 8 MiB left the writer waiting 0.3 s for it, 12 MiB 0.1 s."""
FILE_HEAD_WARM = 4 << 20
"""The same once the worker runs: enough to cover its first chunk."""
FILE_HEAD_INSERTING = 32 << 20
""":data:`FILE_HEAD` when the writer's process inserts the rows itself (SQLite): its inserts
cost less than the worker's checking, so it checks more of the file itself (measured on
1,000,000 records, alternated twice: 6.8-6.9 s against 7.3 s with 12 MiB, 6.8-7.1 with
56; on PostgreSQL, whose server inserts, no clear difference: kept at 12)."""
FILE_HEAD_WARM_INSERTING = 12 << 20
""":data:`FILE_HEAD_WARM` when the writer's process inserts the rows itself (measured as
above with the worker running: 6.7-6.8 s against 6.9-7.3 with 4 MiB, 6.8-6.9 with 24)."""
FILE_ROWS = 25_000
"""Rows per chunk the worker checks and sends at a time, in a file."""
BLOCK = 8 << 20
"""Bytes of a file the worker reads (and parses) at a time: a few chunks' worth, so that
chunks come out evenly rather than in bursts."""
BODY_MIN = 1 << 20
"""Bodies smaller than this (bytes) are checked in the writer's process alone."""
BODY_HEAD = 0.5
"""The share of a body checked in the writer's process while the worker checks the rest (in
chunks of :data:`BODY_ROWS`), when the database inserts in a process of its own
(PostgreSQL): a body is small, so its two halves are checked side by side, then written
(measured over HTTP, 10,000-record bodies into PostgreSQL: 75,000-78,000 records/s with
about 1,000 records checked by the writer, 77,000-95,000 with half). A body that comes while
the worker is still starting is checked in the writer's process alone."""
BODY_HEAD_INSERTING = 0.3
"""The writer's share when it inserts the rows itself (SQLite, in its own process): it
checks less, so that it starts inserting sooner, and inserts its part while the worker
checks the rest (measured over HTTP, 10,000-record bodies into SQLite, alternated:
54,000-59,000 records/s against 44,000-52,000 with half)."""
BODY_ROWS = 5_000
"""Rows per chunk the worker checks and sends at a time, in a body."""
BODY_BLOCK = 256 << 10
"""Bytes of a body the worker parses at a time (its first chunk comes out sooner)."""
QUEUE = 4
"""Chunks the worker may be ahead of the writer (memory stays bounded)."""

_HEADER = struct.Struct(">BQ")
_FILE, _BODY, _STOP = 1, 2, 3
_CHUNK, _DONE, _FALLBACK, _STOPPED, _READY = 10, 11, 12, 13, 14
_TERMINAL = (_DONE, _FALLBACK, _STOPPED)
_DIED = -1
_JOB = struct.Struct(">QQQQ")  # job number, byte offset, first line, rows per chunk
_NUMBER = struct.Struct(">Q")  # a stop names the job it stops
_IDENTITY = struct.Struct(">QQQq")  # device, inode, size, mtime (ns) of a file as first read
_BOOT = (
    "import os; out = os.dup(1); os.dup2(2, 1); "  # stray prints, even at import, go to stderr
    "from xinyong.system.columnar_worker import main; main(out)"
)


def _send(out: IO[bytes], kind: int, payload: bytes = b"") -> None:
    out.write(_HEADER.pack(kind, len(payload)))
    if payload:
        out.write(payload)
    out.flush()


def _receive(inp: IO[bytes]) -> tuple[int, bytes]:
    head = inp.read(_HEADER.size)
    if len(head) < _HEADER.size:
        raise EOFError
    kind, size = _HEADER.unpack(head)
    payload = inp.read(size) if size else b""
    if len(payload) < size:
        raise EOFError
    return kind, payload


# --- the writer's side -------------------------------------------------------------------------


class CheckWorker:
    """The writer's handle on the checking process: started on first use, restarted when it
    has died, one input at a time."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[bytes] | None = None
        self._busy = threading.Lock()  # one input at a time
        self._spawn = threading.Lock()  # one process at a time
        self._up = False  # the worker said it is ready (its first message, read once)
        self._jobs = itertools.count(1)
        self._closed = False
        self.received = 0
        """Chunks checked by the worker so far (for tests and the benchmarks)."""

    def chunks(self, source: Path | bytes, *, inserting: bool = False) -> Generator[pl.DataFrame]:
        """The checked chunks of ``source`` (a JSONL file or body), in order, with the
        ``row`` column: when ``source`` is large and the worker free, its start checked here
        while the worker checks the rest (a body that comes while the worker is only
        starting is checked here alone); else all here. ``inserting``: this process inserts
        the rows too (see :data:`BODY_HEAD_INSERTING`). Raises
        :class:`~xinyong.system.columnar.Fallback` as
        :func:`~xinyong.system.columnar.check_chunk` does."""
        if self._closed or not _large(source) or not self._busy.acquire(blocking=False):
            yield from local_chunks(source)
            return
        try:
            ready = self._ready()
            if not ready and isinstance(source, bytes):
                # a body is small: rather than wait for a worker starting up, check it here
                yield from local_chunks(source)
                return
            split = _split(source, cold=not ready, inserting=inserting)
            if split is None:
                yield from local_chunks(source)
                return
            head, kind, job = split
            remote = self._start(kind, job)
            try:
                for part in columnar.jsonl_items(iter((head,)), isinstance(source, bytes)):
                    yield columnar.check_chunk(part, True)
                yield from remote.frames()
            finally:
                remote.close()  # stops the worker's job if it is still running
        finally:
            self._busy.release()

    def start(self) -> None:
        """Start the worker now rather than at the first large input (a server does, so
        that its first large body need not be checked in its own process alone)."""
        self._process()

    def wait_ready(self, timeout: float) -> bool:
        """Start the worker if needed and wait up to ``timeout`` seconds until it is ready
        to take work; whether it is."""
        deadline = time.monotonic() + timeout
        with self._busy:
            while not self._ready():
                if time.monotonic() >= deadline:
                    return False
                time.sleep(0.01)
        return True

    def _ready(self) -> bool:
        """Whether the worker has started and said so (starts it if it has not)."""
        proc = self._process()
        if proc is None:
            return False
        if self._up:
            return True
        assert proc.stdout is not None
        if select.select([proc.stdout], [], [], 0)[0]:
            try:
                kind, _ = _receive(proc.stdout)
            except (EOFError, OSError, ValueError):
                self._kill()
                return False
            self._up = kind == _READY
        return self._up

    def _process(self) -> subprocess.Popen[bytes] | None:
        """The running worker, started if it is not (``None`` once closed)."""
        with self._spawn:
            if self._closed:
                return None
            if self._proc is None or self._proc.poll() is not None:
                if self._proc is not None:
                    self._kill()
                self._up = False
                one_thread = {**os.environ, "POLARS_MAX_THREADS": "1"}  # the writer has a core
                self._proc = subprocess.Popen(
                    [sys.executable, "-c", _BOOT],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    env=one_thread,
                )
            return self._proc

    def _start(self, kind: int, job: bytes) -> _Remote:
        """Send ``job`` (from a thread: a body goes down the pipe while this process waits
        for the first chunk) and return its answers."""
        proc = self._process()
        if proc is None:
            raise columnar.Fallback
        self._up = True  # its READY, if still unread, is skipped by the reader
        return _Remote(proc, self._kill, kind, next(self._jobs), job, self)

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(OSError):
                proc.kill()
            proc.wait()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()

    def pid(self) -> int | None:
        """The worker's process id, if it runs."""
        return None if self._proc is None or self._proc.poll() is not None else self._proc.pid

    def close(self) -> None:
        """Stop the worker and start no other; safe to call twice. An idle worker ends when
        its input closes; one checking an input is killed (that input's writer falls back
        to the row path)."""
        with self._spawn:
            self._closed = True
            proc, self._proc = self._proc, None
        if proc is None:
            return
        idle = self._busy.acquire(blocking=False)
        try:
            if idle:
                with contextlib.suppress(OSError, ValueError):
                    assert proc.stdin is not None
                    proc.stdin.close()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            else:
                proc.kill()
                proc.wait()
        finally:
            if idle:
                self._busy.release()
            for pipe in (proc.stdin, proc.stdout):
                if pipe is not None and idle:  # else the input's reader closes on EOF
                    with contextlib.suppress(OSError, ValueError):
                        pipe.close()


class _Remote:
    """One job's answers: a thread reads them as they come (at most :data:`QUEUE` chunks
    ahead), :meth:`frames` hands them on, :meth:`close` stops the job if it still runs and
    waits for its last message, so the next job starts clean."""

    def __init__(
        self,
        proc: subprocess.Popen[bytes],
        kill: Any,
        kind: int,
        number: int,
        job: bytes,
        owner: CheckWorker,
    ) -> None:
        self._owner = owner
        self._proc = proc
        self._kill = kill
        self._number = number
        self._got: queue.Queue[tuple[int, pl.DataFrame | None]] = queue.Queue(QUEUE)
        self._ended = False
        payload = _NUMBER.pack(number) + job
        self._sender = threading.Thread(
            target=self._send, args=(kind, payload), name="check-worker-send"
        )
        self._sender.daemon = True
        self._sender.start()
        self._reader = threading.Thread(target=self._read, name="check-worker-reader")
        self._reader.daemon = True
        self._reader.start()

    def _send(self, kind: int, payload: bytes) -> None:
        try:
            assert self._proc.stdin is not None
            _send(self._proc.stdin, kind, payload)
        except (OSError, ValueError):  # it died or was closed: the reader sees it go
            with contextlib.suppress(OSError):
                self._proc.kill()

    def _read(self) -> None:
        stdout = self._proc.stdout
        assert stdout is not None
        while True:
            try:
                kind, payload = _receive(stdout)
                frame = pl.read_ipc(io.BytesIO(payload)) if kind == _CHUNK else None
            except Exception:
                self._got.put((_DIED, None))
                return
            if kind == _READY:  # the worker's first message, when nobody waited for it
                continue
            self._got.put((kind, frame))
            if kind in _TERMINAL:
                return

    def frames(self) -> Iterator[pl.DataFrame]:
        while True:
            kind, frame = self._got.get()
            if frame is not None:
                self._owner.received += 1
                yield frame
                continue
            self._ended = True
            if kind == _DONE:
                return
            if kind == _DIED:
                self._kill()
            raise columnar.Fallback

    def close(self) -> None:
        self._sender.join()  # the job is all sent before anything else is
        if not self._ended:
            self._ended = True
            try:
                assert self._proc.stdin is not None
                _send(self._proc.stdin, _STOP, _NUMBER.pack(self._number))
            except (OSError, ValueError):  # it died or was closed
                with contextlib.suppress(OSError):
                    self._proc.kill()
            while True:  # drain: the reader ends at the job's last message or the end
                try:
                    kind, _ = self._got.get(timeout=0.5)
                except queue.Empty:
                    if not self._reader.is_alive():
                        break
                    continue
                if kind in (*_TERMINAL, _DIED):
                    break
        self._reader.join()
        if self._owner._closed:  # killed by close() while this ran: its pipes end here
            for pipe in (self._proc.stdin, self._proc.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError, ValueError):
                        pipe.close()


def local_chunks(source: Path | bytes) -> Generator[pl.DataFrame]:
    """The checked chunks of ``source``, all in this process."""
    items, typed = (
        columnar.file_items(source)
        if isinstance(source, Path)
        else (columnar.body_items(source), True)
    )
    for part in items:
        yield columnar.check_chunk(part, typed)


def _large(source: Path | bytes) -> bool:
    """Whether ``source`` is worth a second process (JSONL of :data:`BODY_MIN` or
    :data:`FILE_MIN` bytes or more)."""
    if isinstance(source, bytes):
        return len(source) >= BODY_MIN
    try:
        return columnar.is_jsonl(source) and source.stat().st_size >= FILE_MIN
    except OSError:
        return False  # the local path says what is wrong


def _split(
    source: Path | bytes, cold: bool, inserting: bool = False
) -> tuple[bytes, int, bytes] | None:
    """The start of a JSONL input to check here, and the kind and the rest of the worker's
    job (the start is longer when the worker is ``cold``, only starting); ``None`` when
    there is no line end to cut at. A file is named by its absolute path and identified by
    the device, inode, size and modification time it had when its start was read: the
    worker refuses (the row path follows) a file that is no longer that one."""
    if isinstance(source, bytes):
        share = BODY_HEAD_INSERTING if inserting else BODY_HEAD
        cut = columnar.head_cut(source, int(len(source) * share))
        if not cut:
            return None
        lines = source.count(b"\n", 0, cut)
        return source[:cut], _BODY, _JOB.pack(0, 0, lines + 1, BODY_ROWS)[8:] + source[cut:]
    if inserting:
        size = FILE_HEAD_INSERTING if cold else FILE_HEAD_WARM_INSERTING
    else:
        size = FILE_HEAD if cold else FILE_HEAD_WARM
    try:
        with source.open("rb") as f:
            st = os.fstat(f.fileno())
            data = f.read(size)
    except OSError:
        return None  # the local path says what is wrong
    cut = columnar.head_cut(data, size)
    if not cut:
        return None
    lines = data.count(b"\n", 0, cut)
    identity = _IDENTITY.pack(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    job = _JOB.pack(0, cut, lines + 1, FILE_ROWS)[8:] + identity + os.fsencode(source.absolute())
    return data[:cut], _FILE, job


# --- the worker's side ---------------------------------------------------------------------------


def _job_chunks(kind: int, payload: bytes) -> Iterator[pl.DataFrame]:
    _number, offset, first_line, rows = _JOB.unpack_from(payload)
    rest = payload[_JOB.size :]
    if kind == _BODY:
        items = columnar.body_items(rest, first_line=first_line, rows=rows, block=BODY_BLOCK)
        for part in items:
            yield columnar.check_chunk(part, True)
        return
    identity = _IDENTITY.unpack_from(rest)
    try:
        f = open(os.fsdecode(rest[_IDENTITY.size :]), "rb")  # noqa: SIM115 - closed below
    except OSError:
        raise columnar.Fallback from None
    with f:
        st = os.fstat(f.fileno())
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != identity:
            raise columnar.Fallback  # another file now, or this one changed
        f.seek(offset)
        blocks = columnar.byte_chunks(f.read, BLOCK)
        for part in columnar.jsonl_items(blocks, first_line=first_line, rows=rows):
            yield columnar.check_chunk(part, True)


def serve(inp: IO[bytes], out: IO[bytes]) -> None:
    """Run jobs from ``inp`` until it closes, answering on ``out``."""
    jobs: queue.Queue[tuple[int, bytes] | None] = queue.Queue()
    stopped = [0]  # the highest job number a stop was sent for

    def listen() -> None:
        while True:
            try:
                kind, payload = _receive(inp)
            except (EOFError, OSError):
                jobs.put(None)
                return
            if kind == _STOP:
                stopped[0] = max(stopped[0], _NUMBER.unpack_from(payload)[0])
            else:
                jobs.put((kind, payload))

    threading.Thread(target=listen, name="check-worker-listen", daemon=True).start()
    gc.collect()
    gc.freeze()  # what the imports made is never garbage: later collections pass it by
    _send(out, _READY)
    while (job := jobs.get()) is not None:
        number = _NUMBER.unpack_from(job[1])[0]
        gc.disable()
        try:
            for chunk in _job_chunks(*job):
                if stopped[0] >= number:
                    _send(out, _STOPPED)
                    break
                buf = io.BytesIO()
                chunk.write_ipc(buf, compression="uncompressed")
                _send(out, _CHUNK, buf.getbuffer().tobytes())
            else:
                _send(out, _DONE)
        except columnar.Fallback:
            _send(out, _FALLBACK)
        except Exception as e:
            print(f"check worker: {type(e).__name__}: {e}", file=sys.stderr)
            _send(out, _FALLBACK)
        finally:
            gc.enable()
            gc.collect()  # the job's cycles (the frozen start-up objects are not scanned)


def main(out_fd: int | None = None) -> None:
    """The worker: jobs on stdin, answers on ``out_fd`` (a copy of the stdout it was
    started with, which then points at stderr so that a stray print cannot corrupt the
    answers; see :data:`_BOOT`)."""
    if out_fd is None:
        out_fd = os.dup(1)
        os.dup2(2, 1)
    with contextlib.suppress(BrokenPipeError):  # the writer went away
        serve(os.fdopen(0, "rb"), os.fdopen(out_fd, "wb"))


if __name__ == "__main__":
    main()
