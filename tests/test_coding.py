"""Tests of giftreview.text.codebook, coding, frequencies, quality and sheets: codebooks, auto-coding, coding sheets, theme frequencies."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook
from statsmodels.stats.proportion import proportion_confint

from giftreview.errors import (
    ArgumentError,
    DataValidationError,
    InputFileError,
    InstrumentError,
)
from giftreview.paths import CODEBOOKS
from giftreview.text import coding
from giftreview.text.codebook import codebook_for, load_codebook, parse_codebook
from giftreview.text.coding import auto_code, code_question, sentences
from giftreview.text.frequencies import theme_frequencies
from giftreview.text.narrative import select_quotes
from giftreview.text.quality import check_codebook, compare_with_reference
from giftreview.text.sheets import export_sheet, import_sheets

# The theme ids agreed with the synthetic-data generator (issue 4); they must not drift.
THEME_IDS = {
    "B2": ["bringing_together", "coordination", "information_exchange", "partnerships",
           "networks_access", "central_reference", "global_report", "awareness",
           "grassroots_dissemination", "programmes_pilots", "project_partnering", "private_sector"],
    "B3": ["leveraging_sectors", "significant_fragmented", "diffuse_undefined",
           "awareness_advocacy", "global_report", "publications", "pilot_results", "seed_money",
           "international_platform", "interagency_coordination"],
    "B4": ["close_relationship", "early_engagement", "communication", "focal_points",
           "ngo_outreach", "civil_society_early", "local_ngo_access", "regional_awareness"],
    "B5": ["campaigns", "reports_expertise", "action_plans", "training", "data_victims",
           "referral", "private_sector_engagement", "advocacy_programmes"],
    "B7": ["unique_un_initiative", "outside_partnerships", "conferences", "local_ngos",
           "campaigns_media", "communication_strategy", "guidelines", "seed_funding"],
}  # fmt: skip


@pytest.fixture
def hostile(fixtures_dir) -> pd.DataFrame:
    """Answers to B4 that carry formulas, a script tag and personal data."""
    return pd.read_csv(fixtures_dir / "coding" / "hostile_answers.csv", dtype="string")


@pytest.fixture
def b4(instrument):
    return codebook_for(instrument, "B4")


# ---- codebooks ----------------------------------------------------------------------------------
@pytest.mark.parametrize("qid", sorted(THEME_IDS))
def test_shipped_codebooks_have_the_agreed_theme_ids(instrument, qid):
    cb = codebook_for(instrument, qid)
    assert cb.question == qid
    assert cb.ids == THEME_IDS[qid]
    assert all(t.stem and t.description and t.example for t in cb.themes)


@pytest.mark.parametrize("qid", sorted(THEME_IDS))
def test_every_example_is_coded_with_its_own_theme(instrument, qid):
    report = check_codebook(codebook_for(instrument, qid))
    assert report[report["kind"] == "example"].empty, report.to_string()


def test_bad_regex_names_file_theme_and_fix(fixtures_dir):
    path = fixtures_dir / "coding" / "bad_regex.yaml"
    with pytest.raises(InstrumentError, match=r"bad_regex\.yaml: themes\.coordination\.include"):
        load_codebook(path)
    with pytest.raises(InstrumentError, match=r"not a valid regular expression.*fix it"):
        load_codebook(path)


def test_duplicate_theme_id_is_reported(fixtures_dir):
    with pytest.raises(InstrumentError, match=r"theme id 'awareness' repeats \(themes number"):
        load_codebook(fixtures_dir / "coding" / "duplicate_theme_id.yaml")


def test_unknown_key_suggests_the_right_one(fixtures_dir):
    with pytest.raises(
        InstrumentError, match=r"themes\.partnerships\.includes: unknown key; did you mean include"
    ):
        load_codebook(fixtures_dir / "coding" / "unknown_key.yaml")


def test_missing_codebook_file(tmp_path):
    with pytest.raises(InstrumentError, match="codebook file not found"):
        load_codebook(tmp_path / "nope.yaml")


def _codebook(**theme_overrides):
    theme = {
        "id": "coord",
        "label": "Coordination",
        "description": "d",
        "include": ["coordinat\\w*"],
        "exclude": ["not\\s+coordinat\\w*"],
        "example": "It coordinates.",
        "stem": "referred to coordination",
    }
    other = {**theme, "id": "net", "include": ["networks?", "coordination\\s+network"],
             "exclude": [], "example": "A network."}  # fmt: skip
    return parse_codebook(
        {"question": "B2", "title": "t", "themes": [{**theme, **theme_overrides}, other]}
    )


def test_check_codebook_reports_dead_and_overlapping_patterns():
    cb = _codebook()
    report = check_codebook(cb, ["A coordination network helps.", "Nothing else."])
    assert set(report["kind"]) == {"overlap"}
    report = check_codebook(cb, ["Only networks here."])
    dead = report[report["kind"] == "dead"]
    assert set(dead["pattern"]) == {"coordinat\\w*", "coordination\\s+network"}


# ---- auto-coding ----------------------------------------------------------------------------------
def test_sentences_do_not_break_inside_un_gift():
    text = "UN.GIFT helps. It coordinates; really!\nNew line"
    assert [text[s:e] for s, e in sentences(text)] == [
        "UN.GIFT helps.",
        "It coordinates;",
        "really!",
        "New line",
    ]


def test_auto_code_is_multi_label_keeps_evidence_and_applies_exclusions():
    cb = _codebook()
    answers = pd.Series(
        {
            "r1": "We value coordination. Also the network.",
            "r2": "They did not coordinate.",
            "r3": "Nothing relevant",
        }  # fmt: skip
    )
    codes = auto_code(answers, cb)
    assert sorted(zip(codes["respondent_id"], codes["theme"], strict=True)) == [
        ("r1", "coord"),
        ("r1", "net"),
    ]
    for r in codes.itertuples():
        assert answers[r.respondent_id][r.start : r.end] == r.evidence
    assert codes.loc[codes["theme"] == "coord", "evidence"].item() == "coordination"


def test_exclusion_keeps_civil_society_out_of_early_engagement(b4):
    codes = auto_code(pd.Series({"x": "Involve civil society early in project formulation."}), b4)
    assert set(codes["theme"]) == {"civil_society_early"}


def test_code_question_lists_uncoded_and_skips_blank(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    assert list(coded.answered["respondent_id"]) == ["R01", "R02", "R03", "R04", "R05", "R06"]
    assert list(coded.uncoded["respondent_id"]) == ["R06"]
    assert set(coded.sources["source"]) == {"auto"}
    assert {"communication", "focal_points", "ngo_outreach", "close_relationship"} <= set(
        coded.codes["theme"]
    )


def test_code_question_rejects_a_table_with_repeated_ids(instrument, hostile):
    bad = pd.concat([hostile, hostile.iloc[[0]]], ignore_index=True)
    # the 7-row fixture plus a copy of row 0 as row 7: rows 0 and 7 share an id
    with pytest.raises(
        DataValidationError, match=r"respondent_id is missing or repeated in rows \[0, 7\]"
    ):
        code_question(bad, instrument, "B4")


def test_arrow_ids_are_checked_for_each_table_not_once(instrument, hostile):
    # Arrow-backed ids are checked by one hash count, kept for the very same buffers: a table
    # found distinct must not let a later table with a repeated or a missing id through
    # (expected rows worked out by hand: the repeated id is in rows 0 and 3, the missing one in 2)
    ids = pd.array(["R01", "R02", "R03", "R04"], dtype=pd.StringDtype("pyarrow"))
    data = pd.DataFrame({"respondent_id": ids, "B4": ["Training.", "Trust", "  ", None]})
    assert list(coding.answers_of(data, "B4")["respondent_id"]) == ["R01", "R02"]
    assert list(coding.answers_of(data, "B4")["answer"]) == ["Training.", "Trust"]
    repeated = data.assign(
        respondent_id=pd.array(["R01", "R02", "R03", "R01"], dtype=pd.StringDtype("pyarrow"))
    )
    with pytest.raises(DataValidationError, match=r"missing or repeated in rows \[0, 3\]"):
        coding.answers_of(repeated, "B4")
    missing = data.assign(
        respondent_id=pd.array(["R01", "R02", None, "R04"], dtype=pd.StringDtype("pyarrow"))
    )
    with pytest.raises(DataValidationError, match=r"missing or repeated in rows \[2\]"):
        coding.answers_of(missing, "B4")


def _chunked(values: list[str | None], at: int) -> pd.arrays.ArrowStringArray:
    """Pandas' Arrow strings held in two Arrow chunks (as a parquet file of two row groups)."""
    chunks = pa.chunked_array([values[:at], values[at:]], type=pa.large_string())
    return pd.array(chunks, dtype=pd.StringDtype("pyarrow"))


