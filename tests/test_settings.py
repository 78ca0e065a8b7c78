"""Tests of giftreview.cli.settings: CLI > config file > instrument > default, with sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from giftreview.cli.settings import DEFAULTS, project_config, resolve_settings
from giftreview.data.instrument import load_instrument
from giftreview.errors import ArgumentError

SECOND = Path(__file__).parent / "fixtures" / "second_survey"


@pytest.fixture(scope="module")
def inst():
    return load_instrument(SECOND / "instrument.yaml")  # group_by: REG


def test_defaults_and_instrument_without_config(tmp_path, inst):
    got = resolve_settings({}, inst, root=tmp_path)
    assert got.values == {**DEFAULTS, "group_by": "REG"}
    assert got.sources == {
        "group_by": "instrument", "confidence": "default", "k": "default", "weights": "default",
        "names_shown": "default",
    }  # fmt: skip
    assert got.values["names_shown"] == 30  # the names a page shows per group of a list question


def test_giftreview_toml_then_cli(tmp_path, inst):
    (tmp_path / "giftreview.toml").write_text('k = 10\nconfidence = 0.9\ngroup_by = "SAT"\n')
    got = resolve_settings({"k": 3, "weights": None}, inst, root=tmp_path)
    assert got.values == {
        "group_by": "SAT", "confidence": 0.9, "k": 3, "weights": False, "names_shown": 30,
    }  # fmt: skip
    assert got.sources["k"] == "cli"
    assert got.sources["confidence"] == "config file giftreview.toml"
    assert got.sources["group_by"] == "config file giftreview.toml"
    assert got.sources["weights"] == "default"
    assert got.described()["k"] == "3 (cli)"


def test_pyproject_table_when_no_giftreview_toml(tmp_path, inst):
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.giftreview]\nweights = true\n'
    )
    got = resolve_settings({}, inst, root=tmp_path)
    assert got.values["weights"] is True
    assert got.sources["weights"] == "config file pyproject.toml [tool.giftreview]"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert project_config(tmp_path) == ({}, None)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kk = 3\n", r"giftreview.toml: unknown key 'kk'; the keys a project may set are group_by"),
        ('k = "5"\n', r"giftreview.toml: k = '5' is a str; give a whole number such as 5"),
        ("k = true\n", r"giftreview.toml: k = True is a bool; give a whole number"),
        ("k = \n", r"giftreview.toml: not valid TOML"),
        ("confidence = 95\n", r"confidence 95.0 \(config file giftreview.toml\): give a level"),
        ("names_shown = 2.5\n", r"names_shown = 2.5 is a float; give a whole number such as 30"),
        ("names_shown = 0\n", r"names_shown 0 \(config file giftreview.toml\): give the names"),
    ],
)
def test_bad_config_is_named(tmp_path, inst, text, message):
    (tmp_path / "giftreview.toml").write_text(text)
    with pytest.raises(ArgumentError, match=message):
        resolve_settings({}, inst, root=tmp_path)


def test_provenance_records_where_each_value_came_from(tmp_path, inst):
    from giftreview.pipeline.plan import RunSettings
    from giftreview.pipeline.run import provenance

    (tmp_path / "giftreview.toml").write_text("k = 10\n")
    got = resolve_settings({"confidence": 0.9}, inst, root=tmp_path)
    settings = RunSettings(raw=SECOND / "clinics_2021.csv", instrument=SECOND / "instrument.yaml",
                           **got.values, sources=got.sources)  # fmt: skip
    prov = provenance(settings, {"raw": "r", "instrument": "i"})
    assert prov["k (from config file giftreview.toml)"] == "10"
    assert prov["confidence (from cli)"] == "0.9"
    assert prov["group_by (from instrument)"] == "REG"
    assert prov["weights (from default)"] == "False"
    assert prov["names_shown (from default)"] == "30"


def test_names_shown_from_the_config_file_reaches_every_notebook(tmp_path, inst):
    """``names_shown`` set once in giftreview.toml (or by ``--names-shown``) is a parameter of
    every notebook the run executes, with its source, and each notebook declares it."""
    import ast

    from giftreview.pipeline.plan import RunSettings, base_parameters, notebooks_dir, plan

    (tmp_path / "giftreview.toml").write_text("names_shown = 50\n")
    got = resolve_settings({}, inst, root=tmp_path)
    assert got.values["names_shown"] == 50
    assert got.sources["names_shown"] == "config file giftreview.toml"
    assert resolve_settings({"names_shown": 7}, inst, root=tmp_path).values["names_shown"] == 7
    settings = RunSettings(raw=SECOND / "clinics_2021.csv", instrument=SECOND / "instrument.yaml",
                           **got.values, sources=got.sources)  # fmt: skip
    params = base_parameters(settings, tmp_path)
    assert params["names_shown"] == 50
    assert '"names_shown": "config file giftreview.toml"' in params["sources"]
    for job in plan(settings, inst, tmp_path):
        assert job.parameters["names_shown"] == 50
        tree = ast.parse(job.source.read_text(encoding="utf-8"))
        declared = {n.target.id for n in ast.walk(tree) if isinstance(n, ast.AnnAssign)}
        assert "names_shown" in declared, job.source.name
    assert notebooks_dir() == job.source.parent
