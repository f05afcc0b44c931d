"""Helpers shared by the world's tests (imported as a plain module, like schemes_inline)."""

from __future__ import annotations

from pathlib import Path

from xinyong.world.scenario import Scenario

TOY = Path(__file__).parent / "toy"


def toy(scenario: Scenario, **changes: object) -> Scenario:
    """``scenario`` with the toy schemes and memoranda of tests/world/toy instead of the
    presets, so tests of the world's machinery do not move when a preset changes."""
    system = {
        "schemes": [str(TOY / "toy-points.toml"), str(TOY / "toy-courts.toml")],
        "memoranda": [str(TOY / "toy-restrictions.toml"), str(TOY / "toy-rewards.toml")],
        "in_place": True,
    }
    return scenario.with_changes(system=system, **changes)
