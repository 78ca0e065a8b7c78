"""Generic survey statistics: intervals, distributions and group tests, each a tidy DataFrame.

Two layers live here:

* **Generic functions** take a DataFrame plus column names, never modify their input, take the
  missing-data rule as an explicit ``missing`` argument and return a tidy DataFrame with stable
  column names: :func:`proportion_interval`, :func:`distribution`, :func:`mean_interval`,
  :func:`median_interval`, :func:`quartiles`, :func:`top_box`, :func:`crosstab`,
  :func:`independence_test`, :func:`kruskal_test`, :func:`dunn_test`, :func:`adjust_pvalues`.
* **Instrument-driven** :func:`breakdown_question` (what the report notebooks call) picks the
  right test for a question's type.

Every test row says which test was used and why (columns ``test`` and ``reason``), so the
appendix can print the choice. The rules are documented in ``docs/statistics.md``.

``missing`` is one of ``"exclude"`` (drop rows where a named column is NA: listwise deletion,
R's ``na.rm = TRUE`` / ``na.omit``) or ``"raise"`` (raise :class:`DataValidationError` naming the
column and the first rows with NA, R's ``na.fail``).

The code lives in :mod:`.intervals`, :mod:`.tables` (contingency tables and their tests),
:mod:`.ranks` (rank tests, multiplicity) and :mod:`.breakdown`; this package re-exports their
public names.
"""

from giftreview.analysis.common import TEST_COLUMNS, MissingPolicy, check_level, valid_rows
from giftreview.analysis.stats.breakdown import (
    MAX_GROUPS,
    Breakdown,
    breakdown_question,
    grouping_column,
    option_selected,
)
from giftreview.analysis.stats.intervals import (
    INTERVAL_METHODS,
    distribution,
    interval_method,
    mean_interval,
    median_interval,
    proportion_interval,
    quartiles,
    share_table,
    stat_row,
    top_box,
)
from giftreview.analysis.stats.ranks import adjust_pvalues, dunn_test, kruskal_test
from giftreview.analysis.stats.tables import (
    DEFAULT_ALPHA,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    FISHER_2X2,
    MC_BATCH,
    cochran_rule,
    contingency,
    cramers_v,
    crosstab,
    fisher_monte_carlo,
    independence_test,
    table_test,
)

__all__ = [
    "MissingPolicy",
    "MAX_GROUPS",
    "grouping_column",
    "INTERVAL_METHODS",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "DEFAULT_ALPHA",
    "MC_BATCH",
    "FISHER_2X2",
    "TEST_COLUMNS",
    "check_level",
    "interval_method",
    "valid_rows",
    "proportion_interval",
    "distribution",
    "share_table",
    "top_box",
    "mean_interval",
    "median_interval",
    "quartiles",
    "stat_row",
    "contingency",
    "crosstab",
    "cochran_rule",
    "cramers_v",
    "table_test",
    "fisher_monte_carlo",
    "independence_test",
    "kruskal_test",
    "dunn_test",
    "adjust_pvalues",
    "option_selected",
    "Breakdown",
    "breakdown_question",
]
