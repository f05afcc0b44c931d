"""API keys and roles.

Keys come from a TOML file (``--keys FILE`` or env ``XINYONG_KEYS_FILE``) or from TOML text in
env ``XINYONG_API_KEYS``, one ``[[key]]`` table per key::

    [[key]]
    key = "a-long-random-secret"
    role = "agency"                      # agency | gate | subject | operator
    name = "traffic-police"              # who, in the access log
    categories = ["traffic.*", "tax.arrears"]   # agency only: what it may write
    sources = ["traffic-police", "traffic-police.*"]  # agency only: the sources it writes as
                                         # (default: its name and name.*)

    [[key]]
    key = "another-secret"
    role = "subject"
    name = "subject 11010519491231002X"
    subject = "11010519491231002X"       # subject only: the one file it may read

A request without ``X-API-Key`` acts in the ``public`` role (the portal, published lists).
Keys are held only as SHA-256 digests.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from xinyong.core.errors import XinyongError


class Role(StrEnum):
    AGENCY = "agency"
    GATE = "gate"
    SUBJECT = "subject"
    OPERATOR = "operator"  # decides objections
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the role, a name for the access log, and what the role is limited to."""

    role: Role
    name: str
    categories: frozenset[str] = frozenset()
    subject: str | None = None
    sources: frozenset[str] = frozenset()
    """Agency only: the ``source`` values its records may carry (patterns as categories)."""

    def may_write(self, category: str) -> bool:
        """Whether this agency is authorised to record ``category`` (``family.*`` patterns)."""
        return _matches(category, self.categories)

    def may_source(self, source: str) -> bool:
        """Whether records this agency writes may name ``source`` (its own name, its
        sub-units ``name.*``, or the ``sources`` its key lists)."""
        return _matches(source, self.sources)


def _matches(value: str, patterns: frozenset[str]) -> bool:
    if value in patterns or "*" in patterns:
        return True
    return any(p.endswith(".*") and value.startswith(p[:-1]) for p in patterns)


PUBLIC = Principal(Role.PUBLIC, "public")


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Configured keys by digest."""

    by_digest: dict[str, Principal]

    def find(self, key: str) -> Principal | None:
        return self.by_digest.get(digest(key))

    def named(self, name: str) -> Principal:
        """The key configured under ``name`` (for a local operator acting as an agency)."""
        hits = [p for p in self.by_digest.values() if p.name == name]
        if len(hits) != 1:
            known = ", ".join(sorted({p.name for p in self.by_digest.values()})) or "none"
            why = "no key" if not hits else f"{len(hits)} keys"
            raise XinyongError(f"{why} named {name!r} in the keys configured; names: {known}")
        return hits[0]

    @classmethod
    def empty(cls) -> KeyRing:
        return cls({})

    @classmethod
    def from_entries(cls, entries: list[dict[str, Any]], origin: str) -> KeyRing:
        out: dict[str, Principal] = {}
        for i, e in enumerate(entries, 1):
            where = f"{origin}: key #{i}"
            unknown = set(e) - {"key", "role", "name", "categories", "subject", "sources"}
            if unknown:
                raise XinyongError(
                    f"{where}: unknown field(s) {', '.join(sorted(unknown))}; allowed: key, "
                    "role, name, categories, subject, sources"
                )
            key, role = e.get("key"), e.get("role")
            if not isinstance(key, str) or len(key) < 8:
                raise XinyongError(f"{where}: 'key' must be text of at least 8 characters")
            roles = [r.value for r in Role if r is not Role.PUBLIC]
            if role not in roles:
                raise XinyongError(
                    f"{where}: 'role' must be one of {', '.join(roles)}, got {role!r}"
                )
            name = e.get("name") or role
            categories = e.get("categories", [])
            if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
                raise XinyongError(f"{where}: 'categories' must be a list of category names")
            if role == "agency" and not categories:
                raise XinyongError(f"{where}: an agency key needs 'categories' it may write")
            subject = e.get("subject")
            if role == "subject" and not isinstance(subject, str):
                raise XinyongError(f"{where}: a subject key needs 'subject' (the code it may read)")
            sources = e.get("sources", [str(name), f"{name}.*"])
            if not isinstance(sources, list) or not all(isinstance(x, str) for x in sources):
                raise XinyongError(f"{where}: 'sources' must be a list of source names")
            p = Principal(
                Role(role),
                str(name),
                frozenset(categories),
                subject.strip().upper() if isinstance(subject, str) else None,
                frozenset(sources) if role == "agency" else frozenset(),
            )
            d = digest(key)
            if d in out:
                raise XinyongError(f"{where}: this key is configured twice")
            out[d] = p
        return cls(out)

    @classmethod
    def from_toml(cls, text: str, origin: str) -> KeyRing:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as e:
            raise XinyongError(f"{origin}: not valid TOML: {e}") from None
        unknown = set(data) - {"key"}
        if unknown:
            raise XinyongError(
                f"{origin}: unknown table(s) {', '.join(sorted(unknown))}; "
                "write one [[key]] table per key"
            )
        entries = data.get("key", [])
        if not isinstance(entries, list):
            raise XinyongError(f"{origin}: write one [[key]] table per key")
        return cls.from_entries(entries, origin)

    @classmethod
    def from_file(cls, path: Path) -> KeyRing:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as e:
            raise XinyongError(f"cannot read keys file {str(path)!r}: {e.strerror}") from None
        return cls.from_toml(text, str(path))
