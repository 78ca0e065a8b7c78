"""`giftreview init` on each platform's export: the draft loads, has the wording, cleans every row.

The fixtures (tests/fixtures/platforms/, written by make_fixtures.py, whose docstring describes
each platform's layout) hold the same 30 answers to one questionnaire: region; a three-item
agreement grid; services used (several allowed); visits in the past year; comments, asked only
of people with visits. Expected counts below are recounted from the raw files themselves.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from giftreview.data.clean import clean_wave
from giftreview.data.draft import draft_instrument, write_draft
from giftreview.data.instrument import load_instrument, parse_instrument
from giftreview.data.platforms import read_export
from giftreview.errors import ArgumentError

HERE = Path(__file__).parent / "fixtures" / "platforms"
ITEMS = ["Staff were friendly", "Waiting time was short", "I would recommend the service"]
CASES = {
    "qualtrics_csv": ("qualtrics.csv", None, "qualtrics", 3),
    "qualtrics_xlsx": ("qualtrics.xlsx", None, "qualtrics", 3),
    "surveymonkey": ("surveymonkey.csv", None, "surveymonkey", 2),
    "kobo": ("kobo.csv", "kobo_form.xlsx", "kobo", 1),
    "limesurvey": ("limesurvey.csv", "limesurvey_structure.txt", "limesurvey", 1),
    "spss": ("spss.sav", None, "spss", 1),
}


def _drafted(case, tmp_path):
    raw, form, _, _ = CASES[case]
    out = write_draft(HERE / raw, tmp_path / f"{case}.yaml", form=HERE / form if form else None)
    return load_instrument(out)


def _services_counts() -> dict[str, int]:
    """Respondents choosing each service, read from the SurveyMonkey file's option columns."""
    with open(HERE / "surveymonkey.csv", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    cols = [j for j, label in enumerate(rows[1]) if label in ("Email", "Phone", "Visit")]
    return {rows[1][j]: sum(1 for r in rows[2:] if r[j]) for j in cols}


@pytest.mark.parametrize("case", list(CASES))
def test_platform_is_recognised(case):
    raw, form, platform, header_rows = CASES[case]
    exp = read_export(HERE / raw, HERE / form if form else None)
    assert exp.platform == platform
    assert exp.header_rows == header_rows
    assert len(exp.data) == 30  # 30 answers below the header rows


@pytest.mark.parametrize("case", list(CASES))
def test_draft_has_wording_types_and_cleans_every_row(case, tmp_path):
    inst = _drafted(case, tmp_path)
    texts = {q.text for q in inst.questions}
    assert {"Which region do you live in?", *ITEMS} <= texts
    by_text = {q.text: q for q in inst.questions}
    assert by_text["Which region do you live in?"].type == "single"
    assert {by_text[t].type for t in ITEMS} == {"rating"}
    assert by_text["How many times did you visit in the past year?"].type == "count"
    (battery,) = inst.batteries
    assert len(battery.items) == 3
    if case != "kobo":  # an XLSForm has no grid question: the stem is a note, not read
        assert battery.text == "How much do you agree with the following statements?"
    labels = [lv.label for lv in inst.scale_of(battery.items[0]).levels]
    assert labels[-2:] == ["Agree", "Strongly agree"]
    assert inst.group_by == by_text["Which region do you live in?"].id
    raw = HERE / CASES[case][0]
    res = clean_wave(raw, inst, out_dir=tmp_path / "out")
    assert res.counts == {"raw_rows": 30, "clean_rows": 30, "quarantined_rows": 0}
    assert not (res.validation["severity"] == "error").any(), res.validation.head()
    clean = res.clean
    region = clean[by_text["Which region do you live in?"].id]
    assert set(region.dropna()) == {"North", "South", "East"} and region.notna().all()


@pytest.mark.parametrize("case", ["surveymonkey", "kobo", "limesurvey", "qualtrics_csv"])
def test_multiple_choice_is_read_whatever_the_layout(case, tmp_path):
    inst = _drafted(case, tmp_path)
    q = next(q for q in inst.questions if q.text == "Which services did you use?")
    assert q.type == "multi"
    clean = clean_wave(HERE / CASES[case][0], inst, out_dir=tmp_path / "out").clean
    chosen = {o.label: int(clean[f"{q.id}__{o.code}"].sum()) for o in q.options}
    assert chosen == _services_counts()


def test_skip_logic_and_value_labels_are_kept(tmp_path):
    kobo = _drafted("kobo", tmp_path)
    comments = next(q for q in kobo.questions if q.text == "Any other comments about the service?")
    assert comments.asked_if == "${visits} > 0" and comments.type == "open"
    lime = _drafted("limesurvey", tmp_path)
    assert [o.code for o in lime.question("region").options] == ["A1", "A2", "A3"]
    spss = _drafted("spss", tmp_path)
    assert [(o.code, o.label) for o in spss.question("region").options] == [
        ("1", "North"), ("2", "South"), ("3", "East"),
    ]  # fmt: skip


def test_form_that_does_not_fit_is_refused(tmp_path):
    with pytest.raises(ArgumentError, match="none of its .* questions names a column"):
        draft_instrument(HERE / "qualtrics.csv", form=HERE / "kobo_form.xlsx")
    bad = tmp_path / "form.txt"
    bad.write_text("a\tb\n1\t2\n", encoding="utf-8")
    with pytest.raises(ArgumentError, match="neither an XLSForm .* nor a LimeSurvey"):
        draft_instrument(HERE / "kobo.csv", form=bad)


def test_every_draft_loads_from_its_text():
    for raw, form, _, _ in CASES.values():
        text = draft_instrument(HERE / raw, form=HERE / form if form else None)
        parse_instrument(yaml.safe_load(text))
        assert "# REVIEW" in text


@pytest.mark.slow
def test_qualtrics_draft_renders_html(tmp_path):
    """`giftreview init` then `giftreview run --formats html` on the Qualtrics export, unedited."""
    env = {**os.environ, "GIFTREVIEW_ROOT": str(tmp_path), "SOURCE_DATE_EPOCH": "1700000000"}
    inst = tmp_path / "qualtrics.yaml"
    base = [sys.executable, "-m", "giftreview.cli.app"]
    done = subprocess.run([*base, "init", str(HERE / "qualtrics.csv"), "--out", str(inst)],
                          env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "reports"
    cmd = [*base, "run", str(HERE / "qualtrics.csv"), "--instrument", str(inst),
           "--formats", "html", "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    text = " ".join(p.read_text(encoding="utf-8") for p in out.glob("*.html"))
    assert "Which region do you live in?" in text and "Staff were friendly" in text


def test_skip_logic_is_printed_with_the_question(tmp_path):
    from giftreview import report
    from giftreview.report.questions import question_view

    inst_path = write_draft(HERE / "kobo.csv", tmp_path / "kobo.yaml", form=HERE / "kobo_form.xlsx")
    rep = report.open_wave(raw=str(HERE / "kobo.csv"), instrument=str(inst_path),
                           processed=str(tmp_path / "p"), output=str(tmp_path / "o"))  # fmt: skip
    qid = next(q.id for q in rep.instrument.questions if q.asked_if)
    view = question_view(rep, qid)
    assert view.parts[0].text == "Asked only when: ${visits} > 0"
