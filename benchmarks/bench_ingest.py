"""Benchmark: ingestion at scale (issue 11), against ``pandas.read_csv`` in the same run (not a test).

Generates exports of 100,000 and 1,000,000 rows from a bundled wave into a temporary folder:
rows drawn with a fixed seed from the wave (so its aliases, missing codes, spelling variants,
ranges, blank and id-less rows come along), every id and submission time unique, every open
answer made unique, and a few bad cells planted per 10,000 rows (unknown labels, out-of-range
codes, unreadable counts and dates, exact and near duplicates). Then measures, each command in
its own process (seconds and peak resident memory of that process):

* ``pandas.read_csv(path, dtype=str)`` of the same file: the baseline every ratio divides by;
* ``giftreview validate RAW --out report.csv``;
* ``giftreview clean RAW --out DIR``;
* ``giftreview run RAW --formats html`` (the million-row wave only; ``--skip-run`` leaves it out);
* ``giftreview clean`` of an XLSX export of 100,000 rows.

Targets (issue 11): clean of 1M rows <= 6 x read_csv, <= 30 s, peak RSS <= 2 GB; 10 x the rows
<= 12 x the time; validate no slower than clean; run --formats html on 1M rows <= 120 s; XLSX of
100,000 rows cleaned in < 20 s.

Usage::

    .venv/bin/python benchmarks/bench_ingest.py                   # 100k and 1M rows, run included
    .venv/bin/python benchmarks/bench_ingest.py --sizes 100000    # quick look (~2 min idle)
    .venv/bin/python benchmarks/bench_ingest.py --sizes 1000000 --skip-run --no-xlsx  # 1M clean
    .venv/bin/python benchmarks/bench_ingest.py --sizes 100000 1000000 --skip-run --no-xlsx \\
        --exports /tmp/run1m     # the exports generated before, not made again
    .venv/bin/python benchmarks/bench_ingest.py --skip-run --no-xlsx
    .venv/bin/python benchmarks/bench_ingest.py --sizes 100000 --no-xlsx  # run of 100k rows
    .venv/bin/python benchmarks/bench_ingest.py --sizes 1000000 --no-xlsx  # run of 1M rows

The run row is followed by the run's own progress lines (seconds of each kernel start, the clean,
the test family and each notebook's execute and html steps), so the notebooks' share is visible.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from giftreview.data.instrument import load_instrument
from giftreview.paths import DATA_RAW, DEFAULT_INSTRUMENT, INSTRUMENTS, NOTEBOOKS

BIN = Path(sys.executable).parent
SEED = 20100301
#: planted per 10,000 rows, each kind: a bad cell or a duplicate row
PLANTED_PER_10K = 3

# A child process runs the command and prints its wall time and peak RSS (KiB on Linux): the
# wrapper's RUSAGE_CHILDREN then holds that one child only.
_MEASURE = """
import resource, subprocess, sys, time
t0 = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
took = time.perf_counter() - t0
if code.returncode not in (0, 1):
    sys.stderr.write(code.stderr.decode(errors="replace")[-2000:])
    sys.exit(code.returncode)
print(took, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
_READ_CSV = "import sys, pandas; pandas.read_csv(sys.argv[1], dtype=str)"


def measure(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak RSS in MB) of ``cmd`` run in its own process."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, *cmd], env=env, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({out.returncode}):\n{out.stderr}")
    seconds, kib = out.stdout.split()
    return float(seconds), int(kib) / 1024