def test_positions_kept_for_ids_in_several_chunks(instrument, hostile):
    # a clean table read from parquet holds its ids in one Arrow chunk per row group: the
    # coding's positions are used for that very table (not only for one-chunk columns), and
    # give what looking the ids up gives (the same table with its ids copied: no positions)
    data = hostile.assign(B4=hostile["B4"].astype(str).where(hostile["B4"].notna()))
    data["organization"] = [f"Org {i}" for i in range(len(data))]
    data["respondent_id"] = _chunked([str(x) for x in hostile["respondent_id"]], 3)
    coded = code_question(data, instrument, "B4")
    assert coded.rows_in(data) is not None
    copied = data.assign(respondent_id=pd.array(list(data["respondent_id"]), dtype="string"))
    assert coded.rows_in(copied) is None
    for by in (None, "A1"):
        pd.testing.assert_frame_equal(
            theme_frequencies(coded, data, by=by), theme_frequencies(coded, copied, by=by)
        )
    pd.testing.assert_frame_equal(select_quotes(coded, data), select_quotes(coded, copied))


def test_code_question_needs_an_open_question(instrument, hostile):
    with pytest.raises(ArgumentError, match="question B8 is 'list' and names no codebook"):
        code_question(hostile.assign(B8="x"), instrument, "B8")


