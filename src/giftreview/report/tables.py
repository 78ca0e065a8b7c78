"""The tables of the wave report as :class:`~giftreview.report.views.Table` view models.

Each function turns a tidy result (a score, a breakdown, the test family) into the columns a
reader sees, formatted as text (:mod:`giftreview.report.templating` formats), with a plain-text
caption. The ``table`` macro of ``report/macros.html.j2`` renders them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from giftreview.report.templating import fmt_ci_column, fmt_num, fmt_p, fmt_pct
from giftreview.report.views import Table, Text
from giftreview.report.wave import Report, suppressed

__all__ = [
    "is_missing_row",
    "share_table",
    "summary_table",
    "theme_table",
    "tests_table",
    "suppressed_breakdown_table",
    "posthoc_table",
    "count_table",
]


def is_missing_row(summary: pd.DataFrame) -> pd.Series:
    """Rows of a score summary that count answers outside the base (missing, blank)."""
    return summary["statistic"].astype(str).str.startswith(("missing", "blank"))


def share_table(table: pd.DataFrame, label: str = "answer") -> Table:
    """Each answer's count, share and interval (a score table)."""
    shown = pd.DataFrame(
        {
            label: table["level"].astype(str),
            "n": table["n"],
            "%": table["pct"].map(fmt_pct),
            "interval (%)": fmt_ci_column(table),
        }
    )
    return Table(shown, numeric=("n", "%"))


def summary_table(summary: pd.DataFrame) -> Table:
    """Median, quartiles, mean, top box ... of a rating or count question (missing rows left out)."""
    keep = summary[~is_missing_row(summary)]
    shown = pd.DataFrame(
        {
            "statistic": keep["statistic"].astype(str).str.replace("_", " "),
            "estimate": keep["estimate"].map(fmt_num),
            "interval": fmt_ci_column(keep),
            "n": keep["n"].map(lambda x: fmt_num(x, 0)),
            "method": keep["method"].fillna("").astype(str),
        }
    )
    return Table(shown, caption="Summary", numeric=("estimate", "n"))


def theme_table(freq: pd.DataFrame, *, caption: str, by_group: bool = False) -> Table:
    """Theme counts of an open question (overall, or by group with the base of each group)."""
    cols = {"group": freq["group"].astype(str)} if by_group else {}
    cols |= {"theme": freq["label"].astype(str), "respondents": freq["n_display"].astype(str)}
    if by_group:
        cols |= {"base": freq["base"], "%": freq["pct"].map(fmt_pct)}
        cols |= {"interval (%)": fmt_ci_column(freq)}
        numeric = ("respondents", "base", "%")
    else:
        cols |= {"% of those who answered": freq["pct"].map(fmt_pct)}
        cols |= {"interval (%)": fmt_ci_column(freq), "coded by": freq["source"].astype(str)}
        numeric = ("respondents",)
    return Table(pd.DataFrame(cols), caption=caption, numeric=numeric)


def tests_table(rep: Report, qid: str) -> Table | None:
    """The group test(s) of question ``qid`` with raw and family-adjusted p (None: no test)."""
    fam = rep.family[rep.family["question"] == qid] if "question" in rep.family else rep.family[:0]
    if fam.empty:
        return None
    m = int(fam["family_size"].iloc[0]) if "family_size" in fam else len(rep.family)
    shown = pd.DataFrame(
        {
            "outcome": fam["outcome"].astype(str),
            "test": fam["test"].astype(str),
            "why this test": fam["reason"].fillna("").astype(str),
            "statistic": fam["statistic"].map(fmt_num),
            "df": fam["df"].map(lambda x: fmt_num(x, 0)),
            "p": fam["p_value"].map(fmt_p),
            "adjusted p (BH)": fam["p_adjusted"].map(fmt_p),
            "effect size": [
                f"{fmt_num(e)} {m_ if isinstance(m_, str) else ''}".strip()
                for e, m_ in zip(fam["effect_size"], fam["effect_measure"], strict=True)
            ],
            "n": fam["n"].map(lambda x: fmt_num(x, 0)),
        }
    )
    cap = (
        f"Test of differences between groups; adjusted p: Benjamini-Hochberg over all "
        f"{m} tests of this report"
    )
    return Table(shown, caption=cap, numeric=("statistic", "df", "p", "adjusted p (BH)", "n"))


def suppressed_breakdown_table(rep: Report, qid: str) -> Table | None:
    """Question ``qid`` by group, row percentages, small cells suppressed (None: no grouping)."""
    result = suppressed(rep, qid)
    if result is None:
        return None
    shown, res = result
    mark = {"": "", "primary": f"suppressed (n < {rep.k})", "secondary": "suppressed (secondary)"}
    frame = pd.DataFrame(
        {
            "group": shown["group"].astype(str),
            "answer": shown["level"].astype(str),
            "n": shown["n_display"].astype(str),
            "%": shown["pct"].map(fmt_pct),
            "interval (%)": fmt_ci_column(shown),
            "note": shown["suppressed"].map(mark),
        }
    )
    cap = (
        f"By group: row percentages; {res.n_primary} cells below {rep.k} and "
        f"{res.n_secondary} further cells suppressed so none can be recovered from totals"
    )
    return Table(frame, caption=cap, numeric=("n", "%"))


def posthoc_table(rep: Report, qid: str) -> Table | None:
    """Dunn's pairwise comparisons of question ``qid`` (None when there are none)."""
    ph = rep.posthoc
    if ph.empty or "question" not in ph:
        return None
    ph = ph[ph["question"] == qid]
    if ph.empty:
        return None
    shown = pd.DataFrame(
        {
            "group 1": ph["group_1"].astype(str),
            "group 2": ph["group_2"].astype(str),
            "p": ph["p_value"].map(fmt_p),
            "adjusted p (Holm, within question)": ph["p_adjusted"].map(fmt_p),
        }
    )
    # a weighted report's pairs are design-based rank tests (their rows name the test)
    named = ph["test"].dropna() if "test" in ph else pd.Series(dtype=str)
    method = str(named.iloc[0]) if len(named) else "Dunn"
    return Table(shown, caption=f"Pairwise comparisons ({method})", numeric=("p",))


def count_table(path: Path, columns: list[str], caption: str) -> Table | Text:
    """Rows of the CSV file ``path`` counted by ``columns`` (a note when absent or empty)."""
    if not path.exists():
        return Text(f"{path.name} not found.", note=True)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [c for c in columns if c in frame.columns]
    if frame.empty or not cols:
        return Text(f"{caption}: none.", note=True)
    counts = frame.groupby(cols, sort=True).size().reset_index(name="rows")
    return Table(counts, caption=caption, numeric=("rows",))
