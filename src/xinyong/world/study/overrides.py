"""Scenario overrides by dotted key path: ``errors.scale``, ``agencies.court.coverage``,
``events.traffic_violation.rate`` (a list of tables is addressed by an item's ``id`` or
``name``, or by its position), ``agencies.*.coverage`` (``*``: every entry).

An override only changes a key the scenario already has; an unknown key is an error that
names the study file, the variant and the keys that exist at that point.
"""

from __future__ import annotations

import copy
from typing import Any

from xinyong.core.errors import XinyongError


class StudyError(XinyongError):
    """A study file is invalid (the message names the file and the key)."""


def _children(node: Any, part: str, where: str, origin: str) -> list[tuple[Any, Any]]:
    """(container, key) pairs that ``part`` selects under ``node``."""
    if isinstance(node, dict):
        if part == "*":
            return [(node, k) for k in node]
        if part not in node:
            known = ", ".join(sorted(node)) or "(none)"
            raise StudyError(f"{origin}: unknown scenario key '{where}'; known here: {known}")
        return [(node, part)]
    if isinstance(node, list):
        if part == "*":
            return [(node, i) for i in range(len(node))]
        if part.isdigit() and int(part) < len(node):
            return [(node, int(part))]
        for i, item in enumerate(node):
            if isinstance(item, dict) and part in (item.get("id"), item.get("name")):
                return [(node, i)]
        ids = [
            str(x.get("id", x.get("name", i))) for i, x in enumerate(node) if isinstance(x, dict)
        ]
        raise StudyError(
            f"{origin}: unknown scenario key '{where}': no item {part!r}; "
            f"give a position 0..{len(node) - 1} or one of: {', '.join(ids)}"
        )
    raise StudyError(f"{origin}: scenario key '{where}' goes below a value that is not a table")


def targets(data: dict[str, Any], path: str, origin: str) -> list[tuple[Any, Any]]:
    """Every (container, key) that ``path`` names in the scenario ``data``."""
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise StudyError(f"{origin}: bad key path {path!r}; write it as section.key")
    nodes: list[tuple[Any, Any]] = [({"": data}, "")]
    done: list[str] = []
    for part in parts:
        done.append(part)
        nodes = [
            pair
            for container, key in nodes
            for pair in _children(container[key], part, ".".join(done), origin)
        ]
    return nodes


def current(data: dict[str, Any], path: str, origin: str) -> Any:
    """The scenario's value at ``path`` (the first one when ``*`` selects several)."""
    container, key = targets(data, path, origin)[0]
    return container[key]


def apply(data: dict[str, Any], changes: dict[str, Any], origin: str) -> dict[str, Any]:
    """A copy of ``data`` with every ``path -> value`` of ``changes`` set."""
    out = copy.deepcopy(data)
    for path, value in changes.items():
        for container, key in targets(out, path, origin):
            old = container[key]
            if isinstance(old, dict) and not isinstance(value, dict):
                raise StudyError(
                    f"{origin}: scenario key '{path}' is a table; set one of its keys "
                    f"({', '.join(sorted(old))}) instead"
                )
            container[key] = copy.deepcopy(value)
    return out
