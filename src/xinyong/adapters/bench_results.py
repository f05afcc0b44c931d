"""``bench/results.json``: every benchmark writes its own key and keeps the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

RESULTS = Path("bench/results.json")


def merge_results(path: Path, key: str, figures: dict[str, Any]) -> None:
    """Read-modify-write ``path``: set ``key`` to ``figures``, keep every other key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {}
    if path.is_file():
        text = path.read_text(encoding="utf-8").strip()
        if text:
            data = json.loads(text)
    data[key] = figures
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
