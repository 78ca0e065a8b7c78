"""The questions of a report section: :func:`section_title`, :func:`questions`, :func:`question`.

Nothing here knows the UN.GIFT questions: the instrument decides what is shown. A question's type
picks its block: ``single`` -> bar chart of shares; ``rating`` -> diverging stacked bars overall
and by group on one axis plus median/mean/top-box; ``count`` -> bar chart of the bins plus
median/quartiles; ``multi`` -> shares with interval error bars; ``open`` -> drafted paragraphs,
theme counts and quotes; ``list`` -> mentions grouped by the grouping question.

Each block returns a :class:`~giftreview.report.views.QuestionView`; the ``question`` macro of
``report/macros.html.j2`` renders it (respondent text is escaped by the template engine; quotes
are also redacted, :func:`giftreview.text.safety.redact_pii`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

import pandas as pd

from giftreview.analysis.disclosure import Suppressed, suppress_tidy
from giftreview.analysis.score import top_box_levels
from giftreview.data.spec import Question
from giftreview.report import tables
from giftreview.report.display import top_box_label
from giftreview.report.measures import section_views
from giftreview.report.templating import render
from giftreview.report.views import Html, Link, Part, QuestionView, Quote, Table, Text
from giftreview.report.wave import (
    Report,
    breakdown_table,
    coded,
    group_noun,
    heading,
    is_synthetic,
    report_section,
    scale_labels,
    score,
    suppressed,
)
from giftreview.text import coding, frequencies, listcap, lists, narrative

__all__ = [
    "QUOTES_PER_QUESTION",
    "BLOCKS",
    "chart_rows",
    "question_view",
    "question",
    "section_title",
    "questions",
]

QUOTES_PER_QUESTION = 3


def _plots() -> ModuleType:
    # Deferred on purpose: matplotlib and seaborn take a second or more to import, and the
    # overview and methods notebooks draw no chart.
    from giftreview.report import plots  # deferred: matplotlib is slow to import

    return plots


def _missing_note(summary: pd.DataFrame) -> str:
    miss = summary[tables.is_missing_row(summary)]
    parts = [
        f"{r.statistic.removeprefix('missing: ')}: {int(r.n)}"
        for r in miss.itertuples()
        if pd.notna(r.n) and int(r.n) > 0
    ]
    return f"; not in the base: {', '.join(parts)}" if parts else ""


def _base(table: pd.DataFrame) -> int:
    return int(table["base"].iloc[0]) if len(table) and "base" in table else 0


def _caption(rep: Report, n: int, summary: pd.DataFrame, extra: str = "") -> str:
    weighted = ""
    intervals = f"{rep.confidence:.0%} Wilson"
    if rep.design is not None:
        dropped = rep.manifest.get("counts", {}).get("clean_rows", len(rep.data)) - len(rep.data)
        weighted = "; every figure weighted (design-based, see the methods appendix)"
        weighted += (
            f" ({rep.instrument.unit.of(dropped)} without a group left out)" if dropped else ""
        )
        intervals = f"{rep.confidence:.0%} design-based logit (Taylor linearisation)"
    return (
        f"n = {rep.instrument.unit.of(n)} who answered{_missing_note(summary)}{weighted}. "
        f"Intervals: {intervals}.{extra}"
    )


def _block_shares(rep: Report, q: Question) -> QuestionView:
    plots = _plots()
    s = score(rep, q.id)
    n = _base(s.table)
    fig = plots.share_bars(
        s.table, title=q.text, n=n, intervals=q.type == "multi", unit=rep.instrument.unit.plural
    )
    alt = f"Bar chart: {q.text} {plots.describe_shares(s.table)} (n = {n})."
    extra = f" {s.base_statement}." if q.type == "multi" else ""
    figure = plots.figure(fig, alt=alt, caption=_caption(rep, n, s.summary, extra))
    parts: list[Part] = [tables.share_table(s.table)]
    if q.type == "count":
        parts.append(tables.summary_table(s.summary))
    other = s.other_text.dropna() if len(s.other_text) else s.other_text
    if len(other):
        parts.append(
            Text(
                f"{rep.instrument.unit.of(len(other))} wrote an “Other (specify)” answer.",
                note=True,
            )
        )
    return QuestionView(heading(q), figure, parts)


def _block_rating(rep: Report, q: Question) -> QuestionView:
    plots = _plots()
    s = score(rep, q.id)
    n = _base(s.table)
    levels, neutral = scale_labels(rep, q.id)
    overall = s.table.assign(group=plots.OVERALL)[["group", "level", "pct"]]
    groups, hidden = chart_rows(
        breakdown_table(rep, q.id), k=rep.k, suppressed=suppressed(rep, q.id)
    )
    frame = pd.concat([overall, groups[["group", "level", "pct"]]], ignore_index=True)
    frame["level"] = frame["level"].astype(str)
    fig = plots.diverging_bars(
        frame, levels=levels, neutral=neutral, title=q.text, n=n,
        overall_label=f"All {rep.instrument.unit.plural}",
    )  # fmt: skip
    by = f" and by {group_noun(rep.instrument, rep.group_by)}" if rep.group_by else ""
    alt = (
        f"Diverging stacked bars, overall{by}: {q.text} Overall: {plots.describe_shares(s.table)}."
    )
    extra = f" Hatched: cells below {rep.k} and cells hidden with them." if rep.k else ""
    extra += f" Not drawn (group total hidden): {', '.join(hidden)}." if hidden else ""
    figure = plots.figure(fig, alt=alt, caption=_caption(rep, n, s.summary, extra))
    top = top_box_levels(rep.instrument, q.id)
    labels = {"top_box": top_box_label(top)} if top else {}
    return QuestionView(
        heading(q),
        figure,
        [tables.share_table(s.table), tables.summary_table(s.summary, labels=labels)],
    )


def chart_rows(
    table: pd.DataFrame, *, k: int, suppressed: tuple[pd.DataFrame, Suppressed] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Rows ``group, level, pct`` of a by-group chart that reveals nothing the tables hide.

    A chart of row percentages lets a reader read each cell's share, so the suppressed cells of
    a group (primary and secondary, :func:`giftreview.analysis.disclosure.suppress_tidy` with
    the same ``k``) are merged into one :data:`giftreview.report.plots.SUPPRESSED` segment: its
    share, the row total less the visible cells, can already be worked out from the appendix
    table, while the secondary suppression keeps each hidden cell unrecoverable. A group whose
    total is hidden is left out of the chart and named in the second return value. ``k=0``
    draws every cell. ``suppressed``: the ``suppress_tidy(table, k=k)`` result when already
    computed.
    """
    cols = ["group", "level", "pct"]
    if table.empty or k <= 0:
        return table[cols].reset_index(drop=True), []
    shown, res = suppressed if suppressed is not None else suppress_tidy(table, k=k)
    hidden_totals = {str(g) for g in res.hidden_totals}
    rows, omitted = [], []
    for group in dict.fromkeys(shown["group"].astype(str)):
        part = shown[shown["group"].astype(str) == group]
        if group in hidden_totals:
            omitted.append(group)
            continue
        rows.append(part.loc[part["suppressed"] == "", cols])
        secret = part.loc[part["suppressed"] != "", "n"].sum()
        base = part["base"].iloc[0]
        if secret > 0 and base > 0:
            merged = {"group": group, "level": _plots().SUPPRESSED, "pct": 100 * secret / base}
            rows.append(pd.DataFrame([merged]))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    return out, omitted


