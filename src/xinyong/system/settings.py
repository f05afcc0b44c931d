"""Settings: everything an operator configures, read from the environment in one place.

Every entry point builds one :class:`Settings` (``Settings.from_env()``, with the options of
the command or the request layered on top by :meth:`Settings.replace`) and hands it to
:func:`xinyong.open_system`. ``docs/settings.md`` documents each field and its variable; a test
holds the two together.

>>> s = Settings.from_env({"XINYONG_DB": "credit.db", "XINYONG_SCHEMES": "rongcheng, sesame"})
>>> s.db, s.schemes
('credit.db', ('rongcheng', 'sesame'))
>>> s.replace(db="other.db").db
'other.db'
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xinyong.core.errors import XinyongError
from xinyong.system.clock import REAL, check_clock

DEFAULT_DB = "./xinyong.db"
DEFAULT_LEDGER_EVERY = 10_000
ADMIT = ("used", "catalogue")
DEFAULT_PUBLIC_RATE = 30


class SettingsError(XinyongError):
    """A setting has a value that cannot be used; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Variable:
    """One environment variable behind a field."""

    name: str
    field: str
    help: str


VARIABLES = (
    Variable(
        "XINYONG_DB",
        "db",
        "The store: a file path (embedded SQLite) or a database URL (sqlite:///..., "
        "postgresql://...).",
    ),
    Variable("XINYONG_KEYS_FILE", "keys_file", "A TOML file of API keys ([[key]] tables)."),
    Variable(
        "XINYONG_API_KEYS",
        "api_keys",
        "API keys as TOML text, when there is no keys file.",
    ),
    Variable(
        "XINYONG_LEDGER_KEY",
        "ledger_key",
        "An Ed25519 PEM private key: appends sign ledger checkpoints with it.",
    ),
    Variable(
        "XINYONG_LEDGER_ANCHOR",
        "ledger_anchor",
        "An append-only file outside the store that every signed checkpoint is also written to.",
    ),
    Variable(
        "XINYONG_LEDGER_EVERY",
        "ledger_every",
        "Records between two signed checkpoints (a whole number >= 1).",
    ),
    Variable(
        "XINYONG_SCHEMES",
        "schemes",
        "Comma-separated preset names or scheme files in force; empty: every preset.",
    ),
    Variable(
        "XINYONG_ADMIT",
        "admit",
        "Which categories ingest admits: 'used' (catalogued and used by a scheme in force: "
        "data minimisation, the default) or 'catalogue' (every catalogued category).",
    ),
    Variable(
        "XINYONG_PUBLIC_RATE",
        "public_rate",
        "Public lookups about subjects per minute per client address (0: no limit).",
    ),
    Variable(
        "XINYONG_CLOCK",
        "clock",
        "The store's clock, which stamps when each record is accepted and against which "
        "future-dated records are refused: 'real' (the default) or an instant such as "
        "2026-11-18T02:00:00Z for replays. The HTTP service and the NATS consumer always use "
        "the real clock.",
    ),
    Variable(
        "XINYONG_LIST_WORKERS",
        "list_workers",
        "Processes that evaluate list pages for the HTTP service, apart from the gates "
        "(0: in the server's process).",
    ),
    Variable(
        "XINYONG_CHECK_WORKERS",
        "check_workers",
        "Processes that check a large input's records while the writer writes them (1, the "
        "default) or 0: checked in the writer's process alone.",
    ),
    Variable(
        "XINYONG_MEMORANDA",
        "memoranda",
        "Comma-separated memorandum names or files in force; empty: every shipped one.",
    ),
)


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Settings:
    """What the system runs with. Every field has a default; see ``docs/settings.md``."""

    db: str = DEFAULT_DB
    """The store: a file path (embedded SQLite) or a database URL."""
    keys_file: Path | None = None
    """API keys (TOML, one ``[[key]]`` table per key); ``None``: see ``api_keys``."""
    api_keys: str | None = None
    """API keys as TOML text; with neither, only the public role exists."""
    ledger_key: Path | None = None
    """Ed25519 PEM key that signs ledger checkpoints; ``None``: appends are not signed."""
    ledger_every: int = DEFAULT_LEDGER_EVERY
    """Records between two signed checkpoints."""
    ledger_anchor: Path | None = None
    """A file outside the store that every signed checkpoint is also appended to (JSON
    lines), for ``xinyong ledger verify --anchor``."""
    schemes: tuple[str, ...] = ()
    """Schemes in force (preset names or ``.toml`` paths); empty: every preset."""
    memoranda: tuple[str, ...] = ()
    """Memoranda in force (names or ``.toml`` paths); empty: every shipped memorandum."""
    public_rate: int = DEFAULT_PUBLIC_RATE
    """Public lookups about subjects (portal subject page and search, published records,
    objections filed without a key) per minute per client address; 0: no limit."""
    list_workers: int = 1
    """Processes the HTTP service evaluates list pages in, apart from the process that
    answers gate checks (0: in that process, one list at a time)."""
    check_workers: int = 1
    """Processes that check a large file's or body's records (read, validated, hashed)
    while the writer's process writes them: 1, or 0 (checked in the writer's process)."""
    admit: str = "used"
    """Categories admitted at ingest: ``"used"`` (catalogued and used by a scheme in force:
    data minimisation) or ``"catalogue"`` (every catalogued category: for replays and the
    synthetic world, whose agencies report all they handle)."""
    clock: str = REAL
    """The store's clock: ``"real"`` (the machine's UTC clock) or an instant at which it
    stands, for replays (:mod:`xinyong.system.clock`). It stamps each record's acceptance
    (what ``--known-at`` cuts on) and is the "now" future-dated records are refused against.
    The HTTP service and the NATS consumer always run on the real clock."""
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """Ready-made values for tests and embedding (``schemes``, ``memoranda``, ``categories``,
    ``keys`` objects, a replay ``clock`` such as :class:`~xinyong.system.clock.ReplayClock`)
    that take precedence over the names above."""

    def __post_init__(self) -> None:
        if self.public_rate < 0:
            raise SettingsError(
                f"public_rate (XINYONG_PUBLIC_RATE) must be a whole number of lookups a "
                f"minute >= 0, got {self.public_rate}"
            )
        if not 0 <= self.list_workers <= 64:
            raise SettingsError(
                f"list_workers (XINYONG_LIST_WORKERS) must be a whole number of processes "
                f"from 0 to 64, got {self.list_workers}"
            )
        if self.check_workers not in (0, 1):
            raise SettingsError(
                f"check_workers (XINYONG_CHECK_WORKERS) must be 0 or 1, got {self.check_workers}"
            )
        if self.admit not in ADMIT:
            raise SettingsError(
                f"admit (XINYONG_ADMIT) must be one of {', '.join(ADMIT)}, got {self.admit!r}"
            )
        try:
            object.__setattr__(self, "clock", check_clock(self.clock))
        except ValueError as e:
            raise SettingsError(f"clock (XINYONG_CLOCK) {e}") from None
        if self.ledger_every < 1:
            raise SettingsError(
                f"ledger_every (XINYONG_LEDGER_EVERY) must be a whole number of records >= 1, "
                f"got {self.ledger_every}"
            )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Settings from ``environ`` (default ``os.environ``), then ``overrides`` (fields
        whose value is ``None`` are not overridden)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        if env.get("XINYONG_DB"):
            values["db"] = env["XINYONG_DB"]
        if env.get("XINYONG_KEYS_FILE"):
            values["keys_file"] = Path(env["XINYONG_KEYS_FILE"])
        if env.get("XINYONG_API_KEYS"):
            values["api_keys"] = env["XINYONG_API_KEYS"]
        if env.get("XINYONG_LEDGER_KEY"):
            values["ledger_key"] = Path(env["XINYONG_LEDGER_KEY"])
        if env.get("XINYONG_LEDGER_ANCHOR"):
            values["ledger_anchor"] = Path(env["XINYONG_LEDGER_ANCHOR"])
        for var, name, what in (
            ("XINYONG_LEDGER_EVERY", "ledger_every", "a whole number of records >= 1"),
            ("XINYONG_PUBLIC_RATE", "public_rate", "a whole number of lookups a minute >= 0"),
            ("XINYONG_LIST_WORKERS", "list_workers", "a whole number of processes, 0 to 64"),
            ("XINYONG_CHECK_WORKERS", "check_workers", "0 or 1"),
        ):
            raw = env.get(var)
            if raw:
                try:
                    values[name] = int(raw)
                except ValueError:
                    raise SettingsError(f"{var} must be {what}, got {raw!r}") from None
        if env.get("XINYONG_CLOCK"):
            values["clock"] = env["XINYONG_CLOCK"]
        if env.get("XINYONG_ADMIT"):
            values["admit"] = env["XINYONG_ADMIT"].strip()
        for var, name in (("XINYONG_SCHEMES", "schemes"), ("XINYONG_MEMORANDA", "memoranda")):
            if env.get(var):
                values[name] = _names(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def on_real_clock(self) -> Settings:
        """These settings with the real clock: the HTTP service and the NATS consumer accept
        records on the machine's clock whatever ``XINYONG_CLOCK`` says (a replay clock is
        for an operator's own store, never for a service that others send to)."""
        extra = {k: v for k, v in self.extra.items() if k != "clock"}
        return dataclasses.replace(self, clock=REAL, extra=extra)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (fields whose value is ``None`` are left as they are)."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})
