"""Wave over wave: what changed between two waves of the same survey, and is it more than noise?

Two designs are reported side by side, never mixed:

* **independent waves** - every respondent of wave A against every respondent of wave B: the
  difference in shares with a Newcombe hybrid score interval, and a test of change (Pearson
  chi-square or an exact test for categories, Mann-Whitney for ratings and counts);
* **paired** - only the respondents who answered both waves, matched on the instrument's
  respondent id: McNemar for a yes/no answer, Stuart-Maxwell for categories, Wilcoxon signed-rank
  for ratings, each with its own number of pairs.

Instruments may differ between waves (a question added, an option renamed); :func:`comparable_questions`
says which questions can be compared and why, and :func:`compare_waves` compares only those while
listing the others with the reason.

The tests themselves are in :mod:`giftreview.analysis.independent` and
:mod:`giftreview.analysis.paired`; this module says which questions compare, stacks each pair of
questions and builds the comparison frames (:class:`WaveComparison`), including the change in the
themes of open answers and in the institutions named in lists.

All functions take a *stacked* DataFrame (the two clean tables one under the other; the
clean tables carry a ``wave`` column) plus column names, return a tidy DataFrame and never modify
their input.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from giftreview.analysis.design import Design, StackedDesign, stack_designs, svy_share_change
from giftreview.analysis.independent import (
    _CHANGE_COLUMNS,
    _TEST_COLUMNS,
    PAIRED_UNWEIGHTED,
    Kind,
    _check_conf,
    _test_row,
    _wave_labels,
    design_change_test,
    independent_change_test,
    share_change,
)
from giftreview.analysis.paired import paired_change_test
from giftreview.analysis.stats import adjust_pvalues
from giftreview.data.instrument import Instrument, bin_column, option_column
from giftreview.data.spec import Question
from giftreview.errors import ArgumentError, check_column
from giftreview.text.coding import code_question
from giftreview.text.lists import institution_mentions

__all__ = [
    "comparable_questions",
    "theme_change",
    "institution_change",
    "WaveComparison",
    "open_question_changes",
    "list_question_changes",
    "compare_waves",
]


# ---- comparability ------------------------------------------------------------------------------
def _counterpart(q: Question, inst_a: Instrument) -> Question | None:
    """The question of wave A that ``q`` (wave B) continues: ``comparable_with`` or the same id."""
    target = q.comparable_with or q.id
    return next((x for x in inst_a.questions if x.id == target), None)


def _level_codes(inst: Instrument, q: Question) -> dict[str, str]:
    return {str(o.code): o.label for o in inst.levels_of(q.id)} if q.type != "count" else {}


def _compare_pair(qa: Question, qb: Question, inst_a: Instrument, inst_b: Instrument):
    """(comparable, reason) for a question of wave B and its counterpart in wave A."""
    if qa.type != qb.type:
        return False, f"type changed from {qa.type} to {qb.type}"
    notes = []
    if qa.id != qb.id:
        notes.append(f"renamed from {qa.id} (comparable_with)")
    if " ".join(qa.text.split()) != " ".join(qb.text.split()):
        notes.append("wording changed; read the change with care")
    ca, cb = _level_codes(inst_a, qa), _level_codes(inst_b, qb)
    if ca.keys() != cb.keys():
        added = sorted(set(cb) - set(ca))
        removed = sorted(set(ca) - set(cb))
        what = "scale levels" if qa.type == "rating" else "options"
        return False, f"{what} differ: added {added or 'none'}, removed {removed or 'none'}"
    if qa.type == "rating" and list(ca) != list(cb):
        return False, "scale levels are in a different order"
    renamed = [f"{c}: {ca[c]!r} -> {cb[c]!r}" for c in ca if ca[c] != cb[c]]
    if renamed:
        notes.append("labels renamed (codes kept) " + "; ".join(renamed))
    if qa.type == "count" and [b.model_dump() for b in qa.bins] != [
        b.model_dump() for b in qb.bins
    ]:
        notes.append("reporting bins differ; bins compared as labelled, numbers as numbers")
    if qa.type in ("open",) and qa.codebook and qb.codebook:
        pa, pb = inst_a.codebook_path(qa.id), inst_b.codebook_path(qb.id)
        if pa != pb:
            notes.append("different codebook files; only themes with the same id are compared")
    return True, "; ".join(notes) or "same question, type and answer codes"


def comparable_questions(inst_a: Instrument, inst_b: Instrument) -> pd.DataFrame:
    """Which questions can be compared between the instruments of two waves, and why.

    Parameters
    ----------
    inst_a, inst_b
        The instruments of wave A (earlier) and wave B. A question of B continues a question of A
        when it has the same id or names it in ``comparable_with``.

    Returns
    -------
    pandas.DataFrame
        One row per question of either wave, never dropped: ``question`` (id in B, or in A when
        only A asked it), ``question_a``, ``question_b``, ``type``, ``comparable`` (bool) and
        ``reason``. A question is comparable when both waves asked it with the same type and the
        same answer codes (labels may be renamed; the reason says so).
    """
    rows, used = [], set()
    for qb in inst_b.questions:
        qa = _counterpart(qb, inst_a)
        if qa is None:
            target = qb.comparable_with or qb.id
            rows.append((qb.id, None, qb.id, qb.type, False, f"new in wave B ({target} not in A)"))
            continue
        used.add(qa.id)
        ok, reason = _compare_pair(qa, qb, inst_a, inst_b)
        rows.append((qb.id, qa.id, qb.id, qb.type, ok, reason))
    for qa in inst_a.questions:
        if qa.id not in used:
            rows.append((qa.id, qa.id, None, qa.type, False, "not asked in wave B"))
    out = pd.DataFrame(
        rows, columns=["question", "question_a", "question_b", "type", "comparable", "reason"]
    )
    return out.astype({"comparable": bool})


# ---- open answers and institution lists ---------------------------------------------------------
def theme_change(
    coded: pd.DataFrame,
    theme_columns: list[str],
    wave_column: str = "wave",
    *,
    waves: tuple[str, str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Change in the share of respondents mentioning each theme of an open question.

    Parameters
    ----------
    coded
        One row per respondent who answered the open question, in both waves stacked, with a
        boolean column per theme (True = the answer mentions the theme).
    theme_columns
        The theme columns to compare.
    wave_column, waves, confidence
        As in :func:`share_change`.

    Returns
    -------
    pandas.DataFrame
        One row per theme: the :func:`share_change` columns (``level`` = theme) plus the
        independent-waves test columns (chi-square or Fisher exact on the 2x2 table).

    Notes
    -----
    Each theme is a yes/no answer, so this is :func:`share_change` and
    :func:`independent_change_test` per theme. In R: ``prop.test(c(x_b, x_a), c(n_b, n_a))``
    or ``fisher.test`` on the 2x2 table.
    """
    frames = []
    for col in theme_columns:
        check_column(coded, col, "theme_columns")
        flags = coded[[wave_column, col]].astype({col: "boolean"})
        ch = share_change(flags, col, wave_column, waves=waves, confidence=confidence)
        ch["level"] = col
        test = independent_change_test(flags, col, wave_column, kind="categorical", waves=waves)
        frames.append(pd.concat([ch, test.drop(columns=["n_a", "n_b"])], axis=1))
    if not frames:
        return pd.DataFrame(columns=_CHANGE_COLUMNS + _TEST_COLUMNS)
    return pd.concat(frames, ignore_index=True).rename(columns={"level": "theme"})


