"""Recompute the ledger from what a store holds and say where it is first wrong.

The store hands over three sorted streams: the ledger entries (position, record seq, chain
hash) by position, the records (seq, id, stored content hash, content hash recomputed from
the fields) by seq, and the checkpoints by position. :func:`audit` merges them and checks:

- every record's fields still hash to its stored content hash (else: **edited**);
- every ledger entry has its record and every record its entry (else: **deleted** /
  **inserted**), positions run 1, 2, 3, ... without gaps (else: **deleted**);
- every chain link ``h_p = link(h_{p-1}, c_p, p)`` holds; a broken link is classified by
  looking at its neighbour and at where the record's content does link in (**reordered**,
  **inserted**, **deleted**, **edited**, or the **chain** hash itself altered);
- every checkpoint's signature, chain head and block Merkle root, that checkpoints follow each
  other (``since``), and that no checkpoint or anchor lies past the end of the log (records
  deleted at the **tail**); with trusted keys, that each checkpoint is signed by one of them.

Each link is checked against the *stored* previous hash, so one bad record gives one finding,
not a cascade. Someone who rewrites the chain hashes after a change makes every link hold;
the signed checkpoint of that block then catches it (as a head and root mismatch naming the
block). Records after the newest checkpoint are protected by the chain only: an attacker who
drops them leaves no trace in the store, which is what keeping an exported checkpoint outside
the store (an *anchor*) is for.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from xinyong.core.ledger.chain import GENESIS, link
from xinyong.core.ledger.checkpoint import Checkpoint, signature_ok
from xinyong.core.ledger.merkle import leaf, root


class Entry(NamedTuple):
    """One ledger entry: the record appended at ``position`` is stored under ``seq``."""

    position: int
    seq: int
    chain: str


class Stored(NamedTuple):
    """One stored record: its ``seq``, ``id``, the content hash stored with it, and the
    content hash recomputed from its fields now."""

    seq: int
    id: str
    stored_hash: str
    content_hash: str


class Kind(StrEnum):
    """What is wrong at a position."""

    EDITED = "edited"  # the record's content changed
    REORDERED = "reordered"  # records changed places
    INSERTED = "inserted"  # a record was added outside the ledger
    DELETED = "deleted"  # a record (or its ledger entry) was removed
    CHAIN = "chain"  # a stored chain hash was altered
    HEAD = "head"  # a checkpoint's signed head or root does not match the log
    SIGNATURE = "signature"  # a checkpoint's signature is invalid or by an untrusted key
    CHECKPOINT = "checkpoint"  # checkpoints missing or out of order


@dataclass(frozen=True, slots=True)
class Finding:
    """Something wrong at ``position`` (of the log as the ledger numbers it)."""

    position: int
    kind: Kind
    message: str


@dataclass(slots=True)
class Audit:
    """The outcome of :func:`audit`. ``findings`` are sorted by position (first bad first)."""

    records: int = 0
    entries: int = 0
    head: str = GENESIS
    checkpoints: int = 0
    anchors: int = 0
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


class _Pair(NamedTuple):
    entry: Entry
    record: Stored


_Slot = _Pair | Entry | Stored


def _merge(entries: Iterable[Entry], records: Iterable[Stored]) -> Iterator[_Slot]:
    """Entries and records matched on seq, in log order; unmatched ones alone."""
    es, rs = iter(entries), iter(records)
    e, r = next(es, None), next(rs, None)
    while e is not None or r is not None:
        if r is None or (e is not None and e.seq < r.seq):
            assert e is not None
            yield e
            e = next(es, None)
        elif e is None or r.seq < e.seq:
            yield r
            r = next(rs, None)
        else:
            yield _Pair(e, r)
            e, r = next(es, None), next(rs, None)


def locate(content_hash: str, chains: Iterable[tuple[int, str]]) -> int | None:
    """The position whose stored chain link ``content_hash`` completes, if any."""
    prev = GENESIS
    for position, chain in chains:
        if link(prev, content_hash, position) == chain:
            return position
        prev = chain
    return None


class _Break(NamedTuple):
    position: int
    prev: str  # stored chain hash before it
    chain: str  # stored chain hash at it
    expected: str  # what the link should be with this content
    record: Stored


def audit(
    entries: Iterable[Entry],
    records: Iterable[Stored],
    checkpoints: Sequence[Checkpoint],
    *,
    chains: Callable[[], Iterable[tuple[int, str]]],
    trusted: frozenset[str] | None = None,
    anchors: Sequence[Checkpoint] = (),
    progress: Callable[[int], None] | None = None,
    explain: int = 5,
    every: int | None = None,
) -> Audit:
    """Check the log; see the module docstring for what is checked.

    ``chains()`` streams ``(position, stored chain hash)`` again, to find where a misplaced
    record belongs (done for at most ``explain`` broken links). ``trusted``: public keys (hex)
    a checkpoint must be signed by; ``None`` accepts the key each checkpoint names.
    ``anchors``: checkpoints kept outside the store, which the log must still extend.
    ``progress(n)`` is called every 10,000 slots with the number done. ``every``: with
    ``trusted`` keys, the signing interval in force; then ``every`` records or more after the
    newest checkpoint (or with none at all) mean signed checkpoints were deleted, since the
    signer checkpoints each append that reaches the interval.
    """
    out = Audit()
    found: dict[int, Finding] = {}

    def report(position: int, kind: Kind, message: str) -> None:
        if position not in found:
            found[position] = Finding(position, kind, message)

    cps = sorted(checkpoints, key=lambda c: c.position)
    heads: dict[int, str] = {}  # stored chain hash at each checkpoint or anchor position
    marks = {c.position for c in cps} | {a.position for a in anchors}
    leaves: list[bytes] = []
    roots: dict[int, str] = {}  # block root computed at each checkpoint position
    starts = {c.position: c.since for c in cps}
    last_mark = cps[-1].position if cps else 0
    block_start = 0
    prev = GENESIS
    expected_pos = 1
    pending: _Break | None = None
    explained = 0

    def classify(b: _Break, nxt: _Pair | None) -> Kind:
        nonlocal explained
        p, rid = b.position, b.record.id
        if nxt is not None and nxt.entry.position == p + 1:
            n = nxt.record.content_hash
            if link(b.expected, n, p + 1) == nxt.entry.chain:
                report(
                    p,
                    Kind.CHAIN,
                    f"the ledger's chain hash at position {p} was altered "
                    f"(record {rid!r} itself is intact)",
                )
                return Kind.CHAIN
        q: int | None = None
        if explained < explain:
            explained += 1
            q = locate(b.record.content_hash, chains())
        moved_up = nxt is not None and link(b.prev, nxt.record.content_hash, p) == b.chain
        at = f"record {rid!r} at position {p}"
        if moved_up and q == p + 1:
            kind = Kind.REORDERED
            why = f"order changed: {at} was appended at {p + 1}, the one after it at {p}"
        elif moved_up:
            kind = Kind.INSERTED
            why = f"{at} was inserted: the record after it was appended at position {p}"
        elif q == p + 1:
            kind = Kind.DELETED
            why = f"the record appended at position {p} was deleted: {at} was appended at {p + 1}"
        elif q is not None:
            kind = Kind.REORDERED
            why = f"order changed: {at} was appended at position {q}"
        else:
            kind = Kind.EDITED
            why = (
                f"chain link broken: {at} is not what was appended there (content and content "
                "hash rewritten, or a record inserted with a forged ledger entry)"
            )
        report(p, kind, why)
        return kind

    n = 0
    for slot in _merge(entries, records):
        n += 1
        if progress is not None and n % 10_000 == 0:
            progress(n)
        if isinstance(slot, Stored):
            out.records += 1
            report(
                expected_pos,
                Kind.INSERTED,
                f"record {slot.id!r} (seq {slot.seq}) has no "
                f"ledger entry: it was inserted at position {expected_pos} outside the ledger",
            )
            continue
        e = slot.entry if isinstance(slot, _Pair) else slot
        out.entries += 1
        if e.position > expected_pos:
            last = e.position - 1
            span = (
                f"position {expected_pos}"
                if last == expected_pos
                else f"positions {expected_pos}-{last}"
            )
            report(
                expected_pos,
                Kind.DELETED,
                f"ledger {span} missing: record(s) deleted with their ledger entries",
            )
            leaves.clear()  # the block cannot be recomputed; its head check still runs
        elif e.position < expected_pos:
            report(
                e.position,
                Kind.REORDERED,
                f"ledger position {e.position} appears again after position {expected_pos - 1}",
            )
        expected_pos = e.position + 1
        if isinstance(slot, _Pair):
            r = slot.record
            out.records += 1
            link_prev = prev
            if pending is not None:
                if classify(pending, slot) is Kind.CHAIN:
                    link_prev = pending.expected  # the altered hash is reported already
                pending = None
            if r.content_hash != r.stored_hash:
                report(
                    e.position,
                    Kind.EDITED,
                    f"record {r.id!r} at position {e.position} was "
                    "edited: its fields no longer match its content hash",
                )
            else:
                want = link(link_prev, r.content_hash, e.position)
                if want != e.chain:
                    pending = _Break(e.position, link_prev, e.chain, want, r)
            if e.position <= last_mark:  # a checkpoint still to come covers it
                leaves.append(leaf(e.position, r.content_hash))
        else:
            if pending is not None:
                classify(pending, None)
                pending = None
            report(
                e.position,
                Kind.DELETED,
                f"the record appended at position {e.position} (seq {e.seq}) was deleted",
            )
        prev = e.chain
        if e.position in marks:
            heads[e.position] = e.chain
            if e.position in starts:
                if starts[e.position] == block_start and len(leaves) == e.position - block_start:
                    roots[e.position] = root(leaves)
                leaves = []
                block_start = e.position
    if pending is not None:
        classify(pending, None)
    out.head = prev
    end = expected_pos - 1
    _check_checkpoints(out, cps, heads, roots, end, trusted, report, sorted(found))
    for a in anchors:
        out.anchors += 1
        if not signature_ok(a):
            report(
                a.position,
                Kind.SIGNATURE,
                f"anchor at position {a.position} has an invalid signature",
            )
        elif a.position > end:
            report(
                end + 1,
                Kind.DELETED,
                f"records deleted at the tail: the anchor signed a log "
                f"of {a.position} records, the ledger ends at position {end}",
            )
        elif heads.get(a.position) != a.head:
            report(
                a.position,
                Kind.HEAD,
                f"chain head at position {a.position} differs from "
                "the anchor's: the log before it was rewritten",
            )
    if trusted is not None and every is not None:
        covered = max((c.position for c in cps if c.position <= end), default=0)
        if end - covered >= every:
            report(
                covered + 1,
                Kind.CHECKPOINT,
                f"positions {covered + 1}-{end} are covered by no signed checkpoint, but the "
                f"signer checkpoints every {every:,} records: checkpoints were deleted",
            )
    if trusted is None and cps:
        out.notes.append(
            "checkpoint signatures checked against the keys they name; give the "
            "operator's key to also require that it signed them"
        )
    if not cps:
        out.notes.append("no checkpoints: records deleted at the tail cannot be detected")
    elif cps[-1].position < end:
        out.notes.append(
            f"positions {cps[-1].position + 1}-{end} are after the newest "
            "checkpoint: protected by the chain only"
        )
    out.findings = sorted(found.values(), key=lambda f: f.position)
    return out


def _check_checkpoints(
    out: Audit,
    cps: Sequence[Checkpoint],
    heads: dict[int, str],
    roots: dict[int, str],
    end: int,
    trusted: frozenset[str] | None,
    report: Callable[[int, Kind, str], None],
    bad: list[int],
) -> None:
    """Check each checkpoint; a head or root mismatch is reported only for a block with no
    finding yet (a finding inside the block already says more precisely what changed)."""
    before = 0
    for c in cps:
        out.checkpoints += 1
        p = c.position
        if not signature_ok(c):
            report(p, Kind.SIGNATURE, f"checkpoint at position {p} has an invalid signature")
        elif trusted is not None and c.public_key not in trusted:
            report(
                p,
                Kind.SIGNATURE,
                f"checkpoint at position {p} is signed by key "
                f"{c.public_key[:16]}..., not a trusted key",
            )
        if c.since != before:
            report(
                before + 1,
                Kind.CHECKPOINT,
                f"checkpoint at position {p} follows one at "
                f"{c.since}, but the previous checkpoint found is at {before}: checkpoints "
                "were deleted",
            )
        before = p
        if p > end:
            report(
                end + 1,
                Kind.DELETED,
                f"records deleted at the tail: the checkpoint signed "
                f"a log of {p} records, the ledger ends at position {end}",
            )
            continue
        if bisect_right(bad, p) > bisect_right(bad, c.since):
            continue
        if heads.get(p) != c.head:
            report(
                c.since + 1,
                Kind.HEAD,
                f"chain head at checkpoint {p} does not match the "
                f"signed head: positions {c.since + 1}-{p} were changed and the chain "
                "rewritten",
            )
        elif p in roots and roots[p] != c.root:
            report(
                c.since + 1,
                Kind.HEAD,
                f"Merkle root of positions {c.since + 1}-{p} does "
                "not match the signed root: a record in that block was changed",
            )
