"""The overview of a wave: title page, the survey's introduction and the response accounting."""

from __future__ import annotations

import pandas as pd

from giftreview.report.templating import fmt_pct, render
from giftreview.report.views import Html, Table, Text
from giftreview.report.wave import Report, group_noun, is_synthetic, score

__all__ = ["title_page", "introduction", "response_accounting", "response_tables"]


def title_page(rep: Report, title: str | None = None) -> Html:
    """Title, organization, wave and the synthetic-data label."""
    survey = rep.instrument.survey
    return render(
        "report/title_page.html.j2",
        title=title or survey.title,
        organization=survey.organization or "",
        wave=rep.wave,
        synthetic=is_synthetic(rep.raw),
    )


def introduction(rep: Report) -> Html:
    """The instrument's introduction, one paragraph per blank-line-separated block."""
    paras = [p.strip() for p in rep.instrument.survey.introduction.split("\n\n") if p.strip()]
    parts = [Text(" ".join(p.split())) for p in paras]
    return render("report/block.html.j2", title="Introduction", parts=parts)


def response_tables(rep: Report) -> list[Table]:
    """Rows received, kept and set aside; reasons for setting rows aside; respondents per group."""
    counts = rep.manifest.get("counts", {})
    rows = pd.DataFrame(
        {
            "": [
                "rows in the raw file",
                f"{rep.instrument.unit.plural} kept",
                "rows set aside (quarantined)",
            ],
            "n": [
                counts.get("raw_rows", ""),
                counts.get("clean_rows", len(rep.data)),
                counts.get("quarantined_rows", ""),
            ],
        }
    )
    out = [Table(rows, caption="Responses received", numeric=("n",))]
    quarantine = rep.processed / "quarantine.csv"
    if quarantine.exists():
        q = pd.read_csv(quarantine, dtype=str, usecols=lambda c: c == "reason")
        if "reason" in q.columns and len(q):
            reasons = q["reason"].value_counts().rename_axis("reason").reset_index(name="rows")
            out.append(Table(reasons, caption="Why rows were set aside", numeric=("rows",)))
    if rep.group_by:
        q = rep.instrument.question(rep.group_by)
        s = score(rep, q.id)
        table = s.table.assign(pct=s.table["pct"].map(fmt_pct))[["level", "n", "pct"]]
        out.append(
            Table(
                table.rename(columns={"level": q.text, "pct": "%"}),
                caption=f"{rep.instrument.unit.plural.capitalize()} by "
                f"{group_noun(rep.instrument, q.id)}",
                numeric=("n", "%"),
            )
        )
    return out


def response_accounting(rep: Report) -> Html:
    """Rows received, kept and set aside (with reasons), and responses per group."""
    return render("report/block.html.j2", title="Response accounting", parts=response_tables(rep))
