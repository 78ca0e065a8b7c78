"""Each step of a run shown with its time on a rich progress display (or nothing)."""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["Steps"]


class Steps:
    """Show each step with its time on a rich progress display (or stay silent with ``None``).

    Safe to use from several threads (the workers and the PDF printer report steps at once).
    """

    def __init__(self, progress=None):
        self.progress = progress
        self._lock = threading.Lock()

    def start(self, label: str) -> tuple[Any, float]:
        task = None
        if self.progress is not None:
            with self._lock:
                task = self.progress.add_task(label, total=1)
        return task, time.perf_counter()

    def done(self, handle: tuple[Any, float], label: str, note: str = "") -> float:
        task, t0 = handle
        seconds = time.perf_counter() - t0
        if self.progress is not None:
            with self._lock:
                self.progress.update(
                    task, completed=1, description=f"{label} [dim]{note or f'{seconds:.1f} s'}[/]"
                )
        return seconds