_WORDS = ["a", "focal point", "NGOs", "trust", ".", ";", "\n", "=1+1", "<b>", "UN.GIFT", "  "]


@given(
    st.lists(st.lists(st.sampled_from(_WORDS), max_size=12).map(" ".join), min_size=1, max_size=8)
)
def test_no_answer_is_dropped_and_spans_are_exact(texts):
    cb = load_codebook(CODEBOOKS / "B4_steps_ungift.yaml")
    data = pd.DataFrame({"respondent_id": [f"r{i}" for i in range(len(texts))], "B4": texts})
    answered = coding.answers_of(data, "B4")
    assert len(answered) == sum(bool(t.strip()) for t in texts)
    codes = auto_code(answered.set_index("respondent_id")["answer"], cb)
    coded_ids = set(codes["respondent_id"])
    assert coded_ids <= set(answered["respondent_id"])
    text = dict(zip(answered["respondent_id"], answered["answer"], strict=True))
    for r in codes.itertuples():
        assert text[r.respondent_id][r.start : r.end] == r.evidence


def test_paraphrases_written_apart_from_the_generator_are_mostly_coded(instrument, fixtures_dir):
    # Answers written by hand for this test (one per theme, new wording of the review's ideas),
    # not taken from the synthetic data generator. Recall must stay high as patterns change.
    para = pd.read_csv(fixtures_dir / "coding" / "paraphrases.csv")
    hits = 0
    for qid, g in para.groupby("question"):
        cb = codebook_for(instrument, qid)
        codes = auto_code(pd.Series(g["answer"].to_numpy(), index=g.index.astype(str)), cb)
        got = set(zip(codes["respondent_id"], codes["theme"], strict=True))
        hits += sum((str(i), t) in got for i, t in zip(g.index, g["theme"], strict=True))
    assert hits / len(para) >= 0.9