def _uncoded(rep: Report, q: Question) -> list[Part]:
    """An open question without a codebook (a fresh draft): how many answered, and what to do."""
    n = int(rep.data[q.id].fillna("").astype(str).str.strip().ne("").sum())
    return [
        Text(
            f"{rep.instrument.unit.of(n)} answered. The answers are not coded yet: give the "
            "question a codebook (docs/coding.md) to report its themes.",
            note=True,
        )
    ]


def _block_open(rep: Report, q: Question) -> QuestionView:
    if q.codebook is None:
        return QuestionView(heading(q), None, _uncoded(rep, q))
    answers = coded(rep, q.id)
    freq = frequencies.theme_frequencies(
        answers, rep.data, by=None, confidence=rep.confidence, k=rep.k
    )
    base = int(freq["base"].iloc[0]) if len(freq) else 0
    draft = narrative.draft_paragraphs(freq, answers.codebook)
    parts: list[Part] = [Text(p) for p in narrative.paragraphs(draft)]
    parts += _quotes(rep, answers, freq)
    caption = (
        f"Themes mentioned (n = {base} answered; {len(answers.uncoded)} answers matched no theme)"
    )
    parts.append(tables.theme_table(freq, caption=caption))
    return QuestionView(heading(q), None, parts)


def _quotes(rep: Report, answers: coding.CodedAnswers, freq: pd.DataFrame) -> list[Quote]:
    """One quote for each of the most mentioned themes (personal data removed)."""
    org = "organization" if "organization" in rep.data else None
    quotes = narrative.select_quotes(answers, rep.data, n=1, organization_column=org)
    top = freq[freq["group"].astype(str) == "All"].sort_values("n", ascending=False)["theme"]
    chosen = (
        quotes.set_index("theme").reindex(top).dropna(subset=["quote"]).head(QUOTES_PER_QUESTION)
    )
    return [Quote(t, lb) for lb, t in zip(chosen["label"], chosen["quote"], strict=True)]


