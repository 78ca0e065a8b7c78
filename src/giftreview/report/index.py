"""The index pages: one wave's ``index.html`` and ``reports/index.html`` over every report.

Both are rendered from ``report/index.html.j2`` and ``report/reports_index.html.j2`` (which
extend ``report/page.html.j2``, the report CSS inlined, nothing loaded from the network) with the
``links`` and ``provenance`` macros the reports share.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from giftreview import paths
from giftreview.report.templating import render_text

__all__ = ["IndexEntry", "LinkRow", "index_html", "reports_index_html", "write_reports_index"]

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


def index_html(
    title: str, wave: str, jobs: Sequence[IndexEntry], provenance: Mapping[str, Any]
) -> str:
    """The wave's index page: a link to each part's HTML, PDF and executed notebook."""
    return render_text(
        "report/index.html.j2",
        title=title,
        wave=wave,
        rows=[_job_row(j) for j in jobs],
        items={str(k): str(v) for k, v in provenance.items()},
    )


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