# ---- human precedence, frequencies ----------------------------------------------------------------
def _human(codebook, rows) -> coding.HumanCodes:
    codes = pd.DataFrame(rows, columns=["respondent_id", "coder", "theme", "value"])
    empty = pd.DataFrame(columns=["file", "row", "respondent_id", "column", "value", "severity",
                                  "problem"])  # fmt: skip
    return coding.HumanCodes(codebook.question, codes, empty, sorted(set(codes["coder"])))


def test_human_codes_replace_auto_codes_for_the_answers_they_cover(instrument, hostile, b4):
    rows = [("R01", "ann", t, int(t == "focal_points")) for t in b4.ids]
    rows += [("R01", "bob", t, int(t in ("focal_points", "communication"))) for t in b4.ids]
    coded = code_question(hostile, instrument, "B4", human=_human(b4, rows))
    r01 = coded.codes[coded.codes["respondent_id"] == "R01"]
    assert list(r01["theme"]) == ["focal_points"]  # majority of two coders: both must agree
    assert set(r01["source"]) == {"human"}
    assert coded.sources.set_index("respondent_id")["source"].to_dict()["R01"] == "human"
    anyrule = code_question(hostile, instrument, "B4", human=_human(b4, rows), rule="any")
    assert set(anyrule.codes.query("respondent_id == 'R01'")["theme"]) == {
        "focal_points",
        "communication",
    }
    freq = theme_frequencies(coded, hostile, k=0).set_index("theme")
    assert freq.loc["focal_points", ["n", "n_auto", "n_human", "source"]].tolist() == [
        3, 2, 1, "auto+human",
    ]  # fmt: skip


