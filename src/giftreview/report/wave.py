"""Opening a wave for reporting: :func:`open_wave` and the :class:`Report` it returns.

The notebooks under ``notebooks/`` are thin: a ``parameters`` cell, ``rep = report.open_wave(...)``
and then one call per section, e.g. ``report.questions(rep, section)``.

Group tests come from the report-wide *test family* (:func:`build_test_family`): every test of
every section of one wave, adjusted together with Benjamini-Hochberg and stored beside the clean
data, so each part shows the same raw and adjusted p. The per-question results the chart and the
appendix share (scores, suppressed breakdowns, coded open answers) are computed here once per
opened wave.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from giftreview import paths
from giftreview.analysis import stats
from giftreview.analysis.design import Design, weighted_data
from giftreview.analysis.disclosure import Suppressed
from giftreview.analysis.score import QuestionScore, score_question
from giftreview.data import io
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import Instrument, load_instrument
from giftreview.data.spec import CLOSED_TYPES, Question
from giftreview.errors import ArgumentError
from giftreview.report.crosstab import BreakdownViews, breakdown_views
from giftreview.text import coding
from giftreview.text.listcap import DEFAULT_NAMES_SHOWN
from giftreview.text.safety import write_table

__all__ = [
    "FAMILY_FILE",
    "BREAKDOWN_FILE",
    "POSTHOC_FILE",
    "FAMILY_METHOD",
    "family_files",
    "Report",
    "is_prepared",
    "open_wave",
    "prepare",
    "build_test_family",
    "heading",
    "group_noun",
    "report_section",
    "is_synthetic",
    "score",
    "breakdown_table",
    "scale_labels",
    "views",
    "suppressed",
    "coded",
    "load_wave",
]

FAMILY_FILE = "report_tests.csv"
BREAKDOWN_FILE = "report_breakdowns.parquet"
POSTHOC_FILE = "report_posthoc.csv"
#: the multiplicity adjustment applied to the whole family of one wave's tests
FAMILY_METHOD = "fdr_bh"


def family_files(weighted: bool) -> tuple[str, str, str]:
    """The test-family, breakdown and post-hoc file names (design-based ones apart)."""
    if not weighted:
        return FAMILY_FILE, BREAKDOWN_FILE, POSTHOC_FILE
    return tuple(
        f.replace("report_", "report_design_") for f in (FAMILY_FILE, BREAKDOWN_FILE, POSTHOC_FILE)
    )


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
    #: names each group of a list question shows on the page (every name is in its CSV file)
    names_shown: int = DEFAULT_NAMES_SHOWN
    #: the survey design when the report is weighted (every figure is then design-based)
    design: Design | None = None
    coded: dict[str, Any] = field(default_factory=dict, repr=False)  # open answers coded once
    # suppressed breakdowns and their collapsed views, computed once per question (the chart,
    # the crosstabs and the appendix share them)
    suppressed: dict[str, Any] = field(default_factory=dict, repr=False)

    # The test family is read on first use (built then when missing): a notebook that shows no
    # test (the overview) can run while `giftreview run` is still building it.
    @cached_property
    def family(self) -> pd.DataFrame:
        """Every group test of the wave with raw and Benjamini-Hochberg adjusted p."""
        name = family_files(self.design is not None)[0]
        if not (self.processed / name).exists():
            build_test_family(
                self.processed,
                self.instrument,
                group_by=self.group_by or None,
                confidence=self.confidence,
                weights=self.design is not None,
            )
        return pd.read_csv(self.processed / name)

    @cached_property
    def breakdowns(self) -> pd.DataFrame:
        """Group x answer tables of every closed question (from :func:`build_test_family`)."""
        self.family  # noqa: B018 - builds the files when missing
        return _read_optional_parquet(self.processed / family_files(self.design is not None)[1])

    @cached_property
    def posthoc(self) -> pd.DataFrame:
        """Dunn pairs of every rating and count question."""
        self.family  # noqa: B018 - builds the files when missing
        return _read_optional_csv(self.processed / family_files(self.design is not None)[2])


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
    names_shown: int = DEFAULT_NAMES_SHOWN,
    output: str = "",
    sources: str = "",
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
        Weight the report: every figure design-based, from the instrument's ``design:`` block
        or, without one, post-stratified to its ``contacted`` totals. An instrument with a
        ``design:`` block is weighted whatever this says.
    names_shown
        Names each group of a list question shows on the page, the most named first (every
        name is in the question's CSV file).
    output
        Folder for files the notebook writes (``""`` = ``reports/<wave>``).
    sources
        Where each parameter's value came from, as JSON (``{"k": "cli", ...}``; written by
        :func:`giftreview.pipeline.plan.parameter_sources`); ``""`` when the notebook is run by
        hand. Printed next to each parameter in the provenance block.
    """
    params = dict(locals())  # the notebook's parameters, for the provenance block
    # an output folder outside the project is recorded by its name (no machine path on the page)
    params["output"] = paths.portable_path(output) if output else ""
    if not 0 < float(confidence) < 1:
        raise ArgumentError(f"`confidence` {confidence!r}: give a level between 0 and 1, e.g. 0.95")
    if int(k) < 0:
        raise ArgumentError(f"`k` {k!r}: the suppression threshold is a count >= 0 (0 = off)")
    if int(names_shown) < 1:
        raise ArgumentError(
            f"`names_shown` {names_shown!r}: give the names each group of a list question shows, "
            "1 or more (every name is in the question's CSV file)"
        )
    inst = load_instrument(paths.from_root(instrument))
    raw_path = paths.from_root(raw)
    label = wave or raw_path.stem
    proc = paths.from_root(processed) if processed else paths.processed_dir(label)
    by = group_by or inst.group_by or ""
    if by:
        inst.question(by)  # raises naming the known ids
    if not is_prepared(proc, family=False):
        clean_wave(raw_path, inst, wave=label, out_dir=proc)
    data, design = _data_and_design(load_wave(proc), inst, by, weights)
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
        weights=None if design is None else pd.Series(design.weights, index=data.index),
        parameters=params,
        names_shown=int(names_shown),
        design=design,
    )


