"""The names a report page shows of a list question: each group's most named institutions.

:func:`cap_by_group` keeps, per group, the ``cap`` most named institutions of
:func:`giftreview.text.lists.table_by_group`'s table and says what it left out, so a page stays
readable when a large wave names hundreds of thousands of distinct institutions.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from giftreview.errors import ArgumentError, check_column

__all__ = ["DEFAULT_NAMES_SHOWN", "NamesCapped", "cap_by_group"]

#: default number of names shown per group of a list question (:func:`cap_by_group`)
DEFAULT_NAMES_SHOWN = 30


@dataclass(frozen=True)
class NamesCapped:
    """:func:`cap_by_group`'s answer: the rows shown and what the cap left out.

    ``others`` counts the (group, name) rows left out, ``mentions`` sums their published counts
    (those of ``k`` or more) and ``small`` counts the rows left out whose count is shown as
    ``"<k"`` (their counts are not added to ``mentions``: the sum would disclose them).
    ``names`` counts the distinct names among the rows left out (fewer than ``others`` when a
    name is left out of more than one group).
    """

    shown: pd.DataFrame
    others: int
    mentions: int
    small: int
    names: int = 0


def cap_by_group(table: pd.DataFrame, *, cap: int | None = DEFAULT_NAMES_SHOWN) -> NamesCapped:
    """Each group's ``cap`` most named institutions of ``table_by_group``'s table.

    Parameters
    ----------
    table
        Output of :func:`giftreview.text.lists.table_by_group`, in its order (group, then ``n`` descending, then name):
        ties at the cap are broken by that order (the alphabetically first name is kept).
    cap
        Names kept per group (at least 1); ``None`` keeps them all.

    Returns
    -------
    NamesCapped
        The kept rows (a positional slice of ``table``, nothing else copied or rebuilt) and the
        number of rows left out, the sum of their published counts and the number of them
        shown as ``"<k"``. In R: ``dplyr::slice_head(dplyr::group_by(table, group), n = cap)``.
    """
    for c in ("group", "n", "suppressed"):
        check_column(table, c, "table")
    if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
        raise ArgumentError(f"`cap` must be a whole number of at least 1 or None, got {cap!r}")
    if cap is None or table.empty:
        return NamesCapped(table, 0, 0, 0)
    # the rank of each row within its group, on the group column's codes (no per-name objects)
    keep = table.groupby("group", sort=False, observed=True).cumcount().to_numpy() < cap
    rest = table[~keep]
    published = (rest["suppressed"] == "").to_numpy()
    mentions = int(rest["n"].to_numpy()[published].sum())
    names = int(rest["name"].nunique()) if "name" in rest.columns else len(rest)
    return NamesCapped(table[keep], len(rest), mentions, int((~published).sum()), names)
