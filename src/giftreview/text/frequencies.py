"""Theme frequencies of a coded open question: n, share of those who answered, Wilson interval.

Counts per group come from one groupby over the long table of codes; small cells are suppressed
through :func:`giftreview.analysis.disclosure.suppress` so no group cell can be recovered from
the overall count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse

from giftreview.analysis.disclosure import suppress
from giftreview.analysis.stats import proportion_interval
from giftreview.errors import ArgumentError, check_column
from giftreview.text.codebook import parse_codebook  # noqa: F401
from giftreview.text.coding import CodedAnswers, arrow_text, code_question  # noqa: F401

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


def _positions(values: pd.Series, of: pa.Array) -> np.ndarray:
    """Each value's position in ``of`` (distinct texts), -1 when absent: Arrow's hash look-up."""
    at = pc.index_in(arrow_text(values), value_set=of.cast(pa.large_string()))
    return at.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _group_members(
    coded: CodedAnswers, data: pd.DataFrame, by: str | None
) -> tuple[pa.Array, np.ndarray, np.ndarray, list[str]]:
    """Everyone who answered, once in ``All`` and once per ``by`` group, on integer positions.

    Returns the respondent ids (each once, Arrow's ``dictionary_encode`` of the answered ids), then
    one entry per (respondent, group) membership: the respondent's position in those ids and
    the group's position in the group names (in order of appearance: ``All``, then the groups
    in the order of the answers). A respondent whose id appears on several rows of ``data``
    belongs once per row, as a merge on the id would give.
    """
    rows = coded.rows_in(data)  # positions the coding kept: no id looked up
    if rows is not None:  # the answered ids are distinct (answers_of checks it)
        index = arrow_text(coded.answered["respondent_id"])
        rid = np.arange(len(index), dtype=np.int64)
    else:
        ids = pc.dictionary_encode(arrow_text(coded.answered["respondent_id"]))
        rid = ids.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        index = ids.dictionary
    labels: list[object] = ["All"]
    members = [rid]
    label_of = [np.zeros(len(rid), dtype=np.int64)]
    if by is not None:
        check_column(data, by, "by")
        if rows is not None:
            at = np.full(len(data), -1, dtype=np.int64)  # -1: did not answer
            at[rows[1]] = rid
        else:
            at = _positions(data["respondent_id"], index)  # -1: did not answer
        rows = np.flatnonzero((at >= 0) & data[by].notna().to_numpy())
        rows = rows[np.argsort(at[rows], kind="stable")]  # in the order of the answers
        codes, values = pd.factorize(data[by].iloc[rows])
        labels += [str(v) for v in values]  # a group's name as text, as the table shows it
        members.append(at[rows])
        label_of.append(1 + codes.astype(np.int64))
    # one group per distinct name (a group called "All" joins the overall row, as before)
    name_code, names = pd.factorize(np.asarray(labels, dtype=object))
    gid, order = pd.factorize(name_code[np.concatenate(label_of)])
    return index, np.concatenate(members), gid, [str(names[i]) for i in order]


def _count_themes(
    coded: CodedAnswers, members: tuple[pa.Array, np.ndarray, np.ndarray, list[str]]
) -> pd.DataFrame:
    """n (auto and human), base per group and theme: every group (in order of appearance) times
    every theme of the codebook, zero counts included.

    With M the respondents x groups membership counts and C the respondents x themes code
    counts, n = M'C (respondents named once per code row, as a merge of codes and members on
    the respondent gives); base counts each group's distinct respondents. Sparse matrices of
    integer positions (scipy.sparse) instead of merges on the id strings.
    """
    index, rid, gid, groups = members
    themes = list(coded.codebook.ids)
    codes = coded.codes
    if coded.code_rows is not None and len(index) == len(coded.answered):
        crid = coded.code_rows  # each code's answer: a position in the (distinct) answered ids
    else:
        crid = _positions(codes["respondent_id"], index)
    ctheme = _positions(codes["theme"], pa.array(themes, type=pa.large_string()))
    ok = (crid >= 0) & (ctheme >= 0)  # codes of no answer or of no theme are not counted
    human = (codes["source"] == "human").to_numpy()[ok]
    crid, ctheme = crid[ok], ctheme[ok]
    shape_m, shape_c = (len(index), len(groups)), (len(index), len(themes))
    # csr sums repeated (respondent, group) entries: m.indices then lists each pair once
    m = sparse.csr_matrix((np.ones(len(rid), np.int64), (rid, gid)), shape=shape_m)
    c = sparse.csr_matrix((np.ones(len(crid), np.int64), (crid, ctheme)), shape=shape_c)
    h = sparse.csr_matrix((human.astype(np.int64), (crid, ctheme)), shape=shape_c)
    size = np.asarray((m.T @ c).todense(), dtype=np.int64).ravel()
    n_human = np.asarray((m.T @ h).todense(), dtype=np.int64).ravel()
    base = np.bincount(m.indices, minlength=len(groups)).astype(np.int64)  # distinct (rid, gid)
    out = pd.DataFrame(
        {
            "question": coded.question,
            "group": np.repeat(np.asarray(groups, dtype=object), len(themes)),
            "theme": np.tile(np.asarray(themes, dtype=object), len(groups)),
        }
    )
    out["label"] = out["theme"].map(coded.codebook.labels())
    out["n"] = size
    out["base"] = np.repeat(base, len(themes))
    out["n_human"] = n_human
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
