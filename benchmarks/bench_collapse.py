"""Benchmark: a wave's by-group suppression and collapsed views, computed against cached (not a test).

For every breakdown of the wave (each rating, count, single- and multiple-choice question by the
instrument's grouping), in this same run:

* **baseline**: :func:`giftreview.report.crosstab.breakdown_views` without a cache (suppression,
  then the collapsed views' joint integer-programming audit);
* **cold**: the same with an empty cache folder (computed and written);
* **warm**: again with that folder (read back: what a rerun or a second notebook does).

Prints each question's seconds and the ratios warm / baseline and cold / baseline (the cost of
writing). Issue 14: collapsing cost 2-50 s per question under load.

Usage::

    .venv/bin/python benchmarks/bench_collapse.py                       # the 2010 wave
    .venv/bin/python benchmarks/bench_collapse.py data/raw/ungift_2012.csv
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT
from giftreview.report import wave as report
from giftreview.report.crosstab import breakdown_views

KINDS = ("rating", "count", "single", "multi")


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", default=str(DATA_RAW / "ungift_2010.csv"))
    args = parser.parse_args(argv)
    rep = report.open_wave(raw=args.raw, instrument=str(DEFAULT_INSTRUMENT))
    totals = {"baseline": 0.0, "cold": 0.0, "warm": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for q in rep.instrument.questions:
            if q.type not in KINDS or q.id == rep.group_by:
                continue
            table = report.breakdown_table(rep, q.id)
            if table.empty:
                continue
            scale = {}
            if q.type == "rating":
                scale = dict(
                    zip(("levels", "neutral"), report.scale_labels(rep, q.id), strict=True)
                )

            def run(cache: Path | None, table=table, q=q, scale=scale) -> None:
                breakdown_views(table, q.type, k=rep.k, cache_dir=cache, **scale)

            row = {
                "baseline": _time(lambda: run(None)),
                "cold": _time(lambda: run(Path(tmp))),
                "warm": _time(lambda: run(Path(tmp))),
            }
            for k, v in row.items():
                totals[k] += v
            print(
                f"{q.id:<6} {q.type:<7} baseline {row['baseline']:7.2f} s  cold {row['cold']:7.2f} s"
                f"  warm {row['warm']:6.3f} s",
                flush=True,
            )
    b = totals["baseline"]
    print(
        f"all    baseline {b:.2f} s, cold {totals['cold']:.2f} s (x{totals['cold'] / b:.2f}), "
        f"warm {totals['warm']:.3f} s (x{totals['warm'] / b:.4f} of baseline)"
    )


if __name__ == "__main__":
    main()
