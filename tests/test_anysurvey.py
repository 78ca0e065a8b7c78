"""Any survey, not only the bundled one (issue 12): exports without ids, batteries, a real survey.

The real survey is R psych's bfi data (tests/fixtures/bfi/, see its README): 2,800 people,
25 six-point items, gender, education and age, numerically coded, no id column.
"""

from __future__ import annotations

import os
import subprocess
import sys
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from giftreview.analysis.stats import breakdown_question
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import load_instrument, parse_instrument
from giftreview.errors import ArgumentError, InstrumentError

BFI = Path(__file__).parent / "fixtures" / "bfi"
SECOND = Path(__file__).parent / "fixtures" / "second_survey"


def _spec(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_respondent_id_null_gets_a_clear_message():
    spec = _spec(SECOND / "instrument.yaml")
    spec["raw"]["respondent_id"] = None
    with pytest.raises(InstrumentError, match=r"raw.respondent_id: no id column given; .*"
                       r"'respondent_id: row' to use the data row number"):  # fmt: skip
        parse_instrument(spec, "clinics.yaml")


@pytest.fixture(scope="module")
def bfi_clean(tmp_path_factory):
    inst = load_instrument(BFI / "instrument.yaml")
    return inst, clean_wave(BFI / "bfi.csv", inst, wave="bfi", out_dir=tmp_path_factory.mktemp("b"))


def test_row_ids_are_the_data_row_numbers(bfi_clean):
    inst, res = bfi_clean
    assert inst.raw.ids_from_rows
    clean = res.clean
    # 2,800 data rows under one header row: ids 1..2800, the spreadsheet row is id + 1
    assert res.counts == {"raw_rows": 2800, "clean_rows": 2800, "quarantined_rows": 0}
    assert list(clean["respondent_id"]) == [str(i) for i in range(1, 2801)]
    assert (clean["source_row"] == clean["respondent_id"].astype(int) + 1).all()
    assert res.manifest["raw_read"]["respondent_id"] == "row (data row number)"


def test_row_ids_name_rows_in_the_audit_and_validation(tmp_path):
    # the first 10 bfi rows with A1 of data row 3 (spreadsheet row 4) set to 9, off the scale
    lines = (BFI / "bfi.csv").read_text(encoding="utf-8").splitlines()[:11]
    cells = lines[3].split(",")
    cells[0] = "9"
    lines[3] = ",".join(cells)
    raw = tmp_path / "bfi10.csv"
    raw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    res = clean_wave(raw, load_instrument(BFI / "instrument.yaml"), out_dir=tmp_path / "out")
    bad = res.validation[res.validation["rule"] == "out_of_range"]
    assert list(zip(bad["source_row"], bad["respondent_id"], strict=True)) == [(4, "3")]
    assert list(res.audit[["source_row", "respondent_id", "column"]].itertuples(index=False)) == [
        (4, "3", "A1")
    ]


def test_battery_expands_into_rating_items():
    inst = load_instrument(BFI / "instrument.yaml")
    (battery,) = inst.batteries
    assert battery.id == "ITEMS" and battery.scale == "accuracy6" and len(battery.items) == 25
    a4 = inst.question("A4")
    assert (a4.type, a4.scale, a4.part, a4.raw_column, a4.battery) == (
        "rating", "accuracy6", "personality", "A4", "ITEMS",
    )  # fmt: skip
    assert a4.text == "Love children."
    ids = [q.id for q in inst.questions]
    assert ids[:3] == ["gender", "education", "age"] and ids[3:8] == ["A1", "A2", "A3", "A4", "A5"]


def test_battery_mistakes_name_the_battery():
    spec = _spec(BFI / "instrument.yaml")
    battery = spec["questions"][3]
    battery["colour"] = "red"
    with pytest.raises(InstrumentError, match=r"questions.ITEMS: unknown key\(s\) \['colour'\]"):
        parse_instrument(spec, "bfi.yaml")
    del battery["colour"]
    battery["scale"] = "accuracy7"
    with pytest.raises(InstrumentError, match="questions.A1.scale: unknown scale 'accuracy7'"):
        parse_instrument(spec, "bfi.yaml")


def test_grouping_by_a_count_uses_its_bins_and_many_groups_are_refused(bfi_clean):
    inst, res = bfi_clean
    clean = res.clean
    b = breakdown_question(clean, inst, "A1", by="age")
    assert b.by == "age__bin"
    # the instrument's five age bins; people under 20 who answered A1, counted from the raw CSV
    raw = pd.read_csv(BFI / "bfi.csv")
    assert set(b.table["group"]) == {"under 20", "20-29", "30-39", "40-49", "50 or more"}
    young = int(((raw["age"] < 20) & raw["A1"].notna()).sum())
    assert young == int(b.table[b.table.group == "under 20"]["n"].sum())
    many = clean.assign(city=[f"c{i % 20}" for i in range(len(clean))])
    with pytest.raises(ArgumentError, match=r"`by` is 'city', which has 20 groups; .* at most 12"):
        breakdown_question(many, inst, "A1", by="city")


def test_numeric_codes_are_one_recode_table_not_per_cell_changes(bfi_clean):
    _, res = bfi_clean
    # every bfi answer is a code; the audit holds no per-cell change for them
    assert not (res.audit["rule"] == "code_to_label").any()
    rec = res.recodes
    assert list(rec.columns) == ["column", "code", "label", "cells"]
    a1 = rec[rec["column"] == "A1"].set_index("code")
    assert a1.loc["6", "label"] == "Very accurate"
    # cells recoded = answers given, counted from the raw CSV (R: sum(!is.na(bfi[1:27])))
    raw = pd.read_csv(BFI / "bfi.csv")
    answered = int(raw.drop(columns="age").notna().sum().sum())
    assert int(rec["cells"].sum()) == answered == res.manifest["recoded_cells"]
    assert int(a1["cells"].sum()) == int(raw["A1"].notna().sum())
    assert (res.out_dir / "recodes.csv").exists()


def test_clean_warns_when_most_rows_are_quarantined(tmp_path, run_cli):
    # the old draft's mistake: a question column (A1, six values) taken as the id, so 2,794 of
    # 2,800 rows repeat an id; cleaning still succeeds (exit 0) but says the instrument is wrong
    spec = _spec(BFI / "instrument.yaml")
    spec["raw"]["respondent_id"] = "A1"
    spec["questions"][3]["items"] = spec["questions"][3]["items"][1:]  # A1 is no item now
    spec["multi_item_scales"] = []
    inst = tmp_path / "wrong.yaml"
    inst.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, out = run_cli(["clean", str(BFI / "bfi.csv"), "--instrument", str(inst),
                         "--out", str(tmp_path / "out")])  # fmt: skip
    assert code == 0
    assert "rows are quarantined" in out and "check raw.respondent_id" in out
    code, out = run_cli(["clean", str(BFI / "bfi.csv"), "--instrument", str(BFI / "instrument.yaml"),
                         "--out", str(tmp_path / "ok")])  # fmt: skip
    assert code == 0 and "quarantined (see" not in out
    assert "cells recoded from declared codes" in out


@pytest.mark.slow
def test_unedited_draft_of_bfi_renders_battery_and_reliability(tmp_path):
    """Done when (issue 12): no id column, numeric codes, a 25-item battery -> `giftreview init`,
    then `giftreview run` renders battery charts and scale reliability (the draft unedited)."""
    env = {**os.environ, "GIFTREVIEW_ROOT": str(tmp_path), "SOURCE_DATE_EPOCH": "1700000000"}
    base = [sys.executable, "-m", "giftreview.cli.app"]
    inst = tmp_path / "bfi.yaml"
    done = subprocess.run([*base, "init", str(BFI / "bfi.csv"), "--out", str(inst)],
                          env=env, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    out = tmp_path / "reports"
    cmd = [*base, "run", str(BFI / "bfi.csv"), "--instrument", str(inst), "--formats", "html",
           "--out", str(out)]  # fmt: skip
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=1200)
    assert done.returncode == 0, done.stderr[-3000:]
    pages = {p.name: p.read_text(encoding="utf-8") for p in out.glob("*.html")}
    text = unescape(" ".join(pages.values()))
    assert "one per item of the battery" in text  # the battery chart's alt text
    for scale in ("A", "C", "E", "N", "O"):
        assert f"Scale: {scale}<" in text, scale
    assert text.count("Cronbach's alpha (raw)") == 5
    # Agreeableness: psych::alpha(bfi[1:5], keys = c(-1, 1, 1, 1, 1)) raw_alpha 0.703
    assert "0.703" in text


def test_scale_ids_differ_from_question_and_battery_ids():
    spec = _spec(BFI / "instrument.yaml")
    spec["multi_item_scales"][0]["id"] = "ITEMS"  # the battery's id
    with pytest.raises(InstrumentError, match=r"ids \['ITEMS'\] repeat or are question or battery"):
        parse_instrument(spec, "bfi.yaml")
