"""giftreview.data.workers: the background pools work in a process forked after their first use.

A ``ThreadPoolExecutor`` made before ``os.fork`` has no threads in the child, and CPython's
executor does not start one for a task when its idle count says a thread is free: the task would
wait for ever. A child that cleans a file after the parent did must not hang.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading

import pytest

from giftreview.data.workers import worker


def _in_child(queue) -> None:
    queue.put(worker("text").submit(os.getpid).result(timeout=20))


@pytest.mark.skipif(sys.platform == "win32", reason="fork is POSIX only")
def test_a_pool_used_before_a_fork_runs_tasks_in_the_child():
    assert worker("text").submit(os.getpid).result(timeout=20) == os.getpid()
    assert worker("text") is worker("text")  # one pool per purpose in a process
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    child = context.Process(target=_in_child, args=(queue,))
    child.start()
    got = queue.get(timeout=30)  # the child's task ran (in the child: its pid)
    child.join(timeout=30)
    assert child.exitcode == 0 and got == child.pid


def test_a_pool_of_two_threads_runs_two_tasks_at_once():
    # each task waits at a barrier for the other: with one thread the barrier would time out
    barrier = threading.Barrier(2, timeout=20)
    pool = worker("test-two", 2)
    futures = [pool.submit(barrier.wait) for _ in range(2)]
    assert sorted(f.result(timeout=30) for f in futures) == [0, 1]
    assert worker("test-two") is pool  # made once; the count given first stands
