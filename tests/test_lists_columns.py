"""Whole-column institution lists and redaction equal the per-answer code they replaced.

The oracles below are the per-answer functions as they stood on main at commit 4426808
(``src/giftreview/text/lists.py`` ``institution_mentions``, copied unchanged apart from its name
and the imports spelled out; ``redact_pii`` of ``src/giftreview/text/safety.py`` is still the
per-text function and is the oracle of :func:`redact_texts`). The property: for any column of
answers built from alias spellings, separators, noise words, personal data, dotted acronyms and
non-ASCII characters, the new functions return exactly what the old ones return. (``İOM`` and
``ıom`` are left out of those answers: the old code raised KeyError on them, the alias pattern
matching them under IGNORECASE but their casefold being no key. They have their own test,
:func:`test_a_dotted_or_dotless_i_matches_its_alias`.)

:func:`table_by_group` is checked the same way against its own old code (main at ec48d9c, which
pivoted the mentions into a groups x names table, suppressed it with ``margins="none"`` and
looked each cell's status up one at a time).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from giftreview.analysis.disclosure import suppress
from giftreview.data.instrument import Instrument, load_instrument
from giftreview.errors import ArgumentError, check_column
from giftreview.paths import DEFAULT_INSTRUMENT
from giftreview.text import listcolumns, lists
from giftreview.text.lists import AliasTable, institution_mentions, load_aliases
from giftreview.text.safety import redact_pii, redact_texts

ALIASES = load_aliases()
INSTRUMENT = load_instrument(DEFAULT_INSTRUMENT)
_REDACTED = frozenset({"name", "phone", "email", "url", "organization"})


def old_institution_mentions(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    aliases: AliasTable | None = None,
    threshold: float = lists.DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """``institution_mentions`` of main at 4426808, one answer at a time (the oracle)."""
    q = instrument.question(qid)
    if q.type != "list":
        raise ArgumentError(f"question {qid} is '{q.type}'; institution lists are 'list' questions")
    check_column(data, qid, "qid")
    table = aliases if isinstance(aliases, AliasTable) else lists.load_aliases(aliases)
    group = instrument.group_by
    groups = data[group].astype("string") if group and group in data.columns else None
    split = lists._Splitter(table, threshold)
    answered = data[qid].notna().to_numpy()
    ids = data["respondent_id"].astype(str).to_numpy(dtype=object)[answered]
    texts = data[qid].to_numpy(dtype=object)[answered]
    grp = groups.to_numpy(dtype=object)[answered] if groups is not None else [pd.NA] * len(ids)
    pieces: dict[str, tuple[str, list[tuple[str, str | None]]]] = {}
    for text in texts:
        if text not in pieces:
            clean = redact_pii(text)
            pieces[text] = (clean, split.pieces(clean))
    split.match_all([raw for _, ps in pieces.values() for raw, alias in ps if alias is None])
    per_text = {
        text: [
            names
            for names in split.names(ps)
            if not (f"[{names[0]}]" in clean and names[0] in _REDACTED)
        ]
        for text, (clean, ps) in pieces.items()
    }
    rows = []
    for rid, text, g in zip(ids, texts, grp, strict=True):
        rows += [(rid, g, qid, *names) for names in per_text[text]]
    cols = ["respondent_id", "group", "question", "raw", "name", "method", "score"]
    out = pd.DataFrame(rows, columns=cols)
    if groups is not None and isinstance(data[group].dtype, pd.CategoricalDtype):
        levels = [str(c) for c in data[group].cat.categories]
        out["group"] = pd.Categorical(out["group"].astype("string"), categories=levels)
    return out


# ---- the pieces answers are made of -------------------------------------------------------------
_KEYS = sorted({a for i in ALIASES.institutions for a in (i.name, i.full, *i.aliases)})


@st.composite
def spelling(draw: st.DrawFn) -> str:
    """An alias as a respondent might write it: any case, spaces as hyphens or line breaks."""
    key = draw(st.sampled_from(_KEYS))
    case = draw(st.sampled_from([str, str.upper, str.lower, str.title]))
    gap = draw(st.sampled_from([" ", "  ", "-", "\n", " - ", "\t"]))
    return case(key).replace(" ", gap)


_WORDS = [
    "Interpoll", "UNDOC", "Red Nacional de Albergues", "the", "our", "etc.", "also", "with",
    "O.S.C.E.", "U.N.", "Mr John Smith", "Dr. Ada Roe", "+41 22 917 1234", "(202) 555-0143",
    "jane (at) example (dot) org", "a.b@example.org", "www.example.org", "https://x.org/a",
    "2010-2012", "phone", "[phone]", "Organización", "Unión Europea", "Children’s", "ﬁnance",
    "K", "\u00a0", "\x0b", "x", "and", "&", "(", ")", "'", '"', ".", ":", "-",
    "(answer 17)", "1234567", "ICAT)", "(OSCE)", "Office",
    # non-ASCII text the column engine takes (accents next to aliases and acronyms, NFKC
    # changes, typographic punctuation) or must leave to Python (ſ, İ, a line separator)
    "Comité", "é", "Ñ", "Union européenne", "UNIÓN EUROPEA", "–", "“", "”", "ª", "½", "ſ",
    "İ", "\u2028", "Ｉ", "e\u0301", "É.U.",
]  # fmt: skip
_SEPARATORS = [", ", ",", "; ", "\n", "\r\n", " and ", " AND ", " & ", " ", "/", ". ", ""]


@st.composite
def answer(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(st.one_of(spelling(), st.sampled_from(_WORDS), st.text(max_size=4)), max_size=6)
    )
    out = ""
    for p in parts:
        out += p + draw(st.sampled_from(_SEPARATORS))
    return out


_FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_FAST
@given(
    answers=st.lists(st.one_of(answer(), st.none()), min_size=1, max_size=12),
    threshold=st.sampled_from([0.0, 85.0, 100.0]),
    grouped=st.sampled_from(["categorical", "text", "none"]),
)
def test_institution_mentions_equals_the_per_answer_code(answers, threshold, grouped):
    instrument = INSTRUMENT
    answers = answers + answers[:3]  # repeated answers too
    data = pd.DataFrame(
        {
            "respondent_id": [f"r{i}" for i in range(len(answers))],
            "A1": pd.Categorical(
                [["Governments", "Civil society / NGOs", None][i % 3] for i in range(len(answers))],
                categories=["Governments", "Civil society / NGOs"],
            ),
            "B8": answers,
        }
    )
    if grouped == "text":
        data["A1"] = data["A1"].astype(object)
    elif grouped == "none":
        data = data.drop(columns="A1")
    got = institution_mentions(data, instrument, "B8", aliases=ALIASES, threshold=threshold)
    want = old_institution_mentions(data, instrument, "B8", aliases=ALIASES, threshold=threshold)
    pd.testing.assert_frame_equal(got, want)


def test_the_column_engine_is_used_on_plain_answers(monkeypatch):
    # plain ASCII answers go through RE2, never through the per-answer splitter (made to fail
    # here); the pieces are those written out by hand: "and" inside UNODC's full name does not
    # split, "the" and "etc." are noise, "Interpoll" holds no alias (fuzzy-matched later)
    texts = ["United Nations Office on Drugs and Crime and IOM; the ILO etc.", "Interpoll"]
    split = lists._Splitter(ALIASES, 85.0)
    monkeypatch.setattr(split, "pieces", lambda text: pytest.fail(f"Python path for {text!r}"))
    frame = listcolumns.pieces_frame(split, texts)
    assert list(frame.itertuples(index=False, name=None)) == [
        (0, "United Nations Office on Drugs and Crime", "UNODC"),
        (0, "IOM", "IOM"),
        (0, "ILO", "ILO"),
        (1, "Interpoll", None),
    ]


@_FAST
@given(
    texts=st.lists(
        st.one_of(
            st.none(),
            st.text(st.sampled_from(list("Mr DHE.at()[]{}@:/w+-0123456789 \t\n\u00a0\u0663é"))),
            st.lists(st.sampled_from(_WORDS), max_size=5).map(" ".join),
        ),
        max_size=20,
    )
)
def test_redact_texts_equals_redact_pii(texts):
    series = pd.Series(texts, dtype=object)
    got = redact_texts(series)
    assert got.index.equals(series.index)
    assert got.tolist() == [redact_pii(t) for t in texts]


def test_a_dotted_or_dotless_i_matches_its_alias():
    # "İ" (U+0130) and "ı" (U+0131) match "i" under re.IGNORECASE, so the alias pattern finds
    # IOM in "İOM" and "ıom" and ILO in "İLO"; their casefolds ("i̇om", "ıom") are no alias key,
    # which raised KeyError before. Expected by hand: each piece is the alias it spells, method
    # "alias", score 100, one row per institution and respondent, in the order written.
    data = pd.DataFrame(
        {
            "respondent_id": ["r1", "r2", "r3"],
            "A1": ["Governments", "Governments", "Civil society / NGOs"],
            "B8": ["İOM", "ıom; the İLO", "UNODC and İOM, IOM"],
        }
    )
    got = institution_mentions(data, INSTRUMENT, "B8", aliases=ALIASES)
    assert list(
        got[["respondent_id", "raw", "name", "method", "score"]].itertuples(False, None)
    ) == [
        ("r1", "İOM", "IOM", "alias", 100.0),
        ("r2", "ıom", "IOM", "alias", 100.0),
        ("r2", "İLO", "ILO", "alias", 100.0),
        ("r3", "UNODC", "UNODC", "alias", 100.0),
        ("r3", "İOM", "IOM", "alias", 100.0),
    ]
    table = lists.table_by_group(got, k=0).set_index(["group", "name"])["n"]
    assert table[("Governments", "IOM")] == 2


def old_table_by_group(mentions: pd.DataFrame, *, k: int = 5) -> pd.DataFrame:
    """``table_by_group`` of main at ec48d9c (the oracle), unchanged apart from its name."""
    for c in ("group", "name", "respondent_id", "method"):
        check_column(mentions, c, "mentions")
    sub = mentions.dropna(subset=["group"])
    if sub.empty:
        cols = ["group", "name", "n", "matched", "suppressed", "n_display"]
        return pd.DataFrame(columns=cols)
    counts = sub.groupby(["group", "name"], sort=False, observed=True)["respondent_id"].nunique()
    out = counts.rename("n").reset_index()
    matched = sub.groupby("name")["method"].agg(lambda s: bool((s != "unmatched").any()))
    out["matched"] = out["name"].map(matched)
    out["suppressed"] = ""
    out["n_display"] = out["n"].astype(str)
    if k > 0:
        wide = out.pivot_table(index="group", columns="name", values="n", aggfunc="sum",
                               sort=False, observed=True).fillna(0).astype(int)  # fmt: skip
        res = suppress(wide, k=k, margins="none")
        keys = zip(out["group"], out["name"], strict=True)
        out["suppressed"] = [res.status.loc[g, n] for g, n in keys]
        out.loc[out["suppressed"] != "", "n_display"] = f"<{k}"
    return out.sort_values(["group", "n", "name"], ascending=[True, False, True], ignore_index=True)


_GROUPS = ["Governments", "Civil society / NGOs", "Academia"]


@_FAST
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 30),  # respondent
            st.sampled_from(["IOM", "ILO", "UNODC", "La Strada", "Interpoll", "x"]),
            st.sampled_from(["alias", "fuzzy", "unmatched"]),
        ),
        max_size=120,
    ),
    k=st.sampled_from([0, 1, 3, 5, 10]),
    grouped=st.sampled_from(["categorical", "text"]),
)
def test_table_by_group_equals_the_pivoted_suppression(rows, k, grouped):
    # each respondent has one group (none for every fifth); names repeat within and across them
    mentions = pd.DataFrame(
        [
            (f"r{r}", None if r % 5 == 4 else _GROUPS[r % 3], "B8", name, name, method, 90.0)
            for r, name, method in rows
        ],
        columns=["respondent_id", "group", "question", "raw", "name", "method", "score"],
    )
    if grouped == "categorical":
        mentions["group"] = pd.Categorical(mentions["group"], categories=_GROUPS[::-1])
    got = lists.table_by_group(mentions, k=k)
    want = old_table_by_group(mentions, k=k)
    pd.testing.assert_frame_equal(got, want)


def test_table_by_group_refuses_k_2_as_suppress_does():
    mentions = pd.DataFrame(
        {"respondent_id": ["r1"], "group": ["Governments"], "name": ["IOM"], "method": ["alias"]}
    )
    with pytest.raises(ArgumentError, match="with k=2 and zeros shown"):
        lists.table_by_group(mentions, k=2)
    with pytest.raises(ArgumentError, match="with k=2 and zeros shown"):
        old_table_by_group(mentions, k=2)
