"""Tests of giftreview.text.lists: splitting, alias and fuzzy matching, tables by sector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.errors import ArgumentError, InstrumentError
from giftreview.text import listcap, lists
from giftreview.text.lists import (
    institution_mentions,
    load_aliases,
    split_names,
    table_by_group,
    unmatched_names,
)


@pytest.fixture(scope="module")
def aliases():
    return load_aliases()


def _names(text, aliases, **kw):
    return [(name, method) for _, name, method, _ in split_names(text, aliases, **kw)]


def test_and_inside_a_name_does_not_split(aliases):
    text = "United Nations Office on Drugs and Crime and IOM; Organization for Security and Co-operation in Europe"
    assert _names(text, aliases) == [("UNODC", "alias"), ("IOM", "alias"), ("OSCE", "alias")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("O.S.C.E.", ["OSCE"]),
        ("UN Office on Drugs & Crime", ["UNODC"]),
        ("UNDOC, OIM", ["UNODC", "IOM"]),
        ("Council of Europe / GRETA\nEU", ["Council of Europe", "European Union"]),
        ("Inter-agency coordination group against trafficking (ICAT)", ["ICAT"]),
        (
            "OSCE Alliance and the Bali Process",
            ["Alliance against Trafficking in Persons", "Bali Process"],
        ),
        ("United Nations Children’s Fund", ["UNICEF"]),
        ("interpol, INTERPOL and Interpol", ["Interpol"]),
    ],
)
def test_aliases_acronyms_and_misspellings(aliases, text, expected):
    assert [n for n, _ in _names(text, aliases)] == expected


def test_fuzzy_match_above_threshold_and_unmatched_kept(aliases):
    got = split_names("Interpoll; Red Nacional de Albergues", aliases)
    (raw1, name1, m1, s1), (raw2, name2, m2, s2) = got
    assert (name1, m1) == ("Interpol", "fuzzy") and s1 >= 85
    assert (raw2, name2, m2) == (
        "Red Nacional de Albergues",
        "Red Nacional de Albergues",
        "unmatched",
    )
    assert s2 < 85
    strict = split_names("Interpoll", aliases, threshold=99)
    assert strict[0][1:3] == ("Interpoll", "unmatched")


def test_blank_and_noise(aliases):
    assert split_names("", aliases) == []
    assert split_names(None, aliases) == []
    assert _names(" ; , the UNICEF etc.", aliases) == [("UNICEF", "alias")]


def test_alias_table_errors(fixtures_dir, tmp_path):
    with pytest.raises(InstrumentError, match="alias 'IOM' belongs to both 'IOM' and 'ILO'"):
        load_aliases(fixtures_dir / "coding" / "duplicate_alias.yaml")
    with pytest.raises(InstrumentError, match="alias table not found"):
        load_aliases(tmp_path / "none.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("institutions:\n  - name: X\n    full: Y\n    alias: [Z]\n", encoding="utf-8")
    with pytest.raises(InstrumentError, match="institutions.0.alias: unknown key"):
        load_aliases(bad)


@pytest.fixture
def lists_data() -> pd.DataFrame:
    govs = [f"g{i}" for i in range(6)]
    ngos = [f"n{i}" for i in range(3)]
    return pd.DataFrame(
        {
            "respondent_id": govs + ngos + ["x"],
            "A1": ["Governments"] * 6 + ["Civil society / NGOs"] * 3 + [pd.NA],
            "B8": ["UNODC, IOM"] * 5 + ["Provincial Task Force and UNODC"]
            + ["IOM and Interpoll", "La Strada", pd.NA] + ["ILO"],
        }
    )  # fmt: skip


def test_institution_mentions_and_table_by_group(instrument, lists_data):
    m = institution_mentions(lists_data, instrument, "B8")
    assert list(m.columns) == [
        "respondent_id",
        "group",
        "question",
        "raw",
        "name",
        "method",
        "score",
    ]
    assert (m.loc[m["respondent_id"] == "g5", "name"]).tolist() == [
        "Provincial Task Force",
        "UNODC",
    ]
    review = unmatched_names(m)
    assert review["name"].tolist() == ["Provincial Task Force"]
    table = table_by_group(m, k=5).set_index(["group", "name"])
    assert table.loc[("Governments", "UNODC"), ["n", "n_display"]].tolist() == [6, "6"]
    assert table.loc[("Governments", "IOM"), ["n", "n_display"]].tolist() == [5, "5"]
    assert table.loc[("Civil society / NGOs", "IOM"), "n_display"] == "<5"
    assert not table.loc[("Governments", "Provincial Task Force"), "matched"]
    assert "ILO" not in table.index.get_level_values("name")  # no group: not tabulated
    open_table = table_by_group(m, k=0)
    assert (open_table["suppressed"] == "").all()
    first = open_table[open_table["group"] == "Governments"]
    assert first["n"].is_monotonic_decreasing


def test_groups_keep_the_instrument_order(instrument, lists_data):
    order = ["Governments", "Civil society / NGOs"]
    data = lists_data.assign(A1=pd.Categorical(lists_data["A1"], categories=order[::-1]))
    table = table_by_group(institution_mentions(data, instrument, "B8"), k=0)
    assert list(dict.fromkeys(table["group"])) == order[::-1]


def test_cap_by_group_keeps_each_groups_most_named(instrument, lists_data):
    # lists_data's table at k = 5, by hand: Civil society / NGOs names IOM, Interpol (the
    # fuzzy "Interpoll") and La Strada once each (all "<5", ties: alphabetical order);
    # Governments names UNODC 6 times (5 x "UNODC, IOM" + 1), IOM 5 times, Provincial Task
    # Force once ("<5").
    table = table_by_group(institution_mentions(lists_data, instrument, "B8"), k=5)
    one = listcap.cap_by_group(table, cap=1)
    assert one.shown[["group", "name"]].values.tolist() == [
        ["Civil society / NGOs", "IOM"],
        ["Governments", "UNODC"],
    ]
    # left out: Interpol, La Strada (both <5), IOM 5 (published), Provincial Task Force (<5)
    assert (one.others, one.mentions, one.small, one.names) == (4, 5, 3, 4)
    two = listcap.cap_by_group(table, cap=2)
    assert two.shown["name"].tolist() == ["IOM", "Interpol", "UNODC", "IOM"]
    assert (two.others, two.mentions, two.small, two.names) == (2, 0, 2, 2)
    whole = listcap.cap_by_group(table, cap=3)
    assert whole.shown.equals(table) and (whole.others, whole.mentions, whole.small) == (0, 0, 0)
    assert listcap.cap_by_group(table, cap=None).shown.equals(table)
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ArgumentError, match="`cap` must be a whole number of at least 1"):
            listcap.cap_by_group(table, cap=bad)


def test_a_name_left_out_of_two_groups_is_one_distinct_name():
    # by hand: groups A and B both name X 9 times and Y 6 times; with one name a group, Y is
    # left out of both: two (group, name) rows, one distinct name, 12 published mentions
    table = pd.DataFrame(
        {
            "group": ["A", "A", "B", "B"],
            "name": ["X", "Y", "X", "Y"],
            "n": [9, 6, 9, 6],
            "suppressed": "",
        }
    )
    got = listcap.cap_by_group(table, cap=1)
    assert (got.others, got.names, got.mentions, got.small) == (2, 1, 12, 0)


def test_institution_mentions_needs_a_list_question(instrument, lists_data):
    with pytest.raises(ArgumentError, match="question B2 is 'open'"):
        institution_mentions(lists_data.assign(B2="x"), instrument, "B2")
    with pytest.raises(ArgumentError, match="`threshold` must lie between 0 and 100"):
        institution_mentions(lists_data, instrument, "B8", threshold=150)


def test_personal_data_never_reaches_a_list_table(instrument):
    """Issue 10: names and phone numbers appeared in the B8/B9 tables. The answer below names
    UNODC and IOM (aliases) plus a titled person, a phone number and an e-mail; only the two
    institutions remain."""
    data = pd.DataFrame(
        {
            "respondent_id": ["r1"],
            "A1": ["Governments"],
            "B8": ["UNODC; Mr John Smith; +41 22 917 1234; IOM; jane (at) example (dot) org"],
        }
    )
    m = institution_mentions(data, instrument, "B8")
    assert sorted(m["name"]) == ["IOM", "UNODC"]
    assert not m["raw"].str.contains("Smith|917|jane").any()


@settings(max_examples=40, deadline=None)
@given(
    pieces=st.lists(
        st.text(st.sampled_from(list("UNODC IOMintrpl-—. ")), max_size=14), max_size=12
    ),
    threshold=st.sampled_from([0.0, 50.0, 85.0, 100.0]),
)
def test_pieces_matched_at_once_as_one_by_one(pieces, threshold):
    # one score matrix (rapidfuzz cdist, first best per row) picks what extractOne picks for
    # each piece alone: the same name, method and score, ties and empty pieces included
    table = load_aliases()
    one = lists._Splitter(table, threshold)
    want = {p: one.match(p) for p in pieces}
    batch = lists._Splitter(table, threshold)
    batch.match_all(pieces)
    assert {p: batch.match(p) for p in pieces} == want


@settings(max_examples=60, deadline=None)
@given(
    pieces=st.lists(
        st.text(
            st.sampled_from(list("UNODC IOMintrpl-—.ÉéßİıſΣσ\t\n\u00a0\u2003_0١²")), max_size=16
        ),
        max_size=12,
        unique=True,
    ),
    threshold=st.sampled_from([0.0, 50.0, 85.0, 100.0]),
)
def test_distinct_pieces_scored_on_sorted_words_as_extract_one(pieces, threshold):
    # match_distinct scores fuzz.ratio of the pieces and keys with their processed words sorted;
    # extractOne with token_sort_ratio (rapidfuzz, the independent implementation) must pick the
    # same name, method and score for each piece: ties, empty pieces, Unicode letters, digits and
    # white space included
    table = load_aliases()
    one = lists._Splitter(table, threshold)
    want = [one.match(p) for p in pieces]
    name, method, score = lists._Splitter(table, threshold).match_distinct(
        np.asarray(pieces, dtype=object)
    )
    got = [(n, m, float(s)) for n, m, s in zip(name, method, score, strict=True)]
    assert got == want


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.sampled_from(list("IOMiomSsßẞİıſΣσς ")), max_size=6), max_size=12))
def test_names_grouped_by_their_casefold(names):
    # ASCII names are lowered in Arrow, the others case-folded by Python: the groups must be
    # those of Python's str.casefold on every name (ß/SS, ẞ, İ, ſ, final sigma included)
    got = lists._casefold_codes(np.asarray(names, dtype=object))
    want = pd.factorize(pd.Series([n.casefold() for n in names], dtype=object))[0]
    assert list(pd.factorize(got)[0]) == list(want)
