"""The one cache key of giftreview, used by ``run``, ``compare`` and ``tutorial``.

A step (cleaning a wave, building its test family, executing a notebook) is skipped when its key
is the key recorded when it last ran. The key is the sha256 of

* the **inputs** (:func:`input_hashes`): sha256 of the raw file(s), of the instrument and of every
  codebook it names, the sha256 of the library's own source (:func:`library_sha256`: a change to
  the cleaning or statistics code reruns everything) and the package version;
* the step's **parameters** (wave label, grouping, confidence, ...);
* the **notebook source**, for a notebook.

Keys of the steps done in a folder are recorded in its ``cache.json`` (:func:`is_current`,
:func:`record`); the keys of a report's notebooks are in its ``manifest.json``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from giftreview import __version__, paths
from giftreview.data.instrument import Instrument, file_sha256

__all__ = [
    "STAMP",
    "CLEAN_STEP",
    "library_sha256",
    "input_hashes",
    "cache_key",
    "clean_key",
    "load_json",
    "is_current",
    "record",
    "forget",
]

#: the file, in a folder of outputs, holding the key of each step last done there
STAMP = "cache.json"
#: the step name of cleaning a wave into data/processed/<wave>/
CLEAN_STEP = "clean"


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


def input_hashes(raw: Path | Iterable[Path], instrument: Instrument) -> dict[str, Any]:
    """sha256 of every input a step depends on, except its parameters and notebook source.

    ``raw`` is one raw file, or several (a comparison, the tutorial): then ``raw`` holds their
    sha256 in the given order.
    """
    codebooks = {}
    for q in instrument.questions_of_type("open"):
        cb = instrument.codebook_path(q.id)
        if cb is not None and cb.exists():
            codebooks[q.id] = file_sha256(cb)
    raws = [raw] if isinstance(raw, str | Path) else list(raw)
    shas = [file_sha256(r) for r in raws]
    return {
        "raw": shas[0] if isinstance(raw, str | Path) else shas,
        "instrument": instrument.sha256 or "in memory",
        "codebooks": codebooks,
        "library": library_sha256(),
        "version": __version__,
    }


def cache_key(
    inputs: dict[str, Any], parameters: dict[str, Any], source: Path | None = None
) -> str:
    """The key of one step: its inputs, its parameters and (a notebook) its source text."""
    payload = {
        "inputs": inputs,
        "parameters": parameters,
        "notebook": _sha256_bytes(Path(source).read_bytes()) if source is not None else None,
    }
    return _sha256_bytes(json.dumps(payload, sort_keys=True, default=str).encode())


def clean_key(inputs: dict[str, Any], wave: str) -> str:
    """The key of cleaning a wave: ``run`` and ``compare`` share it, so each reuses the other's
    clean data, and a change of the raw file, instrument, codebooks or library cleans again."""
    return cache_key(inputs, {"step": CLEAN_STEP, "wave": wave})


def load_json(path: Path) -> dict[str, Any]:
    """The JSON object in ``path``; ``{}`` when it is missing or unreadable (a cache miss)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def is_current(folder: Path, step: str, key: str) -> bool:
    """True when ``step`` was last done in ``folder`` with this ``key``."""
    return load_json(Path(folder) / STAMP).get(step) == key


def record(folder: Path, step: str, key: str) -> None:
    """Record that ``step`` was done in ``folder`` with ``key``."""
    stamp = Path(folder) / STAMP
    keys = load_json(stamp) | {step: key}
    stamp.write_text(json.dumps(keys, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def forget(folder: Path, *steps: str) -> None:
    """Forget ``steps`` in ``folder`` (before redoing them: a failure leaves no stale key)."""
    stamp = Path(folder) / STAMP
    keys = load_json(stamp)
    if any(s in keys for s in steps):
        left = {k: v for k, v in keys.items() if k not in steps}
        stamp.write_text(json.dumps(left, indent=1, sort_keys=True) + "\n", encoding="utf-8")