def generate(source: Path, rows: int, path: Path, instrument) -> None:
    """Write an export of ``rows`` rows drawn from ``source`` (see the module docstring)."""
    with source.open(encoding="utf-8-sig", newline="") as fh:
        records = list(csv.reader(fh))
    header, body = records[0], records[1:]
    col = {name: j for j, name in enumerate(header)}
    raw = instrument.raw
    text_cols = [
        col[q.raw_column]
        for q in instrument.questions_of_type("open", "list")
        if q.raw_column in col
    ]
    closed = [
        col[q.raw_column]
        for q in instrument.questions_of_type("single", "rating")
        if q.raw_column in col
    ]
    counts = [
        col[q.raw_column] for q in instrument.questions_of_type("count") if q.raw_column in col
    ]
    rng = np.random.default_rng(SEED)
    pick = rng.integers(0, len(body), rows)
    planted = max(1, rows * PLANTED_PER_10K // 10_000)
    bad_rows = {kind: set(rng.choice(rows, planted, replace=False)) for kind in range(5)}
    start = np.datetime64("2010-03-01T08:00:00")
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        previous = None
        for i, k in enumerate(pick):
            row = list(body[k])
            if row[col[raw.respondent_id]].strip():  # blank and id-less rows stay as they are
                row[col[raw.respondent_id]] = f"R{i:07d}"
                if raw.submitted in col:
                    row[col[raw.submitted]] = str(start + np.timedelta64(i, "s")).replace("T", " ")
                for j in text_cols:
                    if row[j].strip():
                        row[j] = f"{row[j]} (answer {i})"
            if i in bad_rows[0] and closed:
                row[closed[i % len(closed)]] = f"label {i % 7} unknown"
            if i in bad_rows[1] and counts:
                row[counts[0]] = "lots"
            if i in bad_rows[2] and raw.submitted in col:
                row[col[raw.submitted]] = "last tuesday"
            if i in bad_rows[3] and previous is not None:
                row = list(previous)  # an exact duplicate of the row before
            if i in bad_rows[4] and previous is not None:
                row[col[raw.respondent_id]] = previous[col[raw.respondent_id]].lower()  # same id
            writer.writerow(row)
            previous = row


def to_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    """The same export as an XLSX workbook (openpyxl's write-only mode)."""
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    with csv_path.open(encoding="utf-8", newline="") as fh:
        for record in csv.reader(fh):
            ws.append(record)
    wb.save(xlsx_path)


def project_root(work: Path) -> Path:
    """A fresh project root for ``GIFTREVIEW_ROOT``: instruments and notebooks, nothing else."""
    root = work / "project"
    root.mkdir()
    shutil.copytree(INSTRUMENTS, root / "instruments")
    shutil.copytree(NOTEBOOKS, root / "notebooks", ignore=shutil.ignore_patterns("*.ipynb"))
    (root / "data" / "raw").mkdir(parents=True)
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DATA_RAW / "ungift_2012.csv")
    parser.add_argument(
        "--sizes",
        nargs="+",
        default=["100000", "1000000"],
        help="row counts, separated by spaces or commas",
    )
    parser.add_argument("--skip-run", action="store_true", help="leave out giftreview run")
    parser.add_argument("--no-xlsx", action="store_true", help="leave out the XLSX export")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--exports",
        type=Path,
        help="a folder of exports made before (wave_<rows>.csv, e.g. a --keep folder): used "
        "as they are instead of generated again",
    )
    args = parser.parse_args(argv)
    instrument = load_instrument(DEFAULT_INSTRUMENT)
    sizes = [int(s) for arg in args.sizes for s in arg.split(",") if s]
    work = Path(tempfile.mkdtemp(prefix="giftreview-ingest-"))
    env = {**os.environ, "GIFTREVIEW_ROOT": str(project_root(work)), "SOURCE_DATE_EPOCH": "0"}
    gr = str(BIN / "giftreview")
    run_log = work / "run.log"
    table: list[tuple[str, int, float, float, float]] = []
    paths: dict[int, Path] = {}
    steps: list[str] = []
    try:
        for n in sizes:
            path = work / f"wave_{n}.csv"
            made = args.exports / path.name if args.exports else None
            if made is not None and made.exists():
                path = made
            else:
                generate(args.source, n, path, instrument)
            paths[n] = path
            base, base_rss = measure([sys.executable, "-c", _READ_CSV, str(path)], env)
            table.append(("pandas.read_csv(dtype=str)", n, base, base_rss, base))
            t, rss = measure([gr, "validate", str(path), "--out", str(work / f"v{n}.csv")], env)
            table.append(("giftreview validate", n, t, rss, base))
            t, rss = measure([gr, "clean", str(path), "--out", str(work / f"clean_{n}")], env)
            table.append(("giftreview clean", n, t, rss, base))
            if not args.skip_run and n == max(sizes):
                # the run's progress lines (stderr) kept, to print each step's seconds after it
                run = [gr, "run", str(path), "--formats", "html", "--out", str(work / "reports")]
                try:
                    t, rss = measure(["sh", "-c", 'exec "$@" 2>"$0"', str(run_log), *run], env)
                except SystemExit:
                    print(run_log.read_text()[-3000:], file=sys.stderr)
                    raise
                table.append(("giftreview run --formats html", n, t, rss, base))
        if not args.no_xlsx:
            n = min(sizes)
            xlsx = work / f"wave_{n}.xlsx"
            to_xlsx(paths[n], xlsx)
            t, rss = measure([gr, "clean", str(xlsx), "--out", str(work / "clean_xlsx")], env)
            base = next(r[2] for r in table if r[0].startswith("pandas") and r[1] == n)
            table.append(("giftreview clean (XLSX)", n, t, rss, base))
        if run_log.exists():  # read before the folder goes
            lines = run_log.read_text().splitlines()
            steps = [ln.rstrip() for ln in lines if ln.startswith(("  ", "reports written"))]
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}")
    load = os.getloadavg()
    print(f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores")
    print(f"{'command':<32} {'rows':>9} {'seconds':>8} {'peak MB':>8} {'x read_csv':>10}")
    for name, n, t, rss, base in table:
        print(f"{name:<32} {n:>9,} {t:>8.2f} {rss:>8.0f} {t / base:>10.2f}")
    if steps:
        print("giftreview run, its steps (two kernels run the notebooks side by side):")
        print("\n".join(steps))
    cleans = {n: t for name, n, t, _, _ in table if name == "giftreview clean"}
    if len(cleans) >= 2:
        small, big = min(cleans), max(cleans)
        print(
            f"clean: {big / small:.0f}x the rows took {cleans[big] / cleans[small]:.1f}x the time"
        )


if __name__ == "__main__":
    main()
