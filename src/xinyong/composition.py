"""The composition root: the one place that chooses and wires the store, the journal, the
live state and the objection desk for a :class:`~xinyong.system.settings.Settings`.

Every entry point (the CLI, the HTTP service, the NATS consumer, the synthetic world, a user's
script) opens its system here:

>>> import xinyong
>>> with xinyong.open_system(xinyong.Settings(db=":memory:")) as system:
...     sorted(system.gates())[:2]
['air.ticket', 'deposit.bike']
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from xinyong.adapters.state import live_state
from xinyong.adapters.store import open_store
from xinyong.adapters.store.ledger import Signer, load_key
from xinyong.core.errors import XinyongError
from xinyong.core.scoring.engine import AnyScheme
from xinyong.system.admission import Admission
from xinyong.system.catalogue import categories_for, known_categories
from xinyong.system.clock import clock_of
from xinyong.system.columnar_worker import CheckWorker
from xinyong.system.credit_system import CreditSystem
from xinyong.system.engine import Engine
from xinyong.system.objection_desk import Desk
from xinyong.system.ports import Backend
from xinyong.system.principals import KeyRing
from xinyong.system.schemes_io import all_memoranda, all_presets, load_memorandum, load_scheme
from xinyong.system.settings import Settings

__all__ = ["keyring", "open_reader", "open_system"]


def keyring(settings: Settings) -> KeyRing:
    ring = settings.extra.get("keys")
    if isinstance(ring, KeyRing):
        return ring
    if settings.keys_file is not None:
        return KeyRing.from_file(settings.keys_file)
    if settings.api_keys:
        return KeyRing.from_toml(settings.api_keys, "XINYONG_API_KEYS")
    return KeyRing.empty()


def _schemes(settings: Settings) -> dict[str, Any]:
    if "schemes" in settings.extra:
        return dict(settings.extra["schemes"])
    if not settings.schemes:
        return all_presets()
    loaded = [load_scheme(n) for n in settings.schemes]
    return {s.name: s for s in loaded}


def memoranda_in_force(settings: Settings) -> list[Any]:
    """The memoranda a system opened with ``settings`` enforces (no store needed)."""
    if "memoranda" in settings.extra:
        return list(settings.extra["memoranda"])
    if not settings.memoranda:
        return all_memoranda()
    return [load_memorandum(n) for n in settings.memoranda]


def _signer(settings: Settings) -> Signer | None:
    if settings.ledger_key is None:
        return None
    anchor = str(settings.ledger_anchor) if settings.ledger_anchor is not None else None
    return Signer(load_key(Path(settings.ledger_key)), settings.ledger_every, anchor)


def store_holder(db: str) -> str | None:
    """Who holds the store file ``db`` now (a running ``xinyong serve``), or ``None``: a
    command about to replace the store refuses while it is held."""
    from xinyong.adapters.holder import holder

    return holder(db)


def holding_store(db: str, what: str) -> AbstractContextManager[None]:
    """Mark the store file ``db`` as held by ``what`` (e.g. a server) while the block runs."""
    from xinyong.adapters.holder import held

    return held(db, what)


def open_system(settings: Settings | None = None, *, must_exist: bool = False) -> CreditSystem:
    """Open the store named by ``settings.db`` (created and migrated if needed, unless
    ``must_exist``) and wire the system over it. ``settings`` defaults to
    :meth:`Settings.from_env`."""
    s = settings if settings is not None else Settings.from_env()
    if (
        must_exist
        and "://" not in s.db
        and s.db not in ("", ":memory:")
        and not Path(s.db).exists()
    ):
        raise XinyongError(
            f"no store at {s.db!r}; ingest records first (xinyong ingest FILE --db {s.db})"
        )
    keys = keyring(s)
    schemes, memoranda = _schemes(s), memoranda_in_force(s)
    cats = s.extra.get("categories")
    if cats is not None:
        categories: frozenset[str] = frozenset(cats)
    elif s.admit == "catalogue":
        categories = known_categories()
    else:
        categories = categories_for(schemes)
    # the store's clock: stamps acceptance, bounds reported times (a replay may hand one in)
    clock = s.extra.get("clock") or clock_of(s.clock)
    store = open_store(s.db, signer=_signer(s), clock=clock)
    try:
        journal = store.journal()
        live = live_state(store, schemes, memoranda)
        if live is not None and live.behind():
            live.catch_up()  # repair after a crash between a commit and the state update
        engine = Engine(store, schemes, memoranda, state=live)
        desk = Desk(engine, journal)
    except BaseException:
        store.close()
        raise
    admission = Admission(
        store,
        categories,
        live=(live.catch_up if live is not None else _live_if_enabled(store, schemes, memoranda)),
        notify=desk.notices_catch_up,
        clock=clock,
        checker=CheckWorker() if s.check_workers else None,
    )
    system = CreditSystem(s, store, engine, desk, admission, keys)
    system.closers.append(store.close)  # closes the journal, ledger and live state with it
    if admission.checker is not None:
        system.closers.append(admission.checker.close)
    return system


def open_reader(settings: Settings) -> tuple[Backend, dict[str, AnyScheme]]:
    """The store named by ``settings.db`` and the schemes in force, for a process that only
    reads (the HTTP service's list workers): no journal, live state or desk. The caller
    closes the store."""
    return open_store(settings.db), _schemes(settings)


def _live_if_enabled(store: Any, schemes: dict[str, Any], memoranda: list[Any]) -> Any:
    """After a commit, catch up the store's live state if one was started since this system
    opened (``xinyong state`` run meanwhile): one query when there is none."""

    def catch_up() -> Any:
        live = live_state(store, schemes, memoranda)
        return live.catch_up() if live is not None else None

    return catch_up
