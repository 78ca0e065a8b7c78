"""The tables of the wave report as :class:`~giftreview.report.views.Table` view models.

Each function turns a tidy result (a score, a breakdown, the test family) into the columns a
reader sees, formatted as text (:mod:`giftreview.report.templating` formats), with a plain-text
caption. The ``table`` macro of ``report/macros.html.j2`` renders them.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from giftreview.errors import ArgumentError
from giftreview.report.display import posthoc_display
from giftreview.report.templating import fmt_ci_column, fmt_num, fmt_p, fmt_pct
from giftreview.report.views import Link, Part, Table, Text
from giftreview.report.wave import Report, group_noun, views
from giftreview.text.safety import write_table

__all__ = [
    "is_missing_row",
    "share_table",
    "summary_table",
    "theme_table",
    "tests_table",
    "crosstab_parts",
    "write_long_csv",
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


def summary_table(summary: pd.DataFrame, *, labels: dict[str, str] | None = None) -> Table:
    """Median, quartiles, mean, top box ... of a rating or count question (missing rows left out).

    ``labels``: statistic -> the words printed for it (e.g. ``{"top_box": "top 2 box:
    Important or Very important"}``). One meaning per column: ``n`` is always the base,
    ``selected`` the answers counted in a share (the top box), blank elsewhere.
    """
    keep = summary[~is_missing_row(summary)]
    names = keep["statistic"].astype(str)
    cols = {
        "statistic": names.map(lambda v: (labels or {}).get(v, v.replace("_", " "))),
        "estimate": keep["estimate"].map(fmt_num),
        "interval": fmt_ci_column(keep),
        "n": keep["n"].map(lambda x: fmt_num(x, 0)),
    }
    numeric = ("estimate", "n")
    if "selected" in keep and keep["selected"].notna().any():
        cols["selected"] = keep["selected"].map(lambda x: fmt_num(x, 0))
        numeric += ("selected",)
    cols["method"] = keep["method"].fillna("").astype(str)
    return Table(pd.DataFrame(cols), caption="Summary", numeric=numeric)


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


def crosstab_parts(rep: Report, qid: str) -> list[Part]:
    """Question ``qid`` by group as a reviewer reads it (empty without a grouping).

    The wide crosstab (one row per group: n, row percentages, suppressed cells marked in
    place), its intervals as a second compact table, the collapsed view when suppression hides
    more than :data:`~giftreview.analysis.disclosure.DEFAULT_COLLAPSE_SHARE` of the cells (its
    caption says what was collapsed and why), and a link to the long form as CSV (counts after
    suppression only).
    """
    v = views(rep, qid)
    if v is None:
        return []
    by = group_noun(rep.instrument, rep.group_by)
    numeric = lambda f: tuple(c for c in f.columns if c != by)  # noqa: E731
    full = v.full.percentages.rename_axis(by).reset_index()
    parts: list[Part] = [
        Table(
            full,
            caption=f"By {by}: % of each row's respondents who answered (n). {v.full.legend()}",
            numeric=numeric(full),
        )
    ]
    intervals = v.full.intervals.rename_axis(by).reset_index()
    parts.append(
        Table(
            intervals,
            caption=f"{rep.confidence:.0%} intervals (Wilson) of the percentages above",
            numeric=numeric(intervals),
        )
    )
    if v.collapsed is not None and v.collapsed_table is not None:
        view = v.collapsed_table.percentages.rename_axis(by).reset_index()
        parts.append(Table(view, caption=v.collapsed.describe(), numeric=numeric(view)))
    csv = write_long_csv(rep, qid, v.full.long.rename(columns={"group": by}))
    parts.append(Link(f"Counts by {by} after suppression (CSV)", csv.name))
    return parts


def write_long_csv(rep: Report, qid: str, long: pd.DataFrame) -> Path:
    """Write ``long`` (published counts only) to ``<output>/<qid>_by_<group>.csv``."""
    name = re.sub(r"[^\w-]+", "_", f"{qid}_by_{rep.group_by}") + ".csv"
    out = (rep.output / name).resolve()
    if out.parent != rep.output.resolve():
        raise ArgumentError(f"the CSV of question {qid!r} would be written outside {rep.output}")
    rep.output.mkdir(parents=True, exist_ok=True)
    write_table(long, out, folder=rep.output)  # neutralised, column by column
    return out


def posthoc_table(rep: Report, qid: str) -> Table | Text | None:
    """Pairwise comparisons of question ``qid`` (None when there are none).

    Unweighted: Dunn's z with its effect size r = z/sqrt(n1 + n2). Weighted: design-based
    Wilcoxon rank tests, a t on the pair's design degrees of freedom (not Dunn's z: the
    variance comes from the design) with the weighted probability of superiority. Both say
    which group ranks higher. Shown only when the question's omnibus test is significant after
    the report-wide adjustment (:func:`giftreview.report.display.posthoc_display`, level
    ``1 - confidence``); otherwise one line says why they are left out.
    """
    ph = rep.posthoc
    if ph.empty or "question" not in ph:
        return None
    ph = ph[ph["question"] == qid]
    if ph.empty:
        return None
    design = "t" in ph and ph["t"].notna().any()
    name = "design-based rank tests" if design else "Dunn"
    fam = rep.family[rep.family["question"] == qid]
    show, note = posthoc_display(fam, alpha=round(1 - rep.confidence, 10), name=name)
    if not show:
        return Text(note, note=True)
    stat = pd.to_numeric(ph["t" if design else "z"], errors="coerce")
    higher = [
        str(g1) if s > 0 else str(g2) if s < 0 else "neither"
        for g1, g2, s in zip(ph["group_1"], ph["group_2"], stat, strict=True)
    ]
    columns = {
        "group 1": ph["group_1"].astype(str),
        "group 2": ph["group_2"].astype(str),
        "ranks higher": higher,
    }

    def two(v) -> str:  # two decimals kept, so a column reads evenly
        return "" if pd.isna(v) else f"{float(v):.2f}"

    effect = pd.to_numeric(ph["effect_size"], errors="coerce").map(two)
    if design:
        columns |= {
            "t": stat.map(two),
            "df": ph["df"].map(lambda v: fmt_num(v, 0)),
            "P(group 1 higher)": effect,
        }
    else:
        columns |= {"z": stat.map(two), "r = z/√(n1+n2)": effect}
    columns |= {
        "p": ph["p_value"].map(fmt_p),
        "adjusted p (Holm, within question)": ph["p_adjusted"].map(fmt_p),
    }
    caption = (
        "Pairwise comparisons: design-based Wilcoxon rank tests (t on the design's degrees of "
        "freedom, not Dunn's z); P(group 1 higher): weighted probability that a member of group "
        "1 answers higher than one of group 2, ties half"
        if design
        else "Pairwise comparisons: Dunn's z (positive: group 1 ranks higher), effect size r"
    )
    numeric = ("t", "df", "P(group 1 higher)", "p") if design else ("z", "r = z/√(n1+n2)", "p")
    return Table(pd.DataFrame(columns), caption=caption, numeric=numeric)


def count_table(path: Path, columns: list[str], caption: str) -> Table | Text:
    """Rows of the CSV file ``path`` counted by ``columns`` (a note when absent or empty).

    Only the counted columns are read, as text, and counted by Arrow (the audit of a million rows
    is about 700 MB; ``pandas.read_csv`` of all of it took most of the methods page). The counts
    are those of ``pandas.read_csv(path, dtype=str, keep_default_na=False).groupby(columns,
    sort=True).size()``, in R ``count(read_csv(path, col_types = cols(.default = "c")),
    !!!syms(columns))``.
    """
    if not path.exists():
        return Text(f"{path.name} not found.", note=True)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header = next(csv.reader(fh), [])
    cols = [c for c in columns if c in header]
    if not cols:
        return Text(f"{caption}: none.", note=True)
    table = pacsv.read_csv(
        path,
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            include_columns=cols,
            column_types=dict.fromkeys(cols, pa.large_string()),
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )
    if table.num_rows == 0:
        return Text(f"{caption}: none.", note=True)
    counts = table.group_by(cols).aggregate([([], "count_all")]).to_pandas()
    counts = counts.rename(columns={"count_all": "rows"})[[*cols, "rows"]]
    counts = counts.astype(dict.fromkeys(cols, "str")).sort_values(cols, ignore_index=True)
    return Table(counts, caption=caption, numeric=("rows",))
