"""A Merkle tree over a block of the log (the shape of RFC 9162, Certificate Transparency).

Leaf ``p`` is ``SHA-256(0x00 || p || content_hash_p)`` (position as 8 bytes big-endian), an
inner node is ``SHA-256(0x01 || left || right)``; a tree of ``n`` leaves splits at the largest
power of two below ``n``. :func:`inclusion_proof` and :func:`verify_inclusion` let anyone
holding a signed root check one record without the rest of the block.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

EMPTY_ROOT = hashlib.sha256(b"").hexdigest()
"""The root of an empty block."""


def leaf(position: int, content_hash: str) -> bytes:
    """The leaf hash of the record with ``content_hash`` at ``position``."""
    return hashlib.sha256(
        b"\x00" + position.to_bytes(8, "big") + bytes.fromhex(content_hash)
    ).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root(leaves: Sequence[bytes]) -> str:
    """The Merkle root (hex) of ``leaves`` (from :func:`leaf`), level by level.

    Pairing neighbours and carrying a lone last node up unchanged gives the same root as the
    RFC's split at the largest power of two (a property test holds it to that).
    """
    if not leaves:
        return EMPTY_ROOT
    level = list(leaves)
    while len(level) > 1:
        nxt = [_node(level[k], level[k + 1]) for k in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0].hex()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (``n >= 2``)."""
    return 1 << ((n - 1).bit_length() - 1)


def root_by_split(leaves: Sequence[bytes]) -> bytes:
    """The root as the RFC defines it (recursive split); the reference for :func:`root`."""
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(root_by_split(leaves[:k]), root_by_split(leaves[k:]))


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[str]:
    """The audit path (hex, bottom up) proving ``leaves[index]`` is in the tree."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf index {index} is outside a block of {len(leaves)} leaves")
    path: list[str] = []
    lo, hi = 0, len(leaves)
    while hi - lo > 1:
        k = _split(hi - lo)
        if index < lo + k:
            path.append(root_by_split(leaves[lo + k : hi]).hex())
            hi = lo + k
        else:
            path.append(root_by_split(leaves[lo : lo + k]).hex())
            lo = lo + k
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, path: Sequence[str], root_hex: str
) -> bool:
    """Whether ``path`` proves ``leaf_hash`` at ``index`` of a ``size``-leaf tree with ``root_hex``.

    (RFC 9162 section 2.1.3.2.)
    """
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    r = leaf_hash
    for p_hex in path:
        p = bytes.fromhex(p_hex)
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = _node(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = _node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r.hex() == root_hex
