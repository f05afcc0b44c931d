"""The append-only credit-file store: the ports (:class:`RecordStore`, and beside it the
ledger, live state, journal and gate reads: :mod:`xinyong.system.ports`) and their backends.

``open_store("credit.db")`` or ``open_store("sqlite:///credit.db")`` opens (creating and
migrating if needed) a SQLite file; ``open_store("postgresql://user@host/db")`` opens the same
store on PostgreSQL (:class:`PostgresRecordStore`). Either is a
:class:`~xinyong.system.ports.Backend`: ``store.ledger()``, ``store.live_state()`` and
``store.journal()`` run on its database. Layout: :mod:`.schema` (every table, one metadata),
:mod:`.migrations` (how they are made), :mod:`.guards` (the append-only triggers),
:mod:`.db` (engine, writer lock, transactions), :mod:`.sql` and :mod:`.postgres`.
"""

from __future__ import annotations

from pathlib import Path

from xinyong.adapters.store.ledger import Signer
from xinyong.adapters.store.postgres import PostgresRecordStore
from xinyong.adapters.store.sql import SqlRecordStore
from xinyong.core.errors import XinyongError
from xinyong.core.timeutil import now
from xinyong.system.clock import Clock
from xinyong.system.ports import Backend
from xinyong.system.record_store import (
    DEFAULT_FRAME_COLUMNS,
    FRAME_SCHEMA,
    AppendResult,
    Known,
    Problem,
    RecordStore,
)

__all__ = [
    "DEFAULT_FRAME_COLUMNS",
    "FRAME_SCHEMA",
    "AppendResult",
    "Backend",
    "Known",
    "PostgresRecordStore",
    "Problem",
    "RecordStore",
    "SqlRecordStore",
    "open_store",
    "store_url",
]

_SCHEMES = ("sqlite", "postgresql", "postgres")


def url_scheme(url: str) -> str:
    """The database kind of a URL (``sqlite``, ``postgresql``, ...): the one parse of it."""
    return url.split("://", 1)[0].split("+", 1)[0].lower()


def store_url(url_or_path: str) -> str:
    """The database URL for a plain file path or a URL (``sqlite:///...``).

    Raises :class:`XinyongError` for an unsupported URL scheme or a missing parent folder.
    """
    text = url_or_path.strip()
    if "://" in text:
        scheme = url_scheme(text)
        if scheme not in _SCHEMES:
            raise XinyongError(
                f"unsupported store URL {text!r}; use a file path or a URL starting with "
                + " or ".join(f"{s}://" for s in _SCHEMES)
            )
        return text
    if text in ("", ":memory:"):
        return "sqlite://"
    path = Path(text).expanduser()
    if not path.parent.is_dir():
        raise XinyongError(
            f"cannot create store {str(path)!r}: folder {str(path.parent)!r} does not exist"
        )
    return "sqlite:///" + path.as_posix()


def open_store(url_or_path: str, *, signer: Signer | None = None, clock: Clock = now) -> Backend:
    """Open the store at a file path or database URL (created and migrated if needed).

    Appends sign ledger checkpoints with ``signer``, if given, and are stamped accepted at
    ``clock()`` (the store's clock; the composition root makes both from the settings).
    """
    url = store_url(url_or_path)
    if url_scheme(url) in ("postgresql", "postgres"):
        return PostgresRecordStore(url, signer=signer, clock=clock)
    return SqlRecordStore(url, signer=signer, clock=clock)
