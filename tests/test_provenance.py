"""Provenance: the run date and portable paths (giftreview.pipeline.provenance), and the block on
every report page listing each parameter with where its value came from (giftreview.report.provenance)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markupsafe import escape  # what the templates' autoescape applies

from giftreview import report
from giftreview.cli.settings import resolve_settings
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError
from giftreview.paths import DEFAULT_INSTRUMENT
from giftreview.pipeline import plan, provenance
from giftreview.report import templating


def test_bad_source_date_epoch_is_named(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArgumentError, match="SOURCE_DATE_EPOCH='yesterday' is not an integer"):
        provenance.run_date()


# ---- every report page: each parameter with where its value came from ---------------------------
FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"


def test_each_parameter_is_shown_with_its_source(tmp_path):
    """The chain a run takes: settings resolved (config file, command line, instrument,
    default) -> the notebook parameters -> ``open_wave`` as the notebook calls it -> the page's
    provenance block. Expected sources: k from giftreview.toml below, confidence given on the
    command line, group_by from the bundled instrument (its ``group_by: A1``), weights the
    built-in default; wave/processed/output set by the run."""
    (tmp_path / "giftreview.toml").write_text("k = 3\n")
    inst = load_instrument(DEFAULT_INSTRUMENT)
    got = resolve_settings({"confidence": 0.9}, inst, root=tmp_path)
    settings = plan.RunSettings(raw=FIXTURE, wave="small", out=tmp_path / "out", **got.values,
                                sources=got.sources)  # fmt: skip
    params = plan.base_parameters(settings, tmp_path / "processed" / "small")
    assert json.loads(params["sources"]) == {
        "confidence": "cli",
        "group_by": "instrument",
        "k": "config file giftreview.toml",
        "output": "run",
        "processed": "run",
        "wave": "run",
        "weights": "default",
        "names_shown": "default",
    }
    rep = report.open_wave(**params)
    html = str(report.provenance(rep))

    def row(name: str, value: str, source: str) -> str:
        cells = "".join(f"<td>{escape(x)}</td>" for x in (value, source))
        return f'<tr><th scope="row">{name}</th>{cells}</tr>'

    assert row("k", "3", "giftreview.toml") in html
    assert row("confidence", "0.9", "command line") in html
    assert row("group_by", '"A1"', "instrument file") in html
    assert row("weights", "false", "built-in default") in html
    assert row("names_shown", "30", "built-in default") in html
    assert row("wave", '"small"', "set by giftreview run") in html
    assert "Parameters and where each value came from" in html
    assert ">sources<" not in html and ">raw<" not in html


def test_settings_built_in_python_say_so():
    settings = plan.RunSettings(raw=FIXTURE, k=3)
    sources = plan.parameter_sources(settings)
    assert sources["k"] == "given" and sources["wave"] == "run"


@pytest.mark.parametrize(
    ("source", "label"),
    [
        ("cli", "command line"),
        ("config file giftreview.toml", "giftreview.toml"),
        ("config file pyproject.toml [tool.giftreview]", "pyproject.toml [tool.giftreview]"),
        ("instrument", "instrument file"),
        ("default", "built-in default"),
        ("run", "set by giftreview run"),
        (None, "notebook parameters cell"),
        ("given", "given"),
    ],
)
def test_source_labels(source, label):
    assert report.source_label(source) == label


def test_sources_that_are_not_a_json_object_are_named():
    with pytest.raises(ArgumentError, match=r"`sources` '\[1\]' is not a JSON object"):
        report.parameter_rows({"k": 3, "sources": "[1]"})
    with pytest.raises(ArgumentError, match=r"`sources` 'k=cli' is not a JSON object"):
        report.parameter_rows({"k": 3, "sources": "k=cli"})


def test_hostile_parameter_text_is_escaped():
    rows = report.parameter_rows(
        {"group_by": "<script>x</script>", "sources": json.dumps({"group_by": "<b>cli</b>"})}
    )
    html = str(templating.render("report/provenance.html.j2", items={}, parameters=rows))
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;cli&lt;/b&gt;" in html


def test_the_comparison_page_shows_each_parameter_with_its_source(monkeypatch):
    """`giftreview compare A B --k 3`: the sources the command records reach the comparison's
    provenance block (render_comparison is replaced by a recorder; the block is rendered from
    the parameters the notebook would pass to open_comparison)."""
    from giftreview.cli.app import main
    from giftreview.pipeline import compare as pipeline_compare

    seen = {}

    def record(wave_a, wave_b, **kwargs):
        seen.update(kwargs)
        return {"html": Path("reports/x/compare.html")}

    monkeypatch.setattr(pipeline_compare, "render_comparison", record)
    monkeypatch.setattr("giftreview.cli.report_commands._update_reports_index", lambda out: None)
    main(["compare", "a", "b", "--k", "3"])
    assert seen["k"] == 3 and seen["confidence"] == 0.95
    assert seen["sources"] == {
        "wave_a": "cli",
        "wave_b": "cli",
        "instrument_a": "default",
        "instrument_b": "default",
        "confidence": "default",
        "k": "cli",
    }
    inst = load_instrument(DEFAULT_INSTRUMENT)
    params = {"wave_a": "a", "wave_b": "b", "instrument_a": "", "instrument_b": "",
              "confidence": 0.95, "k": 3, "sources": json.dumps(seen["sources"])}  # fmt: skip
    cmp = report.comparison.Comparison(None, inst, inst, (FIXTURE, FIXTURE), 3, 0.95, params)
    html = str(report.comparison.provenance(cmp))
    assert '<tr><th scope="row">k</th><td>3</td><td>command line</td></tr>' in html
    assert '<tr><th scope="row">confidence</th><td>0.95</td><td>built-in default</td></tr>' in html
    assert '<th scope="row">wave_a</th><td>&#34;a&#34;</td><td>command line</td>' in html
    assert "parameters" not in report.comparison.provenance_items(cmp)
