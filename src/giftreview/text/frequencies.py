"""Theme frequencies of a coded open question: n, share of those who answered, Wilson interval.

Counts per group come from one groupby over the long table of codes; small cells are suppressed
through :func:`giftreview.analysis.disclosure.suppress` so no group cell can be recovered from
the overall count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from giftreview.analysis.disclosure import suppress
from giftreview.analysis.stats import proportion_interval
from giftreview.errors import ArgumentError, check_column
from giftreview.text.codebook import parse_codebook  # noqa: F401
from giftreview.text.coding import CodedAnswers, code_question  # noqa: F401

__all__ = ["theme_frequencies"]


def _wilson(n: pd.Series, base: pd.Series, confidence: float) -> tuple[pd.Series, pd.Series]:
    """Wilson score interval through :func:`giftreview.analysis.stats.proportion_interval`."""
    low, high = proportion_interval(
        n.to_numpy(), base.to_numpy(), confidence=confidence, method="wilson"
    )
    return pd.Series(low, index=n.index), pd.Series(high, index=n.index)


def _suppress(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """Small-cell suppression of a theme table (``group`` x ``theme`` counts in ``n``).

    The group rows go through :func:`giftreview.analysis.disclosure.suppress` with the theme totals (the
    ``All`` rows) published, so a suppressed sector cell cannot be recovered from the overall
    count; an ``All`` cell is suppressed when below ``k`` or when disclosure hides that total.
    """
    out = table.copy()
    status = pd.Series("", index=out.index, dtype=object)
    is_all = out["group"] == "All"
    if k > 0 and (~is_all).any():
        sub = out[~is_all]
        wide = sub.pivot_table(index="group", columns="theme", values="n", aggfunc="sum",
                               sort=False, observed=False).fillna(0).astype(int)  # fmt: skip
        res = suppress(wide, k=k, margins="columns")
        status[~is_all] = [
            res.status.loc[g, t] for g, t in zip(sub["group"], sub["theme"], strict=True)
        ]
        hidden = set(map(str, res.hidden_totals))
        status[is_all & out["theme"].isin(hidden)] = "secondary"
    if k > 0:
        primary = (out["n"] < k) & ((out["n"] > 0) | (suppress is not None))
        status[primary & (status == "")] = "primary"
    out["suppressed"] = status
    out["n_display"] = out["n"].astype(str)
    out.loc[status == "primary", "n_display"] = f"<{k}"
    out.loc[status == "secondary", "n_display"] = "x"
    for col in ("pct", "ci_low", "ci_high"):
        out[col] = out[col].mask(status != "")
    return out


def _group_members(coded: CodedAnswers, data: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """``respondent_id, group`` of everyone who answered: once as ``All``, once per ``by`` group."""
    ans = coded.answered[["respondent_id"]].assign(group="All")
    if by is None:
        return ans
    check_column(data, by, "by")
    grp = data[["respondent_id", by]].astype({"respondent_id": str}).rename(columns={by: "group"})
    per = ans[["respondent_id"]].merge(grp, on="respondent_id", how="left").dropna(subset=["group"])
    return pd.concat([ans, per.astype({"group": str})], ignore_index=True)


def _count_themes(coded: CodedAnswers, members: pd.DataFrame) -> pd.DataFrame:
    """n (auto and human), base per group and theme: one merge and one groupby, every group (in
    order of appearance) times every theme of the codebook, zero counts included."""
    groups = pd.unique(members["group"])
    base = members.groupby("group", sort=False)["respondent_id"].nunique()
    codes = coded.codes[["respondent_id", "theme", "source"]]
    hits = codes.merge(members, on="respondent_id").assign(human=lambda d: d["source"] == "human")
    counts = hits.groupby(["group", "theme"], sort=False)["human"].agg(["size", "sum"])
    grid = pd.MultiIndex.from_product([groups, coded.codebook.ids], names=["group", "theme"])
    counts = counts.reindex(grid, fill_value=0)
    out = grid.to_frame(index=False)
    out.insert(0, "question", coded.question)
    out.insert(3, "label", out["theme"].map(coded.codebook.labels()))
    out["n"] = counts["size"].to_numpy(dtype="int64")
    out["base"] = base.reindex(groups).to_numpy(dtype="int64")[
        np.repeat(np.arange(len(groups)), len(coded.codebook.ids))
    ]
    out["n_human"] = counts["sum"].to_numpy(dtype="int64")
    out["n_auto"] = out["n"] - out["n_human"]
    cols = ["question", "group", "theme", "label", "n", "base", "n_auto", "n_human"]
    return out[cols]


def theme_frequencies(
    coded: CodedAnswers,
    data: pd.DataFrame,
    *,
    by: str | None = None,
    confidence: float = 0.95,
    k: int = 5,
) -> pd.DataFrame:
    """Respondents mentioning each theme: n, % of those who answered, Wilson interval.

    Parameters
    ----------
    coded
        From :func:`code_question`.
    data
        The clean table (for the grouping column).
    by
        Optional grouping column (e.g. ``"A1"``, the sector); ``None`` gives the overall table.
        The overall rows are always included (group ``"All"``).
    confidence
        Two-sided confidence level of the interval.
    k
        Small-cell threshold (``0`` turns suppression off): counts below ``k`` are shown as
        ``"<k"`` with percentage and interval hidden, and secondary cells as ``"x"`` so that no
        sector cell can be recovered from the overall count (:mod:`giftreview.analysis.disclosure`).

    Returns
    -------
    pandas.DataFrame
        Columns ``question, group, theme, label, n, base, pct, ci_low, ci_high, n_auto, n_human,
        source, suppressed, n_display``, ordered by group then by descending n. ``source`` says
        where the count came from: ``auto``, ``human`` or ``auto+human``; ``suppressed`` is
        ``""``, ``"primary"`` or ``"secondary"`` and ``n_display`` the count as published
        (``"<k"`` or ``"x"`` when suppressed). ``n`` keeps the true count for internal use
        (the narrative draft); publish ``n_display``.

    Notes
    -----
    ``pct = 100 n / base`` where ``base`` is the number of respondents in the group who answered
    the question (blank answers excluded). The Wilson interval is
    ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``. In R: ``prop.test(n, base,
    correct = FALSE)$conf.int``.

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3", "r4"], "why": [
    ...     "Training helped. We need money too.", "No funding came; the workshop was good.", "",
    ...     "Nothing to add."]})
    >>> from giftreview.data.instrument import load_instrument
    >>> coded = code_question(data, load_instrument(), "why", codebook=cb)
    >>> theme_frequencies(coded, data, k=0)[["theme", "n", "base", "pct"]].round(1)
          theme  n  base   pct
    0  training  2     3  66.7
    1   funding  1     3  33.3
    """
    if not 0 < confidence < 1:
        raise ArgumentError(
            f"`confidence` must lie between 0 and 1, got {confidence!r}; e.g. level=0.95"
        )
    out = _count_themes(coded, _group_members(coded, data, by))
    out["pct"] = 100 * out["n"] / out["base"].where(out["base"] > 0)
    low, high = _wilson(out["n"], out["base"], confidence)
    out["ci_low"], out["ci_high"] = 100 * low, 100 * high
    out["source"] = [
        "auto+human" if a and h else ("human" if h else "auto")
        for a, h in zip(out["n_auto"], out["n_human"], strict=True)
    ]
    out = _suppress(out, k)
    groups = ["All"]
    if by is not None:
        col = data[by]
        levels = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else None
        groups += [str(g) for g in (sorted(col.dropna().unique()) if levels is None else levels)]
    out["group"] = pd.Categorical(out["group"], categories=list(dict.fromkeys(groups)))
    out = out.sort_values(["group", "n"], ascending=[True, False], kind="stable")
    cols = ["question", "group", "theme", "label", "n", "base", "pct", "ci_low", "ci_high"]
    cols += ["n_auto", "n_human", "source", "suppressed", "n_display"]
    return out[cols].reset_index(drop=True)
