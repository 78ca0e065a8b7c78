"""Collapsed views of a breakdown: answers grouped and small groups merged, published safely.

When suppression hides more than a set share of a breakdown's cells, a coarser view (ratings
bottom / neutral / top or top / rest, choices top-k plus "all other answers", the largest groups
kept and the rest merged) is published beside the full table. The view and the full table are
audited together (:mod:`giftreview.analysis.disclosure.audit`): no hidden count of either can be
recovered from both displays.

In R: ``sdcTable::protectLinkedTables`` audits linked tables the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from giftreview.analysis.disclosure.audit import joint_audit
from giftreview.analysis.disclosure.suppression import (
    Suppressed,
    _counts,
    suppress,
    suppressed_share,
)
from giftreview.errors import ArgumentError

__all__ = [
    "DEFAULT_COLLAPSE_SHARE",
    "OTHER_CATEGORY",
    "OTHER_GROUPS",
    "span_label",
    "scale_groupings",
    "choice_groupings",
    "group_mergings",
    "Collapsed",
    "collapse",
]

#: collapse a breakdown when suppression hides more than this share of its cells
DEFAULT_COLLAPSE_SHARE = 0.30
#: name of the category holding every option outside the top k
OTHER_CATEGORY = "all other answers"


def span_label(labels: list[str]) -> str:
    """A category of consecutive levels in words: ``"A"``, ``"A or B"``, ``"A to C"``."""
    labels = [str(v) for v in labels]
    if len(labels) <= 2:
        return " or ".join(labels)
    return f"{labels[0]} to {labels[-1]}"


def scale_groupings(levels: list[str], neutral: str | None = None) -> list[dict[str, str]]:
    """Ways to collapse an ordered scale, most detailed first (level -> category label).

    1. Bottom / neutral / top: the levels below the neutral level, the neutral level, those
       above it; an even scale (``neutral=None``) splits into bottom and top halves.
    2. Top / rest (odd scales only): the levels above the neutral level against all others.

    A scale of two levels has nothing to collapse (empty list).

    Examples
    --------
    >>> scale_groupings(["No", "Maybe", "Yes"], "Maybe")  # 3 levels: top against the rest
    [{'No': 'No or Maybe', 'Maybe': 'No or Maybe', 'Yes': 'Yes'}]
    >>> scale_groupings(["1", "2", "3", "4"])[0]
    {'1': '1 or 2', '2': '1 or 2', '3': '3 or 4', '4': '3 or 4'}
    """
    levels = [str(v) for v in levels]
    if neutral is not None and str(neutral) not in levels:
        raise ArgumentError(f"`neutral` {neutral!r} is not one of `levels` {levels}")
    if len(levels) <= 2:
        return []
    if neutral is None:
        half = len(levels) // 2
        parts = [levels[:half], levels[half:]]
        return [{lv: span_label(p) for p in parts for lv in p}]
    mid = levels.index(str(neutral))
    below, above = levels[:mid], levels[mid + 1 :]
    three = [p for p in (below, [levels[mid]], above) if p]
    out = [{lv: span_label(p) for p in three for lv in p}]
    if below and above:
        rest = below + [levels[mid]]
        out.append({lv: span_label(p) for p in (rest, above) for lv in p})
    # a scale whose 3-way grouping changes nothing (3 levels) is still offered: the top/rest
    # grouping follows it
    return [g for g in out if len(set(g.values())) < len(levels)] or out[-1:]


def choice_groupings(totals: pd.Series, *, other: str = OTHER_CATEGORY) -> list[dict[str, str]]:
    """Top-k options plus ``other``, for k from (options - 1) down to 1 (most detailed first).

    ``totals``: count of each option over all groups (index = option labels, in the
    instrument's order); ties keep that order. An option already named ``other`` keeps its
    name inside the ``other`` category.
    """
    labels = [str(v) for v in totals.index]
    order = sorted(range(len(labels)), key=lambda i: (-float(totals.iloc[i]), i))
    out = []
    for k in range(len(labels) - 1, 0, -1):
        top = {labels[i] for i in order[:k]}
        out.append({lv: lv if lv in top else other for lv in labels})
    return out


#: name of the row holding every group outside the largest ones in a collapsed view
OTHER_GROUPS = "all other groups"


def group_mergings(sizes: pd.Series, *, other: str = OTHER_GROUPS) -> list[dict[str, str]]:
    """Keep the m largest groups and merge the rest into ``other``, m from all groups down to 1.

    ``sizes``: respondents per group (index = group labels, in the instrument's order); ties
    keep that order. The first mapping keeps every group; a merge of a single group is skipped
    (it would only rename it).
    """
    labels = [str(v) for v in sizes.index]
    order = sorted(range(len(labels)), key=lambda i: (-float(sizes.iloc[i]), i))
    out = [{g: g for g in labels}]
    for m in range(len(labels) - 2, 0, -1):
        keep = {labels[i] for i in order[:m]}
        out.append({g: g if g in keep else other for g in labels})
    return out


@dataclass(frozen=True)
class Collapsed:
    """A collapsed view of a breakdown, safe to publish beside the full table.

    ``mapping``: full answer -> category; ``groups``: full group -> row of the view;
    ``counts``: view rows x categories; ``suppressed``: its suppression (audited jointly with
    the full table); ``full``: the full table's suppression to publish beside it (the input's,
    with the further cells the joint audit hid); ``share``: share of its cells hidden; ``full_share``: share of the full
    table's cells hidden; ``threshold``: the share above which a table is collapsed.
    """

    mapping: dict[str, str]
    groups: dict[str, str]
    counts: pd.DataFrame
    suppressed: Suppressed
    full: Suppressed
    share: float
    full_share: float
    threshold: float

    @property
    def merged(self) -> dict[str, list[str]]:
        """Category -> the answers merged into it (categories of two or more answers only)."""
        return _merged(self.mapping)

    @property
    def merged_groups(self) -> dict[str, list[str]]:
        """View row -> the groups merged into it (rows of two or more groups only)."""
        return _merged(self.groups)

    def describe(self) -> str:
        """What was collapsed and why, in plain words (for a caption)."""
        parts = [f"{c} = {', '.join(v)}" for c, v in self.merged.items()]
        parts += [f"{c} = {', '.join(v)}" for c, v in self.merged_groups.items()]
        return (
            f"Small-cell suppression hides {self.full_share:.0%} of the cells of the full table "
            f"(more than {self.threshold:.0%}), so answers are also shown grouped "
            f"({'; '.join(parts)}); this view hides {self.share:.0%} of its cells."
        )


def _merged(mapping: dict[str, str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item, into in mapping.items():
        out.setdefault(into, []).append(item)
    return {c: v for c, v in out.items() if len(v) > 1}


def collapse(
    table: pd.DataFrame,
    full: Suppressed,
    groupings: list[dict[str, str]],
    *,
    k: int = 5,
    zeros: str = "show",
    threshold: float = DEFAULT_COLLAPSE_SHARE,
    merge_groups: bool = True,
    max_tries: int = 2,
) -> Collapsed | None:
    """A collapsed view of ``table`` that is safe to publish with it; None when not needed.

    Parameters
    ----------
    table
        Counts, groups x answers (as given to :func:`suppress`); not modified.
    full
        ``suppress(table, k=k, zeros=zeros)``: the full table as it is published.
    groupings
        Candidate mappings answer -> category, most detailed first
        (:func:`scale_groupings`, :func:`choice_groupings`).
    k, zeros
        As for :func:`suppress`.
    threshold
        Collapse only when ``suppressed_share(full) > threshold``.
    merge_groups
        Also try keeping only the largest groups (:func:`group_mergings`) when answer groupings
        alone still hide more than ``threshold`` (small groups hide every split of their answers).
    max_tries
        Candidates audited at most (in order of the share their own suppression hides).

    Returns
    -------
    Collapsed or None
        Among candidates whose own suppression hides at most ``threshold`` of their cells, the
        one keeping most groups (then the most detailed grouping) whose audited view still
        does; else the audited view hiding the least. None when the
        full table hides at most ``threshold``, or no candidate can be protected.

    Notes
    -----
    A view cell is a sum of full cells, so the two tables together tell an attacker more than
    either alone (a "<5" full cell is its collapsed cell less the published neighbours). Each
    candidate is suppressed on its own (primary, secondary) and then audited **jointly** with
    the full table: for every hidden cell of either table, the smallest and largest true value
    consistent with both displays is found by integer programming
    (:func:`scipy.optimize.milp`; merged rows and columns together need not give a totally
    unimodular system, so the linear relaxation is not enough). While a cell can be pinned
    down, cells and then totals of the view are hidden. In R, ``sdcTable::protectLinkedTables``
    protects linked tables.
    """
    _counts(table)  # checks the counts
    if not 0 <= float(threshold) < 1:
        raise ArgumentError(
            f"`threshold` must be a share from 0 to 1 (e.g. 0.3); got {threshold!r}"
        )
    threshold, full_share = float(threshold), suppressed_share(full)
    if full.k <= 0 or full_share <= threshold:
        return None
    for mapping in groupings:
        _check_mapping(mapping, [str(c) for c in table.columns], "answers", "column")
    same = {str(g): str(g) for g in table.index}
    # the largest groups kept, the rest merged (m from all but two down to one)
    largest = group_mergings(table.sum(axis=1))[1:] if merge_groups else []
    cands = []
    for c in groupings:
        for r in [same, *([_clean_rows(table, c, k, zeros), *largest] if merge_groups else [])]:
            if r is None or any(r == x for _, _, _, x, y in cands if y == c):
                continue
            view = _merge(table, r, c)
            quick = suppressed_share(suppress(view, k=k, zeros=zeros))
            # within the threshold, most rows (groups kept) first; above it, least hidden first
            order = quick if quick > threshold else -len(view)
            cands.append((quick > threshold, order, len(cands), r, c))
    best = None
    for *_, r, c in sorted(cands, key=lambda t: t[:3])[:max_tries]:
        view = _merge(table, r, c)
        both = joint_audit(table, full, view, r, c, zeros)
        if both is None:
            continue
        got = Collapsed(
            c, r, view, both[1], both[0], suppressed_share(both[1]), full_share, threshold
        )
        if got.share <= threshold:
            return got
        if best is None or got.share < best.share:
            best = got
    return best


def _clean_rows(table: pd.DataFrame, cols: dict[str, str], k: int, zeros: str):
    """Groups whose collapsed answers hold no small count kept; the others merged into one row.

    None when fewer than two groups would be merged (nothing to gain).
    """
    view = _merge(table, {str(g): str(g) for g in table.index}, cols).to_numpy()
    low = 1 if zeros == "show" else 0
    small = ((view >= low) & (view < k)).any(axis=1)
    if small.sum() < 2 or small.all():
        return None  # nothing gained by renaming one group, nothing left to compare if all merge
    return {
        str(g): OTHER_GROUPS if bad else str(g) for g, bad in zip(table.index, small, strict=True)
    }


def _check_mapping(mapping: dict[str, str], items: list[str], what: str, axis: str) -> None:
    missing = [v for v in items if v not in mapping]
    if missing:
        raise ArgumentError(
            f"the grouping {mapping} does not place the {what} {missing}; map every {axis} "
            "of `table` to a category"
        )


def _merge(table: pd.DataFrame, rows: dict[str, str], cols: dict[str, str]) -> pd.DataFrame:
    """Counts summed into view rows x view columns (order of first appearance; the row of
    merged groups last)."""
    arr = _counts(table)
    r_keys = [rows[str(g)] for g in table.index]
    c_keys = [cols[str(c)] for c in table.columns]
    r_lab, c_lab = list(dict.fromkeys(r_keys)), list(dict.fromkeys(c_keys))
    r_lab.sort(key=lambda g: g == OTHER_GROUPS)  # merged groups last, the others in order
    out = np.zeros((len(r_lab), len(c_lab)), dtype=np.int64)
    for i, rk in enumerate(r_keys):
        for j, ck in enumerate(c_keys):
            out[r_lab.index(rk), c_lab.index(ck)] += arr[i, j]
    return pd.DataFrame(out, index=pd.Index(r_lab), columns=pd.Index(c_lab))
