"""Batteries and multi-item scales in the wave report: :func:`battery_view`, :func:`scale_view`.

A battery (items sharing one scale, written once in the instrument) is shown as ONE chart: every
item a diverging bar on a shared axis, sorted by agreement (R likert's battery plot), with a
table of each item's n, median, mean and top-box share. A multi-item scale is shown like any
rating (its score distribution, overall and by group with the group test) plus its reliability:
Cronbach's alpha raw and standardised with Feldt's interval, McDonald's omega total, and per item
r.drop and alpha if the item is dropped (:mod:`giftreview.analysis.scales`, equal to
``psych::alpha``).
"""

from __future__ import annotations

import pandas as pd

from giftreview.analysis.scales import scale_reliability, score_by_group
from giftreview.analysis.stats import grouping_column, kruskal_test
from giftreview.data.instrument import Instrument
from giftreview.data.spec import Battery, MultiItemScale
from giftreview.report.templating import fmt_num, fmt_p
from giftreview.report.views import QuestionView, Table, Text
from giftreview.report.wave import Report, group_noun, score

__all__ = ["battery_view", "scale_view", "section_views"]


def _plots():
    from giftreview.report import plots  # deferred: matplotlib is slow to import

    return plots


def _stat(summary: pd.DataFrame, name: str) -> float:
    row = summary[summary["statistic"].astype(str) == name]
    return float(row["estimate"].iloc[0]) if len(row) else float("nan")


def battery_view(rep: Report, battery: Battery) -> QuestionView:
    """The battery's chart (all items on one axis, sorted by agreement) and its item table."""
    plots = _plots()
    inst = rep.instrument
    scale = inst.scales[battery.scale]
    levels = [lv.label for lv in scale.levels]
    neutral = next((lv.label for lv in scale.levels if str(lv.code) == str(scale.neutral)), None)
    frames, rows = [], []
    for qid in battery.items:
        s = score(rep, qid)
        text = inst.question(qid).text
        base = int(s.table["base"].iloc[0]) if len(s.table) else 0
        frames.append(
            pd.DataFrame(
                {"item": text, "level": s.table["level"].astype(str), "pct": s.table["pct"],
                 "n": base}
            )
        )  # fmt: skip
        top = _stat(s.summary, "top_box")
        rows.append(
            {"item": text, "n": base, "median": fmt_num(_stat(s.summary, "median")),
             "mean": fmt_num(_stat(s.summary, "mean")),
             "top box (%)": fmt_num(top, 0)}
        )  # fmt: skip
    table = pd.concat(frames, ignore_index=True)
    fig = plots.battery_bars(table, levels=levels, neutral=neutral, title=battery.text)
    unit = inst.unit.plural
    alt = (
        f"Diverging stacked bars, one per item of the battery '{battery.text}', sorted by the "
        f"share above the {'neutral level' if neutral else 'midpoint'}."
    )
    caption = (
        f"{len(battery.items)} items on the scale {levels[0]!r} ... {levels[-1]!r}; each bar is "
        f"the {unit} who answered that item (n after each item). Sorted by agreement."
    )
    top_box = ", ".join(lv.label for lv in scale.levels if str(lv.code) in map(str, scale.top_box))
    item_table = Table(
        pd.DataFrame(rows),
        caption=f"Items (median and mean of the level numbers 1-{len(levels)}; top box: "
        f"{top_box or 'none declared'})",
        numeric=("n", "median", "mean", "top box (%)"),
    )
    heading = f"{battery.number}. {battery.text}" if battery.number else battery.text
    return QuestionView(heading, plots.figure(fig, alt=alt, caption=caption), [item_table])


def _range(inst: Instrument, scale: MultiItemScale) -> tuple[float, float]:
    codes = [float(lv.code) for lv in inst.scale_of(scale.items[0]).levels]
    factor = len(scale.items) if scale.score == "sum" else 1
    return min(codes) * factor, max(codes) * factor


def scale_view(rep: Report, scale_id: str) -> QuestionView:
    """A multi-item scale: score distribution, by group with its test, reliability, items."""
    plots = _plots()
    inst = rep.instrument
    scale = inst.multi_item_scale(scale_id)
    rel = scale_reliability(rep.data, inst, scale_id, confidence=rep.confidence)
    n = int(rel.scores.notna().sum())
    low, high = _range(inst, scale)
    rev = f"; reverse-keyed: {', '.join(scale.reverse)}" if scale.reverse else ""
    what = f"{scale.score} of {len(scale.items)} items{rev}; at least {scale.needed} answered"
    fig = plots.score_histogram(
        rel.scores, low=low, high=high, title=f"{scale.title}: scale scores",
        xlabel=f"score ({what}; n = {n})",
    )  # fmt: skip
    alt = f"Histogram of {scale.title} scores from {low:g} to {high:g} (n = {n})."
    caption = f"n = {n} {inst.unit.plural} with a score ({what})."
    parts = _by_group_parts(rep, rel.scores)
    parts += [_reliability_table(rel, rep.confidence), _items_table(rel)]
    return QuestionView(f"Scale: {scale.title}", plots.figure(fig, alt=alt, caption=caption), parts)


