"""Print HTML to PDF with the system Chromium, driven by playwright; make the bytes reproducible.

:class:`Chromium` launches the Chromium the system has (``/usr/bin/chromium``, or
``GIFTREVIEW_CHROMIUM``) through playwright's sync API; giftreview never downloads a browser
(``playwright install`` is not needed). Every page is A4 with the instrument's running header
and "page N of M" (:func:`pdf_options`), tagged (accessible structure) and with an outline of
its headings. :func:`reproducible_pdf` then makes two prints of the same page the same bytes when
``SOURCE_DATE_EPOCH`` is set. :class:`PdfPrinter` prints on one background thread while the
notebooks still run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from giftreview.errors import GiftreviewError, ReportError
from giftreview.pipeline.plan import NotebookJob
from giftreview.pipeline.progress import Steps
from giftreview.pipeline.provenance import run_date
from giftreview.report.templating import pdf_margins

__all__ = [
    "APT_HINT",
    "LOCAL_LINKS_TO_TEXT",
    "CHROMIUM_FLAGS",
    "find_chromium",
    "pdf_options",
    "Chromium",
    "reproducible_pdf",
    "PdfPrinter",
]

APT_HINT = "sudo apt-get install chromium fonts-dejavu-core fonts-noto-core fonts-noto-color-emoji"
#: switches beyond playwright's own headless defaults: nothing in the background, no extras
CHROMIUM_FLAGS = (
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


#: Chromium turns a relative link (``A2_by_A1.csv``) into an absolute ``file://`` URI of the
#: building machine when it prints; a PDF keeps only web, mail and in-document links, and a link
#: to a file beside the report becomes its plain text.
LOCAL_LINKS_TO_TEXT = """() => {
  for (const a of document.querySelectorAll("a[href]")) {
    if (!/^(https?:|mailto:|#)/i.test(a.getAttribute("href"))) a.removeAttribute("href");
  }
}"""


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


def pdf_options(header: str) -> dict[str, Any]:
    """Options of playwright's ``page.pdf``: A4, running header, "page N of M", tagged, outline.

    Chromium does not support CSS ``@page`` margin boxes, so the header and footer are Chromium's
    header/footer templates (:func:`giftreview.report.templating.pdf_margins`: the running
    header escaped by Jinja2; Chromium fills in the ``pageNumber``/``totalPages`` spans).
    """
    margins = pdf_margins(header)
    return {
        "format": "A4",
        "margin": {"top": "0.75in", "bottom": "0.7in", "left": "0.6in", "right": "0.6in"},
        "print_background": True,
        "display_header_footer": True,
        "header_template": margins["headerTemplate"],
        "footer_template": margins["footerTemplate"],
        "tagged": True,
        "outline": True,
    }


class Chromium:
    """The system's headless Chromium, driven by playwright (one browser for many pages).

    Use as a context manager, from one thread (playwright's sync API belongs to the thread that
    started it); :meth:`page` opens a tab, :meth:`print_pdf` prints a file.
    """

    def __init__(self, executable: str | None = None, timeout: float = 60.0):
        self.executable = executable or find_chromium()
        self.timeout = timeout
        self._pw = None
        self._browser = None

    def __enter__(self) -> Chromium:
        self._pw = sync_playwright().start()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable,
                args=list(CHROMIUM_FLAGS),
                timeout=self.timeout * 1000,
            )
        except PlaywrightError as exc:
            self.close()
            raise ReportError(
                f"Chromium ({self.executable}) did not start ({str(exc).splitlines()[0]}); "
                f"check it runs: {self.executable} --headless --no-sandbox about:blank"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser and playwright (best effort: either may already be gone)."""
        if self._browser is not None:
            try:
                self._browser.close()
            except PlaywrightError:
                pass
            self._browser = None
        if self._pw is not None:
            self._pw.stop()
            self._pw = None

    def page(self, url: str | None = None):
        """A new tab (a playwright ``Page``), opened at ``url`` when given; close it after use."""
        if self._browser is None:
            raise ReportError("Chromium is not running; use it as `with Chromium() as browser:`")
        page = self._browser.new_page()
        page.set_default_timeout(self.timeout * 1000)
        if url is not None:
            page.goto(url, wait_until="load")
        return page

    def pdf_of_html(self, html: str, header: str = "") -> bytes:
        """Print the document ``html`` (self-contained: images inline) and return the PDF."""
        try:
            page = self.page()
            try:
                page.set_content(html, wait_until="load")
                page.evaluate(LOCAL_LINKS_TO_TEXT)
                return page.pdf(**pdf_options(header))
            finally:
                page.close()
        except PlaywrightError as exc:
            raise ReportError(
                f"Chromium could not print the appendix: {str(exc).splitlines()[0]}"
            ) from None

    def print_pdf(self, html_path: Path, pdf_path: Path, header: str = "") -> None:
        """Print ``html_path`` to ``pdf_path`` (A4, running header, "page N of M" footer)."""
        try:
            page = self.page(Path(html_path).resolve().as_uri())
            try:
                page.evaluate(LOCAL_LINKS_TO_TEXT)
                data = page.pdf(**pdf_options(header))
            finally:
                page.close()
        except PlaywrightError as exc:
            raise ReportError(
                f"Chromium could not print {Path(html_path).name}: {str(exc).splitlines()[0]}"
            ) from None
        Path(pdf_path).write_bytes(reproducible_pdf(data))


def _pdf_date(when: datetime) -> bytes:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'").encode()


_NODE_ID = re.compile(rb"\((node)(\d+)\)")
_DATE = re.compile(rb"(/(?:CreationDate|ModDate) ?\()(D:[^)]*)\)")
_DOC_ID = re.compile(rb"(/ID ?\[ ?<)([0-9A-Fa-f]+)(> ?<)([0-9A-Fa-f]+)(>)")


def _renumber_nodes(data: bytes) -> bytes:
    """Number the tagged-PDF structure ids ``(node000000NN)`` 1, 2, ... in their own order.

    Chromium names each structure element after its DOM node id, which depends on how many
    nodes the browser made before (timing, other tabs). The i-th smallest id becomes i, written
    with as many digits as before: the strings keep their length (the cross-reference offsets
    stay valid) and their order (the ``/IDTree`` name tree stays sorted).
    """
    ids = sorted({int(m.group(2)) for m in _NODE_ID.finditer(data)})
    rank = {old: new for new, old in enumerate(ids, start=1)}

    def fix(m: re.Match[bytes]) -> bytes:
        width = len(m.group(2))
        new = str(rank[int(m.group(2))]).zfill(width).encode()
        return b"(" + m.group(1) + (new if len(new) == width else m.group(2)) + b")"

    return _NODE_ID.sub(fix, data)


def reproducible_pdf(data: bytes) -> bytes:
    """The PDF Chromium printed, made byte-reproducible when ``SOURCE_DATE_EPOCH`` is set.

    * ``/CreationDate`` and ``/ModDate`` become the run date (:func:`run_date`);
    * tagged-PDF structure ids ``(node000000NN)`` are renumbered in order (:func:`_renumber_nodes`);
    * a document ``/ID [<..> <..>]``, if any (Skia writes none), becomes a hash of the rest.

    Every replacement has the length of what it replaces, so the cross-reference offsets stay
    valid (``qpdf --check`` passes).
    """
    if not os.environ.get("SOURCE_DATE_EPOCH"):
        return data
    stamp = _pdf_date(run_date())

    def date(match: re.Match[bytes]) -> bytes:
        old = match.group(2)
        return match.group(1) + (stamp if len(stamp) == len(old) else old) + b")"

    data = _renumber_nodes(_DATE.sub(date, data))
    digest = hashlib.sha256(_DOC_ID.sub(b"", data)).hexdigest().upper().encode()

    def doc_id(m: re.Match[bytes]) -> bytes:
        a, b = (digest * 4)[: len(m.group(2))], (digest * 4)[: len(m.group(4))]
        return m.group(1) + a + m.group(3) + b + m.group(5)

    return _DOC_ID.sub(doc_id, data)


class PdfPrinter:
    """Prints PDFs on one background thread with one Chromium, as soon as each HTML is ready.

    Chromium starts while the first notebooks execute, so neither its start-up nor the printing
    waits for the slowest notebook. All playwright calls happen on the printer's own thread.
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
