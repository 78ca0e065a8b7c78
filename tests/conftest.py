"""Shared fixtures: a seeded random generator, the bundled instrument, a hypothesis profile.

Module-specific fixtures live in their own test modules; small input files live in
tests/fixtures/, named for what is wrong with them.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from giftreview.instrument import load_instrument
from giftreview.paths import DEFAULT_INSTRUMENT

FIXTURES = Path(__file__).parent / "fixtures"

settings.register_profile(
    "ci",
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator: every test that draws random numbers gets the same ones."""
    return np.random.default_rng(20100301)


@pytest.fixture(scope="session")
def instrument():
    """The bundled UN.GIFT instrument."""
    return load_instrument(DEFAULT_INSTRUMENT)


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
