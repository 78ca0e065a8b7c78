"""Score one closed question of the instrument: distribution, intervals and summaries.

:func:`score_question` is what the report notebooks call; the question type (from the
instrument) decides what is computed:

* ``single``: distribution of the options with intervals;
* ``rating``: distribution of the scale levels, mean and median of the level numbers with
  intervals, top-box share with its interval;
* ``count``: distribution of the instrument's bins, mean, median with interval and quartiles of
  the numbers;
* ``multi``: share of respondents selecting each option; the base is the respondents who answered
  the question (stated in ``base_statement``) and the "Other (specify)" text is kept.

Missing codes ("Don't know", "N/A") and blanks are never part of a base; they are counted in the
summary. The statistics come from :mod:`giftreview.analysis.stats`; with a survey design
(:mod:`giftreview.analysis.design`) every figure is design-based instead: distribution, mean,
median, quartiles and top box are weighted, with Taylor-linearised intervals (R ``svymean``,
``svyciprop``, ``svyquantile``), and the unweighted counts stay as ``n``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from giftreview.analysis import stats
from giftreview.analysis.design import (
    poststratify,
    svy_distribution,
    svy_mean,
    svy_quantile,
    svy_share,
    svydesign,
)
from giftreview.data.instrument import (
    Instrument,
    bin_column,
    missing_column,
    option_column,
    other_column,
)
from giftreview.data.spec import CLOSED_TYPES, bin_counts
from giftreview.errors import ArgumentError, check_column

__all__ = [
    "SUMMARY_COLUMNS",
    "QuestionScore",
    "score_question",
    "top_box_levels",
    "simulate_clean",
]

SUMMARY_COLUMNS = ["statistic", "estimate", "ci_low", "ci_high", "n", "selected", "method"]


@dataclass(frozen=True)
class QuestionScore:
    """The scored question.

    ``table``: tidy distribution ``level, n, base, pct, ci_low, ci_high, method`` (percentages
    of ``base``); ``summary``: tidy rows ``statistic, estimate, ci_low, ci_high, n, method``
    (``answered``, one ``missing: <label>`` row per missing code, ``blank``, and for ratings and
    counts ``mean``/``median``/quartiles, for ratings ``top_box``; ``n`` is always the base,
    ``selected`` the answers in the top box, NA elsewhere); ``base_statement``: the base
    in words; ``other_text``: the "Other (specify)" answers of a multiple-choice question (raw
    respondent text: escape it before rendering).
    """

    qid: str
    qtype: str
    table: pd.DataFrame
    summary: pd.DataFrame
    base_statement: str
    other_text: pd.Series = field(default_factory=lambda: pd.Series(dtype="string"))


def score_question(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    confidence: float = 0.95,
    method: str = "wilson",
    weights: pd.Series | None = None,
    design=None,
) -> QuestionScore:
    """Score closed question ``qid`` of ``instrument`` on clean data.

    Parameters
    ----------
    data
        The clean table (``docs/data-contract.md``); not modified.
    instrument
        The instrument that describes ``data``.
    qid
        A closed question (single, rating, count or multi).
    confidence, method
        Interval level and proportion interval method (see :func:`stats.proportion_interval`).
    weights
        Optional post-stratification weights aligned with ``data`` (from
        :func:`giftreview.analysis.weights.poststratify` on the instrument's ``group_by``); the
        same as passing the design ``postStratify(svydesign(ids = ~1), ~group_by, totals)``.
    design
        A :class:`giftreview.analysis.design.Design` built on ``data`` (e.g.
        :func:`~giftreview.analysis.design.design_from_instrument`). Every figure is then
        design-based: the table's ``pct``, ``se``, ``deff`` and logit interval; ``mean`` (t
        interval on the design degrees of freedom), ``median`` and quartiles (Woodruff
        intervals) and ``top_box`` (logit interval). ``n`` stays the unweighted count.

    Returns
    -------
    QuestionScore

    Examples
    --------
    >>> s = score_question(clean, instrument, "B1")          # doctest: +SKIP
    >>> s.table[["level", "n", "pct", "ci_low", "ci_high"]]  # doctest: +SKIP
    """
    q = instrument.question(qid)
    stats.check_level(confidence)
    stats.interval_method(method)
    if weights is not None and design is None:
        design = _poststratified_design(data, instrument, weights)
    if q.type == "multi":
        return _score_multi(data, instrument, qid, confidence, method, design)
    if q.type not in ("single", "rating", "count"):
        raise ArgumentError(
            f"question {qid} is '{q.type}' (free text); score_question scores single, rating, "
            "count and multi questions; open answers are coded by giftreview.text.coding"
        )
    shown = bin_column(qid) if q.type == "count" else qid
    check_column(data, shown, "qid")
    rows = [_answered(data, qid), *_missing_rows(data, instrument, qid)]
    if design is not None:
        table = _design_table(data, design, shown, confidence)
        rows += _design_summary(data, instrument, design, qid, confidence)
    else:
        table = stats.distribution(data, shown, confidence=confidence, method=method)
        rows += _summary(data, instrument, qid, confidence, method)
    summary = pd.concat([r.reindex(columns=SUMMARY_COLUMNS) for r in rows], ignore_index=True)
    base = int(table["base"].iloc[0]) if len(table) else 0
    return QuestionScore(
        qid, q.type, table, summary, f"base = {base} respondents who answered {qid}"
    )


def _summary(data, instrument, qid, confidence, method) -> list[pd.DataFrame]:
    """Unweighted summary rows of a rating or count question."""
    q = instrument.question(qid)
    rows = []
    if q.type in ("rating", "count"):
        rows += [
            stats.mean_interval(data, qid, confidence=confidence),
            stats.median_interval(data, qid, confidence=confidence),
        ]
    if q.type == "count":
        rows.append(stats.quartiles(data, qid).query("statistic != 'median'"))
    if q.type == "rating":
        top = top_box_levels(instrument, qid)
        if top:
            rows.append(stats.top_box(data, qid, top, confidence=confidence, method=method))
    return rows


def _design_table(data, design, column, confidence) -> pd.DataFrame:
    return svy_distribution(data, design, column, confidence=confidence)


def _design_summary(data, instrument, design, qid, confidence) -> list[pd.DataFrame]:
    """Design-based summary rows of a rating or count question (mean, median, top box...)."""
    q = instrument.question(qid)
    if q.type not in ("rating", "count"):
        return []
    mean = svy_mean(data, design, qid, confidence=confidence)
    rows = [mean.assign(method="design-based mean, Taylor linearised t interval")]
    probs = [0.25, 0.5, 0.75] if q.type == "count" else [0.5]
    quant = svy_quantile(data, design, qid, probs, confidence=confidence)
    names = {0.25: "q1", 0.5: "median", 0.75: "q3"}
    quant["statistic"] = quant["quantile"].map(names)
    quant["method"] = "design-based quantile, Woodruff interval"
    rows.append(quant)
    if q.type == "rating":
        top = top_box_levels(instrument, qid)
        if top:
            ind = data[qid].isin(top).astype("boolean").where(data[qid].notna())
            share = svy_share(data.assign(_top=ind), design, "_top", confidence=confidence)
            share[["estimate", "ci_low", "ci_high"]] *= 100
            share["n"] = int(ind.notna().sum())  # the base, as in every summary row
            share["selected"] = int(ind.fillna(False).sum())
            rows.append(share.assign(statistic="top_box"))
    return rows


def _poststratified_design(data: pd.DataFrame, instrument: Instrument, weights: pd.Series):
    """The design behind post-stratification weights on ``group_by`` (equal base weights)."""
    if instrument.group_by is None:
        raise ArgumentError("`weights` needs the instrument's group_by (the post-strata)")
    if not isinstance(weights, pd.Series) or not weights.index.equals(data.index):
        raise ArgumentError(
            "`weights` must be a pandas Series with the same index as `data` (as returned by "
            "giftreview.analysis.weights.poststratify(data, ...))"
        )
    frame = pd.DataFrame({"cell": data[instrument.group_by].astype("string")}, index=data.index)
    totals = weights.groupby(frame["cell"]).sum().to_dict()
    return poststratify(svydesign(frame), frame, "cell", totals)


def _answered(data: pd.DataFrame, qid: str) -> pd.DataFrame:
    n = int(data[qid].notna().sum())
    return stats.stat_row("answered", float(n), np.nan, np.nan, n, "count")


def _missing_rows(data: pd.DataFrame, instrument: Instrument, qid: str) -> list[pd.DataFrame]:
    """One row per missing code (count of respondents giving it) and one for blanks."""
    mcol = missing_column(qid)
    labels = data[mcol] if mcol in data.columns else pd.Series(pd.NA, index=data.index)
    rows = []
    for code in instrument.missing_of(qid):
        n = int((labels == code.label).fillna(False).sum())
        rows.append(stats.stat_row(f"missing: {code.label}", float(n), np.nan, np.nan, n, "count"))
    answered = _answered_mask(data, instrument, qid)
    blank = int((~answered & labels.isna().to_numpy()).sum())
    rows.append(stats.stat_row("blank", float(blank), np.nan, np.nan, blank, "count"))
    return rows


def _answered_mask(data: pd.DataFrame, instrument: Instrument, qid: str) -> np.ndarray:
    q = instrument.question(qid)
    if q.type == "multi":
        cols = [option_column(qid, o.code) for o in q.options]
        return data[cols].notna().any(axis=1).to_numpy()
    return data[qid].notna().to_numpy()


def top_box_levels(instrument: Instrument, qid: str) -> list[str]:
    """Labels of rating question ``qid``'s top-box levels (the scale's ``top_box``), lowest first."""
    scale = instrument.scale_of(qid)
    codes = {str(c) for c in scale.top_box}
    return [lv.label for lv in scale.levels if str(lv.code) in codes]


def _score_multi(data, instrument, qid, confidence, method, design) -> QuestionScore:
    q = instrument.question(qid)
    cols = [option_column(qid, o.code) for o in q.options]
    for c in cols:
        check_column(data, c, "qid")
    answered = _answered_mask(data, instrument, qid)
    base = int(answered.sum())
    counts = np.array([int((stats.option_selected(data, c) & answered).sum()) for c in cols])
    table = stats.share_table([o.label for o in q.options], counts, base, confidence, method)
    if design is not None:
        table = _weighted_options(data, design, cols, answered, table, confidence)
    n_ans = stats.stat_row("answered", float(base), np.nan, np.nan, base, "count")
    summary = pd.concat([n_ans, *_missing_rows(data, instrument, qid)], ignore_index=True).reindex(
        columns=SUMMARY_COLUMNS
    )
    ocol = other_column(qid)
    other = (
        data.loc[data[ocol].notna(), ocol].astype("string")
        if ocol in data.columns
        else pd.Series(dtype="string")
    )
    return QuestionScore(
        qid, "multi", table, summary, f"base = {base} respondents who answered {qid}", other
    )


def _weighted_options(data, design, cols, answered, table, confidence) -> pd.DataFrame:
    """Design-based share of each option among the respondents who answered (R ``svyciprop``)."""
    out = table.copy()
    out["se"] = np.nan
    out["deff"] = np.nan
    for i, c in enumerate(cols):
        ind = pd.Series(stats.option_selected(data, c), index=data.index, dtype="boolean")
        res = svy_share(
            data.assign(_ind=ind.where(answered)), design, "_ind", confidence=confidence
        )
        r = res.iloc[0]
        out.loc[i, ["pct", "se", "ci_low", "ci_high"]] = 100 * np.array(
            [r.estimate, r.se, r.ci_low, r.ci_high]
        )
        out.loc[i, "deff"] = r.deff
    out["method"] = res["method"].iloc[0]
    return out


def simulate_clean(
    instrument: Instrument, n: int, *, seed: int = 20100301, missing_rate: float = 0.05
) -> pd.DataFrame:
    """Random clean-shaped data for the instrument's closed questions (benchmarks, examples).

    Follows ``docs/data-contract.md``: categoricals for single/rating, Float64 + bins for counts,
    nullable booleans per option for multi, ``__missing`` columns. Not survey data: uniform
    draws, except ratings, which lean on the group (so group tests have something to find).
    """
    rng = np.random.default_rng(seed)
    out: dict[str, object] = {"respondent_id": pd.array([f"r{i}" for i in range(n)], "string")}
    group_codes = None
    for q in instrument.questions_of_type(*CLOSED_TYPES):
        miss = rng.random(n) < missing_rate
        if q.type in ("single", "rating"):
            labels = [o.label for o in instrument.levels_of(q.id)]
            k = len(labels)
            codes = rng.integers(0, k, n)
            if q.type == "rating" and group_codes is not None:
                codes = np.clip(codes + (group_codes % 3) - 1, 0, k - 1)
            if q.id == instrument.group_by:
                miss[:] = False
                group_codes = codes
            codes = np.where(miss, -1, codes)
            out[q.id] = pd.Categorical.from_codes(codes, labels, ordered=q.type == "rating")
        elif q.type == "count":
            vals = np.floor(rng.exponential(4.0, n))
            out[q.id] = pd.array(np.where(miss, np.nan, vals), dtype="Float64")
            out[bin_column(q.id)] = bin_counts(np.where(miss, np.nan, vals), q.bins)
        else:
            for o in q.options:
                sel = pd.array(rng.random(n) < 0.3, dtype="boolean")
                sel[miss] = pd.NA
                out[option_column(q.id, o.code)] = sel
            # "Other (specify)" text for some of those who chose the option coded "other"
            chosen_other = (rng.random(n) < 0.1) & ~miss
            text = np.where(chosen_other, "other topic", None)
            out[other_column(q.id)] = pd.array(text, dtype="string")
        labels_missing = np.array([m.label for m in instrument.missing_of(q.id)] or ["N/A"])
        mlab = pd.array(labels_missing[rng.integers(0, len(labels_missing), n)], dtype="string")
        mlab[~miss] = pd.NA
        out[missing_column(q.id)] = mlab
    return pd.DataFrame(out)
