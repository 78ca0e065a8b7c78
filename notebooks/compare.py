# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# <!-- Wave over wave: rendered by `giftreview compare WAVE_A WAVE_B`. Thin: one library call per
# section (giftreview.report.comparison); the statistics are in giftreview.analysis.compare. -->

# %%
from giftreview import report

# %% tags=["parameters"]
# Parameters (papermill overrides them; the defaults compare the two bundled waves).
# Relative paths start at the project root; a wave is a raw file or a label in data/raw.
wave_a: str = "ungift_2010"  # the earlier wave (raw file path or label)
wave_b: str = "ungift_2012"  # the later wave (raw file path or label)
instrument_a: str = ""  # instrument of wave A; empty means the bundled instrument
instrument_b: str = ""  # instrument of wave B; empty means the same as wave A
confidence: float = 0.95  # two-sided level of every interval
k: int = 5  # suppression threshold: counts below k are hidden in every table
sources: str = ""  # JSON {parameter: where its value came from}, set by giftreview compare

# %%
cmp = report.comparison.open_comparison(
    wave_a=wave_a,
    wave_b=wave_b,
    instrument_a=instrument_a,
    instrument_b=instrument_b,
    confidence=confidence,
    k=k,
    sources=sources,
)

# %%
report.comparison.title(cmp)

# %%
report.comparison.comparability(cmp)

# %%
report.comparison.closed_questions(cmp)

# %%
report.comparison.open_questions(cmp)

# %%
report.comparison.list_questions(cmp)

# %%
report.comparison.methods(cmp)

# %%
report.comparison.provenance(cmp)
