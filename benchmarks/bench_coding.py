"""Benchmark: open-answer coding on whole columns against coding answer by answer (not a test).

Draws ``--rows`` answers with a fixed seed from every open question of a bundled wave, each made
unique (``" (answer i)"`` appended, as ``bench_ingest.py`` does), and times, in the same run:

* the baseline: the coding rule answer by answer, sentence by sentence, theme by theme (the loop
  ``coding.auto_code`` ran before; it is the oracle of ``tests/test_matching.py``);
* ``giftreview.text.coding.auto_code`` (``giftreview.text.matching``: distinct sentences, one
  pass a pattern);

and checks that both give the same codes. The baseline runs on ``--baseline-rows`` answers only
(it is slow) and its time is scaled to the full size, which is printed as such.

Usage::

    .venv/bin/python benchmarks/bench_coding.py                      # 100,000 answers a question
    .venv/bin/python benchmarks/bench_coding.py --rows 1000000 --baseline-rows 5000
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_matching import oracle  # noqa: E402  (the per-answer rule, written out once)

from giftreview.data.instrument import load_instrument  # noqa: E402
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT  # noqa: E402
from giftreview.text.codebook import codebook_for  # noqa: E402
from giftreview.text.coding import auto_code  # noqa: E402

SEED = 20100301


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DATA_RAW / "ungift_2012.csv")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=5_000)
    args = parser.parse_args(argv)
    inst = load_instrument(DEFAULT_INSTRUMENT)
    raw = pd.read_csv(args.source, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(SEED)
    print(f"{'question':<10} {'answers':>9} {'baseline s':>11} {'auto_code s':>12} {'ratio':>7}")
    for q in inst.questions_of_type("open"):
        pool = raw[q.raw_column][raw[q.raw_column].str.strip() != ""].to_numpy()
        picked = pool[rng.integers(0, len(pool), args.rows)]
        answers = pd.Series(
            [f"{a} (answer {i})" for i, a in enumerate(picked)],
            index=[f"R{i:07d}" for i in range(args.rows)],
        )
        cb = codebook_for(inst, q.id)
        t0 = time.perf_counter()
        got = auto_code(answers, cb)
        fast = time.perf_counter() - t0
        few = answers.iloc[: args.baseline_rows]
        t0 = time.perf_counter()
        want = oracle(few, cb)
        slow = (time.perf_counter() - t0) * args.rows / len(few)
        same = got[got["respondent_id"].isin(few.index)].reset_index(drop=True)
        pd.testing.assert_frame_equal(same, want, check_dtype=False)
        print(f"{q.id:<10} {args.rows:>9,} {slow:>11.1f} {fast:>12.2f} {slow / fast:>7.1f}")
    print(f"baseline timed on {args.baseline_rows:,} answers a question and scaled to --rows")


if __name__ == "__main__":
    main()
