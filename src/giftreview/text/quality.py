"""How good a codebook and its codes are: dead and overlapping patterns, precision and recall.

:func:`check_codebook` lists patterns that match no answer, themes whose patterns share spans and
examples their own theme does not code; :func:`compare_with_reference` scores the codes against a
reference coding (a gold standard, or the synthetic waves' planted themes).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from giftreview.errors import check_column
from giftreview.text.codebook import Codebook, compile_pattern, parse_codebook  # noqa: F401
from giftreview.text.coding import CodedAnswers, code_question, sentences  # noqa: F401

__all__ = ["check_codebook", "compare_with_reference"]


def check_codebook(codebook: Codebook, answers: Iterable[str] = ()) -> pd.DataFrame:
    """Report problems of a codebook: dead patterns, overlapping themes, examples not coded.

    Parameters
    ----------
    codebook
        The codebook to check.
    answers
        Answer texts to check against (e.g. a wave's answers to the question).

    Returns
    -------
    pandas.DataFrame
        One row per finding, columns ``theme, pattern, kind, detail``. ``kind`` is ``dead`` (an
        inclusion pattern matches no answer), ``overlap`` (two themes' patterns match the same
        span of an answer: the pattern of the first theme and the other theme in ``detail``, with
        the number of answers) or ``example`` (the theme's own example is not coded with it).

    Examples
    --------
    >>> cb = parse_codebook({"question": "why", "title": "Why it helps", "themes": [
    ...     {"id": "training", "label": "Training", "description": "Training and workshops",
    ...      "include": ["train[a-z]*", "workshops?"], "example": "More training, please.",
    ...      "stem": "asked for training"},
    ...     {"id": "funding", "label": "Funding", "description": "Money for the work",
    ...      "include": ["fund[a-z]*", "money"], "exclude": ["no funding"],
    ...      "example": "We need funding.", "stem": "asked for funding"}]})
    >>> check_codebook(cb, ["Training helped."])[["theme", "pattern", "kind"]]
          theme     pattern  kind
    0  training  workshops?  dead
    1   funding  fund[a-z]*  dead
    2   funding       money  dead
    """
    texts = [a for a in answers if isinstance(a, str) and a.strip()]
    rows = []
    for t in codebook.themes:
        if not any(t.find(t.example[s:e]) for s, e in sentences(t.example)):
            rows.append((t.id, "", "example", f"the example {t.example!r} is not coded {t.id}"))
        if texts:
            for p in t.include:
                if not any(compile_pattern(p).search(x) for x in texts):
                    rows.append((t.id, p, "dead", f"matches none of {len(texts)} answers"))
    if texts:
        rows += _overlaps(codebook, texts)
    return pd.DataFrame(rows, columns=["theme", "pattern", "kind", "detail"])


def _overlaps(codebook: Codebook, texts: list[str]) -> list[tuple[str, str, str, str]]:
    spans: dict[tuple[str, str], list[tuple[int, int, int]]] = {}
    for i, x in enumerate(texts):
        for t in codebook.themes:
            for p in t.include:
                for m in compile_pattern(p).finditer(x):
                    spans.setdefault((t.id, p), []).append((i, m.start(), m.end()))
    counts: dict[tuple[str, str, str], set[int]] = {}
    keys = list(spans)
    for a, (ta, pa) in enumerate(keys):
        for tb, pb in keys[a + 1 :]:
            if ta == tb:
                continue
            for i, s1, e1 in spans[(ta, pa)]:
                if any(j == i and s1 < e2 and s2 < e1 for j, s2, e2 in spans[(tb, pb)]):
                    counts.setdefault((ta, pa, tb), set()).add(i)
    return [
        (
            ta,
            pa,
            "overlap",
            f"shares spans with theme {tb} in {len(ids)} answers (before exclusions)",
        )
        for (ta, pa, tb), ids in counts.items()
    ]


# ---- validation against a reference coding ------------------------------------------------------
def compare_with_reference(coded: CodedAnswers, reference: pd.DataFrame) -> pd.DataFrame:
    """Precision and recall of the codes against a reference coding (e.g. a gold standard).

    Parameters
    ----------
    coded
        From :func:`code_question`.
    reference
        Long table ``respondent_id, theme`` (optionally ``question``: only rows of this question
        are used), restricted to respondents who answered.

    Returns
    -------
    pandas.DataFrame
        One row per theme and a last row ``"(all)"``: ``theme, tp, fp, fn, precision, recall,
        f1``, where ``precision = tp / (tp + fp)`` and ``recall = tp / (tp + fn)``.

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
    >>> reference = pd.DataFrame({"respondent_id": ["r1", "r2", "r2"],
    ...                           "theme": ["training", "training", "funding"]})
    >>> compare_with_reference(coded, reference)[["theme", "tp", "fp", "fn", "precision", "recall"]]
          theme  tp  fp  fn  precision    recall
    0  training   2   0   0   1.000000  1.000000
    1   funding   0   1   1   0.000000  0.000000
    2     (all)   2   1   1   0.666667  0.666667

    ``funding``: coded for r1 but not in the reference (fp), in the reference for r2 but not coded
    (fn); overall precision = recall = 2 / 3.
    """
    for c in ("respondent_id", "theme"):
        check_column(reference, c, "reference")
    ref = reference
    if "question" in ref.columns:
        ref = ref[ref["question"] == coded.question]
    answered = set(coded.answered["respondent_id"])
    true = {(str(r), t) for r, t in zip(ref["respondent_id"], ref["theme"], strict=True)}
    true = {x for x in true if x[0] in answered}
    pred = set(zip(coded.codes["respondent_id"], coded.codes["theme"], strict=True))
    rows = []
    for th in [*coded.codebook.ids, None]:
        p = {x for x in pred if th is None or x[1] == th}
        t = {x for x in true if th is None or x[1] == th}
        tp, fp, fn = len(p & t), len(p - t), len(t - p)
        prec = tp / (tp + fp) if tp + fp else float("nan")
        rec = tp / (tp + fn) if tp + fn else float("nan")
        f1 = 2 * prec * rec / (prec + rec) if tp else 0.0
        rows.append((th or "(all)", tp, fp, fn, prec, rec, f1))
    return pd.DataFrame(rows, columns=["theme", "tp", "fp", "fn", "precision", "recall", "f1"])
