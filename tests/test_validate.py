"""giftreview.data.validate: the instrument's rules, the lazy report, row-level checks, properties."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.data.clean import clean_table, clean_wave
from giftreview.data.io import RawTable
from giftreview.data.rules import MAX_CELL_CHARS, Rules
from giftreview.data.validate import (
    VALIDATION_COLUMNS,
    quarantine_plan,
    rule_counts,
    validate_file,
    validate_raw,
)
from giftreview.errors import DataValidationError
from giftreview.paths import DATA_RAW

BAD = "bad_inputs"


@pytest.fixture(scope="module")
def rules(instrument):
    return Rules(instrument)


def raw_table(rows: list[dict[str, str]], columns: list[str]) -> RawTable:
    data = pd.DataFrame(
        [[r.get(c, "") for c in columns] for r in rows],
        columns=columns,
        index=pd.Index(range(2, 2 + len(rows)), name="source_row"),
        dtype="string",
    )
    return RawTable(data=data, path=Path("memory.csv"), digest="", format="csv")


# ---- single choice and rating ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "value", "rule"),
    [
        ("Governments", "Governments", None),
        ("  governments ", "Governments", "trim_space_case"),
        ("Govt", "Governments", "alias"),
        (" ngo", "Civil society / NGOs", "alias"),
        ("GOV", "Governments", "code_to_label"),
        ("", None, None),
        ("   ", None, "blank"),
    ],
)
def test_single_labels_aliases_codes(rules, raw, value, rule):
    cell = rules.label("A1", raw)
    assert (cell.value, cell.rule, cell.problems) == (value, rule, [])


@pytest.mark.parametrize(
    ("raw", "missing", "rule"),
    [
        ("Don't know", "Don't know", None),
        ("dont know", "Don't know", "missing_code"),
        (" N/A ", "N/A", "missing_code"),
        ("not applicable", "N/A", "missing_code"),
    ],
)
def test_missing_codes(rules, raw, missing, rule):
    cell = rules.label("B1", raw)
    assert (cell.value, cell.missing, cell.rule) == (None, missing, rule)


def test_unknown_label_suggests_but_never_maps(rules):
    cell = rules.label("A1", "Goverment")
    assert cell.value is None
    [problem] = cell.problems
    assert problem.rule == "unknown_label" and problem.severity == "error"
    assert "closest labels: Governments" in problem.message
    assert "add it to that option's aliases" in problem.message


@pytest.mark.parametrize("raw", ["7", "0", "-1", "2.5"])
def test_rating_out_of_range(rules, raw):
    cell = rules.label("B1", raw)
    assert cell.value is None
    assert [p.rule for p in cell.problems] == ["out_of_range"]


@pytest.mark.parametrize(
    ("raw", "label"),
    [("5", "Very important"), ("very imp.", "Very important"), ("1", "Not at all important")],
)
def test_rating_codes_and_aliases(rules, raw, label):
    assert rules.label("B1", raw).value == label


# ---- counts -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "value", "rule"),
    [
        ("4", 4.0, None),
        (" 4 ", 4.0, "trim_space"),
        ("3-5", 4.0, "range_midpoint"),
        ("2 to 3", 2.5, "range_midpoint"),
        ("about 10", 10.0, "approximate_number"),
        ("approx. 6", 6.0, "approximate_number"),
        ("12 staff", 12.0, "number_with_unit"),
        ("two", 2.0, "number_word"),
        ("none", 0.0, "number_word"),
        ("None", 0.0, "number_word"),
        ("10+", 10.0, "lower_bound"),
        ("more than 10", 10.0, "lower_bound"),
    ],
)
def test_count_text(rules, raw, value, rule):
    cell = rules.count("A3", raw)
    assert (cell.value, cell.rule) == (value, rule)
    assert all(p.action == "normalised" for p in cell.problems)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [("lots", "unreadable_count"), ("5-3", "unreadable_count"), ("-3", "out_of_range")],
)
def test_count_problems(rules, raw, rule):
    cell = rules.count("A3", raw)
    assert cell.value is None and [p.rule for p in cell.problems] == [rule]


def test_count_missing_code(rules):
    assert rules.count("A3", "n/a").missing == "N/A"


# ---- multiple choice --------------------------------------------------------------------------
def test_options_split_and_normalise(rules):
    cell = rules.options("B6", "awareness raising ; Victims;  TRAINING")
    assert cell.value == ["prevention", "victims", "capacity"]
    assert cell.rule == "alias" and cell.problems == []


def test_options_unknown_part_reported(rules):
    cell = rules.options("B6", "Prevention and awareness raising; astrology")
    assert cell.value == ["prevention"]
    assert [p.rule for p in cell.problems] == ["unknown_option"]


def test_other_text_ticks_other(rules):
    cell = rules.options("B6", "victims", other_text="Organ removal")
    assert cell.value == ["victims", "other"]
    assert cell.problems[0].rule == "other_text_implies_other"


# ---- text and dates ---------------------------------------------------------------------------
def test_text_whitespace(rules):
    assert rules.text("B2", "  a\n b  ").value == "a b"
    assert rules.text("B8", "UNODC\n  OSCE \n\nIOM", keep_lines=True).value == "UNODC\nOSCE\nIOM"
    assert rules.text("B2", "N/A").missing == "N/A"


def test_text_too_long(rules):
    cell = rules.text("B2", "x" * (MAX_CELL_CHARS + 1))
    assert cell.value is None and cell.problems[0].rule == "cell_too_long"


@pytest.mark.parametrize(
    ("raw", "value", "rule"),
    [
        ("2010-03-01 10:42:00", datetime(2010, 3, 1, 10, 42), None),
        ("2012-04-02T09:45", datetime(2012, 4, 2, 9, 45), None),
        ("15/03/2010 14:22", datetime(2010, 3, 15, 14, 22), "date_format"),
        ("2010-03-01T10:00:00+01:00", datetime(2010, 3, 1, 9, 0), None),
    ],
)
def test_dates(rules, raw, value, rule):
    cell = rules.date(raw)
    assert (cell.value, cell.rule) == (value, rule)


def test_unreadable_date(rules):
    assert rules.date("last tuesday").problems[0].rule == "unreadable_date"


# ---- schema, structure, rows ------------------------------------------------------------------
def test_lazy_report_lists_every_problem_at_once(instrument, fixtures_dir):
    report = validate_file(fixtures_dir / BAD / "unknown_sector_and_scale_label.csv", instrument)
    assert list(report.columns) == VALIDATION_COLUMNS
    # cell errors; the fixture also leaves most instrument columns out (column_absent errors)
    errors = report[(report["severity"] == "error") & report["source_row"].notna()]
    assert sorted(zip(errors["source_row"], errors["column"], strict=True)) == [
        (2, "sector"),
        (2, "trafficking_importance"),
        (3, "sector"),
        (3, "ungift_importance"),
    ]
    assert set(errors["action"]) == {"set missing"}
    row = errors[(errors["source_row"] == 3) & (errors["column"] == "sector")].iloc[0]
    assert row["value"] == "Goverment" and "Governments" in row["message"]


def test_required_column_missing_names_closest(instrument, fixtures_dir):
    with pytest.raises(
        DataValidationError, match=r"'respondent_id' \(closest columns present: respondent"
    ):
        validate_file(fixtures_dir / BAD / "required_column_missing.csv", instrument)


def test_extra_column_reported(instrument, fixtures_dir):
    report = validate_file(fixtures_dir / BAD / "extra_column.csv", instrument)
    extra = report[report["rule"] == "extra_column"]
    assert list(extra["column"]) == ["interviewer_notes"] and list(extra["action"]) == ["kept"]


def test_header_case_renamed(instrument, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text("Respondent_ID, Sector \nORG-1,NGO\n", encoding="utf-8")
    report = validate_file(path, instrument)
    assert sorted(report.loc[report["rule"] == "header_renamed", "column"]) == [
        "respondent_id",
        "sector",
    ]


def test_duplicates_keep_rule(instrument, rules, fixtures_dir):
    report = validate_file(fixtures_dir / BAD / "duplicate_ids.csv", instrument)
    q = report[report["action"] == "quarantined"].set_index("source_row")
    assert q.loc[3, "rule"] == "exact_duplicate"
    # ORG-0002 at row 4 (5 March) is later than row 6 (4 March): row 4 is kept
    assert q.loc[6, "rule"] == "near_duplicate" and "row 4 kept" in q.loc[6, "message"]
    assert set(q.index) == {3, 6}


def test_near_duplicate_tie_keeps_lower_row(instrument, rules):
    raw = raw_table(
        [{"respondent_id": "A", "sector": "NGO"}, {"respondent_id": "A", "sector": "UN"}],
        ["respondent_id", "sector"],
    )
    plan = quarantine_plan(raw.data, instrument, rules)
    assert list(plan["source_row"]) == [2] and list(plan["reason"]) == ["near_duplicate"]


def test_id_with_spaces_is_the_same_id(instrument, rules):
    raw = raw_table(
        [{"respondent_id": "A", "sector": "NGO"}, {"respondent_id": " A ", "sector": "NGO"}],
        ["respondent_id", "sector"],
    )
    assert list(quarantine_plan(raw.data, instrument, rules)["reason"]) == ["exact_duplicate"]


def test_blank_rows_and_no_id(instrument, fixtures_dir):
    report = validate_file(fixtures_dir / BAD / "blank_rows_and_no_id.csv", instrument)
    q = report[report["action"] == "quarantined"]
    assert sorted(zip(q["source_row"], q["rule"], strict=True)) == [
        (3, "all_blank"),
        (4, "no_id"),
        (5, "all_blank"),
        (6, "all_blank"),
    ]


def test_bundled_wave_report(instrument):
    report = validate_file(DATA_RAW / "ungift_2010.csv", instrument)
    counts = rule_counts(report)
    assert set(counts.columns) == {"severity", "rule", "action", "n"}
    rules_found = set(report["rule"])
    assert {
        "unknown_label",
        "no_id",
        "all_blank",
        "exact_duplicate",
        "near_duplicate",
        "range_midpoint",
        "approximate_number",
    } <= rules_found
    planted = report[report["rule"] == "unknown_label"]
    assert list(planted["value"]) == ["Private foundation"]


def test_cell_issues_in_quarantined_rows_say_so(instrument):
    report = validate_file(DATA_RAW / "ungift_2012.csv", instrument)
    quarantined = set(report.loc[report["action"] == "quarantined", "source_row"])
    others = report[report["source_row"].isin(quarantined) & (report["action"] != "quarantined")]
    assert len(others) and set(others["action"]) == {"none"}
    assert others["message"].str.endswith("(row quarantined)").all()


# ---- properties -------------------------------------------------------------------------------
COLUMNS = [
    "respondent_id",
    "submitted",
    "sector",
    "trafficking_importance",
    "hq_staff",
    "ungift_importance",
    "added_value",
    "topics",
    "topics_other",
    "other_fora",
    "notes",
]
cell_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "NGO",
            "Govt",
            "5",
            "7",
            "3-5",
            "about 10",
            "n/a",
            "Don't know",
            "ORG-1",
            "ORG-2",
            "=1+1",
            "<script>",
            "prevention;other",
            "2010-03-01",
        ]
    ),
)
rows_strategy = st.lists(
    st.fixed_dictionaries({c: cell_text for c in COLUMNS}), min_size=1, max_size=8
)


@given(rows=rows_strategy)
def test_arbitrary_text_never_crashes_and_never_loses_a_row(instrument, rows):
    raw = raw_table(rows, COLUMNS)
    report = validate_raw(raw, instrument)
    assert list(report.columns) == VALIDATION_COLUMNS
    assert set(report["severity"]) <= {"error", "warning"}
    clean, audit, quarantine, _ = clean_table(raw, instrument, "w")
    assert len(clean) + len(quarantine) == len(rows)
    assert sorted([*clean["source_row"], *quarantine["source_row"]]) == raw.source_rows
    assert set(quarantine["reason"]) <= {"all_blank", "no_id", "exact_duplicate", "near_duplicate"}
    set_missing = report[report["action"] == "set missing"]
    for row, col, rule in zip(
        set_missing["source_row"], set_missing["column"], set_missing["rule"], strict=True
    ):
        if pd.notna(row):  # a cell set missing is in the audit log under the same rule
            assert (
                (audit["source_row"] == row) & (audit["column"] == col) & (audit["rule"] == rule)
            ).any()


@settings(max_examples=25)
@given(rows=rows_strategy)
def test_arbitrary_text_through_a_csv_file(instrument, tmp_path_factory, rows):
    """Written to a real CSV file and read back (NUL bytes would make it a binary file)."""
    import csv

    path = tmp_path_factory.mktemp("h") / "wave.csv"
    rows = [{k: v.replace("\x00", "") for k, v in r.items()} for r in rows]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(COLUMNS)
        writer.writerows([[r[c] for c in COLUMNS] for r in rows])
    result = clean_wave(path, instrument, write=False, max_quarantine=1.0)  # any share allowed
    assert list(result.validation.columns) == VALIDATION_COLUMNS
    counts = result.manifest["counts"]
    assert counts["raw_rows"] == len(rows) == counts["clean_rows"] + counts["quarantined_rows"]


# ---- values of issue 10: separators, ranges, overflows, code spellings, dates, ids -----------
def _with(instrument, **changes):
    """The bundled instrument with top-level keys or fields of ``raw`` or of a question changed
    (``raw__decimal_mark=","``, ``A3__max=500``, ``max_quarantine=0.8``)."""
    import yaml

    from giftreview.data.instrument import parse_instrument

    data = yaml.safe_load(instrument.path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if "__" not in key:
            data[key] = value
            continue
        where, field = key.split("__")
        if where == "raw":
            target = data["raw"]
        else:
            target = next(q for q in data["questions"] if q["id"] == where)
        target[field] = value
    return parse_instrument(data, instrument.path)


@pytest.mark.parametrize("raw", ["1,000", "1.000", "about 1,000"])
def test_thousands_separator_without_locale_is_ambiguous(rules, raw):
    cell = rules.count("A3", raw)
    assert cell.value is None and [p.rule for p in cell.problems] == ["ambiguous_number"]
    assert "raw.decimal_mark" in cell.problems[0].message


@pytest.mark.parametrize(
    ("mark", "raw", "value", "rule"),
    [
        (".", "1,000", 1000.0, "thousands_separator"),  # comma groups thousands
        (".", "1.000", 1.0, None),  # point is the decimal mark: one, written with decimals
        (",", "1.000", 1000.0, "thousands_separator"),
        (",", "1,000", 1.0, None),
        (None, "1,000,000", 1_000_000.0, "thousands_separator"),  # two groups: never a decimal
    ],
)
def test_thousands_separator_follows_declared_decimal_mark(instrument, mark, raw, value, rule):
    rules = Rules(_with(instrument, raw__decimal_mark=mark))
    cell = rules.count("A3", raw)
    assert (cell.value, cell.rule if cell.rule != "trim_space" else None) == (value, rule)


@pytest.mark.parametrize("raw", ["9" * 400, "9007199254740993", "-3"])
def test_overflowing_and_negative_counts_are_out_of_range(rules, raw):
    # 9 * 400 reads as inf in Python; 2**53 + 1 is past the last exactly representable count
    cell = rules.count("A3", raw)
    assert cell.value is None and [p.rule for p in cell.problems] == ["out_of_range"]


def test_count_min_max_from_the_instrument(instrument):
    rules = Rules(_with(instrument, A3__min=1, A3__max=500))
    assert rules.count("A3", "250").value == 250.0
    for raw, word in (("0", "below"), ("501", "above"), ("1000-2000", "above")):
        [problem] = rules.count("A3", raw).problems
        assert problem.rule == "out_of_range" and word in problem.message


@pytest.mark.parametrize("raw", ["5.0", "05", "+5", "5,0", " 05 "])
def test_numeric_spellings_of_a_scale_code_are_normalised(rules, raw):
    cell = rules.label("B1", raw)
    assert (cell.value, cell.rule, cell.problems) == ("Very important", "numeric_code", [])


def test_date_beyond_timestamps_is_flagged_and_set_missing(instrument, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(
        "respondent_id,sector,submitted\nA,NGO,9999-12-31\nB,NGO,2010-03-01\n", encoding="utf-8"
    )
    result = clean_wave(path, instrument, write=False)
    v = result.validation
    assert list(v.loc[v["rule"] == "unreadable_date", "source_row"]) == [2]
    assert "outside the years 1677-2262" in v.loc[v["rule"] == "unreadable_date", "message"].iloc[0]
    assert result.clean["submitted"].isna().tolist() == [True, False]
    audit = result.audit
    assert list(audit.loc[audit["column"] == "submitted", "rule"]) == ["unreadable_date"]


def test_ids_compared_after_nfkc_casefold_and_zero_width_removal(instrument):
    raw = raw_table(
        [
            {"respondent_id": "org-0002", "sector": "NGO"},
            {"respondent_id": "ORG-0002", "sector": "NGO"},
            {"respondent_id": "ORG\u200b-0002", "sector": "UN"},
            {"respondent_id": "ＯＲＧ-０００３", "sector": "UN"},
            {"respondent_id": "org-0003", "sector": "NGO"},
        ],
        ["respondent_id", "sector"],
    )
    plan = quarantine_plan(raw.data, instrument, Rules(instrument))
    assert dict(zip(plan["source_row"], plan["reason"], strict=True)) == {
        3: "exact_duplicate",  # row 2 again, id in capitals
        2: "near_duplicate",  # row 4 (same id with a zero-width space) is lower: kept
        5: "near_duplicate",  # full-width letters and digits are org-0003
    }
    assert "ignoring case, width and invisible characters" in plan.loc[3, "message"]


def test_excessive_quarantine_stops_clean_with_the_dominant_reason(instrument, tmp_path):
    path = tmp_path / "w.csv"
    rows = "".join(",NGO,Important\n" for _ in range(3))  # 3 of 4 rows without an id
    path.write_text(f"respondent_id,sector,ungift_importance\nA,NGO,Important\n{rows}")
    out = tmp_path / "out"
    with pytest.raises(DataValidationError, match=r"3 of 4 rows \(75%\).*'no_id' \(3 rows, e"):
        clean_wave(path, instrument, out_dir=out)
    assert not out.exists()  # nothing written
    result = clean_wave(path, _with(instrument, max_quarantine=0.8), write=False)
    assert result.counts["quarantined_rows"] == 3


@pytest.mark.parametrize("raw", ["1,000", "1.000", "5.5"])
def test_other_numbers_on_a_scale_stay_out_of_range(rules, raw):
    # '1,000' could be one thousand: it is not read as code 1
    assert [p.rule for p in rules.label("B1", raw).problems] == ["out_of_range"]


def test_broadcast_joins_each_problem_to_every_row_holding_its_spelling():
    """By hand: rows hold spellings [1, 0, 1, 2]; spelling 1 has two problems (a, then b),
    spelling 2 one (c): rows 0 and 2 get a then b, row 3 gets c, in row order."""
    import pyarrow as pa

    from giftreview.data.readings import ColumnRead
    from giftreview.data.validate import _broadcast

    raw = pa.array(["ok", "bad", "worse"], pa.large_string())
    read = ColumnRead("q", np.array([1, 0, 1, 2]), raw, None, None, None, None, None, None)
    found = pd.DataFrame({"u": [2, 1, 1], "rule": ["c", "a", "b"], "seq": [0, 1, 2]})
    got = _broadcast(read, found)
    assert got["pos"].tolist() == [0, 0, 2, 2, 3]
    assert got["rule"].tolist() == ["a", "b", "a", "b", "c"]
    assert got["value"].tolist() == ["bad", "bad", "bad", "bad", "worse"]
    assert set(got["column"]) == {"q"}
