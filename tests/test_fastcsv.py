"""giftreview.data.fastcsv: large CSV files parsed by pyarrow give the csv module's table, cell for cell."""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd
import pytest

import giftreview.data.rawcsv as rawcsv
from giftreview.data.clean import clean_wave
from giftreview.data.fastcsv import parse_table
from giftreview.data.io import read_raw
from giftreview.paths import DATA_RAW

GOLDEN = Path(__file__).parent / "fixtures" / "golden"  # see test_golden.py for how they were made
FILES = ("audit.csv", "validation.csv", "quarantine.csv", "clean.csv")


@pytest.fixture
def fast(monkeypatch):
    """Every CSV, however small, goes through the pyarrow path."""
    monkeypatch.setattr(rawcsv, "parse_table", functools.partial(parse_table, min_chars=0))


@pytest.fixture
def from_disk(monkeypatch):
    """Every UTF-8 CSV, however small, is counted on its bytes and parsed from disk by pyarrow
    (``rawcsv._plain_utf8_records``); others go through ``parse_table``."""
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(rawcsv, "parse_table", functools.partial(parse_table, min_chars=0))


@pytest.mark.parametrize("path", ["text", "disk"])
@pytest.mark.parametrize("wave", ["ungift_2010", "ungift_2012"])
def test_bundled_waves_read_the_same(instrument, wave, path, monkeypatch):
    slow = read_raw(DATA_RAW / f"{wave}.csv", instrument)
    monkeypatch.setattr(rawcsv, "parse_table", functools.partial(parse_table, min_chars=0))
    if path == "disk":
        monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    quick = read_raw(DATA_RAW / f"{wave}.csv", instrument)
    pd.testing.assert_frame_equal(quick.data, slow.data)
    assert quick.notes == slow.notes and quick.describe() == slow.describe()


@pytest.mark.parametrize("wave", ["ungift_2010", "ungift_2012"])
def test_golden_outputs_through_the_fast_path(instrument, wave, fast, tmp_path):
    clean_wave(DATA_RAW / f"{wave}.csv", instrument, out_dir=tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (GOLDEN / wave / name).read_bytes(), name


@pytest.mark.parametrize("wave", ["ungift_2010", "ungift_2012"])
def test_golden_outputs_through_the_disk_path(instrument, wave, from_disk, tmp_path):
    clean_wave(DATA_RAW / f"{wave}.csv", instrument, out_dir=tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (GOLDEN / wave / name).read_bytes(), name


@pytest.mark.parametrize(
    "text",
    [
        # BOM, CRLF rows, quoted CRLF and LF, doubled quotes, trailing blank lines
        '\ufeffrespondent_id,a,b\r\nR1,"x\r\ny","say ""hi"""\r\nR2,,3\r\n\r\n\r\n',
        "respondent_id;a;b\rR1;1;2\rR2;3;4",  # old Mac line ends, no final line end
        'respondent_id,a,b\nR1,5" screen,2\n',  # a literal quote: declined, read by csv
        "respondent_id,a,b\nR1,1,2\n\nR2,3,4\n",  # an empty line inside: read by csv
    ],
)
def test_disk_path_reads_what_the_csv_module_reads(instrument, text, tmp_path, monkeypatch):
    file = tmp_path / "x.csv"
    file.write_bytes(text.encode("utf-8"))
    slow = read_raw(file, instrument)
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    quick = read_raw(file, instrument)
    pd.testing.assert_frame_equal(quick.data, slow.data)
    assert quick.describe() == slow.describe()


@pytest.mark.parametrize(
    ("text", "records"),
    [
        # quotes, doubled quotes, delimiters and line breaks inside quotes, a trailing blank line
        (
            'a,b\n"x, y","say ""hi"""\n"two\nlines",\r\n\n',
            [["x, y", 'say "hi"'], ["two\nlines", ""]],
        ),
        ("a;b\n1;2\r3;4\r", [["1", "2"], ["3", "4"]]),  # old Mac line ends
        # an empty line inside is a row of blank cells, as the csv module's [] padded to width
        ("a,b\n1,2\n\n3,4\n", [["1", "2"], ["", ""], ["3", "4"]]),
    ],
)
def test_dialect_matches_the_csv_module(text, records):
    delimiter = ";" if ";" in text.splitlines()[0] else ","
    table = parse_table(text, delimiter, min_chars=0)
    assert [list(r.values()) for r in table.to_pylist()][1:] == records


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n3,4,5\n",  # a ragged row
        'a,b\n"1,2\n',  # a quote left open
        "a,b\n1,2\n",  # small: the csv module reads it
    ],
)
def test_other_shapes_fall_back_to_the_csv_module(text):
    assert parse_table(text, ",", min_chars=0 if "5" in text or '"' in text else 10**6) is None
