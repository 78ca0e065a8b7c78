"""Read an SPSS ``.sav`` export with pyreadstat: value labels become labels.

Without value labels the codes are kept as text and matched to the instrument's option codes by
cleaning; SPSS user-missing values become the instrument's missing codes their labels name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from giftreview.data.instrument import Instrument
from giftreview.data.rawcells import cell_text, note
from giftreview.errors import InputFileError

__all__ = ["sav_records"]


def sav_records(
    path: Path, instrument: Instrument
) -> tuple[list[list[str]], dict[str, Any], list[dict[str, Any]]]:
    """Records of a ``.sav`` file; user-missing values (``MISSING VALUES 99``) are kept
    (``user_missing=True``) and shown as the instrument's missing-code label their value label
    names, else as their value label or value with a note asking for an alias."""
    import pyreadstat

    try:
        df, meta = pyreadstat.read_sav(str(path), apply_value_formats=True, user_missing=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise InputFileError(
            f"cannot read the SPSS file, it is damaged or not a .sav file ({str(exc)[:200]}); "
            "export it from SPSS again (File > Save As > .sav) or as CSV",
            path=path,
        ) from None
    header = [str(c) for c in df.columns]
    body = [[cell_text(v) for v in row] for row in df.astype(object).itertuples(index=False)]
    notes = _user_missing(body, header, meta, instrument, path)
    return [header, *body], {"format": "sav", "encoding": meta.file_encoding}, notes


def _user_missing(body, header, meta, instrument: Instrument, path: Path) -> list[dict]:
    def norm_key(text: object) -> str:  # the key rules.norm_key matches labels by
        return " ".join(str(text).split()).casefold()

    codes: dict[str, str] = {}
    for m in [
        *instrument.missing_codes,
        *(c for q in instrument.questions for c in q.missing or []),
    ]:
        for spelling in (m.label, *m.aliases):
            codes.setdefault(norm_key(spelling), m.label)
    notes = []
    for j, col in enumerate(header):
        values = {cell_text(v) for v in meta.missing_user_values.get(col, [])}
        labels = meta.variable_value_labels.get(col, {})
        shown = values | {
            cell_text(labels[v]) for v in meta.missing_user_values.get(col, []) if v in labels
        }
        ranges = meta.missing_ranges.get(col, [])
        for i, row in enumerate(body):
            cell = row[j]
            if not cell or not (cell in shown or _in_ranges(cell, ranges)):
                continue
            label = codes.get(norm_key(cell))
            if label is not None:
                row[j] = label
                continue
            notes.append(
                note(
                    path,
                    i + 2,
                    col,
                    cell,
                    "spss_user_missing",
                    "kept",
                    f"SPSS user-missing value {cell!r} matches no missing code of the "
                    "instrument; add it as an alias of a missing code (missing_codes: "
                    "aliases) so it counts as that code",
                )  # fmt: skip
            )
    return notes


def _in_ranges(cell: str, ranges: list[dict]) -> bool:
    try:
        x = float(cell)
    except ValueError:
        return False
    return any(r.get("lo", x) <= x <= r.get("hi", x) for r in ranges)
