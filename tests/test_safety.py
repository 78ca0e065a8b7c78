"""text/safety.py: the one CSV/XLSX writer and PII redaction (issue 10).

Expected values are written out by hand from the rules in the module docstring.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from giftreview.errors import ArgumentError
from giftreview.text.safety import (
    REDACTION_NOTE,
    csv_text,
    looks_like_formula,
    redact_frame,
    redact_pii,
    unneutralise_formula,
    write_table,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("write to john.doe (at) example (dot) org now", "write to [email] now"),
        ("jane [at] un [dot] org", "[email]"),
        ("mail me at jane at unodc dot org", "mail me at [email]"),
        ("plain a.b@example.org here", "plain [email] here"),
        ("see ftp://files.example.org/a.zip", "see [url]"),
        ("sftp://x.org and mailto:me@x.org and www.example.org/x", "[url] and [url] and [url]"),
        ("call +44 (0)20 7946 0958 today", "call [phone] today"),
        ("or (202) 555-0143", "or [phone]"),
        ("tel 0041 22 917 12 34", "tel [phone]"),
        ("Mr John Smith said", "[name] said"),
        ("ask Dr. Maria Gonzalez", "ask [name]"),
        ("H.E. Mr Ban Ki-moon opened", "[name] opened"),
        ("Prof Ada Lovelace, Mrs Jones and Ms Li", "[name], [name] and [name]"),
        # not personal data: kept as written
        ("in 2010-2012 we trained 1500 staff", "in 2010-2012 we trained 1500 staff"),
        ("we met at 5.30 at the office", "we met at 5.30 at the office"),
        ("Article 3 of the Protocol", "Article 3 of the Protocol"),
    ],
)
def test_redact_pii(text, expected):
    assert redact_pii(text) == expected


def test_redaction_note_names_every_kind():
    for word in ("[email]", "[url]", "[phone]", "[name]", "[organization]", "(at)", "H.E."):
        assert word in REDACTION_NOTE


def test_redact_frame_only_text_cells():
    frame = pd.DataFrame({"who": ["Dr Jane Roe", "UNODC"], "n": [1, 2]})
    out = redact_frame(frame)
    assert out["who"].tolist() == ["[name]", "UNODC"] and out["n"].tolist() == [1, 2]
    assert frame.loc[0, "who"] == "Dr Jane Roe"  # input untouched


@pytest.mark.parametrize(
    ("value", "formula"),
    [
        ("=1+1", True),
        ("+1", True),
        ("-2+3", True),
        ("@SUM(A1)", True),
        ("\t1", True),
        ("\r=1+1", True),
        ("  =1", True),
        ("\r\n @x", True),
        ("a=b", False),
        ("", False),
        ("'=1", False),
        (5, False),
    ],  # fmt: skip
)
def test_looks_like_formula(value, formula):
    assert looks_like_formula(value) is formula
    if formula:
        assert unneutralise_formula("'" + value) == value


def test_csv_quotes_bare_carriage_return():
    """The audit.csv of issue 10: a bare CR before =1+1 must not start a new cell when read."""
    frame = pd.DataFrame({"before": ["x\r=1+1", "=1+1", "two\nlines"], "n": [1, 2, 3]})
    text = csv_text(frame)
    assert text == 'before,n\n"x\r=1+1",1\n\'=1+1,2\n"two\nlines",3\n'
    back = list(csv.reader(io.StringIO(text, newline="")))
    assert back == [["before", "n"], ["x\r=1+1", "1"], ["'=1+1", "2"], ["two\nlines", "3"]]


def test_write_table_csv_and_xlsx(tmp_path):
    frame = pd.DataFrame({"=h": ["@x", "ok\x07bell"], "n": [-1, 2]})
    write_table(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8") == "'=h,n\n'@x,-1\nok\x07bell,2\n"
    write_table({"s": frame}, tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")["s"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["'=h", "n"],
        ["'@x", -1],
        ["okbell", 2],
    ]  # the BEL control character cannot be stored in XML and is dropped


def test_write_table_refuses_outside_its_folder(tmp_path):
    (tmp_path / "inside").mkdir()
    with pytest.raises(ArgumentError, match="outside its folder"):
        write_table(
            pd.DataFrame({"a": [1]}), tmp_path / "inside/../x.csv", folder=tmp_path / "inside"
        )
    (tmp_path / "inside" / "link").symlink_to(tmp_path)
    with pytest.raises(ArgumentError, match="outside its folder"):
        write_table(
            pd.DataFrame({"a": [1]}), tmp_path / "inside/link/x.csv", folder=tmp_path / "inside"
        )
    assert not (tmp_path / "x.csv").exists()
