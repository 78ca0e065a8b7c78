"""Tests of giftreview.analysis.scales against R's psych::alpha / psych::omega on the bfi data.

Every expected figure below was printed by R 4.2.2 with psych 2.2.9 on
tests/fixtures/bfi/bfi.csv (the psych bfi data exported unchanged, see its README), with::

    library(psych)
    bfi <- read.csv("tests/fixtures/bfi/bfi.csv")
    show <- function(a) {
      cat(sprintf("total %.12f %.12f %.12f %.12f\\n", a$total$raw_alpha, a$total$std.alpha,
                  a$total$average_r, a$total$ase))
      cat(sprintf("feldt %.12f %.12f\\n", a$feldt$lower.ci, a$feldt$upper.ci))
      s <- a$item.stats; d <- a$alpha.drop
      for (i in seq_len(nrow(s))) cat(sprintf(
        "%s n=%d raw.r=%.12f std.r=%.12f r.drop=%.12f mean=%.12f sd=%.12f drop.raw=%.12f drop.std=%.12f\\n",
        rownames(s)[i], s$n[i], s$raw.r[i], s$std.r[i], s$r.drop[i], s$mean[i], s$sd[i],
        d$raw_alpha[i], d$std.alpha[i]))
    }
    show(psych::alpha(bfi[c("A1","A2","A3","A4","A5")], keys = c(-1, 1, 1, 1, 1)))
    show(psych::alpha(bfi[c("C1","C2","C3","C4","C5")], keys = c(1, 1, 1, -1, -1)))
    show(psych::alpha(na.omit(bfi[c("C1","C2","C3","C4","C5")]), keys = c(1, 1, 1, -1, -1)))
    psych::omega(bfi[c("A1","A2","A3","A4","A5")], nfactors = 1, plot = FALSE)$omega.tot
    psych::omega(bfi[c("C1","C2","C3","C4","C5")], nfactors = 1, plot = FALSE)$omega.tot
    sc <- psych::scoreItems(bfi.keys, bfi[1:25], impute = "none", min = 1, max = 6)$scores
    sc[1, ]; mean(sc[, "agree"], na.rm = TRUE); mean(sc[, "conscientious"], na.rm = TRUE)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from giftreview.analysis.scales import (
    cronbach_alpha,
    item_statistics,
    omega_total,
    scale_reliability,
    scale_scores,
    score_by_group,
)
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError, InstrumentError

BFI = Path(__file__).parent / "fixtures" / "bfi"
AGREE = ["A1", "A2", "A3", "A4", "A5"]
CONSC = ["C1", "C2", "C3", "C4", "C5"]
TOL = 1e-6

# R output (the call in the module docstring), item rows: n raw.r std.r r.drop mean sd
# alpha-if-dropped (raw, std)
R_AGREE = {
    "total": (0.703018446057, 0.713028578671, 0.331967657099, 0.008951774426),
    "feldt": (0.685264325886, 0.720063389899),
    "items": {
        "A1": (2784, 0.580690311761, 0.566424814183, 0.308417739522, 4.586566091954,
               1.407737150521, 0.718517357027, 0.725509148595),
        "A2": (2773, 0.727984531370, 0.747991864605, 0.563615163764, 4.802380093761,
               1.172019921651, 0.617180037047, 0.625579881788),
        "A3": (2774, 0.760319004255, 0.767362256497, 0.587004589505, 4.603821196828,
               1.301833639191, 0.600259578765, 0.612944657048),
        "A4": (2781, 0.654186437084, 0.630678842926, 0.394444086578, 4.699748291981,
               1.479632686264, 0.685805652338, 0.693541342768),
        "A5": (2784, 0.686588620769, 0.699191843598, 0.488565135826, 4.560344827586,
               1.258512098372, 0.642952960071, 0.655530188533),
    },
}  # fmt: skip
R_CONSC = {
    "total": (0.726734972927, 0.730072584382, 0.351045435599, 0.008116697289),
    "feldt": (0.710398671683, 0.742418731661),
    "items": {
        "C1": (2779, 0.645747862718, 0.670176839114, 0.450241690167, 4.502338970853,
               1.241346547709, 0.694000419164, 0.696421899840),
        "C2": (2776, 0.696441679071, 0.709704682469, 0.504564708857, 4.369956772334,
               1.318346547670, 0.673571457358, 0.674868557355),
        "C3": (2780, 0.663874926401, 0.674829160502, 0.464204849967, 4.303956834532,
               1.288551811142, 0.688734101754, 0.693958674803),
        "C4": (2774, 0.736534830797, 0.730551800694, 0.552546650304, 4.446647440519,
               1.375118107401, 0.653825570965, 0.662903021965),
        "C5": (2784, 0.719682656630, 0.681855731529, 0.477469199265, 3.703304597701,
               1.628541867983, 0.689724930759, 0.690202044862),
    },
}  # fmt: skip
# na.omit(...) rows: the listwise data set
R_CONSC_LISTWISE = {
    "total": (0.729277203170, 0.732724333327, 0.354126619777, 0.008178970829),
    "feldt": (0.712811398859, 0.745074314439),
    "items": {
        "C1": (2707, 0.648778265035, 0.673231345952, 0.455302448664, 4.509420022165,
               1.238473804691, 0.696035127243, 0.698581702832),
        "C2": (2707, 0.697896743875, 0.710596159768, 0.506663982506, 4.363871444403,
               1.321350435116, 0.676709950134, 0.678331979343),
        "C3": (2707, 0.665135202337, 0.676866343798, 0.467533409471, 4.298854820835,
               1.288878238547, 0.691356453604, 0.696666872904),
        "C4": (2707, 0.739600560196, 0.733468055720, 0.557093498895, 4.445511636498,
               1.374285135192, 0.656202701908, 0.665286454518),
        "C5": (2707, 0.719306486194, 0.681831822537, 0.478029802056, 3.691540450683,
               1.627715909537, 0.693584532253, 0.694032430744),
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def bfi():
    return pd.read_csv(BFI / "bfi.csv")


@pytest.mark.parametrize(
    ("items", "reverse", "missing", "expected"),
    [
        (AGREE, ["A1"], "pairwise", R_AGREE),
        (CONSC, ["C4", "C5"], "pairwise", R_CONSC),
        (CONSC, ["C4", "C5"], "listwise", R_CONSC_LISTWISE),
    ],
)
def test_alpha_and_items_equal_psych(bfi, items, reverse, missing, expected):
    got = cronbach_alpha(bfi, items, reverse=reverse, missing=missing).iloc[0]
    raw, std, avg_r, ase = expected["total"]
    assert got["raw_alpha"] == pytest.approx(raw, abs=TOL)
    assert got["std_alpha"] == pytest.approx(std, abs=TOL)
    assert got["average_r"] == pytest.approx(avg_r, abs=TOL)
    assert got["ase"] == pytest.approx(ase, abs=TOL)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(expected["feldt"], abs=TOL)
    stats = item_statistics(bfi, items, reverse=reverse, missing=missing).set_index("item")
    cols = ["n", "raw_r", "std_r", "r_drop", "mean", "sd", "alpha_if_dropped",
            "std_alpha_if_dropped"]  # fmt: skip
    for item, row in expected["items"].items():
        assert tuple(stats.loc[item, cols]) == pytest.approx(row, abs=TOL), item
    assert list(stats["reversed"]) == [i in reverse for i in items]


def test_feldt_interval_widens_with_confidence(bfi):
    a90 = cronbach_alpha(bfi, AGREE, reverse=["A1"], confidence=0.90).iloc[0]
    a99 = cronbach_alpha(bfi, AGREE, reverse=["A1"], confidence=0.99).iloc[0]
    assert a99["ci_low"] < a90["ci_low"] < a90["raw_alpha"] < a90["ci_high"] < a99["ci_high"]


@pytest.mark.parametrize(("items", "expected"), [(AGREE, 0.722943136475), (CONSC, 0.731189719945)])
def test_omega_total_equals_psych(bfi, items, expected):
    # psych::omega keys the items itself (by the sign of their loadings): no reverse argument
    assert omega_total(bfi, items) == pytest.approx(expected, abs=TOL)


def test_alpha_by_hand_on_three_items():
    # k = 3; item variances (n - 1 denominator): a 10/4 = 2.5; b (mean 3.4) squared deviations
    # 1.96+1.96+0.16+2.56+2.56 = 9.2, /4 = 2.3; c (mean 3.2) 4.84+0.04+3*0.64 = 6.8, /4 = 1.7;
    # sum 6.5. Totals 4, 7, 10, 13, 14 (mean 9.6): 31.36+6.76+0.16+11.56+19.36 = 69.2, /4 = 17.3.
    # alpha = 3/2 * (1 - 6.5/17.3) = 0.936416...
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 4, 4, 4]})
    got = cronbach_alpha(df, ["a", "b", "c"])
    assert got["raw_alpha"].iloc[0] == pytest.approx(1.5 * (1 - 6.5 / 17.3))
    assert got["n"].iloc[0] == 5 and got["n_items"].iloc[0] == 3


def test_input_untouched_and_bad_arguments(bfi):
    before = bfi.copy()
    cronbach_alpha(bfi, AGREE, reverse=["A1"])
    pd.testing.assert_frame_equal(bfi, before)
    with pytest.raises(ArgumentError, match=r"`reverse` names \['B1'\], which are not in"):
        cronbach_alpha(bfi, AGREE, reverse=["B1"])
    with pytest.raises(ArgumentError, match=r"row\(s\) lack some item .* missing='pairwise'"):
        cronbach_alpha(bfi, AGREE, missing="raise")
    with pytest.raises(ArgumentError, match="`missing` must be 'pairwise', 'listwise' or"):
        cronbach_alpha(bfi, AGREE, missing="drop")
    with pytest.raises(ArgumentError, match="Could not interpret value `Z9` for `items`"):
        cronbach_alpha(bfi, ["A1", "Z9"])


@pytest.fixture(scope="module")
def cleaned(tmp_path_factory):
    inst = load_instrument(BFI / "instrument.yaml")
    out = tmp_path_factory.mktemp("bfi")
    return inst, clean_wave(BFI / "bfi.csv", inst, wave="bfi", out_dir=out).clean


def test_scale_scores_from_the_instrument_equal_score_items(cleaned, bfi):
    inst, clean = cleaned
    agree = scale_scores(clean, inst, "AGREE")
    # row 1 of psych::scoreItems: agree 4.0, conscientious 2.8 (printed above)
    assert agree.iloc[0] == pytest.approx(4.0)
    assert scale_scores(clean, inst, "CONSC").iloc[0] == pytest.approx(2.8)
    # min_valid: 3 in the instrument; rows with fewer valid items have no score (counted here
    # from the raw CSV), every other row has scoreItems' mean of the valid keyed items
    few = bfi[AGREE].notna().sum(axis=1).to_numpy() < 3
    assert agree.isna().to_numpy().tolist() == few.tolist()
    keyed = bfi[AGREE].assign(A1=7 - bfi["A1"])
    assert np.allclose(agree[~few].to_numpy(), keyed[~few].mean(axis=1).to_numpy())


def test_scale_reliability_from_clean_data_equals_psych(cleaned):
    inst, clean = cleaned
    rel = scale_reliability(clean, inst, "AGREE")
    assert rel.alpha["raw_alpha"].iloc[0] == pytest.approx(R_AGREE["total"][0], abs=TOL)
    assert rel.alpha["omega_total"].iloc[0] == pytest.approx(0.722943136475, abs=TOL)
    r_drop = rel.items.set_index("item")["r_drop"]
    assert r_drop["A1"] == pytest.approx(R_AGREE["items"]["A1"][3], abs=TOL)
    assert rel.items.set_index("item").loc["A4", "text"] == "Love children."


def test_instrument_rejects_inconsistent_scales():
    inst = load_instrument(BFI / "instrument.yaml")
    data = inst.model_dump(exclude={"path", "batteries"})
    bad = {**data, "multi_item_scales": [{"id": "X", "title": "x", "items": ["A1", "age"]}]}
    from giftreview.data.instrument import parse_instrument

    with pytest.raises(InstrumentError, match="age is 'count'; a scale scores rating questions"):
        parse_instrument(bad)
    bad["multi_item_scales"] = [{"id": "X", "title": "x", "items": ["A1", "A2"], "reverse": ["A3"]}]
    with pytest.raises(InstrumentError, match=r"reverse: \['A3'\] not among the items"):
        parse_instrument(bad)


def test_score_by_group_summarises_each_group(cleaned):
    inst, clean = cleaned
    scores = scale_scores(clean, inst, "AGREE")
    out = score_by_group(scores, clean["gender"], k=5).set_index("group")
    assert list(out.index) == ["All respondents", "Male", "Female"]  # the options' order
    # the overall row is the mean of every score; groups add up to it
    assert out.loc["All respondents", "n"] == int(scores.notna().sum())
    assert out.loc["Female", "n"] + out.loc["Male", "n"] == out.loc["All respondents", "n"]
    assert out.loc["Male", "mean"] == pytest.approx(scores[clean["gender"] == "Male"].mean())
    lo, hi = out.loc["All respondents", ["ci_low", "ci_high"]]
    assert lo < out.loc["All respondents", "mean"] < hi
    tiny = score_by_group(scores.iloc[:3], clean["gender"].iloc[:3], k=5)
    assert tiny["suppressed"].all() and tiny["mean"].isna().all()
