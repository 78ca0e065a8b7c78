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
# # Analysing a recurring stakeholder survey with giftreview
#
# This tutorial follows one wave of a partner survey from the raw export to the rendered report:
#
# 1. the instrument and the raw file
# 2. validation
# 3. the cleaning audit
# 4. scoring
# 5. intervals
# 6. group tests and their assumptions
# 7. multiple testing
# 8. disclosure control
# 9. coding open answers, and reliability
# 10. comparing two waves
# 11. the rendered report
#
# Each step explains the method and its pitfalls in plain words and ends with an **exercise**.
# In the teacher's version the solutions follow each exercise; in the student's version they
# are removed (cells tagged `solution`). The data are the bundled *synthetic* waves of the
# UN.GIFT partner survey: they describe no real organization.
#
# Everything here is a call to the `giftreview` library: the same functions the report
# notebooks use. When you want to change what is computed, change the library, not a copy in
# a notebook.

# %%
import numpy as np
import pandas as pd
from IPython.display import display

from giftreview.analysis import compare, disclosure, reliability, score, stats
from giftreview.data import clean, instrument, io, validate
from giftreview.text import coding, frequencies, quality

pd.set_option("display.max_colwidth", 60)
pd.set_option("display.width", 120)

# %% tags=["parameters"]
# Parameters (papermill overrides them). Relative paths start at the project root.
raw: str = "data/raw/ungift_2010.csv"  # the raw export of the wave studied
raw_b: str = "data/raw/ungift_2012.csv"  # a later wave, for the comparison step
instrument_file: str = "instruments/ungift_partner_survey.yaml"  # the questionnaire file
truth: str = "data/raw/synthetic_truth/ungift_2010_themes.csv"  # themes the generator planted
seed: int = 20100301  # seed of every random draw in the exercises

# %%
from giftreview.paths import from_root as here  # noqa: E402  (relative to the project root)

rng = np.random.default_rng(seed)

# %% [markdown]
# ## 1. The instrument and the raw file
#
# **Method.** The questionnaire is data: a YAML *instrument* lists every question with its id,
# wording, type (single choice, rating, count, multiple choice, open text, list of names), the
# raw column it reads, its options or scale and the accepted spellings (*aliases*). Everything
# downstream is driven by it, so a second survey needs only another instrument
# (`giftreview init RAW` drafts one).
#
# **Pitfalls.** Reading a survey export "by eye" hides problems: a scale label typed three
# ways, a count written as "3-5", an organization that answered twice. Never fix the raw file
# by hand; describe the spellings in the instrument and let cleaning record every change.

# %%
inst = instrument.load_instrument(here(instrument_file))
pd.DataFrame(
    [(q.id, q.type, q.raw_column, q.text[:60]) for q in inst.questions],
    columns=["id", "type", "raw column", "wording"],
)

# %%
table = io.read_raw(here(raw), inst)
print(table.describe())
table.data.head(3)

# %% [markdown]
# **Exercise 1.** Which question does the report group by, and how many levels does its rating
# scale have? How many raw rows does the file hold?

# %% tags=["solution"]
print("group by:", inst.group_by, "-", inst.question(inst.group_by).text)
print("scale levels:", [lv.label for lv in inst.scales["importance5"].levels])
print("raw rows:", len(table.data))

# %% [markdown]
# ## 2. Validation
#
# **Method.** Validation checks every cell against the instrument and reports *every* problem
# at once, as a table: file, row, respondent, column, value, rule, and the action cleaning will
# take (normalised, set missing, quarantined, kept). Nothing stops at the first error.
#
# **Pitfalls.** A validation report with hundreds of "normalised" rows is normal for a real
# export; read the rule counts first, then the errors. An unknown label is *set missing*, so a
# systematic typo can silently shrink a base: look for rules that hit many rows.

# %%
report = validate.validate_raw(table, inst)
validate.rule_counts(report)

# %% [markdown]
# **Exercise 2.** Which rules produced an *error* (not a warning), and in which columns?

# %% tags=["solution"]
errors = report[report["severity"] == "error"]
errors.groupby(["rule", "column"]).size().rename("rows").reset_index()

