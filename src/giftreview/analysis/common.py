"""What every statistics module shares: the missing-data rule, the confidence check, the columns
of a test row.

Kept apart from :mod:`giftreview.analysis.stats` so that :mod:`giftreview.analysis.design` (which
``stats`` uses for design-based breakdowns) can use them without an import cycle; ``stats``
re-exports every name.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from giftreview.errors import ArgumentError, DataValidationError, check_column

__all__ = ["MissingPolicy", "TEST_COLUMNS", "check_level", "valid_rows", "test_frame"]

MissingPolicy = Literal["exclude", "raise"]

TEST_COLUMNS = [
    "outcome",
    "by",
    "test",
    "reason",
    "statistic",
    "df",
    "p_value",
    "effect_size",
    "effect_measure",
    "n",
    "n_resamples",
    "seed",
    "df_denominator",
    "mc_se",
]


def check_level(confidence: float) -> float:
    """Raise :class:`ArgumentError` unless ``0 < level < 1``; return ``confidence`` as float.

    Examples
    --------
    >>> check_level(0.9)
    0.9
    >>> check_level(95)
    Traceback (most recent call last):
    ...
    giftreview.errors.ArgumentError: `confidence` must be a confidence level strictly between 0 and 1 (e.g. 0.95); got 95
    """
    if not isinstance(confidence, int | float) or not 0 < float(confidence) < 1:
        raise ArgumentError(
            f"`confidence` must be a confidence level strictly between 0 and 1 (e.g. 0.95); got {confidence!r}"
        )
    return float(confidence)


def valid_rows(data: pd.DataFrame, columns: list[str], missing: MissingPolicy) -> pd.DataFrame:
    """The rows of ``data[columns]`` usable under the ``missing`` rule (a new frame).

    ``"exclude"`` drops rows with NA in any of ``columns``; ``"raise"`` raises
    :class:`DataValidationError` naming the column and up to five row labels with NA.

    Examples
    --------
    >>> import pandas as pd
    >>> valid_rows(pd.DataFrame({"x": [1.0, None, 3.0]}), ["x"], "exclude")
         x
    0  1.0
    2  3.0
    """
    for c in columns:
        check_column(data, c, "column")
    if missing not in ("exclude", "raise"):
        raise ArgumentError(
            f"`missing` must be 'exclude' (drop rows with NA) or 'raise' (fail on NA); "
            f"got {missing!r}"
        )
    sub = data[columns]
    na = sub.isna()
    if missing == "raise" and na.to_numpy().any():
        col = next(c for c in columns if na[c].any())
        rows = list(sub.index[na[col]][:5])
        raise DataValidationError(
            f"column {col!r} has {int(na[col].sum())} missing values (rows {rows}...); "
            "pass missing='exclude' to drop them from the base"
        )
    return sub[~na.any(axis=1)]


def test_frame(rows: list[dict]) -> pd.DataFrame:
    """Tidy test rows with the ``TEST_COLUMNS`` (floats and nullable integers)."""
    out = pd.DataFrame(rows, columns=TEST_COLUMNS)
    for c in ("statistic", "df", "df_denominator", "p_value", "effect_size", "mc_se"):
        out[c] = out[c].astype(float)
    for c in ("n", "n_resamples", "seed"):
        out[c] = out[c].astype("Int64")
    return out
