"""Properties of the pure ledger core (no store): chain, Merkle tree, audit, checkpoints."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from xinyong.core.ledger.audit import Entry, Kind, Stored, audit
from xinyong.core.ledger.chain import GENESIS, extend, link
from xinyong.core.ledger.checkpoint import public_hex, sign, signature_ok
from xinyong.core.ledger.merkle import (
    inclusion_proof,
    leaf,
    root,
    root_by_split,
    verify_inclusion,
)

KEY = Ed25519PrivateKey.generate()
hashes = st.lists(st.binary(min_size=1, max_size=8), min_size=1, max_size=40).map(
    lambda xs: [hashlib.sha256(x + bytes([k % 256])).hexdigest() for k, x in enumerate(xs)]
)


def _log(contents: list[str]) -> tuple[list[Entry], list[Stored]]:
    chains = extend(GENESIS, contents, 1)
    entries = [Entry(p, p, c) for p, c in enumerate(chains, 1)]
    stored = [Stored(p, f"r{p}", h, h) for p, h in enumerate(contents, 1)]
    return entries, stored


def _audit(entries: list[Entry], stored: list[Stored]):  # type: ignore[no-untyped-def]
    return audit(entries, stored, [], chains=lambda: [(e.position, e.chain) for e in entries])


@given(hashes)
def test_extend_is_repeated_link(contents: list[str]) -> None:
    prev, out = GENESIS, []
    for p, c in enumerate(contents, 1):
        prev = link(prev, c, p)
        out.append(prev)
    assert extend(GENESIS, contents, 1) == out
    assert len(set(out)) == len(out)


@given(hashes)
def test_merkle_root_matches_the_rfc_split_and_every_proof_verifies(contents: list[str]) -> None:
    leaves = [leaf(p, h) for p, h in enumerate(contents, 1)]
    r = root(leaves)
    assert r == root_by_split(leaves).hex()
    for i, lf in enumerate(leaves):
        path = inclusion_proof(leaves, i)
        assert verify_inclusion(lf, i, len(leaves), path, r)
        other = leaf(i + 1, hashlib.sha256(b"other").hexdigest())
        assert not verify_inclusion(other, i, len(leaves), path, r)
        if len(leaves) > 1:
            assert not verify_inclusion(lf, (i + 1) % len(leaves), len(leaves), path, r)


@given(hashes)
def test_an_intact_log_audits_clean(contents: list[str]) -> None:
    entries, stored = _log(contents)
    a = _audit(entries, stored)
    assert a.ok
    assert a.records == a.entries == len(contents)


@given(hashes, st.data())
def test_any_single_edit_is_found_at_its_position(contents: list[str], data: st.DataObject) -> None:
    entries, stored = _log(contents)
    k = data.draw(st.integers(0, len(contents) - 1))
    new = hashlib.sha256(b"edited").hexdigest()
    rewrite_hash = data.draw(st.booleans())
    stored[k] = stored[k]._replace(
        content_hash=new, stored_hash=new if rewrite_hash else contents[k]
    )
    a = _audit(entries, stored)
    assert a.first is not None
    assert a.first.position == k + 1
    assert a.first.kind is Kind.EDITED


@given(hashes, st.data())
def test_any_deletion_is_found(contents: list[str], data: st.DataObject) -> None:
    entries, stored = _log(contents)
    k = data.draw(st.integers(0, len(contents) - 1))
    del stored[k]
    a = _audit(entries, stored)
    assert a.first is not None
    assert (a.first.position, a.first.kind) == (k + 1, Kind.DELETED)


@given(hashes, st.data())
def test_any_swap_of_contents_is_found_at_the_first_of_the_two(
    contents: list[str], data: st.DataObject
) -> None:
    entries, stored = _log(contents)
    if len(set(contents)) < 2:
        return
    i, j = sorted(
        data.draw(st.lists(st.integers(0, len(contents) - 1), min_size=2, max_size=2, unique=True))
    )
    if contents[i] == contents[j]:
        return
    si, sj = stored[i], stored[j]
    stored[i] = sj._replace(seq=si.seq)
    stored[j] = si._replace(seq=sj.seq)
    a = _audit(entries, stored)
    assert a.first is not None
    assert (a.first.position, a.first.kind) == (i + 1, Kind.REORDERED)


@given(st.integers(1, 10**9), st.integers(0, 10**9), st.binary(min_size=32, max_size=32))
def test_a_checkpoint_signature_covers_every_field(position: int, made_at: int, h: bytes) -> None:
    cp = sign(KEY, position=position, since=0, head=h.hex(), root=h.hex(), made_at=made_at)
    assert signature_ok(cp)
    assert not signature_ok(cp.__class__(**{**cp.to_dict(), "position": position + 1}))
    assert not signature_ok(cp.__class__(**{**cp.to_dict(), "made_at": made_at + 1}))
    assert not signature_ok(
        cp.__class__(**{**cp.to_dict(), "head": bytes([h[0] ^ 1, *h[1:]]).hex()})
    )
    assert not signature_ok(
        cp.__class__(**{**cp.to_dict(), "root": bytes([h[0] ^ 1, *h[1:]]).hex()})
    )


def _signed_log(n: int, every: int) -> tuple[list[Entry], list[Stored], list[Any]]:
    """A log of ``n`` records checkpointed as the signer does: at every ``every``-th."""
    contents = [hashlib.sha256(str(k).encode()).hexdigest() for k in range(n)]
    entries, stored = _log(contents)
    cps, since = [], 0
    for p in range(every, n + 1, every):
        leaves = [leaf(q, contents[q - 1]) for q in range(since + 1, p + 1)]
        cps.append(
            sign(
                KEY,
                position=p,
                since=since,
                head=entries[p - 1].chain,
                root=root(leaves),
                made_at=p,
            )
        )
        since = p
    return entries, stored, cps


def _verify(entries: list[Entry], stored: list[Stored], cps: list[Any], every: int) -> Any:
    return audit(
        entries,
        stored,
        cps,
        chains=lambda: [(e.position, e.chain) for e in entries],
        trusted=frozenset({public_hex(KEY)}),
        every=every,
    )


@given(st.integers(1, 60), st.integers(2, 10))
def test_deleting_signed_checkpoints_is_tampering(n: int, every: int) -> None:
    entries, stored, cps = _signed_log(n, every)
    assert _verify(entries, stored, cps, every).ok  # as signed: clean
    if not cps:
        return
    kept = cps[:-1]  # the newest checkpoint's rows deleted
    got = _verify(entries, stored, kept, every)
    assert got.first is not None
    assert got.first.kind is Kind.CHECKPOINT
    assert got.first.position == (kept[-1].position if kept else 0) + 1
    # without the interval (signing not configured), the store alone cannot tell
    assert audit(entries, stored, kept, chains=lambda: [(e.position, e.chain) for e in entries]).ok
