"""giftreview: reproducible reports from recurring stakeholder surveys.

The library does the work (reading, validation, cleaning, scoring, statistics, coding of open
answers, institution lists, plots and report assembly); the notebooks under ``notebooks/`` are thin
and call it once per section.

The everyday functions are available from the top level, pingouin style::

    import giftreview as gr

    inst = gr.load_instrument()                      # the bundled instrument
    clean = gr.clean_wave("data/raw/ungift_2010.csv", inst).clean
    b1 = gr.breakdown_question(clean, inst, "B1")    # by the instrument's group_by
    print(gr.adjust_pvalues(b1.tests)[["test", "p_value", "p_adjusted"]])

Each name lives in its stage subpackage (``giftreview.data``, ``.analysis``, ``.text``,
``.report``, ``.pipeline``) and is imported from there on first use (PEP 562 ``__getattr__``):
``import giftreview`` stays instant, the command line starts without loading papermill or the
browser driver, and the subpackages can import ``giftreview.__version__`` without a cycle.
"""

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("giftreview")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

#: public name -> the module that defines it
_API = {
    # data: read, validate, clean
    "load_instrument": "giftreview.data.instrument",
    "read_raw": "giftreview.data.io",
    "load_clean": "giftreview.data.io",
    "validate_file": "giftreview.data.validate",
    "clean_wave": "giftreview.data.clean",
    "write_draft": "giftreview.data.draft",
    # analysis: scores, statistics, weights, disclosure, reliability, scales, wave comparison
    "score_question": "giftreview.analysis.score",
    "distribution": "giftreview.analysis.stats",
    "proportion_interval": "giftreview.analysis.stats",
    "crosstab": "giftreview.analysis.stats",
    "independence_test": "giftreview.analysis.stats",
    "kruskal_test": "giftreview.analysis.stats",
    "dunn_test": "giftreview.analysis.stats",
    "breakdown_question": "giftreview.analysis.stats",
    "adjust_pvalues": "giftreview.analysis.stats",
    "poststratify": "giftreview.analysis.weights",
    "weighted_share": "giftreview.analysis.weights",
    "suppress": "giftreview.analysis.disclosure",
    "reliability": "giftreview.analysis.reliability",
    "cohen_kappa": "giftreview.analysis.reliability",
    "krippendorff_alpha": "giftreview.analysis.reliability",
    "cronbach_alpha": "giftreview.analysis.scales",
    "compare_waves": "giftreview.analysis.compare",
    # text: open answers and lists
    "code_question": "giftreview.text.coding",
    "theme_frequencies": "giftreview.text.frequencies",
    "draft_paragraphs": "giftreview.text.narrative",
    # pipeline: rendered reports
    "RunSettings": "giftreview.pipeline.plan",
    "run_report": "giftreview.pipeline.run",
    "render_comparison": "giftreview.pipeline.compare",
    "render_tutorial": "giftreview.pipeline.tutorial",
}

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    """Import a public name from its module on first use (and keep it)."""
    module = _API.get(name)
    if module is None:
        raise AttributeError(
            f"module 'giftreview' has no attribute {name!r}; the public names are in "
            "giftreview.__all__"
        )
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
