"""Any survey, not only the bundled one (issue 12): exports without ids, batteries, a real survey.

The real survey is R psych's bfi data (tests/fixtures/bfi/, see its README): 2,800 people,
25 six-point items, gender, education and age, numerically coded, no id column.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from giftreview.data.clean import clean_wave
from giftreview.data.instrument import load_instrument, parse_instrument
from giftreview.errors import InstrumentError

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
    # the audit names each changed row by the same id (row 2 of the file is respondent 1)
    audit = res.audit
    first = audit[audit["source_row"] == 2]
    assert set(first["respondent_id"]) == {"1"}
    assert res.manifest["raw_read"]["respondent_id"] == "row (data row number)"


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
