"""Where the memory of ``giftreview clean`` goes, stage by stage (issue 11; not a test).

Runs the steps of :func:`giftreview.data.clean.clean_wave` one at a time on a raw export, in the
order ``clean_wave`` runs them (raw table released once read, raw text once audited), and prints
after each the seconds it took, the resident memory and the peak so far (MB). The peak of the
whole command is measured by ``/usr/bin/time -v giftreview clean RAW --out DIR`` ("Maximum
resident set size"); this script says which step reaches it.

Usage (the 1M export of ``bench_ingest.py``: ``--sizes 1000000 --keep`` keeps its folder)::

    .venv/bin/python benchmarks/profile_clean_memory.py wave_1000000.csv /tmp/clean_out
"""

from __future__ import annotations

import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from giftreview.data import clean as C
from giftreview.data.instrument import load_instrument
from giftreview.data.io import read_raw
from giftreview.data.rules import Rules
from giftreview.data.schema import check_clean
from giftreview.data.validate import run_validation
from giftreview.paths import DEFAULT_INSTRUMENT


def _resident() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main(raw_path: Path, out: Path) -> None:
    clock = [time.perf_counter()]

    def mark(step: str) -> None:
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{step:<24} {now - clock[0]:8.2f} s  resident {_resident():6.0f}  peak {peak:6.0f}")
        clock[0] = now

    inst = load_instrument(DEFAULT_INSTRUMENT)
    mark("import")
    raw = read_raw(raw_path, inst)
    mark("read_raw")
    validation, data, plan, reads = run_validation(raw, inst, Rules(inst))
    for col in list(raw.data.columns):
        del raw.data[col]
    mark("run_validation")
    keep = np.flatnonzero(~data.index.isin(plan.index))
    audit = C._audit(data, keep, reads, inst)
    mark("audit")
    quarantine = C._quarantine(data, plan)
    data = data.drop(columns=[c for c in data.columns if c in reads])
    for read in reads.values():
        if not read.distinct:
            read.raw = None
    mark("quarantine, raw released")
    clean = C._assemble(data, keep, reads, inst, "w")
    mark("assemble")
    del reads, data, raw
    check_clean(clean, inst, path=raw_path.name)
    mark("check_clean")
    audit, recodes = C.recode_table(audit)
    shutil.rmtree(out, ignore_errors=True)
    C._write(out, clean, audit, quarantine, validation, recodes)
    mark("write")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
