"""Disclosure control for published tables: small-cell suppression and collapsed views.

- :mod:`~giftreview.analysis.disclosure.suppression`: primary and secondary suppression of one
  table, audited by linear programming (:func:`suppress`, :func:`suppress_tidy`);
- :mod:`~giftreview.analysis.disclosure.collapsing`: coarser views of a breakdown that
  suppression would mostly hide (:func:`collapse`);
- :mod:`~giftreview.analysis.disclosure.audit`: the full table and its view audited together
  by integer programming.

The rule is in ``docs/statistics.md`` ("Small-cell suppression").
"""

from __future__ import annotations

from giftreview.analysis.disclosure import collapsing, suppression

# the package's names are its submodules' public names (each module's __all__, kept there once)
from giftreview.analysis.disclosure.collapsing import *  # noqa: F403
from giftreview.analysis.disclosure.suppression import *  # noqa: F403

__all__ = [*suppression.__all__, *collapsing.__all__]