def _by_group_parts(rep: Report, scores: pd.Series) -> list:
    inst = rep.instrument
    col = grouping_column(rep.data, inst, rep.group_by) if rep.group_by else None
    groups = rep.data[col] if col else None
    summary = score_by_group(
        scores, groups, confidence=rep.confidence, k=rep.k, overall=f"All {inst.unit.plural}"
    )
    shown = pd.DataFrame(
        {
            "group": summary["group"],
            "n": summary["n"].map(lambda v: f"<{rep.k}" if 0 < v < rep.k else str(v)),
            "mean": summary["mean"].map(fmt_num),
            "interval": [
                "" if pd.isna(a) else f"{fmt_num(a)} to {fmt_num(b)}"
                for a, b in zip(summary["ci_low"], summary["ci_high"], strict=True)
            ],
            "median": summary["median"].map(fmt_num),
            "sd": summary["sd"].map(fmt_num),
        }
    )
    caption = f"Scores overall{f' and by {group_noun(inst, rep.group_by)}' if col else ''} "
    caption += f"(mean with {rep.confidence:.0%} t interval)"
    parts: list = [Table(shown, caption=caption, numeric=("n", "mean", "median", "sd"))]
    if col:
        test = kruskal_test(rep.data.assign(__score=scores), "__score", col).iloc[0]
        if test["test"] != "none":
            parts.append(
                Text(
                    f"Kruskal-Wallis test across {group_noun(inst, rep.group_by)}: "
                    f"H = {test['statistic']:.2f}, df = {test['df']:.0f}, "
                    f"p = {fmt_p(test['p_value'])}, epsilon-squared = {test['effect_size']:.3f}.",
                    note=True,
                )
            )
    return parts


def _reliability_table(rel, confidence: float) -> Table:
    a = rel.alpha.iloc[0]
    rows = [
        ("Cronbach's alpha (raw)", fmt_num(a["raw_alpha"], 3),
         f"{fmt_num(a['ci_low'], 3)} to {fmt_num(a['ci_high'], 3)} (Feldt, {confidence:.0%})"),
        ("Cronbach's alpha (standardised)", fmt_num(a["std_alpha"], 3), ""),
        ("average inter-item correlation", fmt_num(a["average_r"], 3), ""),
        ("McDonald's omega total (one factor)", fmt_num(a["omega_total"], 3), ""),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["statistic", "estimate", "interval"])
    caption = (
        f"Reliability ({int(a['n'])} answering, {int(a['n_items'])} items, covariances from "
        "pairwise complete answers; as psych::alpha and psych::omega)"
    )
    return Table(frame, caption=caption, numeric=("estimate",))


def _items_table(rel) -> Table:
    it = rel.items
    frame = pd.DataFrame(
        {
            "item": it["item"],
            "wording": it["text"],
            "reverse-keyed": it["reversed"].map({True: "yes", False: ""}),
            "n": it["n"],
            "r.drop": it["r_drop"].map(lambda v: fmt_num(v, 2)),
            "alpha if dropped": it["alpha_if_dropped"].map(lambda v: fmt_num(v, 3)),
        }
    )
    caption = "Items: correlation with the other items' total (r.drop) and alpha without the item"
    return Table(frame, caption=caption, numeric=("n", "r.drop", "alpha if dropped"))


def section_views(rep: Report, qids: list[str], part: str | None, view) -> list[QuestionView]:
    """The views of a section's questions, a battery's items replaced by one battery view,
    then the multi-item scales of the section's part (``view(rep, qid)`` draws a question)."""
    inst = rep.instrument
    batteries = {b.items[0]: b for b in inst.batteries if set(b.items) <= set(qids)}
    in_battery = {i for b in batteries.values() for i in b.items}
    views = []
    for qid in qids:
        if qid in batteries:
            views.append(battery_view(rep, batteries[qid]))
        elif qid not in in_battery:
            views.append(view(rep, qid))
    for m in inst.multi_item_scales:
        shown_here = m.part == part if m.part is not None else set(m.items) <= set(qids)
        if shown_here:
            views.append(scale_view(rep, m.id))
    return views
