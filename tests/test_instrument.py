"""Tests of giftreview.data.instrument: the bundled instrument loads, and spec errors name file, key and fix."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml

from giftreview.analysis.score import simulate_clean
from giftreview.data.clean import count_bin
from giftreview.data.instrument import load_instrument, parse_instrument
from giftreview.data.spec import Bin, bin_counts
from giftreview.errors import InstrumentError
from giftreview.paths import DEFAULT_INSTRUMENT


@pytest.fixture
def raw_spec() -> dict:
    return yaml.safe_load(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))


def test_bundled_instrument_covers_every_seed_question(instrument):
    # The seed (shared/seed/000_362025cfdf5d6447.txt) has Part A questions 1-3 and Part B
    # questions 1-9 (numbered "1)" ... "9)" under each part heading).
    ids = [q.id for q in instrument.questions]
    assert ids == ["A1", "A2", "A3", "B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8", "B9"]
    assert [q.type for q in instrument.questions] == [
        "single",
        "rating",
        "count",
        "rating",
        "open",
        "open",
        "open",
        "open",
        "multi",
        "open",
        "list",
        "list",
    ]


def test_sectors_are_those_the_seed_names(instrument):
    # The seed's sector chart (Part A 1) did not survive as text. Its Part B 2 summary names
    # "Governments, United Nations system organizations, international and regional entities,
    # civil society organizations as well as the private sector" (the first five labels);
    # "Academia and research" and "Other" are the instrument's own additions, not the seed's.
    labels = [o.label for o in instrument.question("A1").options]
    assert labels == [
        "Governments",
        "United Nations system",
        "Other international and regional organizations",
        "Civil society / NGOs",
        "Private sector",
        "Academia and research",
        "Other",
    ]


def test_unknown_scale_names_file_key_and_defined_scales(raw_spec):
    spec = copy.deepcopy(raw_spec)
    next(q for q in spec["questions"] if q["id"] == "B1")["scale"] = "importance7"
    with pytest.raises(
        InstrumentError,
        match=r"bad\.yaml: questions\.B1\.scale: unknown scale 'importance7'; defined scales: importance5",
    ):
        parse_instrument(spec, "bad.yaml")


def test_unknown_key_is_reported_with_its_path(raw_spec):
    spec = copy.deepcopy(raw_spec)
    spec["questions"][0]["colour"] = "red"
    with pytest.raises(InstrumentError, match=r"questions\.A1\.colour: unknown key"):
        parse_instrument(spec, "bad.yaml")


def test_rating_without_scale_says_what_is_needed(raw_spec):
    spec = copy.deepcopy(raw_spec)
    del next(q for q in spec["questions"] if q["id"] == "A2")["scale"]
    with pytest.raises(InstrumentError, match=r"questions\.A2: .*type 'rating' needs 'scale'"):
        parse_instrument(spec, "bad.yaml")


def test_group_by_unknown_question_suggests_close_ids(raw_spec):
    spec = copy.deepcopy(raw_spec)
    spec["group_by"] = "A11"
    with pytest.raises(InstrumentError, match=r"group_by: unknown question 'A11'; did you mean A1"):
        parse_instrument(spec, "bad.yaml")


def test_missing_codebook_file_is_named(raw_spec, tmp_path):
    spec = copy.deepcopy(raw_spec)
    next(q for q in spec["questions"] if q["id"] == "B2")["codebook"] = "codebooks/nope.yaml"
    path = tmp_path / "inst.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    with pytest.raises(
        InstrumentError,
        match=r"questions\.B2\.codebook: codebook file 'codebooks/nope.yaml' not found",
    ):
        load_instrument(path)


def test_missing_file_and_bad_yaml(tmp_path):
    with pytest.raises(InstrumentError, match="instrument file not found; pass --instrument"):
        load_instrument(tmp_path / "absent.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("survey: [unclosed\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="not valid YAML"):
        load_instrument(bad)


def test_default_sections_follow_parts(raw_spec):
    spec = copy.deepcopy(raw_spec)
    spec.pop("sections")
    inst = parse_instrument(spec, DEFAULT_INSTRUMENT)
    assert [(s.id, s.questions[0]) for s in inst.report_sections()] == [
        ("part_a", "A1"),
        ("part_b", "B1"),
    ]


def test_option_code_clashing_with_a_clean_column_is_refused(raw_spec):
    # option_column("B6", "other_text") would be the same name as other_column("B6").
    spec = copy.deepcopy(raw_spec)
    b6 = next(q for q in spec["questions"] if q["id"] == "B6")
    b6["options"][-1]["code"] = "other_text"
    with pytest.raises(
        InstrumentError, match=r"questions\.B6: option code\(s\) \['other_text'\] would clash"
    ):
        parse_instrument(spec, "bad.yaml")


def test_from_root_keeps_absolute_paths_and_anchors_relative_ones(tmp_path):
    from giftreview.paths import PROJ_ROOT, from_root

    assert from_root(tmp_path) == tmp_path
    assert from_root("data/raw/x.csv") == PROJ_ROOT / "data" / "raw" / "x.csv"


@pytest.mark.parametrize(
    ("value", "label"),
    [
        # the bundled A3 bins: None 0-0, 1-2, 3-5, 6-10, More than 10 (11+); by hand from the
        # rule "the last bin whose min is at most the value; none above the last max"
        (0, "None"),
        (0.5, "None"),
        (2, "1-2"),
        (2.5, "1-2"),  # between 1-2 and 3-5: the lower bin (clean and score disagreed here)
        (3, "3-5"),
        (10, "6-10"),
        (10.5, "6-10"),  # between 6-10 and 11+: the lower bin (the other disagreement)
        (11, "More than 10"),
        (-1, None),
        (None, None),
    ],
)
def test_one_count_bin_rule_for_cleaning_and_scoring(instrument, value, label):
    q = instrument.question("A3")
    got = bin_counts([value], q.bins)[0]
    assert (None if pd.isna(got) else got) == label
    assert count_bin(value, q) == label  # cleaning's scalar form gives the same


def test_scoring_synthetic_tables_bin_like_cleaning(instrument):
    q = instrument.question("A3")
    simulated = simulate_clean(instrument, n=200, seed=3)
    values = simulated["A3"].to_numpy(dtype=float, na_value=float("nan"))
    by_rule = [count_bin(None if pd.isna(v) else v, q) for v in values]
    assert [None if pd.isna(b) else b for b in simulated["A3__bin"]] == by_rule


def test_bins_keep_their_order_and_unbounded_last_bin():
    bins = [Bin(label="1-2", min=1, max=2), Bin(label="3+", min=3)]
    got = bin_counts([1, 2.9, 3, 1e9], bins)
    assert list(got) == ["1-2", "1-2", "3+", "3+"] and list(got.categories) == ["1-2", "3+"]
    assert got.ordered
