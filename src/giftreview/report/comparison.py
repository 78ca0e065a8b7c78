"""The wave comparison report: `giftreview compare WAVE_A WAVE_B` and notebooks/compare.py.

The statistics are in :mod:`giftreview.analysis.compare`; this module opens two waves, publishes the
tables through small-cell suppression (:func:`giftreview.analysis.disclosure.suppress`) and gives
the notebook one call per section, rendered with the report's templates. The notebook itself is
run by :func:`giftreview.pipeline.compare.render_comparison`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from giftreview import __version__, paths
from giftreview.analysis.compare import WaveComparison, compare_waves
from giftreview.analysis.design import WALD_DIFFERENCE, weighted_data
from giftreview.analysis.disclosure import PRIMARY, SECONDARY, suppress
from giftreview.analysis.independent import INDEPENDENT, INTERVAL_METHOD, PAIRED_UNWEIGHTED
from giftreview.analysis.paired import MCNEMAR_EXACT_BELOW, PAIRED
from giftreview.data import io
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import Instrument, file_sha256, load_instrument
from giftreview.errors import ArgumentError
from giftreview.pipeline import cache
from giftreview.pipeline.provenance import git_commit, run_date
from giftreview.report.index import CHANGES_FILE
from giftreview.report.provenance import DATE_FORMAT, parameter_rows
from giftreview.report.templating import fmt_p, render
from giftreview.report.views import Bullets, Html, QuestionView, Table
from giftreview.report.wave import heading, is_synthetic

__all__ = [
    "NOTEBOOK",
    "Comparison",
    "resolve_raw",
    "open_comparison",
    "CHANGES_FILE",
    "change_summary",
    "suppress_changes",
    "title",
    "comparability",
    "closed_questions",
    "open_questions",
    "list_questions",
    "methods",
    "provenance_items",
    "provenance",
]

NOTEBOOK = "compare"
_RAW_EXT = ("csv", "xlsx", "sav")


@dataclass
class Comparison:
    """Two waves opened for the comparison notebook."""

    result: WaveComparison
    inst_a: Instrument
    inst_b: Instrument
    raws: tuple[Path, Path]
    k: int
    confidence: float
    parameters: dict = field(default_factory=dict)


def resolve_raw(spec: str | Path) -> Path:
    """A raw file from a path or a wave label (``ungift_2012`` -> ``data/raw/ungift_2012.csv``)."""
    p = Path(spec)
    for cand in (p, paths.PROJ_ROOT / p):
        if cand.is_file():
            return cand.resolve()
    found = [paths.DATA_RAW / f"{spec}.{ext}" for ext in _RAW_EXT]
    found = [f for f in found if f.is_file()]
    if found:
        return found[0]
    known = sorted(f.stem for ext in _RAW_EXT for f in paths.DATA_RAW.glob(f"*.{ext}"))
    raise ArgumentError(
        f"wave {str(spec)!r}: no such raw file and no data/raw/{spec}.csv|xlsx|sav; "
        f"give a raw file path or a wave label ({', '.join(known) or 'none in data/raw'})"
    )


def _clean(raw: Path, inst: Instrument) -> pd.DataFrame:
    """The clean table of ``raw``: read from data/processed/<wave> when its cache key (the one
    ``giftreview run`` records: raw, instrument, codebooks, library) is current, else cleaned."""
    wave_dir = paths.processed_dir(raw.stem)
    key = cache.clean_key(cache.input_hashes(raw, inst), raw.stem)
    if cache.is_current(wave_dir, cache.CLEAN_STEP, key) and (wave_dir / "clean.parquet").exists():
        return io.load_clean(wave_dir)
    wave_dir.mkdir(parents=True, exist_ok=True)
    cache.forget(wave_dir, cache.CLEAN_STEP)
    clean = clean_wave(raw, inst, wave=raw.stem, out_dir=wave_dir).clean
    cache.record(wave_dir, cache.CLEAN_STEP, key)
    return clean


def open_comparison(
    *,
    wave_a: str,
    wave_b: str,
    instrument_a: str = "",
    instrument_b: str = "",
    confidence: float = 0.95,
    k: int = 5,
    sources: str = "",
) -> Comparison:
    """Clean (or reuse) two waves and compare them (what notebooks/compare.py calls first).

    ``sources`` is where each parameter's value came from, as JSON (written by
    ``giftreview compare``; ``""`` when the notebook is run by hand), printed next to each
    parameter in the provenance block."""
    raw_a, raw_b = resolve_raw(wave_a), resolve_raw(wave_b)
    inst_a = load_instrument(paths.from_root(instrument_a) if instrument_a else None)
    inst_b = load_instrument(paths.from_root(instrument_b)) if instrument_b else inst_a
    weighted = inst_a.design is not None or inst_b.design is not None
    if weighted and (inst_a.design is None or inst_b.design is None):
        lacking = "A" if inst_a.design is None else "B"
        raise ArgumentError(
            f"only one wave's instrument declares a design: block (instrument {lacking} does "
            "not); a weighted wave cannot be compared with an unweighted one. Add the design: "
            f"block to instrument {lacking}, or remove it from the other"
        )
    clean_a, clean_b = _clean(raw_a, inst_a), _clean(raw_b, inst_b)
    designs = None
    if weighted:  # both declare a design: the comparison is design-based
        clean_a, design_a = weighted_data(clean_a, inst_a)
        clean_b, design_b = weighted_data(clean_b, inst_b)
        designs = (design_a, design_b)
    result = compare_waves(clean_a, clean_b, inst_a, inst_b, confidence=confidence, designs=designs)
    params = dict(wave_a=wave_a, wave_b=wave_b, instrument_a=instrument_a,
                  instrument_b=instrument_b, confidence=confidence, k=k, sources=sources)  # fmt: skip
    return Comparison(result, inst_a, inst_b, (raw_a, raw_b), int(k), float(confidence), params)


def change_summary(cmp: Comparison) -> pd.DataFrame:
    """One line per compared closed question: its largest published change and adjusted p.

    Columns ``question, heading, change, p_adjusted``. ``change`` names the answer whose share
    moved most among the cells the comparison publishes (after :func:`suppress_changes`), e.g.
    ``"Important: 40.0% to 45.0% (+5.0 points)"``; ``p_adjusted`` is the smallest
    Benjamini-Hochberg adjusted p of the question's tests of change (text, as printed).
    """
    res, rows = cmp.result, []
    for qid in dict.fromkeys(res.tests["question"]):
        q = cmp.inst_b.question(qid)
        block = res.changes[res.changes.question == qid].reset_index(drop=True)
        shown = suppress_changes(block, cmp.k, binary=q.type == "multi") if len(block) else block
        change = ""
        if len(shown) and shown["difference"].notna().any():
            r = shown.loc[shown["difference"].abs().idxmax()]
            label = r["level"] if "level" in shown else r["theme"]
            change = (
                f"{label}: {_pct(r.share_a)}% to {_pct(r.share_b)}% "
                f"({100 * float(r.difference):+.1f} points)"
            )
        p = pd.to_numeric(res.tests.loc[res.tests.question == qid, "p_adjusted"], errors="coerce")
        rows.append(
            {
                "question": qid,
                "heading": heading(q),
                "change": change,
                "p_adjusted": fmt_p(p.min()) if p.notna().any() else "",
            }
        )
    return pd.DataFrame(rows, columns=["question", "heading", "change", "p_adjusted"])


# ---- disclosure control -------------------------------------------------------------------------
def suppress_changes(changes: pd.DataFrame, k: int, *, binary: bool) -> pd.DataFrame:
    """Hide small counts of a :func:`giftreview.analysis.independent.share_change` table (one question).

    ``binary`` tables (a multiple-choice option, a theme) are suppressed row by row as waves x
    (chosen, not chosen); other tables as one waves x levels table. Counts 1..k-1 (``"<k"``)
    and the cells secondary suppression picks (``"x"``) come from
    :func:`giftreview.analysis.disclosure.suppress` with row and column totals published; their shares,
    the difference and its interval are hidden.
    """
    out = changes.copy()
    out[["n_a", "n_b"]] = out[["n_a", "n_b"]].astype("object")
    if binary:
        for i, row in changes.iterrows():
            t = pd.DataFrame(
                [[row.n_a, row.base_a - row.n_a], [row.n_b, row.base_b - row.n_b]],
                index=["a", "b"],
                columns=["yes", "no"],
            )
            _hide(out, i, suppress(t, k=k).status["yes"], k)
    elif len(changes):
        t = pd.DataFrame(
            [changes.n_a.to_numpy(), changes.n_b.to_numpy()],
            index=["a", "b"],
            columns=changes.index,
        )
        status = suppress(t, k=k).status
        for i in changes.index:
            _hide(out, i, status[i], k)
    return out


def _hide(out: pd.DataFrame, i, status: pd.Series, k: int) -> None:
    """Mark the suppressed wave cells of row ``i`` and hide what they would reveal."""
    for w in ("a", "b"):
        if status[w] in (PRIMARY, SECONDARY):
            out.loc[i, f"n_{w}"] = "x" if status[w] == SECONDARY else f"<{k}"
            out.loc[i, [f"share_{w}", "difference", "ci_low", "ci_high"]] = np.nan


# ---- notebook sections --------------------------------------------------------------------------
def title(cmp: Comparison) -> Html:
    """The heading, the synthetic-data label and how the waves were matched."""
    wa, wb = cmp.result.waves
    return render(
        "report/compare_title.html.j2",
        survey=cmp.inst_b.survey.title,
        wave_a=wa,
        wave_b=wb,
        synthetic=any(is_synthetic(r) for r in cmp.raws),
        n_matched=cmp.result.n_matched,
        respondent_id=cmp.inst_b.raw.respondent_id,
        unit=cmp.inst_b.unit,
    )


def comparability(cmp: Comparison) -> Html:
    """Every question of either wave: comparable or not, and why."""
    table = cmp.result.comparability.assign(
        comparable=lambda d: d["comparable"].map({True: "yes", False: "no"})
    )
    n_no = int((~cmp.result.comparability["comparable"]).sum())
    cap = f"Questions in either wave; {n_no} not comparable (reason given), none dropped"
    return render(
        "report/block.html.j2",
        title="Which questions can be compared",
        parts=[Table(table, caption=cap)],
    )


def _pct(v) -> str:
    return "" if pd.isna(v) else f"{100 * float(v):.1f}"


def _changes_table(block: pd.DataFrame, cmp: Comparison, *, binary: bool, name: str) -> Table:
    wa, wb = cmp.result.waves
    shown = suppress_changes(block.reset_index(drop=True), cmp.k, binary=binary)
    level = int(round(100 * cmp.confidence))
    weighted = "se" in block and block["se"].notna().any()  # design-based rows carry an SE
    frame = pd.DataFrame(
        {
            name: shown["level" if "level" in shown else "theme"],
            f"n {wa}": shown.n_a,
            f"% {wa}": shown.share_a.map(_pct),
            f"n {wb}": shown.n_b,
            f"% {wb}": shown.share_b.map(_pct),
            "change (points)": shown.difference.map(_pct),
            f"{level}% interval" + (" (design-based Wald)" if weighted else ""): [
                "" if pd.isna(lo) else f"{_pct(lo)} to {_pct(hi)}"
                for lo, hi in zip(shown.ci_low, shown.ci_high, strict=True)
            ],
        }
    )
    numeric = tuple(c for c in frame.columns if c != name)
    base = f"bases: {wa} {int(block.base_a.max())}, {wb} {int(block.base_b.max())} answering"
    what = "Weighted (design-based) percentages" if weighted else "Percentages"
    cap = f"{what} of those answering; {base}; <{cmp.k}: small count hidden, x: hidden so it cannot be recovered."
    return Table(frame, caption=cap, numeric=numeric)


def _tests_table(tests: pd.DataFrame) -> Table:
    frame = pd.DataFrame(
        {
            "option": tests["level"].fillna(""),
            "design": tests["design"],
            "test": tests["test"],
            "n": [
                f"{int(r.n_pairs)} pairs"
                if r.design == PAIRED and pd.notna(r.n_pairs)
                else (f"{int(r.n_a)} + {int(r.n_b)}" if pd.notna(r.n_a) else "")
                for r in tests.itertuples()
            ],  # fmt: skip
            "statistic": tests["statistic"].map(lambda v: "" if pd.isna(v) else f"{v:.3f}"),
            "p": tests["p_value"].map(fmt_p),
            "adjusted p (BH)": tests["p_adjusted"].map(fmt_p),
            "why this test": tests["reason"],
        }
    )
    if not frame["option"].astype(bool).any():
        frame = frame.drop(columns="option")
    return Table(frame, caption="Tests of change", numeric=("statistic", "p"))


def _questions(title: str, views: list[QuestionView]) -> Html:
    return render("report/questions.html.j2", title=title, intro=[], questions=views)


def closed_questions(cmp: Comparison) -> Html:
    """For each compared closed question: shares by wave with the change, then its tests."""
    res, views = cmp.result, []
    for qid in dict.fromkeys(res.tests["question"]):
        q = cmp.inst_b.question(qid)
        block = res.changes[res.changes.question == qid]
        parts = []
        if len(block):
            name = "option" if q.type == "multi" else "answer"
            parts.append(_changes_table(block, cmp, binary=q.type == "multi", name=name))
        parts.append(_tests_table(res.tests[res.tests.question == qid]))
        views.append(QuestionView(heading(q), None, parts))
    return _questions("Closed questions", views)


def open_questions(cmp: Comparison) -> Html:
    """Theme prevalence per open question in each wave, with the change and its test."""
    themes = cmp.result.themes
    if themes is None or themes.empty:
        return Html("")
    views = []
    for qid in dict.fromkeys(themes["question"]):
        block = themes[themes.question == qid]
        tests = block.rename(columns={"theme": "level"}).assign(design=INDEPENDENT)
        tests["p_adjusted"] = np.nan
        parts = [
            _changes_table(block, cmp, binary=True, name="theme"),
            _tests_table(tests.assign(level=block["theme"].to_numpy())),
        ]
        views.append(QuestionView(heading(cmp.inst_b.question(qid)), None, parts))
    return _questions("Open answers: how often each theme was mentioned", views)


def list_questions(cmp: Comparison) -> Html:
    """Institutions newly named, no longer named and named in both waves (counts < k hidden)."""
    inst = cmp.result.institutions
    if inst is None or inst.empty:
        return Html("")
    wa, wb = cmp.result.waves
    unit = cmp.inst_b.unit.plural
    views = []
    for qid in dict.fromkeys(inst["question"]):
        block = inst[inst.question == qid]
        frame = pd.DataFrame(
            {
                "institution": block.institution,
                f"{unit} naming it, {wa}": block.n_a.map(lambda n: _small(n, cmp.k)),
                f"{unit} naming it, {wb}": block.n_b.map(lambda n: _small(n, cmp.k)),
                "status": block.status,
            }
        )
        counts = block.status.value_counts()
        cap = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("newly named", "no longer named"))
        views.append(QuestionView(heading(cmp.inst_b.question(qid)), None, [Table(frame, cap)]))
    return _questions("Institutions named", views)


def _small(n: int, k: int) -> str:
    return f"<{k}" if 0 < n < k else str(n)


def methods(cmp: Comparison) -> Html:
    """The methods in plain words (printed at the end of the comparison)."""
    unit = cmp.inst_b.unit.plural
    if cmp.result.design:
        return _design_methods(cmp, unit)
    items = (
        f"Difference in shares: wave B minus wave A, in percentage points, with the {INTERVAL_METHOD}.",
        "Independent waves: Pearson chi-square when expected counts meet Cochran's rule, else "
        "Fisher's exact test (2x2) or a seeded Monte-Carlo Fisher-Freeman-Halton test; ratings "
        f"and counts: Mann-Whitney U. {unit.capitalize()} in both waves make the samples overlap, "
        "which makes these tests conservative when answers are positively correlated.",
        f"Paired ({unit} in both waves, complete pairs only): McNemar for a yes/no answer "
        f"(exact binomial below {MCNEMAR_EXACT_BELOW} discordant pairs), Stuart-Maxwell for "
        "categories, Wilcoxon signed-rank for ratings and counts.",
        "Multiple testing: Benjamini-Hochberg over every test of closed questions in this "
        "comparison; raw and adjusted p are both shown.",
        f"Disclosure control: counts from 1 to {cmp.k - 1} are shown as <{cmp.k} with secondary "
        "suppression (x) so they cannot be recovered from the totals; their shares and changes "
        "are hidden.",
    )
    return render("report/block.html.j2", title="Methods", parts=[Bullets(items)])


def _design_methods(cmp: Comparison, unit: str) -> Html:
    """The methods of a design-based comparison (both instruments declare a design)."""
    items = (
        "Both waves declare a survey design, so shares, differences and the tests between the "
        "waves are design-based: the two waves are independent samples, analysed as one design "
        "whose strata keep the waves apart:",
        *cmp.result.design,
        "Shares are weighted; n and the bases are the unweighted counts of those answering.",
        f"Difference in shares: wave B minus wave A, in percentage points, with the "
        f"{WALD_DIFFERENCE}; the degrees of freedom are the design's (PSUs minus strata of both "
        "waves) minus 1, as R's svyglm.",
        "Independent waves: the Rao-Scott corrected chi-square (second-order F, R svychisq) for "
        "answers without order and each multiple-choice option; the design-based Wilcoxon rank "
        "test (R svyranktest) for ratings and counts, with the weighted probability that a "
        "wave-B answer is higher than a wave-A answer (ties half) as its effect size.",
        f"Paired ({unit} in both waves, complete pairs only) tests stay unweighted: "
        f"{PAIRED_UNWEIGHTED}. McNemar for a yes/no answer (exact binomial below "
        f"{MCNEMAR_EXACT_BELOW} discordant pairs), Stuart-Maxwell for categories, Wilcoxon "
        "signed-rank for ratings and counts. Open-answer themes and named institutions are "
        "unweighted counts.",
        "Multiple testing: Benjamini-Hochberg over every test of closed questions in this "
        "comparison; raw and adjusted p are both shown.",
        f"Disclosure control: counts from 1 to {cmp.k - 1} are shown as <{cmp.k} with secondary "
        "suppression (x) so they cannot be recovered from the totals; their shares and changes "
        "are hidden.",
    )
    return render("report/block.html.j2", title="Methods", parts=[Bullets(items)])


def provenance_items(cmp: Comparison) -> dict[str, str]:
    """Both raw files and instruments (sha256), version, git commit, run date (the parameters,
    with their sources, are :func:`giftreview.report.provenance.parameter_rows`)."""
    return {
        "raw file A": f"{cmp.raws[0].name} ({file_sha256(cmp.raws[0])})",
        "raw file B": f"{cmp.raws[1].name} ({file_sha256(cmp.raws[1])})",
        "instrument A sha256": cmp.inst_a.sha256 or "",
        "instrument B sha256": cmp.inst_b.sha256 or "",
        "giftreview version": __version__,
        "git commit": git_commit(),
        "run date": run_date().strftime(DATE_FORMAT),
    }


def provenance(cmp: Comparison) -> Html:
    """The provenance block (the macro the wave report uses)."""
    return render(
        "report/provenance.html.j2",
        items=provenance_items(cmp),
        parameters=parameter_rows(cmp.parameters),
    )
