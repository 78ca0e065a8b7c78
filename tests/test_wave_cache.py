"""report.wave.load_wave: the clean table read once per process, never changed by a caller."""

from __future__ import annotations

import pandas as pd

from giftreview.data.clean import clean_wave
from giftreview.paths import DATA_RAW
from giftreview.report import wave


def test_wave_read_once_and_kept_unchanged(tmp_path, instrument, monkeypatch):
    clean_wave(DATA_RAW / "ungift_2010.csv", instrument, wave="w", out_dir=tmp_path / "w")
    reads = []
    real = wave.io.load_clean
    monkeypatch.setattr(wave.io, "load_clean", lambda p, *a: reads.append(p) or real(p, *a))
    first = wave.load_wave(tmp_path / "w")
    first.iloc[0, 0] = "changed by a notebook"  # a caller edits its copy ...
    first["new"] = 1
    second = wave.load_wave(tmp_path / "w")
    assert len(reads) == 1  # ... the second opening reads nothing
    assert "new" not in second and second.iloc[0, 0] != "changed by a notebook"
    pd.testing.assert_frame_equal(second, real(tmp_path / "w"))
    # a rewritten clean table is read again
    clean_wave(DATA_RAW / "ungift_2012.csv", instrument, wave="w", out_dir=tmp_path / "w")
    third = wave.load_wave(tmp_path / "w")
    assert len(reads) == 2
    pd.testing.assert_frame_equal(third, real(tmp_path / "w"))
