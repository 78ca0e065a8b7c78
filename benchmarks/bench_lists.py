"""Benchmark: institution lists over whole columns against the per-answer code (not a test).

Builds answer columns of the list questions (B8 and B9 of the bundled instrument) from a bundled
wave: rows drawn with a fixed seed, every answer made unique by a suffix " (answer i)" as in
``benchmarks/bench_ingest.py`` (the million-row benchmark's answers are all distinct, so nothing
is saved by repetition). In the same run it times, per question:

* ``old``: the per-answer code of main at 4426808 (each distinct answer redacted by
  ``redact_pii`` and split by the alias pattern in Python's ``re``), kept as the test oracle
  ``old_institution_mentions`` in ``tests/test_lists_columns.py``;
* ``new``: :func:`giftreview.text.lists.institution_mentions` (redaction and alias matching over
  whole columns in RE2);

and then, on those mentions, the table by group:

* ``old``: ``table_by_group`` of main at ec48d9c (a groups x names pivot suppressed with
  ``margins="none"``, each cell's status looked up one at a time, ``matched`` by a Python lambda
  per name), kept as the test oracle ``old_table_by_group`` in ``tests/test_lists_columns.py``;
* ``new``: :func:`giftreview.text.lists.table_by_group` (the primary rule on the long table).

It checks that old and new give the same frame and prints seconds and the ratio old / new (for a
table row, ``answers`` is the number of rows of the table: group and name pairs).

Usage::

    .venv/bin/python benchmarks/bench_lists.py                   # 20,000 and 100,000 rows
    .venv/bin/python benchmarks/bench_lists.py --sizes 10000     # quick look
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from giftreview.data.instrument import load_instrument
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT
from giftreview.text.lists import institution_mentions, load_aliases, table_by_group

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from test_lists_columns import (  # noqa: E402  (the oracles, one copy)
    old_institution_mentions,
    old_table_by_group,
)

SEED = 20100301


def answers(source: Path, rows: int, instrument) -> pd.DataFrame:
    """``rows`` rows of the list questions and the group column, every answer unique."""
    raw = pd.read_csv(source, dtype=str, keep_default_na=False)
    qids = [q.id for q in instrument.questions_of_type("list")]
    cols = {instrument.question(q).raw_column: q for q in qids}
    group = instrument.question(instrument.group_by).raw_column
    pick = np.random.default_rng(SEED).integers(0, len(raw), rows)
    out = pd.DataFrame({"respondent_id": [f"R{i:07d}" for i in range(rows)]})
    out[instrument.group_by] = raw[group].to_numpy()[pick]
    for col, qid in cols.items():
        text = pd.Series(raw[col].to_numpy()[pick])
        unique = text + " (answer " + pd.Series(np.arange(rows)).astype(str) + ")"
        out[qid] = unique.where(text.str.strip() != "", None)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DATA_RAW / "ungift_2012.csv")
    parser.add_argument("--sizes", default="20000,100000", help="row counts, comma-separated")
    args = parser.parse_args(argv)
    instrument = load_instrument(DEFAULT_INSTRUMENT)
    table = load_aliases()
    print(f"{'rows':>9} {'question':>9} {'answers':>8} {'old s':>8} {'new s':>8} {'old/new':>8}")
    for rows in (int(s) for s in args.sizes.split(",")):
        data = answers(args.source, rows, instrument)
        for q in instrument.questions_of_type("list"):
            t0 = time.perf_counter()
            old = old_institution_mentions(data, instrument, q.id, aliases=table)
            t1 = time.perf_counter()
            new = institution_mentions(data, instrument, q.id, aliases=table)
            t2 = time.perf_counter()
            pd.testing.assert_frame_equal(new, old)
            n = int(data[q.id].notna().sum())
            row(rows, q.id, n, t1 - t0, t2 - t1)
            t0 = time.perf_counter()
            old = old_table_by_group(new, k=5)
            t1 = time.perf_counter()
            tab = table_by_group(new, k=5)
            t2 = time.perf_counter()
            pd.testing.assert_frame_equal(tab, old)
            row(rows, f"{q.id} table", len(tab), t1 - t0, t2 - t1)


def row(rows: int, what: str, n: int, old: float, new: float) -> None:
    print(f"{rows:>9} {what:>9} {n:>8} {old:>8.2f} {new:>8.2f} {old / new:>8.1f}")


if __name__ == "__main__":
    main()
