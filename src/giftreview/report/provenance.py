"""The provenance block and the synthetic-data label of a wave report.

The run date and git commit come from :mod:`giftreview.pipeline.provenance` (``SOURCE_DATE_EPOCH``
honoured); the block is rendered by the ``provenance`` macro shared with the comparison report
and the index page. Below the inputs, the block lists each notebook parameter with its value and
where the value came from (:func:`parameter_rows`): the command line, the project's
``giftreview.toml`` or ``pyproject.toml``, the instrument, the built-in default, or the run itself.
"""

from __future__ import annotations

import json
from typing import Any

from giftreview import __version__
from giftreview.data.instrument import file_sha256
from giftreview.errors import ArgumentError
from giftreview.pipeline.provenance import git_commit, run_date
from giftreview.report.templating import render
from giftreview.report.views import Html
from giftreview.report.wave import Report, is_synthetic

__all__ = [
    "DATE_FORMAT",
    "source_label",
    "parameter_rows",
    "provenance_items",
    "provenance",
    "synthetic_label",
]

DATE_FORMAT = "%Y-%m-%d %H:%M UTC"


#: parameters listed with the inputs' sha256 instead (raw, instrument) or only carrying the sources
_NOT_LISTED = ("raw", "instrument", "sources")


def source_label(source: str | None) -> str:
    """How a recorded source reads on the page.

    ``cli`` -> ``command line``; ``config file giftreview.toml`` -> ``giftreview.toml``;
    ``instrument`` -> ``instrument file``; ``default`` -> ``built-in default``; ``run`` ->
    ``set by giftreview run``; ``None`` (no source recorded: the notebook was run by hand) ->
    ``notebook parameters cell``; anything else as recorded.

    Examples
    --------
    >>> source_label("config file pyproject.toml [tool.giftreview]")
    'pyproject.toml [tool.giftreview]'
    >>> source_label(None)
    'notebook parameters cell'
    """
    if source is None:
        return "notebook parameters cell"
    if source.startswith("config file "):
        return source.removeprefix("config file ")
    named = {
        "cli": "command line",
        "instrument": "instrument file",
        "default": "built-in default",
        "run": "set by giftreview run",
    }
    return named.get(source, source)


def parameter_rows(parameters: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(parameter, value, source)`` for each notebook parameter but the input files.

    ``parameters`` are the notebook's (``Report.parameters``); its ``sources`` entry is the JSON
    written by :func:`giftreview.pipeline.plan.parameter_sources` (``""`` when run by hand). The
    value is printed as JSON (``"A3"``, ``0.95``, ``false``), as the manifest records it.
    """
    raw = parameters.get("sources") or "{}"
    try:
        sources = json.loads(raw)
    except json.JSONDecodeError:
        sources = None
    if not isinstance(sources, dict):
        raise ArgumentError(
            f'`sources` {raw!r} is not a JSON object; give {{"parameter": "source", ...}} '
            'or "" (as giftreview run writes it)'
        )
    return [
        (key, json.dumps(value), source_label(sources.get(key)))
        for key, value in sorted(parameters.items())
        if key not in _NOT_LISTED
    ]


def provenance_items(rep: Report) -> dict[str, str]:
    """Raw file and instrument sha256, version, git commit and the run date (the parameters,
    with their sources, are :func:`parameter_rows`)."""
    inst_path = rep.instrument.path
    return {
        "raw file": rep.raw.name,
        "raw sha256": file_sha256(rep.raw) if rep.raw.exists() else "missing",
        "instrument": inst_path.name if inst_path else "(in memory)",
        "instrument sha256": rep.instrument.sha256 or "unknown",
        "wave": rep.wave,
        "giftreview version": __version__,
        "git commit": git_commit(),
        "run date": run_date().strftime(DATE_FORMAT),
    }


def provenance(rep: Report) -> Html:
    """The provenance block printed at the end of every part."""
    return render(
        "report/provenance.html.j2",
        items=provenance_items(rep),
        parameters=parameter_rows(rep.parameters),
    )


def synthetic_label(rep: Report) -> Html:
    """The first-page warning that the data are synthetic (empty for real data)."""
    return render("report/synthetic.html.j2", synthetic=is_synthetic(rep.raw))
