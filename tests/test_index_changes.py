"""The wave index lists each question's change since the previous wave (issue 14)."""

from __future__ import annotations

import json

from giftreview.report.index import changes_for, refresh_wave_index


def test_wave_index_lists_changes_linked_to_the_comparison(tmp_path):
    wave = tmp_path / "w2012"
    wave.mkdir()
    manifest = {
        "wave": "w2012",
        "title": "Survey <b>",
        "provenance": {"run date": "2026-01-01"},
        "notebooks": [
            {"title": "Part A", "status": "done", "outputs": {"html": "part_a.html"}},
        ],
    }
    (wave / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    cmp_dir = tmp_path / "compare_w2010_vs_w2012"
    cmp_dir.mkdir()
    (cmp_dir / "changes.csv").write_text(
        "question,heading,change,p_adjusted\n"
        'B1,"3) Importance <of> work","Important: 40.0% to 45.0% (+5.0 points)",0.231\n',
        encoding="utf-8",
    )
    (tmp_path / "compare_w2012_vs_w2014").mkdir()  # a comparison starting here: not listed
    found = changes_for(wave)
    assert [c.label for c in found] == ["since w2010"]
    assert found[0].rows[0].p_adjusted == "0.231"
    html = refresh_wave_index(wave).read_text(encoding="utf-8")
    assert "<h2>Changes since w2010</h2>" in html
    assert (
        '<a href="../compare_w2010_vs_w2012/compare.html">3) Importance &lt;of&gt; work</a>' in html
    )
    assert "Important: 40.0% to 45.0% (+5.0 points)" in html
    assert "Survey &lt;b&gt;" in html  # escaped like everything else
    assert '<a href="part_a.html">HTML</a>' in html
    assert refresh_wave_index(tmp_path / "absent") is None
