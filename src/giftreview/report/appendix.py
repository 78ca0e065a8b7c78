"""The statistical appendix of a report section: every breakdown by the grouping question.

For each closed question: the wide crosstab (groups x answers, suppressed cells marked in
place), its intervals, the collapsed view when suppression hides most of it, a CSV of the
published counts, the group test with raw and family-adjusted p, and Dunn's pairs (only after a
significant omnibus test); for each open question, theme counts by group.
"""

from __future__ import annotations

from giftreview.data.spec import CLOSED_TYPES, Question
from giftreview.report import tables
from giftreview.report.templating import render
from giftreview.report.views import Html, Part, QuestionView, Text
from giftreview.report.wave import Report, coded, group_noun, heading, report_section
from giftreview.text import frequencies

__all__ = ["appendix", "appendix_view"]


def _open_by_group(rep: Report, q: Question) -> list[Part]:
    if not rep.group_by or q.codebook is None:
        return []
    freq = frequencies.theme_frequencies(
        coded(rep, q.id), rep.data, by=rep.group_by, confidence=rep.confidence, k=rep.k
    )
    freq = freq[freq["group"].astype(str) != "All"]
    caption = f"Themes by group (counts below {rep.k} suppressed)"
    return [tables.theme_table(freq, caption=caption, by_group=True)]


def appendix_view(rep: Report, q: Question) -> QuestionView:
    """Question ``q``'s appendix entry: its heading and its breakdown tables (or a note)."""
    if q.id == rep.group_by:
        parts: list[Part] = [Text("This is the grouping question.", note=True)]
    elif q.type in CLOSED_TYPES:
        found = (tables.tests_table(rep, q.id), tables.posthoc_table(rep, q.id))
        parts = tables.crosstab_parts(rep, q.id) + [t for t in found if t is not None]
    elif q.type == "open":
        parts = _open_by_group(rep, q)
    else:
        parts = [Text("Mentions by group are shown with the question above.", note=True)]
    return QuestionView(heading(q), None, parts)


def appendix(rep: Report, section: str) -> Html:
    """The section's statistical appendix: every breakdown by the grouping question."""
    s = report_section(rep.instrument, section)
    by = group_noun(rep.instrument, rep.group_by) if rep.group_by else "(no grouping)"
    views = [appendix_view(rep, rep.instrument.question(qid)) for qid in s.questions]
    return render(
        "report/questions.html.j2",
        title="Statistical appendix",
        intro=[Text(f"All breakdowns by {by}.")],
        questions=views,
    )
