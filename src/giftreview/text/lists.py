"""Institution lists (B8 fora, B9 partners): split, normalise, match, tabulate by sector.

Each answer is a free-text list of institutions. :func:`institution_mentions` turns it into one row
per institution named:

1. the text is normalised (Unicode NFKC, typographic apostrophes, dots inside acronyms removed:
   ``O.S.C.E.`` -> ``OSCE``);
2. every alias of the alias table (``giftreview/data/institutions.yaml``, case-insensitive, whole
   words) is found first and protected, so ``United Nations Office on Drugs and Crime`` is not cut
   at its "and";
3. the rest is split at commas, semicolons, line breaks and the word "and";
4. each piece holding an alias is that institution (method ``alias``); any other piece is matched
   by :func:`rapidfuzz.process.extractOne` (scorer ``token_sort_ratio`` on lower-cased
   alphanumerics) against every alias, and accepted at a score of at least ``threshold``
   (method ``fuzzy``); below it, the piece is kept under its cleaned spelling (method
   ``unmatched``) and listed by :func:`unmatched_names` for review. Nothing is dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from giftreview.analysis.disclosure import primary_status
from giftreview.data import columns
from giftreview.data.instrument import Instrument, read_yaml
from giftreview.errors import ArgumentError, InstrumentError, check_column
from giftreview.paths import INSTITUTION_ALIASES
from giftreview.text.listcolumns import NOISE, SPLIT, pieces_frame
from giftreview.text.safety import MAYBE_PII, redact_texts

#: what :func:`giftreview.text.safety.redact_pii` leaves in place of personal data
_REDACTED = frozenset({"name", "phone", "email", "url", "organization"})

__all__ = [
    "DEFAULT_THRESHOLD",
    "Institution",
    "AliasTable",
    "load_aliases",
    "split_names",
    "institution_mentions",
    "unmatched_names",
    "table_by_group",
]

#: default fuzzy-match threshold (rapidfuzz token_sort_ratio, 0-100)
DEFAULT_THRESHOLD = 85.0
_SPLIT = re.compile(SPLIT, re.IGNORECASE)
_TOKEN = "\x00{}\x00"
_TOKEN_RE = re.compile(r"\x00(\d+)\x00")
_NOISE = re.compile(NOISE, re.IGNORECASE)


class Institution(BaseModel):
    """One institution of the alias table."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1, description="short name printed in tables")
    full: str = Field(min_length=1, description="full name (also an alias)")
    aliases: list[str] = Field(default_factory=list)


class AliasTable(BaseModel):
    """The alias table file: ``institutions: [...]``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    institutions: list[Institution] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_name_per_alias(self) -> AliasTable:
        seen: dict[str, str] = {}
        for inst in self.institutions:
            for a in {inst.name, inst.full, *inst.aliases}:
                key = _key(a)
                if key in seen and seen[key] != inst.name:
                    raise ValueError(
                        f"alias {a!r} belongs to both {seen[key]!r} and {inst.name!r}; "
                        "keep it under one institution"
                    )
                seen[key] = inst.name
        return self

    def mapping(self) -> dict[str, str]:
        """Normalised alias -> short name (names and full names included)."""
        return {_key(a): i.name for i in self.institutions for a in (i.name, i.full, *i.aliases)}


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\b(?:[A-Za-z]\.){2,}", lambda m: m.group(0).replace(".", ""), text)


def _key(name: str) -> str:
    """Comparison key: normalised, lower case, runs of spaces and hyphens as one space."""
    return re.sub(r"[\s\-]+", " ", _normalise(name).casefold()).strip(" .")


def load_aliases(path: Path | str | None = None) -> AliasTable:
    """Read the alias table (default: the one shipped with giftreview).

    Raises
    ------
    InstrumentError
        Naming the file, the entry and the fix when the file is malformed or an alias maps to two
        institutions.
    """
    path = Path(path) if path is not None else INSTITUTION_ALIASES
    if not path.exists():
        raise InstrumentError("alias table not found; pass an existing YAML file", path=path)
    data = read_yaml(path)
    try:
        return AliasTable.model_validate(data)
    except ValidationError as exc:
        msgs = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            if e["type"] == "extra_forbidden":
                msg = "unknown key; an entry has only name, full and aliases"
            msgs.append(f"{loc}: {msg}" if loc else msg)
        raise InstrumentError("; ".join(msgs), path=path) from None


@lru_cache(maxsize=8)
def _alias_regex(aliases: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern matching every alias key, longest first; a space matches spaces or hyphens."""
    parts = [_alias_body(a) for a in sorted(aliases, key=len, reverse=True)]
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)", re.IGNORECASE)


