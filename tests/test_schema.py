"""giftreview.data.schema: the clean table's pandera schema, checked on write and on load."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from giftreview.data.clean import clean_wave
from giftreview.data.io import load_clean
from giftreview.data.schema import check_clean, clean_schema
from giftreview.errors import DataValidationError
from giftreview.paths import DATA_RAW


@pytest.fixture(scope="module")
def cleaned(instrument, tmp_path_factory):
    out = tmp_path_factory.mktemp("w")
    return clean_wave(DATA_RAW / "ungift_2012.csv", instrument, out_dir=out)


def test_clean_table_meets_its_schema_and_loads(instrument, cleaned):
    schema = clean_schema(instrument)
    assert set(cleaned.clean.columns) <= set(schema.columns) | {
        c for c in cleaned.clean.columns if c.startswith("extra__")
    }
    back = load_clean(cleaned.out_dir, instrument)
    pd.testing.assert_frame_equal(back, cleaned.clean)
    assert len(load_clean(cleaned.out_dir)) == len(cleaned.clean)  # core schema only


def test_every_broken_column_is_named_at_once(instrument, cleaned):
    bad = cleaned.clean.copy()
    bad.loc[0, "B1__missing"] = "Maybe"  # not a missing code of the instrument
    bad["A3"] = bad["A3"].astype("Float64")
    bad.loc[1, "A3"] = np.inf  # a count must be finite
    bad.loc[2, "respondent_id"] = bad.loc[3, "respondent_id"]  # ids are unique
    with pytest.raises(DataValidationError, match="breaks its schema") as info:
        check_clean(bad, instrument, path="x/clean.parquet")
    text = str(info.value)
    for part in ("x/clean.parquet", "B1__missing: isin", "'Maybe'", "A3: finite", "respondent_id"):
        assert part in text


def test_answer_and_missing_code_together_is_refused(instrument, cleaned):
    bad = cleaned.clean.copy()
    row = bad.index[bad["B1"].notna()][0]
    bad.loc[row, "B1__missing"] = "N/A"
    with pytest.raises(DataValidationError, match="answer_and_missing_code"):
        check_clean(bad, instrument)


def test_a_text_column_of_another_dtype_is_refused(instrument, cleaned):
    """The string columns' dtype check answers a whole column at once (schema._WholeColumnString);
    a column that is not a pandas string column must still fail it, and be named."""
    bad = cleaned.clean.copy()
    bad["organization"] = np.arange(len(bad))  # int64, not text
    bad["B2"] = bad["B2"].astype(object)  # Python objects: pandera looks at each
    bad.loc[bad.index[0], "B2"] = 7  # a number among the strings
    with pytest.raises(DataValidationError, match="breaks its schema") as info:
        check_clean(bad, instrument)
    text = str(info.value)
    assert "organization: dtype('string[pyarrow]')" in text
    assert "B2: dtype('string[pyarrow]')" in text
    check_clean(cleaned.clean, instrument)  # the table as cleaned passes
