"""Work on a raw export that needs only its bytes, started before anything else.

``giftreview clean`` of a large export spends its first second importing pandas and pandera,
and no time reading the file. The file's sha256 and the accounting pass
(:func:`~giftreview.data.rawcsv.plain_utf8_layout`) need neither, so the command starts them
first (:func:`start`, in the background threads of :mod:`giftreview.data.workers`) and
:func:`~giftreview.data.io.open_raw` takes them up (:func:`taken`) if the file is unchanged since:
same size, modification time and inode; else they are done again.

Only the standard library, numpy and pyarrow are imported here and by what :func:`start` runs.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from pathlib import Path

from giftreview.data.rawcsv import plain_utf8_head, plain_utf8_layout
from giftreview.data.workers import worker

__all__ = ["accounting", "file_sha256", "sha256", "start", "taken"]

#: (what, resolved path) -> (the file's identity when started, its future)
_STARTED: dict[tuple[str, str], tuple[tuple[int, int, int], Future]] = {}


def file_sha256(path: Path | str) -> str:
    """Hex sha256 of a file's bytes (used for provenance and caching)."""
    with open(path, "rb") as fh:  # in blocks: hashlib lets go of the GIL for each
        return hashlib.file_digest(fh, "sha256").hexdigest()


def start(path: Path | str) -> None:
    """Start the sha256 of the file ``path`` and, for a large plain UTF-8 CSV, its accounting
    pass (nothing for a path that is not a readable file: the command says what is wrong).

    The sha256 waits for the accounting pass: the first pass over the rows waits for the
    accounting at its end, while the sha256 is wanted only for the manifest, after the last
    row. Run side by side on two cores, the two took CPU from each other and from the imports,
    and the accounting of a million-row export ended 0.5-0.7 s later (alternating runs)."""
    path = Path(path)
    identity = _identity(path)
    if identity is None:
        return
    where = str(path.resolve())
    accounting = None
    if plain_utf8_head(path) is not None:
        accounting = worker("accounting").submit(plain_utf8_layout, path)
        _STARTED[("accounting", where)] = (identity, accounting)
    digest = worker("digest").submit(_after, accounting, file_sha256, path)
    _STARTED[("sha256", where)] = (identity, digest)


def _after(first: Future | None, how: Callable[..., str], *args: object) -> str:
    """``how(*args)`` once ``first`` is done, whatever its outcome (failed, cancelled)."""
    if first is not None:
        try:
            first.exception()  # waits (``concurrent.futures.wait`` ignores a bare cancel)
        except CancelledError:
            pass
    return how(*args)


def taken(what: str, path: Path | str) -> Future | None:
    """The future :func:`start` made of ``what`` (``"sha256"`` or ``"accounting"``) for the file
    ``path``, once; None if none was started or the file changed since."""
    entry = _STARTED.pop((what, str(Path(path).resolve())), None)
    if entry is None:
        return None
    identity, future = entry
    if identity != _identity(Path(path)):
        future.cancel()
        return None
    return future


def sha256(path: Path | str) -> Future:
    """The sha256 of the file ``path``: the one :func:`start` started, else one started now."""
    return taken("sha256", path) or worker("digest").submit(file_sha256, path)


def accounting(path: Path | str) -> Future:
    """The accounting pass (:func:`~giftreview.data.rawcsv.plain_utf8_layout`) of the file
    ``path``: the one :func:`start` started, else one started now."""
    return taken("accounting", path) or worker("accounting").submit(plain_utf8_layout, path)


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if not path.is_file():
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ino)
