"""Tests of giftreview.report: the sections the notebooks call, on a small cleaned fixture wave."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape  # what autoescape applies
from statsmodels.stats.multitest import multipletests

from giftreview import report
from giftreview.data.clean import clean_wave
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError, InstrumentError
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT
from giftreview.report import tables, templating
from giftreview.report.views import Table, Text

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"
SECOND = Path(__file__).parent / "fixtures" / "second_survey" / "instrument.yaml"


@pytest.fixture(scope="module")
def rep(tmp_path_factory) -> report.Report:
    """The hostile small fixture cleaned and opened with the bundled instrument (k = 3)."""
    processed = tmp_path_factory.mktemp("processed") / "small"
    return report.open_wave(
        raw=str(FIXTURE),
        instrument=str(DEFAULT_INSTRUMENT),
        wave="small",
        processed=str(processed),
        k=3,
        output=str(tmp_path_factory.mktemp("out")),
    )


@pytest.fixture(scope="module")
def pages(rep) -> dict[str, tuple[str, str]]:
    """Each section rendered once: ``{section: (questions html, appendix html)}``."""
    return {
        s.id: (str(report.questions(rep, s.id)), str(report.appendix(rep, s.id)))
        for s in rep.instrument.report_sections()
    }


def _html(rep, section):
    return str(report.questions(rep, section)) + str(report.appendix(rep, section))


def test_open_wave_cleans_and_builds_the_family_on_first_use(rep):
    assert report.is_prepared(rep.processed, family=False)
    assert len(rep.family) > 0  # built now, on first use
    assert report.is_prepared(rep.processed)
    # The fixture has 36 data rows, none blank, no repeated or missing id (count them in the
    # file), so all 36 are kept.
    assert len(rep.data) == 36
    assert rep.group_by == rep.instrument.group_by
    assert {"section", "question", "p_value", "p_adjusted"} <= set(rep.family.columns)


def test_family_is_adjusted_once_over_every_section(rep):
    fam = rep.family
    p = fam["p_value"].to_numpy(float)
    ok = np.isfinite(p)
    expected = multipletests(p[ok], method="fdr_bh")[1]  # the whole family, as p.adjust(p, "BH")
    np.testing.assert_allclose(fam["p_adjusted"].to_numpy(float)[ok], expected)
    closed = [
        q
        for s in rep.instrument.report_sections()
        for q in s.questions
        if rep.instrument.question(q).type in ("single", "rating", "count", "multi")
        and q != rep.group_by
    ]
    assert set(fam["question"]) == set(closed)
    assert (fam["family_size"] == ok.sum()).all()


def test_every_question_heading_appears_in_instrument_order(rep, pages):
    for section in rep.instrument.report_sections():
        html = pages[section.id][0]
        positions = [
            html.find(escape(report.heading(rep.instrument.question(q)))) for q in section.questions
        ]
        assert all(p >= 0 for p in positions), section.id
        assert positions == sorted(positions)


def test_figures_have_alt_text_and_the_wording_as_caption_base(pages):
    html = pages["part_a"][0]
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', html)
    assert len(alts) == 3  # A1, A2, A3
    assert all(a.strip() for a in alts)
    assert "n = 36 organizations who answered" in html  # the instrument's unit


def test_respondent_text_is_escaped_everywhere(pages):
    html = "".join(q + a for q, a in pages.values())
    assert "<script" not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the hostile B8 answer, shown as text


def test_appendix_shows_raw_and_adjusted_p_from_the_family(rep, pages):
    html = pages["part_a"][1]
    assert "adjusted p (BH)" in html
    row = rep.family[rep.family["question"] == "A2"].iloc[0]
    assert f'<td class="num">{escape(report.fmt_p(row["p_adjusted"]))}</td>' in html
    assert f'<td class="num">{escape(report.fmt_p(row["p_value"]))}</td>' in html


def test_appendix_marks_suppressed_cells(pages):
    html = pages["part_a"][1]
    assert '<td class="num gr-suppressed">&lt;3</td>' in html  # counts below k = 3 show "<3"
    assert "“&lt;3”: fewer than 3 respondents" in html  # the crosstab's legend


def test_open_answers_get_paragraphs_with_counts(pages):
    html = pages["part_b_open"][0]
    assert re.search(r"respondents [^<]* \((\d+|&lt;3) of \d+\)\.", html)
    assert "Themes mentioned" in html


def test_provenance_uses_source_date_epoch(rep, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    items = report.provenance_items(rep)
    assert items["run date"] == "2023-11-14 22:13 UTC"  # date -u -d @1700000000
    assert re.fullmatch(r"[0-9a-f]{64}", items["raw sha256"])
    assert items["instrument sha256"] == rep.instrument.sha256
    # the parameters are listed apart, with their sources (opened by hand: none recorded)
    assert "parameters" not in items
    rows = report.parameter_rows(rep.parameters)
    assert ("k", "3", "notebook parameters cell") in rows
    assert [name for name, _, _ in rows] == sorted(name for name, _, _ in rows)
    assert not {"raw", "instrument", "sources"} & {name for name, _, _ in rows}


def test_synthetic_label_only_for_data_declared_synthetic(rep):
    assert report.is_synthetic(DATA_RAW / "ungift_2010.csv")
    assert not report.is_synthetic(FIXTURE)
    assert str(report.synthetic_label(rep)) == ""


def test_unknown_section_names_the_known_ones(rep):
    with pytest.raises(ArgumentError, match="`section` 'part_z' .* known: part_a, part_b_ratings"):
        report.questions(rep, "part_z")


def test_empty_section_means_the_first(rep):
    assert "Part A)" in str(report.section_title(rep, ""))


def test_open_wave_rejects_bad_parameters(tmp_path):
    with pytest.raises(ArgumentError, match="`confidence` 1.5"):
        report.open_wave(raw=str(FIXTURE), instrument=str(DEFAULT_INSTRUMENT), confidence=1.5)
    with pytest.raises(InstrumentError, match="unknown question 'ZZ'"):
        report.open_wave(
            raw=str(FIXTURE),
            instrument=str(DEFAULT_INSTRUMENT),
            group_by="ZZ",
            processed=str(tmp_path),
        )


def test_group_noun_comes_from_the_grouping_question():
    assert report.group_noun(load_instrument(DEFAULT_INSTRUMENT), "A1") == "sector"
    assert report.group_noun(load_instrument(SECOND), "REG") == "region of the clinic"


def test_table_macro_escapes_cells_headers_and_caption():
    frame = pd.DataFrame({"<th>": ["<b>x</b>", None]})
    html = str(templating.render("report/block.html.j2", title="", parts=[Table(frame, "<cap>")]))
    assert "<b>" not in html and "&lt;b&gt;x&lt;/b&gt;" in html
    assert "<caption>&lt;cap&gt;</caption>" in html and '<th scope="col">&lt;th&gt;</th>' in html
    assert "<td></td>" in html  # NA shown empty


@pytest.mark.parametrize(
    ("p", "text"), [(0.0004, "<0.001"), (0.0123, "0.012"), (float("nan"), ""), (1.0, "1.000")]
)
def test_fmt_p(p, text):
    assert report.fmt_p(p) == text


def test_methods_sections_describe_the_run(rep):
    assert f"k = {rep.k}" in str(report.suppression_rule(rep))
    assert "Benjamini-Hochberg" in str(report.tests_explained(rep))
    assert "Most respondents" in str(report.quantifier_table(rep))
    assert "36 organizations were kept" in str(report.data_accounting(rep))  # the unit
    redaction = str(report.redaction_rule(rep))
    assert "[email]" in redaction and "(at)" in redaction and "H.E." in redaction


def test_second_instrument_renders_without_ungift_assumptions(tmp_path):
    raw = SECOND.parent / "clinics_2021.csv"
    inst = load_instrument(SECOND)
    clean_wave(raw, inst, wave="c21", out_dir=tmp_path)
    rep2 = report.open_wave(raw=str(raw), instrument=str(SECOND), processed=str(tmp_path))
    for section in inst.report_sections():
        html = _html(rep2, section.id)
        for qid in section.questions:
            assert escape(report.heading(inst.question(qid))) in html


def test_weights_on_post_stratify_shares_and_say_so(tmp_path):
    raw = DATA_RAW / "ungift_2010.csv"
    inst = load_instrument(DEFAULT_INSTRUMENT)
    clean_wave(raw, inst, wave="w", out_dir=tmp_path)
    plain = report.open_wave(
        raw=str(raw), instrument=str(DEFAULT_INSTRUMENT), processed=str(tmp_path)
    )
    weighted = report.open_wave(
        raw=str(raw), instrument=str(DEFAULT_INSTRUMENT), processed=str(tmp_path), weights=True
    )
    assert weighted.weights is not None and len(weighted.weights) == len(weighted.data)
    assert weighted.data[weighted.group_by].notna().all()
    html = str(report.question(weighted, "B1"))
    assert "every figure weighted (design-based" in html
    assert "design-based logit (Taylor linearisation)" in html and "Wilson" not in html
    assert html != str(report.question(plain, "B1"))
    # issue 13, defect 6: the summary rows of a weighted page are weighted too
    from giftreview.report.wave import score

    s_plain = score(plain, "B1").summary.set_index("statistic")
    s_weighted = score(weighted, "B1").summary.set_index("statistic")
    for stat in ("mean", "top_box"):
        assert s_weighted.loc[stat, "method"].startswith("design-based")
        assert s_weighted.loc[stat, "estimate"] != s_plain.loc[stat, "estimate"]
    # the group tests of a weighted report are design-based, from their own family files
    assert weighted.family["test"].str.startswith(("Rao-Scott", "design-based")).all()
    assert (tmp_path / "report_design_tests.csv").exists()
    from giftreview.report.tables import posthoc_table

    pairs = posthoc_table(weighted, "B1")
    assert pairs is not None and pairs.caption.startswith(
        "Pairwise comparisons: design-based Wilcoxon rank tests (t on the design's degrees of "
        "freedom, not Dunn's z)"
    )
    assert list(pairs.frame.columns) == [
        "group 1", "group 2", "ranks higher", "t", "df", "P(group 1 higher)", "p",
        "adjusted p (Holm, within question)",
    ]  # fmt: skip
    # the direction agrees with the effect: P(group 1 higher) above 1/2 names group 1
    for row in pairs.frame.itertuples(index=False):
        above = float(row[5]) > 0.5
        assert row[2] == (row[0] if above else row[1])
    methods = str(report.interval_methods(weighted))
    assert "This report is weighted" in methods and escape("Post-stratified on 'A1'") in methods


def test_instrument_without_grouping_renders_every_section(tmp_path):
    import shutil

    import yaml

    spec = yaml.safe_load(DEFAULT_INSTRUMENT.read_text(encoding="utf-8"))
    spec.pop("group_by"), spec.pop("contacted")
    shutil.copytree(DEFAULT_INSTRUMENT.parent / "codebooks", tmp_path / "codebooks")
    (tmp_path / "flat.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    flat = report.open_wave(
        raw=str(FIXTURE), instrument=str(tmp_path / "flat.yaml"), processed=str(tmp_path / "p")
    )
    assert flat.group_by == "" and flat.family.empty
    for section in flat.instrument.report_sections():
        html = str(report.questions(flat, section.id)) + str(report.appendix(flat, section.id))
        assert "All breakdowns by (no grouping)" in html


def test_rating_chart_merges_suppressed_cells_into_one_segment_per_group():
    # Groups a (10, 12), b (2, 9), c (11, 14), k = 5. By hand: b's 2 is below k (primary); row
    # b's total would give it away unless b's 9 is hidden too, and columns x and y would each
    # give their hidden cell away from the column total unless a further cell in each is hidden
    # (in row a or c). The chart may then show, per group, only the visible cells and the SUM of
    # the hidden ones (row total less visible cells: already derivable from the table).
    from giftreview.report.plots import SUPPRESSED

    t = pd.DataFrame(
        {
            "group": ["a", "a", "b", "b", "c", "c"],
            "level": ["x", "y"] * 3,
            "n": [10, 12, 2, 9, 11, 14],
            "base": [22, 22, 11, 11, 25, 25],
        }
    ).assign(pct=lambda d: 100 * d["n"] / d["base"], ci_low=0.0, ci_high=0.0)
    rows, omitted = report.chart_rows(t, k=5)
    b = rows[rows["group"] == "b"]
    # b: both cells hidden, drawn as one segment of (2 + 9) / 11 = 100%
    assert b["level"].tolist() == [SUPPRESSED] and b["pct"].iloc[0] == pytest.approx(100.0)
    # no group shows a visible share of 2/11 = 18.2% (the primary cell)
    assert not np.isclose(rows["pct"], 100 * 2 / 11).any()
    # every group's bar still adds up to 100% unless its total is hidden
    totals = rows.groupby("group")["pct"].sum()
    assert np.allclose(totals, 100.0) and set(totals.index) | set(omitted) == {"a", "b", "c"}
    # at least one of a, c carries a hidden cell too (the column protection)
    assert (rows.loc[rows["group"].isin(["a", "c"]), "level"] == SUPPRESSED).sum() >= 1
    everything, none = report.chart_rows(t, k=0)
    assert none == [] and len(everything) == len(t)


def test_dunn_pairs_show_z_direction_and_effect_size():
    from types import SimpleNamespace

    from giftreview.analysis.stats import dunn_test
    from giftreview.report.tables import posthoc_table

    # dunn_test's own example (z = 0.9637 by hand in its docstring; r = z / sqrt(5 + 5))
    df = pd.DataFrame({"sector": ["NGO"] * 5 + ["UN"] * 5, "staff": [0, 1, 3, 2, 5, 0, 0, 1, 1, 4]})
    pairs = dunn_test(df, "staff", "sector").assign(question="Q")
    family = pd.DataFrame({"question": ["Q"], "p_adjusted": [0.01]})  # omnibus significant
    rep = SimpleNamespace(posthoc=pairs, family=family, confidence=0.95)
    table = posthoc_table(rep, "Q")
    assert table.caption.startswith("Pairwise comparisons: Dunn's z")
    assert table.frame.iloc[0].tolist() == [
        "NGO", "UN", "NGO", "0.96", "0.30", "0.335", "0.335",
    ]  # fmt: skip
    assert list(table.frame.columns)[3:5] == ["z", "r = z/√(n1+n2)"]


_CELLS = ["", "a", "b", "NA", "n/a", "null", " ", 'say "hi"', "x,y", "two\nlines", "é", "0"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(*[st.sampled_from(_CELLS)] * 3), max_size=25),
    columns=st.sampled_from([["rule"], ["rule", "column"], ["column", "absent"], ["absent"]]),
)
def test_count_table_counts_as_pandas_read_csv_does(tmp_path, rows, columns):
    # the oracle is the code count_table replaced: every column read as text by pandas,
    # nothing read as missing, counted by groupby(sort=True); quotes, commas, line breaks and
    # spellings pandas would take for NA by default are in the cells
    path = tmp_path / "audit.csv"
    pd.DataFrame(rows, columns=["rule", "column", "after"]).to_csv(path, index=False)
    got = tables.count_table(path, columns, "Cells changed, by rule")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    cols = [c for c in columns if c in frame.columns]
    if frame.empty or not cols:
        assert got == Text("Cells changed, by rule: none.", note=True)
    else:
        want = frame.groupby(cols, sort=True).size().reset_index(name="rows")
        pd.testing.assert_frame_equal(got.frame, want)
        assert got.numeric == ("rows",)


def test_names_left_out_of_several_groups_are_counted_as_entries_and_distinct_names():
    """The line under a capped list: (group, name) rows left out are "other names" only when
    every name is left out of one group alone; else both counts are given (by hand: Y left out
    of groups A and B is 2 entries, 1 distinct name)."""
    import sys

    from giftreview.text.listcap import NamesCapped

    qm = sys.modules["giftreview.report.questions"]
    empty = pd.DataFrame()
    assert qm._left_out(NamesCapped(empty, 38, 0, 38, 38), "sector") == "38 other names"
    assert qm._left_out(NamesCapped(empty, 2, 12, 0, 1), "sector") == (
        "2 other entries (1 distinct name, some left out of more than one sector)"
    )


def test_a_list_question_shows_each_groups_most_named_names(rep):
    """With the cap at 2 (the report's ``names_shown``: ``giftreview run --names-shown 2``),
    each sector's row of B8 lists its 2 most named institutions (the table's order: count
    descending, then name), one line counts the rest and the CSV holds every name. The
    expected figures are counted from table_by_group's full table."""
    import dataclasses
    import sys

    from giftreview.text import lists

    qm = sys.modules["giftreview.report.questions"]
    full = lists.table_by_group(lists.institution_mentions(rep.data, rep.instrument, "B8"), k=3)
    # at the default cap of 30 no sector of this fixture has more names: no line, no CSV
    assert rep.names_shown == 30
    assert full.groupby("group", observed=True).size().max() <= rep.names_shown
    kinds = [p.kind for p in qm.question_view(rep, "B8").parts]
    assert kinds == ["text", "table"]
    parts = qm.question_view(dataclasses.replace(rep, names_shown=2), "B8").parts
    assert [p.kind for p in parts] == ["text", "table", "text", "link"]
    first = full.groupby("group", sort=False, observed=True).head(2)
    for (group, shown), (g, rows) in zip(
        parts[1].frame.values, first.groupby("group", sort=False, observed=True), strict=True
    ):
        assert group == str(g)
        assert shown == "; ".join(
            f"{a} ({b})" for a, b in zip(rows["name"], rows["n_display"], strict=True)
        )
    rest = full.drop(first.index)
    # every name left out of this small fixture was named by fewer than k = 3 respondents
    assert (rest["suppressed"] == "primary").all() and len(rest) == 38
    # 38 (sector, name) rows but 20 names: most left-out names are left out of several sectors
    # (counted from table_by_group's full table; the page said "38 other names" before)
    assert rest["name"].nunique() == 20
    assert parts[2].text == (
        "Each sector shows its 2 most named institutions. 38 other entries (20 distinct names, "
        "some left out of more than one sector), each named by fewer than 3 respondents: every "
        "name is in the CSV file below."
    )
    csv = pd.read_csv(rep.output / parts[3].href, dtype=str, keep_default_na=False)
    assert list(csv.columns) == ["sector", "name", "respondents", "matched"]
    assert csv["respondents"].tolist() == full["n_display"].tolist()  # published counts only
    assert len(csv) == len(full)
