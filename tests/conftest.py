"""Shared fixtures: a seeded random generator, the bundled instrument, a hypothesis profile.

Module-specific fixtures live in their own test modules; small input files live in
tests/fixtures/, named for what is wrong with them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from giftreview.cli.app import main
from giftreview.data.instrument import load_instrument
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


@pytest.fixture
def run_cli(capsys: pytest.CaptureFixture[str]) -> Callable[[list[str]], tuple[int, str]]:
    """Call the console entry point in-process; the callable returns (exit code, output).

    The output is stdout + stderr with rich's line wrapping undone; every call also checks
    that the CLI showed no traceback and no "internal error".
    """

    def run(argv: list[str]) -> tuple[int, str]:
        try:
            main(argv)
            code = 0
        except SystemExit as exc:
            code = exc.code or 0
        out = capsys.readouterr()
        text = out.out + out.err
        assert "Traceback" not in text
        assert "internal error" not in text
        return code, " ".join(text.split())  # undo rich's line wrapping

    return run
