"""Write the hostile-input corpus into tests/fixtures/hostile/ (issue 10).

Each file is built the way a real export goes wrong: a quote left open, a pasted Windows-1252
cell in a UTF-8 file, UTF-16 without a byte-order mark, NUL bytes, a workbook with a time-of-day
cell or a damaged shared-strings part, an SPSS file with user-missing codes, formulas in answers,
ids that differ only by case or an invisible character, and so on. ``expected.json`` records,
for each file, the command to run, the exit codes the README documents for it, and the words
(row or line number, value) the message must contain; ``tests/test_hostile.py`` runs them.

Everything is seeded and byte-reproducible: run it twice and ``git status`` shows no change.
The XLSX parts are rewritten with a fixed timestamp and the SPSS header date is fixed.

Usage: ``python scripts/make_hostile.py [--out tests/fixtures/hostile]``. The 25 MB empty-row
workbook is not committed: :func:`write_empty_row_bomb` writes it at test time (and for
``benchmarks/bench_hostile.py``).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import zipfile
from pathlib import Path

from generate_synthetic import RAW_COLUMNS  # scripts/ is on sys.path when run as a script

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "fixtures" / "hostile"
SEED = 20100301
HEADER = list(RAW_COLUMNS)  # the bundled waves' columns, which the bundled instrument reads
SECTORS = ["Govt", "NGO", "UN", "IGO", "Academia", "Private"]
LEVELS = ["Not at all important", "Slightly important", "Moderately important", "Important",
          "Very important"]  # fmt: skip
TOPICS = ["Prevention and awareness raising", "Victim protection and assistance",
          "Data collection and research", "Partnerships and coordination"]  # fmt: skip
TEXTS = [
    "It brings partners together and shares information.",
    "Awareness raising in the region; better data.",
    "The impact was diffuse in the first phase.",
    "More training for judges and prosecutors.",
]
XLSX_TIME = (1980, 1, 1, 0, 0, 0)

#: file name -> expectations, filled by the writers below and saved as expected.json
EXPECTED: dict[str, dict] = {}


def expect(name: str, codes: dict[str, list[int]], *, where: str | None = None,
           says: list[str] | None = None, instrument: str | None = None,
           xfail: dict[str, str] | None = None, note: str = "", names: str | None = None) -> None:  # fmt: skip
    """Record what ``giftreview <command> <name>`` must do: exit code(s) per command, the row or
    line (``where``) and other words (``says``) its output names; ``names`` is the file the
    message must name (default the data file; the instrument for an instrument error)."""
    EXPECTED[name] = {
        "names": names or name,
        "codes": codes,
        "where": where,
        "says": says or [],
        "instrument": instrument,
        "xfail": xfail,
        "note": note,
    }


def rows(n: int, rng: random.Random, start: int = 1) -> list[list[str]]:
    """``n`` plausible respondents (every instrument column filled)."""
    out = []
    for i in range(start, start + n):
        out.append(
            [
                f"ORG-{i:04d}",
                f"Organization {i}",
                f"2010-03-{1 + i % 28:02d} 10:{i % 60:02d}:00",
                rng.choice(SECTORS),
                rng.choice(LEVELS),
                str(rng.randint(0, 40)),
                rng.choice(LEVELS),
                rng.choice(TEXTS),
                rng.choice(TEXTS),
                rng.choice(TEXTS),
                rng.choice(TEXTS),
                "; ".join(rng.sample(TOPICS, 2)),
                "",
                rng.choice(TEXTS),
                "UNODC, ILO",
                "IOM; OSCE",
            ]
        )
    return out


def csv_bytes(records: list[list[str]], delimiter: str = ",", encoding: str = "utf-8",
              newline: str = "\n") -> bytes:  # fmt: skip
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator=newline).writerows(records)
    return buf.getvalue().encode(encoding)


def base(rng: random.Random, n: int = 8) -> list[list[str]]:
    return [list(HEADER), *rows(n, rng)]


def put(out: Path, name: str, data: bytes) -> None:
    (out / name).write_bytes(data)


# ---- CSV: row accounting and quotes -------------------------------------------------------------
def write_quotes(out: Path, rng: random.Random) -> None:
    recs = base(rng, 14)
    text = csv_bytes(recs).decode()
    lines = text.split("\n")
    # line 4: a quote opened in a cell and never closed; a later row's quoted cell closes it
    lines[3] = lines[3].replace("Organization 3", '"Organization 3')
    lines[9] = lines[9].replace("Organization 9", '"Organization 9" (HQ)')
    put(out, "unbalanced_quote_swallows_rows.csv", "\n".join(lines).encode())
    expect("unbalanced_quote_swallows_rows.csv", {"validate": [4], "clean": [4]}, where="line 4",
           says=["quote"])  # fmt: skip
    lines = text.split("\n")
    lines[6] = lines[6].replace("Organization 6", '"Organization 6')
    put(out, "unterminated_quote_at_end.csv", "\n".join(lines).encode())
    expect("unterminated_quote_at_end.csv", {"validate": [4], "clean": [4]}, where="line 7",
           says=["quote"])  # fmt: skip
    lines = text.split("\n")
    lines[4] = lines[4].replace(",Organization 4,", ',"Organization 4')
    lines[7] = lines[7].replace(",Organization 7,", ',Organization 7",')
    put(out, "quote_swallows_rows_closing_at_cell_end.csv", "\n".join(lines).encode())
    expect("quote_swallows_rows_closing_at_cell_end.csv", {"validate": [4], "clean": [4]},
           where="line 5", says=["swallowed"])  # fmt: skip
    recs = base(rng)
    recs[3][7] = "First line of the answer.\nSecond line, with a comma.\n\nFourth line."
    recs[5][8] = 'She said "thank you", twice.'
    put(out, "quoted_line_breaks_and_quotes.csv", csv_bytes(recs))
    expect("quoted_line_breaks_and_quotes.csv", {"validate": [0], "clean": [0]})
    recs = base(rng)
    text = csv_bytes(recs).decode().replace("Organization 2", 'Organization 2 5" screen')
    put(out, "stray_quote_inside_unquoted_cell.csv", text.encode())
    expect("stray_quote_inside_unquoted_cell.csv", {"validate": [0], "clean": [0]})
    put(out, "crlf_line_ends.csv", csv_bytes(base(rng), newline="\r\n"))
    expect("crlf_line_ends.csv", {"validate": [0], "clean": [0]})
    put(out, "old_mac_cr_line_ends.csv", csv_bytes(base(rng), newline="\r"))
    expect("old_mac_cr_line_ends.csv", {"validate": [0], "clean": [0]})
    recs = base(rng)
    recs.insert(4, [])
    recs.insert(7, [""] * len(HEADER))
    put(out, "blank_lines_between_rows.csv", csv_bytes(recs))
    expect("blank_lines_between_rows.csv", {"validate": [0], "clean": [0]})
    recs = base(rng)
    recs[2] = recs[2] + ["surplus", "cells"]
    recs[4] = recs[4][:5]
    put(out, "ragged_rows.csv", csv_bytes(recs))
    expect("ragged_rows.csv", {"validate": [0, 1], "clean": [0]}, where="row 3")
    put(out, "trailing_delimiters.csv",
        csv_bytes([r + [""] for r in base(rng)]))  # fmt: skip
    expect("trailing_delimiters.csv", {"validate": [0], "clean": [0]})
    recs = base(rng)
    recs[2][7] = "x" * 300_000
    put(out, "cell_of_300k_characters.csv", csv_bytes(recs))
    expect("cell_of_300k_characters.csv", {"validate": [0, 1], "clean": [0]}, where="row 3")
    put(out, "tab_delimited_with_commas_in_text.tsv",
        csv_bytes(base(rng), delimiter="\t"))  # fmt: skip
    expect("tab_delimited_with_commas_in_text.tsv", {"validate": [0], "clean": [0]})


def write_header_rows(out: Path, rng: random.Random) -> None:
    put(out, "header_rows_5_swallow_respondents.csv", csv_bytes(base(rng)))
    expect("header_rows_5_swallow_respondents.csv", {"validate": [0], "clean": [0]},
           where="header row(s) 2, 3, 4, 5", instrument="header_rows_5.yaml",
           note="raw.header_rows: 5 on a file with one header row")  # fmt: skip
    recs = base(rng)
    qualtrics = [["Q1", *[f"Q{j}" for j in range(2, len(HEADER) + 1)]], HEADER,
                 [f"{{ImportId:{h}}}" for h in HEADER]]  # fmt: skip
    put(out, "three_header_rows_qualtrics.csv", csv_bytes(qualtrics + recs[1:]))
    expect("three_header_rows_qualtrics.csv", {"validate": [0], "clean": [0]},
           instrument="header_rows_3_name_row_2.yaml")  # fmt: skip


# ---- CSV: encodings -----------------------------------------------------------------------------
def write_encodings(out: Path, rng: random.Random) -> None:
    recs = base(rng)
    recs[1][1] = "Ministère de la Justice"
    text = csv_bytes(recs).decode()
    put(out, "mixed_utf8_with_one_cp1252_cell.csv",
        text.replace("Organization 5", "Ministère de l'Intérieur").encode()
        .replace("Ministère de l'Intérieur".encode(),
                 "Ministère de l'Intérieur".encode("cp1252")))  # fmt: skip
    expect("mixed_utf8_with_one_cp1252_cell.csv", {"validate": [0], "clean": [0]}, where="row 6",
           says=["encoding_repaired"])  # fmt: skip
    data = text.encode().replace(b"Organization 3", b"Organization \x81 3")
    put(out, "utf8_with_byte_neither_utf8_nor_cp1252.csv", data)
    expect("utf8_with_byte_neither_utf8_nor_cp1252.csv", {"validate": [4], "clean": [4]},
           where="line 4", says=["0x81"])  # fmt: skip
    put(out, "utf16le_without_bom.csv", text.encode("utf-16-le"))
    expect("utf16le_without_bom.csv", {"validate": [0], "clean": [0]})
    put(out, "utf16be_without_bom.csv", text.encode("utf-16-be"))
    expect("utf16be_without_bom.csv", {"validate": [0], "clean": [0]})
    put(out, "utf16_with_bom_tab.csv", csv_bytes(recs, "\t").decode().encode("utf-16"))
    expect("utf16_with_bom_tab.csv", {"validate": [0], "clean": [0]})
    put(out, "cp1252_whole_file_semicolon.csv", csv_bytes(recs, ";", "cp1252"))
    expect("cp1252_whole_file_semicolon.csv", {"validate": [0], "clean": [0]})
    put(out, "utf8_bom_semicolon.csv", csv_bytes(recs, ";", "utf-8-sig"))
    expect("utf8_bom_semicolon.csv", {"validate": [0], "clean": [0]})
    data = text.encode().replace(b"Organization 4", b"Organi\x00zation 4\x00")
    put(out, "nul_bytes_in_a_cell.csv", data)
    expect("nul_bytes_in_a_cell.csv", {"validate": [0], "clean": [0]}, where="row 5",
           says=["nul_removed"])  # fmt: skip
    put(out, "shift_jis.csv", ("respondent_id,organization\nORG-1,東京都庁\n").encode("shift_jis")
        + b"ORG-2,\x81\x40\n")  # fmt: skip
    expect("shift_jis.csv", {"validate": [0, 1, 4], "clean": [0, 4]})
    recs2 = base(rng)
    recs2[2][7] = "Zero\u200bwidth and bidi \u202eoverride\u202c and \ufeff BOM inside"
    recs2[3][8] = "Emoji 👍🏽 and astral 𝔘𝔫𝔦𝔠𝔬𝔡𝔢"
    put(out, "invisible_and_astral_characters.csv", csv_bytes(recs2))
    expect("invisible_and_astral_characters.csv", {"validate": [0], "clean": [0]})


# ---- CSV: structure -----------------------------------------------------------------------------
def write_structure(out: Path, rng: random.Random) -> None:
    put(out, "empty.csv", b"")
    expect("empty.csv", {"validate": [4], "clean": [4]}, says=["empty"])
    put(out, "whitespace_only.csv", b"  \n\t\n \n")
    expect("whitespace_only.csv", {"validate": [4], "clean": [4]}, says=["blank space"])
    put(out, "header_only.csv", csv_bytes([HEADER]))
    expect("header_only.csv", {"validate": [4], "clean": [4]}, says=["only the header"])
    recs = [r[1:] for r in base(rng)]
    put(out, "no_id_column.csv", csv_bytes(recs))
    expect("no_id_column.csv", {"validate": [5], "clean": [5]}, says=["respondent_id"])
    recs = base(rng)
    recs[0][6] = "ungift_importnace"
    put(out, "misspelt_rating_column.csv", csv_bytes(recs))
    expect("misspelt_rating_column.csv", {"validate": [1], "clean": [0]},
           says=["'ungift_importance' is not in the file", "ungift_importnace"])  # fmt: skip
    put(out, "optional_question_left_out.csv",
        csv_bytes([r[:7] + r[8:] for r in base(rng)]))  # fmt: skip
    expect("optional_question_left_out.csv", {"validate": [0], "clean": [0]},
           instrument="added_value_optional.yaml")  # fmt: skip
    recs = base(rng)
    recs[0][13] = "impact"
    put(out, "duplicate_header_names.csv", csv_bytes(recs))
    expect("duplicate_header_names.csv", {"validate": [1], "clean": [0]}, says=["impact__2"])
    recs = base(rng)
    recs[0][12] = ""
    put(out, "blank_header_name.csv", csv_bytes(recs))
    expect("blank_header_name.csv", {"validate": [1], "clean": [0]}, says=["unnamed_13"])
    put(out, "pipe_delimited.csv", csv_bytes(base(rng), "|"))
    expect("pipe_delimited.csv", {"validate": [4], "clean": [4]}, says=["'|'"])
    put(out, "id_column_only.csv", csv_bytes([[r[0]] for r in base(rng)]))
    expect("id_column_only.csv", {"validate": [5], "clean": [5]}, says=["'sector'"])
    png = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(2000))
    put(out, "png_image_named_csv.csv", png)
    expect("png_image_named_csv.csv", {"validate": [4], "clean": [4]}, says=["binary"])
    put(out, "old_excel_97.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    expect("old_excel_97.xls", {"validate": [4], "clean": [4]}, says=[".xls"])
    put(out, "gzip_named_csv.csv", b"\x1f\x8b\x08\x00" + bytes(rng.randrange(256)
                                                              for _ in range(3000)))  # fmt: skip
    expect("gzip_named_csv.csv", {"validate": [4], "clean": [4]}, says=["binary"])
    put(out, "html_error_page_saved_as_csv.csv",
        b"<!DOCTYPE html>\n<html><head><title>Session expired</title></head>\n"
        b"<body><p>Please log in again.</p></body></html>\n")  # fmt: skip
    expect("html_error_page_saved_as_csv.csv", {"validate": [5], "clean": [5]},
           says=["respondent_id"])  # fmt: skip
    put(out, "json_export_named_csv.csv", json.dumps({"responses": [{"id": 1}]}).encode())
    expect("json_export_named_csv.csv", {"validate": [4, 5], "clean": [4, 5]})


# ---- CSV: formulas and markup ------------------------------------------------------------------
def write_injection(out: Path, rng: random.Random) -> None:
    recs = base(rng)
    recs[1][7] = "=1+1"
    recs[2][7] = "+cmd|' /C calc'!A0"
    recs[3][7] = "-2+3"
    recs[4][7] = "@SUM(A1:A9)"
    recs[5][7] = '\t=HYPERLINK("http://x")'
    recs[6][7] = "\r=1+1"
    recs[7][7] = "  \r\n =2*3"
    recs[8][1] = '=IMPORTXML("http://x","//a")'
    put(out, "formulas_in_answers.csv", csv_bytes(recs))
    expect("formulas_in_answers.csv", {"validate": [0, 1], "clean": [0]})
    recs = base(rng)
    recs[0].append('=HYPERLINK("http://evil","click")')
    for r in recs[1:]:
        r.append("-1")
    put(out, "formula_in_header_name.csv", csv_bytes(recs))
    expect("formula_in_header_name.csv", {"validate": [0, 1], "clean": [0]})
    recs = base(rng)
    recs[2][7] = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    recs[3][1] = "</td><td>injected"
    put(out, "html_and_script_in_answers.csv", csv_bytes(recs))
    expect("html_and_script_in_answers.csv", {"validate": [0], "clean": [0]})


# ---- CSV: values and ids (rules built by workstream scale) -------------------------------------
SCALE = None  # the value rules of issue 10 (validate flags, clean sets missing) are in main
SCALE_CLEAN = None


def write_values(out: Path, rng: random.Random) -> None:
    def one(name, col, value, codes, where="row 3", says=None, xfail=SCALE, instrument=None):
        recs = base(rng)
        recs[2][col] = value
        put(out, name, csv_bytes(recs))
        expect(name, codes, where=where, says=says, xfail=xfail, instrument=instrument)

    one("count_with_thousands_separator.csv", 5, "1,000", {"validate": [1], "clean": [0]},
        says=["1,000"])  # fmt: skip
    one("count_with_dot_thousands.csv", 5, "1.000", {"validate": [1], "clean": [0]},
        says=["1.000"])  # fmt: skip
    one("count_of_400_digits.csv", 5, "9" * 400, {"validate": [1], "clean": [0]})
    one("count_1e308.csv", 5, "1e308", {"validate": [1], "clean": [0]}, says=["1e308"], xfail=None)
    one("count_inf_text.csv", 5, "inf", {"validate": [1], "clean": [0]}, says=["inf"], xfail=None)
    one("count_above_instrument_max.csv", 5, "5000", {"validate": [1], "clean": [0]},
        says=["5000"], instrument="hq_staff_max_1000.yaml")  # fmt: skip
    one("count_negative.csv", 5, "-3", {"validate": [1], "clean": [0]}, says=["-3"], xfail=None)
    # read as the scale code without a word from validate; clean audits it (numeric_code)
    one("scale_code_spelt_5_0.csv", 4, "5.0", {"validate": [0], "clean": [0]}, where=None, says=[])
    one("scale_code_spelt_05.csv", 4, "05", {"validate": [0], "clean": [0]}, where=None, says=[])
    one("date_9999_12_31.csv", 2, "9999-12-31", {"validate": [0], "clean": [0]},
        says=["9999-12-31"], xfail=None)  # fmt: skip
    one("date_0001_01_01.csv", 2, "0001-01-01 00:00:00", {"validate": [0], "clean": [0]},
        says=["0001-01-01"], xfail=None)  # fmt: skip
    one("date_not_a_date.csv", 2, "yesterday", {"validate": [0], "clean": [0]},
        says=["yesterday"], xfail=None)  # fmt: skip
    recs = base(rng)
    recs[3][0] = "org-0001"
    put(out, "ids_differ_only_by_case.csv", csv_bytes(recs))
    expect("ids_differ_only_by_case.csv", {"validate": [0, 1], "clean": [0]}, where="row 4",
           says=["org-0001"], xfail=SCALE)  # fmt: skip
    recs = base(rng)
    recs[4][0] = "ORG-\u200b0001"
    put(out, "id_with_zero_width_space.csv", csv_bytes(recs))
    expect("id_with_zero_width_space.csv", {"validate": [0, 1], "clean": [0]}, where="row 5",
           xfail=SCALE)  # fmt: skip
    recs = base(rng)
    recs[5][0] = "ＯＲＧ－０００１"
    put(out, "id_in_fullwidth_characters.csv", csv_bytes(recs))
    expect("id_in_fullwidth_characters.csv", {"validate": [0, 1], "clean": [0]}, where="row 6",
           xfail=SCALE)  # fmt: skip
    recs = base(rng, 10)
    for r in recs[1:7]:
        r[0] = ""
    put(out, "six_of_ten_rows_without_id.csv", csv_bytes(recs))
    expect("six_of_ten_rows_without_id.csv", {"validate": [1], "clean": [5]}, says=["no_id"],
           xfail=SCALE_CLEAN)  # fmt: skip
    recs = base(rng, 6)
    for r in recs[1:]:
        r[0] = ""
    put(out, "all_rows_quarantined.csv", csv_bytes(recs))
    expect("all_rows_quarantined.csv", {"validate": [1], "clean": [5]}, says=["no_id"])


# ---- instruments -------------------------------------------------------------------------------
def write_instruments(out: Path, rng: random.Random) -> None:
    bundled = (ROOT / "instruments" / "ungift_partner_survey.yaml").read_text(encoding="utf-8")
    raw_block = "raw:\n  header_rows: 1\n  name_row: 1\n"
    if raw_block not in bundled:
        raise SystemExit("the bundled instrument's raw block changed; update this script")

    def variant(name: str, text: str) -> None:
        if text == bundled:
            raise SystemExit(f"{name}: the edit did not apply; update this script")
        (out / name).write_text(text, encoding="utf-8")

    variant("header_rows_5.yaml", bundled.replace(raw_block, "raw:\n  header_rows: 5\n"
                                                  "  name_row: 1\n"))  # fmt: skip
    variant("header_rows_3_name_row_2.yaml", bundled.replace(raw_block, "raw:\n  header_rows: 3\n"
                                                             "  name_row: 2\n"))  # fmt: skip
    variant("added_value_optional.yaml", bundled.replace(
        "    column: added_value\n", "    column: added_value\n    optional: true\n"))  # fmt: skip
    variant("hq_staff_max_1000.yaml", bundled.replace(
        "    column: hq_staff\n", "    column: hq_staff\n    min: 0\n    max: 1000\n"))  # fmt: skip
    variant("alias_on_two_options.yaml", bundled.replace('"Govt", ', '"Govt", "NGO", ', 1))
    variant("missing_code_spelt_like_option.yaml",
            bundled.replace('"not applicable", ', '"not applicable", "UN", ', 1))  # fmt: skip
    put(out, "deeply_nested.yaml", b"survey: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    (out / "instrument_not_utf8.yaml").write_bytes(
        bundled.replace("Part B", "Partie B résumé").encode("cp1252"))  # fmt: skip
    good = csv_bytes(base(rng))
    for inst, says in [
        ("alias_on_two_options.yaml", ["'ngo'", "Governments"]),
        ("missing_code_spelt_like_option.yaml", ["'UN'"]),
        ("deeply_nested.yaml", ["nested"]),
        ("instrument_not_utf8.yaml", ["UTF-8", "line"]),
    ]:
        name = f"data_for_{inst.removesuffix('.yaml')}.csv"
        put(out, name, good)
        expect(name, {"validate": [3], "clean": [3]}, says=says, instrument=inst, names=inst)


# ---- XLSX -------------------------------------------------------------------------------------
def fixed_zip(data: bytes) -> bytes:
    """The same archive with a fixed timestamp on every member (openpyxl stamps the clock)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl writes the save time here
                body = re.sub(rb"<dcterms:modified([^>]*)>[^<]*<",
                              rb"<dcterms:modified\1>2010-03-01T00:00:00Z<", body)  # fmt: skip
            dst.writestr(zipfile.ZipInfo(info.filename, XLSX_TIME), body, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def workbook_bytes(records: list[list[object]], edit=None) -> bytes:
    import datetime

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    for r in records:
        ws.append(r)
    if edit is not None:
        edit(ws)
    when = datetime.datetime(2010, 3, 1)
    wb.properties.created = wb.properties.modified = when
    buf = io.BytesIO()
    wb.save(buf)
    return fixed_zip(buf.getvalue())


def replace_member(data: bytes, member: str, body: bytes | None) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == member:
                if body is None:
                    continue
                dst.writestr(zipfile.ZipInfo(member, XLSX_TIME), body, zipfile.ZIP_DEFLATED)
            else:
                dst.writestr(zipfile.ZipInfo(info.filename, XLSX_TIME), src.read(info.filename),
                             zipfile.ZIP_DEFLATED)  # fmt: skip
    return buf.getvalue()


def with_shared_strings(data: bytes, sst: bytes) -> bytes:
    """The workbook with its first id cell moved into a shared-strings part holding ``sst``
    (openpyxl itself writes inline strings only)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    ns = b"http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
    edits = {
        "xl/worksheets/sheet1.xml": lambda b: re.sub(
            rb'<c r="A2" t="inlineStr"><is><t>[^<]*</t></is></c>',
            b'<c r="A2" t="s"><v>0</v></c>',
            b,
        ),
        "xl/_rels/workbook.xml.rels": lambda b: b.replace(
            b"</Relationships>",
            b'<Relationship Type="' + ns + b'" Target="sharedStrings.xml" Id="rId9" />'
            b"</Relationships>",
        ),
        "[Content_Types].xml": lambda b: b.replace(
            b"</Types>",
            b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.'
            b'openxmlformats-officedocument.spreadsheetml.sharedStrings+xml" /></Types>',
        ),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = edits.get(info.filename, lambda b: b)(src.read(info.filename))
            dst.writestr(zipfile.ZipInfo(info.filename, XLSX_TIME), body, zipfile.ZIP_DEFLATED)
        dst.writestr(zipfile.ZipInfo("xl/sharedStrings.xml", XLSX_TIME), sst, zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def write_xlsx(out: Path, rng: random.Random) -> None:
    import datetime

    recs = base(rng)

    def times(ws):
        ws["C3"] = datetime.time(14, 30)
        ws["C4"] = datetime.datetime(2010, 3, 4, 9, 15)
        ws["C5"] = datetime.date(2010, 3, 5)
        ws["C6"] = datetime.timedelta(hours=1, minutes=5)

    put(out, "xlsx_time_and_date_cells.xlsx", workbook_bytes(recs, times))
    expect("xlsx_time_and_date_cells.xlsx", {"validate": [0], "clean": [0]})

    def formulas(ws):
        ws["F3"] = "=SUM(1,2)"
        ws["F4"] = "=F3*2"

    put(out, "xlsx_formulas_without_cached_values.xlsx", workbook_bytes(recs, formulas))
    expect("xlsx_formulas_without_cached_values.xlsx", {"validate": [0, 1], "clean": [0]},
           says=["F3", "F4", "uncached_formula"])  # fmt: skip
    good = workbook_bytes(recs)
    put(out, "xlsx_renamed_csv.csv", good)
    expect("xlsx_renamed_csv.csv", {"validate": [0], "clean": [0]})
    sst = (b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
           b'2006/main" count="1" uniqueCount="1"><si><t>ORG-0001</t></si></sst>')  # fmt: skip
    put(out, "xlsx_with_shared_strings.xlsx", with_shared_strings(good, sst))
    expect("xlsx_with_shared_strings.xlsx", {"validate": [0], "clean": [0]})
    bad_strings = sst.replace(b"</t></si></sst>", b"</si><si><t>unclosed")
    put(out, "xlsx_malformed_shared_strings.xlsx", with_shared_strings(good, bad_strings))
    expect("xlsx_malformed_shared_strings.xlsx", {"validate": [4], "clean": [4]},
           says=["damaged"])  # fmt: skip
    put(out, "xlsx_truncated.xlsx", good[: len(good) // 2])
    expect("xlsx_truncated.xlsx", {"validate": [4], "clean": [4]}, says=["damaged"])
    put(out, "xlsx_without_workbook_part.xlsx", replace_member(good, "xl/workbook.xml", None))
    expect("xlsx_without_workbook_part.xlsx", {"validate": [4], "clean": [4]}, says=["damaged"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("notes.txt", XLSX_TIME), "a zip, not a workbook")
    put(out, "zip_that_is_not_a_workbook.xlsx", buf.getvalue())
    expect("zip_that_is_not_a_workbook.xlsx", {"validate": [4], "clean": [4]})
    put(out, "xlsx_header_only.xlsx", workbook_bytes([HEADER]))
    expect("xlsx_header_only.xlsx", {"validate": [4], "clean": [4]}, says=["only the header"])
    padded = [*recs, *([None] * len(HEADER) for _ in range(40)), ["", "late note"]]
    put(out, "xlsx_data_after_blank_rows.xlsx", workbook_bytes(padded))
    expect("xlsx_data_after_blank_rows.xlsx", {"validate": [1], "clean": [0]}, where="row 50",
           says=["no_id"], note="the row after 40 blank rows is read, not dropped")  # fmt: skip


def write_empty_row_bomb(path: Path, rows: int = 8_000_000) -> Path:
    """A workbook of 5 answers followed by ``rows`` rows of styled empty cells, the sheet's
    dimension covering them all (what a spreadsheet saves after formatting whole columns):
    about 25 MB compressed and 300+ MB of XML, the empty-row bomb of issue 10. Written at test
    time, not committed."""
    rng = random.Random(SEED)
    good = workbook_bytes(base(rng, 5))
    src = zipfile.ZipFile(io.BytesIO(good))
    sheet = src.read("xl/worksheets/sheet1.xml")
    head, tail = sheet.split(b"</sheetData>")
    head = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:P%d"' % (6 + rows), head)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(zipfile.ZipInfo(info.filename, XLSX_TIME), src.read(info.filename))
                continue
            zi = zipfile.ZipInfo(info.filename, XLSX_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            with dst.open(zi, "w", force_zip64=True) as fh:
                fh.write(head)
                step = 100_000
                for lo in range(7, 7 + rows, step):
                    fh.write(b"".join(b'<row r="%d"><c r="A%d" s="0"/></row>' % (r, r)
                                      for r in range(lo, min(lo + step, 7 + rows))))  # fmt: skip
                fh.write(b"</sheetData>" + tail)
    return path


# ---- SPSS -------------------------------------------------------------------------------------
def fixed_sav(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[92:109] = b"01 Mar 1012:00:00"  # creation date (9 bytes) and time (8 bytes)
    path.write_bytes(bytes(data))


def write_sav(out: Path, rng: random.Random) -> None:
    import pandas as pd
    import pyreadstat

    recs = base(rng, 6)
    df = pd.DataFrame(recs[1:], columns=HEADER)
    codes = {lab: float(i) for i, lab in enumerate(LEVELS, start=1)}
    df["ungift_importance"] = [codes[v] for v in df["ungift_importance"]]
    df.loc[1, "ungift_importance"] = 99.0
    df.loc[3, "ungift_importance"] = 98.0
    labels = {"ungift_importance": {**{v: k for k, v in codes.items()}, 99.0: "Don't know"}}
    path = out / "sav_user_missing_99_and_98.sav"
    pyreadstat.write_sav(df, str(path), variable_value_labels=labels,
                         missing_ranges={"ungift_importance": [99.0, 98.0]})  # fmt: skip
    fixed_sav(path)
    expect("sav_user_missing_99_and_98.sav", {"validate": [0, 1], "clean": [0]}, where="row 5",
           says=["98", "spss_user_missing"])  # fmt: skip
    data = path.read_bytes()
    put(out, "sav_truncated.sav", data[: len(data) // 3])
    expect("sav_truncated.sav", {"validate": [4], "clean": [4]}, says=["SPSS"])


def write_corpus(out: Path) -> dict[str, dict]:
    out.mkdir(parents=True, exist_ok=True)
    for old in out.iterdir():
        if old.is_file():
            old.unlink()
    EXPECTED.clear()
    for writer in (write_quotes, write_header_rows, write_encodings, write_structure,
                   write_injection, write_values, write_instruments, write_xlsx,
                   write_sav):  # fmt: skip
        writer(out, random.Random(f"{SEED}-{writer.__name__}"))
    (out / "expected.json").write_text(
        json.dumps(EXPECTED, indent=1, sort_keys=True, ensure_ascii=True) + "\n", encoding="utf-8"
    )
    return EXPECTED


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    cases = write_corpus(args.out)
    print(f"{len(cases)} hostile files written to {args.out}")


if __name__ == "__main__":
    main()