#: the clean table last read in this process, by (folder, parquet mtime and size)
_LOADED: dict[tuple[str, int, int], pd.DataFrame] = {}


def load_wave(processed: Path) -> pd.DataFrame:
    """The clean table of ``processed``, read and checked once per process.

    ``giftreview run`` executes the notebooks of one wave in a few warm kernels, one after the
    other; each opens the same wave. The table read first is kept (one wave at a time: a new
    folder or a rewritten parquet file replaces it) and each caller gets a shallow copy, which
    pandas' copy-on-write keeps from changing the kept table.
    """
    path = Path(processed) / "clean.parquet"
    if not path.exists():
        return io.load_clean(processed)  # raises naming the file and the fix
    st = path.stat()
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _LOADED:
        _LOADED.clear()
        _LOADED[key] = io.load_clean(processed)
    return _LOADED[key].copy(deep=False)


def _read_optional_parquet(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame()


def _read_optional_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path) if path.exists() and path.stat().st_size > 1 else pd.DataFrame()


def _data_and_design(
    data: pd.DataFrame, inst: Instrument, by: str, weights: bool
) -> tuple[pd.DataFrame, Design | None]:
    """The data and, when weighted, the survey design (see :func:`weighted_data`)."""
    return weighted_data(data, inst, weights=weights, by=by or None)


def prepare(
    raw: Path,
    instrument: Instrument,
    *,
    wave: str,
    processed: Path,
    group_by: str,
    confidence: float,
    weights: bool = False,
) -> None:
    """Clean ``raw`` into ``processed`` and build the report's test family there."""
    clean_wave(raw, instrument, wave=wave, out_dir=processed)
    build_test_family(
        processed, instrument, group_by=group_by or None, confidence=confidence, weights=weights
    )


def build_test_family(
    processed: Path | str,
    instrument: Instrument,
    *,
    group_by: str | None = None,
    confidence: float = 0.95,
    seed: int | None = None,
    weights: bool = False,
) -> pd.DataFrame:
    """Break every closed question of every report section down by ``group_by``; adjust once.

    Writes ``report_tests.csv`` (every test with ``section``, ``question``, ``p_value`` and the
    Benjamini-Hochberg ``p_adjusted`` over the whole family), ``report_breakdowns.parquet`` (the
    group x level tables) and ``report_posthoc.csv`` (Dunn pairs) into ``processed``. Weighted
    (``weights`` or the instrument's ``design:``; see :func:`open_wave`), every breakdown is
    design-based (Rao-Scott F, design-based rank tests and pairwise rank tests) and the files
    are ``report_design_*`` (:func:`family_files`).

    Notes
    -----
    The family is every test the report prints for one wave (m tests); BH controls the false
    discovery rate over all of them: :math:`q_{(i)} = \\min_{j \\ge i} \\min(1, m p_{(j)}/j)`.
    In R: ``p.adjust(p, "BH")`` over the concatenated p-values.
    """
    seed = stats.DEFAULT_SEED if seed is None else seed
    processed = Path(processed)
    by = group_by or instrument.group_by
    data, design = _data_and_design(io.load_clean(processed), instrument, by or "", weights)
    tests, tables, posthoc = [], [], []
    for section in instrument.report_sections():
        for qid in section.questions:
            q = instrument.question(qid)
            if by is None or q.type not in CLOSED_TYPES or qid == by:
                continue
            b = stats.breakdown_question(
                data, instrument, qid, by=by, confidence=confidence, seed=seed, design=design
            )
            tag = {"section": section.id, "question": qid}
            tests.append(b.tests.assign(**tag))
            tables.append(b.table.assign(**tag).astype({"group": str, "level": str}))
            if len(b.posthoc):
                posthoc.append(b.posthoc.assign(**tag))
    cols = ["section", "question", *stats.TEST_COLUMNS]
    family = pd.concat(tests, ignore_index=True) if tests else pd.DataFrame(columns=cols)
    family = stats.adjust_pvalues(family, FAMILY_METHOD)
    family_file, breakdown_file, posthoc_file = family_files(design is not None)
    write_table(family, processed / family_file)  # the one safe CSV writer (text.safety)
    if tables:
        pd.concat(tables, ignore_index=True).to_parquet(processed / breakdown_file, index=False)
    if posthoc:
        write_table(pd.concat(posthoc, ignore_index=True), processed / posthoc_file)
    else:
        (processed / posthoc_file).write_text("\n", encoding="utf-8")
    return family