def institution_change(
    mentions: pd.DataFrame,
    institution_column: str = "institution",
    wave_column: str = "wave",
    id_column: str = "respondent_id",
    *,
    waves: tuple[str, str] | None = None,
) -> pd.DataFrame:
    """Institutions newly named, no longer named, or named in both waves.

    Parameters
    ----------
    mentions
        Long table of mentions (one row per respondent and institution named), both waves.
    institution_column, wave_column, id_column
        Columns of the normalised institution name, the wave and the respondent.

    Returns
    -------
    pandas.DataFrame
        One row per institution: ``institution, n_a, n_b`` (respondents naming it in each wave)
        and ``status`` (``newly named``, ``no longer named``, ``named in both``), sorted by status
        then by the number of respondents naming it.

    Notes
    -----
    A set comparison of the names (no test: "newly named" by one organization is a fact, not an
    estimate). In R: ``dplyr::full_join`` of the per-wave counts.
    """
    for col, arg in (
        (institution_column, "institution_column"),
        (id_column, "id_column"),
    ):
        check_column(mentions, col, arg)
    wa, wb = _wave_labels(mentions, wave_column, waves)
    named = mentions.dropna(subset=[institution_column]).drop_duplicates(
        [wave_column, id_column, institution_column]
    )
    counts = (
        named.groupby([institution_column, wave_column], observed=True)[id_column]
        .nunique()
        .unstack(wave_column)
        .reindex(columns=[wa, wb])
        .fillna(0)
        .astype(int)
    )
    out = pd.DataFrame(
        {
            "institution": counts.index.astype(str),
            "n_a": counts[wa].to_numpy(),
            "n_b": counts[wb].to_numpy(),
        }
    )
    out["status"] = np.select(
        [(out.n_a == 0) & (out.n_b > 0), (out.n_a > 0) & (out.n_b == 0)],
        ["newly named", "no longer named"],
        default="named in both",
    )
    order = {"newly named": 0, "no longer named": 1, "named in both": 2}
    out["_o"] = out.status.map(order)
    out["_n"] = out.n_a + out.n_b
    out = out.sort_values(["_o", "_n", "institution"], ascending=[True, False, True])
    return out.drop(columns=["_o", "_n"]).reset_index(drop=True)


