"""Shared fixtures: a seeded random generator, the bundled instrument, a hypothesis profile.

Module-specific fixtures live in their own test modules; small input files live in
tests/fixtures/, named for what is wrong with them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

from giftreview.cli.app import main
from giftreview.data.instrument import load_instrument
from giftreview.paths import DEFAULT_INSTRUMENT
from giftreview.pipeline.pdf import find_chromium

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


# ---- external programs: skip locally (printed by -ra), fail under CI ---------------------------
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs(*programs): the test runs these programs (chromium, pdftotext, qpdf, ...); "
        "without them it is skipped, or fails when the environment variable CI is set",
    )


def _missing(program: str) -> bool:
    if program == "chromium":  # the one pipeline.pdf would use (GIFTREVIEW_CHROMIUM or PATH)
        try:
            find_chromium()
        except Exception:  # noqa: BLE001 - any failure to find it means it is missing
            return True
        return False
    return shutil.which(program) is None


def pytest_runtest_setup(item: pytest.Item) -> None:
    """``@pytest.mark.needs("chromium", "pdftotext")``: CI must run the test, so a missing
    program fails it there; locally the test is skipped with the reason (shown by -ra)."""
    for mark in item.iter_markers("needs"):
        missing = [p for p in mark.args if _missing(p)]
        if not missing:
            continue
        reason = f"needs {', '.join(missing)} (scripts/setup.sh installs them)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so this test must run, but it {reason}", pytrace=False)
        pytest.skip(reason)


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


# ---- trivial notebooks for the pipeline tests (test_run, test_execute, test_cache) -----------
TRIVIAL_PARAMS = """# %% tags=["parameters"]
raw: str = ""  # raw export
instrument: str = ""  # instrument file
wave: str = ""  # wave label
processed: str = ""  # cleaned-wave folder
group_by: str = ""  # grouping question id
confidence: float = 0.95  # interval level
k: int = 5  # suppression threshold
weights: bool = False  # weights on or off
names_shown: int = 30  # names each group of a list question shows
output: str = ""  # output folder
sources: str = ""  # where each parameter came from
"""
TRIVIAL_CELL = """
# %%
import os
from IPython.display import HTML

if os.environ.get("GR_TEST_FAIL") == {section}:
    raise ValueError("planted failure")
HTML("<h2>{name}</h2><p>" + str({section}) + "</p>")
"""


def _write_trivial(folder: Path) -> Path:
    """Trivial overview/part/methods notebooks declaring the real notebooks' parameters."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overview.py").write_text(
        TRIVIAL_PARAMS + TRIVIAL_CELL.format(name="overview", section="'overview'")
    )
    (folder / "methods.py").write_text(
        TRIVIAL_PARAMS + TRIVIAL_CELL.format(name="methods", section="'methods'")
    )
    part = (
        TRIVIAL_PARAMS
        + 'section: str = ""  # report section\n'
        + TRIVIAL_CELL.format(name="part", section="section")
    )
    (folder / "part.py").write_text(part)
    return folder


@pytest.fixture
def trivial_notebooks(tmp_path) -> Path:
    """A folder of trivial notebooks (``tmp_path/notebooks``) that run in a second each; a cell
    raises "planted failure" when the environment variable GR_TEST_FAIL names its section."""
    return _write_trivial(tmp_path / "notebooks")
