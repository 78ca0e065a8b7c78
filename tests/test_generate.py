"""The synthetic data generator: deterministic bytes, sha256 in data/raw/README.md, planted mess."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import io
import re
import sys

import pytest

from giftreview.paths import DATA_RAW, PROJ_ROOT

GENERATOR = PROJ_ROOT / "scripts" / "generate_synthetic.py"


@pytest.fixture(scope="module")
def gen():
    spec = importlib.util.spec_from_file_location("generate_synthetic", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_synthetic"] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(gen, tmp_path_factory):
    out = tmp_path_factory.mktemp("raw")
    return out, gen.generate(out)


def _readme_sums() -> dict[str, str]:
    text = (DATA_RAW / "README.md").read_text(encoding="utf-8")
    return {m[2]: m[1] for m in re.finditer(r"^([0-9a-f]{64})  (\S+)$", text, flags=re.M)}


def test_readme_says_synthetic_and_names_the_command():
    text = (DATA_RAW / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text
    assert "make data" in text


def test_rerun_gives_the_committed_bytes(generated):
    out, sums = generated
    readme = _readme_sums()
    assert set(readme) == set(sums)
    for name, digest in sums.items():
        assert readme[name] == digest, f"{name}: generator output differs from README sha256"
        committed = (DATA_RAW / name).read_bytes()
        assert hashlib.sha256(committed).hexdigest() == digest, f"committed {name} differs"
        assert (out / name).read_bytes() == committed


def test_only_the_two_wave_files_at_the_top_of_raw():
    assert sorted(p.name for p in DATA_RAW.glob("*.csv")) == ["ungift_2010.csv", "ungift_2012.csv"]


def _rows(path, encoding, delimiter):
    text = path.read_bytes().decode(encoding)
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_encodings_delimiters_and_overlap(generated):
    out, _ = generated
    assert (out / "ungift_2012.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    with pytest.raises(UnicodeDecodeError):
        (out / "ungift_2010.csv").read_bytes().decode("utf-8")
    w10 = _rows(out / "ungift_2010.csv", "cp1252", ";")
    w12 = _rows(out / "ungift_2012.csv", "utf-8-sig", ",")
    ids10 = {r["respondent_id"].strip() for r in w10} - {""}
    ids12 = {r["respondent_id"].strip() for r in w12} - {""}
    assert (len(ids10), len(ids12)) == (120, 140)
    both = ids10 & ids12
    # data/raw/README.md: "65 organizations (one third of the 195) answer both waves";
    # 120 + 140 - 65 = 195
    assert (len(both), len(ids10 | ids12)) == (65, 195)
    names10 = {r["respondent_id"].strip(): r["organization"] for r in w10}
    names12 = {r["respondent_id"].strip(): r["organization"] for r in w12}
    assert all(names10[i] == names12[i] for i in both)


def test_planted_problems_present(generated):
    out, _ = generated
    text = (out / "ungift_2010.csv").read_bytes().decode("cp1252")
    text12 = (out / "ungift_2012.csv").read_bytes().decode("utf-8-sig")
    for needle in ("<script>alert(1)</script>", "=HYPERLINK(", "@example.org", "São Paulo"):
        assert needle in text and needle in text12
    for needle in ("about ", "none", " staff", "Private foundation", "UNDOC"):
        assert needle in text
    assert "Łódź" in text12
    rows = _rows(out / "ungift_2010.csv", "cp1252", ";")
    assert sum(all(v == "" for v in r.values()) for r in rows) == 2
    assert sum(r["respondent_id"] == "" and r["sector"] != "" for r in rows) == 1


def test_truth_uses_codebook_theme_ids(gen, generated):
    out, _ = generated
    for wave in ("2010", "2012"):
        rows = _rows(out / "synthetic_truth" / f"ungift_{wave}_themes.csv", "utf-8", ",")
        assert rows
        for r in rows:
            assert r["theme"] in gen.THEMES[r["question"]]


def test_many_themes_more_common_than_other_themes(generated):
    """'Many respondents...' (bringing_together) beats 'Other respondents...' (programmes_pilots)."""
    out, _ = generated
    rows = _rows(out / "synthetic_truth" / "ungift_2012_themes.csv", "utf-8", ",")
    count = {
        t: sum(r["theme"] == t for r in rows) for t in ("bringing_together", "programmes_pilots")
    }
    assert count["bringing_together"] > 2 * count["programmes_pilots"]
