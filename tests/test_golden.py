"""Cleaning the bundled waves gives the same outputs, byte for byte, as before the per-value rewrite.

The golden copies in ``tests/fixtures/golden/<wave>/`` were written by the code at commit 023a675
(cell-by-cell validation and cleaning, before issue 11) with::

    clean_wave(DATA_RAW / f"{wave}.csv", load_instrument(), out_dir=tmp)

and copying ``audit.csv``, ``validation.csv``, ``quarantine.csv`` and ``clean.csv`` from ``tmp``.
The vectorised rewrite (issue 11) must keep every row of them: same cells audited, same problems
reported, same rows quarantined, same clean values. When a deliberate change of behaviour alters
them (a new rule, a new column), regenerate them with the call above and say why in the commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from giftreview.data.clean import clean_wave
from giftreview.paths import DATA_RAW

GOLDEN = Path(__file__).parent / "fixtures" / "golden"
FILES = ("audit.csv", "validation.csv", "quarantine.csv", "clean.csv")


@pytest.fixture(scope="module", params=["ungift_2010", "ungift_2012"])
def cleaned(request, instrument, tmp_path_factory):
    out = tmp_path_factory.mktemp(request.param)
    clean_wave(DATA_RAW / f"{request.param}.csv", instrument, out_dir=out)
    return request.param, out


@pytest.mark.parametrize("name", FILES)
def test_outputs_match_golden_copies(cleaned, name):
    wave, out = cleaned
    got = (out / name).read_bytes()
    want = (GOLDEN / wave / name).read_bytes()
    if got != want:  # name the first differing line, not just "bytes differ"
        pairs = zip(got.decode().splitlines(), want.decode().splitlines(), strict=False)
        first = next(((i, g, w) for i, (g, w) in enumerate(pairs, 1) if g != w), None)
        pytest.fail(f"{wave}/{name} differs from the golden copy; first difference: {first}")
    assert len(want) > 1000  # the golden copies hold real rows, not just a header
