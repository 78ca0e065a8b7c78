"""Tests of giftreview.report.plots: chart geometry, shared axis, neutral centring, PNG determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.patches import Rectangle

from giftreview.errors import ArgumentError
from giftreview.report import plots

LEVELS = ["Not at all", "Slightly", "Moderately", "Important", "Very"]


@pytest.fixture
def shares() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "level": ["Governments", "UN system", "NGOs"],
            "n": [10, 5, 3],
            "pct": [100 * 10 / 18, 100 * 5 / 18, 100 * 3 / 18],
            "ci_low": [33.7, 12.5, 5.8],
            "ci_high": [75.4, 50.9, 39.2],
        }
    )


@pytest.fixture
def ratings(rng) -> pd.DataFrame:
    rows = []
    for group in [plots.OVERALL, "Governments", "NGOs", "Private sector"]:
        pct = rng.dirichlet(np.ones(len(LEVELS))) * 100
        rows += [{"group": group, "level": lv, "pct": p} for lv, p in zip(LEVELS, pct, strict=True)]
    return pd.DataFrame(rows)


def _bars(fig) -> list[Rectangle]:
    ax = fig.axes[0]
    return [p for p in ax.patches if isinstance(p, Rectangle)]


def test_share_bars_draws_one_bar_per_level_with_its_share(shares):
    fig = plots.share_bars(shares, title="Responses by sector", n=18)
    widths = [round(b.get_width(), 6) for b in _bars(fig)]
    assert widths == [round(p, 6) for p in shares["pct"]]
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "Responses by sector"
    assert "n = 18" in ax.get_xlabel()


def test_share_bars_with_intervals_draws_error_bars(shares):
    fig = plots.share_bars(shares, title="Topics", n=18, intervals=True)
    assert fig.axes[0].containers, "error bars are drawn as a container"
    assert fig.axes[0].get_xlim()[1] >= shares["ci_high"].max()


def test_diverging_bars_put_every_group_on_one_shared_axis(ratings):
    fig = plots.diverging_bars(
        ratings, levels=LEVELS, neutral="Moderately", title="Rate UN.GIFT", n=120
    )
    assert len(fig.axes) == 1  # one axis: groups are comparable
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == plots.OVERALL
    assert set(labels) == set(ratings["group"])


def test_diverging_bars_are_centred_on_the_neutral_level():
    # one group: 10% / 20% / 40% / 20% / 10%: the neutral 40% is split 20/20 around zero, so
    # the bar runs from -(10 + 20 + 20) = -50 to +50.
    table = pd.DataFrame({"group": "g", "level": LEVELS, "pct": [10.0, 20.0, 40.0, 20.0, 10.0]})
    fig = plots.diverging_bars(table, levels=LEVELS, neutral="Moderately", title="t", n=10)
    bars = _bars(fig)
    left = min(b.get_x() for b in bars)
    right = max(b.get_x() + b.get_width() for b in bars)
    assert left == pytest.approx(-50.0)
    assert right == pytest.approx(50.0)
    neutral = [b for b in bars if b.get_label() == "Moderately" or b.get_width() == 40.0]
    assert neutral[0].get_x() == pytest.approx(-20.0)


def test_diverging_bars_without_neutral_split_between_middle_levels():
    four = ["SD", "D", "A", "SA"]
    table = pd.DataFrame({"group": "g", "level": four, "pct": [10.0, 30.0, 40.0, 20.0]})
    fig = plots.diverging_bars(table, levels=four, neutral=None, title="t", n=10)
    bars = _bars(fig)
    assert min(b.get_x() for b in bars) == pytest.approx(-40.0)
    assert max(b.get_x() + b.get_width() for b in bars) == pytest.approx(60.0)


def test_diverging_bars_reject_unknown_levels(ratings):
    with pytest.raises(ArgumentError, match="levels .* not in `levels`"):
        plots.diverging_bars(ratings, levels=LEVELS[:3], neutral=None, title="t", n=1)
    with pytest.raises(ArgumentError, match="`neutral` 'Middle' is not one of"):
        plots.diverging_bars(ratings, levels=LEVELS, neutral="Middle", title="t", n=1)


def test_share_bars_name_a_missing_column(shares):
    with pytest.raises(ArgumentError, match="`pct`"):
        plots.share_bars(shares.drop(columns="pct"), title="t", n=1)


def test_png_bytes_are_reproducible_and_carry_no_date(ratings):
    a = plots.png_bytes(plots.diverging_bars(ratings, levels=LEVELS, neutral=None, title="t", n=5))
    b = plots.png_bytes(plots.diverging_bars(ratings, levels=LEVELS, neutral=None, title="t", n=5))
    assert a == b
    assert a.startswith(b"\x89PNG")
    assert b"Software" not in a and b"Creation Time" not in a


def test_palettes_are_colour_blind_safe_and_sized():
    assert plots.palette(3)[0] == pytest.approx(
        (0.00392156862745098, 0.45098039215686275, 0.6980392156862745)
    )  # seaborn "colorblind" blue (Okabe-Ito)
    low, high = plots.diverging_palette(2, 3)
    assert (len(low), len(high)) == (2, 3)


def test_describe_shares_lists_levels_for_alt_text(shares):
    assert plots.describe_shares(shares) == "Governments 56%, UN system 28%, NGOs 17%"


@pytest.mark.parametrize("reach", [12.0, 38.0, 57.0, 84.0, 99.0])
def test_diverging_axis_is_symmetric_with_a_tick_at_zero(reach):
    ticks = plots.symmetric_ticks(reach)
    assert 0 in ticks
    assert np.allclose(ticks, -ticks[::-1])  # symmetric about 0
    assert ticks[-1] >= reach and ticks[-1] <= 100
    # the chart ran -90, -65, ..., 85 (no 0): a reach of 84 now gives -100 .. 100 by 25
    if reach == 84.0:
        assert list(ticks) == [-100, -75, -50, -25, 0, 25, 50, 75, 100]


def test_even_scale_axis_says_it_is_split_at_the_midpoint():
    four = ["SD", "D", "A", "SA"]
    table = pd.DataFrame({"group": "g", "level": four, "pct": [10.0, 30.0, 40.0, 20.0]})
    label = plots.diverging_bars(table, levels=four, neutral=None, title="t", n=10).axes[0]
    assert "split at the midpoint between 'D' and 'A'" in label.get_xlabel()
    assert "neutral" not in label.get_xlabel()
    odd = pd.DataFrame({"group": "g", "level": LEVELS, "pct": [20.0] * 5})
    fig = plots.diverging_bars(odd, levels=LEVELS, neutral="Moderately", title="t", n=10)
    assert "centred on the neutral level" in fig.axes[0].get_xlabel()


def test_battery_bars_stack_every_item_on_one_axis_sorted_by_agreement():
    four = ["SD", "D", "A", "SA"]
    # agreement (A + SA): item x 30%, item y 80%, item z 55% -> order y, z, x
    pct = {
        "x": [40.0, 30.0, 20.0, 10.0],
        "y": [5.0, 15.0, 40.0, 40.0],
        "z": [15.0, 30.0, 30.0, 25.0],
    }
    table = pd.DataFrame(
        [{"item": i, "level": lv, "pct": p, "n": 20} for i, ps in pct.items()
         for lv, p in zip(four, ps, strict=True)]
    )  # fmt: skip
    fig = plots.battery_bars(table, levels=four, neutral=None, title="Battery")
    assert len(fig.axes) == 1
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == ["y (n = 20)", "z (n = 20)", "x (n = 20)"]
    bars = _bars(fig)
    # item y: SD + D = 20% left of zero, A + SA = 80% right of it
    y_bars = [b for b in bars if abs(b.get_y() + b.get_height() / 2) < 1e-9]
    assert min(b.get_x() for b in y_bars) == pytest.approx(-20.0)
    assert max(b.get_x() + b.get_width() for b in y_bars) == pytest.approx(80.0)
