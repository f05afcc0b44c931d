"""Signed checkpoints: a key holder's Ed25519 signature over the state of the log.

A checkpoint states: the log had ``position`` records, its chain hash there was ``head``,
the Merkle root of the block after the previous checkpoint (``since``, 0 for the first) up to
``position`` was ``root``, at ``made_at`` (microseconds since the epoch, UTC). The signed
bytes are :func:`statement`; the public key travels with the checkpoint so anyone can check
it, and a verifier that knows the operator's key can require it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

_DOMAIN = "xinyong-ledger-checkpoint-v1"


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One signed statement about the log (hashes and keys as hex text)."""

    position: int
    since: int
    head: str
    root: str
    made_at: int
    public_key: str
    signature: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Checkpoint:
        """A checkpoint from :meth:`to_dict` output; raises ``ValueError`` naming a bad field."""
        try:
            return cls(
                position=int(data["position"]),
                since=int(data["since"]),
                head=str(data["head"]),
                root=str(data["root"]),
                made_at=int(data["made_at"]),
                public_key=str(data["public_key"]),
                signature=str(data["signature"]),
            )
        except KeyError as e:
            raise ValueError(f"checkpoint is missing field {e.args[0]!r}") from None
        except (TypeError, ValueError) as e:
            raise ValueError(f"checkpoint has a field of the wrong type: {e}") from None


def statement(position: int, since: int, head: str, root: str, made_at: int) -> bytes:
    """The exact bytes a checkpoint signs."""
    return f"{_DOMAIN}\n{position}\n{since}\n{head}\n{root}\n{made_at}\n".encode()


def public_hex(key: Ed25519PrivateKey) -> str:
    """The raw public key of ``key`` as hex (64 characters)."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def sign(
    key: Ed25519PrivateKey, *, position: int, since: int, head: str, root: str, made_at: int
) -> Checkpoint:
    """A checkpoint over the given state, signed with ``key``."""
    signature = key.sign(statement(position, since, head, root, made_at))
    return Checkpoint(position, since, head, root, made_at, public_hex(key), signature.hex())


def signature_ok(cp: Checkpoint) -> bool:
    """Whether ``cp.signature`` is ``cp.public_key``'s signature over ``cp``'s statement."""
    try:
        pub = Ed25519PublicKey.from_public_bytes(bytes.fromhex(cp.public_key))
        pub.verify(
            bytes.fromhex(cp.signature),
            statement(cp.position, cp.since, cp.head, cp.root, cp.made_at),
        )
    except (InvalidSignature, ValueError):
        return False
    return True
