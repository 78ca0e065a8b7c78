"""environment.yml (conda users) and pyproject.toml (pip) list the same packages and versions."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from giftreview.paths import PROJ_ROOT

#: conda-only entries that are not Python packages of giftreview
CONDA_ONLY = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    """``'pandas >=2.2'`` -> ``('pandas', '>=2.2')`` with the name normalised (PEP 503)."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", spec)
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(2).replace(" ", "")


def _project() -> dict:
    return tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def pyproject_specs() -> dict[str, str]:
    project = _project()
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    return dict(_split(s) for s in specs)


def environment_specs() -> dict[str, str]:
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text(encoding="utf-8"))
    out = {}
    for dep in env["dependencies"]:
        if isinstance(dep, str):
            name, spec = _split(dep)
            if name not in CONDA_ONLY:
                out[name] = spec
    return out


def test_split():
    assert _split("scikit_posthocs >= 0.9") == ("scikit-posthocs", ">=0.9")


def test_same_packages():
    py, env = pyproject_specs(), environment_specs()
    assert sorted(set(py) - set(env)) == [], "in pyproject.toml but not environment.yml"
    assert sorted(set(env) - set(py)) == [], "in environment.yml but not pyproject.toml"


def test_same_versions():
    py, env = pyproject_specs(), environment_specs()
    differ = {n: (py[n], env[n]) for n in py if n in env and py[n] != env[n]}
    assert differ == {}, "version specs differ (pyproject, environment.yml)"


def test_environment_installs_the_package_itself():
    env = yaml.safe_load((PROJ_ROOT / "environment.yml").read_text(encoding="utf-8"))
    pip = [d for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert pip and "-e ." in pip[0]["pip"]


def _third_party_imports() -> set[str]:
    """Top-level names of every module src/giftreview imports that is not ours or stdlib."""
    names = set()
    for path in (PROJ_ROOT / "src" / "giftreview").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
    return {n for n in names if n != "giftreview" and n not in sys.stdlib_module_names}


def test_every_import_of_the_package_is_a_declared_dependency():
    """A plain `pip install .` (no extras) must bring every module src/ imports (issue 9:
    `websocket` arrived only through the `lab` extra)."""
    declared = set(dict(_split(s) for s in _project()["dependencies"]))
    providers = importlib.metadata.packages_distributions()
    undeclared = {}
    for name in sorted(_third_party_imports()):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(name, [name])}
        # a module provided by a dependency of a declared package (e.g. jupyter_client by
        # papermill) must be declared itself: we import it, so we depend on it
        if not dists & declared:
            undeclared[name] = sorted(dists)
    assert undeclared == {}, "imported by src/ but not in pyproject dependencies"
    assert "websocket" not in _third_party_imports()


@pytest.mark.slow
@pytest.mark.needs("chromium")
def test_plain_pip_install_renders_html_and_pdf(tmp_path):
    """`python -m venv V && V/bin/pip install .` (no extras), then `giftreview run` on the
    first bundled wave in a copy of the project: HTML and PDF of every part."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", str(PROJ_ROOT)],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-3000:]
    project = tmp_path / "project"  # what a user's clone holds besides the package
    (project / "data").mkdir(parents=True)
    shutil.copytree(PROJ_ROOT / "data" / "raw", project / "data" / "raw")
    for folder in ("instruments", "notebooks"):
        shutil.copytree(PROJ_ROOT / folder, project / folder)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["GIFTREVIEW_ROOT"] = str(project)
    run = subprocess.run(
        [str(venv / "bin" / "giftreview"), "run"],
        cwd=project, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    out = project / "reports" / sorted((PROJ_ROOT / "data" / "raw").glob("*.csv"))[0].stem
    for name in ("overview", "methods"):
        assert (out / f"{name}.html").stat().st_size > 0
        assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
