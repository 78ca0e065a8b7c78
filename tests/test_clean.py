"""giftreview.data.clean: the clean table of the data contract, audit, quarantine, outputs, accounting."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from giftreview.data.clean import (
    AUDIT_COLUMNS,
    OUTPUT_FILES,
    RAW_PREFIX,
    accounting_line,
    clean_wave,
    count_bin,
)
from giftreview.data.instrument import (
    bin_column,
    file_sha256,
    load_instrument,
    missing_column,
    option_column,
)
from giftreview.data.rules import MAX_CELL_CHARS, SET_MISSING_RULES
from giftreview.errors import ArgumentError
from giftreview.paths import DATA_RAW, DOCS

BAD = "bad_inputs"
# (raw rows, clean rows, quarantined rows), from data/raw/README.md, which says what the generator
# plants: 2010 = 120 organizations + 1 exact duplicate + 2 near-duplicates + 2 blank rows + 1 row
# with no id = 126 raw rows, 6 quarantined; 2012 = 140 + 2 + 2 + 2 + 1 = 147 raw rows, 7
# quarantined. The raw counts are also checked below with the standard library's csv reader.
WAVES = {"ungift_2010": (126, 120, 6), "ungift_2012": (147, 140, 7)}
RAW_DIALECT = {"ungift_2010": ("cp1252", ";"), "ungift_2012": ("utf-8-sig", ",")}


@pytest.fixture(scope="module")
def wave_2010(instrument, tmp_path_factory):
    out = tmp_path_factory.mktemp("ungift_2010")
    return clean_wave(DATA_RAW / "ungift_2010.csv", instrument, out_dir=out)


@pytest.mark.parametrize("wave", sorted(WAVES))
def test_row_accounting_of_bundled_waves(instrument, wave):
    result = clean_wave(DATA_RAW / f"{wave}.csv", instrument, write=False)
    c = result.counts
    assert (c["raw_rows"], c["clean_rows"], c["quarantined_rows"]) == WAVES[wave]
    encoding, delimiter = RAW_DIALECT[wave]
    with (DATA_RAW / f"{wave}.csv").open(encoding=encoding, newline="") as f:
        assert len(list(csv.reader(f, delimiter=delimiter))) - 1 == c["raw_rows"]  # less header
    assert len(result.quarantine) == c["quarantined_rows"]
    assert accounting_line(result) == (
        f"raw rows {c['raw_rows']} = clean {c['clean_rows']} + quarantined {c['quarantined_rows']}"
    )
    assert result.clean["respondent_id"].is_unique
    assert result.out_dir is None


def test_outputs_written_and_manifest(instrument, wave_2010):
    out = wave_2010.out_dir
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["raw_sha256"] == file_sha256(DATA_RAW / "ungift_2010.csv")
    assert manifest["instrument_sha256"] == instrument.sha256
    assert manifest["instrument"] == "instruments/ungift_partner_survey.yaml"
    assert manifest["wave"] == "ungift_2010" and manifest["raw_file"] == "ungift_2010.csv"
    assert manifest["raw_read"] == {
        "format": "csv",
        "encoding": "cp1252",
        "delimiter": "semicolon",
        "sheet": None,
        "header_rows": 1,
        "respondent_id": "column 'respondent_id'",
    }
    assert manifest["quarantine_reasons"] == {
        "all_blank": 2,
        "exact_duplicate": 1,
        "near_duplicate": 2,
        "no_id": 1,
    }
    for name, digest in manifest["files"].items():
        assert file_sha256(out / name) == digest
    assert "giftreview_version" in manifest


def test_rerun_is_byte_identical(instrument, wave_2010, tmp_path):
    clean_wave(DATA_RAW / "ungift_2010.csv", instrument, out_dir=tmp_path)
    for name in OUTPUT_FILES:
        assert (tmp_path / name).read_bytes() == (wave_2010.out_dir / name).read_bytes(), name


def test_raw_file_untouched_and_raw_dir_refused(instrument, tmp_path):
    before = file_sha256(DATA_RAW / "ungift_2012.csv")
    with pytest.raises(ArgumentError, match="raw data are never written"):
        clean_wave(DATA_RAW / "ungift_2012.csv", instrument, out_dir=DATA_RAW / "x")
    assert file_sha256(DATA_RAW / "ungift_2012.csv") == before
    assert sorted(p.name for p in DATA_RAW.glob("*.csv")) == ["ungift_2010.csv", "ungift_2012.csv"]


def test_clean_columns_and_dtypes(instrument, wave_2010):
    clean = wave_2010.clean
    assert list(clean.columns[:5]) == [
        "respondent_id",
        "organization",
        "submitted",
        "wave",
        "source_row",
    ]
    assert clean["respondent_id"].dtype == "string"
    assert str(clean["submitted"].dtype).startswith("datetime64")
    assert clean["source_row"].dtype == "int64"
    assert (clean["wave"] == "ungift_2010").all()
    a1, b1 = clean["A1"].dtype, clean["B1"].dtype
    assert not a1.ordered and list(a1.categories) == [o.label for o in instrument.levels_of("A1")]
    assert b1.ordered and list(b1.categories) == [o.label for o in instrument.levels_of("B1")]
    assert clean["A3"].dtype == "Float64"
    assert clean[bin_column("A3")].dtype.ordered
    for o in instrument.question("B6").options:
        assert clean[option_column("B6", o.code)].dtype == "boolean"
    assert clean["B6__other_text"].dtype == "string"
    for q in instrument.questions:
        assert clean[missing_column(q.id)].dtype == "string"
    for qid in ("B2", "B3", "B4", "B5", "B7", "B8", "B9"):
        assert clean[qid].dtype == "string"
    assert clean["source_row"].is_monotonic_increasing  # raw order


def test_missing_code_is_never_a_level(wave_2010):
    clean = wave_2010.clean
    dk = clean[missing_column("B1")].notna()
    assert dk.any() and clean.loc[dk, "B1"].isna().all()
    assert set(clean.loc[dk, missing_column("B1")]) <= {"Don't know", "N/A"}


def test_planted_unknown_sector_set_missing_and_audited(wave_2010):
    audit = wave_2010.audit
    row = audit[(audit["rule"] == "unknown_label") & (audit["column"] == "sector")]
    assert list(row["before"]) == ["Private foundation"] and list(row["after"]) == [""]
    clean = wave_2010.clean.set_index("source_row")
    assert pd.isna(clean.loc[int(row["source_row"].iloc[0]), "A1"])


def test_every_set_missing_is_audited(wave_2010):
    v, audit = wave_2010.validation, wave_2010.audit
    for r in v[v["action"] == "set missing"].dropna(subset=["source_row"]).itertuples():
        hit = audit[(audit["source_row"] == r.source_row) & (audit["column"] == r.column)]
        assert list(hit["rule"]) == [r.rule]
        assert r.rule in SET_MISSING_RULES


def test_audit_log_rules(wave_2010):
    audit = wave_2010.audit
    assert list(audit.columns) == AUDIT_COLUMNS
    assert (audit["before"] != audit["after"]).all()
    assert {
        "alias",
        "trim_space_case",
        "whitespace",
        "missing_code",
        "range_midpoint",
        "approximate_number",
        "number_with_unit",
        "number_word",
    } <= set(audit["rule"])
    staff = audit[(audit["column"] == "hq_staff") & (audit["rule"] == "range_midpoint")].iloc[0]
    lo, hi = (float(x) for x in staff["before"].split("-"))
    assert float(staff["after"]) == (lo + hi) / 2


def test_near_duplicate_keeps_latest(wave_2010):
    q = wave_2010.quarantine
    assert list(q.columns[:3]) == ["source_row", "respondent_id", "reason"]
    assert all(c.startswith(RAW_PREFIX) for c in q.columns[3:])
    near = q[q["reason"] == "near_duplicate"]
    clean = wave_2010.clean.set_index("respondent_id")
    for r in near.itertuples():
        kept = clean.loc[r.respondent_id]
        assert kept["source_row"] > r.source_row
        assert kept["submitted"] >= pd.Timestamp(getattr(r, f"{RAW_PREFIX}submitted"))


def test_clean_csv_neutralises_formulas(wave_2010):
    text = (wave_2010.out_dir / "clean.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text and ",=HYPERLINK(" not in text
    assert "<script>alert(1)</script>" in text  # kept as text; escaping happens in HTML output
    hyperlink = wave_2010.clean["B4"].dropna()
    assert hyperlink.str.startswith("=HYPERLINK(").any()  # the table itself keeps the answer


@pytest.mark.parametrize(
    ("value", "label"),
    [
        (0, "None"),
        (1, "1-2"),
        (2.5, "1-2"),
        (4, "3-5"),
        (10, "6-10"),
        (10.5, "6-10"),
        (11, "More than 10"),
        (250, "More than 10"),
        (None, None),
    ],
)
def test_count_bin(instrument, value, label):
    assert count_bin(value, instrument.question("A3")) == label


def test_multi_options(instrument, tmp_path):
    path = tmp_path / "w.csv"
    path.write_text(
        "respondent_id,sector,topics,topics_other\nA,NGO,awareness raising; victims,\nB,NGO,,\nC,NGO,Don't know,\n"
        "D,NGO,training,Organ removal\nE,NGO,victims;other,\n",
        encoding="utf-8",
    )
    clean = clean_wave(path, instrument, write=False).clean.set_index("respondent_id")
    assert bool(clean.loc["A", "B6__prevention"]) and bool(clean.loc["A", "B6__victims"])
    assert not clean.loc["A", "B6__justice"] and pd.notna(clean.loc["A", "B6__justice"])
    assert pd.isna(clean.loc["B", "B6__prevention"]) and pd.isna(clean.loc["C", "B6__victims"])
    assert clean.loc["C", "B6__missing"] == "Don't know"
    assert clean.loc["D", "B6__other_text"] == "Organ removal"
    assert pd.isna(clean.loc["A", "B6__other_text"])
    # "Other (specify)" text without the tick ticks the option (rule other_text_implies_other)
    assert bool(clean.loc["D", "B6__other"])
    # "Other" ticked without text: the tick is kept and the text stays blank
    assert bool(clean.loc["E", "B6__other"]) and pd.isna(clean.loc["E", "B6__other_text"])


def test_extra_column_kept(instrument, fixtures_dir):
    result = clean_wave(fixtures_dir / BAD / "extra_column.csv", instrument, write=False)
    assert list(result.clean["extra__interviewer_notes"].fillna("")) == ["called twice", ""]
    assert (result.clean["B2"].isna()).all()  # absent optional columns are NA, not an error


def test_five_megabyte_cell(instrument, tmp_path):
    """Generated here: a 5 MB answer is read whole, set missing, and the row is kept."""
    path = tmp_path / "huge_cell.csv"
    huge = "x" * (5 * 1024 * 1024)
    path.write_text(
        f"respondent_id,sector,added_value\nA,NGO,{huge}\nB,UN,fine\n", encoding="utf-8"
    )
    result = clean_wave(path, instrument, out_dir=tmp_path / "out")
    assert result.counts["clean_rows"] == 2
    assert pd.isna(result.clean.loc[0, "B2"]) and result.clean.loc[1, "B2"] == "fine"
    v = result.validation
    assert list(v.loc[v["rule"] == "cell_too_long", "source_row"]) == [2]
    audit_text = (tmp_path / "out" / "audit.csv").read_text(encoding="utf-8")
    assert len(audit_text) < 10_000 and f"({len(huge)} characters)" in audit_text
    assert len(huge) > MAX_CELL_CHARS


def test_sav_codes_matched_to_option_codes(instrument, fixtures_dir):
    result = clean_wave(
        fixtures_dir / BAD / "sav_without_value_labels.sav", instrument, write=False
    )
    clean = result.clean
    assert list(clean["A1"]) == ["Governments", "Civil society / NGOs", "United Nations system"]
    assert list(clean["B1"]) == ["Important", "Slightly important", "Not at all important"]
    assert pd.isna(clean.loc[2, "A2"])  # 9 is not a code of the 1-5 scale
    assert "out_of_range" in set(result.validation["rule"])


def test_wave_label_and_default_out_dir(instrument, tmp_path, monkeypatch):
    import giftreview.data.clean as clean_mod

    monkeypatch.setattr(clean_mod, "processed_dir", lambda wave: tmp_path / wave)
    result = clean_wave(DATA_RAW / "ungift_2012.csv", instrument, wave="w2012")
    assert result.out_dir == tmp_path / "w2012"
    assert (result.clean["wave"] == "w2012").all()


def _doc_blocks() -> tuple[str, str]:
    """The example instrument and export of docs/instrument-format.md."""
    text = (DOCS / "instrument-format.md").read_text(encoding="utf-8")
    yaml_block = re.search(r"```yaml\n(# instruments/course_feedback.yaml.*?)```", text, re.S)
    csv_block = re.search(r"Its export \(`course_feedback.csv`\):\n\n```\n(.*?)```", text, re.S)
    return yaml_block.group(1), csv_block.group(1)


def test_documented_example_survey_cleans(tmp_path):
    """The second, unrelated survey of the format docs loads and cleans as the docs say."""
    spec, export = _doc_blocks()
    (tmp_path / "course_feedback.yaml").write_text(spec, encoding="utf-8")
    inst = load_instrument(tmp_path / "course_feedback.yaml")
    path = tmp_path / "course_feedback.csv"
    path.write_text(export, encoding="utf-8")
    result = clean_wave(path, inst, write=False)
    clean = result.clean.set_index("respondent_id")
    assert result.counts == {"raw_rows": 3, "clean_rows": 3, "quarantined_rows": 0}
    assert list(clean["source_row"]) == [3, 4, 5]  # two header rows
    assert list(clean["role"]) == ["Police", "Prosecutor", "Social worker"]
    assert clean.loc["P-02", "useful"] == "Strongly agree" and clean["useful"].dtype.ordered
    assert list(clean["cases"]) == [4.0, 0.0, 10.0]
    assert list(clean["cases__bin"]) == ["1-5", "None", "More than 5"]
    assert bool(clean.loc["P-01", "modules__finance"]) and bool(
        clean.loc["P-02", "modules__elsewhere"]
    )
    assert clean.loc["P-02", "modules__other_text"] == "Asset recovery"
    assert clean.loc["P-01", "partners"] == "IOM; UNODC"
    assert (result.validation["severity"] != "error").all()


def test_row_blocks_give_the_same_bytes(instrument, tmp_path, monkeypatch):
    """The CSV outputs are written CSV_BLOCK_ROWS rows at a time (a million-row clean.csv is never
    held as one text) and the audit is put in order AUDIT_BLOCK_ROWS raw rows at a time; in
    blocks of 7 and 5 rows every file is still the golden copy byte for byte
    (tests/fixtures/golden, see tests/test_golden.py for how they were made)."""
    import giftreview.data.audit as audit_module
    import giftreview.data.clean as clean_module

    monkeypatch.setattr(clean_module, "CSV_BLOCK_ROWS", 7)
    monkeypatch.setattr(audit_module, "AUDIT_BLOCK_ROWS", 5)
    clean_wave(DATA_RAW / "ungift_2012.csv", instrument, out_dir=tmp_path)
    golden = Path(__file__).parent / "fixtures" / "golden" / "ungift_2012"
    for name in ("audit.csv", "validation.csv", "quarantine.csv", "clean.csv"):
        assert (tmp_path / name).read_bytes() == (golden / name).read_bytes(), name
    assert len((tmp_path / "clean.csv").read_text().splitlines()) > 7 * 3  # several blocks
