"""The demo report's audit table: one row per scheme or memorandum, counts and rules."""

from __future__ import annotations

from xinyong.world.audit_table import audit_table


def test_audit_table_counts_findings_per_target() -> None:
    t = audit_table(["joint-punishment-2016", "high-consumption-2015"])
    rows = {r["target"]: r for r in t.iter_rows(named=True)}
    assert rows["joint-punishment-2016"]["high"] == 6
    assert rows["joint-punishment-2016"]["rules"] == "eu-ai-act.cross-context, prc.legal-basis"
    assert rows["high-consumption-2015"]["medium"] == 0


def test_audit_table_says_why_a_target_cannot_be_audited() -> None:
    row = next(audit_table(["atlantis"]).iter_rows(named=True))
    assert "'atlantis' is neither a preset scheme" in row["rules"]
