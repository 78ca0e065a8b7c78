"""Every path the project uses, defined once.

Code elsewhere imports these names instead of building paths itself. ``data/raw`` is read-only to
the code: nothing in giftreview opens a file under it for writing.

The project root can be moved with the ``GIFTREVIEW_ROOT`` environment variable (tests use this
to run the whole pipeline inside a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

from giftreview.errors import ArgumentError

__all__ = [
    "portable_path",
    "PACKAGE_DIR",
    "PACKAGE_DATA",
    "PROJ_ROOT",
    "DATA_RAW",
    "DATA_PROCESSED",
    "REPORTS",
    "NOTEBOOKS",
    "INSTRUMENTS",
    "CODEBOOKS",
    "DOCS",
    "DEFAULT_INSTRUMENT",
    "INSTITUTION_ALIASES",
    "from_root",
    "processed_dir",
    "report_dir",
    "is_under_raw",
    "MAX_WAVE_CHARS",
    "check_wave_name",
    "inside",
]

#: longest wave label accepted (a label names folders; file systems limit a name to 255 bytes)
MAX_WAVE_CHARS = 100

PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE_DATA = PACKAGE_DIR / "resources"


def _default_root() -> Path:
    env = os.environ.get("GIFTREVIEW_ROOT")
    if env:
        return Path(env).resolve()
    # src/giftreview/paths.py -> project root is two levels above the package.
    return PACKAGE_DIR.parents[1]


PROJ_ROOT = _default_root()
DATA_RAW = PROJ_ROOT / "data" / "raw"
DATA_PROCESSED = PROJ_ROOT / "data" / "processed"
REPORTS = PROJ_ROOT / "reports"
NOTEBOOKS = PROJ_ROOT / "notebooks"
INSTRUMENTS = PROJ_ROOT / "instruments"
CODEBOOKS = INSTRUMENTS / "codebooks"
DOCS = PROJ_ROOT / "docs"

DEFAULT_INSTRUMENT = INSTRUMENTS / "ungift_partner_survey.yaml"
INSTITUTION_ALIASES = PACKAGE_DATA / "institutions.yaml"


def from_root(path: str | Path) -> Path:
    """``path`` as given when absolute, else relative to the project root (notebook parameters
    and command-line defaults are written relative to the root, whatever the working folder)."""
    p = Path(path)
    return p if p.is_absolute() else PROJ_ROOT / p


def check_wave_name(wave: object, argument: str = "--wave") -> str:
    """Return ``wave`` when it is a name, not a path; raise :class:`ArgumentError` (exit 2) if not.

    A wave label becomes a folder name (``data/processed/<wave>/``, ``reports/<wave>/``), so it
    must not hold a path separator (``/`` or ``\\``), be ``.`` or ``..``, start with ``~``, hold a
    control character (newline, tab, NUL...) or exceed :data:`MAX_WAVE_CHARS` characters.
    """
    text = str(wave)
    problem = None
    if not text.strip():
        problem = "is empty"
    elif "/" in text or "\\" in text or Path(text).is_absolute():
        problem = "holds a path separator; a wave label is a name, not a path"
    elif text.strip() in (".", "..") or text.startswith("~"):
        problem = "names a folder relative to another; a wave label is a plain name"
    elif any(ord(c) < 32 or ord(c) == 127 or 0x80 <= ord(c) < 0xA0 for c in text):
        problem = "holds a control character (a line break, tab or NUL)"
    elif len(text) > MAX_WAVE_CHARS:
        problem = f"is {len(text)} characters long; the limit is {MAX_WAVE_CHARS}"
    if problem is not None:
        raise ArgumentError(
            f"Could not use value {text[:120]!r} for `{argument}`: it {problem}. Give a short "
            "name such as survey_2024 (letters, digits, '_', '-', '.'); when the label comes from "
            "the raw file's name, pass --wave NAME or rename the file"
        )
    return text


def inside(path: Path | str, folder: Path | str) -> Path:
    """``path`` resolved, after checking that it lies inside ``folder`` (resolved too).

    Every writer calls this before writing, so no output lands outside its folder whatever the
    wave label, a file name or a symbolic link says. Raises :class:`ArgumentError` otherwise.
    """
    target = Path(path).resolve()
    base = Path(folder).resolve()
    if target != base and base not in target.parents:
        raise ArgumentError(
            f"refusing to write {path}: it resolves to {target}, outside its folder {base}; "
            "check the wave label, the file name and any symbolic link"
        )
    return target


def processed_dir(wave: str) -> Path:
    """Folder of the cleaned outputs of one wave: ``data/processed/<wave>/`` (``wave`` checked
    by :func:`check_wave_name`; the folder checked to lie inside ``data/processed``)."""
    folder = DATA_PROCESSED / check_wave_name(wave)
    inside(folder, DATA_PROCESSED)
    return folder


def report_dir(wave: str) -> Path:
    """Folder of the rendered reports of one wave: ``reports/<wave>/`` (checked as above)."""
    folder = REPORTS / check_wave_name(wave)
    inside(folder, REPORTS)
    return folder


def is_under_raw(path: Path) -> bool:
    """True when ``path`` lies inside ``data/raw`` (which the code must never write)."""
    try:
        Path(path).resolve().relative_to(DATA_RAW.resolve())
    except ValueError:
        return False
    return True


def portable_path(path: Path | str, *, readable: bool = False) -> str:
    """``path`` as an output may record it: relative to the project root, never absolute.

    A path inside the project root is written relative to it, in POSIX form
    (``data/raw/ungift_2010.csv``); :func:`giftreview.paths.from_root` reads it back. A path
    outside the root is written as its file name only, unless ``readable`` is set: a file the
    notebook must still open (a raw export or instrument kept outside the project) keeps its
    absolute path, because nothing else would find it.

    Examples
    --------
    >>> portable_path(PROJ_ROOT / "reports" / "w1")
    'reports/w1'
    >>> portable_path("/elsewhere/out/w1")
    'w1'
    >>> portable_path("/elsewhere/export.csv", readable=True)
    '/elsewhere/export.csv'
    """
    p = Path(path).resolve()
    try:
        return p.relative_to(PROJ_ROOT.resolve()).as_posix() or "."
    except ValueError:
        return str(p) if readable else p.name
