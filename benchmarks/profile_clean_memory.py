"""Where the memory of ``giftreview clean`` goes, stage by stage (issue 11; not a test).

Runs the steps of :func:`giftreview.data.clean.clean_wave` one at a time on a raw export, in the
order ``clean_wave`` runs them (the first pass over the file, then each block read, validated,
cleaned and written), and prints after each the seconds it took, the resident memory and the
peak so far (MB). The peak of the whole command is measured by
``/usr/bin/time -v giftreview clean RAW --out DIR`` ("Maximum resident set size"); this script
says which step reaches it.

Usage (the 1M export of ``bench_ingest.py``: ``--sizes 1000000 --keep`` keeps its folder)::

    .venv/bin/python benchmarks/profile_clean_memory.py wave_1000000.csv /tmp/clean_out [BLOCK_ROWS]
"""

from __future__ import annotations

import resource
import shutil
import sys
import time
from pathlib import Path

from giftreview.data import clean as C
from giftreview.data.instrument import load_instrument
from giftreview.data.io import open_raw
from giftreview.data.outputs import Outputs, recode_split, recodes_in_order
from giftreview.data.readings import read_columns
from giftreview.data.rules import Rules
from giftreview.data.schema import check_clean
from giftreview.data.validate import BLOCK_ROWS, scan_source
from giftreview.paths import DEFAULT_INSTRUMENT


def _resident() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def main(raw_path: Path, out: Path, block_rows: int = BLOCK_ROWS) -> None:
    clock = [time.perf_counter()]

    def mark(step: str) -> None:
        now = time.perf_counter()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{step:<24} {now - clock[0]:8.2f} s  resident {_resident():6.0f}  peak {peak:6.0f}")
        clock[0] = now

    inst = load_instrument(DEFAULT_INSTRUMENT)
    rules = Rules(inst)
    mark("import")
    source = open_raw(raw_path, inst)
    mark("open_raw")
    scan = scan_source(source, inst, rules, block_rows)
    mark("first pass (plan)")
    shutil.rmtree(out, ignore_errors=True)
    outputs = Outputs(out, keep=False)
    outputs.add(validation=scan.head)
    for i, data in enumerate(scan.blocks(block_rows)):
        mark(f"block {i}: read")
        reads = read_columns(data, rules)
        mark(f"block {i}: readings")
        outputs.add(validation=scan.block_report(data, reads))
        mark(f"block {i}: report")
        clean, audit, quarantine = C._clean_block(data, reads, scan.plan, inst, "w", [])
        mark(f"block {i}: clean")
        check_clean(clean, inst, path=raw_path.name)
        audit, recodes = recode_split(audit)
        outputs.add(clean=clean, audit=audit, quarantine=quarantine, recodes=recodes)
        del clean, audit, quarantine, reads, data
        mark(f"block {i}: written")
    outputs.add(recodes=recodes_in_order(outputs.recode_counts()), final=True)
    outputs.finish()
    mark("finish")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *(int(a) for a in sys.argv[3:]))
