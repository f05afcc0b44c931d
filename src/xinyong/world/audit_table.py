"""The demo report's audit table: the schemes and memoranda the scenario runs, audited under
every profile (what ``xinyong audit NAME`` prints, one row per target)."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from xinyong import audit_summary


def audit_table(targets: Sequence[str]) -> pl.DataFrame:
    rows = []
    for name in targets:
        s = audit_summary(name)
        if "error" in s:
            rows.append({"target": name, "high": 0, "medium": 0, "low": 0, "rules": s["error"]})
            continue
        rules = sorted({i.split("@")[0] for i in s["ids"]})
        rows.append({"target": name, **s["by_severity"], "rules": ", ".join(rules) or "-"})
    return pl.DataFrame(rows, schema=["target", "high", "medium", "low", "rules"], orient="row")
