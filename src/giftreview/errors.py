"""The exceptions giftreview raises.

One base class, :class:`GiftreviewError`, so the command line can catch every expected failure and
print its message (never a traceback). Each specific class carries the context a user needs: the
file, the row or key, the value and the fix. Messages are written to be read by a researcher.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "GiftreviewError",
    "InstrumentError",
    "InputFileError",
    "DataValidationError",
    "ArgumentError",
    "ReportError",
    "check_column",
]


class GiftreviewError(Exception):
    """Base class of every error giftreview raises on purpose."""

    #: exit code used by the command line for this kind of error
    exit_code: int = 2


class InstrumentError(GiftreviewError):
    """An instrument, codebook or alias file is malformed (names the file, key path and fix)."""

    exit_code = 3

    def __init__(self, message: str, *, path: Path | str | None = None, key: str | None = None):
        self.path = Path(path) if path is not None else None
        self.key = key
        where = ""
        if path is not None:
            where = f"{path}"
            if key:
                where += f": {key}"
            where += ": "
        super().__init__(where + message)


class InputFileError(GiftreviewError):
    """A raw data file cannot be read at all (missing, empty, binary, unknown encoding...)."""

    exit_code = 4

    def __init__(self, message: str, *, path: Path | str | None = None):
        self.path = Path(path) if path is not None else None
        super().__init__(f"{path}: {message}" if path is not None else message)


class DataValidationError(GiftreviewError):
    """The data break rules that cleaning cannot repair (e.g. a required column is missing)."""

    exit_code = 5


class ArgumentError(GiftreviewError, ValueError):
    """A function was called with an argument it cannot use (names the argument, value and fix)."""

    exit_code = 2


class ReportError(GiftreviewError):
    """Rendering a report failed (a notebook cell, nbconvert or the PDF printer)."""

    exit_code = 6

    def __init__(
        self,
        message: str,
        *,
        notebook: Path | str | None = None,
        cell_index: int | None = None,
        partial: Path | str | None = None,
    ):
        self.notebook = notebook
        self.cell_index = cell_index
        self.partial = partial
        super().__init__(message)


def check_column(data, column: str, argument: str = "column") -> None:
    """Raise :class:`ArgumentError` when ``column`` is not a column of ``data``.

    The message names the argument, the value and the closest column names present.
    """
    if column in data.columns:
        return
    import difflib

    close = difflib.get_close_matches(str(column), [str(c) for c in data.columns], n=3)
    hint = f" Closest columns present: {', '.join(close)}." if close else ""
    raise ArgumentError(
        f"Could not interpret value `{column}` for `{argument}`: no column of that name in `data`."
        f"{hint}"
    )
