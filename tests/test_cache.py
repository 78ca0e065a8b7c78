"""Tests of giftreview.pipeline.cache: the one cache key of run, compare and tutorial."""

from __future__ import annotations

from giftreview.pipeline import cache


def test_cache_key_depends_on_parameters_and_notebook_source(trivial_notebooks):
    src = trivial_notebooks / "overview.py"
    inputs = {"raw": "a", "library": "b"}
    key = cache.cache_key(inputs, {"k": 5}, src)
    assert key == cache.cache_key(inputs, {"k": 5}, src)
    assert key != cache.cache_key(inputs, {"k": 3}, src)
    assert key != cache.cache_key({**inputs, "raw": "c"}, {"k": 5}, src)
    src.write_text(src.read_text() + "\n# %%\n1\n")
    assert key != cache.cache_key(inputs, {"k": 5}, src)
