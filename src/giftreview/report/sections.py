"""Report sections: what the notebooks call, one call per section, each returning HTML.

The notebooks under ``notebooks/`` are thin: a ``parameters`` cell, ``rep = report.open_wave(...)``
and then one call per section, e.g. ``report.questions(rep, section)``. Every call returns an
:class:`Html` fragment, which Jupyter displays and nbconvert keeps in the rendered report.

Nothing here knows the UN.GIFT questions: the instrument decides what is shown. A question's type
picks its block: ``single`` -> bar chart of shares; ``rating`` -> diverging stacked bars overall
and by group on one axis plus median/mean/top-box; ``count`` -> bar chart of the bins plus
median/quartiles; ``multi`` -> shares with interval error bars; ``open`` -> drafted paragraphs,
theme counts and quotes; ``list`` -> mentions grouped by the grouping question.

Group tests come from the report-wide *test family* (:func:`build_test_family`): every test of
every section of one wave, adjusted together with Benjamini-Hochberg and stored beside the clean
data, so each part shows the same raw and adjusted p.

All respondent text is HTML-escaped (:func:`giftreview.text.safety.escape_html`); quotes are also
redacted (:func:`giftreview.text.safety.redact_pii`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from giftreview import __version__, paths
from giftreview.data import io
from giftreview.data.instrument import (
    CLOSED_TYPES,
    Instrument,
    Question,
    file_sha256,
    load_instrument,
)
from giftreview.errors import ArgumentError
from giftreview.text.safety import escape_html as esc

__all__ = [
    "FAMILY_FILE",
    "BREAKDOWN_FILE",
    "POSTHOC_FILE",
    "FAMILY_METHOD",
    "QUOTES_PER_QUESTION",
    "Html",
    "Report",
    "is_prepared",
    "open_wave",
    "prepare",
    "build_test_family",
    "fmt_pct",
    "fmt_ci",
    "fmt_ci_column",
    "fmt_p",
    "fmt_num",
    "html_table",
    "heading",
    "group_noun",
    "is_synthetic",
    "synthetic_label",
    "provenance_items",
    "provenance",
    "title_page",
    "introduction",
    "response_accounting",
    "chart_rows",
    "BLOCKS",
    "question",
    "section_title",
    "questions",
    "appendix",
    "data_accounting",
    "tests_explained",
    "interval_methods",
    "suppression_rule",
    "quantifier_table",
]

FAMILY_FILE = "report_tests.csv"
BREAKDOWN_FILE = "report_breakdowns.parquet"
POSTHOC_FILE = "report_posthoc.csv"
#: the multiplicity adjustment applied to the whole family of one wave's tests
FAMILY_METHOD = "fdr_bh"
QUOTES_PER_QUESTION = 3


class Html:
    """An HTML fragment that Jupyter displays (``_repr_html_``) and tests can read (``str``)."""

    def __init__(self, html: str):
        self.html = html

    def _repr_html_(self) -> str:
        return self.html

    def __str__(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"Html({len(self.html)} characters)"


@dataclass
class Report:
    """One wave opened for reporting: the data, the instrument and the notebook parameters."""

    instrument: Instrument
    data: pd.DataFrame
    manifest: dict[str, Any]
    wave: str
    raw: Path
    processed: Path
    output: Path
    group_by: str
    confidence: float
    k: int
    weights: pd.Series | None
    parameters: dict[str, Any] = field(default_factory=dict)
    coded: dict[str, Any] = field(default_factory=dict, repr=False)  # open answers coded once
    # suppressed breakdowns, computed once per question (the chart and the appendix share them)
    suppressed: dict[str, Any] = field(default_factory=dict, repr=False)

    # The test family is read on first use (built then when missing): a notebook that shows no
    # test (the overview) can run while `giftreview run` is still building it.
    @cached_property
    def family(self) -> pd.DataFrame:
        """Every group test of the wave with raw and Benjamini-Hochberg adjusted p."""
        if not (self.processed / FAMILY_FILE).exists():
            build_test_family(
                self.processed,
                self.instrument,
                group_by=self.group_by or None,
                confidence=self.confidence,
            )
        return pd.read_csv(self.processed / FAMILY_FILE)

    @cached_property
    def breakdowns(self) -> pd.DataFrame:
        """Group x answer tables of every closed question (from :func:`build_test_family`)."""
        self.family  # noqa: B018 - builds the files when missing
        return _read_optional_parquet(self.processed / BREAKDOWN_FILE)

    @cached_property
    def posthoc(self) -> pd.DataFrame:
        """Dunn pairs of every rating and count question."""
        self.family  # noqa: B018 - builds the files when missing
        return _read_optional_csv(self.processed / POSTHOC_FILE)


# ---- opening a wave ----------------------------------------------------------------------------
def is_prepared(processed: Path | str, *, family: bool = True) -> bool:
    """True when ``processed`` holds a clean wave (and, with ``family``, its test family)."""
    p = Path(processed)
    files = ("clean.parquet", "manifest.json", *((FAMILY_FILE,) if family else ()))
    return all((p / f).exists() for f in files)


def open_wave(
    *,
    raw: str,
    instrument: str,
    wave: str = "",
    processed: str = "",
    group_by: str = "",
    confidence: float = 0.95,
    k: int = 5,
    weights: bool = False,
    output: str = "",
) -> Report:
    """Open a wave for reporting (what every notebook calls first with its parameters).

    Relative paths start at the project root. When the cleaned wave is not there yet (a notebook
    opened by hand), the raw file is cleaned first; the test family is built on first use.

    Parameters
    ----------
    raw, instrument
        The raw export and the instrument file.
    wave
        Wave label; ``""`` is the raw file's stem.
    processed
        The cleaned-wave folder; ``""`` is ``data/processed/<wave>``.
    group_by
        Question id of the grouping (``""`` = the instrument's ``group_by``).
    confidence
        Two-sided level of every interval.
    k
        Small-cell threshold: counts ``0 < n < k`` are suppressed in every breakdown.
    weights
        Use post-stratification weights (the instrument's ``contacted`` totals) for the shares.
    output
        Folder for files the notebook writes (``""`` = ``reports/<wave>``).
    """
    params = dict(locals())  # the notebook's parameters, for the provenance block
    if not 0 < float(confidence) < 1:
        raise ArgumentError(f"`confidence` {confidence!r}: give a level between 0 and 1, e.g. 0.95")
    if int(k) < 0:
        raise ArgumentError(f"`k` {k!r}: the suppression threshold is a count >= 0 (0 = off)")
    inst = load_instrument(paths.from_root(instrument))
    raw_path = paths.from_root(raw)
    label = wave or raw_path.stem
    proc = paths.from_root(processed) if processed else paths.processed_dir(label)
    by = group_by or inst.group_by or ""
    if by:
        inst.question(by)  # raises naming the known ids
    if not is_prepared(proc, family=False):
        from giftreview.data.clean import clean_wave

        clean_wave(raw_path, inst, wave=label, out_dir=proc)
    data, w = _data_and_weights(io.load_clean(proc), inst, by, weights)
    return Report(
        instrument=inst,
        data=data,
        manifest=io.load_manifest(proc),
        wave=label,
        raw=raw_path,
        processed=proc,
        output=paths.from_root(output) if output else paths.report_dir(label),
        group_by=by,
        confidence=float(confidence),
        k=int(k),
        weights=w,
        parameters=params,
    )


def _read_optional_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _read_optional_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.exists() and path.stat().st_size > 1 else pd.DataFrame()


def _data_and_weights(
    data: pd.DataFrame, inst: Instrument, by: str, weights: bool
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The data and, with ``weights``, post-stratification weights from ``contacted``.

    A respondent without a post-stratum (``by`` missing) cannot be weighted, so weighted shares
    use the others (the captions say how many were left out).
    """
    if not weights:
        return data, None
    from giftreview.analysis import weights as wmod

    data = data[data[by].notna()].reset_index(drop=True) if by else data
    return data, wmod.poststratify(data, by, wmod.population_from_instrument(inst))


def prepare(
    raw: Path,
    instrument: Instrument,
    *,
    wave: str,
    processed: Path,
    group_by: str,
    confidence: float,
) -> None:
    """Clean ``raw`` into ``processed`` and build the report's test family there."""
    from giftreview.data.clean import clean_wave

    clean_wave(raw, instrument, wave=wave, out_dir=processed)
    build_test_family(processed, instrument, group_by=group_by or None, confidence=confidence)


def build_test_family(
    processed: Path | str,
    instrument: Instrument,
    *,
    group_by: str | None = None,
    confidence: float = 0.95,
    seed: int | None = None,
) -> pd.DataFrame:
    """Break every closed question of every report section down by ``group_by``; adjust once.

    Writes ``report_tests.csv`` (every test with ``section``, ``question``, ``p_value`` and the
    Benjamini-Hochberg ``p_adjusted`` over the whole family), ``report_breakdowns.parquet`` (the
    group x level tables) and ``report_posthoc.csv`` (Dunn pairs) into ``processed``.

    Notes
    -----
    The family is every test the report prints for one wave (m tests); BH controls the false
    discovery rate over all of them: :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)}/j)`.
    In R: ``p.adjust(p, "BH")`` over the concatenated p-values.
    """
    from giftreview.analysis import stats

    seed = stats.DEFAULT_SEED if seed is None else seed
    processed = Path(processed)
    data = io.load_clean(processed)
    by = group_by or instrument.group_by
    tests, tables, posthoc = [], [], []
    for section in instrument.report_sections():
        for qid in section.questions:
            q = instrument.question(qid)
            if by is None or q.type not in CLOSED_TYPES or qid == by:
                continue
            b = stats.breakdown_question(
                data, instrument, qid, by=by, confidence=confidence, seed=seed
            )
            tag = {"section": section.id, "question": qid}
            tests.append(b.tests.assign(**tag))
            tables.append(b.table.assign(**tag).astype({"group": str, "level": str}))
            if len(b.posthoc):
                posthoc.append(b.posthoc.assign(**tag))
    cols = ["section", "question", *stats.TEST_COLUMNS]
    family = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=cols)
    family = stats.adjust_pvalues(family, FAMILY_METHOD)
    family.to_csv(processed / FAMILY_FILE, index=False)
    if tables:
        pd.concat(tables, ignore_index=True).to_parquet(processed / BREAKDOWN_FILE, index=False)
    if posthoc:
        pd.concat(posthoc, ignore_index=True).to_csv(processed / POSTHOC_FILE, index=False)
    else:
        (processed / POSTHOC_FILE).write_text("\n", encoding="utf-8")
    return family


# ---- small formatting helpers -----------------------------------------------------------------
def fmt_pct(value: Any) -> str:
    return "" if pd.isna(value) else f"{float(value):.1f}"


def fmt_ci(low: Any, high: Any) -> str:
    if pd.isna(low) or pd.isna(high):
        return ""
    return f"{float(low):.1f} to {float(high):.1f}"


def fmt_ci_column(table: pd.DataFrame) -> list[str]:
    """The ``ci_low``/``ci_high`` columns of ``table`` as one "low to high" text per row."""
    return [fmt_ci(a, b) for a, b in zip(table["ci_low"], table["ci_high"], strict=True)]


def fmt_p(p: Any) -> str:
    if pd.isna(p):
        return ""
    return "<0.001" if float(p) < 0.001 else f"{float(p):.3f}"


def fmt_num(x: Any, digits: int = 2) -> str:
    if pd.isna(x):
        return ""
    return f"{float(x):.{digits}f}".rstrip("0").rstrip(".") if digits else f"{float(x):.0f}"


def html_table(frame: pd.DataFrame, *, caption: str = "", numeric: tuple[str, ...] = ()) -> str:
    """A table with every cell and header HTML-escaped (``numeric`` columns right-aligned).

    Hand-written rather than ``DataFrame.to_html`` so each numeric cell gets a class and the
    caption is escaped like the cells.
    """
    head = "".join(
        f"<th{' class=num' if c in numeric else ''}>{esc(c)}</th>" for c in frame.columns
    )
    body = []
    for row in frame.itertuples(index=False):
        cells = "".join(
            f"<td{' class=num' if c in numeric else ''}>{esc('' if pd.isna(v) else v)}</td>"
            for c, v in zip(frame.columns, row, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="gr-table">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def heading(q: Question) -> str:
    """A question's heading as in the published summary: ``"N) wording"``."""
    return f"{q.number}) {q.text}" if q.number is not None else q.text


def group_noun(instrument: Instrument, group_by: str) -> str:
    """How the grouping is named in prose: the words after a final "by" in the grouping
    question's wording ("... received by sector" -> "sector"), else the wording itself."""
    import re

    if not group_by:
        return "group"
    text = instrument.question(group_by).text.strip().rstrip(":?.")
    m = re.search(r"\bby ([\w /-]+)$", text)
    return m.group(1).strip() if m else text.lower()


def _section(instrument: Instrument, section_id: str):
    """The report section ``section_id`` (``""`` = the first one)."""
    if not section_id:
        return instrument.report_sections()[0]
    for s in instrument.report_sections():
        if s.id == section_id:
            return s
    known = ", ".join(s.id for s in instrument.report_sections())
    raise ArgumentError(f"`section` {section_id!r} is not a report section; known: {known}")


# ---- provenance, labels, introduction ----------------------------------------------------------
def is_synthetic(raw: Path) -> bool:
    """True when the raw file's folder README declares the data SYNTHETIC (bundled waves)."""
    readme = Path(raw).parent / "README.md"
    try:
        return "SYNTHETIC" in readme.read_text(encoding="utf-8")
    except OSError:
        return False


def synthetic_label(rep: Report) -> Html:
    """The first-page warning that the data are synthetic (empty for real data)."""
    if not is_synthetic(rep.raw):
        return Html("")
    return Html(
        '<p class="gr-synthetic">SYNTHETIC DATA: these responses were generated by '
        "scripts/generate_synthetic.py to demonstrate the method. They are not the answers of "
        "the real survey; do not cite any figure in this report as a finding.</p>"
    )


def provenance_items(rep: Report) -> dict[str, str]:
    """Raw file and instrument sha256, version, git commit, parameters and the run date."""
    from giftreview.pipeline.provenance import git_commit, run_date

    inst_path = rep.instrument.path
    return {
        "raw file": rep.raw.name,
        "raw sha256": file_sha256(rep.raw) if rep.raw.exists() else "missing",
        "instrument": inst_path.name if inst_path else "(in memory)",
        "instrument sha256": rep.instrument.sha256 or "unknown",
        "wave": rep.wave,
        "giftreview version": __version__,
        "git commit": git_commit(),
        "parameters": json.dumps(
            {k: v for k, v in rep.parameters.items() if k not in ("raw", "instrument")},
            sort_keys=True,
        ),
        "run date": run_date().strftime("%Y-%m-%d %H:%M UTC"),
    }


def provenance(rep: Report) -> Html:
    """The provenance block printed at the end of every part."""
    rows = "".join(
        f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in provenance_items(rep).items()
    )
    return Html(
        f'<section class="gr-provenance"><h3>Provenance</h3><table class="gr-table">{rows}'
        "</table></section>"
    )


def title_page(rep: Report, title: str | None = None) -> Html:
    """Title, organization, wave and the synthetic-data label."""
    survey = rep.instrument.survey
    org = f"<p>{esc(survey.organization)}</p>" if survey.organization else ""
    return Html(
        f'<div class="gr-report"><h1>{esc(title or survey.title)}</h1>{org}'
        f"<p class=gr-note>Wave {esc(rep.wave)}</p>{synthetic_label(rep)}</div>"
    )


def introduction(rep: Report) -> Html:
    """The instrument's introduction, one paragraph per blank-line-separated block."""
    paras = [p.strip() for p in rep.instrument.survey.introduction.split("\n\n") if p.strip()]
    body = "".join(f"<p>{esc(' '.join(p.split()))}</p>" for p in paras)
    return Html(f'<div class="gr-report"><h2>Introduction</h2>{body}</div>')


# ---- response accounting (overview) -------------------------------------------------------------
def response_accounting(rep: Report) -> Html:
    """Rows received, kept and set aside (with reasons), and responses per group."""
    counts = rep.manifest.get("counts", {})
    rows = pd.DataFrame(
        {
            "": ["rows in the raw file", "respondents kept", "rows set aside (quarantined)"],
            "n": [
                counts.get("raw_rows", ""),
                counts.get("clean_rows", len(rep.data)),
                counts.get("quarantined_rows", ""),
            ],
        }
    )
    out = [html_table(rows, caption="Responses received", numeric=("n",))]
    quarantine = rep.processed / "quarantine.csv"
    if quarantine.exists():
        q = pd.read_csv(quarantine, dtype=str, usecols=lambda c: c == "reason")
        if "reason" in q.columns and len(q):
            reasons = q["reason"].value_counts().rename_axis("reason").reset_index(name="rows")
            out.append(html_table(reasons, caption="Why rows were set aside", numeric=("rows",)))
    if rep.group_by:
        q = rep.instrument.question(rep.group_by)
        s = _score(rep, q.id)
        table = s.table.assign(pct=s.table["pct"].map(fmt_pct))[["level", "n", "pct"]]
        out.append(
            html_table(
                table.rename(columns={"level": q.text, "pct": "%"}),
                caption=f"Respondents by {group_noun(rep.instrument, q.id)}",
                numeric=("n", "%"),
            )
        )
    return Html(f'<div class="gr-report"><h2>Response accounting</h2>{"".join(out)}</div>')


# ---- question blocks ---------------------------------------------------------------------------
def _score(rep: Report, qid: str):
    from giftreview.analysis.score import score_question

    return score_question(
        rep.data, rep.instrument, qid, confidence=rep.confidence, weights=rep.weights
    )


def _missing_note(summary: pd.DataFrame) -> str:
    miss = summary[summary["statistic"].astype(str).str.startswith(("missing", "blank"))]
    parts = [
        f"{r.statistic.removeprefix('missing: ')}: {int(r.n)}"
        for r in miss.itertuples()
        if pd.notna(r.n) and int(r.n) > 0
    ]
    return f"; not in the base: {', '.join(parts)}" if parts else ""


def _share_table(table: pd.DataFrame, label: str) -> str:
    shown = pd.DataFrame(
        {
            label: table["level"].astype(str),
            "n": table["n"],
            "%": table["pct"].map(fmt_pct),
            f"{'interval'} (%)": fmt_ci_column(table),
        }
    )
    return html_table(shown, numeric=("n", "%"))


def _summary_table(summary: pd.DataFrame) -> str:
    keep = summary[~summary["statistic"].astype(str).str.startswith(("missing", "blank"))]
    shown = pd.DataFrame(
        {
            "statistic": keep["statistic"].astype(str).str.replace("_", " "),
            "estimate": keep["estimate"].map(fmt_num),
            "interval": fmt_ci_column(keep),
            "n": keep["n"].map(lambda x: fmt_num(x, 0)),
            "method": keep["method"].fillna("").astype(str),
        }
    )
    return html_table(shown, caption="Summary", numeric=("estimate", "n"))


def _base(table: pd.DataFrame) -> int:
    return int(table["base"].iloc[0]) if len(table) and "base" in table else 0


def _caption(rep: Report, q: Question, n: int, summary: pd.DataFrame, extra: str = "") -> str:
    weighted = ""
    if rep.weights is not None:
        dropped = rep.manifest.get("counts", {}).get("clean_rows", len(rep.data)) - len(rep.data)
        weighted = "; shares weighted to the organizations contacted per group"
        weighted += f" ({dropped} respondents without a group left out)" if dropped else ""
    return (
        f"n = {n} respondents who answered{_missing_note(summary)}{weighted}. "
        f"Intervals: {rep.confidence:.0%} Wilson.{extra}"
    )


def _block_shares(rep: Report, q: Question) -> str:
    from giftreview.report import (
        plots,
    )  # imported when drawn: overview/methods kernels start faster

    s = _score(rep, q.id)
    n = _base(s.table)
    intervals = q.type == "multi"
    fig = plots.share_bars(s.table, title=q.text, n=n, intervals=intervals)
    alt = f"Bar chart: {q.text} {plots.describe_shares(s.table)} (n = {n})."
    extra = f" {s.base_statement}." if q.type == "multi" else ""
    html = plots.figure_html(fig, alt=alt, caption=_caption(rep, q, n, s.summary, extra))
    html += _share_table(s.table, "answer")
    if q.type == "count":
        html += _summary_table(s.summary)
    other = s.other_text.dropna() if len(s.other_text) else s.other_text
    if len(other):
        html += f"<p class=gr-note>{len(other)} respondents wrote an “Other (specify)” answer.</p>"
    return html


def _block_rating(rep: Report, q: Question) -> str:
    from giftreview.report import plots

    s = _score(rep, q.id)
    n = _base(s.table)
    scale = rep.instrument.scale_of(q.id)
    levels = [lv.label for lv in scale.levels]
    neutral = next((lv.label for lv in scale.levels if str(lv.code) == str(scale.neutral)), None)
    overall = s.table.assign(group=plots.OVERALL)[["group", "level", "pct"]]
    groups, hidden = chart_rows(
        _breakdown_table(rep, q.id), k=rep.k, suppressed=_suppressed(rep, q.id)
    )
    frame = pd.concat([overall, groups[["group", "level", "pct"]]], ignore_index=True)
    frame["level"] = frame["level"].astype(str)
    fig = plots.diverging_bars(frame, levels=levels, neutral=neutral, title=q.text, n=n)
    by = f" and by {group_noun(rep.instrument, rep.group_by)}" if rep.group_by else ""
    alt = (
        f"Diverging stacked bars, overall{by}: {q.text} Overall: {plots.describe_shares(s.table)}."
    )
    extra = f" Hatched: cells below {rep.k} and cells hidden with them." if rep.k else ""
    extra += f" Not drawn (group total hidden): {', '.join(hidden)}." if hidden else ""
    html = plots.figure_html(fig, alt=alt, caption=_caption(rep, q, n, s.summary, extra))
    return html + _share_table(s.table, "answer") + _summary_table(s.summary)


def chart_rows(
    table: pd.DataFrame, *, k: int, suppressed: tuple | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Rows ``group, level, pct`` of a by-group chart that reveals nothing the tables hide.

    A chart of row percentages lets a reader read each cell's share, so the suppressed cells of
    a group (primary and secondary, :func:`giftreview.analysis.disclosure.suppress_tidy` with the same
    ``k``) are merged into one :data:`giftreview.report.plots.SUPPRESSED` segment: its share, the row
    total less the visible cells, can already be worked out from the appendix table, while the
    secondary suppression keeps each hidden cell unrecoverable. A group whose total is hidden is
    left out of the chart and named in the second return value. ``k=0`` draws every cell.
    ``suppressed``: the ``suppress_tidy(table, k=k)`` result when already computed.
    """
    from giftreview.analysis.disclosure import suppress_tidy
    from giftreview.report.plots import SUPPRESSED

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
            merged = {"group": group, "level": SUPPRESSED, "pct": 100 * secret / base}
            rows.append(pd.DataFrame([merged]))
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    return out, omitted


def _suppressed(rep: Report, qid: str) -> tuple | None:
    """``suppress_tidy`` of question ``qid``'s breakdown, computed once per opened wave."""
    from giftreview.analysis.disclosure import suppress_tidy

    if qid not in rep.suppressed:
        table = _breakdown_table(rep, qid)
        rep.suppressed[qid] = None if table.empty else suppress_tidy(table, k=rep.k)
    return rep.suppressed[qid]


def _breakdown_table(rep: Report, qid: str) -> pd.DataFrame:
    b = rep.breakdowns
    if b.empty or "question" not in b:
        return pd.DataFrame(columns=["group", "level", "n", "base", "pct", "ci_low", "ci_high"])
    return b[b["question"] == qid].reset_index(drop=True)


def _coded(rep: Report, qid: str):
    """The coding of open question ``qid`` (computed once per opened wave)."""
    from giftreview.text import coding

    if qid not in rep.coded:
        rep.coded[qid] = coding.code_question(rep.data, rep.instrument, qid)
    return rep.coded[qid]


def _block_open(rep: Report, q: Question) -> str:
    from giftreview.text import coding

    coded = _coded(rep, q.id)
    freq = coding.theme_frequencies(coded, rep.data, by=None, confidence=rep.confidence, k=rep.k)
    base = int(freq["base"].iloc[0]) if len(freq) else 0
    html = _narrative(rep, coded, freq)
    shown = pd.DataFrame(
        {
            "theme": freq["label"].astype(str),
            "respondents": freq["n_display"].astype(str),
            "% of those who answered": freq["pct"].map(fmt_pct),
            "interval (%)": fmt_ci_column(freq),
            "coded by": freq["source"].astype(str),
        }
    )
    html += html_table(
        shown,
        caption=f"Themes mentioned (n = {base} answered; "
        f"{len(coded.uncoded)} answers matched no theme)",
        numeric=("respondents",),
    )
    return html


def _narrative(rep: Report, coded, freq: pd.DataFrame) -> str:
    """Drafted paragraphs (quantifier words with counts) and one quote for each top theme."""
    from giftreview.text import narrative

    html = narrative.as_html(narrative.draft_paragraphs(freq, coded.codebook))
    org = "organization" if "organization" in rep.data else None
    quotes = narrative.select_quotes(coded, rep.data, n=1, organization_column=org)
    top = freq[freq["group"].astype(str) == "All"].sort_values("n", ascending=False)["theme"]
    chosen = (
        quotes.set_index("theme").reindex(top).dropna(subset=["quote"]).head(QUOTES_PER_QUESTION)
    )
    for label, text in zip(chosen["label"], chosen["quote"], strict=True):
        html += (
            f'<blockquote class="gr-quote">{esc(text)}'
            f'<span class="gr-note"> ({esc(label)})</span></blockquote>'
        )
    return html


def _block_list(rep: Report, q: Question) -> str:
    from giftreview.text import lists

    mentions = lists.institution_mentions(rep.data, rep.instrument, q.id)
    table = lists.table_by_group(mentions, k=rep.k)
    by = group_noun(rep.instrument, rep.group_by)
    rows = [
        (
            str(group),
            "; ".join(f"{name} ({n})" for name, n in zip(g["name"], g["n_display"], strict=True)),
        )
        for group, g in table.groupby("group", sort=False, observed=True)
    ]
    frame = pd.DataFrame(rows, columns=["group", "institutions named (respondents)"])
    answered = int(mentions["respondent_id"].nunique()) if len(mentions) else 0
    return (
        f"<p>The responses were grouped by {esc(by)} ({answered} respondents named at least one; "
        f"counts below {rep.k} shown as “&lt;{rep.k}”).</p>" + html_table(frame)
    )


BLOCKS = {
    "single": _block_shares,
    "count": _block_shares,
    "multi": _block_shares,
    "rating": _block_rating,
    "open": _block_open,
    "list": _block_list,
}


def question(rep: Report, qid: str) -> Html:
    """One question: its heading as in the published summary, then its chart/table/narrative."""
    q = rep.instrument.question(qid)
    body = BLOCKS[q.type](rep, q)
    head = f"<h3>{esc(heading(q))}</h3>"
    if body.startswith("<figure"):  # keep the heading on the page of its chart
        cut = body.index("</figure>") + len("</figure>")
        head, body = f'<div class="gr-keep">{head}{body[:cut]}</div>', body[cut:]
    return Html(f'<section class="gr-question">{head}{body}</section>')


def section_title(rep: Report, section: str) -> Html:
    """The part title (e.g. "Part A) ...") and the section's introduction, if any."""
    s = _section(rep.instrument, section)
    part = rep.instrument.part_title(s.part) if s.part else s.title
    intro = f"<p>{esc(s.intro)}</p>" if s.intro else ""
    return Html(
        f'<div class="gr-report"><h2>{esc(part)}</h2>'
        f"{'<p class=gr-note>' + esc(s.title) + '</p>' if s.title != part else ''}"
        f"{synthetic_label(rep)}{intro}</div>"
    )


def questions(rep: Report, section: str) -> Html:
    """Every question of report section ``section``, in the instrument's order."""
    s = _section(rep.instrument, section)
    return Html(
        '<div class="gr-report">' + "".join(str(question(rep, q)) for q in s.questions) + "</div>"
    )


# ---- statistical appendix ----------------------------------------------------------------------
def _tests_table(rep: Report, qid: str) -> str:
    fam = rep.family[rep.family["question"] == qid] if "question" in rep.family else rep.family[:0]
    if fam.empty:
        return ""
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
    return html_table(shown, caption=cap, numeric=("statistic", "df", "p", "adjusted p (BH)", "n"))


def _suppressed_breakdown(rep: Report, qid: str) -> str:
    if _suppressed(rep, qid) is None:
        return ""
    shown, res = _suppressed(rep, qid)
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
    return html_table(frame, caption=cap, numeric=("n", "%"))


def _posthoc_table(rep: Report, qid: str) -> str:
    ph = rep.posthoc
    if ph.empty or "question" not in ph:
        return ""
    ph = ph[ph["question"] == qid]
    if ph.empty:
        return ""
    shown = pd.DataFrame(
        {
            "group 1": ph["group_1"].astype(str),
            "group 2": ph["group_2"].astype(str),
            "p": ph["p_value"].map(fmt_p),
            "adjusted p (Holm, within question)": ph["p_adjusted"].map(fmt_p),
        }
    )
    return html_table(shown, caption="Pairwise comparisons (Dunn)", numeric=("p",))


def _appendix_open(rep: Report, q: Question) -> str:
    from giftreview.text import coding

    if not rep.group_by:
        return ""
    coded = _coded(rep, q.id)
    freq = coding.theme_frequencies(
        coded, rep.data, by=rep.group_by, confidence=rep.confidence, k=rep.k
    )
    freq = freq[freq["group"].astype(str) != "All"]
    shown = pd.DataFrame(
        {
            "group": freq["group"].astype(str),
            "theme": freq["label"].astype(str),
            "respondents": freq["n_display"].astype(str),
            "base": freq["base"],
            "%": freq["pct"].map(fmt_pct),
            "interval (%)": fmt_ci_column(freq),
        }
    )
    return html_table(
        shown,
        caption=f"Themes by group (counts below {rep.k} suppressed)",
        numeric=("respondents", "base", "%"),
    )


def appendix(rep: Report, section: str) -> Html:
    """The section's statistical appendix: every breakdown by the grouping question."""
    s = _section(rep.instrument, section)
    by = group_noun(rep.instrument, rep.group_by) if rep.group_by else "(no grouping)"
    out = [f"<h2>Statistical appendix</h2><p>All breakdowns by {esc(by)}.</p>"]
    for qid in s.questions:
        q = rep.instrument.question(qid)
        if qid == rep.group_by:
            body = "<p class=gr-note>This is the grouping question.</p>"
        elif q.type in CLOSED_TYPES:
            body = (
                _suppressed_breakdown(rep, qid) + _tests_table(rep, qid) + _posthoc_table(rep, qid)
            )
        elif q.type == "open":
            body = _appendix_open(rep, q)
        else:
            body = "<p class=gr-note>Mentions by group are shown with the question above.</p>"
        out.append(f'<section class="gr-question"><h3>{esc(heading(q))}</h3>{body}</section>')
    return Html(f'<div class="gr-report">{"".join(out)}</div>')


# ---- methods -----------------------------------------------------------------------------------
def _count_csv(path: Path, columns: list[str], caption: str) -> str:
    if not path.exists():
        return f"<p class=gr-note>{esc(path.name)} not found.</p>"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [c for c in columns if c in frame.columns]
    if frame.empty or not cols:
        return f"<p class=gr-note>{esc(caption)}: none.</p>"
    counts = frame.groupby(cols, sort=True).size().reset_index(name="rows")
    return html_table(counts, caption=caption, numeric=("rows",))


def data_accounting(rep: Report) -> Html:
    """Every raw row accounted for; the validation, audit and quarantine summaries."""
    c = rep.manifest.get("counts", {})
    text = (
        f"<p>The raw file had {esc(c.get('raw_rows', '?'))} data rows: "
        f"{esc(c.get('clean_rows', len(rep.data)))} respondents were kept and "
        f"{esc(c.get('quarantined_rows', '?'))} rows set aside (raw rows = kept + set aside). "
        "Every changed cell is logged in audit.csv, every problem in validation.csv, every row "
        f"set aside in quarantine.csv, all in {esc(rep.processed.name)}/.</p>"
    )
    parts = [
        text,
        _count_csv(
            rep.processed / "validation.csv",
            ["rule", "severity", "action"],
            "Problems found, by rule",
        ),
        _count_csv(rep.processed / "audit.csv", ["column", "rule"], "Cells changed, by rule"),
        _count_csv(rep.processed / "quarantine.csv", ["reason"], "Rows set aside, by reason"),
    ]
    return Html(f'<div class="gr-report"><h2>Data accounting</h2>{"".join(parts)}</div>')


def tests_explained(rep: Report) -> Html:
    """Which test each breakdown used and why, and the multiplicity adjustment."""
    fam = rep.family
    m = int(fam["p_value"].notna().sum()) if "p_value" in fam else 0
    used = (
        fam.groupby(["test", "reason"], dropna=False).size().reset_index(name="tests")
        if len(fam)
        else pd.DataFrame(columns=["test", "reason", "tests"])
    )
    text = (
        "<p>The question type decides the test. Single choice: Pearson's chi-square test of "
        "independence when Cochran's rule holds (no expected count below 1, at most 20% below "
        "5), otherwise an exact test (Fisher for 2x2, Monte-Carlo for larger tables, seeded); "
        "effect size Cramér's V. Ratings and counts: Kruskal-Wallis (ordinal answers, no "
        "normality assumed), then Dunn's pairwise tests with Holm's adjustment; effect size "
        "epsilon-squared. Multiple choice: one test per option, chosen or not chosen, among "
        "those who answered.</p>"
        f"<p>All {m} p-values of this report form one family, adjusted together with the "
        "Benjamini-Hochberg procedure (false discovery rate); every table shows the raw and the "
        "adjusted p.</p>"
    )
    return Html(
        f'<div class="gr-report"><h2>Tests and why each was chosen</h2>{text}'
        f"{html_table(used, caption='Tests used in this report', numeric=('tests',))}</div>"
    )


def interval_methods(rep: Report) -> Html:
    """How every interval is computed."""
    text = (
        f"<p>All intervals are two-sided at {rep.confidence:.0%}. Shares use the Wilson score "
        "interval (good coverage for small n and shares near 0 or 100%, unlike the normal "
        "approximation). Means of rating levels and counts use the t interval; medians a "
        "distribution-free interval from order statistics. With weights on, shares are "
        "post-stratified to the organizations contacted per group and their intervals come "
        "from Taylor-linearised standard errors on the logit scale (R survey's svyciprop).</p>"
    )
    return Html(f'<div class="gr-report"><h2>Interval methods</h2>{text}</div>')


def suppression_rule(rep: Report) -> Html:
    """The small-cell rule applied to every published breakdown."""
    text = (
        f"<p>In every breakdown a count below k = {rep.k} is shown as “&lt;{rep.k}” with its "
        "percentage hidden (primary suppression). Where a row or column total would let a "
        "reader recover a hidden cell, further cells are hidden and shown as “x” (secondary "
        "suppression), checked by linear programming so that no hidden cell can be pinned down "
        "from the published totals. Overall distributions (not broken down) are shown in full."
        "</p>"
    )
    return Html(f'<div class="gr-report"><h2>Suppression rule</h2>{text}</div>')


def quantifier_table(rep: Report) -> Html:
    """The words the drafted paragraphs use for shares ("some", "many", ...)."""
    try:
        from giftreview.text import narrative
    except ImportError:
        body = "<p class=gr-note>giftreview.text.narrative is not installed.</p>"
    else:
        body = html_table(narrative.quantifier_table())
    return Html(f'<div class="gr-report"><h2>Quantifier table</h2>{body}</div>')
