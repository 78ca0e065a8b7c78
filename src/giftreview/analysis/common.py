"""What every statistics module shares: the missing-data rule, the confidence check, the columns
of a test row, category codes, numeric values of a column and multiplicity adjustment.

Kept apart from :mod:`giftreview.analysis.stats` so that :mod:`giftreview.analysis.design` (which
``stats`` uses for design-based breakdowns) can use them without an import cycle; ``stats``
re-exports every name.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from giftreview.errors import ArgumentError, DataValidationError, check_column

__all__ = [
    "MissingPolicy",
    "TEST_COLUMNS",
    "check_level",
    "valid_rows",
    "test_frame",
    "test_row",
    "category_codes",
    "numeric_values",
    "adjust_p",
]

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


def test_row(**values) -> dict:
    """One test row: every ``TEST_COLUMNS`` entry NaN unless given in ``values``."""
    return dict.fromkeys(TEST_COLUMNS, np.nan) | values


def category_codes(series: pd.Series, *, drop_unused: bool = False) -> tuple[np.ndarray, list]:
    """Integer codes (-1 = NA) and the category labels of ``series``.

    ``drop_unused=False`` keeps declared but unused levels (a table shows them with n = 0);
    ``drop_unused=True`` renumbers over the levels present (R ``factor(x)``, what design-based
    estimates and tests use). Unused levels are found by counting codes, as pandas'
    ``remove_unused_categories`` sorts the whole column.

    Examples
    --------
    >>> s = pd.Series(pd.Categorical(["b", None, "b"], categories=["a", "b"]))
    >>> category_codes(s), category_codes(s, drop_unused=True)
    ((array([ 1, -1,  1], dtype=int8), ['a', 'b']), (array([ 0, -1,  0]), ['b']))
    """
    cat = series if isinstance(series.dtype, pd.CategoricalDtype) else series.astype("category")
    if not drop_unused:
        return np.asarray(cat.cat.codes), list(cat.cat.categories)
    codes = cat.cat.codes.to_numpy().astype(np.int64)
    used = np.bincount(codes[codes >= 0], minlength=len(cat.cat.categories)) > 0
    lut = np.full(len(used) + 1, -1)
    lut[:-1][used] = np.arange(int(used.sum()))
    return lut[codes], [c for c, u in zip(cat.cat.categories, used, strict=True) if u]


def numeric_values(series: pd.Series, column: str, needs: str) -> np.ndarray:
    """``series`` as floats, NA as NaN; an ordered categorical gives its 1-based level number.

    Raises :class:`ArgumentError` naming ``column`` and what ``needs`` numbers when the column
    is neither numeric nor categorical.

    Examples
    --------
    >>> numeric_values(pd.Series(pd.Categorical(["lo", "hi", None], ["lo", "hi"])), "x", "means")
    array([ 1.,  2., nan])
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        return np.where(series.isna(), np.nan, series.cat.codes.to_numpy(dtype=float) + 1.0)
    try:
        return series.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ArgumentError(
            f"column {column!r} is not numeric (dtype {series.dtype}); {needs} need numbers or "
            "an ordered categorical"
        ) from None


def adjust_p(p, method: str) -> np.ndarray:
    """Multiplicity-adjusted p-values (R ``p.adjust``), ``method`` as statsmodels' ``multipletests``.

    Holm by hand: statsmodels' ``multipletests(method="holm")`` calls ``gc.collect()`` (half a
    second with a million-row table in memory); other methods go to
    :func:`statsmodels.stats.multitest.multipletests`. Holm: with ordered
    :math:`p_{(1)} \\le \\dots \\le p_{(m)}`, :math:`\\tilde p_{(i)} = \\min(1, \\max_{j \\le i} (m - j + 1) p_{(j)})`.

    Examples
    --------
    >>> adjust_p([0.01, 0.04, 0.03], "holm")  # by hand: 3 * 0.01, max(0.03, 2 * 0.03), 0.06
    array([0.03, 0.06, 0.06])
    """
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return p
    if method != "holm":
        try:
            return multipletests(p, method=method)[1]
        except ValueError:
            raise ArgumentError(
                f"`method` {method!r} is not a multipletests method; use e.g. 'fdr_bh', "
                "'holm' or 'bonferroni'"
            ) from None
    order = np.argsort(p)
    m = len(p)
    stepped = np.minimum(1.0, np.maximum.accumulate(p[order] * (m - np.arange(m))))
    out = np.empty(m)
    out[order] = stepped
    return out