# ---- names and labels ---------------------------------------------------------------------------
def heading(q: Question) -> str:
    """A question's heading as in the published summary: ``"N) wording"``, or the wording alone
    when the question has no number."""
    return f"{q.number}) {q.text}" if q.number is not None else q.text


def group_noun(instrument: Instrument, group_by: str) -> str:
    """How the grouping is named in prose: the words after a final "by" in the grouping
    question's wording ("... received by sector" -> "sector"), else the wording itself."""
    if not group_by:
        return "group"
    text = instrument.question(group_by).text.strip().rstrip(":?.")
    m = re.search(r"\bby ([\w /-]+)$", text)
    return m.group(1).strip() if m else text.lower()


def report_section(instrument: Instrument, section_id: str):
    """The report section ``section_id`` (``""`` = the first one)."""
    if not section_id:
        return instrument.report_sections()[0]
    for s in instrument.report_sections():
        if s.id == section_id:
            return s
    known = ", ".join(s.id for s in instrument.report_sections())
    raise ArgumentError(f"`section` {section_id!r} is not a report section; known: {known}")


def is_synthetic(raw: Path) -> bool:
    """True when the raw file's folder README declares the data SYNTHETIC (bundled waves)."""
    readme = Path(raw).parent / "README.md"
    try:
        return "SYNTHETIC" in readme.read_text(encoding="utf-8")
    except OSError:
        return False


# ---- results shared by the chart, the tables and the appendix -----------------------------------
def score(rep: Report, qid: str) -> QuestionScore:
    """:func:`giftreview.analysis.score.score_question` with the wave's confidence and design."""
    return score_question(
        rep.data, rep.instrument, qid, confidence=rep.confidence, design=rep.design
    )


def breakdown_table(rep: Report, qid: str) -> pd.DataFrame:
    """Question ``qid``'s group x answer table from the test family (empty without grouping)."""
    b = rep.breakdowns
    if b.empty or "question" not in b:
        return pd.DataFrame(columns=["group", "level", "n", "base", "pct", "ci_low", "ci_high"])
    return b[b["question"] == qid].reset_index(drop=True)


def scale_labels(rep: Report, qid: str) -> tuple[list[str], str | None]:
    """A rating question's level labels (lowest first) and its neutral label (None if even)."""
    scale = rep.instrument.scale_of(qid)
    levels = [lv.label for lv in scale.levels]
    neutral = next((lv.label for lv in scale.levels if str(lv.code) == str(scale.neutral)), None)
    return levels, neutral


def views(rep: Report, qid: str) -> BreakdownViews | None:
    """Question ``qid``'s suppressed breakdown, crosstabs and collapsed view (once per wave).

    None when the wave has no grouping. See :func:`giftreview.report.crosstab.breakdown_views`.
    """
    if qid not in rep.suppressed:
        table = breakdown_table(rep, qid)
        q = rep.instrument.question(qid)
        scale = {}
        if q.type == "rating":
            scale = dict(zip(("levels", "neutral"), scale_labels(rep, qid), strict=True))
        rep.suppressed[qid] = (
            None
            if table.empty
            else breakdown_views(
                table,
                q.type,
                k=rep.k,
                confidence=rep.confidence,
                cache_dir=rep.processed / "views",
                **scale,
            )  # fmt: skip
        )
    return rep.suppressed[qid]


def suppressed(rep: Report, qid: str) -> tuple[pd.DataFrame, Suppressed] | None:
    """Question ``qid``'s tidy breakdown marked with its suppression, and that suppression.

    The suppression includes the cells hidden so that the collapsed view published beside it
    reveals nothing (:func:`views`); chart and tables use this one result.
    """
    v = views(rep, qid)
    return None if v is None else (v.shown, v.suppressed)


def coded(rep: Report, qid: str) -> coding.CodedAnswers:
    """The coding of open question ``qid`` (computed once per opened wave)."""
    if qid not in rep.coded:
        rep.coded[qid] = coding.code_question(rep.data, rep.instrument, qid)
    return rep.coded[qid]