# ---- whole comparison ---------------------------------------------------------------------------
@dataclass(frozen=True)
class WaveComparison:
    """Everything :func:`compare_waves` found (tidy tables, ready for a notebook)."""

    waves: tuple[str, str]
    comparability: pd.DataFrame
    changes: pd.DataFrame
    tests: pd.DataFrame
    n_matched: int
    themes: pd.DataFrame = field(default_factory=pd.DataFrame)
    institutions: pd.DataFrame = field(default_factory=pd.DataFrame)
    #: the stacked survey design's description when design-based (empty: unweighted)
    design: tuple[str, ...] = ()


def _stack_question(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    cols: tuple[str, str],
    waves: tuple[str, str],
    id_column: str,
    relabel: dict[str, str] | None = None,
) -> pd.DataFrame:
    """One answer column of both waves, stacked as ``id_column, wave, answer``."""
    col_a, col_b = cols
    a = clean_a[[id_column, col_a]].rename(columns={col_a: "answer"})
    b = clean_b[[id_column, col_b]].rename(columns={col_b: "answer"})
    if isinstance(b["answer"].dtype, pd.CategoricalDtype):
        mapped = a["answer"].astype("object").map(lambda v: (relabel or {}).get(v, v))
        a = a.assign(answer=pd.Categorical(mapped, dtype=b["answer"].dtype))
    stacked = pd.concat([a.assign(wave=waves[0]), b.assign(wave=waves[1])], ignore_index=True)
    return stacked


def _question_columns(q: Question, inst: Instrument) -> list[tuple[str, str, Kind]]:
    """(clean column, level label or '', kind) to compare for one closed question."""
    if q.type == "single":
        return [(q.id, "", "categorical")]
    if q.type == "rating":
        return [(q.id, "", "ordinal")]
    if q.type == "count":
        return [(q.id, "", "ordinal")]
    return [(option_column(q.id, o.code), o.label, "categorical") for o in q.options]


def _relabel(qa: Question, qb: Question, inst_a: Instrument, inst_b: Instrument) -> dict:
    la = {str(o.code): o.label for o in inst_a.levels_of(qa.id)} if qa.type != "count" else {}
    lb = {str(o.code): o.label for o in inst_b.levels_of(qb.id)} if qb.type != "count" else {}
    return {la[c]: lb[c] for c in la if c in lb and la[c] != lb[c]}


def _compare_question(
    qa, qb, clean_a, clean_b, inst_a, inst_b, waves, id_column, confidence, stacked=None
):
    changes, tests = [], []
    relabel = _relabel(qa, qb, inst_a, inst_b)
    cols_b = _question_columns(qb, inst_b)
    cols_a = _question_columns(qa, inst_a)
    for (col_a, _, _), (col_b, level, kind) in zip(cols_a, cols_b, strict=True):
        data = _stack_question(clean_a, clean_b, (col_a, col_b), waves, id_column, relabel)
        if qb.type == "multi" and not pd.api.types.is_bool_dtype(data["answer"]):
            # a hand-made or older clean table may hold text in an option column: say so, keep it
            why = f"{col_b} holds text, not a chosen/not chosen flag: not compared"
            row = _test_row(design="not compared", test="none", reason=why)
            tests.append(row.assign(question=qb.id, level=level))
            continue
        shown = data
        if qb.type == "count":
            shown = _stack_question(
                clean_a, clean_b, (bin_column(qa.id), bin_column(qb.id)), waves, id_column
            )
        if stacked is None:
            ch = share_change(shown, "answer", confidence=confidence, waves=waves)
            ind = independent_change_test(data, "answer", kind=kind, waves=waves)
        else:  # both waves declare a design: design-based shares, difference and test
            ch = svy_share_change(shown, stacked, "answer", "wave", waves, confidence=confidence)
            ind = design_change_test(data, stacked, "answer", kind=kind, waves=waves)
        if qb.type == "multi":
            ch["level"] = level
        changes.append(ch.assign(question=qb.id))
        par = paired_change_test(data, "answer", id_column, kind=kind, waves=waves)
        if stacked is not None:
            par["reason"] = par["reason"].fillna("").astype(str) + f"; {PAIRED_UNWEIGHTED}"
        for t in (ind, par):
            tests.append(t.assign(question=qb.id, level=level or None))
    return changes, tests


