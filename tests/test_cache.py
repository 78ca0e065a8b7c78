"""Tests of giftreview.pipeline.cache: the one cache key of run, compare and tutorial."""

from __future__ import annotations

import hashlib
from pathlib import Path

from giftreview import paths
from giftreview.data.clean import clean_wave
from giftreview.pipeline import cache
from giftreview.report import comparison

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"


def test_cache_key_depends_on_parameters_and_notebook_source(trivial_notebooks):
    src = trivial_notebooks / "overview.py"
    inputs = {"raw": "a", "library": "b"}
    key = cache.cache_key(inputs, {"k": 5}, src)
    assert key == cache.cache_key(inputs, {"k": 5}, src)
    assert key != cache.cache_key(inputs, {"k": 3}, src)
    assert key != cache.cache_key({**inputs, "raw": "c"}, {"k": 5}, src)
    src.write_text(src.read_text() + "\n# %%\n1\n")
    assert key != cache.cache_key(inputs, {"k": 5}, src)


def test_compare_cleans_again_after_a_change_of_the_library(tmp_path, monkeypatch, instrument):
    """Issue 9: compare's clean-data reuse ignored the library; now it shares run's key."""
    monkeypatch.setattr(paths, "DATA_PROCESSED", tmp_path / "processed")
    cleaned = []

    def spy(raw, inst, **kwargs):
        cleaned.append(Path(raw).name)
        return clean_wave(raw, inst, **kwargs)

    monkeypatch.setattr(comparison, "clean_wave", spy)
    monkeypatch.setattr(cache, "library_sha256", lambda: "library v1")
    first = comparison._clean(FIXTURE, instrument)
    again = comparison._clean(FIXTURE, instrument)
    assert cleaned == [FIXTURE.name]  # the second call read data/processed/<wave>
    assert again.equals(first)
    monkeypatch.setattr(cache, "library_sha256", lambda: "library v2")  # cleaning code changed
    comparison._clean(FIXTURE, instrument)
    assert cleaned == [FIXTURE.name] * 2
    # the key recorded is the one `giftreview run` checks before cleaning the same wave
    key = cache.clean_key(cache.input_hashes(FIXTURE, instrument), FIXTURE.stem)
    assert cache.is_current(paths.processed_dir(FIXTURE.stem), cache.CLEAN_STEP, key)


def test_input_hashes_cover_raw_instrument_codebooks_and_library(instrument):
    inputs = cache.input_hashes(FIXTURE, instrument)
    assert inputs["raw"] == hashlib.sha256(FIXTURE.read_bytes()).hexdigest()
    assert inputs["instrument"] == hashlib.sha256(instrument.path.read_bytes()).hexdigest()
    open_ids = [q.id for q in instrument.questions_of_type("open") if q.codebook]
    assert sorted(inputs["codebooks"]) == sorted(open_ids) and open_ids
    assert inputs["library"] == cache.library_sha256()
    both = cache.input_hashes([FIXTURE, FIXTURE], instrument)
    assert both["raw"] == [inputs["raw"]] * 2


def test_stamps_record_and_forget_steps(tmp_path):
    assert not cache.is_current(tmp_path, "clean", "k1")
    cache.record(tmp_path, "clean", "k1")
    cache.record(tmp_path, "family", "k2")
    assert cache.is_current(tmp_path, "clean", "k1") and not cache.is_current(
        tmp_path, "clean", "k2"
    )
    cache.forget(tmp_path, "clean")
    assert not cache.is_current(tmp_path, "clean", "k1") and cache.is_current(
        tmp_path, "family", "k2"
    )
