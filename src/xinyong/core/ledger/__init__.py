"""The tamper-evident ledger over the append-only record log: pure hashing, no I/O.

- :mod:`.chain`: each appended record gets a position and a chain hash
  ``h_p = SHA-256(h_{p-1} || content_hash_p || p)``;
- :mod:`.merkle`: the Merkle tree (RFC 9162 shape) over a block of positions, with
  inclusion proofs;
- :mod:`.checkpoint`: Ed25519-signed statements of (position, chain head, block root, time);
- :mod:`.audit`: recomputes all of it from what a store holds and names the first bad
  position and what is wrong there.
"""