def _block_list(rep: Report, q: Question) -> QuestionView:
    mentions = lists.institution_mentions(rep.data, rep.instrument, q.id)
    table = lists.table_by_group(mentions, k=rep.k)
    by = group_noun(rep.instrument, rep.group_by)
    capped = listcap.cap_by_group(table, cap=rep.names_shown)  # before any per-name text
    rows = [
        (
            str(group),
            "; ".join(f"{name} ({n})" for name, n in zip(g["name"], g["n_display"], strict=True)),
        )
        for group, g in capped.shown.groupby("group", sort=False, observed=True)
    ]
    frame = pd.DataFrame(rows, columns=["group", "institutions named (respondents)"])
    answered = int(mentions["respondent_id"].nunique()) if len(mentions) else 0
    intro = Text(
        f"The responses were grouped by {by} ({rep.instrument.unit.of(answered)} named at least one; "
        f"counts below {rep.k} shown as “<{rep.k}”)."
    )
    parts: list[Part] = [intro, Table(frame)]
    if capped.others:
        parts += _names_left_out(rep, q, table, capped, by)
    return QuestionView(heading(q), None, parts)


def _names_left_out(
    rep: Report, q: Question, table: pd.DataFrame, capped: listcap.NamesCapped, by: str
) -> list[Part]:
    """The line saying what the cap left out, and the CSV holding every name."""
    fewer = f"named by fewer than {rep.k} respondents"
    if capped.small == capped.others:  # every name left out has a suppressed count
        counted = f"each {fewer}"
    elif capped.small:
        counted = f"{capped.mentions} mentions (not counting the {capped.small} {fewer})"
    else:
        counted = f"{capped.mentions} mentions"
    line = Text(
        f"Each {by} shows its {rep.names_shown} most named institutions. "
        f"{_left_out(capped, by)}, {counted}: every name is in the CSV file below."
    )
    full = table[["group", "name", "n_display", "matched"]].rename(
        columns={"group": by, "n_display": "respondents"}
    )
    csv = tables.write_long_csv(rep, q.id, full)
    return [line, Link(f"Institutions named, by {by}, after suppression (CSV)", csv.name)]


def _left_out(capped: listcap.NamesCapped, by: str) -> str:
    """``"38 other names"``, or, when a name is left out of more than one group, how many
    (group, name) rows and distinct names that is."""
    if capped.names == capped.others:
        return f"{capped.others} other names"
    names = f"{capped.names} distinct name{'s' if capped.names != 1 else ''}"
    return f"{capped.others} other entries ({names}, some left out of more than one {by})"


BLOCKS: dict[str, Callable[[Report, Question], QuestionView]] = {
    "single": _block_shares,
    "count": _block_shares,
    "multi": _block_shares,
    "rating": _block_rating,
    "open": _block_open,
    "list": _block_list,
}


def question_view(rep: Report, qid: str) -> QuestionView:
    """Question ``qid``'s view model: heading, chart, tables or narrative (by its type)."""
    q = rep.instrument.question(qid)
    view = BLOCKS[q.type](rep, q)
    if q.asked_if:  # skip logic from the questionnaire: who the base is
        view.parts.insert(0, Text(f"Asked only when: {q.asked_if}", note=True))
    return view


def question(rep: Report, qid: str) -> Html:
    """One question: its heading as in the published summary, then its chart/table/narrative."""
    return render("report/question.html.j2", q=question_view(rep, qid))


def section_title(rep: Report, section: str) -> Html:
    """The part title (e.g. "Part A) ...") and the section's introduction, if any."""
    s = report_section(rep.instrument, section)
    part = rep.instrument.part_title(s.part) if s.part else s.title
    return render(
        "report/section_title.html.j2",
        part=part,
        subtitle=s.title if s.title != part else "",
        synthetic=is_synthetic(rep.raw),
        intro=s.intro or "",
    )


def questions(rep: Report, section: str) -> Html:
    """Every question of report section ``section``, in the instrument's order."""
    s = report_section(rep.instrument, section)
    views = section_views(rep, list(s.questions), s.part, question_view)
    return render("report/questions.html.j2", title="", intro=[], questions=views)
