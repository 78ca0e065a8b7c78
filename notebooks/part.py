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
# <!-- One report section of the instrument (instrument.report_sections()): each question with
# its heading, chart, table or narrative, then the section's statistical appendix. The same
# notebook is executed once per section by `giftreview run`. -->

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
section: str = ""  # report section id (instrument.report_sections()); empty means the first

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
report.section_title(rep, section)

# %%
report.questions(rep, section)

# %%
report.appendix(rep, section)

# %%
report.provenance(rep)
