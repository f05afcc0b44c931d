"""Reading case files strictly: YAML without duplicate keys, mappings without unknown keys."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from xinyong.core.errors import XinyongError


class CaseError(XinyongError):
    """A case file is malformed or unreadable; the message names the file and the key path."""


class StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML would silently keep the last one)."""


def _mapping_no_duplicates(loader: StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _mapping_no_duplicates,
)


def read_yaml(path: Path, name: str) -> Any:
    """The document in ``path``; errors start with ``name`` (how the file is shown)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseError(f"{name}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise CaseError(f"{name}: cannot be read: {e}") from None
    try:
        return yaml.load(text, Loader=StrictLoader)  # StrictLoader is a SafeLoader
    except yaml.YAMLError as e:
        raise CaseError(f"{name}: not valid YAML: {e}") from None


def check_keys(
    where: str, node: Any, allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> None:
    """``node`` is a mapping with only ``allowed`` keys and every ``required`` one."""
    if not isinstance(node, Mapping):
        raise CaseError(f"key '{where}': must be a mapping, got {type(node).__name__}")
    for k in node:
        if k not in allowed:
            raise CaseError(
                f"key '{where + '.' if where else ''}{k}': unknown key (check spelling); "
                f"allowed here: {', '.join(allowed)}"
            )
    for k in required:
        if k not in node:
            raise CaseError(f"key '{where + '.' if where else ''}{k}': missing required key")
