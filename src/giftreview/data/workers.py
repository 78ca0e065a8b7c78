"""Background threads of the data stage, one small pool per purpose and per process.

Reading a large export overlaps work that lets go of the GIL (the accounting pass, the file's
sha256, the open-text kernels) with the rows being read. The pools are made when first asked for
and again in a process forked after that: a forked child inherits a pool whose threads did not
survive the fork, and a task handed to it would wait for ever (``multiprocessing`` with the
``fork`` start method, e.g. a user cleaning several waves in parallel).
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

__all__ = ["worker"]

_POOLS: dict[str, ThreadPoolExecutor] = {}
_PID = os.getpid()
_LOCK = threading.Lock()


def worker(purpose: str, threads: int = 1) -> ThreadPoolExecutor:
    """The pool of ``purpose`` (its ``threads`` threads are named ``giftreview-<purpose>``) in
    this process, made on first use (``threads`` counts then; one by default)."""
    global _PID
    with _LOCK:
        if os.getpid() != _PID:  # forked: the parent's threads are not here
            _POOLS.clear()
            _PID = os.getpid()
        pool = _POOLS.get(purpose)
        if pool is None:
            pool = _POOLS[purpose] = ThreadPoolExecutor(
                threads, thread_name_prefix=f"giftreview-{purpose}"
            )
        return pool
