"""Report settings from the command line, a project config file, the instrument or the defaults.

``giftreview run`` takes every notebook parameter as an option (``--group-by``, ``--k``,
``--confidence``, ``--weights/--no-weights``). A project sets its own defaults once, in
``giftreview.toml`` at the project root (top-level keys) or, when that file is absent, in the
``[tool.giftreview]`` table of the project's ``pyproject.toml``::

    # giftreview.toml
    group_by = "REG"
    k = 10
    confidence = 0.9
    weights = false
    names_shown = 50

Each value comes from the first of: the command line, the config file, the instrument (only
``group_by``), the built-in default; :func:`resolve_settings` says which, and the report's
provenance block records it (``k: 10 (config file giftreview.toml)``).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from giftreview import paths
from giftreview.data.instrument import Instrument
from giftreview.errors import ArgumentError
from giftreview.text.listcap import DEFAULT_NAMES_SHOWN

__all__ = ["DEFAULTS", "CONFIG_FILE", "ResolvedSettings", "project_config", "resolve_settings"]

#: the notebook parameters a project may set, with their built-in defaults (``names_shown``: the
#: names each group of a list question shows on the page; every name is in its CSV file)
DEFAULTS: dict[str, Any] = {
    "group_by": "",
    "confidence": 0.95,
    "k": 5,
    "weights": False,
    "names_shown": DEFAULT_NAMES_SHOWN,
}
#: the project config file (at the project root); else ``[tool.giftreview]`` in pyproject.toml
CONFIG_FILE = "giftreview.toml"
_TYPES = {
    "group_by": (str,),
    "confidence": (float, int),
    "k": (int,),
    "weights": (bool,),
    "names_shown": (int,),
}
_KINDS = {
    "group_by": "question id",
    "confidence": "number",
    "k": "whole number",
    "weights": "true or false",
    "names_shown": "whole number",
}


@dataclass(frozen=True)
class ResolvedSettings:
    """Each setting's value and where it came from (``cli``, ``config file <name>``,
    ``instrument`` or ``default``)."""

    values: dict[str, Any]
    sources: dict[str, str]

    def described(self) -> dict[str, str]:
        """``{"k": "10 (config file giftreview.toml)", ...}`` for the provenance block."""
        return {
            k: f"{'(instrument default)' if v == '' else v} ({self.sources[k]})"
            for k, v in self.values.items()
        }


def project_config(root: Path | None = None) -> tuple[dict[str, Any], str | None]:
    """The project's defaults and the name of the file they came from (``{}, None`` if none).

    Raises :class:`ArgumentError` naming the file and key for an unreadable file, an unknown
    key or a value of the wrong type.
    """
    root = Path(root) if root is not None else paths.PROJ_ROOT
    own, pyproject = root / CONFIG_FILE, root / "pyproject.toml"
    if own.is_file():
        table, name = _toml(own), CONFIG_FILE
    elif pyproject.is_file():
        table, name = _toml(pyproject).get("tool", {}).get("giftreview", {}), "pyproject.toml"
        if not table:
            return {}, None
        name += " [tool.giftreview]"
    else:
        return {}, None
    for key, value in table.items():
        if key not in DEFAULTS:
            raise ArgumentError(
                f"{name}: unknown key {key!r}; the keys a project may set are {', '.join(DEFAULTS)}"
            )
        if isinstance(value, bool) and key != "weights" or not isinstance(value, _TYPES[key]):
            raise ArgumentError(
                f"{name}: {key} = {value!r} is a {type(value).__name__}; give a "
                f"{_KINDS[key]} such as {DEFAULTS[key]!r}"
            )
    return dict(table), name


def _toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ArgumentError(f"{path.name}: not valid TOML ({exc}); fix the syntax") from None


def resolve_settings(
    cli: dict[str, Any], instrument: Instrument | None = None, *, root: Path | None = None
) -> ResolvedSettings:
    """Each notebook parameter from the command line, the config file, the instrument or the
    default, in that order.

    Parameters
    ----------
    cli
        Values given on the command line; ``None`` for an option not given.
    instrument
        Gives ``group_by`` when neither the command line nor the config file does.
    root
        The project root holding the config file (default :data:`giftreview.paths.PROJ_ROOT`).
    """
    config, name = project_config(root)
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, default in DEFAULTS.items():
        if cli.get(key) is not None:
            values[key], sources[key] = cli[key], "cli"
        elif key in config:
            values[key], sources[key] = config[key], f"config file {name}"
        elif key == "group_by" and instrument is not None and instrument.group_by:
            values[key], sources[key] = instrument.group_by, "instrument"
        else:
            values[key], sources[key] = default, "default"
    values["confidence"] = float(values["confidence"])
    if not 0 < values["confidence"] < 1:
        raise ArgumentError(
            f"confidence {values['confidence']} ({sources['confidence']}): give a level between "
            "0 and 1, e.g. 0.95"
        )
    if values["k"] < 0:
        raise ArgumentError(f"k {values['k']} ({sources['k']}): give 0 (off) or more")
    if values["names_shown"] < 1:
        raise ArgumentError(
            f"names_shown {values['names_shown']} ({sources['names_shown']}): give the names "
            "each group of a list question shows, 1 or more (every name is in the CSV file)"
        )
    return ResolvedSettings(values, sources)
