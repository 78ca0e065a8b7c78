"""Two renders of one wave into two folders are the same bytes and hold no path of the machine.

Issue 9, defects 2 and 3: with ``SOURCE_DATE_EPOCH`` set, ``giftreview run --force`` into
``A/report`` and into ``B/report`` must give byte-identical HTML, PDF (the combined
``appendix.pdf`` included), executed notebooks, index and manifest, and no output may contain
the temporary folder or the project root (a shared report must not reveal its author's
directories). The test runs twice (``repeat``) so that
``pytest -n 2`` runs two of them at the same time, as CI does.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from giftreview.paths import INSTRUMENTS, PROJ_ROOT

FIXTURE = Path(__file__).parent / "fixtures" / "report" / "hostile_answers_small.csv"
GIFTREVIEW = Path(sys.executable).parent / "giftreview"


def _project(tmp_path: Path) -> Path:
    """A project root in ``tmp_path`` holding the raw wave and the instrument with codebooks."""
    root = tmp_path / "project"
    (root / "data" / "raw").mkdir(parents=True)
    shutil.copy(FIXTURE, root / "data" / "raw" / "small.csv")
    shutil.copytree(INSTRUMENTS, root / "instruments")
    return root


def _run(root: Path, out: Path) -> None:
    cmd = [str(GIFTREVIEW), "run", "data/raw/small.csv", "--out", str(out), "--force"]
    env = {**os.environ, "GIFTREVIEW_ROOT": str(root), "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr


def _difference(a: Path, b: Path) -> str:
    """Where two PDFs first differ, for the failure message: the objects as ``qpdf --qdf``
    writes them (uncompressed), a few lines either side. A PDF of part_b_open once differed
    under load and could not be reproduced; this says what differed if it happens again."""
    lines = []
    for path in (a, b):
        done = subprocess.run(
            ["qpdf", "--qdf", "--object-streams=disable", str(path), "-"],
            capture_output=True,
            timeout=120,
        )
        lines.append(done.stdout.split(b"\n"))
    first = next(
        (i for i, (x, y) in enumerate(zip(*lines, strict=False)) if x != y), min(map(len, lines))
    )
    window = slice(max(first - 3, 0), first + 4)
    return (
        f"{a.name} ({a.stat().st_size} vs {b.stat().st_size} bytes), qdf line {first}: "
        + repr((lines[0][window], lines[1][window]))[:3000]
    )


def _untimed(manifest: Path) -> dict:
    data = json.loads(manifest.read_text(encoding="utf-8"))
    for nb in data["notebooks"]:
        assert isinstance(nb.pop("seconds"), float | int)
    return data


@pytest.mark.slow
@pytest.mark.needs("chromium")
@pytest.mark.parametrize("repeat", [1, 2])
def test_two_runs_into_two_folders_are_byte_identical_without_machine_paths(tmp_path, repeat):
    root = _project(tmp_path)
    a, b = tmp_path / "A" / "report", tmp_path / "B" / "report"
    _run(root, a)
    _run(root, b)
    files = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    kinds = {Path(f).suffix for f in files}
    assert {".html", ".pdf", ".ipynb", ".json"} <= kinds
    assert "appendix.pdf" in files  # the combined appendix (title page, contents) too
    # the appendix CSVs land beside the pages that link them, not in the project under the
    # output folder's name (the kernel once got only the name of a folder outside the project)
    linked = {
        href
        for f in files
        if f.endswith(".html")
        for href in re.findall(r'href="([^"#:]+\.csv)"', (a / f).read_text(encoding="utf-8"))
    }
    assert linked and all((a / href).is_file() for href in linked), sorted(linked)[:5]
    assert not (root / a.name).exists()
    differ = [f for f in files if (a / f).read_bytes() != (b / f).read_bytes()]
    # manifest.json also logs how long each notebook took (the next run schedules the longest
    # first); everything else in it must be the same
    explain = [_difference(a / f, b / f) for f in differ if f.endswith(".pdf")]
    assert differ in ([], ["manifest.json"]), (
        f"run {repeat}: not byte-identical: {differ} {explain}"
    )
    assert _untimed(a / "manifest.json") == _untimed(b / "manifest.json")
    machine = [str(tmp_path), str(tmp_path.resolve()), str(PROJ_ROOT), str(Path.home())]
    leaks = {
        f: [m for m in machine if m.encode() in (a / f).read_bytes()]
        for f in files
        if any(m.encode() in (a / f).read_bytes() for m in machine)
    }
    assert leaks == {}, f"absolute paths in outputs: {leaks}"