# %% [markdown]
# ## 3. The cleaning audit
#
# **Method.** Cleaning applies explicit rules (aliases, number words, ranges to midpoints),
# writes an *audit* row for every changed cell (before, after, rule) and moves unusable rows
# (no id, duplicate submission, all blank) to a *quarantine* with the reason. The accounting
# must close: raw rows = clean rows + quarantined rows.
#
# **Pitfalls.** Deduplicating "by hand" in a spreadsheet loses the record of which submission
# was kept. Keep the rule in code, and check the accounting every time.

# %%
result = clean.clean_wave(here(raw), inst, write=False)
print(result.counts)
result.audit.groupby("rule").size().sort_values(ascending=False).head(8)

# %% [markdown]
# **Exercise 3.** Show the quarantined rows with their reason, and check the accounting in code.

# %% tags=["solution"]
c = result.counts
print("accounting closes:", c["raw_rows"] == c["clean_rows"] + c["quarantined_rows"])
result.quarantine[["source_row", "respondent_id", "reason"]]

# %% [markdown]
# ## 4. Scoring
#
# **Method.** Each closed question is scored by its type: a distribution (n and % of those who
# answered), and for ratings also the median, the mean with its interval and the *top-two-box*
# share. "Don't know" and "N/A" are excluded from the base and reported as their own counts.
#
# **Pitfalls.** Percentages of *all* respondents and of *those who answered* differ; always
# state the base. A mean of a five-point scale treats the distance between "slightly" and
# "moderately" as equal to every other step; report the distribution and the median as well.

# %%
data = result.clean
b1 = score.score_question(data, inst, "B1")
print(b1.base_statement)
display(b1.table)

# %%
display(b1.summary)

# %% [markdown]
# **Exercise 4.** Score A2 (importance of trafficking issues to the organization). What is its
# top-two-box share, and how many respondents said "Don't know"?

# %% tags=["solution"]
a2 = score.score_question(data, inst, "A2")
a2.summary[a2.summary["statistic"].isin(["top_box", "missing: Don't know"])]

# %% [markdown]
# ## 5. Intervals
#
# **Method.** A share from a sample carries uncertainty. giftreview uses the **Wilson score
# interval** by default: it stays inside [0, 1] and keeps close to its nominal coverage even
# for small bases. The textbook Wald interval (p ± 1.96·SE) is shown for comparison only.
#
# **Pitfalls.** With 2 of 12 the Wald interval can dip below zero and is far too narrow; with
# 0 of 12 it is the single point 0. Small sector groups are exactly where this happens.

# %%
counts, bases = np.array([2, 0, 30]), np.array([12, 12, 120])
rows = []
for method in ("wilson", "normal", "clopper-pearson"):
    low, high = stats.proportion_interval(counts, bases, method=method)
    rows += [
        (method, f"{x}/{n}", lo, hi) for x, n, lo, hi in zip(counts, bases, low, high, strict=True)
    ]
pd.DataFrame(rows, columns=["method", "share", "low", "high"]).round(3)

# %% [markdown]
# **Exercise 5.** Draw 2,000 samples of 12 answers with a true share of 0.15 (use `rng`) and
# estimate how often the Wald and the Wilson 95% intervals contain 0.15.

# %% tags=["solution"]
x = rng.binomial(12, 0.15, size=2000)
for method in ("normal", "wilson"):
    low, high = stats.proportion_interval(x, np.full_like(x, 12), method=method)
    print(method, "coverage:", np.mean((low <= 0.15) & (0.15 <= high)).round(3))

# %% [markdown]
# ## 6. Group tests and their assumptions
#
# **Method.** A breakdown by sector asks whether answers differ between groups. The test
# follows the question type: for categories, Pearson's chi-square when the expected counts are
# large enough (*Cochran's rule*: none below 1, at most 20% below 5), otherwise an exact test;
# for ratings, Kruskal-Wallis with Dunn's pairwise comparisons (Holm-adjusted). The effect size
# (Cramer's V, epsilon-squared) says *how much* groups differ; the p-value only says whether the
# data are surprising if they did not.
#
# **Assumptions.** Both tests assume independent respondents (one answer per organization:
# duplicates are quarantined for this reason). Chi-square needs large enough expected counts;
# Kruskal-Wallis compares whole distributions of ranks, and reads as a shift in the median
# only when the groups' distributions have a similar shape.
#
# **Pitfalls.** A chi-square on a table full of tiny counts is not trustworthy; the output says
# which test was used and why. A non-significant test is not evidence of "no difference" with
# a few respondents per sector.

