"""giftreview.data.io: every reader (CSV encodings/delimiters, XLSX sheets, SPSS, multi-row headers)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyreadstat
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.data.accounting import RecordCount, check_record_count, count_records
from giftreview.data.clean import clean_wave
from giftreview.data.io import load_clean, load_manifest, one_chunk, read_raw
from giftreview.data.rawcells import NEEDS_REPAIR, needs_repair
from giftreview.data.rawcsv import detect_encoding, sniff_delimiter
from giftreview.data.spec import RawLayout
from giftreview.errors import InputFileError
from giftreview.paths import DATA_RAW

BAD = "bad_inputs"
CSV_TEXT = "respondent_id,organization,sector,ungift_importance\nORG-1,Ministère,NGO,Important\n"


@pytest.mark.parametrize(
    ("name", "encoding", "delimiter", "rows"),
    # row counts: data/raw/README.md (120 + 6 planted rows, 140 + 7), as in test_clean.py
    [("ungift_2010.csv", "cp1252", ";", 126), ("ungift_2012.csv", "utf-8-sig", ",", 147)],
)
def test_bundled_waves(instrument, name, encoding, delimiter, rows):
    raw = read_raw(DATA_RAW / name, instrument)
    assert (raw.encoding, raw.delimiter, raw.format) == (encoding, delimiter, "csv")
    assert len(raw.data) == rows
    assert raw.source_rows[0] == 2  # the header is row 1
    assert raw.data.columns[0] == "respondent_id"  # the BOM is not part of the name
    assert all(isinstance(v, str) for v in raw.data.iloc[0])


def test_accents_survive_cp1252(instrument):
    raw = read_raw(DATA_RAW / "ungift_2010.csv", instrument)
    text = " ".join(raw.data["organization"])
    # data/raw/README.md: the 2010 wave plants Ministère, Organización and São Paulo in cp1252
    for accented in ("São Paulo", "Ministère", "Organización"):
        assert accented in text, accented
    assert "Ã" not in text  # no UTF-8 bytes misread as cp1252 (mojibake)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xef\xbb\xbfa,b", "utf-8-sig"),
        ("a,é".encode("utf-16"), "utf-16"),
        ("a,é".encode(), "utf-8"),
        ("a,é,€".encode("cp1252"), "cp1252"),
        ("a,é,ñ".encode("latin-1"), "cp1252"),  # latin-1 text reads the same as cp1252
    ],
)
def test_detect_encoding(data, expected):
    assert detect_encoding(data) == expected


def test_detect_encoding_unknown():
    with pytest.raises(InputFileError, match="unknown text encoding.*CSV UTF-8"):
        detect_encoding("人身取引、東京".encode("shift_jis"))


@pytest.mark.parametrize(
    ("line", "expected"),
    [("a,b,c", ","), ("a;b;c", ";"), ("a\tb\tc", "\t"), ("only", ","), ("a;b,c;d", ";")],
)
def test_sniff_delimiter(line, expected):
    assert sniff_delimiter(line) == expected


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", "\t"), ("utf-16", ",")],
)
def test_csv_round_trip(instrument, tmp_path, encoding, delimiter):
    path = tmp_path / "wave.csv"
    path.write_bytes(CSV_TEXT.replace(",", delimiter).encode(encoding))
    raw = read_raw(path, instrument)
    assert raw.data.loc[2, "organization"] == "Ministère"
    assert raw.delimiter == delimiter


def test_encoding_can_be_forced(instrument, tmp_path):
    path = tmp_path / "wave.csv"
    path.write_bytes(CSV_TEXT.encode("cp1252"))
    assert read_raw(path, instrument, encoding="latin-1").data.loc[2, "organization"] == "Ministère"


def test_tab_delimited_fixture(instrument, fixtures_dir):
    raw = read_raw(fixtures_dir / BAD / "tab_delimited.csv", instrument)
    assert list(raw.data.columns) == ["respondent_id", "sector", "ungift_importance"]


def test_multi_row_header(instrument, tmp_path):
    """Survey platforms write 2-3 header rows: names on row 2 here, data from row 4."""
    layout = RawLayout(header_rows=3, name_row=2)
    inst = instrument.model_copy(update={"raw": layout})
    path = tmp_path / "qualtrics.csv"
    path.write_text(
        "Q1,Q2,Q3\nrespondent_id,sector,ungift_importance\n{ImportId:1},{ImportId:2},{ImportId:3}\n"
        "ORG-1,NGO,Important\nORG-2,UN,Very important\n",
        encoding="utf-8",
    )
    raw = read_raw(path, inst)
    assert list(raw.data.columns) == ["respondent_id", "sector", "ungift_importance"]
    assert raw.source_rows == [4, 5]
    assert raw.header_rows == 3


def test_header_rows_beyond_file(instrument, tmp_path):
    inst = instrument.model_copy(update={"raw": RawLayout(header_rows=3, name_row=1)})
    path = tmp_path / "short.csv"
    path.write_text("respondent_id\n", encoding="utf-8")
    with pytest.raises(InputFileError, match="header spans 3"):
        read_raw(path, inst)


def test_ragged_rows_kept_and_noted(instrument, tmp_path):
    path = tmp_path / "ragged.csv"
    path.write_text("respondent_id,sector\nORG-1,NGO,surprise\nORG-2\n", encoding="utf-8")
    raw = read_raw(path, instrument)
    assert raw.data.loc[2, "unnamed_3"] == "surprise"
    assert raw.data.loc[3, "sector"] == ""
    assert [n["rule"] for n in raw.notes] == ["ragged_row"]


def test_repeated_and_blank_header_names(instrument, tmp_path):
    path = tmp_path / "names.csv"
    path.write_text("respondent_id,sector,,sector\nORG-1,NGO,x,UN\n", encoding="utf-8")
    raw = read_raw(path, instrument)
    assert list(raw.data.columns) == ["respondent_id", "sector", "unnamed_3", "sector__2"]
    assert sorted(n["rule"] for n in raw.notes) == ["blank_header", "repeated_header"]


def test_blank_lines_are_rows(instrument, fixtures_dir):
    """A spreadsheet shows blank lines as rows, so they keep their row numbers."""
    raw = read_raw(fixtures_dir / BAD / "blank_rows_and_no_id.csv", instrument)
    assert raw.source_rows == [2, 3, 4, 5, 6, 7]
    assert raw.data.loc[7, "respondent_id"] == "ORG-0002"


# ---- XLSX -------------------------------------------------------------------------------------
def test_xlsx_chosen_sheet(instrument, fixtures_dir):
    path = fixtures_dir / BAD / "data_on_other_sheet.xlsx"
    for sheet in ("Responses", 1, "1"):
        raw = read_raw(path, instrument, sheet=sheet)
        assert raw.format == "xlsx" and raw.sheet == "Responses"
        assert raw.data.loc[3, "trafficking_importance"] == "5"  # a number cell read as text
        assert raw.data.loc[2, "organization"] == "Ministère de la Justice"


def test_xlsx_data_on_another_sheet(instrument, fixtures_dir):
    with pytest.raises(InputFileError, match="the data are on sheet 'Responses'.*--sheet"):
        read_raw(fixtures_dir / BAD / "data_on_other_sheet.xlsx", instrument)


def test_xlsx_unknown_sheet(instrument, fixtures_dir):
    with pytest.raises(InputFileError, match="no sheet 'Answers'.*Notes, Responses"):
        read_raw(fixtures_dir / BAD / "data_on_other_sheet.xlsx", instrument, sheet="Answers")


def test_xlsx_sheet_from_instrument(instrument, fixtures_dir):
    inst = instrument.model_copy(update={"raw": RawLayout(sheet="Responses")})
    assert read_raw(fixtures_dir / BAD / "data_on_other_sheet.xlsx", inst).sheet == "Responses"


def test_xlsx_renamed_csv_is_still_read(instrument, fixtures_dir, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes((fixtures_dir / BAD / "data_on_other_sheet.xlsx").read_bytes())
    assert read_raw(path, instrument, sheet="Responses").format == "xlsx"


# ---- SPSS -------------------------------------------------------------------------------------
def test_sav_value_labels_become_labels(instrument, tmp_path):
    path = tmp_path / "labelled.sav"
    df = pd.DataFrame({"respondent_id": ["ORG-1", "ORG-2"], "ungift_importance": [5.0, 2.0]})
    labels = {
        "ungift_importance": {
            1.0: "Not at all important",
            2.0: "Slightly important",
            5.0: "Very important",
        }
    }
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels)
    raw = read_raw(path, instrument)
    assert raw.format == "sav"
    assert list(raw.data["ungift_importance"]) == ["Very important", "Slightly important"]


def test_sav_without_value_labels_keeps_codes(instrument, fixtures_dir):
    raw = read_raw(fixtures_dir / BAD / "sav_without_value_labels.sav", instrument)
    assert list(raw.data["ungift_importance"]) == ["4", "2", "1"]
    assert raw.source_rows == [2, 3, 4]


# ---- outputs ----------------------------------------------------------------------------------
def test_load_clean_and_manifest(instrument, tmp_path):
    result = clean_wave(DATA_RAW / "ungift_2012.csv", instrument, out_dir=tmp_path)
    data = load_clean(tmp_path)
    pd.testing.assert_frame_equal(data, result.clean)
    assert data["B1"].cat.ordered
    assert list(data["B1"].cat.categories) == [lv.label for lv in instrument.levels_of("B1")]
    assert load_manifest(tmp_path)["counts"] == result.manifest["counts"]


def test_load_clean_missing(tmp_path):
    with pytest.raises(InputFileError, match="run `giftreview clean RAW` first"):
        load_clean(tmp_path)
    with pytest.raises(InputFileError, match="no manifest"):
        load_manifest(tmp_path)


# ---- row accounting (issue 10) -----------------------------------------------------------------
def test_count_records_names_the_line_of_an_open_quote(tmp_path):
    """Line 3 opens a quote that only a later row closes: the strict pass refuses, naming line
    3 (counted by hand: header = line 1)."""
    text = 'id,a,b\nX-1,1,2\nX-2,"open,3\nX-3,4,5\nX-4,"x",6\n'
    with pytest.raises(InputFileError, match="line 3: unterminated or misplaced quote"):
        count_records(text, ",", tmp_path / "f.csv")


def test_count_records_accepts_quoted_line_breaks(tmp_path):
    """Two records after the header, the second spanning lines 3-5; a line inside an answer
    with commas but no id-shaped first field is text, not a swallowed row."""
    text = 'id,a,b\nX-1,1,2\nX-2,"first line\nItaly, Spain, France\nlast",3\n'
    got = count_records(text, ",", tmp_path / "f.csv")
    assert got.starts == (1, 2, 3) and got.lines == 5


def test_count_records_refuses_a_swallowed_row(tmp_path):
    """The quote opened on line 3 closes at a cell end on line 4, so the strict parse passes,
    but line 4 inside the cell is shaped like a row (id X-3, two delimiters)."""
    text = 'id,a,b\nX-1,1,2\nX-2,"open\nX-3,4,5",9\n'
    with pytest.raises(InputFileError, match="line 3: a quoted cell .* swallowed rows"):
        count_records(text, ",", tmp_path / "f.csv")


def test_check_record_count_names_the_first_divergent_line(tmp_path):
    expected = RecordCount(starts=(1, 2, 4, 5), lines=5)
    with pytest.raises(InputFileError, match="records diverge at line 4"):
        check_record_count([["h"], ["a"]], expected, tmp_path / "f.csv")


def test_one_chunk_joins_arrow_columns_without_changing_a_cell():
    """pyarrow's CSV reader gives a column one chunk per block of the file; ``one_chunk`` joins
    them (so open text can be read as it stands) and leaves every cell and the index as they were."""
    chunks = pa.chunked_array([pa.array(["a", " b "]), pa.array([""]), pa.array(["é\nx"])])
    data = pd.DataFrame(
        {"text": pd.array(chunks, dtype=pd.StringDtype()), "id": ["1", "2", "3", "4"]},
        index=pd.RangeIndex(2, 6, name="source_row"),
    )
    one_chunk(data)
    assert data["text"].array.__arrow_array__().num_chunks == 1
    assert data["text"].tolist() == ["a", " b ", "", "é\nx"]
    assert data.index.tolist() == [2, 3, 4, 5] and data.index.name == "source_row"
    assert str(data["text"].dtype) == "string"


@given(st.binary(max_size=40), st.text(max_size=10))
def test_the_whole_file_repair_check_is_the_regex_on_decoded_exports(data, text):
    """A file's text as the readers decode it (UTF-8 with ``surrogateescape``: a byte that is not
    UTF-8 becomes U+DC80..U+DCFF) needs repair exactly when :data:`NEEDS_REPAIR` finds a cell to
    repair; the NUL and encode scans are that regex's test, not a looser one."""
    for decoded in (data.decode("utf-8", "surrogateescape"), text):
        assert needs_repair(decoded) == bool(NEEDS_REPAIR.search(decoded))
