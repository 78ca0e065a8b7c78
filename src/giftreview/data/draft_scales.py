"""Batteries and scales of a drafted instrument: what the column guesses add up to.

Runs of consecutive ratings on one scale become batteries (:data:`MIN_BATTERY` items or more);
the levels seen in every rating on a word scale are merged into one scale; within a battery, items
whose names share a prefix are proposed as a multi-item scale, reverse-keyed where they load
negatively on the first principal component (the rule of ``psych::alpha(check.keys = TRUE)``).
The guesses come from :mod:`giftreview.data.draft_types`; :mod:`giftreview.data.draft` writes the
YAML.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from giftreview.data.draft_types import SCALE_WORDS, WHOLE_NUMBER, Guess

__all__ = ["MIN_BATTERY", "merged_scales", "battery_runs", "battery_id", "proposed_scales"]

#: consecutive rating columns on one scale form a battery from this many items
MIN_BATTERY = 3


def merged_scales(guesses: list[Guess]) -> dict[str, tuple[list[str], list[int] | None]]:
    """Scale name -> (levels, codes): word scales take the levels seen in any rating question
    using them, in the vocabulary's order; code scales their codes."""
    scales: dict[str, tuple[list[str], list[int] | None]] = {}
    for g in guesses:
        if g.type != "rating":
            continue
        if g.codes is not None or g.scale not in SCALE_WORDS:
            scales.setdefault(g.scale, (g.options, g.codes))
            continue
        both = scales.get(g.scale, ([], None))[0] + g.options
        seen = {o.casefold() for o in both}
        spell = {o.casefold(): o for o in both}
        scales[g.scale] = ([spell[w] for w in SCALE_WORDS[g.scale] if w in seen], None)
    return scales


def battery_runs(guesses: list[Guess]) -> list[tuple[int, int]]:
    """(first, last + 1) of each run of at least MIN_BATTERY consecutive ratings on one scale."""
    runs, i = [], 0
    while i < len(guesses):
        j = i
        while (
            j < len(guesses)
            and guesses[j].type == "rating"
            and guesses[j].scale == guesses[i].scale
            and guesses[j].stem == guesses[i].stem
        ):
            j += 1
        if j - i >= MIN_BATTERY:
            runs.append((i, j))
        i = max(j, i + 1)
    return runs


def battery_id(ids: list[str], run: tuple[int, int]) -> str:
    """``Q3`` for items ``Q3_1`` ... ``Q3_5`` (when no question is called so), else
    ``<first>_to_<last>``."""
    items = ids[run[0] : run[1]]
    stem = items[0].rpartition("_")[0]
    if stem and stem not in ids and all(re.fullmatch(rf"{re.escape(stem)}_\d+", i) for i in items):
        return stem
    return f"{items[0]}_to_{items[-1]}"[:60]


def _item_values(values: pd.Series, g: Guess) -> pd.Series:
    """Numeric codes of a rating column's raw cells (NaN for blanks and missing codes)."""
    if g.codes is not None and all(isinstance(c, int) for c in g.codes):
        return pd.to_numeric(values, errors="coerce")
    if g.codes is not None:  # levels from the export's choices: code or label -> position
        pos = {str(c).casefold(): i for i, c in enumerate(g.codes, start=1)}
        pos |= {str(o).casefold(): i for i, o in enumerate(g.options, start=1)}
    else:
        pos = {w.casefold(): i for i, w in enumerate(SCALE_WORDS[g.scale], start=1)}
    return values.map(lambda v: pos.get(" ".join(str(v).split()).casefold(), np.nan)).astype(float)


def proposed_scales(
    data: pd.DataFrame, guesses: list[Guess], ids: list[str]
) -> list[tuple[str, list[str], list[str]]]:
    """Multi-item scales proposed within each battery: items whose names share a prefix
    (``A1``-``A5``), reverse-keyed where they load negatively on the group's first principal
    component (the rule of ``psych::alpha(check.keys = TRUE)``)."""
    out = []
    for a, b in battery_runs(guesses):
        groups: dict[str, list[int]] = {}
        for i in range(a, b):
            m = re.match(r"^(.*?[A-Za-z])[_\s.-]*\d+$", ids[i])
            if m:
                groups.setdefault(m.group(1), []).append(i)
        codes = guesses[a].codes
        if codes is not None and not all(WHOLE_NUMBER.match(str(c)) for c in codes):
            continue  # scores need numeric level codes (LimeSurvey's A1..A5 are not)
        for prefix, members in groups.items():
            if len(members) < MIN_BATTERY:
                continue
            x = pd.DataFrame(
                {ids[i]: _item_values(data[guesses[i].column], guesses[i]) for i in members}
            )
            corr = x.corr().to_numpy()
            if np.isnan(corr).any():
                continue
            load = np.linalg.eigh(corr)[1][:, -1]
            if (load < 0).sum() > (load > 0).sum():
                load = -load
            rev = [ids[i] for i, v in zip(members, load, strict=True) if v < 0]
            taken = set(ids) | {battery_id(ids, run) for run in battery_runs(guesses)}
            name = prefix if prefix not in taken else f"{prefix}_scale"
            out.append((name, [ids[i] for i in members], rev))
    return out
