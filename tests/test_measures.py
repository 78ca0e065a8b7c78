"""Batteries and multi-item scales in the wave report (giftreview.report.measures), and the
methods text describing only what the report did (issue 12), on the first 300 rows of bfi."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from giftreview import report
from giftreview.analysis.scales import cronbach_alpha
from giftreview.report.measures import battery_view, scale_view, section_views
from giftreview.report.questions import question_view
from giftreview.report.templating import render

BFI = Path(__file__).parent / "fixtures" / "bfi"
AGREE = ["A1", "A2", "A3", "A4", "A5"]


@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bfi300")
    raw = tmp / "bfi300.csv"
    lines = (BFI / "bfi.csv").read_text(encoding="utf-8").splitlines()[:301]
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return report.open_wave(
        raw=str(raw), instrument=str(BFI / "instrument.yaml"), processed=str(tmp / "p"), k=5,
        output=str(tmp / "out"),
    )  # fmt: skip


def test_battery_is_one_view_in_place_of_its_items(rep):
    views = section_views(rep, [q.id for q in rep.instrument.questions], "personality",
                          question_view)  # fmt: skip
    headings = [v.heading for v in views]
    # gender, education, age, then ONE battery view for the 25 items, then the five scales
    assert headings[3] == "4. How accurately does each statement describe you?"
    assert len(headings) == 3 + 1 + 5
    assert headings[4:] == [f"Scale: {t}" for t in ("Agreeableness", "Conscientiousness",
                            "Extraversion", "Neuroticism", "Openness")]  # fmt: skip
    battery = battery_view(rep, rep.instrument.batteries[0])
    items = battery.parts[0].frame
    assert len(items) == 25 and "Love children." in set(items["item"])
    # n of A4 = its answers among the 300 rows, counted from the raw CSV
    raw = pd.read_csv(BFI / "bfi.csv", nrows=300)
    assert int(items.set_index("item").loc["Love children.", "n"]) == int(raw["A4"].notna().sum())
    assert "sorted by the share above the midpoint" in battery.figure.alt


def test_scale_view_shows_distribution_groups_and_reliability(rep):
    view = scale_view(rep, "AGREE")
    html = unescape(str(render("report/question.html.j2", q=view)))
    raw = pd.read_csv(BFI / "bfi.csv", nrows=300)
    alpha = cronbach_alpha(raw, AGREE, reverse=["A1"]).iloc[0]  # the same 300 rows, raw CSV
    assert f"{alpha['raw_alpha']:.3f}" in html
    assert "Cronbach's alpha (raw)" in html and "McDonald's omega total" in html
    assert "Kruskal-Wallis test across" in html  # the breakdown by gender
    assert "All people" in html  # the instrument's unit, plural
    assert "reverse-keyed: A1" in html


def test_methods_say_only_what_this_report_did(rep):
    # no open question with a codebook: no quantifier table; weights off: no weights sentence
    assert str(report.quantifier_table(rep)) == ""
    intervals = str(report.interval_methods(rep))
    assert "post-stratified" not in intervals
    data = unescape(str(report.data_accounting(rep)))
    assert "300 people were kept" in data
    assert "recodes.csv lists each column's codes once" in data
