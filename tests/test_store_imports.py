"""Every persistence module imports on its own, as the first ``xinyong`` module loaded: no
import cycle between the store package and what it hands out (ledger, live state, journal)."""

from __future__ import annotations

import subprocess
import sys

MODULES = [
    "xinyong.adapters.journal",
    "xinyong.adapters.ledger",
    "xinyong.adapters.state",
    "xinyong.adapters.store.db",
    "xinyong.adapters.store.guards",
    "xinyong.adapters.store.migrations",
    "xinyong.adapters.store.postgres",
    "xinyong.adapters.store.schema",
    "xinyong.adapters.store.sql",
    "xinyong.system.ports",
]


_SCRIPT = """
import importlib, sys
failed = []
for module in sys.argv[1:]:
    for name in [m for m in sys.modules if m.startswith("xinyong")]:
        del sys.modules[name]
    try:
        importlib.import_module(module)
    except ImportError as e:
        failed.append(f"{module}: {e}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def test_each_module_imports_first() -> None:
    """One interpreter; before each module, every ``xinyong`` module is forgotten."""
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, *MODULES], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
