"""Execute the report notebooks with papermill: kernels, parameters, timeouts and workers.

Notebooks run in a kernel this module writes for :data:`sys.executable` (never a kernel the user
happens to have, :func:`private_kernel`), two at a time. Each of the :class:`Workers` starts its
kernel and imports the library while the wave is cleaned (:class:`WarmKernel`), then runs its
notebooks in it one after another, emptying the namespace before each; as soon as a notebook is
executed its HTML is exported (:mod:`giftreview.pipeline.html`) and its PDF handed to the printer
(:mod:`giftreview.pipeline.pdf`). Every cell may run at most ``cell_timeout`` seconds.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jupytext
import nbformat
import papermill
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import exceptions as nbclient_exceptions
from papermill.exceptions import PapermillExecutionError

from giftreview import paths
from giftreview.errors import ArgumentError, GiftreviewError, ReportError
from giftreview.pipeline.html import notebook_to_html
from giftreview.pipeline.plan import (
    CELL_TIMEOUT,
    METHODS,
    OVERVIEW,
    NotebookJob,
    recorded_parameters,
)
from giftreview.pipeline.progress import Steps

__all__ = [
    "KERNEL_NAME",
    "CellTimeoutError",
    "read_notebook",
    "check_parameters",
    "write_kernelspec",
    "private_kernel",
    "normalise_notebook",
    "execute_notebook",
    "WarmKernel",
    "workdir",
    "run_job",
    "order",
    "Workers",
]

#: the kernel written for :data:`sys.executable` (in a private JUPYTER_PATH folder)
KERNEL_NAME = "giftreview-python"


class CellTimeoutError(ReportError):
    """A notebook cell ran longer than the cell timeout (the kernel may still be running it)."""


def read_notebook(source: Path):
    """Read a jupytext py:percent notebook into a NotebookNode with stable cell ids."""
    nb = jupytext.read(source)
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = {
        "name": KERNEL_NAME,
        "display_name": "giftreview",
        "language": "python",
    }
    _stable_ids(nb)
    return nb


def _stable_ids(nb) -> None:
    # nbformat gives new cells random ids; fixed ids keep executed notebooks and HTML reproducible.
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"


def check_parameters(source: Path, params: dict[str, Any]) -> dict[str, Any]:
    """Raise :class:`ArgumentError` if ``params`` holds a name the notebook does not declare.

    papermill only warns about an unknown parameter; giftreview refuses it, naming the known ones
    (read with :func:`papermill.inspect_notebook`). Returns the declared parameters (name ->
    papermill's description, with ``default`` as source text).
    """
    with tempfile.TemporaryDirectory(prefix="giftreview-inspect-") as tmp:
        path = Path(tmp) / f"{source.stem}.ipynb"
        nbformat.write(read_notebook(source), path)
        known = papermill.inspect_notebook(str(path))
    unknown = sorted(set(params) - set(known))
    if not known:
        raise ReportError(f"{source}: no cell tagged 'parameters'; add one (see docs/reports.md)")
    if unknown:
        raise ArgumentError(
            f"unknown parameter(s) {', '.join(unknown)} for notebook {source.name}; "
            f"known parameters: {', '.join(known)}"
        )
    return dict(known)


def write_kernelspec(folder: Path) -> Path:
    """Write a kernelspec for :data:`sys.executable` under ``folder/kernels`` and return ``folder``."""
    spec_dir = folder / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [
            sys.executable,
            "-Xfrozen_modules=off",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
            "--HistoryManager.enabled=False",
        ],
        "display_name": "giftreview (Python)",
        "language": "python",
        "env": {"MPLBACKEND": "Agg", "PYTHONHASHSEED": "0", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec, indent=1), encoding="utf-8")
    return folder


@contextmanager
def private_kernel() -> Iterator[str]:
    """Make :data:`KERNEL_NAME` resolvable by jupyter_client for the duration of the block."""
    with tempfile.TemporaryDirectory(prefix="giftreview-kernel-") as tmp:
        write_kernelspec(Path(tmp))
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = tmp + (os.pathsep + old if old else "")
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def normalise_notebook(nb, source: Path, output: Path) -> None:
    """Strip run timestamps and durations; make recorded paths relative (byte-reproducible)."""
    meta = nb.metadata.get("papermill", {})
    for key in ("start_time", "end_time", "duration"):
        meta.pop(key, None)
    meta["input_path"] = f"notebooks/{source.name}"
    meta["output_path"] = f"notebooks/{output.name}"
    _portable_output(nb)
    _stable_ids(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        pm = cell.metadata.get("papermill")
        if pm is not None:
            for key in ("start_time", "end_time", "duration"):
                pm.pop(key, None)


def _portable_output(nb) -> None:
    """Record the ``output`` parameter by its portable form (its name when outside the project).

    The kernel is given the output folder's absolute path when it lies outside the project root
    (it writes the appendix CSVs there); the saved notebook must not show that machine path.
    """
    meta = nb.metadata.get("papermill", {})
    given = meta.get("parameters", {}).get("output")
    if not given or not Path(given).is_absolute():
        return
    meta["parameters"] = recorded_parameters(meta["parameters"])
    shown = meta["parameters"]["output"]
    for cell in nb.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = "\n".join(
                f"output = {json.dumps(shown)}" if line.startswith("output = ") else line
                for line in cell.source.split("\n")
            )


def _timed_out_cell(output: Path) -> tuple[int | None, str]:
    """Index and first line of the cell papermill was running when the timeout struck."""
    try:
        nb = nbformat.read(output, as_version=4)
    except (OSError, ValueError):
        return None, ""
    # papermill marks every started cell (the one stopped too: "completed"); later ones
    # are still "pending", so the stopped cell is the last one that started
    started = [
        i for i, c in enumerate(nb.cells) if c.metadata.get("papermill", {}).get("start_time")
    ]
    if not started:
        return None, ""
    return started[-1], (nb.cells[started[-1]].source.strip().splitlines() or [""])[0]


def execute_notebook(
    job: NotebookJob,
    output: Path,
    kernel: str,
    cwd: Path,
    km=None,
    *,
    cell_timeout: float = CELL_TIMEOUT,
):
    """Execute ``job`` with papermill into ``output``; a failing cell raises :class:`ReportError`.

    ``km``: a running kernel (:class:`WarmKernel`) to execute in instead of starting one; its
    working folder was set when it started. ``cell_timeout``: seconds any one cell may run
    (papermill's ``execution_timeout``); a cell that runs longer is a :class:`ReportError`
    naming the notebook and the cell.
    """
    output.parent.mkdir(parents=True, exist_ok=True)
    nb = read_notebook(job.source)
    nb.metadata["title"] = job.title
    where = f"notebook {job.source.name} ({job.name})"
    try:
        executed = papermill.execute_notebook(
            nb,
            str(output),
            parameters=dict(sorted(job.parameters.items())),  # injected in a fixed order
            kernel_name=kernel,
            progress_bar=False,
            # papermill's cwd is a process-wide chdir: not with a warm kernel (threads run at once)
            cwd=None if km is not None else str(cwd),
            start_timeout=120,
            execution_timeout=cell_timeout,
            **({"km": km} if km is not None else {}),
        )
    except PapermillExecutionError as exc:
        first = (exc.source or "").strip().splitlines()[:1]
        raise ReportError(
            f"{where} failed in cell {exc.cell_index} "
            f"(execution count {exc.exec_count}{': ' + first[0] if first else ''}): "
            f"{exc.ename}: {exc.evalue}. The partial notebook with the full traceback is saved "
            f"at {output}",
            notebook=job.source,
            cell_index=exc.cell_index,
            partial=output,
        ) from None
    except nbclient_exceptions.CellTimeoutError:
        index, first = _timed_out_cell(output)
        raise CellTimeoutError(
            f"{where}: cell {index}{' (' + first + ')' if first else ''} ran longer than "
            f"{cell_timeout:g} s and was stopped. Make it faster or allow more time with "
            f"--cell-timeout; the partial notebook is saved at {output}",
            notebook=job.source,
            cell_index=index,
            partial=output,
        ) from None
    normalise_notebook(executed, job.source, output)
    nbformat.write(executed, output)
    return executed


class WarmKernel:
    """A kernel started ahead of time, with the library imported, reused for several notebooks.

    Like Quarto's kernel daemon: the expensive part of a notebook run is starting Python and
    importing pandas, scipy, statsmodels and matplotlib, so each worker starts one kernel while
    the wave is being cleaned and runs its notebooks in it one after another. Before each
    notebook the user namespace is emptied (``%reset -f``) and the execution counter set back
    to 1, so a notebook sees what a fresh kernel with the library imported would show (only
    imported modules carry over). After a failed notebook (a cell may still be running after a
    timeout) the kernel is restarted. Use from one thread only (its event loop owns the sockets).
    """

    PRELOAD = (
        "import giftreview.report, giftreview.report.plots, giftreview.analysis.score, "
        "giftreview.analysis.stats, giftreview.analysis.disclosure, giftreview.text.coding, giftreview.text.frequencies, "
        "giftreview.text.narrative, giftreview.text.lists"
    )
    RESET = "get_ipython().run_line_magic('reset', '-f')\nget_ipython().execution_count = 1"

    def __init__(self, cwd: Path, kernel: str = KERNEL_NAME):
        self.cwd, self.kernel = cwd, kernel
        self._start()

    def _start(self) -> None:
        self.km = AsyncKernelManager(kernel_name=self.kernel)
        run_sync(self.km.start_kernel)(cwd=str(self.cwd))
        self.run(self.PRELOAD)

    def run(self, code: str) -> None:
        """Run ``code`` silently (no output, no history, counter unchanged)."""

        async def go() -> dict:
            kc = self.km.client()
            kc.start_channels()
            try:
                await kc.wait_for_ready(timeout=120)
                return await kc.execute_interactive(
                    code, silent=True, store_history=False, timeout=600
                )
            finally:
                kc.stop_channels()

        reply = run_sync(go)()
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise ReportError(
                f"the report kernel could not run {code.splitlines()[0]!r}: "
                f"{content.get('ename')}: {content.get('evalue')}"
            )

    def fresh(self):
        """The kernel manager, with an empty namespace (restarted if the kernel died)."""
        if not run_sync(self.km.is_alive)():
            self.restart()
        self.run(self.RESET)
        return self.km

    def restart(self) -> None:
        """Replace the kernel by a new one (stopping whatever it still runs) with the library
        imported. A new kernel, not jupyter_client's ``restart_kernel``: after a cell timeout the
        restarted kernel could stay unresponsive on the old connection."""
        try:
            self.shutdown()
        except Exception:  # noqa: BLE001 - the old kernel may be gone already; a new one follows
            pass
        self._start()

    def shutdown(self) -> None:
        run_sync(self.km.shutdown_kernel)(now=True)


def workdir(out: Path) -> Path:
    """The kernels' working folder: the project root (else the output folder)."""
    return paths.PROJ_ROOT if paths.PROJ_ROOT.exists() else out


def run_job(
    job: NotebookJob,
    out: Path,
    kernel: str,
    steps: Steps,
    km=None,
    *,
    cell_timeout: float = CELL_TIMEOUT,
) -> None:
    """Execute ``job`` into ``out/notebooks/`` and export its HTML into ``out``."""
    ipynb = out / "notebooks" / f"{job.name}.ipynb"
    h = steps.start(f"{job.name}: execute")
    nb = execute_notebook(job, ipynb, kernel, cwd=workdir(out), km=km, cell_timeout=cell_timeout)
    job.seconds += steps.done(h, f"{job.name}: execute")
    job.outputs["ipynb"] = f"notebooks/{job.name}.ipynb"
    h = steps.start(f"{job.name}: html")
    (out / f"{job.name}.html").write_text(notebook_to_html(nb, job.title), encoding="utf-8")
    job.seconds += steps.done(h, f"{job.name}: html")
    job.outputs["html"] = f"{job.name}.html"


def order(jobs: list[NotebookJob], previous: dict) -> list[NotebookJob]:
    """Longest first (by the last run's time, else parts before overview/methods): with two
    workers this finishes soonest (longest-processing-time scheduling)."""
    last = {j.get("name"): j.get("seconds", 0) for j in previous.get("notebooks", [])}
    default = {OVERVIEW: 1.0, METHODS: 1.0}
    return sorted(jobs, key=lambda j: -(last.get(j.name) or default.get(j.name, 10.0)))


class Workers:
    """``n`` threads, each with its own :class:`WarmKernel`, running the jobs of a queue.

    The kernels start (and import the library) as soon as the workers are created, i.e. while
    the wave is still being cleaned. The overview is taken first and waits for
    :meth:`data_done`; the other notebooks wait for :meth:`family_done` (they show the tests).
    Each PDF is handed to ``printer`` (anything with ``submit(job)``) as soon as its HTML is
    written. A worker whose kernel cannot start falls back to a fresh kernel per notebook.
    """

    def __init__(
        self,
        todo: list[NotebookJob],
        out: Path,
        steps: Steps,
        n: int,
        printer=None,
        *,
        cell_timeout: float = CELL_TIMEOUT,
    ):
        self.out, self.steps, self.printer = out, steps, printer
        self.cell_timeout = cell_timeout
        self.queue: queue.SimpleQueue[NotebookJob] = queue.SimpleQueue()
        for job in todo:
            job.outputs = {}
            self.queue.put(job)
        self.failures: list[str] = []
        self._data, self._family = threading.Event(), threading.Event()
        self._family_error: list[str] = []
        self._threads = [
            # daemon: Ctrl-C ends the run; each kernel exits with its parent (JPY_PARENT_PID)
            threading.Thread(
                target=self._work, args=(i + 1,), name=f"giftreview-worker-{i + 1}", daemon=True
            )
            for i in range(min(n, len(todo)))
        ]
        for t in self._threads:
            t.start()

    def data_done(self) -> None:
        """The cleaned wave is written: the overview may start."""
        self._data.set()

    def family_done(self, error: str | None = None) -> None:
        """The test family is written (or failed: ``error``): every notebook may start."""
        if error:
            self._family_error.append(error)
        self._data.set()
        self._family.set()

    def _warm(self, number: int) -> WarmKernel | None:
        h = self.steps.start(f"kernel {number}: start, import the library")
        try:
            kernel = WarmKernel(workdir(self.out))
        except Exception as exc:  # noqa: BLE001 - any start-up failure: fresh kernels instead
            self.steps.done(h, f"kernel {number}", f"not kept warm ({exc}); fresh kernels")
            return None
        self.steps.done(h, f"kernel {number}: start, import the library")
        return kernel

    def _one(self, job: NotebookJob, kernel: WarmKernel | None) -> WarmKernel | None:
        """Run ``job``; return the kernel for the next job (None: fresh kernels from now on)."""
        try:
            (self._data if job.name == OVERVIEW else self._family).wait()
            if self._family_error:
                raise ReportError(f"{job.name}: not run: {self._family_error[0]}")
            km = kernel.fresh() if kernel else None
            run_job(job, self.out, KERNEL_NAME, self.steps, km=km, cell_timeout=self.cell_timeout)
            job.status = "done"
        except GiftreviewError as exc:
            job.status, job.error = "failed", str(exc)
            self.failures.append(str(exc))
            if kernel is not None and isinstance(exc, CellTimeoutError):
                return self._restart(kernel)  # the stopped cell may still be running in it
            return kernel
        if self.printer is not None:
            self.printer.submit(job)
        return kernel

    def _restart(self, kernel: WarmKernel) -> WarmKernel | None:
        try:
            kernel.restart()
        except Exception:  # noqa: BLE001 - any failure: the next notebooks get fresh kernels
            kernel.shutdown()
            return None
        return kernel

    def _work(self, number: int) -> None:
        kernel = self._warm(number)
        try:
            while True:
                try:
                    job = self.queue.get_nowait()
                except queue.Empty:
                    return
                kernel = self._one(job, kernel)
        finally:
            if kernel is not None:
                kernel.shutdown()

    def join(self) -> list[str]:
        for t in self._threads:
            t.join()
        return self.failures
