"""Cleaning in row blocks gives the same files as cleaning in one block.

``clean_wave(..., block_rows=n)`` reads, validates and cleans ``n`` rows at a time after a first
pass that plans the quarantine of the whole file from row hashes. The property checked here: every
output file (clean.parquet and manifest.json included) is the same bytes for any block size, on
an export built from the bundled 2012 wave with duplicates whose two copies lie in different
blocks, a blank row, and an exact duplicate as the very last row (quarantined in the last block).
The expected quarantine reasons are read off how the file is built (see :func:`_export`).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import giftreview.data.fastcsv as fastcsv
import giftreview.data.io as io_module
import giftreview.data.rawcsv as rawcsv
from giftreview.data.clean import OUTPUT_FILES, clean_wave
from giftreview.data.io import open_raw
from giftreview.data.validate import ramped, validate_file
from giftreview.errors import DataValidationError, InputFileError
from giftreview.paths import DATA_RAW

FILES = OUTPUT_FILES  # every file clean_wave writes, parquet and manifest included


def _export(folder: Path, ragged: bool = False) -> tuple[Path, dict[int, str]]:
    """The 2012 wave with rows added; returns the file and {source_row: expected reason} for
    the added rows (source_row 1 is the header, so data row i is source row i + 1).

    * data row 3 copied as the last row: an ``exact_duplicate`` of row 4, quarantined in the
      last block while its first copy is in the first;
    * data row 9 submitted again (a later time, another answer) after the middle of the file:
      the earlier copy, row 10, is the ``near_duplicate`` (the latest submission is kept);
    * a row of empty cells in the middle: ``all_blank``;
    * a third of the way down, a row with answers but no id and no submission time: ``no_id``
      (the first pass reads those two columns only, so it looks at that row whole).
    """
    text = (DATA_RAW / "ungift_2012.csv").read_text(encoding="utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text, newline="")))
    sub = header.index("submitted")
    imp = header.index("trafficking_importance")
    again = list(rows[8])
    again[sub] = "2012-12-31T23:59"
    again[imp] = "Not important" if again[imp] != "Not important" else "Very important"
    anonymous = list(rows[5])
    anonymous[header.index("respondent_id")] = anonymous[sub] = ""
    third = len(rows) // 3
    rows = rows[:third] + [anonymous] + rows[third:]
    middle = len(rows) // 2
    rows = rows[:middle] + [[""] * len(header), again] + rows[middle:] + [list(rows[2])]
    if ragged:  # a row with one cell too many near the end (pyarrow refuses, csv reads it)
        rows.insert(len(rows) - 3, list(rows[10]) + ["extra"])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *rows])
    path = folder / "blocks.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    last = len(rows) + 1
    return path, {
        third + 2: "no_id",
        middle + 2: "all_blank",
        10: "near_duplicate",
        last: "exact_duplicate",
    }


def _clean(path: Path, out: Path, instrument, block_rows: int) -> dict[str, bytes]:
    clean_wave(path, instrument, out_dir=out, block_rows=block_rows)
    return {name: (out / name).read_bytes() for name in FILES}


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return _export(tmp_path_factory.mktemp("raw"))


@pytest.fixture(scope="module")
def one_block(export, instrument, tmp_path_factory):
    return _clean(export[0], tmp_path_factory.mktemp("one"), instrument, 10**6)


def test_the_added_rows_are_quarantined_for_their_reasons(export, one_block):
    quarantine = list(csv.DictReader(io.StringIO(one_block["quarantine.csv"].decode())))
    reasons = {int(r["source_row"]): r["reason"] for r in quarantine}
    for row, reason in export[1].items():
        assert reasons[row] == reason, row
    last = max(export[1])
    assert reasons[last] == "exact_duplicate" and max(reasons) == last  # in the last block
    report = csv.DictReader(io.StringIO(one_block["validation.csv"].decode()))
    said = [r["message"] for r in report if r["source_row"] == str(last)]
    assert said == ["identical to row 4; row 4 kept"]


@pytest.mark.parametrize("block_rows", [7, 50])
def test_blocks_give_the_same_files_as_one_block(
    export, one_block, instrument, tmp_path, block_rows
):
    got = _clean(export[0], tmp_path, instrument, block_rows)
    for name in FILES:
        assert got[name] == one_block[name], name
    # the hashes in the manifest, fed block by block as the files are written, are the files'
    hashes = json.loads(got["manifest.json"])["files"]
    assert hashes == {n: hashlib.sha256(got[n]).hexdigest() for n in FILES if n != "manifest.json"}


def test_a_streamed_export_gives_the_same_files(
    export, one_block, instrument, tmp_path, monkeypatch
):
    """Parsed from disk by pyarrow in 4 KB reads and 20-row blocks instead of by the csv module
    (the file is small, so without the patches it takes the csv path): the same bytes."""
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    assert open_raw(export[0], instrument).streamed
    got = _clean(export[0], tmp_path, instrument, 20)
    for name in FILES:
        assert got[name] == one_block[name], name
    report = validate_file(export[0], instrument)
    assert report.to_csv(index=False) == _validation_frame(export[0], instrument)


@pytest.mark.parametrize("bom", [False, True])
def test_rows_read_by_their_byte_offsets_are_the_rows_of_the_blocks(
    export, instrument, tmp_path, monkeypatch, bom
):
    """The rows the quarantine plan compares again (those sharing an id) are read by the byte
    offsets the accounting pass found (RawSource.rows), not by another pass over the file: the
    same frame as the blocks give, index (source_row) included; with a byte-order mark too, and
    the file's last row (which may lack its line break)."""
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    path = tmp_path / "export.csv"
    data = export[0].read_bytes().rstrip(b"\n")  # the last record without its line break
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    source = open_raw(path, instrument)
    whole = pd.concat(list(source.blocks(20)))
    multiline = np.flatnonzero(whole.apply(lambda c: c.str.contains("\n")).any(axis=1))
    pos = np.unique([0, 1, 7, len(whole) // 2, len(whole) - 1, *multiline[:3]])
    assert len(multiline)  # rows with a line break inside a quoted cell are among them
    pd.testing.assert_frame_equal(source.rows(pos), whole.iloc[pos])


def test_a_streamed_export_compared_by_a_pass_over_the_blocks_gives_the_same_files(
    export, one_block, instrument, tmp_path, monkeypatch
):
    """With too many rows to read by their offsets (PICK_MAX_ROWS 0), the rows sharing an id are
    gathered by a pass over the blocks instead: the same bytes."""
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    monkeypatch.setattr(io_module, "PICK_MAX_ROWS", 0)
    got = _clean(export[0], tmp_path, instrument, 20)
    for name in FILES:
        assert got[name] == one_block[name], name


def _validation_frame(path: Path, instrument) -> str:
    return validate_file(path, instrument).to_csv(index=False)


def test_a_ragged_row_late_in_a_streamed_export_falls_back(instrument, tmp_path, monkeypatch):
    """pyarrow stops at the ragged row after the first blocks were read: the first pass starts
    again on the file read whole, and the files are those of the unpatched (csv module) read."""
    path, _ = _export(tmp_path, ragged=True)
    want = _clean(path, tmp_path / "want", instrument, 10**6)
    assert b"ragged_row" in want["validation.csv"]
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    got = _clean(path, tmp_path / "got", instrument, 20)
    for name in FILES:
        assert got[name] == want[name], name


def test_a_table_cleaned_in_blocks_is_read_back_from_its_files(export, instrument, tmp_path):
    """Several blocks: the tables are not held, ``result.clean`` is read from clean.parquet and
    equals the clean table of a one-block run (held in memory), dtypes included."""
    whole = clean_wave(export[0], instrument, write=False)
    blocks = clean_wave(export[0], instrument, out_dir=tmp_path, block_rows=40)
    assert not blocks.tables  # nothing held
    pd.testing.assert_frame_equal(blocks.clean, whole.clean)
    assert len(blocks.audit) == whole.manifest["audited_cells"] == blocks.manifest["audited_cells"]


def test_clean_parquet_has_statistics_for_all_but_its_text_columns(export, instrument, tmp_path):
    """Row-group min/max statistics are written for the numbers, dates, categories and
    booleans, which readers filter on, and not for text (ids, open answers), whose extremes
    none does and which cost a third of the writing time."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    clean_wave(export[0], instrument, out_dir=tmp_path)
    meta = pq.ParquetFile(tmp_path / "clean.parquet")
    schema = meta.schema_arrow
    group = meta.metadata.row_group(0)
    has = {
        schema.names[j]: group.column(j).statistics is not None
        and group.column(j).statistics.has_min_max
        for j in range(group.num_columns)
    }
    text = {f.name for f in schema if pa.types.is_large_string(f.type)}
    assert "B2" in text and "respondent_id" in text  # an open answer and the ids
    assert not any(has[name] for name in text)
    assert has["source_row"] and has["submitted"] and has["A3"]  # int, datetime, count
    assert all(has[name] for name in has if name not in text)


def test_an_error_in_a_later_block_writes_nothing(export, instrument, tmp_path, monkeypatch):
    """The first block's rows were appended when the second block fails its check: the partial
    files are removed and the output folder, made by this call, is not left behind."""
    import giftreview.data.clean as clean_module

    checked = []
    real = clean_module.check_clean

    def fails_on_the_second_block(frame, *args, **kwargs):
        checked.append(len(frame))
        if len(checked) == 2:
            raise DataValidationError("planted failure in the second block")
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(clean_module, "check_clean", fails_on_the_second_block)
    with pytest.raises(DataValidationError, match="planted failure"):
        clean_wave(export[0], instrument, out_dir=tmp_path / "out", block_rows=50)
    assert len(checked) == 2 and not (tmp_path / "out").exists()


def test_a_file_changed_between_the_passes_is_named_not_a_traceback(
    instrument, tmp_path, monkeypatch
):
    """The first pass reads a well-formed streamed export; before the second pass the file is
    replaced by one with a ragged row near its end (as if the export were rewritten meanwhile).
    The second pass cannot go on: the error names the file and says what to do, and nothing is
    written."""
    import giftreview.data.clean as clean_module

    path, _ = _export(tmp_path)
    (tmp_path / "changed").mkdir()
    changed = _export(tmp_path / "changed", ragged=True)
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    real = clean_module.scan_source

    def scan_then_rewrite(*args, **kwargs):
        scan = real(*args, **kwargs)
        path.write_bytes(changed[0].read_bytes())
        return scan

    monkeypatch.setattr(clean_module, "scan_source", scan_then_rewrite)
    with pytest.raises(InputFileError, match=r"blocks\.csv: the file changed while it was being"):
        clean_wave(path, instrument, out_dir=tmp_path / "out", block_rows=20)
    assert not (tmp_path / "out").exists()


def test_an_error_while_writing_in_the_background_is_raised_and_writes_nothing(
    export, instrument, tmp_path, monkeypatch
):
    """The files are written by a worker thread while the next block is cleaned
    (outputs.Outputs): a failure there (here a planted one on the sixth appended CSV block) is
    raised by clean_wave itself, and the partial files and the new folder are removed."""
    import giftreview.data.outputs as outputs_module

    calls = []
    real = outputs_module.write_csv

    def fails_on_the_sixth(fh, frame, *args, **kwargs):
        calls.append(len(frame))
        if len(calls) == 6:
            raise OSError("planted write failure")
        return real(fh, frame, *args, **kwargs)

    monkeypatch.setattr(outputs_module, "write_csv", fails_on_the_sixth)
    with pytest.raises(OSError, match="planted write failure"):
        clean_wave(export[0], instrument, out_dir=tmp_path / "out", block_rows=7)
    assert len(calls) == 6 and not (tmp_path / "out").exists()


def test_a_nul_byte_late_in_a_streamed_export_falls_back(instrument, tmp_path, monkeypatch):
    """The accounting pass runs while the first pass streams the blocks (io.open_raw); a NUL
    byte after the head, which pyarrow reads as text but the accounting pass declines, makes
    the first pass start again on the file read whole (the NUL removed and audited): the files
    are those of the csv-module read of the same bytes."""
    path, _ = _export(tmp_path)
    data = path.read_bytes()
    at = data.index(b"\n", len(data) - 2000) + 1  # a record near the end
    path.write_bytes(data[: at + 3] + b"\x00" + data[at + 3 :])
    want = _clean(path, tmp_path / "want", instrument, 10**6)
    assert b"nul_removed" in want["audit.csv"]
    monkeypatch.setattr(rawcsv, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(rawcsv, "HEAD_BYTES", 4096)
    monkeypatch.setattr(fastcsv, "STREAM_BLOCK_BYTES", 4096)
    assert open_raw(path, instrument).streamed  # its first 4 KB look plain
    got = _clean(path, tmp_path / "got", instrument, 20)
    for name in FILES:
        assert got[name] == want[name], name


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 600))
def test_ramped_block_sizes_cover_the_rows(total, rows):
    """The second pass's blocks (validate.ramped): every row once, no block over ``rows``, a
    quarter block first and last when the file holds more than one block."""
    sizes = ramped(total, rows)
    assert all(0 < s <= rows for s in sizes)
    if total <= rows:
        assert sizes == [rows]
    else:
        assert sum(sizes) == total
        assert sizes[0] == sizes[-1] == max(1, rows // 4)


def test_ramped_sizes_of_a_million_rows():
    # by hand: 25,000 first and last; 950,000 between them is 9 full blocks and 50,000
    assert ramped(1_000_000, 100_000) == [25_000, *[100_000] * 9, 50_000, 25_000]
