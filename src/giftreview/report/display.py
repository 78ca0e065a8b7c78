"""Display rules of published tables: interval precision, top-box labels, post-hoc display.

Three small rules a reviewer reads in every table:

* :func:`fmt_interval` prints an interval with as many decimals as it needs so that a
  non-zero width never rounds to zero ("4.78 to 4.82", never "4.8 to 4.8").
* :func:`top_box_label` names a top-box share by what it is ("top 2 box: Important or Very
  important").
* :func:`posthoc_display` decides whether Dunn's pairwise comparisons are printed: only when the
  omnibus test of the question is significant after the report-wide adjustment; otherwise one
  line says why they are left out.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from giftreview.errors import ArgumentError

__all__ = [
    "MAX_DIGITS",
    "interval_digits",
    "fmt_interval",
    "top_box_label",
    "posthoc_display",
]

#: the most decimals an interval is printed with (a width below 1e-6 prints as equal bounds)
MAX_DIGITS = 6


def interval_digits(low: float, high: float, *, minimum: int = 1, maximum: int = MAX_DIGITS) -> int:
    """Fewest decimals (at least ``minimum``) at which ``low`` and ``high`` print differently.

    Equal bounds (a zero-width interval) keep ``minimum``; a width too small for ``maximum``
    decimals gets ``maximum``.

    Examples
    --------
    >>> interval_digits(4.76, 4.84)
    2
    >>> interval_digits(12.3, 45.6)
    1
    """
    if minimum < 0 or maximum < minimum:
        raise ArgumentError(
            f"`minimum` {minimum!r} and `maximum` {maximum!r}: need 0 <= minimum <= maximum"
        )
    if not (math.isfinite(low) and math.isfinite(high)) or low == high:
        return minimum
    for d in range(minimum, maximum + 1):
        if f"{low:.{d}f}" != f"{high:.{d}f}":
            return d
    return maximum


def fmt_interval(low: Any, high: Any, *, minimum: int = 1) -> str:
    """``"low to high"`` with :func:`interval_digits` decimals; ``""`` when a bound is missing.

    Examples
    --------
    >>> fmt_interval(4.7812, 4.8243)
    '4.78 to 4.82'
    >>> fmt_interval(12.34, 45.67)
    '12.3 to 45.7'
    """
    if pd.isna(low) or pd.isna(high):
        return ""
    lo, hi = float(low), float(high)
    d = interval_digits(lo, hi, minimum=minimum)
    return f"{lo:.{d}f} to {hi:.{d}f}"


def top_box_label(labels: list[str]) -> str:
    """What a top-box share counts: ``"top 2 box: Important or Very important"``.

    ``labels``: the scale's top-box levels, lowest first (the instrument's ``top_box`` codes).
    """
    labels = [str(v) for v in labels]
    if not labels:
        raise ArgumentError("`labels` is empty; give the scale's top-box levels")
    words = labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"
    return f"top {len(labels)} box: {words}"


def posthoc_display(
    tests: pd.DataFrame, *, alpha: float = 0.05, p_col: str = "p_adjusted", name: str = "Dunn"
) -> tuple[bool, str]:
    """Whether to print a question's pairwise comparisons, and the line printed when not.

    Parameters
    ----------
    tests
        The question's omnibus test rows from the report's test family (with the report-wide
        adjusted p in ``p_col``); a rating or count question has one.
    alpha
        Significance level of the adjusted p (the report uses ``1 - confidence``).
    p_col
        Column of the adjusted p-value.
    name
        What the pairwise comparisons are (``"Dunn"``; a weighted report's are
        ``"design-based rank tests"``), named in the note.

    Returns
    -------
    (show, note)
        ``show`` is True when some adjusted p is below ``alpha``; ``note`` is ``""`` then, else
        one sentence saying why the pairs are left out.

    Notes
    -----
    Pairwise tests after a non-significant omnibus test mostly print noise, and a reader scans
    them for small p-values anyway; the protected (closed-testing) reading of Dunn's pairs is
    "only after the omnibus rejects". In R: ``if (p.adjust(p, "BH")[i] < alpha)
    dunn.test::dunn.test(...)``.
    """
    if not 0 < float(alpha) < 1:
        raise ArgumentError(f"`alpha` must be between 0 and 1 (e.g. 0.05); got {alpha!r}")
    if p_col not in tests.columns:
        raise ArgumentError(f"`{p_col}` is not a column of `tests`; columns: {list(tests.columns)}")
    p = pd.to_numeric(tests[p_col], errors="coerce").dropna()
    if p.empty:
        return False, (
            "Pairwise comparisons are not shown: the test between groups could not be computed."
        )
    best = float(p.min())
    if best < alpha:
        return True, ""
    return False, (
        f"Pairwise comparisons ({name}) are not shown: the test between groups is not significant "
        f"after the report-wide adjustment (adjusted p = {best:.3f}, not below {alpha:g})."
    )
