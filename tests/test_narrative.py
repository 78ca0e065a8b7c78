"""Tests of giftreview.text.narrative: quantifiers, drafted paragraphs, quotes."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from giftreview.errors import ArgumentError
from giftreview.text.codebook import parse_codebook
from giftreview.text.coding import code_question
from giftreview.text.frequencies import theme_frequencies
from giftreview.text.narrative import (
    DEFAULT_QUANTIFIERS,
    REPEAT_WORDS,
    as_text,
    draft_paragraphs,
    paragraphs,
    quantifier_for,
    quantifier_table,
    select_quotes,
)


@pytest.fixture
def hostile(fixtures_dir) -> pd.DataFrame:
    return pd.read_csv(fixtures_dir / "coding" / "hostile_answers.csv", dtype="string")


def _freq(counts: dict[str, int], base: int = 40, suppressed: dict[str, str] | None = None):
    suppressed = suppressed or {}
    return pd.DataFrame(
        {
            "group": "All",
            "theme": list(counts),
            "n": list(counts.values()),
            "base": base,
            "suppressed": [suppressed.get(t, "") for t in counts],
            "n_display": [("<5" if suppressed.get(t) else str(n)) for t, n in counts.items()],
        }
    )


def _codebook(ids):
    themes = [
        {"id": t, "label": t, "description": t, "include": [t], "example": t,
         "stem": f"mentioned {t}"}
        for t in ids
    ]  # fmt: skip
    return parse_codebook({"question": "B2", "title": "t", "themes": themes})


@pytest.mark.parametrize(
    ("share", "word"),
    [(1.0, "Most respondents"), (0.5, "Most respondents"), (0.4999, "Many respondents"),
     (0.25, "Many respondents"), (0.1, "Some respondents"), (0.0999, "A few respondents"),
     (0.01, "A few respondents")],
)  # fmt: skip
def test_quantifier_band_edges(share, word):
    assert quantifier_for(share) == word


@given(st.floats(0, 1), st.floats(0, 1))
def test_quantifiers_are_monotone(a, b):
    words = [w for _, w in DEFAULT_QUANTIFIERS]
    lo, hi = sorted((a, b))
    assert words.index(quantifier_for(hi)) <= words.index(quantifier_for(lo))


def test_quantifier_table_documents_every_band():
    table = quantifier_table()
    assert list(table["word"]) == [w for _, w in DEFAULT_QUANTIFIERS] + list(REPEAT_WORDS)
    assert table.loc[1, "rule"] == "mentioned by 25% to less than 50% of those who answered"
    with pytest.raises(ArgumentError, match="from the highest band down"):
        quantifier_table([(0.1, "Some"), (0.5, "Most"), (0.0, "Few")])


def test_draft_orders_by_frequency_with_counts_and_others():
    cb = _codebook(["a", "b", "c", "d", "e", "f", "g"])
    counts = {"a": 3, "b": 22, "c": 12, "d": 11, "e": 0, "f": 10, "g": 10}
    freq = _freq(counts, suppressed={"a": "primary"})
    draft = draft_paragraphs(freq, cb)
    assert list(draft["theme"]) == ["b", "c", "d", "f", "g", "a"]  # e (n = 0) has no sentence
    assert list(draft["sentence"]) == [
        "Most respondents mentioned b (22 of 40).",
        "Many respondents mentioned c (12 of 40).",
        "Others mentioned d (11 of 40).",
        "Respondents also mentioned f (10 of 40).",
        "Others mentioned g (10 of 40).",
        "A few respondents mentioned a (<5 of 40).",
    ]
    assert (
        as_text(draft)
        .split("\n\n")[1]
        .startswith(
            "Many respondents mentioned c (12 of 40). Others mentioned d (11 of 40). Respondents also"
        )
    )
    plain = draft_paragraphs(freq, cb, repeat_words=None)
    assert plain.loc[2, "sentence"].startswith("Many respondents")


def test_draft_quantifiers_are_configurable():
    cb = _codebook(["a", "b"])
    table = [(0.3, "A good many"), (0.0, "A handful of respondents")]
    draft = draft_paragraphs(_freq({"a": 20, "b": 2}), cb, quantifiers=table)
    assert list(draft["quantifier"]) == ["A good many", "A handful of respondents"]


def test_draft_keeps_a_hostile_stem_as_plain_text():
    # the draft is plain text; the report's templates escape it (tests/test_templates.py)
    cb = parse_codebook(
        {"question": "B2", "title": "t", "themes": [{"id": "a", "label": "a", "description": "a",
         "include": ["a"], "example": "a", "stem": "said <script>alert(1)</script>"}]}
    )  # fmt: skip
    # 5 of 40 = 12.5%: the "Some respondents" band (10% to less than 25%)
    assert paragraphs(draft_paragraphs(_freq({"a": 5}), cb)) == [
        "Some respondents said <script>alert(1)</script> (5 of 40)."
    ]


def test_draft_on_real_codes_reads_like_the_review(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    draft = draft_paragraphs(theme_frequencies(coded, hostile, k=0), coded.codebook)
    assert draft.loc[0, "sentence"].startswith("Many respondents suggested the assignment of")
    assert draft["n"].is_monotonic_decreasing


# ---- quotes -------------------------------------------------------------------------------------
def test_quotes_remove_personal_data_and_own_organization(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    quotes = select_quotes(coded, hostile, n=5)
    text = " ".join(quotes["quote"])
    assert "jane.doe@acme.example" not in text and "[email]" in text
    assert "917 1234" not in text and "[phone]" in text
    assert "www.hope.example" not in text and "[url]" in text
    assert "Hope Shelter Network" not in text and "[organization]" in text


def test_quotes_are_html_escaped(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    quotes = select_quotes(coded, hostile)
    ngo = quotes[quotes["theme"] == "ngo_outreach"].iloc[0]
    assert "<script>alert('x')</script>" in ngo["quote"]  # plain text: the templates escape it
    assert "quote_html" not in quotes  # no hand-escaped copy


def test_quotes_follow_the_stated_rule(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    quotes = select_quotes(coded, hostile, n=1)
    assert quotes.groupby("theme").size().max() == 1
    focal = quotes[quotes["theme"] == "focal_points"].iloc[0]
    # R02 and R05 both mention focal points; R02's sentence fits the 40-300 character window
    # and its answer has one theme, so it ranks first.
    assert focal["respondent_id"] == "R02"
    again = select_quotes(coded, hostile, n=1)
    pd.testing.assert_frame_equal(quotes, again)
    with pytest.raises(ArgumentError, match="`n` must be a whole number"):
        select_quotes(coded, hostile, n=-1)


def test_quotes_without_organization_column(instrument, hostile):
    coded = code_question(hostile, instrument, "B4")
    quotes = select_quotes(coded, hostile, organization_column=None, n=5)
    assert quotes["quote"].str.contains("Hope Shelter Network").any()


def _quotes_oracle(coded, data, *, n, organization_column, min_chars, max_chars):
    """The quote rule the slow, obvious way (what select_quotes did before it walked sorted
    candidates): build and redact every candidate, sort by (length misfit, themes in the answer,
    respondent id), drop case-insensitive duplicates per theme, keep the first n."""
    from giftreview.text.narrative import _own_names, _quote_span
    from giftreview.text.safety import redact_pii

    orgs = {}
    if organization_column is not None:
        orgs = dict(zip(data["respondent_id"].astype(str), data[organization_column], strict=True))
    answers = coded.answered.set_index("respondent_id")["answer"]
    n_themes = coded.codes.groupby("respondent_id")["theme"].size()
    rows = []
    for r in coded.codes.itertuples(index=False):
        text = redact_pii(_quote_span(answers[r.respondent_id], r.start, r.end),
                          _own_names(orgs.get(r.respondent_id)))  # fmt: skip
        fits = min_chars <= len(text) <= max_chars
        rows.append((r.theme, not fits, int(n_themes[r.respondent_id]), r.respondent_id,
                     r.source, text))  # fmt: skip
    cand = pd.DataFrame(rows, columns=["theme", "misfit", "n_themes", "respondent_id", "source",
                                       "quote"])  # fmt: skip
    cand = cand.sort_values(["theme", "misfit", "n_themes", "respondent_id"], kind="stable")
    cand = cand.assign(key=cand["quote"].str.casefold()).drop_duplicates(["theme", "key"])
    out = cand.groupby("theme", sort=False).head(n).copy()
    out["rank"] = out.groupby("theme").cumcount() + 1
    order = {t: i for i, t in enumerate(coded.codebook.ids)}
    out = out.sort_values(["theme", "rank"], key=lambda s: s.map(order) if s.name == "theme" else s)
    out["label"] = out["theme"].map(coded.codebook.labels())
    cols = ["theme", "label", "rank", "respondent_id", "source", "quote"]
    return out[cols].reset_index(drop=True)


_QUOTE_CB = parse_codebook({"question": "why", "title": "Why", "themes": [
    {"id": "training", "label": "Training", "description": "d", "include": ["train[a-z]*"],
     "example": "training", "stem": "s"},
    {"id": "funding", "label": "Funding", "description": "d", "include": ["fund[a-z]*", "money"],
     "example": "funding", "stem": "s"}]})  # fmt: skip
_PIECES = ["Training helped", "we need funding", "money", "Straße", "STRASSE", "ACME Ltd",
           "mail a@b.org", "call +41 22 917 1234", "www.x.org", "Acme Ltd (Geneva)", "ok"]  # fmt: skip


@given(
    answers=st.lists(
        st.lists(st.sampled_from(_PIECES), min_size=1, max_size=5).map(". ".join),
        min_size=1,
        max_size=25,
    ),
    n=st.integers(0, 3),
    lo=st.integers(0, 40),
    width=st.integers(0, 40),
    with_org=st.booleans(),
)
def test_quotes_walked_in_order_equal_every_candidate_sorted(answers, n, lo, width, with_org):
    # the rule's result must not depend on building only the candidates it reaches: random
    # answers with personal data, the respondent's own organization, case-folding pairs
    # (Straße / STRASSE: equal ignoring case, lengths differ) and random length bounds
    ids = [f"r{i}" for i in range(len(answers))][::-1]  # r10 sorts before r2
    orgs = (["ACME Ltd", "Acme Ltd (Geneva)", None] * 9)[: len(answers)]
    data = pd.DataFrame({"respondent_id": ids, "why": answers, "org": orgs})
    coded = code_question(data, None, "why", codebook=_QUOTE_CB)
    kw = dict(n=n, organization_column="org" if with_org else None, min_chars=lo,
              max_chars=lo + width)  # fmt: skip
    got = select_quotes(coded, data, **kw)
    pd.testing.assert_frame_equal(got, _quotes_oracle(coded, data, **kw), check_dtype=False)
