"""Benchmark: scoring plus every breakdown on synthetic responses (not a test).

Each size runs in its own child process, so peak memory (the process's maximum resident set,
``ru_maxrss``) belongs to that size alone; the growth ratio compares the times measured in this
same run. Targets (issue 3): <= 30 s and <= 4 GB at 1,000,000 responses; 10x the data <= 12x the
time.

Usage::

    .venv/bin/python benchmarks/bench_stats.py              # 100,000 and 1,000,000
    .venv/bin/python benchmarks/bench_stats.py --sizes 1000 10000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import pandas as pd

from giftreview.analysis import disclosure, stats
from giftreview.analysis.score import score_question, simulate_clean
from giftreview.data.instrument import load_instrument
from giftreview.data.spec import CLOSED_TYPES

SEED = 20100301


def run_once(n: int) -> dict:
    """Score every closed question and break every one down by sector; return the figures."""
    inst = load_instrument()
    data = simulate_clean(inst, n, seed=SEED)
    qids = [q.id for q in inst.questions_of_type(*CLOSED_TYPES)]
    start = time.perf_counter()
    for qid in qids:
        score_question(data, inst, qid)
    scored = time.perf_counter()
    tests, cells = [], 0
    for qid in qids:
        if qid == inst.group_by:
            continue
        b = stats.breakdown_question(data, inst, qid, seed=SEED)
        tests.append(b.tests)
        shown, res = disclosure.suppress_tidy(b.table, k=5)
        cells += res.n_primary + res.n_secondary
    family = stats.adjust_pvalues(pd.concat(tests, ignore_index=True))
    end = time.perf_counter()
    return {
        "n": n,
        "groups": int(data[inst.group_by].nunique()),
        "questions": len(qids),
        "tests": len(family),
        "suppressed_cells": cells,
        "score_s": round(scored - start, 3),
        "breakdown_s": round(end - scored, 3),
        "total_s": round(end - start, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run_once(args.child)))
        return
    rows = []
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(n)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(
            f"n={r['n']:>9,}  groups={r['groups']}  questions={r['questions']}  tests={r['tests']}  "
            f"score={r['score_s']:.2f}s  breakdowns+suppression={r['breakdown_s']:.2f}s  "
            f"total={r['total_s']:.2f}s  peak RSS={r['peak_rss_mb']:.0f} MB",
            flush=True,
        )
    for a, b in zip(rows, rows[1:], strict=False):
        print(
            f"growth {a['n']:,} -> {b['n']:,} ({b['n'] / a['n']:.0f}x data): "
            f"time x{b['total_s'] / a['total_s']:.2f}, peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}"
        )


if __name__ == "__main__":
    main()
