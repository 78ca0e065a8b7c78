"""When and from what a report was built: the run date and the git commit.

``run_date`` honours ``SOURCE_DATE_EPOCH`` so that two runs give byte-identical outputs
(paths as outputs may show them: :func:`giftreview.paths.portable_path`).
"""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from giftreview import paths
from giftreview.errors import ArgumentError

__all__ = ["run_date", "git_commit"]


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
