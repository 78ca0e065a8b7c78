"""Render a wave: clean, execute the notebooks with papermill, export HTML and print PDF.

``giftreview run`` calls :func:`run_report`. The steps, each shown with its time:

1. **clean**: :func:`giftreview.data.clean.clean_wave` into ``data/processed/<wave>/`` (skipped when the
   raw file, instrument and library are unchanged since the last run);
2. **tests**: the report-wide family of group tests with Benjamini-Hochberg adjusted p-values,
   computed once (:func:`giftreview.report.wave.build_test_family`) and stored beside the clean data so
   every part shows the same raw and adjusted p;
3. **notebooks**: ``overview``, one run of the generic ``part`` notebook per
   ``instrument.report_sections()`` entry, and ``methods``; executed by papermill in a kernel this
   module writes for :data:`sys.executable` (never a kernel the user happens to have), two at a
   time. Each of the two workers starts its kernel and imports the library while the wave is
   cleaned (:class:`WarmKernel`), then runs its notebooks in it one after another, emptying the
   namespace before each; the overview starts as soon as the clean data exist;
4. **html**: nbconvert with the offline ``giftreview`` template (code hidden, no CDN);
5. **pdf**: one headless Chromium, driven over the DevTools protocol (``Page.printToPDF``) so each
   page carries the instrument's running header and "page N of M".

Outputs go to ``reports/<wave>/``: ``index.html``, ``<name>.html``, ``<name>.pdf``,
``notebooks/<name>.ipynb`` and ``manifest.json``. Every notebook has a cache key (sha256 of the raw
file, instrument, codebooks, parameters, notebook source, package version and library source); a
rerun with unchanged keys does nothing and says so, one changed part reruns alone, ``force``
reruns all. With ``SOURCE_DATE_EPOCH`` set, two runs give byte-identical HTML, PDF and notebooks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from giftreview import __version__, paths
from giftreview.data.instrument import Instrument, file_sha256, load_instrument
from giftreview.errors import ArgumentError, GiftreviewError, ReportError
from giftreview.pipeline.provenance import git_commit, run_date
from giftreview.report.index import index_html
from giftreview.report.templating import pdf_margins

__all__ = [
    "KERNEL_NAME",
    "FORMATS",
    "TEMPLATE_DIR",
    "APT_HINT",
    "RunSettings",
    "NotebookJob",
    "RunResult",
    "default_raw",
    "notebooks_dir",
    "base_parameters",
    "plan",
    "library_sha256",
    "input_hashes",
    "cache_key",
    "read_notebook",
    "check_parameters",
    "write_kernelspec",
    "private_kernel",
    "normalise_notebook",
    "execute_notebook",
    "WarmKernel",
    "notebook_to_html",
    "find_chromium",
    "CHROMIUM_FLAGS",
    "Chromium",
    "pdf_options",
    "reproducible_pdf",
    "write_manifest",
    "Steps",
    "FAMILY_STEP",
    "PdfPrinter",
    "Workers",
    "provenance",
    "run_report",
]

#: the kernel written for :data:`sys.executable` (in a private JUPYTER_PATH folder)
KERNEL_NAME = "giftreview-python"
#: notebooks rendered before and after the per-section parts
OVERVIEW, PART, METHODS = "overview", "part", "methods"
FORMATS = ("html", "pdf")
TEMPLATE_DIR = paths.PACKAGE_DIR / "templates"
APT_HINT = "sudo apt-get install chromium fonts-dejavu-core fonts-noto-core fonts-noto-color-emoji"


# ---- settings and plan ------------------------------------------------------------------------
@dataclass(frozen=True)
class RunSettings:
    """What ``giftreview run`` was asked to do (every field is a notebook parameter or a switch)."""

    raw: Path
    instrument: Path = paths.DEFAULT_INSTRUMENT
    wave: str | None = None
    out: Path | None = None
    formats: tuple[str, ...] = FORMATS
    force: bool = False
    group_by: str = ""
    confidence: float = 0.95
    k: int = 5
    weights: bool = False
    jobs: int = 2
    notebooks_dir: Path | None = None

    @property
    def wave_label(self) -> str:
        return self.wave or Path(self.raw).stem

    @property
    def out_dir(self) -> Path:
        return Path(self.out) if self.out is not None else paths.report_dir(self.wave_label)


@dataclass
class NotebookJob:
    """One notebook to execute: its output name, source file and parameters."""

    name: str
    source: Path
    title: str
    parameters: dict[str, Any]
    key: str = ""
    status: str = "pending"  # pending | cached | done | failed
    seconds: float = 0.0
    outputs: dict[str, str] = field(default_factory=dict)
    error: str = ""


@dataclass
class RunResult:
    """What :func:`run_report` did; ``failures`` holds the message of each failed notebook."""

    out_dir: Path
    jobs: list[NotebookJob]
    cached: bool
    seconds: float
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def default_raw() -> Path:
    """The first bundled wave (``data/raw/*``, sorted by name): what ``giftreview run`` renders."""
    found = sorted(
        p for ext in ("csv", "xlsx", "sav") for p in paths.DATA_RAW.glob(f"*.{ext}") if p.is_file()
    )
    if not found:
        raise ArgumentError(f"no raw file given and none in {paths.DATA_RAW}; pass RAW")
    return found[0]


def notebooks_dir(explicit: Path | None = None) -> Path:
    """Folder of the notebook sources: ``explicit``, ``paths.NOTEBOOKS`` or the source tree's."""
    for candidate in (explicit, paths.NOTEBOOKS, paths.PACKAGE_DIR.parents[1] / "notebooks"):
        if candidate is not None and (Path(candidate) / f"{PART}.py").exists():
            return Path(candidate)
    raise ReportError(
        f"notebook sources not found (looked for {PART}.py in {explicit or paths.NOTEBOOKS}); "
        "run from a clone of the giftreview repository or set GIFTREVIEW_ROOT to it"
    )


def base_parameters(settings: RunSettings, processed: Path) -> dict[str, Any]:
    """Parameters every notebook declares (absolute paths, so the kernel's cwd does not matter)."""
    return {
        "raw": str(Path(settings.raw).resolve()),
        "instrument": str(Path(settings.instrument).resolve()),
        "wave": settings.wave_label,
        "processed": str(processed.resolve()),
        "group_by": settings.group_by,
        "confidence": float(settings.confidence),
        "k": int(settings.k),
        "weights": bool(settings.weights),
        "output": str(settings.out_dir.resolve()),
    }


def plan(settings: RunSettings, instrument: Instrument, processed: Path) -> list[NotebookJob]:
    """The notebooks to run: overview, one ``part`` per report section, methods."""
    src = notebooks_dir(settings.notebooks_dir)
    base = base_parameters(settings, processed)
    jobs = [NotebookJob(OVERVIEW, src / f"{OVERVIEW}.py", instrument.survey.title, dict(base))]
    for section in instrument.report_sections():
        params = {**base, "section": section.id}
        jobs.append(NotebookJob(section.id, src / f"{PART}.py", section.title, params))
    jobs.append(NotebookJob(METHODS, src / f"{METHODS}.py", "Methods and provenance", dict(base)))
    return jobs


# ---- hashing and cache keys -------------------------------------------------------------------
def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def library_sha256() -> str:
    """sha256 over the package's source, templates and data files (a code change busts the cache)."""
    h = hashlib.sha256()
    for path in sorted(paths.PACKAGE_DIR.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            h.update(str(path.relative_to(paths.PACKAGE_DIR)).encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def input_hashes(settings: RunSettings, instrument: Instrument) -> dict[str, Any]:
    """sha256 of every input a report depends on, except the notebook source and parameters."""
    codebooks = {}
    for q in instrument.questions_of_type("open"):
        cb = instrument.codebook_path(q.id)
        if cb is not None and cb.exists():
            codebooks[q.id] = file_sha256(cb)
    return {
        "raw": file_sha256(settings.raw),
        "instrument": file_sha256(settings.instrument),
        "codebooks": codebooks,
        "library": library_sha256(),
        "version": __version__,
    }


def cache_key(inputs: dict[str, Any], job: NotebookJob) -> str:
    """Cache key of one notebook: its inputs, its parameters and its source text."""
    payload = {
        "inputs": inputs,
        "parameters": job.parameters,
        "notebook": _sha256_bytes(job.source.read_bytes()),
    }
    return _sha256_bytes(json.dumps(payload, sort_keys=True, default=str).encode())


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


# ---- notebooks: read, check parameters, execute, normalise -----------------------------------
def read_notebook(source: Path):
    """Read a jupytext py:percent notebook into a NotebookNode with stable cell ids."""
    import jupytext

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


def check_parameters(source: Path, params: dict[str, Any]) -> None:
    """Raise :class:`ArgumentError` if ``params`` holds a name the notebook does not declare.

    papermill only warns about an unknown parameter; giftreview refuses it, naming the known ones
    (read with :func:`papermill.inspect_notebook`).
    """
    import nbformat
    import papermill

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
    _stable_ids(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        pm = cell.metadata.get("papermill")
        if pm is not None:
            for key in ("start_time", "end_time", "duration"):
                pm.pop(key, None)


def execute_notebook(job: NotebookJob, output: Path, kernel: str, cwd: Path, km=None):
    """Execute ``job`` with papermill into ``output``; a failing cell raises :class:`ReportError`.

    ``km``: a running kernel (:class:`WarmKernel`) to execute in instead of starting one; its
    working folder was set when it started.
    """
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    output.parent.mkdir(parents=True, exist_ok=True)
    nb = read_notebook(job.source)
    nb.metadata["title"] = job.title
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
            **({"km": km} if km is not None else {}),
        )
    except PapermillExecutionError as exc:
        first = (exc.source or "").strip().splitlines()[:1]
        raise ReportError(
            f"notebook {job.source.name} ({job.name}) failed in cell {exc.cell_index} "
            f"(execution count {exc.exec_count}{': ' + first[0] if first else ''}): "
            f"{exc.ename}: {exc.evalue}. The partial notebook with the full traceback is saved "
            f"at {output}",
            notebook=job.source,
            cell_index=exc.cell_index,
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
    imported modules carry over). Use from one thread only (its event loop owns the sockets).
    """

    PRELOAD = (
        "import giftreview.report, giftreview.report.plots, giftreview.analysis.score, giftreview.analysis.stats, "
        "giftreview.analysis.disclosure, giftreview.text.coding, giftreview.text.narrative, giftreview.text.lists"
    )
    RESET = "get_ipython().run_line_magic('reset', '-f')\nget_ipython().execution_count = 1"

    def __init__(self, cwd: Path, kernel: str = KERNEL_NAME):
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._sync = run_sync
        self.km = AsyncKernelManager(kernel_name=kernel)
        self._sync(self.km.start_kernel)(cwd=str(cwd))
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

        reply = self._sync(go)()
        if reply["content"].get("status") != "ok":
            content = reply["content"]
            raise ReportError(
                f"the report kernel could not run {code.splitlines()[0]!r}: "
                f"{content.get('ename')}: {content.get('evalue')}"
            )

    def fresh(self):
        """The kernel manager, with an empty namespace (restarted if the kernel died)."""
        if not self._sync(self.km.is_alive)():
            self._sync(self.km.restart_kernel)(now=True)
            self.run(self.PRELOAD)
        self.run(self.RESET)
        return self.km

    def shutdown(self) -> None:
        self._sync(self.km.shutdown_kernel)(now=True)


# ---- HTML -------------------------------------------------------------------------------------
_EXPORTER_LOCK = threading.Lock()
_EXPORTER = None


def _exporter():
    """One nbconvert HTMLExporter with the offline ``giftreview`` template (built once)."""
    global _EXPORTER
    with _EXPORTER_LOCK:
        if _EXPORTER is None:
            from nbconvert import HTMLExporter

            exp = HTMLExporter(
                template_name="giftreview", extra_template_basedirs=[str(TEMPLATE_DIR)]
            )
            exp.exclude_input = True
            exp.exclude_input_prompt = True
            exp.exclude_output_prompt = True
            _EXPORTER = exp
        return _EXPORTER


def notebook_to_html(nb, title: str) -> str:
    """HTML of an executed notebook: outputs only, no code, no script or style from the network."""
    exp = _exporter()
    nb.metadata["title"] = title
    with _EXPORTER_LOCK:  # nbconvert exporters are not documented as thread-safe
        body, _ = exp.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


# ---- PDF through headless Chromium ------------------------------------------------------------
def find_chromium() -> str:
    """Path of the Chromium executable (``GIFTREVIEW_CHROMIUM`` overrides the search)."""
    env = os.environ.get("GIFTREVIEW_CHROMIUM")
    if env:
        if Path(env).exists() or shutil.which(env):
            return shutil.which(env) or env
        raise ReportError(f"GIFTREVIEW_CHROMIUM={env!r} does not exist; unset it or fix the path")
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise ReportError(
        "PDF needs headless Chromium, which is not installed. Install it with:\n"
        f"    {APT_HINT}\n"
        "or render HTML only: giftreview run --formats html"
    )


CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--no-first-run",
    "--no-default-browser-check",
    "--mute-audio",
    "--hide-scrollbars",
)


class Chromium:
    """A headless Chromium driven over the DevTools protocol (one browser for many pages).

    Use as a context manager; :meth:`session` opens a page, :meth:`print_pdf` prints a file.
    """

    def __init__(self, executable: str | None = None, timeout: float = 60.0):
        self.executable = executable or find_chromium()
        self.timeout = timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="giftreview-chromium-")
        self._proc: subprocess.Popen | None = None
        self._ws = None
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        import websocket

        profile = Path(self._tmp.name)
        args = [
            self.executable,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "about:blank",
        ]
        self._proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + self.timeout
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise ReportError(
                    f"Chromium ({self.executable}) did not start; check it runs: "
                    f"{self.executable} --headless --no-sandbox about:blank"
                )
            time.sleep(0.02)
        port, path = port_file.read_text().splitlines()[:2]
        self._ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}{path}", timeout=self.timeout, suppress_origin=True
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._ws is not None:
            try:
                self.send("Browser.close")
            except Exception:  # the browser may already be gone; closing is best effort
                pass
            self._ws.close()
            self._ws = None
        if self._proc is not None:
            try:
                self._proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        self._tmp.cleanup()

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one DevTools command and return its result (events seen meanwhile are kept)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self._ws.send(json.dumps(msg))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise ReportError(f"Chromium refused {method}: {reply['error'].get('message')}")
                return reply.get("result", {})
            self._events.append(reply)

    def wait_event(self, method: str, session: str) -> dict:
        """Wait for DevTools event ``method`` on ``session``."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for i, ev in enumerate(self._events):
                if ev.get("method") == method and ev.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(json.loads(self._ws.recv()))
        raise ReportError(f"Chromium: timed out after {self.timeout:.0f} s waiting for {method}")

    def events(self, session: str) -> list[dict]:
        """Events received so far for ``session`` (and forget them)."""
        mine = [e for e in self._events if e.get("sessionId") == session]
        self._events = [e for e in self._events if e.get("sessionId") != session]
        return mine

    def open(self, url: str, domains: tuple[str, ...] = ("Page",)) -> tuple[str, str]:
        """Open ``url`` in a new tab with ``domains`` enabled; returns (target id, session id)."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in domains:
            self.send(f"{domain}.enable", session=session)
        self.send("Page.navigate", {"url": url}, session=session)
        self.wait_event("Page.loadEventFired", session)
        return target, session

    def close_target(self, target: str) -> None:
        self.send("Target.closeTarget", {"targetId": target})

    def print_pdf(self, html_path: Path, pdf_path: Path, header: str = "") -> None:
        """Print ``html_path`` to ``pdf_path`` (A4, running header, "page N of M" footer)."""
        target, session = self.open(Path(html_path).resolve().as_uri())
        try:
            result = self.send("Page.printToPDF", pdf_options(header), session=session)
        finally:
            self.close_target(target)
        data = base64.b64decode(result["data"])
        pdf_path.write_bytes(reproducible_pdf(data))


def pdf_options(header: str) -> dict[str, Any]:
    """``Page.printToPDF`` options: A4, header with the running header, page numbers below.

    Chromium does not support CSS ``@page`` margin boxes, so the header and footer are the
    DevTools header/footer templates (the ``pageNumber``/``totalPages`` classes are filled in by
    Chromium). The running header is HTML-escaped.
    """
    return {
        "paperWidth": 8.27,
        "paperHeight": 11.69,
        "marginTop": 0.75,
        "marginBottom": 0.7,
        "marginLeft": 0.6,
        "marginRight": 0.6,
        "printBackground": True,
        "displayHeaderFooter": True,
        **pdf_margins(header),
    }


def _pdf_date(when: datetime) -> bytes:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'").encode()


def reproducible_pdf(data: bytes) -> bytes:
    """Replace Chromium's creation/modification dates by the run date when SOURCE_DATE_EPOCH is set.

    Skia writes ``/CreationDate (D:YYYYMMDDHHMMSS+00'00')`` and ``/ModDate``; the replacement
    has the same length, so the cross-reference offsets stay valid. Skia writes no ``/ID``.
    """
    if not os.environ.get("SOURCE_DATE_EPOCH"):
        return data
    import re

    stamp = _pdf_date(run_date())

    def fix(match: re.Match[bytes]) -> bytes:
        old = match.group(2)
        new = stamp if len(stamp) == len(old) else old
        return match.group(1) + new + b")"

    return re.sub(rb"(/(?:CreationDate|ModDate) \()(D:[^)]*)\)", fix, data)


# ---- index and manifest -----------------------------------------------------------------------
def write_manifest(out: Path, manifest: dict[str, Any]) -> Path:
    path = out / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n", "utf-8")
    return path


# ---- progress -----------------------------------------------------------------------------------
class Steps:
    """Show each step with its time on a rich progress display (or stay silent with ``None``)."""

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


# ---- the run ------------------------------------------------------------------------------------
def _check_settings(settings: RunSettings) -> None:
    bad = [f for f in settings.formats if f not in FORMATS]
    if bad or not settings.formats:
        raise ArgumentError(
            f"--formats {','.join(settings.formats)!r}: unknown format(s) {bad}; "
            f"choose from {','.join(FORMATS)}"
        )
    if not Path(settings.raw).exists():
        from giftreview.errors import InputFileError

        raise InputFileError("raw file not found; give the path of an export", path=settings.raw)
    if paths.is_under_raw(settings.out_dir):
        raise ArgumentError(f"--out {settings.out_dir}: data/raw is read-only; choose reports/...")
    if not 0 < settings.confidence < 1:
        raise ArgumentError(f"confidence {settings.confidence}: give a level between 0 and 1")
    if settings.k < 0 or settings.jobs < 1:
        raise ArgumentError(f"k={settings.k}, jobs={settings.jobs}: k >= 0 and jobs >= 1")


def _outputs_present(out: Path, job: NotebookJob, formats: tuple[str, ...]) -> bool:
    wanted = {"ipynb", *formats}
    return wanted <= set(job.outputs) and all((out / rel).exists() for rel in job.outputs.values())


def _mark_cached(jobs: list[NotebookJob], previous: dict, settings: RunSettings) -> None:
    before = {j.get("name"): j for j in previous.get("notebooks", [])}
    for job in jobs:
        old = before.get(job.name)
        if settings.force or not old or old.get("key") != job.key:
            continue
        job.outputs = {
            k: v for k, v in old.get("outputs", {}).items() if k in ("ipynb", *settings.formats)
        }
        if _outputs_present(settings.out_dir, job, settings.formats):
            job.status = "cached"
        else:
            job.outputs = {}


FAMILY_STEP = "test family (Benjamini-Hochberg over every section)"


def _prepare_data(settings, instrument, inputs, processed: Path, steps: Steps):
    """Clean the wave unless current; return what builds the test family (None when current).

    The family is built by the caller while the first notebook (the overview, which shows no
    test) already runs; the stamp is written once both are done.
    """
    from giftreview.report import wave as report

    key = _sha256_bytes(
        json.dumps(
            [inputs, settings.wave_label, settings.group_by, settings.confidence, settings.k],
            sort_keys=True,
        ).encode()
    )
    stamp = processed / "render_key.json"
    if not settings.force and _load_json(stamp).get("key") == key and report.is_prepared(processed):
        h = steps.start("clean + test family")
        steps.done(h, "clean + test family", "unchanged, skipped")
        return None
    from giftreview.data.clean import clean_wave

    stamp.unlink(missing_ok=True)
    h = steps.start("clean")
    clean_wave(settings.raw, instrument, wave=settings.wave_label, out_dir=processed)
    steps.done(h, "clean")
    for name in (report.FAMILY_FILE, report.BREAKDOWN_FILE, report.POSTHOC_FILE):
        (processed / name).unlink(missing_ok=True)  # never let a notebook read an old family

    def build() -> None:
        h = steps.start(FAMILY_STEP)
        report.build_test_family(
            processed,
            instrument,
            group_by=settings.group_by or None,
            confidence=settings.confidence,
        )
        steps.done(h, FAMILY_STEP)
        stamp.write_text(json.dumps({"key": key}) + "\n", encoding="utf-8")

    return build


def _workdir(out: Path) -> Path:
    return paths.PROJ_ROOT if paths.PROJ_ROOT.exists() else out


def _run_job(job: NotebookJob, out: Path, kernel: str, steps: Steps, km=None) -> None:
    ipynb = out / "notebooks" / f"{job.name}.ipynb"
    h = steps.start(f"{job.name}: execute")
    nb = execute_notebook(job, ipynb, kernel, cwd=_workdir(out), km=km)
    job.seconds += steps.done(h, f"{job.name}: execute")
    job.outputs["ipynb"] = f"notebooks/{job.name}.ipynb"
    h = steps.start(f"{job.name}: html")
    (out / f"{job.name}.html").write_text(notebook_to_html(nb, job.title), encoding="utf-8")
    job.seconds += steps.done(h, f"{job.name}: html")
    job.outputs["html"] = f"{job.name}.html"


class PdfPrinter:
    """Prints PDFs on one background thread with one Chromium, as soon as each HTML is ready.

    Chromium starts while the first notebooks execute, so neither its start-up nor the printing
    waits for the slowest notebook.
    """

    def __init__(self, out: Path, header: str, steps: Steps):
        self.out, self.header, self.steps = out, header, steps
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="giftreview-pdf")
        self._browser = self._pool.submit(self._start)
        self._futures: list = []

    def _start(self) -> Chromium:
        return Chromium().__enter__()

    def _print(self, job: NotebookJob) -> None:
        h = self.steps.start(f"{job.name}: pdf")
        self._browser.result().print_pdf(
            self.out / f"{job.name}.html", self.out / f"{job.name}.pdf", self.header
        )
        job.seconds += self.steps.done(h, f"{job.name}: pdf")
        job.outputs["pdf"] = f"{job.name}.pdf"

    def submit(self, job: NotebookJob) -> None:
        self._futures.append((job, self._pool.submit(self._print, job)))

    def finish(self) -> list[str]:
        """Wait for every PDF; return the messages of those that failed; stop Chromium."""
        failures = []
        for job, fut in self._futures:
            try:
                fut.result()
            except GiftreviewError as exc:
                job.status, job.error = "failed", str(exc)
                failures.append(f"{job.name}: PDF: {exc}")
        try:
            self._pool.submit(lambda: self._browser.result().close()).result()
        except GiftreviewError as exc:
            failures.append(str(exc))
        self._pool.shutdown()
        return failures


def _order(jobs: list[NotebookJob], previous: dict) -> list[NotebookJob]:
    """Longest first (by the last run's time, else parts before overview/methods): with two
    workers this finishes soonest (longest-processing-time scheduling)."""
    last = {j.get("name"): j.get("seconds", 0) for j in previous.get("notebooks", [])}
    default = {OVERVIEW: 1.0, METHODS: 1.0}
    return sorted(jobs, key=lambda j: -(last.get(j.name) or default.get(j.name, 10.0)))


class Workers:
    """``n`` threads, each with its own :class:`WarmKernel`, running the jobs of a queue.

    The kernels start (and import the library) as soon as the workers are created, i.e. while
    the wave is still being cleaned. The overview is taken first and waits for
    :meth:`data_done`; the other notebooks wait for :meth:`family_done` (they show the tests). Each PDF is handed to ``printer`` as soon
    as its HTML is written. A worker whose kernel cannot start falls back to a fresh kernel
    per notebook.
    """

    def __init__(self, todo: list[NotebookJob], out: Path, steps: Steps, n: int, printer=None):
        self.out, self.steps, self.printer = out, steps, printer
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
            kernel = WarmKernel(_workdir(self.out))
        except Exception as exc:  # noqa: BLE001 - any start-up failure: fresh kernels instead
            self.steps.done(h, f"kernel {number}", f"not kept warm ({exc}); fresh kernels")
            return None
        self.steps.done(h, f"kernel {number}: start, import the library")
        return kernel

    def _one(self, job: NotebookJob, kernel: WarmKernel | None) -> None:
        try:
            (self._data if job.name == OVERVIEW else self._family).wait()
            if self._family_error:
                raise ReportError(f"{job.name}: not run: {self._family_error[0]}")
            _run_job(job, self.out, KERNEL_NAME, self.steps, km=kernel.fresh() if kernel else None)
            job.status = "done"
        except GiftreviewError as exc:
            job.status, job.error = "failed", str(exc)
            self.failures.append(str(exc))
            return
        if self.printer is not None:
            self.printer.submit(job)

    def _work(self, number: int) -> None:
        kernel = self._warm(number)
        try:
            while True:
                try:
                    job = self.queue.get_nowait()
                except queue.Empty:
                    return
                self._one(job, kernel)
        finally:
            if kernel is not None:
                kernel.shutdown()

    def join(self) -> list[str]:
        for t in self._threads:
            t.join()
        return self.failures


def _start_workers(
    jobs: list[NotebookJob], settings: RunSettings, instrument, steps: Steps, previous: dict
) -> tuple[Workers, PdfPrinter | None]:
    """Start the PDF printer and the workers for every non-cached job (overview first, then
    longest first)."""
    todo = _order([j for j in jobs if j.status != "cached"], previous)
    todo.sort(key=lambda j: j.name != OVERVIEW)  # stable: overview first, then longest first
    printer = None
    if "pdf" in settings.formats and todo:
        header = instrument.survey.running_header or instrument.survey.title
        printer = PdfPrinter(settings.out_dir, header, steps)
    return Workers(todo, settings.out_dir, steps, settings.jobs, printer), printer


def provenance(settings: RunSettings, inputs: dict[str, Any]) -> dict[str, Any]:
    """The provenance block written to the index and the manifest."""
    return {
        "raw file": Path(settings.raw).name,
        "raw sha256": inputs["raw"],
        "instrument": Path(settings.instrument).name,
        "instrument sha256": inputs["instrument"],
        "giftreview version": __version__,
        "git commit": git_commit(),
        "run date": run_date().isoformat(),
    }


def _render_all(jobs, settings, instrument, inputs, processed, steps, previous) -> list[str]:
    """Start the warm workers; check parameters, clean and build the family meanwhile; wait.

    An unknown parameter raises :class:`ArgumentError` before any notebook runs (the workers,
    still starting their kernels, are told to stop)."""
    with private_kernel():
        workers, printer = _start_workers(jobs, settings, instrument, steps, previous)
        prepared = False
        try:
            for source, params in {
                j.source: j.parameters for j in jobs if j.status != "cached"
            }.items():
                check_parameters(source, params)
            build_family = _prepare_data(settings, instrument, inputs, processed, steps)
            workers.data_done()
            if build_family is not None:
                build_family()
            prepared = True
        finally:
            workers.family_done(None if prepared else "parameters, cleaning or the family failed")
            failures = workers.join()
            if printer is not None:
                failures += printer.finish()
    return failures


def _write_index_and_manifest(out: Path, settings, instrument, inputs, jobs) -> None:
    prov = provenance(settings, inputs)
    title = instrument.survey.title
    (out / "index.html").write_text(index_html(title, settings.wave_label, jobs, prov), "utf-8")
    manifest = {
        "wave": settings.wave_label,
        "title": title,
        "provenance": prov,
        "inputs": inputs,
        "formats": list(settings.formats),
        "notebooks": [
            {k: v for k, v in asdict(j).items() if k not in ("source", "seconds")}
            | {"source": f"notebooks/{j.source.name}", "seconds": round(j.seconds, 2)}
            for j in jobs
        ],
    }
    write_manifest(out, manifest)


def run_report(settings: RunSettings, progress=None) -> RunResult:
    """Clean a raw wave and render every notebook of its report (see the module docstring).

    Parameters
    ----------
    settings
        Inputs, output folder, formats and notebook parameters.
    progress
        A :class:`rich.progress.Progress` to show each step with its time, or None.

    Returns
    -------
    RunResult
        The jobs with their status (``cached``/``done``/``failed``), outputs and times.

    Raises
    ------
    ReportError
        When PDF is wanted and Chromium is missing (before any work), or after the run when one
        or more notebooks failed (the message names each notebook, cell and partial notebook).
    """
    t0 = time.perf_counter()
    _check_settings(settings)
    # absolute paths: nothing below depends on the process's working folder
    settings = replace(
        settings,
        raw=Path(settings.raw).resolve(),
        instrument=Path(settings.instrument).resolve(),
        out=settings.out_dir.resolve(),
    )
    if "pdf" in settings.formats:
        find_chromium()
    steps = Steps(progress)
    instrument = load_instrument(settings.instrument)
    out = settings.out_dir
    out.mkdir(parents=True, exist_ok=True)
    processed = paths.processed_dir(settings.wave_label)
    inputs = input_hashes(settings, instrument)
    jobs = plan(settings, instrument, processed)
    for job in jobs:
        job.key = cache_key(inputs, job)
    previous = _load_json(out / "manifest.json")
    _mark_cached(jobs, previous, settings)
    if all(j.status == "cached" for j in jobs):
        h = steps.start("report")
        steps.done(h, "report", "inputs unchanged: nothing to do (use --force to rerun)")
        return RunResult(out, jobs, True, time.perf_counter() - t0)
    failures = _render_all(jobs, settings, instrument, inputs, processed, steps, previous)
    _write_index_and_manifest(out, settings, instrument, inputs, jobs)
    result = RunResult(out, jobs, False, time.perf_counter() - t0, failures)
    if failures:
        raise ReportError(
            f"{len(failures)} notebook(s) failed; the other parts' outputs are kept in {out}:\n"
            + "\n".join(f"  - {f}" for f in failures)
        )
    return result
