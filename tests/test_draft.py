"""Tests of giftreview.data.draft (`giftreview init`): guesses, REVIEW marks, the draft loads, raw untouched."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from giftreview.cli.app import main
from giftreview.data.draft import draft_instrument, write_draft
from giftreview.data.instrument import load_instrument, parse_instrument
from giftreview.errors import ArgumentError
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT

SECOND = Path(__file__).parent / "fixtures" / "second_survey"


def test_draft_of_second_survey_loads_and_guesses_types(tmp_path):
    out = write_draft(SECOND / "clinics_2021.csv", tmp_path / "clinics.yaml")
    inst = load_instrument(out)
    types = {q.raw_column: q.type for q in inst.questions}
    assert types == {
        "region": "single",
        "nurses": "count",
        "satisfaction": "rating",
        "supplies_on_time": "rating",
        "services_used": "multi",
        "services_other": "single",
    }
    assert inst.raw.respondent_id == "clinic_code"
    assert inst.raw.organization == "clinic_name"
    assert inst.raw.submitted == "timestamp"
    assert [m.label for m in inst.missing_codes] == ["Prefer not to say"]
    levels = [lv.label for lv in inst.scale_of(_qid(inst, "supplies_on_time")).levels]
    assert levels == ["Strongly disagree", "Disagree", "Agree", "Strongly agree"]
    used = inst.question(_qid(inst, "services_used"))
    assert {o.label for o in used.options} >= {"Staff training", "Medicine supplies"}


def _qid(inst, column):
    return next(q.id for q in inst.questions if q.raw_column == column)


def test_every_question_is_marked_for_review():
    text = draft_instrument(SECOND / "clinics_2023.csv")
    n_questions = text.count("\n  - id: ") - 1  # minus the one part
    assert text.count("# REVIEW: type '") == n_questions
    assert text.count("# REVIEW: replace the column name") == n_questions
    assert 'respondent_id: "clinic_code"  # REVIEW: guessed from the column name' in text


def test_draft_of_bundled_wave_guesses_the_real_instrument_types():
    # The bundled raw file was written for the UN.GIFT instrument: the draft must guess the same
    # type for every column the real instrument reads (messy spellings and all).
    real = load_instrument(DEFAULT_INSTRUMENT)
    draft = parse_instrument(yaml.safe_load(draft_instrument(DATA_RAW / "ungift_2010.csv")))
    guessed = {q.raw_column: q.type for q in draft.questions}
    for q in real.questions:
        assert guessed[q.raw_column] == q.type, q.id
    assert draft.raw.respondent_id == "respondent_id"
    assert {m.label for m in draft.missing_codes} == {"Don't know", "N/A"}


def test_never_writes_under_raw():
    with pytest.raises(ArgumentError, match="lies under data/raw, which giftreview never writes"):
        write_draft(SECOND / "clinics_2021.csv", DATA_RAW / "draft.yaml")
    assert not (DATA_RAW / "draft.yaml").exists()


def test_existing_file_needs_force(tmp_path):
    out = tmp_path / "x.yaml"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(ArgumentError, match="exists; pass --force"):
        write_draft(SECOND / "clinics_2021.csv", out)
    assert out.read_text(encoding="utf-8") == "keep me"
    write_draft(SECOND / "clinics_2021.csv", out, force=True)
    load_instrument(out)


def test_cli_init(tmp_path, capsys):
    out = tmp_path / "clinic.yaml"
    main(["init", str(SECOND / "clinics_2021.csv"), "--out", str(out)])  # success: no exit
    assert "6 questions" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["init", str(SECOND / "clinics_2021.csv"), "--out", str(out)])
    assert exc.value.code == 2
    assert "pass --force" in capsys.readouterr().err


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)


@given(rows=st.lists(st.tuples(cell, cell, cell), min_size=1, max_size=12))
def test_any_text_gives_a_loadable_draft(rows):
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "any.csv"
        with open(raw, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "answer one", "3rd"])
            w.writerows(rows)
        parse_instrument(yaml.safe_load(draft_instrument(raw)))


BFI = Path(__file__).parent / "fixtures" / "bfi"


@pytest.fixture(scope="module")
def bfi_draft(tmp_path_factory):
    out = write_draft(BFI / "bfi.csv", tmp_path_factory.mktemp("draft") / "bfi.yaml")
    return out, load_instrument(out)


def test_draft_of_numeric_export_without_id(bfi_draft):
    path, inst = bfi_draft
    # no id-like column: the data row number, never a question column
    assert inst.raw.respondent_id == "row" and len(inst.questions) == 28
    types = {q.raw_column: q.type for q in inst.questions}
    assert types["gender"] == "single"  # binary code 1/2
    assert types["education"] == "rating"  # codes 1-5
    assert types["age"] == "count"  # 3 to 86: too many values for a code
    assert {types[c] for c in types if c[0] in "ACENO" and c[1:].isdigit()} == {"rating"}
    assert [o.code for o in inst.question("gender").options] == [1, 2]
    assert [lv.code for lv in inst.scale_of("A1").levels] == [1, 2, 3, 4, 5, 6]
    assert inst.group_by == "gender"
    text = path.read_text(encoding="utf-8")
    assert "whole numbers (3 to 86)" in text  # the range of the data (min(age) = 3 in R)
    assert [b.label for b in inst.question("age").bins][0] == "3-5"


def test_draft_proposes_the_battery_and_psych_keys(bfi_draft):
    _, inst = bfi_draft
    (battery,) = inst.batteries
    assert len(battery.items) == 25 and battery.items[0] == "A1" and battery.items[-1] == "O5"
    keys = {m.id: (m.items, m.reverse) for m in inst.multi_item_scales}
    # psych::bfi.keys (R: `psych::bfi.keys`): agree -A1; conscientious -C4 -C5;
    # extraversion -E1 -E2; neuroticism none; openness -O2 -O5
    assert {k: v[1] for k, v in keys.items()} == {
        "A": ["A1"], "C": ["C4", "C5"], "E": ["E1", "E2"], "N": [], "O": ["O2", "O5"],
    }  # fmt: skip
    assert keys["A"][0] == ["A1", "A2", "A3", "A4", "A5"]


def test_unedited_draft_of_bfi_cleans_keeping_99_percent(bfi_draft, tmp_path):
    from giftreview.data.clean import clean_wave

    _, inst = bfi_draft
    res = clean_wave(BFI / "bfi.csv", inst, wave="bfi", out_dir=tmp_path)
    assert res.counts["raw_rows"] == 2800
    assert res.counts["clean_rows"] >= 0.99 * 2800
