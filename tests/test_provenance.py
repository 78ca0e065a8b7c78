"""Tests of giftreview.pipeline.provenance: run date and portable paths."""

from __future__ import annotations

import pytest

from giftreview.errors import ArgumentError
from giftreview.pipeline import provenance


def test_bad_source_date_epoch_is_named(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ArgumentError, match="SOURCE_DATE_EPOCH='yesterday' is not an integer"):
        provenance.run_date()
