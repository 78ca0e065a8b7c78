"""Tests of giftreview.report.display: interval precision, top-box labels, post-hoc display."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.errors import ArgumentError
from giftreview.report.display import (
    fmt_interval,
    interval_digits,
    posthoc_display,
    top_box_label,
)


def test_interval_digits_grow_until_the_bounds_differ():
    # "4.8 to 4.8" was printed for a mean interval 4.7812 to 4.8243 (issue 14): one decimal
    # rounds both to 4.8, two give 4.78 and 4.82.
    assert interval_digits(4.7812, 4.8243) == 2
    assert fmt_interval(4.7812, 4.8243) == "4.78 to 4.82"
    assert fmt_interval(12.34, 45.67) == "12.3 to 45.7"  # one decimal is enough
    assert fmt_interval(0.0, 0.0004) == "0.0000 to 0.0004"
    assert fmt_interval(3.0, 3.0) == "3.0 to 3.0"  # zero width: nothing to separate
    assert fmt_interval(float("nan"), 2.0) == ""
    assert fmt_interval(None, 2.0) == ""


def test_interval_digits_bad_arguments():
    with pytest.raises(ArgumentError, match="need 0 <= minimum <= maximum"):
        interval_digits(1.0, 2.0, minimum=3, maximum=2)


@given(
    low=st.floats(-1e4, 1e4, allow_nan=False),
    width=st.floats(1e-6, 1e3, allow_nan=False),
)
def test_a_non_zero_width_never_prints_as_zero(low, width):
    high = low + width
    if high == low:  # the addition itself lost the width
        return
    text = fmt_interval(low, high)
    a, b = text.split(" to ")
    assert a != b, text
    assert float(a) <= float(b)


def test_top_box_label_names_its_levels():
    assert top_box_label(["Important", "Very important"]) == (
        "top 2 box: Important or Very important"
    )
    assert top_box_label(["Agree", "Rather agree", "Fully agree"]) == (
        "top 3 box: Agree, Rather agree or Fully agree"
    )
    assert top_box_label(["Yes"]) == "top 1 box: Yes"
    with pytest.raises(ArgumentError, match="`labels` is empty"):
        top_box_label([])


def test_posthoc_pairs_only_after_a_significant_omnibus_test():
    show, note = posthoc_display(pd.DataFrame({"p_adjusted": [0.012]}), alpha=0.05)
    assert show and note == ""
    show, note = posthoc_display(pd.DataFrame({"p_adjusted": [0.231]}), alpha=0.05)
    assert not show
    assert note == (
        "Pairwise comparisons (Dunn) are not shown: the test between groups is not significant "
        "after the report-wide adjustment (adjusted p = 0.231, not below 0.05)."
    )
    # exactly alpha is not below alpha
    assert not posthoc_display(pd.DataFrame({"p_adjusted": [0.05]}), alpha=0.05)[0]
    show, note = posthoc_display(pd.DataFrame({"p_adjusted": [float("nan")]}))
    assert not show and "could not be computed" in note
    with pytest.raises(ArgumentError, match="`alpha` must be between 0 and 1"):
        posthoc_display(pd.DataFrame({"p_adjusted": [0.1]}), alpha=5)
    with pytest.raises(ArgumentError, match="`p_adjusted` is not a column of `tests`"):
        posthoc_display(pd.DataFrame({"p": [0.1]}))