def _alias_body(alias: str) -> str:
    """One alternative of :func:`_alias_regex`: the key, a space matching spaces or hyphens."""
    return re.escape(alias).replace(r"\ ", r"[\s\-]+")


def _clean(piece: str) -> str:
    piece = piece.strip(" \t.:-()[]\"'")
    piece = _NOISE.sub("", piece).strip(" \t.:-()[]\"'")
    return re.sub(r"\s+", " ", piece)


def split_names(
    text: str, table: AliasTable, *, threshold: float = DEFAULT_THRESHOLD
) -> list[tuple[str, str, str, float]]:
    """Split one answer into ``(raw, name, method, score)`` tuples (see the module docstring)."""
    return _Splitter(table, threshold)(text)


class _Splitter:
    """:func:`split_names` with the alias mapping and pattern built once, and each distinct piece
    matched once (a column of a million answers names the same institutions over and over)."""

    def __init__(self, table: AliasTable, threshold: float) -> None:
        self.mapping = table.mapping()
        self.keys = list(self.mapping)
        self.aliases = _alias_regex(tuple(self.mapping))
        self.threshold = threshold
        self.fuzzy: dict[str, tuple[str, str, float]] = {}

    def _result(self, raw: str, best: str | None, score: float) -> tuple[str, str, float]:
        ok = best is not None and score >= self.threshold
        name = self.mapping[best] if ok else raw
        return name, ("fuzzy" if ok else "unmatched"), float(score) if best is not None else 0.0

    def match(self, raw: str) -> tuple[str, str, float]:
        """``(name, method, score)`` of a piece holding no alias: the best fuzzy match."""
        if raw not in self.fuzzy:
            from rapidfuzz import fuzz, process, utils  # deferred: only pieces without an alias

            best = process.extractOne(
                raw, self.keys, scorer=fuzz.token_sort_ratio, processor=utils.default_process
            )
            self.fuzzy[raw] = self._result(raw, *(best[:2] if best else (None, 0.0)))
        return self.fuzzy[raw]

    def match_all(self, raws: list[str]) -> None:
        """Fuzzy-match every new distinct piece at once: one score matrix
        (``rapidfuzz.process.cdist``, the scorer and processor of :meth:`match`), the first best
        score per row, as ``extractOne`` picks it."""
        from rapidfuzz import fuzz, process, utils  # deferred: only pieces without an alias

        todo = [r for r in dict.fromkeys(raws) if r not in self.fuzzy and utils.default_process(r)]
        if not todo or not self.keys:
            return
        scores = process.cdist(todo, self.keys, scorer=fuzz.token_sort_ratio,
                               processor=utils.default_process, dtype=np.float64)  # fmt: skip
        best = scores.argmax(axis=1)
        for raw, j, row in zip(todo, best, scores, strict=True):
            self.fuzzy[raw] = self._result(raw, self.keys[j], row[j])

    def match_distinct(self, raws: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`match` of distinct pieces as arrays ``(name, method, score)``: the score matrix
        of :meth:`match_all`, the threshold applied to whole columns (no Python tuple per
        piece). As ``extractOne``, a piece with nothing left after the processor scores 0
        against every key and gets the first.

        ``token_sort_ratio`` is ``ratio`` of the processed texts with their words sorted
        (rapidfuzz's definition); given to ``cdist`` as such, each piece and each key is
        processed and sorted once, not once per (piece, key) pair as the scorer does (half the
        time of the matrix). ``tests/test_lists.py`` checks both give the same scores.
        """
        from rapidfuzz import fuzz, process  # deferred: only pieces without an alias

        name, method = raws.copy(), np.full(len(raws), "unmatched", dtype=object)
        score = np.zeros(len(raws))
        if not len(raws) or not self.keys:
            return name, method, score
        scores = process.cdist(_sorted_words(raws), _sorted_words(self.keys), scorer=fuzz.ratio,
                               dtype=np.float64)  # fmt: skip
        best = scores.argmax(axis=1)
        score = scores[np.arange(len(raws)), best]
        ok = score >= self.threshold
        names = np.asarray([self.mapping[k] for k in self.keys], dtype=object)
        name[ok] = names[best[ok]]
        method[ok] = "fuzzy"
        return name, method, score

    def pieces(self, text: str) -> list[tuple[str, str | None]]:
        """``(raw, alias)`` of each piece of ``text``: the institution of its first alias, or
        None when it holds none (then fuzzy-matched)."""
        if not isinstance(text, str) or not text.strip():
            return []
        found: list[str] = []

        def protect(m: re.Match[str]) -> str:
            found.append(m.group(0))
            return _TOKEN.format(len(found) - 1)

        masked = self.aliases.sub(protect, _normalise(text))
        out = []
        for piece in _SPLIT.split(masked):
            raw = _clean(_TOKEN_RE.sub(lambda m: found[int(m.group(1))], piece))
            if raw:
                tokens = [found[int(i)] for i in _TOKEN_RE.findall(piece)]
                out.append((raw, self.alias_of(tokens[0]) if tokens else None))
        return out

    def alias_of(self, match: str) -> str:
        """The institution of a text the alias pattern matched.

        Its :func:`_key` is an alias key, except when case-insensitive matching pairs characters
        that casefold differently: ``İ`` (U+0130) and ``ı`` (U+0131) match ``i`` under
        ``re.IGNORECASE`` (simple case mapping) but casefold to ``i̇`` and ``ı``, so ``İOM``
        matches the key ``iom`` with ``_key("İOM") == "i̇om"``. Then the key is the first one, in
        the pattern's order, whose own alternative matches the text whole: the one the
        pattern took (an earlier one matching the same text would have been taken instead).
        """
        key = _key(match)
        if key in self.mapping:
            return self.mapping[key]
        for k in sorted(self.mapping, key=len, reverse=True):  # the order of _alias_regex
            if re.fullmatch(_alias_body(k), match, re.IGNORECASE):
                return self.mapping[k]
        raise AssertionError(f"no alias key matches {match!r}")  # pragma: no cover - see above

    def names(self, pieces: list[tuple[str, str | None]]) -> list[tuple[str, str, str, float]]:
        """``(raw, name, method, score)`` of each piece, an institution named twice once."""
        out, seen = [], set()
        for raw, alias in pieces:
            name, method, score = (alias, "alias", 100.0) if alias else self.match(raw)
            if name.casefold() not in seen:
                seen.add(name.casefold())
                out.append((raw, name, method, round(score, 1)))
        return out

    def __call__(self, text: str) -> list[tuple[str, str, str, float]]:
        return self.names(self.pieces(text))


def _sorted_words(texts) -> list[str]:
    """Each text as ``token_sort_ratio`` compares it: rapidfuzz's ``default_process`` (lower
    case, every character but letters and digits a space, trimmed), its words sorted and joined
    by one space. One call per distinct piece (the processing ``cdist`` did for each pair)."""
    from rapidfuzz import utils  # deferred: only pieces without an alias

    return [" ".join(sorted(utils.default_process(t).split())) for t in texts]


def _casefold_codes(names: np.ndarray) -> np.ndarray:
    """Each name's code among the distinct ``str.casefold`` of the names: ASCII names lowered
    in Arrow (their casefold), the others case-folded by Python; codes by one Arrow hash."""
    arr = pa.array(names, type=pa.large_string())
    other = ~np.asarray(pc.string_is_ascii(arr).to_numpy(zero_copy_only=False), dtype=bool)
    folded = pc.ascii_lower(arr)
    if other.any():
        py = [n.casefold() for n in names[other]]
        folded = pc.replace_with_mask(folded, pa.array(other), pa.array(py, pa.large_string()))
    return np.asarray(pc.dictionary_encode(folded).indices.to_numpy(), dtype=np.int64)


def _text_at(texts: pa.Array | list[object], i: int) -> object:
    return texts[i].as_py() if isinstance(texts, pa.Array) else texts[i]


def _names_frame(split: _Splitter, texts: pa.Array | list[object]) -> pd.DataFrame:
    """``t, raw, name, method, score, k``: :meth:`_Splitter.names` of every text (``t`` its
    position, ``k`` the order of its names), a redacted piece (``[phone]``) left out.

    Work per distinct value: each distinct piece without an alias is fuzzy-matched once
    (:meth:`_Splitter.match_distinct`), each distinct name case-folded once, a text's second
    mention of a name (same casefold) dropped by integer codes; the text columns stay Arrow
    strings."""
    pieces = pieces_frame(split, texts)
    if pieces.empty:
        return pd.DataFrame(columns=["t", "raw", "name", "method", "score", "k"])
    t = pieces["t"].to_numpy(dtype=np.int64)
    raw = columns.to_arrow(pieces["raw"].array)
    alias = pieces["alias"].to_numpy(dtype=object)
    fuzzy = pd.isna(alias)
    # the names as codes into one list: the alias names, then the names of the distinct pieces
    # without an alias (each fuzzy-matched once)
    a_code, a_names = pd.factorize(alias[~fuzzy])
    enc = pc.dictionary_encode(raw.filter(pa.array(fuzzy)))
    f_code = np.asarray(enc.indices.to_numpy(False), dtype=np.int64)
    d_name, d_method, d_score = split.match_distinct(np.asarray(enc.dictionary.to_pylist(), object))
    names = np.concatenate([np.asarray(a_names, dtype=object), d_name])
    code = np.empty(len(t), dtype=np.int64)
    code[~fuzzy], code[fuzzy] = a_code, len(a_names) + f_code
    method = np.zeros(len(t), dtype=np.int64)  # alias
    method[fuzzy] = np.where(d_method == "fuzzy", 1, 2)[f_code]
    score = np.full(len(t), 100.0)
    score[fuzzy] = np.round(d_score, 1)[f_code]
    # one row per text and name (the first): the names' casefolds compared by code
    folds = _casefold_codes(names)
    key = t * (int(folds.max()) + 1 if len(folds) else 1) + folds[code]  # (text, casefold)
    first = ~pd.Series(key).duplicated().to_numpy()
    # a piece that is what redact_pii left in place of personal data (its text holds "[phone]")
    marker = pc.is_in(raw, value_set=pa.array(sorted(_REDACTED), type=pa.large_string()))
    for i in np.flatnonzero(np.asarray(marker.to_numpy(False), dtype=bool) & first):
        first[i] = f"[{raw[int(i)].as_py()}]" not in _text_at(texts, int(t[i]))
    keep = pa.array(first)
    methods = pa.array(["alias", "fuzzy", "unmatched"], type=pa.large_string())
    out = pd.DataFrame(
        {
            "t": t[first],
            "raw": raw.filter(keep).to_pandas(),
            "name": pa.array(names, type=pa.large_string()).take(pa.array(code[first])).to_pandas(),
            "method": methods.take(pa.array(method[first])).to_pandas(),
            "score": score[first],
        }
    )
    return out.assign(k=np.arange(len(out)))


def institution_mentions(
    data: pd.DataFrame,
    instrument: Instrument,
    qid: str,
    *,
    aliases: AliasTable | Path | str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> pd.DataFrame:
    """One row per institution named by each respondent to list question ``qid``.

    Parameters
    ----------
    data
        The clean table; the answers are in column ``qid``, the group in the instrument's
        ``group_by`` column (e.g. ``A1``, the sector).
    instrument
        The instrument.
    qid
        A ``list`` question, e.g. ``"B8"`` or ``"B9"``.
    aliases
        Alias table (object or YAML path); default the shipped ``institutions.yaml``.
    threshold
        Lowest rapidfuzz ``token_sort_ratio`` (0-100) accepted as a fuzzy match.

    Returns
    -------
    pandas.DataFrame
        Columns ``respondent_id, group, question, raw, name, method, score``: ``raw`` as written
        after :func:`~giftreview.text.safety.redact_pii` (a titled name, phone number, e-mail
        or link is removed before the answer is split, so it never becomes a table row),
        ``name`` the institution's short name (or the cleaned spelling when unmatched),
        ``group`` categorical in the instrument's option order when the group column is,
        ``method`` ``alias``, ``fuzzy`` or ``unmatched``, ``score`` the match score (100 for an
        alias; the best fuzzy score otherwise). A respondent naming one institution twice
        counts once.
    """
    q = instrument.question(qid)
    if q.type != "list":
        raise ArgumentError(f"question {qid} is '{q.type}'; institution lists are 'list' questions")
    if not 0 <= threshold <= 100:
        raise ArgumentError(f"`threshold` must lie between 0 and 100, got {threshold!r}")
    check_column(data, qid, "qid")
    table = aliases if isinstance(aliases, AliasTable) else load_aliases(aliases)
    group = instrument.group_by
    groups = data[group].astype("string") if group and group in data.columns else None
    split = _Splitter(table, threshold)
    answered, codes, distinct = _distinct_answers(data[qid])  # each distinct answer once
    names = _names_frame(split, _redacted(distinct))  # no names, phones, ...
    cols = ["respondent_id", "group", "question", "raw", "name", "method", "score"]
    if names.empty:
        out = pd.DataFrame([], columns=cols)
        if groups is not None and isinstance(data[group].dtype, pd.CategoricalDtype):
            levels = [str(c) for c in data[group].cat.categories]
            out["group"] = pd.Categorical(out["group"].astype("string"), categories=levels)
    else:
        # each answer gets the rows of its distinct text (``names`` is sorted by text), in order
        t = names["t"].to_numpy(dtype=np.int64)
        count = np.bincount(t, minlength=len(distinct))
        first = np.cumsum(count) - count
        per_answer = count[codes]
        at = np.repeat(np.arange(len(codes)), per_answer)  # the answer of each output row
        starts = np.cumsum(per_answer) - per_answer
        take = (
            np.repeat(first[codes], per_answer) + np.arange(len(at)) - np.repeat(starts, per_answer)
        )
        rows = answered[at]
        ids = columns.to_arrow(data["respondent_id"].astype(str).array).take(pa.array(rows))
        if groups is not None and isinstance(data[group].dtype, pd.CategoricalDtype):
            levels = [str(c) for c in data[group].cat.categories]
            grp = pd.Categorical.from_codes(data[group].cat.codes.to_numpy()[rows], levels)
        elif groups is not None:
            grp = groups.to_numpy(dtype=object)[rows]
        else:
            grp = np.full(len(rows), pd.NA, dtype=object)
        out = pd.DataFrame(
            {
                "respondent_id": ids.to_pandas(),
                "group": grp,
                "question": qid,
                "raw": _text_column(names["raw"], take),
                "name": _text_column(names["name"], take),
                "method": _text_column(names["method"], take),
                "score": names["score"].to_numpy(dtype=np.float64)[take],
            }
        )
    return out


def _distinct_answers(answers: pd.Series) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """``(rows, codes, distinct)``: the rows holding an answer, each one's position in the
    distinct answers, and those (in order of first appearance). Pandas' Arrow strings are
    encoded by one Arrow ``dictionary_encode`` (a null stays null); any other column by
    :func:`giftreview.data.columns.distinct` of its answers."""
    if isinstance(answers.dtype, pd.StringDtype) and answers.dtype.storage == "pyarrow":
        enc = pc.dictionary_encode(columns.to_arrow(answers.array))
        valid = enc.indices.is_valid()
        rows = np.flatnonzero(np.asarray(valid.to_numpy(zero_copy_only=False), dtype=bool))
        codes = np.asarray(enc.indices.filter(valid).to_numpy(), dtype=np.intp)
        return rows, codes, columns.to_arrow(enc.dictionary)
    rows = np.flatnonzero(answers.notna().to_numpy())
    return (rows, *columns.distinct(answers.iloc[rows]))


def _redacted(texts: pa.Array) -> pa.Array:
    """:func:`~giftreview.text.safety.redact_texts` of distinct texts held in Arrow: only the
    texts :data:`~giftreview.text.safety.MAYBE_PII` finds (the only ones it can change) are
    made Python strings and redacted."""
    texts = columns.to_arrow(texts)
    maybe = pc.fill_null(pc.match_substring_regex(texts, MAYBE_PII), False)
    hit = np.flatnonzero(np.asarray(maybe.to_numpy(zero_copy_only=False), dtype=bool))
    if not len(hit):
        return texts
    found = redact_texts(pd.Series(texts.take(pa.array(hit)).to_pylist(), dtype=object))
    return pc.replace_with_mask(texts, maybe, pa.array(found.tolist(), type=pa.large_string()))


def _text_column(values: pd.Series, take: np.ndarray) -> pd.Series:
    """``values`` (pandas' Arrow strings) at positions ``take``, taken in Arrow (no Python
    object per output row)."""
    return columns.to_arrow(values.array).take(pa.array(take)).to_pandas()


def unmatched_names(mentions: pd.DataFrame) -> pd.DataFrame:
    """Names that matched no alias: ``name, n, best_score, examples`` for review, most named first.

    Add real institutions among them to the alias table; the rest stay under their spelling.
    """
    sub = mentions[mentions["method"] == "unmatched"]
    out = sub.groupby("name", sort=False).agg(
        n=("respondent_id", "nunique"),
        best_score=("score", "max"),
        examples=("raw", lambda s: "; ".join(dict.fromkeys(s))),
    )
    return out.reset_index().sort_values(["n", "name"], ascending=[False, True], ignore_index=True)


def table_by_group(mentions: pd.DataFrame, *, k: int = 5) -> pd.DataFrame:
    """For each respondent group (sector), the institutions named, with counts, most named first.

    Parameters
    ----------
    mentions
        Output of :func:`institution_mentions`.
    k
        Small-cell threshold: counts below ``k`` are shown as ``"<k"`` (``0`` turns it off),
        through :func:`giftreview.analysis.disclosure.primary_status`. Only primary suppression
        applies: no totals are published (one respondent names several institutions), so none
        can be recovered by subtraction (:func:`~giftreview.analysis.disclosure.suppress` with
        ``margins="none"`` hides the same cells).

    Returns
    -------
    pandas.DataFrame
        Columns ``group, name, n, matched, suppressed, n_display``; ``n`` counts respondents of the
        group naming the institution; ``matched`` is False for names that matched no alias.
    """
    for c in ("group", "name", "respondent_id", "method"):
        check_column(mentions, c, "mentions")
    sub = mentions.dropna(subset=["group"])
    if sub.empty:
        cols = ["group", "name", "n", "matched", "suppressed", "n_display"]
        return pd.DataFrame(columns=cols)
    # on integer codes (a million-row wave has millions of mentions): each (group, name,
    # respondent) once, then counted; a name is matched when any of its mentions is
    g, groups = pd.factorize(sub["group"])
    n, names = pd.factorize(sub["name"])
    r = pd.factorize(sub["respondent_id"])[0]
    gi, ni, count = _distinct_counts(g, n, r, len(names))
    hit = np.bincount(n, weights=(sub["method"] != "unmatched").to_numpy(), minlength=len(names))
    out = pd.DataFrame(
        {"group": groups.take(gi), "name": names.take(ni), "n": count, "matched": hit[ni] > 0}
    )
    # no total is published, so suppression is its primary step alone (as suppress(...,
    # margins="none") of the groups x names table gives it), applied to the long table directly
    status = primary_status(out["n"].to_numpy(), k=k)
    out["suppressed"] = pd.Series(status, index=out.index, dtype="str")
    out["n_display"] = out["n"].astype(str).where(status == "", f"<{k}")
    # sorted by group, n descending, name: one lexsort of the groups' and the names' ranks
    # among their distinct values ((group, name) pairs are distinct, so the order is total)
    order = np.lexsort((_ranks(names)[ni], -out["n"].to_numpy(), _ranks(groups)[gi]))
    return out.take(order).reset_index(drop=True)


def _distinct_counts(
    g: np.ndarray, n: np.ndarray, r: np.ndarray, n_names: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(group, name, count)`` codes: each (group, name) pair with the number of distinct
    respondents ``r`` naming it, pairs in ascending order. One int64 key per triple, its
    duplicates dropped by hashing, then the pairs counted by ``np.unique``."""
    n_r = int(r.max()) + 1 if len(r) else 1
    pair = g.astype(np.int64) * n_names + n
    if (int(g.max()) + 1 if len(g) else 1) * n_names * n_r < 2**62:
        once = ~pd.Series(pair * n_r + r).duplicated().to_numpy()
    else:  # pragma: no cover - more than 2**62 triples: the frame's own duplicate check
        once = ~pd.DataFrame({"p": pair, "r": r}).duplicated().to_numpy()
    pairs, count = np.unique(pair[once], return_counts=True)
    return pairs // n_names, pairs % n_names, count.astype(np.int64)


def _ranks(values: pd.Index) -> np.ndarray:
    """Each distinct value's rank in the order ``sort_values`` puts it (``Index.argsort``:
    categories by their codes, Arrow strings by code point in Arrow)."""
    order = np.asarray(values.argsort(), dtype=np.int64)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank
