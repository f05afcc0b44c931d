"""The scenario file: strict, documented, and changeable in code."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from xinyong.system.catalogue import known_categories
from xinyong.world.gates import check_gates
from xinyong.world.run import check_categories, load_engine
from xinyong.world.scenario import Scenario, ScenarioError, default_scenario_text, load_scenario

KEY = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=")


def test_default_scenario_loads(scenario: Scenario) -> None:
    assert scenario.world.city == "3710"
    assert scenario.family.association_effect == 0.0, "family association must be off by default"
    assert scenario.errors.scale == 1.0
    assert scenario.system.schemes[:2] == ["rongcheng", "spc-defaulters"]
    assert scenario.firms.on  # firms act, and the organisation schemes score them
    assert {"sat-tax-credit", "sat-major-tax-violations", "samr-enterprise-lists"} <= set(
        scenario.system.schemes
    )


def test_every_parameter_has_a_comment() -> None:
    """Each `key = value` line in default.toml is directly under a comment line."""
    lines = default_scenario_text().splitlines()
    missing = []
    for i, line in enumerate(lines):
        if KEY.match(line) and not line.lstrip().startswith("#"):
            above = lines[i - 1].strip() if i else ""
            if not above.startswith("#"):
                missing.append(f"line {i + 1}: {line.strip()}")
    assert not missing, "parameters without a comment:\n" + "\n".join(missing)


def test_every_model_field_is_in_the_default_file() -> None:
    """No parameter hides in code: the default file sets every section the model knows."""
    data = tomllib.loads(default_scenario_text())
    assert set(data) == set(Scenario.model_fields)


def test_unknown_key_is_an_error_naming_the_path(tmp_path: Path) -> None:
    text = default_scenario_text().replace("[deterrence]\n", "[deterrence]\nstrenght = 0.3\n", 1)
    f = tmp_path / "bad.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"(?s)bad\.toml.*deterrence\.strenght.*unknown key"):
        load_scenario(f)


def test_out_of_range_value_is_refused(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError, match=r"deterrence\.strength"):
        scenario.with_changes(deterrence={"strength": 1.5})


def test_unknown_agency_is_refused(scenario: Scenario) -> None:
    events = [e.model_dump() for e in scenario.events]
    events[0]["agencies"] = {"no_such_agency": 1.0}
    with pytest.raises(ScenarioError, match="no_such_agency"):
        scenario.with_changes(events=events)


def test_start_must_be_first_of_month(scenario: Scenario) -> None:
    with pytest.raises(ScenarioError, match="first day of a month"):
        scenario.with_changes(world={"start": "2025-01-15"})


def test_with_changes_changes_one_key(scenario: Scenario) -> None:
    s = scenario.with_changes(deterrence={"strength": 0.5})
    assert s.deterrence.strength == 0.5
    assert s.deterrence.awareness == scenario.deterrence.awareness
    assert scenario.deterrence.strength != 0.5


def test_the_default_scenario_fits_the_catalogue_and_the_memoranda(scenario: Scenario) -> None:
    """Every category the world writes is in the catalogue; every gate is declared."""
    check_categories(scenario, known_categories())
    _, memoranda = load_engine(scenario)
    check_gates(scenario, memoranda)


def test_firm_types_and_agencies_must_exist_when_firms_are_on(scenario: Scenario) -> None:
    with pytest.raises(
        ScenarioError, match=r"firms\.types: unknown organisation types \['guild'\]"
    ):
        scenario.with_changes(firms={"types": ["guild"]})
    with pytest.raises(ScenarioError, match=r"firms\.tax_agency: unknown agency 'irs'"):
        scenario.with_changes(firms={"tax_agency": "irs"})
    # off: not checked (a scenario with other organisation types still loads)
    assert not scenario.with_changes(firms={"on": False, "types": ["guild"]}).firms.on
