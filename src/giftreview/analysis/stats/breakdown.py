"""Instrument-driven breakdowns: a question by a grouping column, the test chosen by its type."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from giftreview.analysis import design as dz
from giftreview.analysis.common import category_codes
from giftreview.analysis.common import test_frame as _test_frame
from giftreview.analysis.stats.intervals import share_table
from giftreview.analysis.stats.ranks import dunn_test, kruskal_test
from giftreview.analysis.stats.tables import (
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    crosstab,
    independence_test,
    table_test,
)
from giftreview.data.instrument import BIN_SUFFIX, Instrument, bin_column, option_column
from giftreview.errors import ArgumentError, check_column

__all__ = ["MAX_GROUPS", "option_selected", "Breakdown", "grouping_column", "breakdown_question"]


def option_selected(data: pd.DataFrame, column: str) -> np.ndarray:
    """Boolean array: did each respondent choose the option held in ``column``.

    Option columns are nullable booleans (NA = not chosen here; the base is decided
    separately). A text column (e.g. data from an older cleaner) counts a non-blank text as
    chosen.

    Examples
    --------
    >>> import pandas as pd
    >>> option_selected(pd.DataFrame({"c": pd.array([True, None, False], dtype="boolean")}), "c")
    array([ True, False, False])
    """
    col = data[column]
    if pd.api.types.is_bool_dtype(col.dtype):
        return col.fillna(False).to_numpy(dtype=bool)
    if pd.api.types.is_string_dtype(col.dtype) or col.dtype == object:
        return (
            (col.notna() & (col.astype("string").str.strip() != ""))
            .fillna(False)
            .to_numpy(dtype=bool)
        )
    return col.fillna(0).to_numpy(dtype=float) > 0


@dataclass(frozen=True)
class Breakdown:
    """A question broken down by a grouping column.

    ``table``: tidy ``group, level, n, base, pct, ci_low, ci_high`` (row percentages);
    ``tests``: tidy test rows (one per outcome; a multiple-choice question gives one per
    option); ``posthoc``: Dunn/Holm pairs (ratings and counts; empty otherwise).
    """

    qid: str
    by: str
    table: pd.DataFrame
    tests: pd.DataFrame
    posthoc: pd.DataFrame = field(default_factory=pd.DataFrame)


#: most groups a breakdown compares (more cannot be read, tested or published sensibly)
MAX_GROUPS = 12


def grouping_column(data: pd.DataFrame, instrument: Instrument, by: str | None) -> str:
    """The clean column a breakdown groups by: a count question's bins, else ``by`` itself.

    A count question (by id or raw column name) is grouped by its reporting bins
    (``<id>__bin``). More than :data:`MAX_GROUPS` groups is refused with the way to bin them.
    """
    if by is None:
        raise ArgumentError("`by` is None and the instrument has no group_by; pass by='<column>'")
    counts = {q.id: q for q in instrument.questions_of_type("count")}
    counts |= {q.raw_column: q for q in counts.values()}
    if by in counts:
        by = bin_column(counts[by].id)
    check_column(data, by, "by")
    n = int(data[by].nunique(dropna=True))
    if n > MAX_GROUPS:
        raise ArgumentError(
            f"`by` is {by!r}, which has {n} groups; a breakdown compares at most {MAX_GROUPS}. "
            "Group by a question with fewer options, or make the column a count question with "
            f"reporting bins in the instrument and group by its bins (by='<id>{BIN_SUFFIX}', which "
            "`by='<id>'` also selects)"
        )
    return by


def breakdown_question(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    method: str = "wilson",
    seed: int = DEFAULT_SEED,
    n_resamples: int = DEFAULT_RESAMPLES,
    design=None,
) -> Breakdown:
    """Break question ``qid`` down by ``by`` (default: the instrument's ``group_by``).

    The question type decides the test: single choice -> :func:`independence_test`; rating ->
    :func:`kruskal_test` plus :func:`dunn_test` (Holm); count -> the bins are tabulated and the
    numbers tested with Kruskal-Wallis/Dunn; multiple choice -> one :func:`table_test` per option
    (chosen / not chosen, among respondents who answered the question). Missing codes and
    blanks are excluded from every base.

    With a survey ``design`` (:class:`giftreview.analysis.design.Design` built on ``data``)
    everything is design-based: the table's percentages, SEs, deffs and logit intervals
    (R ``svyby(..., svymean)`` / ``svyciprop``); single choice and each multiple-choice option ->
    the Rao-Scott F test (R ``svychisq``); ratings and counts -> the design-based
    Kruskal-Wallis rank test (R ``svyranktest``), with pairwise design-based Wilcoxon rank tests
    (Holm-adjusted) as the post-hoc comparisons.

    Examples
    --------
    On synthetic data shaped by the bundled instrument (seeded):

    >>> from giftreview.analysis.score import simulate_clean
    >>> from giftreview.data.instrument import load_instrument
    >>> inst = load_instrument()
    >>> rating = inst.questions_of_type("rating")[0].id
    >>> b = breakdown_question(simulate_clean(inst, n=200, seed=1), inst, rating)
    >>> b.tests["test"].tolist(), b.by == inst.group_by
    (['Kruskal-Wallis'], True)
    """
    q = instrument.question(qid)
    by = grouping_column(data, instrument, by or instrument.group_by)
    if by in (qid, bin_column(qid)):
        raise ArgumentError(f"`by` is {by!r}, the question itself; group by another column")
    if design is not None:
        return _breakdown_design(data, instrument, qid, by, design, confidence)
    if q.type == "multi":
        interval = {"confidence": confidence, "method": method}
        exact = {"seed": seed, "n_resamples": n_resamples}
        return _breakdown_multi(data, instrument, qid, by, interval, exact)
    if q.type not in ("single", "rating", "count"):
        raise ArgumentError(
            f"question {qid} is '{q.type}'; breakdowns are for single, rating, count and multi"
        )
    shown = bin_column(qid) if q.type == "count" else qid
    table = crosstab(data, shown, by, confidence=confidence, method=method)
    if q.type == "single":
        tests = independence_test(data, qid, by, seed=seed, n_resamples=n_resamples)
        return Breakdown(qid, by, table, tests)
    tests = kruskal_test(data, qid, by)
    posthoc = dunn_test(data, qid, by) if tests["test"].iloc[0] != "none" else pd.DataFrame()
    return Breakdown(qid, by, table, tests, posthoc)


def _breakdown_multi(data, instrument, qid, by, interval: dict, exact: dict) -> Breakdown:
    q = instrument.question(qid)
    cols = [option_column(qid, o.code) for o in q.options]
    for c in cols:
        check_column(data, c, "option column")
    gcodes, glabels = category_codes(data[by])
    answered = data[cols].notna().any(axis=1).to_numpy() & (gcodes >= 0)
    base = np.bincount(gcodes[answered], minlength=len(glabels))
    parts, rows = [], []
    for opt, col in zip(q.options, cols, strict=True):
        chosen = option_selected(data, col) & answered
        n = np.bincount(gcodes[chosen], minlength=len(glabels))
        part = share_table(glabels, n, base, **interval).rename(columns={"level": "group"})
        part.insert(1, "level", opt.label)
        parts.append(part)
        res = table_test(np.column_stack([n, base - n]), exact=True, **exact)
        rows.append(res | {"outcome": col, "by": by})
    table = pd.concat(parts, ignore_index=True)
    return Breakdown(qid, by, table, _test_frame(rows))


def _breakdown_design(data, instrument, qid, by, design, confidence) -> Breakdown:
    """:func:`breakdown_question` with a survey design (see there)."""
    q = instrument.question(qid)
    if q.type == "multi":
        cols = [option_column(qid, o.code) for o in q.options]
        for c in cols:
            check_column(data, c, "option column")
        answered = data[cols].notna().any(axis=1).to_numpy()
        parts, tests = [], []
        for opt, col in zip(q.options, cols, strict=True):
            chosen = option_selected(data, col)
            codes = np.where(answered, np.where(chosen, 0, 1), -1)
            flag = pd.Categorical.from_codes(codes, ["chosen", "not chosen"])
            frame = pd.DataFrame({by: data[by], "_opt": flag}, index=data.index)
            dist = dz.svy_distribution(frame, design, "_opt", by=by, confidence=confidence)
            part = dist[dist["level"] == "chosen"].assign(level=opt.label)
            parts.append(part)
            test = dz.svy_chisq(frame, design, "_opt", by)
            tests.append(test.assign(outcome=col))
        table = pd.concat(parts, ignore_index=True)
        return Breakdown(qid, by, table, pd.concat(tests, ignore_index=True))
    if q.type not in ("single", "rating", "count"):
        raise ArgumentError(
            f"question {qid} is '{q.type}'; breakdowns are for single, rating, count and multi"
        )
    shown = bin_column(qid) if q.type == "count" else qid
    table = dz.svy_distribution(data, design, shown, by=by, confidence=confidence)
    if q.type == "single":
        return Breakdown(qid, by, table, dz.svy_chisq(data, design, qid, by))
    tests, posthoc = dz.rank_family(data, design, qid, by)
    if tests["test"].iloc[0] == "none":
        posthoc = pd.DataFrame()
    return Breakdown(qid, by, table, tests, posthoc)
