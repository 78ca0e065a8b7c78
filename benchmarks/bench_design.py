"""Benchmark: a design-based (weighted, stratified, clustered) breakdown at 1,000,000 respondents.

Not a test. Synthetic clean data from the bundled instrument (``simulate_clean``) get a
stratified two-stage-like design: 50 strata, 40 PSUs (clusters) per stratum, unequal base
weights, post-stratified on the instrument's ``group_by``. Every closed question is broken
down by ``group_by`` with the design (Rao-Scott F, design-based rank tests and pairwise rank
tests, weighted tables with SEs and deffs) and, in the same run, without it (chi-square or
exact, Kruskal-Wallis and Dunn): the ratio is the price of the design. Target (issue 13):
<= 10 s for the weighted breakdown of 1,000,000 respondents.

Usage::

    PYTHONPATH=src .venv/bin/python benchmarks/bench_design.py              # 1,000,000
    PYTHONPATH=src .venv/bin/python benchmarks/bench_design.py --n 100000
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd

from giftreview.analysis import design as dz
from giftreview.analysis import stats
from giftreview.analysis.score import simulate_clean
from giftreview.data.instrument import load_instrument
from giftreview.data.spec import CLOSED_TYPES

SEED = 20100301


def build(n: int):
    """Synthetic clean data with design columns, and the calibrated design."""
    inst = load_instrument()
    data = simulate_clean(inst, n, seed=SEED)
    rng = np.random.default_rng(SEED)
    data["stratum"] = rng.integers(0, 50, n)
    data["psu"] = data["stratum"] * 40 + rng.integers(0, 40, n)
    data["w"] = rng.uniform(1, 5, n)
    design = dz.svydesign(data, weights="w", strata="stratum", clusters="psu")
    groups = data[inst.group_by].astype("string")
    totals = (pd.Series(data["w"]).groupby(groups).sum() * 1.1).to_dict()
    design = dz.poststratify(design, data.assign(_g=groups), "_g", totals)
    return inst, data, design


def breakdowns(inst, data, design) -> tuple[float, int]:
    """Break every closed question (except group_by) down; return seconds and tests run."""
    qids = [q.id for q in inst.questions_of_type(*CLOSED_TYPES) if q.id != inst.group_by]
    start = time.perf_counter()
    tests = 0
    for qid in qids:
        b = stats.breakdown_question(data, inst, qid, seed=SEED, design=design)
        tests += len(b.tests) + len(b.posthoc)
    return time.perf_counter() - start, tests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    args = parser.parse_args()
    inst, data, design = build(args.n)
    plain_s, plain_tests = breakdowns(inst, data, None)
    weighted_s, weighted_tests = breakdowns(inst, data, design)
    print(
        json.dumps(
            {
                "n": args.n,
                "strata": 50,
                "psus": int(design.psu.max()) + 1,
                "unweighted_breakdown_s": round(plain_s, 2),
                "weighted_breakdown_s": round(weighted_s, 2),
                "ratio_weighted_to_unweighted": round(weighted_s / plain_s, 2),
                "tests_unweighted": plain_tests,
                "tests_weighted": weighted_tests,
                "target_s": 10,
            }
        )
    )


if __name__ == "__main__":
    main()
