"""The ``giftreview`` command line.

Every expected failure is a :class:`~giftreview.errors.GiftreviewError`; :func:`main` prints its
message (no traceback) and exits with the error's code. Exit codes:

====  ==========================================================================
0     success
1     the data have problems (``validate`` found errors / ``clean`` quarantined rows is *not* 1)
2     wrong arguments or a value the library cannot use
3     instrument, codebook or alias file is malformed
4     the raw file cannot be read (missing, empty, binary, unknown encoding)
5     the data break a rule cleaning cannot repair (e.g. a required column is missing)
6     rendering a report failed (a notebook cell, nbconvert or the PDF printer)
70    an unexpected internal error (a bug: please report it with the message)
====  ==========================================================================

This module is the entry point (:func:`main`); the commands are thin wrappers, one module per
group: :mod:`giftreview.cli.data_commands` (validate, clean, init),
:mod:`giftreview.cli.stats_commands` (coding export/import/reliability, breakdown) and
:mod:`giftreview.cli.report_commands` (run, compare, tutorial), on the apps and options of
:mod:`giftreview.cli.common`. The work is done by the library modules. Each command imports the
library modules it needs inside its function (each such line says "deferred: start-up"):
importing pandas, scipy and papermill for every command would make ``giftreview --help`` take
seconds.
"""

from __future__ import annotations

import os
import sys

import typer
from rich.markup import escape

# the command modules register their commands on `app` when imported (order: --help's order)
from giftreview.cli import data_commands, report_commands, stats_commands  # noqa: F401
from giftreview.cli.common import app, console
from giftreview.errors import GiftreviewError

__all__ = ["app", "main"]


def _usage_errors() -> tuple[type[Exception], ...]:
    """click's ``ClickException`` and typer's own copy of it (typer 0.2x ships click as ``typer._click``)."""
    import click  # deferred: only needed on the error path

    kinds: list[type[Exception]] = [click.exceptions.ClickException]
    try:
        from typer._click.exceptions import ClickException  # deferred: absent before typer 0.2x
    except ImportError:
        pass
    else:
        kinds.append(ClickException)
    return tuple(kinds)


#: optional modules the command line tells Python are absent (see :func:`main`)
_ABSENT_OPTIONAL = ("rfc3987_syntax",)
#: settings of Arrow's allocator (mimalloc) for the command-line process (see :func:`main`)
_ALLOCATOR = {"MIMALLOC_PURGE_DELAY": "-1"}


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``giftreview`` console script.

    jsonschema (imported by nbformat, under papermill and jupytext) imports ``rfc3987_syntax``
    when it is installed (jupyter's ``jsonschema[format-nongpl]`` extra brings it), and that
    module compiles a Lark grammar at import: 3 of the 9 s ``giftreview run`` spends importing
    before any work (``python -X importtime``, 2-core machine). It serves only jsonschema's
    "iri" format check, which nothing here uses (nbformat validates notebooks without format
    checks), so this process marks it absent and jsonschema skips that one checker. Only the
    command-line process: importing the library changes nothing for other programs.

    Likewise Arrow's allocator is told to keep the memory it frees (``MIMALLOC_PURGE_DELAY=-1``,
    unless set already) before pyarrow is loaded (the commands import it when they run). By
    default mimalloc hands freed pages back to the system after a short delay, and a clean of a
    large file, block after block, then faults in and zeroes fresh pages for every block: in a
    1M-row clean 300,000-390,000 page faults against 97,000-100,000, about 1 s less system time
    and a peak 1.56 against 1.42-1.52 GB (docs/performance.md, seventh round). A command is a batch
    process that ends when its work is done, and so are the notebook kernels ``giftreview run``
    starts, which inherit the setting: a 1M-row run took 47.1 and 48.2 s against 69.5 and
    51.4 s with the kernels on the defaults, its largest process peaking at 3.9 against 3.3 GB.
    A notebook or another program using the library keeps the allocator's defaults.
    """
    for name in _ABSENT_OPTIONAL:
        sys.modules.setdefault(name, None)
    for name, value in _ALLOCATOR.items():
        os.environ.setdefault(name, value)
    try:
        code = app(args=argv, prog_name="giftreview", standalone_mode=False)
        if isinstance(code, int) and code:  # typer.Exit(n) is returned, not raised, here
            sys.exit(code)
    except GiftreviewError as exc:
        # escaped: a message quoting a path or an answer such as "[/tmp/x]" is text, not markup
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except typer.Exit as exc:  # raised by commands to set an exit code
        sys.exit(exc.exit_code)
    except typer.Abort:
        console.print("aborted")
        sys.exit(130)
    except OSError as exc:  # a path the system refuses (permissions, a full disk, a folder)
        where = exc.filename if exc.filename is not None else "a file"
        console.print(
            f"[bold red]error:[/] {escape(str(where))}: {escape(exc.strerror or str(exc))}; check "
            "the path, its permissions and the free space, or choose another --out",
            highlight=False,
            markup=True,
        )
        sys.exit(2)
    except Exception as exc:  # click usage errors carry their own exit code
        if isinstance(exc, _usage_errors()):
            exc.show()
            sys.exit(exc.exit_code)
        console.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "This is a bug in giftreview; please report it with the command you ran.",
            highlight=False,
        )
        sys.exit(70)


if __name__ == "__main__":  # pragma: no cover
    main()
