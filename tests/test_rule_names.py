"""Validation rule names are the members of one StrEnum (issue 9); their strings are unchanged.

The strings are what validation.csv, audit.csv and quarantine.csv hold, so the golden files of
both bundled waves (tests/fixtures/golden, written before the enum existed) must name members only.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import pandas as pd

from giftreview.data import rules
from giftreview.data.rules import Rule

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def test_rule_is_a_str_enum_whose_members_are_their_strings():
    assert issubclass(Rule, StrEnum)
    assert Rule.UNKNOWN_LABEL == "unknown_label" and str(Rule.RANGE_MIDPOINT) == "range_midpoint"
    assert f"{Rule.NEAR_DUPLICATE}" == "near_duplicate"  # what the CSV writers print
    assert all(m.value == m.name.lower() for m in Rule)


def test_every_rule_in_the_golden_reports_is_a_member():
    seen = set()
    for wave in sorted(GOLDEN.iterdir()):
        seen |= set(pd.read_csv(wave / "validation.csv", dtype=str)["rule"].dropna())
        seen |= set(pd.read_csv(wave / "audit.csv", dtype=str)["rule"].dropna())
        seen |= set(pd.read_csv(wave / "quarantine.csv", dtype=str)["reason"].dropna())
    assert seen, "the golden files name no rule"
    assert sorted(seen - set(Rule)) == []


def test_rule_groups_are_made_of_members():
    for group in (rules.SET_MISSING_RULES, rules.REPORTED_NORMALISATIONS):
        assert all(isinstance(r, Rule) for r in group)
