"""The ``needs`` marker of conftest.py: a test needing a missing program fails under CI, skips
(with the reason printed by ``-ra``) elsewhere, and runs when the program is there."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

TESTS = """
import pytest

@pytest.mark.needs("giftreview-no-such-program", "sh")
def test_missing():
    pass

@pytest.mark.needs("sh")
def test_present():
    pass
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeconftest((Path(__file__).parent / "conftest.py").read_text(encoding="utf-8"))
    pytester.makepyfile(test_tools=TESTS)
    return pytester


def test_missing_program_fails_under_ci(suite, monkeypatch):
    monkeypatch.setenv("CI", "true")
    result = suite.runpytest("-ra", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*CI is set, so this test must run, but it needs giftreview-no-such-program*"]
    )


def test_missing_program_skips_locally_with_the_reason_printed(suite, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    result = suite.runpytest("-ra", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        ["SKIPPED*needs giftreview-no-such-program (scripts/setup.sh installs them)"]
    )
