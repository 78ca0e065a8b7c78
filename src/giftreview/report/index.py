"""The index pages: one wave's ``index.html`` and ``reports/index.html`` over every report.

Both are rendered from ``report/index.html.j2`` and ``report/reports_index.html.j2`` (which
extend ``report/page.html.j2``, the report CSS inlined, nothing loaded from the network) with the
``links`` and ``provenance`` macros the reports share.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from giftreview import paths
from giftreview.report.templating import render_text

__all__ = [
    "IndexEntry",
    "LinkRow",
    "ChangeRow",
    "WaveChanges",
    "COMPARISON_PREFIX",
    "CHANGES_FILE",
    "changes_for",
    "index_html",
    "refresh_wave_index",
    "reports_index_html",
    "write_reports_index",
]

_KIND_ORDER = ("html", "pdf", "ipynb")


class IndexEntry(Protocol):
    """What the wave index reads of a rendered notebook (``giftreview.pipeline`` jobs)."""

    title: str
    status: str
    outputs: dict[str, str]


@dataclass(frozen=True)
class LinkRow:
    """One row of an index page: a title and its ``(label, href)`` links."""

    title: str
    links: tuple[tuple[str, str], ...]
    status: str = ""


def _job_row(job: IndexEntry) -> LinkRow:
    kinds = sorted(job.outputs.items(), key=lambda kv: _KIND_ORDER.index(kv[0]))
    links = tuple((k.upper() if k != "ipynb" else "notebook", rel) for k, rel in kinds)
    return LinkRow(job.title, links, job.status)


@dataclass(frozen=True)
class ChangeRow:
    """One question's change since the previous wave, as the comparison report publishes it."""

    heading: str
    change: str
    p_adjusted: str


@dataclass(frozen=True)
class WaveChanges:
    """A comparison that ends at this wave: its label, its report's href and the changes."""

    label: str
    href: str
    rows: tuple[ChangeRow, ...]


COMPARISON_PREFIX = "compare_"
#: the one-line-per-question summary of a comparison (giftreview.report.comparison), read here
CHANGES_FILE = "changes.csv"


def changes_for(wave_dir: Path | str) -> list[WaveChanges]:
    """Comparisons ending at the wave of ``wave_dir`` (``reports/compare_A_vs_W/``).

    Read from each comparison's ``changes.csv`` (see
    :func:`giftreview.report.comparison.change_summary`); folders in name order.
    """
    wave_dir = Path(wave_dir)
    found = []
    pattern = f"{COMPARISON_PREFIX}*_vs_{wave_dir.name}"
    for folder in sorted(p for p in wave_dir.parent.glob(pattern) if p.is_dir()):
        table = folder / CHANGES_FILE
        if not table.exists():
            continue
        with table.open(encoding="utf-8", newline="") as fh:
            rows = tuple(
                ChangeRow(r["heading"], r["change"], r["p_adjusted"]) for r in csv.DictReader(fh)
            )
        previous = folder.name.removeprefix(COMPARISON_PREFIX).rsplit("_vs_", 1)[0]
        href = f"../{folder.name}/compare.html"
        found.append(WaveChanges(f"since {previous}", href, rows))
    return found


def index_html(
    title: str,
    wave: str,
    jobs: Sequence[IndexEntry],
    provenance: Mapping[str, Any],
    changes: Sequence[WaveChanges] = (),
    appendix: str = "",
) -> str:
    """The wave's index page: a link to each part's HTML, PDF and executed notebook, to the
    combined ``appendix`` PDF when there is one, and, when a comparison ends at this wave, each
    question's change since the previous wave."""
    return render_text(
        "report/index.html.j2",
        title=title,
        wave=wave,
        rows=[_job_row(j) for j in jobs],
        items={str(k): str(v) for k, v in provenance.items()},
        changes=list(changes),
        appendix=appendix,
    )


def refresh_wave_index(wave_dir: Path | str) -> Path | None:
    """Rewrite a rendered wave's ``index.html`` from its ``manifest.json`` with the current
    comparisons (None when the wave has not been rendered there)."""
    wave_dir = Path(wave_dir)
    manifest = wave_dir / "manifest.json"
    if not manifest.exists():
        return None
    m = json.loads(manifest.read_text(encoding="utf-8"))
    jobs = [
        SimpleNamespace(title=j["title"], status=j["status"], outputs=j.get("outputs", {}))
        for j in m.get("notebooks", [])
    ]
    html = index_html(
        m.get("title", ""), m.get("wave", wave_dir.name), jobs, m.get("provenance", {}),
        changes_for(wave_dir), m.get("appendix", ""),
    )  # fmt: skip
    target = wave_dir / "index.html"
    target.write_text(html, encoding="utf-8")
    return target


def _folder_row(folder: Path) -> LinkRow | None:
    pages = [folder / "index.html", folder / "compare.html", folder / "compare.pdf"]
    pages += sorted(folder.glob("tutorial_*.html"))
    links = tuple(
        (p.stem + (" (PDF)" if p.suffix == ".pdf" else ""), f"{folder.name}/{p.name}")
        for p in pages
        if p.exists()
    )
    return LinkRow(folder.name, links) if links else None


def reports_index_html(root: Path) -> str:
    """A page linking every rendered report under ``root`` (waves, comparisons, the tutorial).

    Folders are listed in name order; a folder counts when it holds ``index.html`` (a wave),
    ``compare.html`` or ``tutorial_*.html``. Nothing else is read, so the page is deterministic.
    """
    folders = sorted(p for p in Path(root).iterdir() if p.is_dir())
    rows = [r for r in map(_folder_row, folders) if r is not None]
    return render_text("report/reports_index.html.j2", rows=rows)


def write_reports_index(out_dir: Path | str) -> Path | None:
    """Rewrite ``reports/index.html`` when ``out_dir`` lies directly under ``reports/``."""
    out_dir = Path(out_dir).resolve()
    root = paths.REPORTS.resolve()
    if out_dir.parent != root:
        return None
    target = root / "index.html"
    target.write_text(reports_index_html(root), encoding="utf-8")
    return target
