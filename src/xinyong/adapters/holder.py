"""Who holds a store file: a running server marks the store it serves, so that a command about
to replace that store (``xinyong demo``, ``xinyong world run --replace``) can refuse instead of
pulling the file from under the server.

The mark is a shared ``flock`` on ``STORE.held`` (beside the store) for the server's lifetime,
with a line saying who holds it. The operating system drops the lock when the process ends,
however it ends, so a crashed server leaves no false mark. POSIX only: elsewhere nothing is
marked and nothing is refused. Stores named by URL (PostgreSQL) and ``:memory:`` have no file
and are never marked.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]


def mark_path(db: str) -> Path | None:
    """The mark file of the store ``db``, or ``None`` when it is not a file."""
    if "://" in db or db in ("", ":memory:"):
        return None
    return Path(db).with_name(Path(db).name + ".held")


@contextlib.contextmanager
def held(db: str, what: str) -> Iterator[None]:
    """Mark ``db`` as held (``what``: who holds it, e.g. ``a server at http://...``) while
    the block runs; several holders may share it."""
    path = mark_path(db)
    if path is None or fcntl is None:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)
        os.ftruncate(fd, 0)
        os.write(fd, f"{what} (process {os.getpid()})\n".encode())
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
        release_if_free(path)


def release_if_free(path: Path) -> None:
    """Remove a mark file nobody holds (a left-over)."""
    if fcntl is None or not path.exists():
        return
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return
    try:
        path.unlink(missing_ok=True)
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def holder(db: str) -> str | None:
    """Who holds the store ``db`` now (the mark's line), or ``None`` when nobody does."""
    path = mark_path(db)
    if path is None or fcntl is None or not path.exists():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            text = os.read(fd, 1000).decode("utf-8", "replace").strip()
            return text or "another process"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
