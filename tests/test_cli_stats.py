"""`giftreview breakdown`: a question by group as it may be published, with its test."""

from __future__ import annotations

import pytest

from giftreview.analysis.score import simulate_clean


@pytest.fixture
def wave_dir(tmp_path, instrument):
    simulate_clean(instrument, 60, seed=4).to_parquet(tmp_path / "clean.parquet")
    return tmp_path


def test_breakdown_prints_suppressed_table_and_test(wave_dir, run_cli):
    code, text = run_cli(["breakdown", str(wave_dir), "B1", "--k", "5"])
    assert code == 0
    assert "B1 by A1" in text and "Kruskal-Wallis" in text and "epsilon-squared" in text
    assert "<5" in text and "suppressed:" in text


def test_breakdown_with_weights_uses_the_design_based_test(wave_dir, run_cli):
    # --weights: post-stratified to the instrument's contacted totals, so the rating test is
    # the design-based Kruskal-Wallis (R svyranktest) and a single choice gets Rao-Scott
    code, text = run_cli(["breakdown", str(wave_dir), "B1", "--weights"])
    assert code == 0 and "design-based Kruskal-Wallis rank test (F)" in text
    code, text = run_cli(["breakdown", str(wave_dir), "B6", "--weights", "--k", "0"])
    assert code == 0 and "Rao-Scott F (design-based chi-square)" in text


def test_breakdown_refuses_open_question_without_traceback(wave_dir, run_cli):
    code, text = run_cli(["breakdown", str(wave_dir), "B2"])
    assert code == 2 and "question B2 is 'open'" in text


def test_breakdown_names_a_missing_wave(tmp_path, run_cli):
    code, text = run_cli(["breakdown", str(tmp_path / "nowave"), "B1"])
    assert code == 4 and "no clean table here" in text
