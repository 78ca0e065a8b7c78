"""environment.yml (conda users) and pyproject.toml (pip) list the same packages and versions."""

from __future__ import annotations

import re
import tomllib

import yaml

from giftreview.paths import PROJ_ROOT

#: conda-only entries that are not Python packages of giftreview
CONDA_ONLY = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    """``'pandas >=2.2'`` -> ``('pandas', '>=2.2')`` with the name normalised (PEP 503)."""
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*$", spec)
    name = re.sub(r"[-_.]+", "-", m.group(1)).lower()
    return name, m.group(2).replace(" ", "")


def pyproject_specs() -> dict[str, str]:
    data = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = data["project"]
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
