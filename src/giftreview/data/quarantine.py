"""Rows set aside before cleaning: blank rows, rows without an id, exact and near duplicates.

:func:`quarantine_plan` finds them in a whole table; a file read in blocks gathers the
:class:`RowKeys` of each block (:func:`row_keys`) and plans once for the whole file
(:func:`plan_from_keys`), so a duplicate is found whichever blocks its copies lie in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from giftreview.data.columns import ids_key, is_blank, spellings, strip, to_arrow
from giftreview.data.instrument import Instrument
from giftreview.data.readings import ColumnRead
from giftreview.data.rules import Rule, Rules

__all__ = [
    "RowKeys",
    "row_keys",
    "blank_rows",
    "quarantine_plan",
    "duplicate_cells",
    "plan_from_keys",
]


@dataclass
class RowKeys:
    """What the quarantine plan needs of each row, gathered block by block (:func:`row_keys`):
    ``rows`` the source rows, ``blank`` all cells blank, ``no_id`` a blank id, ``key`` the id
    key (:func:`~giftreview.data.columns.id_key`), ``rid`` the id as written (spaces dropped),
    ``when`` the submission time.
    """

    rows: np.ndarray
    blank: np.ndarray
    no_id: np.ndarray
    key: pa.Array
    rid: pa.Array
    when: np.ndarray

    @staticmethod
    def concat(parts: list[RowKeys]) -> RowKeys:
        """The keys of consecutive blocks as one."""

        def arrow(name: str) -> pa.Array:
            return pa.concat_arrays([getattr(p, name) for p in parts])

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(p, name) for p in parts])

        return RowKeys(
            *(joined(n) for n in ("rows", "blank", "no_id")),
            key=arrow("key"),
            rid=arrow("rid"),
            when=joined("when"),
        )


def row_keys(
    data: pd.DataFrame, instrument: Instrument, reads: dict[str, ColumnRead] | None = None
) -> RowKeys:
    """The :class:`RowKeys` of the rows of ``data`` (a whole table or one block of it, or only
    some of its columns: a row is then ``blank`` when blank in those): the blank rows by
    :func:`blank_rows`, the ids read once per distinct spelling."""
    reads = reads or {}
    id_col = instrument.raw.respondent_id
    n = len(data)
    blank = blank_rows(data, reads)
    id_codes, id_raw, _ = spellings(data[id_col])
    rid = strip(id_raw)
    no_id = ~blank & is_blank(id_raw)[id_codes]
    submitted = instrument.raw.submitted
    when = (
        reads[submitted].value[reads[submitted].codes]
        if submitted in reads
        else np.full(n, np.datetime64("NaT", "ns"))
    )
    take = pa.array(id_codes, pa.int64())
    return RowKeys(
        rows=np.asarray(data.index.to_numpy(), dtype=np.int64),
        blank=blank,
        no_id=no_id,
        key=ids_key(rid).take(take),  # Arrow to Arrow: no Python string per id
        rid=rid.take(take),
        when=np.asarray(when, dtype="datetime64[ns]"),
    )


def blank_rows(data: pd.DataFrame, reads: dict[str, ColumnRead] | None = None) -> np.ndarray:
    """Which rows of ``data`` are blank in every column: found column by column among the rows
    blank so far (after the first filled column hardly any are left to look at;
    :func:`is_blank`, or per distinct spelling of a column already read in ``reads``)."""
    reads = reads or {}
    n = len(data)
    left = np.arange(n)  # the rows blank in every column looked at so far
    for col in data.columns:
        if not len(left):
            break
        if col in reads:
            left = left[is_blank(reads[col].raw)[reads[col].codes[left]]]
        else:  # each cell left (cheaper than finding distinct values)
            cells = to_arrow(data[col].array)
            left = left[is_blank(cells if len(left) == n else cells.take(pa.array(left)))]
    blank = np.zeros(n, dtype=bool)
    blank[left] = True
    return blank


def quarantine_plan(
    data: pd.DataFrame,
    instrument: Instrument,
    rules: Rules,
    reads: dict[str, ColumnRead] | None = None,
) -> pd.DataFrame:
    """Rows to set aside, with the reason and an explanation.

    Rules, in order: ``all_blank`` (every cell blank); ``no_id`` (blank respondent id);
    ``exact_duplicate`` (every cell identical to an earlier row: the first is kept);
    ``near_duplicate`` (same id as another row with different answers: the latest submission is
    kept, by ``submitted``; when times tie or are unreadable, the row lower in the file).
    Ids are compared by :func:`~giftreview.data.columns.id_key`: surrounding spaces, case, Unicode
    width and invisible characters do not make two respondents.

    Two identical rows share their id, so only the rows whose id occurs more than once are
    compared, by hashing (:func:`pandas.util.hash_pandas_object` of their cells); rows whose
    hashes collide are then compared cell by cell, so a hash collision can never merge two
    different rows. A file read in blocks gathers those rows from every block first
    (:func:`plan_from_keys`). In R: ``duplicated(df)``.

    Returns
    -------
    pandas.DataFrame
        ``source_row, respondent_id, reason, message`` (index = source_row).
    """
    keys = row_keys(data, instrument, reads)
    return plan_from_keys(keys, instrument, lambda pos: duplicate_cells(data, pos))


def duplicate_cells(data: pd.DataFrame, pos: np.ndarray) -> pd.DataFrame:
    """The cells of the rows at positions ``pos`` of ``data`` (the rows :func:`plan_from_keys`
    compares), as text."""
    return data.iloc[pos].reset_index(drop=True).astype(object)


def plan_from_keys(
    keys: RowKeys, instrument: Instrument, cells: Callable[[np.ndarray], pd.DataFrame]
) -> pd.DataFrame:
    """The :func:`quarantine_plan` of the rows described by ``keys`` (all rows of the file);
    ``cells(pos)`` gives the cells of the rows at positions ``pos`` (ascending), which are the
    rows sharing an id with another."""
    id_col = instrument.raw.respondent_id
    rows, blank, no_id = keys.rows, keys.blank, keys.no_id
    live = np.flatnonzero(~blank & ~no_id)
    key_codes = np.asarray(pc.dictionary_encode(keys.key).indices, dtype=np.intp)
    shared = live[pd.Series(key_codes[live]).duplicated(keep=False).to_numpy()]
    first = live.copy()
    if len(shared):
        found = cells(shared)
        found[id_col] = np.asarray(keys.key.take(pa.array(shared)).to_pylist(), dtype=object)
        first[np.searchsorted(live, shared)] = shared[_first_copies(found)]
    exact = live[first != live]
    kept = first[first != live]
    remaining = live[first == live]
    near, near_kept = _near_duplicates(remaining, key_codes[remaining], keys.when[remaining])
    wanted = np.concatenate([exact, kept, near, near_kept]).astype(np.int64)
    rid = dict(zip(wanted.tolist(), keys.rid.take(pa.array(wanted)).to_pylist(), strict=True))
    plan = [
        *[(rows[i], "", Rule.ALL_BLANK, "every cell is blank") for i in np.flatnonzero(blank)],
        *[
            (rows[i], "", Rule.NO_ID, f"no {id_col}; the answers cannot be attributed")
            for i in np.flatnonzero(no_id)
        ],
        *[
            (
                rows[i],
                rid[i],
                Rule.EXACT_DUPLICATE,
                f"identical to row {rows[k]}; row {rows[k]} kept{_same_id_note(rid[i], rid[k])}",
            )
            for i, k in zip(exact.tolist(), kept.tolist(), strict=True)
        ],
        *[
            (
                rows[i],
                rid[i],
                Rule.NEAR_DUPLICATE,
                f"{rid[i]} submitted again with different answers; row {rows[k]} kept (the "
                f"latest submission){_same_id_note(rid[i], rid[k])}",
            )
            for i, k in zip(near.tolist(), near_kept.tolist(), strict=True)
        ],
    ]
    out = pd.DataFrame(plan, columns=["source_row", "respondent_id", "reason", "message"])
    out = out.astype({"source_row": "int64"}) if len(out) else out
    return out.sort_values("source_row", kind="stable").set_index("source_row", drop=False)


def _first_copies(cells: pd.DataFrame) -> np.ndarray:
    """For each row, the position (in ``cells``) of the first row identical to it (itself if
    none)."""
    pos = np.arange(len(cells))
    first = pos.copy()
    hashes = pd.util.hash_pandas_object(cells, index=False).to_numpy()
    candidates = pd.Series(hashes).duplicated(keep=False).to_numpy()
    if candidates.any():  # confirm on the cells themselves: a hash collision merges nothing
        sub = cells.iloc[np.flatnonzero(candidates)]
        group = sub.groupby(list(sub.columns), sort=False, dropna=False).ngroup().to_numpy()
        subpos = pos[candidates]
        firsts = pd.Series(subpos).groupby(group).transform("min").to_numpy()
        first[candidates] = firsts
    return first


def _same_id_note(rid: str, kept: str) -> str:
    if rid == kept:
        return ""
    return f" (its id {rid!r} is {kept!r} ignoring case, width and invisible characters)"


def _near_duplicates(
    live: np.ndarray, key: np.ndarray, when: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows sharing an id: all but the latest submission (ties and unreadable: lowest row), as
    ``(row positions, position of the row kept for each)``."""
    frame = pd.DataFrame({"pos": live, "key": key, "has": ~np.isnat(when), "when": when})
    frame = frame[frame.duplicated("key", keep=False)]
    if frame.empty:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    frame = frame.sort_values(["key", "has", "when", "pos"], kind="stable")
    keep = frame.groupby("key", sort=False)["pos"].transform("last").to_numpy()
    pos = frame["pos"].to_numpy()
    return pos[pos != keep], keep[pos != keep]
