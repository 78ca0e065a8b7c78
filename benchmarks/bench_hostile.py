"""Benchmark: reading the 25 MB empty-row XLSX bomb of issue 10 (not a test).

The workbook holds 5 answers followed by 8 million styled empty ``<row>`` elements (about 25 MB
compressed, 300+ MB of XML), written by ``scripts/make_hostile.py``. Measured in this same run:

* **giftreview**: ``read_raw`` (a byte scan of the sheet finds the last row holding a value,
  then openpyxl streams up to that row only);
* **baseline**: openpyxl's own streaming reader (``read_only=True``) iterating every row, as
  giftreview did before, on a prefix of the rows (``--baseline-rows``) and scaled linearly to
  the whole sheet (iterating all of it takes minutes).

Target (issue 10): under 5 s for the whole bomb; the ratio to the baseline is printed.

Usage::

    .venv/bin/python benchmarks/bench_hostile.py
    .venv/bin/python benchmarks/bench_hostile.py --rows 2000000 --baseline-rows 200000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

from giftreview.data.instrument import load_instrument
from giftreview.data.io import read_raw

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from make_hostile import write_empty_row_bomb  # noqa: E402


def _baseline(path: Path, limit: int) -> float:
    import openpyxl

    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    for n, _ in enumerate(wb.worksheets[0].iter_rows(values_only=True), start=1):
        if n >= limit:
            break
    wb.close()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=8_000_000, help="empty rows in the bomb")
    parser.add_argument("--baseline-rows", type=int, default=500_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = write_empty_row_bomb(Path(tmp) / "bomb.xlsx", rows=args.rows)
        size = path.stat().st_size / 1e6
        inst = load_instrument()
        t0 = time.perf_counter()
        raw = read_raw(path, inst)
        ours = time.perf_counter() - t0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        part = _baseline(path, args.baseline_rows)
        scaled = part * (args.rows + 6) / args.baseline_rows
    print(f"bomb: {size:.1f} MB, 5 answers + {args.rows:,} empty rows")
    print(f"giftreview read_raw: {ours:.2f} s, {len(raw.data)} rows read, peak RSS {peak:.0f} MB")
    print(f"baseline (openpyxl iterating every row): {part:.2f} s for {args.baseline_rows:,} rows,"
          f" about {scaled:.0f} s for the whole sheet")  # fmt: skip
    print(f"ratio giftreview / baseline: {ours / scaled:.4f}  (target: giftreview < 5 s)")


if __name__ == "__main__":
    main()
