"""The provenance block and the synthetic-data label of a wave report.

The run date and git commit come from :mod:`giftreview.pipeline.provenance` (``SOURCE_DATE_EPOCH``
honoured); the block is rendered by the ``provenance`` macro shared with the comparison report
and the index page.
"""

from __future__ import annotations

import json

from giftreview import __version__
from giftreview.data.instrument import file_sha256
from giftreview.pipeline.provenance import git_commit, run_date
from giftreview.report.templating import render
from giftreview.report.views import Html
from giftreview.report.wave import Report, is_synthetic

__all__ = ["DATE_FORMAT", "provenance_items", "provenance", "synthetic_label"]

DATE_FORMAT = "%Y-%m-%d %H:%M UTC"


def provenance_items(rep: Report) -> dict[str, str]:
    """Raw file and instrument sha256, version, git commit, parameters and the run date."""
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
        "run date": run_date().strftime(DATE_FORMAT),
    }


def provenance(rep: Report) -> Html:
    """The provenance block printed at the end of every part."""
    return render("report/provenance.html.j2", items=provenance_items(rep))


def synthetic_label(rep: Report) -> Html:
    """The first-page warning that the data are synthetic (empty for real data)."""
    return render("report/synthetic.html.j2", synthetic=is_synthetic(rep.raw))