def _coded_flags(clean: pd.DataFrame, inst: Instrument, qid: str, wave: str) -> pd.DataFrame:
    """One row per respondent who answered open question ``qid``: a boolean column per theme."""
    coded = code_question(clean, inst, qid)
    themes = [t.label for t in coded.codebook.themes]
    label = {t.id: t.label for t in coded.codebook.themes}
    flags = pd.DataFrame(False, index=coded.answered["respondent_id"], columns=themes)
    for rid, theme in coded.codes[["respondent_id", "theme"]].itertuples(index=False):
        if rid in flags.index and theme in label:
            flags.loc[rid, label[theme]] = True
    return flags.reset_index().assign(wave=wave)


def _changes_by_pair(
    sides: tuple[tuple[pd.DataFrame, Instrument], tuple[pd.DataFrame, Instrument]],
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
    one_wave: Callable[[pd.DataFrame, Instrument, str, str], pd.DataFrame],
    change: Callable[[pd.DataFrame, pd.DataFrame], pd.DataFrame],
) -> pd.DataFrame:
    """For each (question in A, question in B): ``one_wave(clean, inst, qid, wave)`` on each
    side, ``change(a, b)`` on the two, rows labelled ``question`` = B's id; all pairs stacked
    (an empty frame when there are no pairs)."""
    frames = []
    for qa, qb in pairs:
        a = one_wave(*sides[0], qa, waves[0])
        b = one_wave(*sides[1], qb, waves[1])
        frames.append(change(a, b).assign(question=qb))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def open_question_changes(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument,
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
    confidence: float = 0.95,
) -> pd.DataFrame:
    """:func:`theme_change` for each (question in A, question in B) open question, coded with
    :func:`giftreview.text.coding.code_question`; only themes present in both codebooks (by label)."""

    def change(fa: pd.DataFrame, fb: pd.DataFrame) -> pd.DataFrame:
        common = [c for c in fa.columns if c in fb.columns and c not in ("respondent_id", "wave")]
        stacked = pd.concat([fa, fb], ignore_index=True)
        return theme_change(stacked, common, waves=waves, confidence=confidence)

    sides = ((clean_a, inst_a), (clean_b, inst_b))
    return _changes_by_pair(sides, pairs, waves, _coded_flags, change)


def list_question_changes(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument,
    pairs: list[tuple[str, str]],
    waves: tuple[str, str],
) -> pd.DataFrame:
    """:func:`institution_change` for each list question, names normalised by
    :func:`giftreview.text.lists.institution_mentions` (alias table, then fuzzy matching)."""

    def mentions(clean: pd.DataFrame, inst: Instrument, qid: str, wave: str) -> pd.DataFrame:
        return institution_mentions(clean, inst, qid).assign(wave=wave)

    def change(ma: pd.DataFrame, mb: pd.DataFrame) -> pd.DataFrame:
        return institution_change(pd.concat([ma, mb], ignore_index=True), "name", waves=waves)

    sides = ((clean_a, inst_a), (clean_b, inst_b))
    return _changes_by_pair(sides, pairs, waves, mentions, change)


