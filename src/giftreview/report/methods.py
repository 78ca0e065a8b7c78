"""The methods notebook's sections: data accounting, tests, intervals, suppression, quantifiers.

The prose lives in the templates ``report/methods_*.html.j2``; this module passes the numbers
(row counts, the number of tests, the level, ``k``) and the tables.
"""

from __future__ import annotations

import pandas as pd

from giftreview.report import tables
from giftreview.report.templating import render
from giftreview.report.views import Html, Table
from giftreview.report.wave import Report
from giftreview.text import narrative
from giftreview.text.safety import REDACTION_NOTE

__all__ = [
    "data_accounting",
    "tests_explained",
    "interval_methods",
    "suppression_rule",
    "redaction_rule",
    "quantifier_table",
]


def data_accounting(rep: Report) -> Html:
    """Every raw row accounted for; the validation, audit and quarantine summaries."""
    c = rep.manifest.get("counts", {})
    parts = [
        tables.count_table(
            rep.processed / "validation.csv",
            ["rule", "severity", "action"],
            "Problems found, by rule",
        ),
        tables.count_table(
            rep.processed / "audit.csv", ["column", "rule"], "Cells changed, by rule"
        ),
        tables.count_table(
            rep.processed / "quarantine.csv", ["reason"], "Rows set aside, by reason"
        ),
    ]
    return render(
        "report/methods_data.html.j2",
        raw_rows=c.get("raw_rows", "?"),
        clean_rows=c.get("clean_rows", len(rep.data)),
        unit=rep.instrument.unit.plural,
        recoded=rep.manifest.get("recoded_cells", 0),
        quarantined_rows=c.get("quarantined_rows", "?"),
        folder=rep.processed.name,
        parts=parts,
    )


def tests_explained(rep: Report) -> Html:
    """Which test each breakdown used and why, and the multiplicity adjustment."""
    fam = rep.family
    m = int(fam["p_value"].notna().sum()) if "p_value" in fam else 0
    used = (
        fam.groupby(["test", "reason"], dropna=False).size().reset_index(name="tests")
        if len(fam)
        else pd.DataFrame(columns=["test", "reason", "tests"])
    )
    table = Table(used, caption="Tests used in this report", numeric=("tests",))
    return render("report/methods_tests.html.j2", m=m, table=table)


def interval_methods(rep: Report) -> Html:
    """How every interval is computed."""
    design = list(rep.design.description) if rep.design is not None else []
    return render("report/methods_intervals.html.j2", confidence=rep.confidence, design=design)


def suppression_rule(rep: Report) -> Html:
    """The small-cell rule applied to every published breakdown."""
    return render("report/methods_suppression.html.j2", k=rep.k)


def redaction_rule(rep: Report) -> Html:
    """What is removed from quotes and free-text table cells before publication
    (:data:`giftreview.text.safety.REDACTION_NOTE`)."""
    return render("report/methods_redaction.html.j2", note=REDACTION_NOTE)


def quantifier_table(rep: Report) -> Html:
    """The words the drafted paragraphs use for shares ("some", "many", ...): only in a report
    with drafted paragraphs (an open question with a codebook); else nothing."""
    if not any(q.codebook for q in rep.instrument.questions_of_type("open")):
        return Html("")
    parts = [Table(narrative.quantifier_table())]
    return render("report/block.html.j2", title="Quantifier table", parts=parts)
