"""When and from what a report was built: the run date, the git commit, portable paths.

``run_date`` honours ``SOURCE_DATE_EPOCH`` so that two runs give byte-identical outputs;
``portable_path`` writes a path as outputs may show it (never an absolute path of the machine).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from giftreview import paths
from giftreview.errors import ArgumentError

__all__ = ["run_date", "git_commit", "portable_path"]


def run_date() -> datetime:
    """The run date: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else now (UTC)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return datetime.fromtimestamp(int(epoch), tz=UTC)
        except ValueError:
            raise ArgumentError(
                f"SOURCE_DATE_EPOCH={epoch!r} is not an integer number of seconds since 1970; "
                "unset it or give e.g. SOURCE_DATE_EPOCH=1700000000"
            ) from None
    return datetime.now(tz=UTC)


def git_commit(root: Path | None = None) -> str:
    """The git commit of the project (``"unknown"`` outside a git checkout)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root or paths.PACKAGE_DIR,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() or "unknown"


def portable_path(path: Path | str, *, readable: bool = False) -> str:
    """``path`` as an output may record it: relative to the project root, never absolute.

    A path inside the project root is written relative to it, in POSIX form
    (``data/raw/ungift_2010.csv``); :func:`giftreview.paths.from_root` reads it back. A path
    outside the root is written as its file name only, unless ``readable`` is set: a file the
    notebook must still open (a raw export or instrument kept outside the project) keeps its
    absolute path, because nothing else would find it.

    Examples
    --------
    >>> from giftreview import paths
    >>> portable_path(paths.PROJ_ROOT / "reports" / "w1")
    'reports/w1'
    >>> portable_path("/elsewhere/out/w1")
    'w1'
    >>> portable_path("/elsewhere/export.csv", readable=True)
    '/elsewhere/export.csv'
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(paths.PROJ_ROOT.resolve()).as_posix() or "."
    except ValueError:
        return str(p) if readable else p.name
