"""The layers, held by an import walk over the package's source (every import statement,
including those inside functions and under ``TYPE_CHECKING``):

* ``core`` imports only the core;
* ``system`` (use cases, ports, settings) imports only the core and itself;
* ``adapters`` do not import drivers or the world;
* the world imports only the public API (``xinyong``), the core and itself;
* only the composition root (``xinyong.composition``) and the drivers open stores, journals
  and live states.
"""

from __future__ import annotations

import ast
import statistics
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SRC / "xinyong"

ALLOWED: dict[str, tuple[str, ...]] = {
    "core": ("xinyong.core",),
    "system": ("xinyong.core", "xinyong.system"),
    "world": ("xinyong.core", "xinyong.world", "xinyong"),
}
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "adapters": ("xinyong.drivers", "xinyong.world", "xinyong.composition"),
}


def _module(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.lineno, node.module))
    return [(n, m) for n, m in out if m == "xinyong" or m.startswith("xinyong.")]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "root"


def _inside(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module(path)
        layer = _layer(me)
        for line, target in _imports(path):
            allowed = ALLOWED.get(layer)
            if allowed is not None:
                ok = any(target == p if p == "xinyong" else _inside(target, (p,)) for p in allowed)
            else:
                ok = not _inside(target, FORBIDDEN.get(layer, ()))
            if not ok:
                found.append(f"{path.relative_to(SRC)}:{line}: {layer} imports {target}")
    return found


def test_layers_hold() -> None:
    assert _violations() == []


def test_the_walk_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walk is not blind: a core module importing an adapter is reported."""
    fake = tmp_path / "xinyong" / "core" / "leak.py"
    fake.parent.mkdir(parents=True)
    fake.write_text("def f():\n    from xinyong.adapters.store import open_store\n")
    monkeypatch.setattr(__import__(__name__), "SRC", tmp_path)
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path / "xinyong")
    assert _violations() == ["xinyong/core/leak.py:2: core imports xinyong.adapters.store"]


def test_only_the_composition_root_and_adapters_open_stores() -> None:
    opened = []
    for path in sorted(PACKAGE.rglob("*.py")):
        me = _module(path)
        if me == "xinyong.composition" or me.startswith(("xinyong.adapters.", "xinyong.bench")):
            continue
        text = path.read_text(encoding="utf-8")
        for word in ("open_store(", "Journal(", "LiveState(", "Desk("):
            if word in text:
                opened.append(f"{path.relative_to(SRC)}: {word}")
    assert opened == []


def test_modules_stay_small() -> None:
    sizes = [len(p.read_text(encoding="utf-8").splitlines()) for p in PACKAGE.rglob("*.py")]
    assert statistics.median(sizes) <= 139
