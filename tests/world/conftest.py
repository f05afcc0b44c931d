"""Shared fixtures for the synthetic world: small cities, seconds each."""

from __future__ import annotations

import numpy as np
import pytest

from xinyong.world.population import Population, generate_population
from xinyong.world.scenario import Scenario, load_scenario
from xinyong.world.subjects import Subjects


@pytest.fixture(scope="session")
def scenario() -> Scenario:
    return load_scenario()


@pytest.fixture(scope="session")
def small_population(scenario: Scenario) -> Population:
    return generate_population(scenario, 4_000, 80, seed=7)


@pytest.fixture(scope="session")
def big_population(scenario: Scenario) -> Population:
    """Large enough for rates to be checked within sampling error."""
    return generate_population(scenario, 60_000, seed=11)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2024)


@pytest.fixture(scope="session")
def big_subjects(big_population: Population) -> Subjects:
    return Subjects.of(big_population)
