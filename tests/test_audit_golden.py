"""The presets' audit findings are golden cases: one file per preset scheme or memorandum
(tests/golden/audit/NAME.txt) lists the ids of every finding under every profile, and the
audit must produce exactly those. A finding that appears or disappears fails here: update the
file deliberately (``xinyong audit NAME --json``) and say why in the commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from xinyong.adapters.audit_io import build_context, load_profile, load_targets, profile_names
from xinyong.core.audit import Finding, audit
from xinyong.system.schemes_io import memorandum_names, preset_names

GOLDEN = Path(__file__).parent / "golden" / "audit"
TARGETS = preset_names() + memorandum_names()


def findings(target: str) -> list[Finding]:
    schemes, memos = load_targets([target], everything=False)
    return audit(build_context(schemes, memos), [load_profile(p) for p in profile_names()])


def expected(target: str) -> list[str]:
    lines = (GOLDEN / f"{target}.txt").read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#")]


def test_every_preset_and_memorandum_has_a_golden_file() -> None:
    assert sorted(p.stem for p in GOLDEN.glob("*.txt")) == sorted(TARGETS)


@pytest.mark.parametrize("target", TARGETS)
def test_findings_match_the_golden_file(target: str) -> None:
    got = sorted(f.id for f in findings(target))
    want = sorted(expected(target))
    appeared = sorted(set(got) - set(want))
    disappeared = sorted(set(want) - set(got))
    where = f"tests/golden/audit/{target}.txt"
    assert not appeared, f"{where}: findings appeared: {appeared}"
    assert not disappeared, f"{where}: findings disappeared: {disappeared}"
    assert got == want  # and no id twice


def test_the_eu_profile_finds_which_joint_punishment_measures_are_cross_context() -> None:
    eu = [f for f in findings("joint-punishment-2016") if f.rule == "cross-context"]
    assert {f.hit.found.split(" ")[0] for f in eu} == {"jp.subsidies", "jp.procurement"}
    assert all("judgment-enforcement: court.listing_decision" in f.hit.found for f in eu)


def test_every_sanction_in_the_presets_satisfies_the_prc_proportionality_rule() -> None:
    every = [f for t in TARGETS for f in findings(t)]
    assert not [f for f in every if f.rule in ("proportionality", "disproportion")]