# %%
bd = stats.breakdown_question(data, inst, "B1")
bd.tests[["outcome", "by", "test", "statistic", "df", "p_value", "effect_size", "reason"]]

# %% [markdown]
# **Exercise 6.** Break B6 (topics, multiple choice) down by sector. Which options were tested
# with an exact test instead of chi-square, and why?

# %% tags=["solution"]
b6 = stats.breakdown_question(data, inst, "B6")
b6.tests[["outcome", "test", "reason"]]

# %% [markdown]
# ## 7. Multiple testing
#
# **Method.** A report runs dozens of tests; at the 5% level about one in twenty would be
# "significant" by chance alone. giftreview adjusts the whole report's family of tests with
# **Benjamini-Hochberg** (controls the expected share of false discoveries) and prints raw and
# adjusted p side by side. Holm controls the chance of *any* false positive and is stricter.
#
# **Pitfalls.** Adjusting each question separately, or reporting only the tests that came out
# significant, defeats the adjustment.

# %%
family = pd.concat(
    [stats.breakdown_question(data, inst, q).tests for q in ("A2", "A3", "B1", "B6")],
    ignore_index=True,
)
adjusted = stats.adjust_pvalues(family, "fdr_bh")
adjusted[["outcome", "test", "p_value", "p_adjusted"]].round(4)

# %% [markdown]
# **Exercise 7.** How many tests have p < 0.05 before adjustment, after Benjamini-Hochberg and
# after Holm?

# %% tags=["solution"]
holm = stats.adjust_pvalues(family, "holm")
print("raw:", int((family["p_value"] < 0.05).sum()))
print("BH:", int((adjusted["p_adjusted"] < 0.05).sum()))
print("Holm:", int((holm["p_adjusted"] < 0.05).sum()))

# %% [markdown]
# ## 8. Disclosure control
#
# **Method.** A published table of sector by answer can identify an organization when a cell
# holds one or two respondents. Counts below *k* (default 5) are hidden ("<k"), and *secondary
# suppression* hides enough other cells that a hidden count cannot be worked out from the
# row and column totals.
#
# **Pitfalls.** Hiding only the small cell is not enough when totals are published: total minus
# the visible cells gives it back.

# %%
crosstab = pd.crosstab(data["A1"], data["B1"])
shown = disclosure.suppress(crosstab, k=5)
print("primary:", shown.n_primary, "secondary:", shown.n_secondary)
display(shown.display)

# %% [markdown]
# **Exercise 8.** Suppress the same table with k = 10. How many cells are hidden now, and can
# you still recover any of them from the totals?

# %% tags=["solution"]
ten = disclosure.suppress(crosstab, k=10)
print("primary:", ten.n_primary, "secondary:", ten.n_secondary)
# Each row and column with a hidden cell has at least two hidden cells, so subtraction from the
# published totals only gives their sum, never a single cell.
(ten.status != "").sum(axis=1)

# %% [markdown]
# ## 9. Coding open answers, and reliability
#
# **Method.** Open answers are coded against a *codebook*: each theme has a description,
# inclusion and exclusion patterns and an example. Auto-coding marks each answer with every
# theme whose pattern matches, and keeps the matched words as evidence; answers matching
# nothing are listed, never dropped. Human coders can export a sheet, code it and import it
# back; agreement between coders is measured with Cohen's kappa and Krippendorff's alpha.
#
# **Pitfalls.** Patterns miss paraphrases and catch negations ("no coordination at all").
# Check the codes against a careful reading before trusting the counts; percent agreement
# looks high when a theme is rare, which is why kappa and alpha correct for chance.

# %%
coded = coding.code_question(data, inst, "B2")
freq = frequencies.theme_frequencies(coded, data, k=5)
freq[freq["group"] == "All"][["label", "n", "base", "pct", "ci_low", "ci_high"]].head(8)

# %% [markdown]
# The synthetic data come with the themes the generator planted in each answer. Compare the
# patterns with them: here they agree perfectly, because the synthetic answers were written from
# the same phrases the patterns look for. Real answers are never this kind.

# %%
planted = pd.read_csv(here(truth))
quality.compare_with_reference(coded, planted).tail(1)

