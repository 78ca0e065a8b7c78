"""Benchmark: the accounting pass and the open-text readings against an earlier commit (not a test).

Two parts of ``giftreview clean`` (issue 11), each timed against the same code at a baseline
commit (default ``22191fb``, before this round), loaded from git into this same process and run
on the same bytes in the same run:

* **accounting**: :func:`giftreview.data.accounting.scan_file` of the whole export with the UTF-8
  check of each piece, as :func:`giftreview.data.rawcsv.plain_utf8_layout` calls it (the first
  pass's critical path);
* **readings**: ``readings._read_text`` of every open and list column of the first
  ``--text-rows`` rows (read with :func:`pyarrow.csv.read_csv`), as
  :func:`giftreview.data.readings.read_column` calls it.

Each is run ``--repeat`` times alternately; the best wall and CPU seconds (``time.process_time``)
are printed with the ratio new / baseline, and the two results are compared (a difference stops
the benchmark).

Usage::

    .venv/bin/python benchmarks/bench_accounting.py /tmp/run1m/wave_1000000.csv
    .venv/bin/python benchmarks/bench_accounting.py            # a 100,000-row export generated
    .venv/bin/python benchmarks/bench_accounting.py RAW --baseline main --repeat 5
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import io
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from giftreview.data import accounting, readings
from giftreview.data.instrument import load_instrument
from giftreview.data.rawcsv import _is_utf8, plain_utf8_head
from giftreview.data.rules import Rules
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT

ROOT = Path(__file__).resolve().parents[1]


def _module_at(ref: str, path: str, name: str, replace: dict[str, str] | None = None):
    """The module ``path`` (under src/) as it was at commit ``ref``, imported as ``name``."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{ref}:src/{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for old, new in (replace or {}).items():
        source = source.replace(old, new)
    module = types.ModuleType(name)
    module.__file__ = f"{ref}:{path}"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def _best(runs: dict[str, list[tuple[float, float]]], name: str) -> tuple[float, float]:
    return min(w for w, _ in runs[name]), min(c for _, c in runs[name])


def _timed(fn):
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    return out, (time.perf_counter() - w0, time.process_time() - c0)


def _print(title: str, runs: dict[str, list[tuple[float, float]]]) -> None:
    (bw, bc), (nw, nc) = _best(runs, "baseline"), _best(runs, "new")
    print(
        f"{title}: baseline wall {bw:6.2f} s cpu {bc:6.2f} s | new wall {nw:6.2f} s cpu {nc:6.2f} s"
    )
    print(f"{'':{len(title)}}  ratio new/baseline: wall {nw / bw:.2f}  cpu {nc / bc:.2f}")


def bench_accounting(raw: Path, old, repeat: int) -> None:
    head = plain_utf8_head(raw)
    if head is None:
        sys.exit(f"{raw}: not a plain UTF-8 export the accounting pass reads on the bytes")
    skip = 3 if head.encoding == "utf-8-sig" else 0
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "new": []}
    found = {}
    for _ in range(repeat):
        for name, module in (("baseline", old), ("new", accounting)):
            out, t = _timed(
                lambda m=module: m.scan_file(raw, head.delimiter, skip=skip, accept=_is_utf8)
            )
            runs[name].append(t)
            found[name] = out
    a, b = found["baseline"], found["new"]
    same = (a is None) == (b is None)
    if same and a is not None:
        same = (a.starts, a.lines) == (b.starts, b.lines) and np.array_equal(a.offsets, b.offsets)
    if not same:
        sys.exit("the accounting passes differ")
    print(f"records {b.n if b else None}, lines {b.lines if b else None}: the same")
    _print("accounting pass", runs)
    return b


def bench_readings(raw: Path, old, count, rows: int, repeat: int) -> None:
    rules = Rules(load_instrument(DEFAULT_INSTRUMENT))
    # the header and ``rows`` records: up to the next record's first byte
    end = int(count.offsets[rows + 1]) if count.n > rows + 1 else raw.stat().st_size
    with open(raw, "rb") as fh:
        block = fh.read(end)
        header = next(iter(block.decode("utf-8-sig", "replace").splitlines()))
    table = pacsv.read_csv(
        io.BytesIO(block),
        read_options=pacsv.ReadOptions(block_size=1 << 26),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.large_string() for c in next(csv.reader([header]))},
            strings_can_be_null=False,
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
    )
    columns = [
        (c, q)
        for c in readings.expected_columns(rules.instrument)
        if c in table.column_names
        and (q := rules.by_column.get(c)) is not None
        and q.type in ("open", "list")
    ]
    runs: dict[str, list[tuple[float, float]]] = {"baseline": [], "new": []}
    for _ in range(repeat):
        for name, module in (("baseline", old), ("new", readings)):
            found = []

            def read(module=module, found=found):
                for c, q in columns:
                    raw_col = table[c].combine_chunks()
                    codes = np.arange(len(raw_col), dtype=np.intp)
                    found.append(
                        module._read_text(c, codes, raw_col, rules, q.id, q.type == "list")
                    )

            _, t = _timed(read)
            runs[name].append(t)
            if name == "baseline":
                expected = found
            else:
                _same(expected, found)
    print(f"{len(columns)} open/list columns of {table.num_rows:,} rows: the same readings")
    _print("open-text readings", runs)


def _same(a: list, b: list) -> None:
    for x, y in zip(a, b, strict=True):
        for what in ("value", "after"):
            if not getattr(x, what).equals(getattr(y, what)):
                sys.exit(f"{x.column}: {what} differs")
        for what in ("missing", "rule", "too_long"):
            if not np.array_equal(getattr(x, what), getattr(y, what)):
                sys.exit(f"{x.column}: {what} differs")
        if not x.problems.equals(y.problems):
            sys.exit(f"{x.column}: problems differ")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", nargs="?", help="a CSV export (default: 100,000 rows generated)")
    parser.add_argument("--baseline", default="22191fb", help="the commit to compare with")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--text-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    old_columns = _module_at(args.baseline, "giftreview/data/columns.py", "_baseline_columns")
    old_readings = _module_at(
        args.baseline,
        "giftreview/data/readings.py",
        "_baseline_readings",
        {"from giftreview.data.columns import": f"from {old_columns.__name__} import"},
    )
    old_accounting = _module_at(
        args.baseline, "giftreview/data/accounting.py", "_baseline_accounting"
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(args.raw) if args.raw else _generated(Path(tmp))
        print(f"{raw} ({raw.stat().st_size / 1e6:,.0f} MB), baseline {args.baseline}")
        count = bench_accounting(raw, old_accounting, args.repeat)
        if count is not None:
            bench_readings(raw, old_readings, count, args.text_rows, args.repeat)


def _generated(folder: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "bench_ingest", ROOT / "benchmarks/bench_ingest.py"
    )
    ingest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ingest)
    path = folder / "wave_100000.csv"
    ingest.generate(
        DATA_RAW / "ungift_2010.csv", 100_000, path, load_instrument(DEFAULT_INSTRUMENT)
    )
    return path


if __name__ == "__main__":
    main()
