"""Theme counts on integer positions equal the merges on id strings they replaced.

The oracle is ``_group_members`` and ``_count_themes`` of main at 37ca05a (merges of the codes and
the group members on the respondent-id strings, then a groupby), pasted below unchanged apart
from their names. Random coded answers (auto and human codes, repeated codes, codes of ids that
did not answer, groups with blanks, a group literally called "All", ids repeated in ``data``)
must give the same table, row for row.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from giftreview.analysis.disclosure import suppress  # noqa: F401 - the oracle's module imports
from giftreview.errors import check_column
from giftreview.text import frequencies
from giftreview.text.codebook import parse_codebook
from giftreview.text.coding import CODE_COLUMNS, CodedAnswers

CODEBOOK = parse_codebook(
    {
        "question": "why",
        "title": "Why",
        "themes": [
            {
                "id": t,
                "label": t.title(),
                "description": t,
                "include": [t],
                "example": t,
                "stem": t,
            }  # fmt: skip
            for t in ("training", "funding", "data")
        ],
    }
)


def old_group_members(coded: CodedAnswers, data: pd.DataFrame, by: str | None) -> pd.DataFrame:
    ans = coded.answered[["respondent_id"]].assign(group="All")
    if by is None:
        return ans
    check_column(data, by, "by")
    grp = data[["respondent_id", by]].astype({"respondent_id": str}).rename(columns={by: "group"})
    per = ans[["respondent_id"]].merge(grp, on="respondent_id", how="left").dropna(subset=["group"])
    return pd.concat([ans, per.astype({"group": str})], ignore_index=True)


def old_count_themes(coded: CodedAnswers, members: pd.DataFrame) -> pd.DataFrame:
    groups = pd.unique(members["group"])
    base = members.groupby("group", sort=False)["respondent_id"].nunique()
    codes = coded.codes[["respondent_id", "theme", "source"]]
    hits = codes.merge(members, on="respondent_id").assign(human=lambda d: d["source"] == "human")
    counts = hits.groupby(["group", "theme"], sort=False)["human"].agg(["size", "sum"])
    grid = pd.MultiIndex.from_product([groups, coded.codebook.ids], names=["group", "theme"])
    counts = counts.reindex(grid, fill_value=0)
    out = grid.to_frame(index=False)
    out.insert(0, "question", coded.question)
    out.insert(3, "label", out["theme"].map(coded.codebook.labels()))
    out["n"] = counts["size"].to_numpy(dtype="int64")
    out["base"] = base.reindex(groups).to_numpy(dtype="int64")[
        np.repeat(np.arange(len(groups)), len(coded.codebook.ids))
    ]
    out["n_human"] = counts["sum"].to_numpy(dtype="int64")
    out["n_auto"] = out["n"] - out["n_human"]
    cols = ["question", "group", "theme", "label", "n", "base", "n_auto", "n_human"]
    return out[cols]


IDS = [f"r{i}" for i in range(12)]
GROUPS = ["Gov", "NGO", "All", None]


@st.composite
def cases(draw):
    answered = draw(st.lists(st.sampled_from(IDS), unique=True, max_size=10))
    codes = draw(
        st.lists(
            st.tuples(
                st.sampled_from(IDS),  # may be an id that did not answer
                st.sampled_from([*CODEBOOK.ids, "gone"]),  # a theme not in the codebook
                st.sampled_from(["auto", "human"]),
            ),
            max_size=25,
        )
    )
    rows = draw(st.lists(st.tuples(st.sampled_from(IDS), st.sampled_from(GROUPS)), max_size=16))
    categorical = draw(st.booleans())
    text = draw(st.sampled_from([object, "str"]))  # Python objects or pandas' Arrow strings
    return answered, codes, rows, categorical, text


def _coded(answered, codes, text=object) -> CodedAnswers:
    ans = pd.DataFrame({"respondent_id": answered, "answer": ["x"] * len(answered)}, dtype=text)
    long = pd.DataFrame([(r, t, s, "", -1, -1) for r, t, s in codes], columns=CODE_COLUMNS).astype(
        {"respondent_id": text, "theme": text, "source": text}
    )
    return CodedAnswers("why", CODEBOOK, long, ans, ans.iloc[:0], ans.iloc[:0])


@settings(max_examples=80, deadline=None)
@given(cases())
def test_positions_count_as_the_string_merges(case):
    answered, codes, rows, categorical, text = case
    coded = _coded(answered, codes, text)
    data = pd.DataFrame(rows or [], columns=["respondent_id", "A1"], dtype=object)
    data["respondent_id"] = data["respondent_id"].astype(text)
    if categorical:
        data["A1"] = pd.Categorical(data["A1"], categories=["NGO", "Gov", "All"])
    for by in (None, "A1"):
        got = frequencies._count_themes(coded, frequencies._group_members(coded, data, by))
        want = old_count_themes(coded, old_group_members(coded, data, by))
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), want.reset_index(drop=True), check_dtype=False
        )


def test_a_hand_counted_case():
    # r1 names training (auto) and funding (human), r2 training (auto), r3 answered with no
    # code, r9 has a code but did not answer. Gov: r1, r2; NGO: r3. By hand: All base 3,
    # training 2 (2 auto), funding 1 (1 human); Gov base 2, training 2, funding 1; NGO base 1,
    # nothing.
    coded = _coded(
        ["r1", "r2", "r3"],
        [
            ("r1", "training", "auto"),
            ("r1", "funding", "human"),
            ("r2", "training", "auto"),
            ("r9", "data", "auto"),
        ],  # fmt: skip
    )
    data = pd.DataFrame({"respondent_id": ["r1", "r2", "r3"], "A1": ["Gov", "Gov", "NGO"]})
    got = frequencies._count_themes(coded, frequencies._group_members(coded, data, "A1"))
    assert got["group"].tolist() == ["All"] * 3 + ["Gov"] * 3 + ["NGO"] * 3
    assert got["n"].tolist() == [2, 1, 0, 2, 1, 0, 0, 0, 0]
    assert got["base"].tolist() == [3] * 3 + [2] * 3 + [1] * 3
    assert got["n_human"].tolist() == [0, 1, 0, 0, 1, 0, 0, 0, 0]
