"""giftreview: reproducible reports from recurring stakeholder surveys.

The library does the work (reading, validation, cleaning, scoring, statistics, coding of open
answers, institution lists, plots and report assembly); the notebooks under ``notebooks/`` are thin
and call it once per section.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("giftreview")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
