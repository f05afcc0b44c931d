"""The hash chain: position ``p`` of the log commits to every record up to ``p`` in order.

``link(h_{p-1}, c_p, p) = SHA-256(h_{p-1} || c_p || p)`` over raw bytes: the previous chain
hash (32 bytes), the record's content hash (32 bytes, :meth:`Record.content_hash`), and the
position as 8 bytes big-endian. Position 1 links to :data:`GENESIS`. Hashes travel as
lower-case hex text, as the store keeps content hashes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

GENESIS = "0" * 64
"""The chain hash before position 1."""

_sha256 = hashlib.sha256
_fromhex = bytes.fromhex


def entry_hash(content_hash: str, writer: str | None, accepted_us: int | None) -> str:
    """What the chain commits to for one record: its content hash alone for a record stored
    without provenance (stores older than migration ``0005_writer``), else SHA-256 of the
    content hash, the writer (the principal that wrote it) and the instant the store
    accepted it, so neither can be changed without breaking the chain."""
    if writer is None:
        return content_hash
    at = (accepted_us or 0).to_bytes(8, "big", signed=True)
    return _sha256(_fromhex(content_hash) + at + writer.encode("utf-8")).hexdigest()


def link(prev: str, content_hash: str, position: int) -> str:
    """The chain hash at ``position`` of a record with ``content_hash`` after ``prev``."""
    return _sha256(
        _fromhex(prev) + _fromhex(content_hash) + position.to_bytes(8, "big")
    ).hexdigest()


def extend(prev: str, content_hashes: Iterable[str], first: int) -> list[str]:
    """Chain hashes of ``content_hashes`` appended after ``prev``, the first at ``first``."""
    out: list[str] = []
    add = out.append
    h = _fromhex(prev)
    p = first
    for c in content_hashes:
        h = _sha256(h + _fromhex(c) + p.to_bytes(8, "big")).digest()
        add(h.hex())
        p += 1
    return out


def extend_entries(
    prev: str, content_hashes: Iterable[str], writer: str | None, accepted_us: int, first: int
) -> tuple[list[str], list[str]]:
    """``[entry_hash(c, writer, accepted_us) for c in content_hashes]`` and their chain
    hashes after ``prev`` (:func:`extend`), in one loop (a bulk append's hot path)."""
    entries: list[str] = []
    chains: list[str] = []
    add_entry, add_chain = entries.append, chains.append
    h = _fromhex(prev)
    p = first
    sha, fromhex = _sha256, _fromhex
    if writer is None:
        for c in content_hashes:
            add_entry(c)
            h = sha(h + fromhex(c) + p.to_bytes(8, "big")).digest()
            add_chain(h.hex())
            p += 1
        return entries, chains
    tail = accepted_us.to_bytes(8, "big", signed=True) + writer.encode("utf-8")
    for c in content_hashes:
        e = sha(fromhex(c) + tail).digest()
        add_entry(e.hex())
        h = sha(h + e + p.to_bytes(8, "big")).digest()
        add_chain(h.hex())
        p += 1
    return entries, chains