# %% [markdown]
# To see what reliability statistics do, simulate a second human coder who reads the same
# answers but misses about one planted theme in eight and adds a wrong theme now and then
# (seeded, so everyone gets the same coder). Each coder's decisions become a long table
# `respondent_id, coder, theme, value`.


# %%
ids = coded.answered["respondent_id"].tolist()
themes = [t.id for t in coded.codebook.themes]
patterns = reliability.coder_decisions(coded.codes, "patterns", ids, themes)
second = patterns.assign(coder="second coder")
flip = np.where(
    second["value"] == 1, rng.random(len(second)) < 0.125, rng.random(len(second)) < 0.01
)
second["value"] = np.where(flip, 1 - second["value"], second["value"])
codes = pd.concat([patterns, second], ignore_index=True)
reliability.reliability(codes, n_boot=200, seed=seed).round(3).tail(5)

# %% [markdown]
# **Exercise 9.** On which theme do the patterns and the second coder agree least (lowest
# alpha)? Print three answers where they disagree on it, and decide who is right. Why is
# percent agreement high for every theme even so?

# %% tags=["solution"]
rel = reliability.reliability(codes, n_boot=0)
worst = rel[rel["theme"] != "(overall)"].sort_values("alpha").iloc[0]["theme"]
wide = codes[codes["theme"] == worst].pivot(index="respondent_id", columns="coder", values="value")
disagree = wide[wide["patterns"] != wide["second coder"]].index[:3]
print("theme:", worst)
# Percent agreement is high because most answers do not mention a given theme: two coders who
# both say "no" almost always agree by chance. Kappa and alpha remove that chance agreement.
coded.answered[coded.answered["respondent_id"].isin(disagree)]

# %% [markdown]
# ## 10. Comparing two waves
#
# **Method.** The survey recurs. Between two waves giftreview reports, for each comparable
# question, the change in each share with a **Newcombe** interval for the difference, a test
# for independent samples (chi-square/exact, Mann-Whitney), and, for organizations that
# answered both waves, paired tests (McNemar, Stuart-Maxwell, Wilcoxon signed-rank) with their
# own number of pairs. Questions whose wording, options or scale changed are listed as not
# comparable, with the reason.
#
# **Pitfalls.** The two waves overlap: treating them as independent ignores that the same
# organizations answered twice. The paired tests use that overlap, but only for the
# organizations present in both, who may not be typical.

# %%
inst_b = inst
later = clean.clean_wave(here(raw_b), inst_b, write=False).clean
waves = compare.compare_waves(data, later, inst, inst_b)
print("organizations in both waves:", waves.n_matched)
waves.tests[waves.tests["question"] == "B1"][["design", "test", "n_pairs", "p_value"]]

# %% [markdown]
# **Exercise 10.** Which B6 topic changed most between the waves (largest absolute change in
# share)? Give the change with its interval, in percentage points.

# %% tags=["solution"]
b6c = waves.changes[waves.changes["question"] == "B6"].copy()
top = b6c.loc[b6c["difference"].abs().idxmax()]
print(
    f"{top.level}: {100 * top.difference:+.1f} points "
    f"({100 * top.ci_low:.1f} to {100 * top.ci_high:.1f})"
)

# %% [markdown]
# ## 11. The rendered report
#
# **Method.** One command validates, cleans, runs the parameterised report notebooks with
# papermill and renders each to HTML (code hidden, fully offline) and PDF:
#
# ```
# giftreview run data/raw/ungift_2010.csv --formats html,pdf
# giftreview compare ungift_2010 ungift_2012
# ```
#
# Every report carries its provenance: the sha256 of the raw file and of the instrument, the
# package version, the git commit and the parameters. A rerun with unchanged inputs is skipped.
#
# **Pitfalls.** Editing a rendered report by hand breaks the link between data and figures;
# change the instrument, the codebook or the library, and rerun.
#
# **Exercise 11.** Which parameters does the part notebook accept? (Hint: papermill can
# inspect a notebook; giftreview refuses a parameter a notebook does not declare.)

# %% tags=["solution"]
from giftreview.pipeline import execute, plan  # noqa: E402

try:
    execute.check_parameters(plan.notebooks_dir() / "part.py", {"colour": "blue"})
except Exception as exc:  # the message names the known parameters
    print(exc)
