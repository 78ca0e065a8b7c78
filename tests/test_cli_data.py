"""`giftreview validate` and `giftreview clean`: every bad input gets a message, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from giftreview.paths import DATA_RAW

BAD = "bad_inputs"


@pytest.mark.parametrize(
    ("fixture", "code", "message"),
    [
        ("empty.csv", 4, "the file is empty (0 bytes)"),
        ("header_only.csv", 4, "holds only the header"),
        ("binary_garbage.csv", 4, "looks like a binary file"),
        ("wrong_delimiter_pipe.csv", 4, "separated by '|'"),
        ("unknown_encoding_shift_jis.csv", 4, "unknown text encoding"),
        ("required_column_missing.csv", 5, "closest columns present: respondent"),
        ("data_on_other_sheet.xlsx", 4, "the data are on sheet 'Responses'"),
        # these fixtures hold a few of the instrument's columns: every absent question that is
        # not `optional: true` is an error, so validate exits 1 (issue 10)
        ("extra_column.csv", 1, "extra_column -> kept"),
        ("unknown_sector_and_scale_label.csv", 1, "closest labels: Governments"),
        ("out_of_range_code.csv", 1, "'9' is outside the scale of A2"),
        ("duplicate_ids.csv", 1, "near_duplicate -> quarantined"),
        ("blank_rows_and_no_id.csv", 1, "no_id -> quarantined"),
        ("sav_without_value_labels.sav", 1, "out_of_range"),
        ("tab_delimited.csv", 1, "column 'hq_staff' is not in the file"),
    ],
)
def test_validate_bad_inputs(fixtures_dir, run_cli, fixture, code, message):
    got, text = run_cli(["validate", str(fixtures_dir / BAD / fixture), "--limit", "100"])
    assert got == code, text
    assert message in text


def test_validate_missing_file(tmp_path, run_cli):
    code, text = run_cli(["validate", str(tmp_path / "nope.csv")])
    assert code == 4 and "file not found" in text


def test_validate_writes_report(tmp_path, run_cli):
    out = tmp_path / "report.csv"
    code, text = run_cli(["validate", str(DATA_RAW / "ungift_2010.csv"), "--out", str(out)])
    assert code == 1  # the planted unknown sector and the row with no id are errors
    assert out.read_text(encoding="utf-8").startswith("file,source_row,respondent_id,column")
    assert "2 error(s)" in text


def test_validate_refuses_raw_out(run_cli):
    code, text = run_cli(
        ["validate", str(DATA_RAW / "ungift_2010.csv"), "--out", str(DATA_RAW / "r.csv")]
    )
    assert code == 2 and "never written" in text
    assert not (DATA_RAW / "r.csv").exists()


def test_clean_prints_accounting(tmp_path, run_cli):
    code, text = run_cli(
        ["clean", str(DATA_RAW / "ungift_2012.csv"), "--out", str(tmp_path), "--wave", "w12"]
    )
    assert code == 0
    assert "raw rows 147 = clean 140 + quarantined 7" in text
    assert (tmp_path / "manifest.json").exists()


def test_clean_xlsx_with_sheet(fixtures_dir, tmp_path, run_cli):
    xlsx = str(fixtures_dir / BAD / "data_on_other_sheet.xlsx")
    code, text = run_cli(["clean", xlsx, "--out", str(tmp_path)])
    assert code == 4 and "--sheet 'Responses'" in text
    code, text = run_cli(["clean", xlsx, "--sheet", "Responses", "--out", str(tmp_path)])
    assert code == 0 and "raw rows 2 = clean 2 + quarantined 0" in text


def test_clean_bad_instrument(tmp_path, run_cli):
    bad = tmp_path / "inst.yaml"
    bad.write_text("survey: [\n", encoding="utf-8")
    code, text = run_cli(["clean", str(DATA_RAW / "ungift_2010.csv"), "--instrument", str(bad)])
    assert code == 3 and "not valid YAML" in text


def test_clean_five_megabyte_cell(tmp_path, run_cli):
    path = tmp_path / "huge.csv"
    path.write_text(
        "respondent_id,sector,impact\nA,NGO," + "y" * 5_000_000 + "\n", encoding="utf-8"
    )
    code, text = run_cli(["clean", str(path), "--out", str(tmp_path / "out")])
    assert code == 0 and "raw rows 1 = clean 1 + quarantined 0" in text


def test_console_script_in_a_subprocess(fixtures_dir):
    """The installed entry point, as a user runs it: message on stderr, exit code, no traceback."""
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from giftreview.cli.app import main; main()",
            "validate",
            str(fixtures_dir / BAD / "empty.csv"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 4
    assert "Traceback" not in proc.stderr and "empty" in proc.stderr


@pytest.mark.parametrize(
    ("argv", "option"),
    [(["clean", "--bogus"], "--bogus"), (["run", "--output", "x"], "--output")],
)
def test_unknown_option_is_a_usage_error_not_an_internal_error(run_cli, argv, option):
    """A misspelt option is exit 2 with click's usage message (typer 0.2x raises its own copy of
    click's UsageError, which `main` once reported as an internal error, exit 70)."""
    code, text = run_cli(argv)
    assert code == 2
    assert f"No such option: {option}" in text and "Usage: giftreview" in text
