"""What a report shows: each notebook section as view models rendered by Jinja2 templates.

The notebooks call this package, one call per section::

    from giftreview import report

    rep = report.open_wave(raw=raw, instrument=instrument, ...)
    report.section_title(rep, section)
    report.questions(rep, section)
    report.appendix(rep, section)
    report.provenance(rep)

Modules, one concern each: :mod:`~giftreview.report.wave` (opening a wave, the test family),
:mod:`~giftreview.report.views` (view models), :mod:`~giftreview.report.templating` (the Jinja2
environment and number formats), :mod:`~giftreview.report.tables`,
:mod:`~giftreview.report.questions`, :mod:`~giftreview.report.appendix`,
:mod:`~giftreview.report.overview`, :mod:`~giftreview.report.methods`,
:mod:`~giftreview.report.provenance`, :mod:`~giftreview.report.index` (the index pages),
:mod:`~giftreview.report.measures` (batteries and multi-item scales),
:mod:`~giftreview.report.plots` (charts, imported when first drawn) and
:mod:`~giftreview.report.comparison` (the wave comparison's sections: ``report.comparison.title(cmp)``).
"""

from giftreview.report import comparison
from giftreview.report.appendix import appendix
from giftreview.report.index import index_html, reports_index_html, write_reports_index
from giftreview.report.methods import (
    data_accounting,
    interval_methods,
    quantifier_table,
    redaction_rule,
    suppression_rule,
    tests_explained,
)
from giftreview.report.overview import introduction, response_accounting, title_page
from giftreview.report.provenance import (
    parameter_rows,
    provenance,
    provenance_items,
    source_label,
    synthetic_label,
)
from giftreview.report.questions import chart_rows, question, questions, section_title
from giftreview.report.templating import fmt_ci, fmt_num, fmt_p, fmt_pct
from giftreview.report.views import Html
from giftreview.report.wave import (
    Report,
    build_test_family,
    group_noun,
    heading,
    is_prepared,
    is_synthetic,
    open_wave,
    prepare,
)

__all__ = [
    "comparison",
    "Html",
    "Report",
    "open_wave",
    "is_prepared",
    "prepare",
    "build_test_family",
    "heading",
    "group_noun",
    "is_synthetic",
    "title_page",
    "introduction",
    "response_accounting",
    "section_title",
    "questions",
    "question",
    "chart_rows",
    "appendix",
    "data_accounting",
    "tests_explained",
    "interval_methods",
    "suppression_rule",
    "redaction_rule",
    "quantifier_table",
    "synthetic_label",
    "provenance",
    "provenance_items",
    "parameter_rows",
    "source_label",
    "index_html",
    "reports_index_html",
    "write_reports_index",
    "fmt_pct",
    "fmt_ci",
    "fmt_p",
    "fmt_num",
]
