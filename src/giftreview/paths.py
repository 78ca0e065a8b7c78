"""Every path the project uses, defined once.

Code elsewhere imports these names instead of building paths itself. ``data/raw`` is read-only to
the code: nothing in giftreview opens a file under it for writing.

The project root can be moved with the ``GIFTREVIEW_ROOT`` environment variable (tests use this
to run the whole pipeline inside a temporary folder).
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
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
]

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


def processed_dir(wave: str) -> Path:
    """Folder of the cleaned outputs of one wave: ``data/processed/<wave>/``."""
    return DATA_PROCESSED / wave


def report_dir(wave: str) -> Path:
    """Folder of the rendered reports of one wave: ``reports/<wave>/``."""
    return REPORTS / wave


def is_under_raw(path: Path) -> bool:
    """True when ``path`` lies inside ``data/raw`` (which the code must never write)."""
    try:
        Path(path).resolve().relative_to(DATA_RAW.resolve())
    except ValueError:
        return False
    return True