def compare_waves(
    clean_a: pd.DataFrame,
    clean_b: pd.DataFrame,
    inst_a: Instrument,
    inst_b: Instrument | None = None,
    *,
    waves: tuple[str, str] | None = None,
    confidence: float = 0.95,
    designs: tuple[Design, Design] | None = None,
) -> WaveComparison:
    """Compare every comparable closed question of two cleaned waves.

    Parameters
    ----------
    clean_a, clean_b
        The clean tables of wave A (earlier) and wave B (``giftreview.data.io.load_clean``).
    inst_a, inst_b
        Their instruments (``inst_b`` defaults to ``inst_a``). Pairs are matched on the
        respondent id column of the clean tables (``raw.respondent_id`` of the instrument).
    waves
        Labels of the two waves; default the ``wave`` column of each table.
    confidence
        Two-sided level of the intervals.
    designs
        Each wave's survey design, built on ``clean_a`` and ``clean_b``
        (:func:`giftreview.analysis.design.weighted_data`). The independent-waves part is then
        design-based on the stacked design (:func:`giftreview.analysis.design.stack_designs`):
        weighted shares, the design-based Wald difference
        (:func:`giftreview.analysis.design.svy_share_change`), the Rao-Scott F or the
        design-based rank test (:func:`giftreview.analysis.independent.design_change_test`).
        Paired tests stay unweighted and say so.

    Returns
    -------
    WaveComparison
        ``comparability`` (:func:`comparable_questions`), ``changes`` (one row per question and
        level: shares and difference with interval), ``tests`` (one row per question, level and
        design, with ``p_adjusted``: Benjamini-Hochberg over the whole family) and ``n_matched``
        (respondents in both waves).
    """
    _check_conf(confidence)
    inst_b = inst_b or inst_a
    if waves is None:
        waves = (_wave_of(clean_a, "clean_a"), _wave_of(clean_b, "clean_b"))
        if waves[0] == waves[1]:
            waves = (f"{waves[0]} (A)", f"{waves[1]} (B)")
    stacked = None if designs is None else _stacked(designs, (clean_a, clean_b), waves)
    comp = comparable_questions(inst_a, inst_b)
    changes, tests = [], []
    for row in comp.itertuples():
        if not row.comparable or row.type not in ("single", "rating", "count", "multi"):
            continue
        qa, qb = inst_a.question(row.question_a), inst_b.question(row.question_b)
        ch, te = _compare_question(
            qa, qb, clean_a, clean_b, inst_a, inst_b, waves, "respondent_id", confidence, stacked
        )
        changes += ch
        tests += te
    tests_df = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=_TEST_COLUMNS)
    tests_df = adjust_pvalues(tests_df, "fdr_bh")
    lead = ["question", "level"]
    changes_df = pd.concat(changes, ignore_index=True) if changes else pd.DataFrame()
    if len(changes_df):
        extra = [c for c in ("se", "df") if c in changes_df]  # design-based rows
        changes_df = changes_df[["question", *_CHANGE_COLUMNS, *extra]]
    tests_df = tests_df[lead + [c for c in tests_df.columns if c not in lead]]
    ids_a = set(clean_a["respondent_id"].dropna())
    n_matched = len(ids_a & set(clean_b["respondent_id"].dropna()))
    ok = comp[comp["comparable"]]
    opens = [(r.question_a, r.question_b) for r in ok.itertuples() if r.type == "open"]
    lists = [(r.question_a, r.question_b) for r in ok.itertuples() if r.type == "list"]
    themes = open_question_changes(clean_a, clean_b, inst_a, inst_b, opens, waves, confidence)
    institutions = list_question_changes(clean_a, clean_b, inst_a, inst_b, lists, waves)
    design = () if stacked is None else stacked.description
    return WaveComparison(
        waves, comp, changes_df, tests_df, n_matched, themes, institutions, design
    )


def _stacked(designs, cleans, waves) -> StackedDesign:
    """The two waves' designs as one (each checked to be built on its clean table)."""
    if len(designs) != 2:
        raise ArgumentError(f"`designs` must hold the two waves' designs; got {len(designs)}")
    for d, clean, name in zip(designs, cleans, ("clean_a", "clean_b"), strict=True):
        if not isinstance(d, Design) or not d.index.equals(clean.index):
            raise ArgumentError(
                f"`designs`: the design of {name} was not built on {name} (different rows); "
                f"build it with giftreview.analysis.design.weighted_data({name}, instrument)"
            )
    return stack_designs(list(designs), [str(w) for w in waves])


def _wave_of(clean: pd.DataFrame, name: str) -> str:
    check_column(clean, "wave", name)
    labels = pd.unique(clean["wave"].dropna())
    if len(labels) != 1:
        raise ArgumentError(f"`{name}` must hold one wave; its `wave` column has {list(labels)}")
    return str(labels[0])
