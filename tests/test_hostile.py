"""The hostile-input suite (issue 10): every file of tests/fixtures/hostile/ through the CLI.

The files and their expectations (``expected.json``: exit codes per command, the row or line
and the words the message must name) are written by ``scripts/make_hostile.py``; the expected
codes are the README's (0 success, 1 validation errors, 2 bad argument, 3 bad instrument,
4 unreadable file, 5 data cleaning cannot repair), chosen per file from what is wrong with it.

Each command runs in-process inside a temporary copy of the project layout (the module-level
paths of giftreview.paths are pointed at it, as GIFTREVIEW_ROOT would), and for each the test
asserts:

* an exit code the expectations allow, no traceback and no "internal error" (``run_cli``);
* the file name in the output, and the row or line and the value where the problem has one;
* the raw file unchanged (sha256);
* nothing written outside ``data/processed/<wave>/`` and ``reports/`` (a snapshot of the tree);
* whenever ``clean`` succeeds: raw rows = clean + quarantined, counted from the written
  ``clean.parquet`` and ``quarantine.csv``, and equal to the data rows the strict csv-module
  count of the file finds (CSV files);
* no written CSV cell that a spreadsheet would run as a formula.

``init``, ``run`` and ``coding import`` run on a few files only (they are slower).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import giftreview.paths as gpaths
from giftreview.data.io import read_raw

HOSTILE = Path(__file__).parent / "fixtures" / "hostile"
EXPECTED: dict[str, dict] = json.loads((HOSTILE / "expected.json").read_text(encoding="utf-8"))
SRC = Path(__file__).resolve().parents[1] / "src"


def _cases():
    for name, exp in sorted(EXPECTED.items()):
        for command, codes in sorted(exp["codes"].items()):
            marks = []
            if (exp["xfail"] or {}).get(command):
                marks.append(pytest.mark.xfail(strict=True, reason=exp["xfail"][command]))
            yield pytest.param(name, command, codes, id=f"{command}-{name}", marks=marks)


def test_corpus_is_large_enough_and_reproducible(tmp_path):
    """At least 60 hostile files, and the generator writes exactly the committed bytes."""
    files = [p for p in HOSTILE.iterdir() if p.name != "expected.json"]
    assert len(files) >= 60
    run = subprocess.run(
        [sys.executable, "scripts/make_hostile.py", "--out", str(tmp_path)],
        cwd=SRC.parent,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "hostile files written" in run.stdout
    for p in HOSTILE.iterdir():
        assert (tmp_path / p.name).read_bytes() == p.read_bytes(), p.name


# ---- a project layout in a temporary folder ----------------------------------------------------
@pytest.fixture
def project(tmp_path, monkeypatch):
    """A copy of the project layout (instruments, empty data/ and reports/) with every path of
    giftreview.paths, and every module that imported one of them, pointed at it."""
    root = tmp_path / "project"
    shutil.copytree(gpaths.INSTRUMENTS, root / "instruments")
    for d in ("data/raw", "data/processed", "reports"):
        (root / d).mkdir(parents=True)
    new = {
        "PROJ_ROOT": root,
        "DATA_RAW": root / "data" / "raw",
        "DATA_PROCESSED": root / "data" / "processed",
        "REPORTS": root / "reports",
        "INSTRUMENTS": root / "instruments",
        "CODEBOOKS": root / "instruments" / "codebooks",
        "DEFAULT_INSTRUMENT": root / "instruments" / gpaths.DEFAULT_INSTRUMENT.name,
    }
    old = {k: getattr(gpaths, k) for k in new}
    for mod in [m for n, m in sys.modules.items() if n.startswith("giftreview") and m]:
        for k, v in new.items():
            if getattr(mod, k, None) is not None and getattr(mod, k) == old[k]:
                monkeypatch.setattr(mod, k, v)
    monkeypatch.setenv("GIFTREVIEW_ROOT", str(root))
    monkeypatch.chdir(root)
    return root


def _snapshot(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in after.keys() | before.keys() if before.get(k) != after.get(k))


def _formula_like(cell: str) -> bool:
    """Independent of the writer: would a spreadsheet run this cell? (A number such as -3 is
    a number, not a formula.)"""
    if cell.startswith(("\t", "\r")):
        return True
    if not cell.lstrip(" \t\r\n").startswith(("=", "+", "-", "@")):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def _formula_cells(root: Path) -> list[tuple[str, str]]:
    bad = []
    for path in root.rglob("*.csv"):
        if "data/raw" in path.as_posix():
            continue
        with open(path, encoding="utf-8-sig", newline="") as fh:
            for record in csv.reader(fh):
                bad += [(path.name, c) for c in record if _formula_like(c)]
    return bad


def _strict_data_rows(path: Path, header_rows: int) -> int | None:
    """Data rows of a CSV as Python's strict csv reader counts them (None when not CSV text):
    the independent count the accounting must match."""
    raw = read_raw(path, _instrument_for(path, header_rows))
    if raw.format != "csv":
        return None
    text = path.read_bytes().decode(raw.encoding, errors="surrogateescape").replace("\x00", "")
    records = list(csv.reader(io.StringIO(text, newline=""), delimiter=raw.delimiter, strict=True))
    while records and not records[-1]:
        records.pop()
    return len(records) - header_rows


def _instrument_for(path: Path, header_rows: int):
    from giftreview.data.instrument import load_instrument
    from giftreview.data.spec import RawLayout

    inst = load_instrument()
    return inst.model_copy(update={"raw": RawLayout(header_rows=header_rows, name_row=1)})


# ---- validate and clean on every file ----------------------------------------------------------
@pytest.mark.parametrize(("name", "command", "codes"), list(_cases()))
def test_hostile_file(project, run_cli, name, command, codes):
    exp = EXPECTED[name]
    raw = project / "data" / "raw" / name
    shutil.copyfile(HOSTILE / name, raw)
    inst = project / "instruments" / "ungift_partner_survey.yaml"
    if exp["instrument"]:
        inst = project / "instruments" / exp["instrument"]
        shutil.copyfile(HOSTILE / exp["instrument"], inst)
    sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    before = _snapshot(project)

    code, text = run_cli([command, str(raw), "--instrument", str(inst)])

    assert code in codes, text
    assert exp["names"] in text, text
    if command == "validate" or code != 0:  # the output that lists the problems
        for word in ([exp["where"]] if exp["where"] else []) + exp["says"]:
            assert word in text, f"{word!r} not in: {text}"
    assert hashlib.sha256(raw.read_bytes()).hexdigest() == sha, "the raw file was changed"
    wave = Path(name).stem
    allowed = (f"data/processed/{wave}/", "reports/")
    escaped = [p for p in _changed(before, _snapshot(project)) if not p.startswith(allowed)]
    assert escaped == [], f"written outside data/processed/{wave}/ and reports/: {escaped}"
    assert _formula_cells(project) == []
    if command == "clean" and code == 0:
        out = project / "data" / "processed" / wave
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        clean_rows = len(pd.read_parquet(out / "clean.parquet"))
        quarantined = len(pd.read_csv(out / "quarantine.csv", dtype=str, keep_default_na=False))
        counts = manifest["counts"]
        assert counts["raw_rows"] == clean_rows + quarantined
        assert (counts["clean_rows"], counts["quarantined_rows"]) == (clean_rows, quarantined)
        header_rows = manifest["raw_read"]["header_rows"]
        strict = _strict_data_rows(raw, header_rows)
        if strict is not None:
            assert counts["raw_rows"] == strict


# ---- the particular promises, checked on values ------------------------------------------------
def test_cp1252_cell_repaired_and_audited(project, run_cli):
    """The one Windows-1252 cell reads 'Ministère de l'Intérieur' (written so by the generator);
    the UTF-8 cells keep their accents; the audit names the cell."""
    raw = project / "data" / "raw" / "mixed.csv"
    shutil.copyfile(HOSTILE / "mixed_utf8_with_one_cp1252_cell.csv", raw)
    code, text = run_cli(["clean", str(raw)])
    assert code == 0, text
    out = project / "data" / "processed" / "mixed"
    clean = pd.read_parquet(out / "clean.parquet").set_index("source_row")
    assert clean.loc[6, "organization"] == "Ministère de l'Intérieur"
    assert clean.loc[2, "organization"] == "Ministère de la Justice"
    audit = pd.read_csv(out / "audit.csv", dtype=str, keep_default_na=False)
    row = audit[audit["rule"] == "encoding_repaired"]
    assert row[["source_row", "column", "after"]].values.tolist() == [
        ["6", "organization", "Ministère de l'Intérieur"]
    ]
    assert "\\xe8" in row["before"].iloc[0]  # the raw byte è in cp1252 is 0xE8


def test_nul_bytes_removed_and_audited(project, run_cli):
    raw = project / "data" / "raw" / "nul.csv"
    shutil.copyfile(HOSTILE / "nul_bytes_in_a_cell.csv", raw)
    assert run_cli(["clean", str(raw)])[0] == 0
    out = project / "data" / "processed" / "nul"
    clean = pd.read_parquet(out / "clean.parquet").set_index("source_row")
    assert clean.loc[5, "organization"] == "Organization 4"
    audit = pd.read_csv(out / "audit.csv", dtype=str, keep_default_na=False)
    assert audit[audit["rule"] == "nul_removed"]["source_row"].tolist() == ["5"]


def test_utf16_without_bom_reads_like_utf8(instrument):
    a = read_raw(HOSTILE / "utf16le_without_bom.csv", instrument)
    b = read_raw(HOSTILE / "utf16be_without_bom.csv", instrument)
    c = read_raw(HOSTILE / "mixed_utf8_with_one_cp1252_cell.csv", instrument)
    assert (a.encoding, b.encoding) == ("utf-16-le", "utf-16-be")
    pd.testing.assert_frame_equal(a.data, b.data)
    assert (
        a.data.loc[2, "organization"] == c.data.loc[2, "organization"] == "Ministère de la Justice"
    )


def test_xlsx_time_and_date_cells_read_as_text(instrument):
    raw = read_raw(HOSTILE / "xlsx_time_and_date_cells.xlsx", instrument)
    # written by the generator: C3 time 14:30, C4 2010-03-04 09:15, C5 date, C6 1 h 5 min
    assert raw.data.loc[3:6, "submitted"].tolist() == [
        "14:30:00",
        "2010-03-04 09:15:00",
        "2010-03-05",
        "1:05:00",
    ]


def test_sav_user_missing_values_map_to_missing_codes(project, run_cli):
    """99 is user-missing with the label "Don't know" (the instrument's missing code): it is that
    code, not blank. 98 is user-missing without a label: kept and named in a warning."""
    raw = project / "data" / "raw" / "sav.sav"
    shutil.copyfile(HOSTILE / "sav_user_missing_99_and_98.sav", raw)
    code, text = run_cli(["clean", str(raw)])
    assert code == 0, text
    clean = pd.read_parquet(project / "data/processed/sav/clean.parquet").set_index("source_row")
    assert clean.loc[3, "B1__missing"] == "Don't know" and pd.isna(clean.loc[3, "B1"])
    report = pd.read_csv(project / "data/processed/sav/validation.csv", dtype=str)
    note = report[report["rule"] == "spss_user_missing"]
    assert note[["source_row", "column", "value"]].values.tolist() == [
        ["5", "ungift_importance", "98"]
    ]


def test_header_rows_that_look_like_data_are_named(instrument):
    from giftreview.data.spec import RawLayout

    inst = instrument.model_copy(update={"raw": RawLayout(header_rows=5, name_row=1)})
    raw = read_raw(HOSTILE / "header_rows_5_swallow_respondents.csv", inst)
    note = [n for n in raw.notes if n["rule"] == "header_looks_like_data"]
    assert len(note) == 1 and note[0]["value"] == "2, 3, 4, 5"


def test_empty_row_bomb_stops_at_last_row(tmp_path, instrument):
    """5 answers then a million empty rows: read as 5 rows (the scan stops at row 6). The
    25 MB version is timed by benchmarks/bench_hostile.py, not here."""
    sys.path.insert(0, str(SRC.parent / "scripts"))
    try:
        from make_hostile import write_empty_row_bomb
    finally:
        sys.path.pop(0)
    path = write_empty_row_bomb(tmp_path / "bomb.xlsx", rows=1_000_000)
    raw = read_raw(path, instrument)
    assert raw.source_rows == [2, 3, 4, 5, 6]


# ---- wave labels and output paths --------------------------------------------------------------
@pytest.mark.parametrize(
    "wave",
    ["../../tmp/x", "/etc", "..", ".", "a/b", "a\\b", "wave\nname", "tab\there", "x" * 101, "~"],
)
def test_wave_labels_are_names_not_paths(project, run_cli, wave):
    raw = project / "data" / "raw" / "w.csv"
    shutil.copyfile(HOSTILE / "crlf_line_ends.csv", raw)
    before = _snapshot(project.parent)
    code, text = run_cli(["clean", str(raw), "--wave", wave])
    assert code == 2, text
    assert "--wave" in text and "name" in text
    assert _changed(before, _snapshot(project.parent)) == []


def test_file_name_with_newline_is_refused_as_wave(project, run_cli):
    raw = project / "data" / "raw" / "wave\nname.csv"
    shutil.copyfile(HOSTILE / "crlf_line_ends.csv", raw)
    code, text = run_cli(["clean", str(raw)])
    assert code == 2 and "pass --wave NAME" in text
    code, text = run_cli(["clean", str(raw), "--wave", "renamed"])
    assert code == 0, text


def test_coding_import_of_truncated_workbook(project, run_cli):
    raw = project / "data" / "raw" / "w.csv"
    shutil.copyfile(HOSTILE / "quoted_line_breaks_and_quotes.csv", raw)
    assert run_cli(["clean", str(raw)])[0] == 0
    sheet = project / "sheet.xlsx"
    shutil.copyfile(HOSTILE / "xlsx_truncated.xlsx", sheet)
    code, text = run_cli(["coding", "import", "w", "B2", str(sheet)])
    assert code == 4 and "sheet.xlsx" in text and "damaged" in text
    assert "BadZipFile" not in text


# ---- init and run, as subprocesses (slower) -----------------------------------------------------
def _giftreview(root: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "GIFTREVIEW_ROOT": str(root), "PYTHONPATH": str(SRC)}
    return subprocess.run(
        [sys.executable, "-m", "giftreview.cli.app", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.parametrize(
    ("name", "raw_name"),
    [
        ("count_of_400_digits.csv", "count_of_400_digits.csv"),
        ("crlf_line_ends.csv", "name with\nnewline.csv"),
    ],  # fmt: skip
)
def test_init_on_hostile_files(project, name, raw_name):
    raw = project / "data" / "raw" / raw_name
    shutil.copyfile(HOSTILE / name, raw)
    before = _snapshot(project)
    done = _giftreview(project, "init", str(raw))
    text = done.stdout + done.stderr
    assert done.returncode == 0, text
    assert "Traceback" not in text and "internal error" not in text
    written = _changed(before, _snapshot(project))
    assert len(written) == 1 and written[0].startswith("instruments/"), written


@pytest.mark.slow
def test_run_on_a_wave_whose_rows_are_all_quarantined(project):
    raw = project / "data" / "raw" / "all_rows_quarantined.csv"
    shutil.copyfile(HOSTILE / "all_rows_quarantined.csv", raw)
    done = _giftreview(project, "run", str(raw), "--formats", "html")
    text = done.stdout + done.stderr
    assert done.returncode == 5, text
    assert "all_rows_quarantined.csv" in text and "no_id" in text
    assert "Traceback" not in text and "internal error" not in text


def test_unwritable_output_folder_is_exit_2(project, run_cli, tmp_path):
    """An --out the system refuses (here a path through a regular file) is a bad argument."""
    raw = project / "data" / "raw" / "w.csv"
    shutil.copyfile(HOSTILE / "crlf_line_ends.csv", raw)
    blocker = tmp_path / "a_file"
    blocker.write_text("x", encoding="utf-8")
    code, text = run_cli(["validate", str(raw), "--out", str(blocker / "report.csv")])
    assert code == 2 and "a_file" in text, text