def test_theme_frequencies_counts_base_and_wilson_interval(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    freq = theme_frequencies(coded, hostile, k=0, confidence=0.9)
    row = freq.set_index("theme").loc["focal_points"]
    assert (row["n"], row["base"]) == (2, 6)
    lo, hi = proportion_confint(2, 6, alpha=0.1, method="wilson")
    assert row["pct"] == pytest.approx(100 * 2 / 6)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((100 * lo, 100 * hi))
    assert list(freq["n"]) == sorted(freq["n"], reverse=True)


def test_theme_frequencies_by_group_suppresses_small_cells(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    freq = theme_frequencies(coded, hostile, by="A1", k=5)
    assert list(freq["group"].cat.categories)[0] == "All"
    groups = freq[freq["group"] != "All"]
    assert (groups["suppressed"] != "").all()
    assert set(groups["n_display"]) <= {"<5", "x"}
    assert groups["pct"].isna().all()
    off = theme_frequencies(coded, hostile, by="A1", k=0)
    assert (off["suppressed"] == "").all()
    with pytest.raises(ArgumentError, match="`confidence` must lie between 0 and 1"):
        theme_frequencies(coded, hostile, confidence=95)


def test_compare_with_reference(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    ref = pd.DataFrame(
        {
            "respondent_id": ["R02", "R03", "R06"],
            "theme": ["focal_points", "ngo_outreach", "communication"],
        }
    )
    allrow = compare_with_reference(coded, ref).iloc[-1]
    assert allrow["theme"] == "(all)"
    assert (allrow["tp"], allrow["fn"]) == (2, 1)
    assert allrow["precision"] == pytest.approx(2 / len(coded.codes))


# ---- coding sheets --------------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_sheet_round_trip(instrument, hostile, tmp_path, suffix):
    coded = code_question(hostile, instrument, "B4")
    path = export_sheet(coded, hostile, tmp_path / f"ann{suffix}", coder="ann")
    human = import_sheets([path], coded.codebook, hostile)
    assert human.coders == ["ann"]
    assert (human.problems["severity"] != "error").all()
    again = code_question(hostile, instrument, "B4", human=human)
    auto = sorted(zip(coded.codes["respondent_id"], coded.codes["theme"], strict=True))
    assert sorted(zip(again.codes["respondent_id"], again.codes["theme"], strict=True)) == auto
    assert set(again.codes["source"]) == {"human"}


def test_xlsx_sheet_neutralises_formulas(instrument, hostile, tmp_path):
    coded = code_question(hostile, instrument, "B4")
    path = export_sheet(coded, hostile, tmp_path / "sheet.xlsx")
    ws = load_workbook(path)["coding"]
    header = [c.value for c in ws[1]]
    answers = [row[header.index("answer")] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert answers[0].startswith("'=HYPERLINK(")
    assert answers[1].startswith("'+cmd")
    assert answers[3].startswith("'@SUM")
    assert answers[4].startswith("'-2+3")
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"  # nothing is stored as a formula
    assert {"theme", "label"} <= {c.value for c in load_workbook(path)["codebook"][1]}


def test_csv_sheet_neutralises_formulas(instrument, hostile, tmp_path):
    coded = code_question(hostile, instrument, "B4")
    path = export_sheet(coded, hostile, tmp_path / "sheet.csv")
    raw = pd.read_csv(path, dtype=str, encoding="utf-8-sig")
    assert not raw["answer"].str.match(r"^[=+\-@\t\r]").any()


def _edited_csv(instrument, hostile, tmp_path, name="bob", edit=None):
    coded = code_question(hostile, instrument, "B4")
    path = export_sheet(coded, hostile, tmp_path / f"{name}.csv", coder=name)
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    if edit is not None:
        sheet = edit(sheet)
    sheet.to_csv(path, index=False, encoding="utf-8-sig")
    return coded, path


def test_import_reports_unknown_theme_with_suggestion(instrument, hostile, tmp_path):
    coded, path = _edited_csv(
        instrument,
        hostile,
        tmp_path,
        edit=lambda s: s.rename(columns={"focal_points": "focal_point"}),
    )
    with pytest.raises(
        InputFileError, match=r"unknown theme id 'focal_point'.*did you mean focal_points"
    ):
        import_sheets([path], coded.codebook, hostile)


def test_import_reports_changed_answer_text(instrument, hostile, tmp_path):
    def edit(s):
        s.loc[1, "answer"] = "I rewrote this answer."
        return s

    coded, path = _edited_csv(instrument, hostile, tmp_path, edit=edit)
    with pytest.raises(InputFileError, match=r"row 3: answer text of R02 differs from the data"):
        import_sheets([path], coded.codebook, hostile)
    lenient = import_sheets([path], coded.codebook, hostile, strict=False)
    assert "R02" not in set(lenient.codes["respondent_id"])
    assert (lenient.problems["severity"] == "error").sum() == 1


def test_import_reports_missing_rows_and_bad_cells(instrument, hostile, tmp_path):
    def edit(s):
        s.loc[0, "communication"] = "maybe"
        return s.drop(index=[2])

    coded, path = _edited_csv(instrument, hostile, tmp_path, edit=edit)
    human = import_sheets([path], coded.codebook, hostile, strict=False)
    probs = human.problems
    assert probs["problem"].str.contains("answer of R03 is missing from the sheet").any()
    assert probs["problem"].str.contains("cell 'maybe' under theme communication is not 1/0").any()
    assert set(probs.loc[probs["respondent_id"] == "R03", "severity"]) == {"warning"}


def test_import_two_coders_and_repeated_coder(instrument, hostile, tmp_path):
    coded, a = _edited_csv(instrument, hostile, tmp_path, name="ann")
    _, b = _edited_csv(instrument, hostile, tmp_path, name="bob")
    human = import_sheets([a, b], coded.codebook, hostile)
    assert human.coders == ["ann", "bob"]
    assert len(human.codes) == 2 * 6 * len(coded.codebook.ids)
    with pytest.raises(InputFileError, match="coder 'ann' also coded another sheet"):
        import_sheets([a, a], coded.codebook, hostile)


def test_export_refuses_data_raw(instrument, hostile):
    from giftreview.paths import DATA_RAW

    coded = code_question(hostile, instrument, "B4")
    with pytest.raises(ArgumentError, match="under data/raw"):
        export_sheet(coded, hostile, DATA_RAW / "sheet.xlsx")


def test_cli_export_import_reliability(hostile, tmp_path, monkeypatch, capsys):
    from giftreview.cli import app as cli

    monkeypatch.setattr("giftreview.data.io.load_clean", lambda folder: hostile)
    wave = str(tmp_path)
    for name in ("a", "b"):
        cli.main(["coding", "export", wave, "B4", "--out", str(tmp_path / f"{name}.csv"),
                  "--coder", name])  # fmt: skip
    assert "6 answers, 8 themes (1 answers without an auto code)" in capsys.readouterr().out
    sheets = [str(tmp_path / "a.csv"), str(tmp_path / "b.csv")]
    cli.main(["coding", "import", wave, "B4", *sheets])
    out = capsys.readouterr().out
    assert "coders: a, b" in out and "B4_codes.csv" in out
    cli.main(["coding", "reliability", wave, "B4", *sheets, "--n-boot", "20"])
    assert "(overall)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exc:
        cli.main(["coding", "import", wave, "B4", str(tmp_path / "missing.csv")])
    assert exc.value.code == InputFileError.exit_code
    err = " ".join(capsys.readouterr().err.split())
    assert "missing.csv" in err and "Traceback" not in err


def test_missing_theme_column_keeps_auto_codes_for_that_theme(instrument, hostile, tmp_path):
    def edit(s):
        s["communication"] = "0"  # the coder disagrees with every auto code of communication
        return s.drop(columns=["focal_points"])

    coded, path = _edited_csv(instrument, hostile, tmp_path, edit=edit)
    human = import_sheets([path], coded.codebook, hostile)
    assert human.problems["problem"].str.contains("theme column 'focal_points' is missing").any()
    mixed = code_question(hostile, instrument, "B4", human=human)
    by_theme = mixed.codes.groupby("theme")["source"].agg(set)
    assert by_theme["focal_points"] == {"auto"}
    assert "communication" not in by_theme.index


def test_export_refuses_codes_of_other_data(instrument, hostile, tmp_path):
    coded = code_question(hostile, instrument, "B4")
    other = hostile.assign(B4=hostile["B4"].str.upper())
    with pytest.raises(ArgumentError, match="`coded` does not match `data`"):
        export_sheet(coded, other, tmp_path / "x.csv")


def test_codebook_of_another_question_is_refused(tmp_path):
    from giftreview.data.instrument import parse_instrument

    (tmp_path / "cb.yaml").write_text(
        "question: B3\ntitle: t\nthemes:\n  - {id: a, label: a, description: a, include: [a],"
        " example: a, stem: a}\n",
        encoding="utf-8",
    )
    inst = parse_instrument(
        {
            "survey": {"id": "s", "title": "S"},
            "parts": [{"id": "B", "title": "B"}],
            "questions": [
                {"id": "B2", "part": "B", "text": "?", "type": "open", "codebook": "cb.yaml"}
            ],
        },
        tmp_path / "inst.yaml",
    )
    with pytest.raises(InstrumentError, match=r"cb\.yaml: the codebook is for question 'B3'"):
        codebook_for(inst, "B2")


def test_import_reads_a_sheet_resaved_by_excel(instrument, hostile, tmp_path):
    # Excel in a European locale saves "CSV" as Windows-1252 with semicolons.
    coded, path = _edited_csv(instrument, hostile, tmp_path, name="eve")
    sheet = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    sheet.loc[0, "notes"] = "vérifié"
    sheet.to_csv(path, index=False, sep=";", encoding="cp1252")
    human = import_sheets([path], coded.codebook, hostile)
    assert human.coders == ["eve"] and len(human.codes) == 6 * len(coded.codebook.ids)
