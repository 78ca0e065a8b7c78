"""A breakdown's suppression and collapsed view, kept on disk under the report's cache key.

The joint audit of a collapsed view (:mod:`giftreview.analysis.disclosure.audit`) solves many
small linear and integer programs: seconds per question, more on a busy machine. Its result
depends only on the breakdown's counts and labels, the question type, the scale, ``k``, the
threshold and the library's code, so it is stored as JSON under the key
:func:`giftreview.pipeline.cache.cache_key` makes of exactly those (the library's sha256 and
version among the inputs: a change to the disclosure code recomputes everything). A rerun of a
notebook, or another notebook showing the same breakdown, reads it back instead of solving again.

Files: ``<folder>/<key>.json`` (the report's folder is ``data/processed/<wave>/views``), written
atomically (a temporary file renamed), so two notebooks running at once never read half a file.
A missing or unreadable file is a cache miss.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from giftreview import __version__
from giftreview.analysis.disclosure import Collapsed, Suppressed
from giftreview.pipeline.cache import cache_key, library_sha256, load_json

__all__ = ["VIEW_STEP", "view_key", "load_views", "store_views"]

#: the step name in the cache key
VIEW_STEP = "suppression and collapsed view"


def view_key(wide: pd.DataFrame, parameters: dict[str, Any]) -> str:
    """The cache key of one breakdown: its counts and labels, ``parameters``, the library."""
    payload = {
        "step": VIEW_STEP,
        "rows": [str(v) for v in wide.index],
        "columns": [str(v) for v in wide.columns],
        "counts": wide.to_numpy().astype(int).tolist(),
        **parameters,
    }
    return cache_key({"library": library_sha256(), "version": __version__}, payload)


def _frame(df: pd.DataFrame) -> dict[str, Any]:
    return {"index": [str(v) for v in df.index], "columns": [str(v) for v in df.columns],
            "data": df.to_numpy().tolist()}  # fmt: skip


def _unframe(d: dict[str, Any], index=None, columns=None) -> pd.DataFrame:
    return pd.DataFrame(
        d["data"],
        index=pd.Index(d["index"]) if index is None else index,
        columns=pd.Index(d["columns"]) if columns is None else columns,
    )


def _suppressed(res: Suppressed) -> dict[str, Any]:
    return {
        "display": _frame(res.display),
        "status": _frame(res.status),
        "n_primary": res.n_primary,
        "n_secondary": res.n_secondary,
        "hidden_totals": [str(v) for v in res.hidden_totals],
        "k": res.k,
    }


def _unsuppressed(d: dict[str, Any], like: pd.DataFrame | None) -> Suppressed:
    """A stored suppression; with ``like`` (the table it suppressed) its labels are restored."""
    rows = cols = None
    if like is not None:
        rows, cols = like.index, like.columns
    labels = {str(v): v for v in [*like.index, *like.columns]} if like is not None else {}
    return Suppressed(
        display=_unframe(
            d["display"],
            None if rows is None else pd.Index([*rows, "Total"][: len(d["display"]["index"])]),
            None if cols is None else pd.Index([*cols, "Total"][: len(d["display"]["columns"])]),
        ),
        status=_unframe(d["status"], rows, cols),
        n_primary=int(d["n_primary"]),
        n_secondary=int(d["n_secondary"]),
        hidden_totals=[labels.get(v, v) for v in d["hidden_totals"]],
        k=int(d["k"]),
    )


def store_views(folder: Path, key: str, full: Suppressed, view: Collapsed | None) -> None:
    """Write a breakdown's final suppression ``full`` and collapsed ``view`` under ``key``."""
    data: dict[str, Any] = {"full": _suppressed(full), "view": None}
    if view is not None:
        data["view"] = {
            "mapping": view.mapping,
            "groups": view.groups,
            "counts": _frame(view.counts),
            "suppressed": _suppressed(view.suppressed),
            "share": view.share,
            "full_share": view.full_share,
            "threshold": view.threshold,
        }
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{key}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(data), encoding="utf-8")
    os.replace(tmp, folder / f"{key}.json")


def load_views(
    folder: Path, key: str, wide: pd.DataFrame
) -> tuple[Suppressed, Collapsed | None] | None:
    """What :func:`store_views` wrote under ``key`` (None on a miss); ``wide``: the counts."""
    data = load_json(Path(folder) / f"{key}.json")
    if not data:
        return None
    try:
        full = _unsuppressed(data["full"], wide)
        v = data["view"]
        if v is None:
            return full, None
        counts = _unframe(v["counts"]).astype("int64")
        view = Collapsed(
            mapping=dict(v["mapping"]),
            groups=dict(v["groups"]),
            counts=counts,
            suppressed=_unsuppressed(v["suppressed"], counts),
            full=full,
            share=float(v["share"]),
            full_share=float(v["full_share"]),
            threshold=float(v["threshold"]),
        )
    except (KeyError, TypeError, ValueError):
        return None  # a file of another layout: computed again
    return full, view
