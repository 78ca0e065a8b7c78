"""Export an executed notebook to HTML with nbconvert and the offline ``giftreview`` template.

The template (``src/giftreview/templates/giftreview``) hides the code, embeds its CSS and loads
nothing from the network (no CDN, no MathJax).
"""

from __future__ import annotations

import threading

from nbconvert import HTMLExporter

from giftreview import paths

__all__ = ["TEMPLATE_DIR", "html_exporter", "notebook_to_html"]

TEMPLATE_DIR = paths.PACKAGE_DIR / "templates"

_EXPORTER_LOCK = threading.Lock()
_EXPORTER: HTMLExporter | None = None


def html_exporter(*, hide_code: bool = True) -> HTMLExporter:
    """A new nbconvert HTMLExporter with the offline ``giftreview`` template."""
    exp = HTMLExporter(template_name="giftreview", extra_template_basedirs=[str(TEMPLATE_DIR)])
    exp.exclude_input = hide_code
    exp.exclude_input_prompt = True
    exp.exclude_output_prompt = True
    return exp


def _exporter() -> HTMLExporter:
    """One exporter for the report notebooks (built once: building one takes a while)."""
    global _EXPORTER
    with _EXPORTER_LOCK:
        if _EXPORTER is None:
            _EXPORTER = html_exporter()
        return _EXPORTER


def notebook_to_html(nb, title: str) -> str:
    """HTML of an executed notebook: outputs only, no code, no script or style from the network."""
    exp = _exporter()
    nb.metadata["title"] = title
    with _EXPORTER_LOCK:  # nbconvert exporters are not documented as thread-safe
        body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body
