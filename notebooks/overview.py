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
# <!-- Overview of one wave: title page with the synthetic-data label, the survey's introduction
# and the response accounting. Rendered by `giftreview run`; runs by hand with its defaults. -->

# %%
from giftreview import report

# %% tags=["parameters"]
# Parameters (papermill overrides them; the defaults open the first bundled wave).
# Relative paths start at the project root.
raw: str = "data/raw/ungift_2010.csv"  # the raw export of one wave
instrument: str = "instruments/ungift_partner_survey.yaml"  # the questionnaire file
wave: str = ""  # wave label; empty means the stem of the raw file name
processed: str = ""  # cleaned-wave folder; empty means data/processed/<wave>
group_by: str = ""  # grouping question id; empty means group_by of the instrument
confidence: float = 0.95  # two-sided level of every interval
k: int = 5  # suppression threshold: counts below k are hidden in every breakdown
weights: bool = False  # design-based figures: the instrument's design, or its population totals
names_shown: int = 30  # names each group of a list question shows (all are in its CSV)
output: str = ""  # folder for files this notebook writes; empty means reports/<wave>
sources: str = ""  # JSON {parameter: where its value came from}, set by giftreview run

# %%
rep = report.open_wave(
    raw=raw,
    instrument=instrument,
    wave=wave,
    processed=processed,
    group_by=group_by,
    confidence=confidence,
    k=k,
    weights=weights,
    names_shown=names_shown,
    output=output,
    sources=sources,
)

# %%
report.title_page(rep)

# %%
report.introduction(rep)

# %%
report.response_accounting(rep)

# %%
report.provenance(rep)
