"""The pieces of an instrument file, as pydantic models.

Options, missing codes, rating scales, count bins (and :func:`bin_counts`, the one function that
bins counts), questions, report sections and parts, batteries, multi-item scales, the raw export's
layout, the survey's title block, the sampling design with its calibration, and the unit a
response stands for. Each model checks its own fields; the checks that need the whole file
(a question's scale exists, a section names known questions) are on
:class:`giftreview.data.instrument.Instrument`, which holds these pieces. The format is
documented in ``docs/instrument-format.md``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "QuestionType",
    "CLOSED_TYPES",
    "TEXT_TYPES",
    "ROW_ID",
    "Option",
    "MissingCode",
    "Scale",
    "Bin",
    "bin_counts",
    "Question",
    "Section",
    "Part",
    "Battery",
    "MultiItemScale",
    "RawLayout",
    "Survey",
    "CalibrationMargin",
    "Calibration",
    "DesignSpec",
    "Unit",
]


QuestionType = Literal["single", "rating", "count", "multi", "open", "list"]
#: question types with a fixed set of answers (scored by ``giftreview.analysis.score``)
CLOSED_TYPES: tuple[str, ...] = ("single", "rating", "count", "multi")
#: question types answered in free text (coded by ``giftreview.text.coding`` / ``giftreview.text.lists``)
TEXT_TYPES: tuple[str, ...] = ("open", "list")

_ID_RE = r"^[A-Za-z][A-Za-z0-9_]*$"
#: ``raw.respondent_id: row``: the id is the data row number (1 = first row after the header), for
#: exports without an id column; read_raw adds it as a column of this name
ROW_ID = "row"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Model):
    """One answer option of a single/multiple choice question or one level of a scale."""

    code: Annotated[str | int, Field(description="stable code stored in the clean data")]
    label: str = Field(description="label as printed in the report")
    aliases: list[str] = Field(
        default_factory=list, description="other spellings accepted in raw data"
    )
    column: str | None = Field(
        default=None,
        description="multi: raw column ticked for this option, when the export spreads a "
        "multiple-choice question over one column per option",
    )

    @field_validator("label")
    @classmethod
    def _label_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("label is blank; give the label printed in the report")
        return v


class MissingCode(_Model):
    """An answer that means 'no substantive answer' (excluded from bases, counted on its own)."""

    label: str
    aliases: list[str] = Field(default_factory=list)


class Scale(_Model):
    """An ordered rating scale: levels from lowest to highest."""

    levels: list[Option] = Field(min_length=2)
    neutral: str | int | None = Field(
        default=None, description="code of the middle level (diverging charts centre on it)"
    )
    top_box: list[str | int] = Field(
        default_factory=list, description="codes counted in the top-box share (e.g. the top two)"
    )

    @model_validator(mode="after")
    def _codes_known(self) -> Scale:
        _check_spellings(self.levels, "levels")
        codes = [lv.code for lv in self.levels]
        if len(set(map(str, codes))) != len(codes):
            raise ValueError(f"level codes repeat: {codes}; give each level its own code")
        for name, values in (
            ("neutral", [self.neutral] if self.neutral is not None else []),
            ("top_box", self.top_box),
        ):
            for v in values:
                if str(v) not in map(str, codes):
                    raise ValueError(f"{name} code {v!r} is not a level code; level codes: {codes}")
        return self


def _spelling_key(text: object) -> str:
    return " ".join(str(text).casefold().split())


def _check_spellings(options: list[Option], where: str) -> None:
    """Refuse a label, code or alias that names two options (the first would win silently)."""
    owner: dict[str, str] = {}
    for o in options:
        for spelling in dict.fromkeys(map(_spelling_key, (o.label, o.code, *o.aliases))):
            other = owner.setdefault(spelling, o.label)
            if other != o.label:
                raise ValueError(
                    f"{where}: {spelling!r} names both {other!r} and {o.label!r} (as a label, "
                    "code or alias); keep it on one of them so every answer has one meaning"
                )


class Bin(_Model):
    """A reporting bin for a count: ``min <= value <= max`` (``max`` omitted = no upper bound)."""

    label: str
    min: float
    max: float | None = None


def bin_counts(values: Any, bins: list[Bin]) -> pd.Categorical:
    """The reporting bin of each count: the last bin whose ``min`` is at most the value.

    A value between two bins (2.5, between ``1-2`` and ``3-5``; 10.5, between ``6-10`` and
    ``11+``: midpoints of answers such as "2-3") goes to the lower bin. A missing value, one below
    the first bin's ``min`` or one above the last bin's ``max`` has no bin (NA). Cleaning and the
    synthetic tables of :mod:`giftreview.analysis.score` both bin with this function.

    Examples
    --------
    >>> bins = [Bin(label="0", min=0, max=0), Bin(label="1-2", min=1, max=2),
    ...         Bin(label="3-5", min=3, max=5)]
    >>> bin_counts([0, 0.5, 2, 2.5, 5, 5.5, None, -1], bins).tolist()
    ['0', '0', '1-2', '1-2', '3-5', nan, nan, nan]
    """
    v = pd.array(list(values) if not hasattr(values, "dtype") else values, dtype="Float64")
    v = v.to_numpy(dtype=float, na_value=np.nan)
    mins = np.array([b.min for b in bins], dtype=float)
    # index of the last bin (in the instrument's order) whose min is <= the value, else -1
    codes = ((v[:, None] >= mins[None, :]) * np.arange(1, len(bins) + 1)).max(axis=1, initial=0) - 1
    top = bins[-1].max if bins else None
    if top is not None:
        codes[(codes == len(bins) - 1) & (v > top)] = -1
    codes[np.isnan(v)] = -1
    return pd.Categorical.from_codes(codes, [b.label for b in bins], ordered=True)


class Question(_Model):
    """One question of the instrument."""

    id: str = Field(pattern=_ID_RE)
    part: str
    number: int | None = Field(default=None, description="number printed before the heading")
    text: str = Field(description="the question wording, used as heading and chart title")
    type: QuestionType
    column: str | None = Field(default=None, description="raw column holding the answer")
    required: bool = False
    optional: bool = Field(
        default=False,
        description="the export may leave the column out (otherwise an absent column is an error)",
    )
    options: list[Option] = Field(default_factory=list)
    scale: str | None = None
    missing: list[MissingCode] | None = Field(
        default=None, description="missing codes; defaults to the instrument's missing_codes"
    )
    separator: str = Field(default=";", description="multi: separator between chosen options")
    other_column: str | None = Field(
        default=None, description="multi: raw column of 'Other (specify)'"
    )
    other_label: str = "Other (specify)"
    bins: list[Bin] = Field(default_factory=list, description="count: reporting bins")
    number_words: dict[str, float] = Field(
        default_factory=dict, description="count: words read as numbers, e.g. none: 0"
    )
    min: float | None = Field(default=None, description="count: smallest plausible value")
    max: float | None = Field(default=None, description="count: largest plausible value")
    codebook: str | None = Field(
        default=None, description="open: codebook file (relative to the instrument)"
    )
    comparable_with: str | None = Field(
        default=None,
        description="id of the same question in an earlier wave's instrument, if renamed",
    )
    asked_if: str | None = Field(
        default=None,
        description="skip logic from the questionnaire (who was asked), printed with the question",
    )
    battery: str | None = Field(
        default=None, description="id of the battery this item was expanded from (set on load)"
    )

    @model_validator(mode="after")
    def _type_fields(self) -> Question:
        t = self.type
        if t in ("single", "multi") and not self.options:
            raise ValueError(f"type '{t}' needs 'options' (a list of code/label pairs)")
        if t == "rating" and not self.scale:
            raise ValueError("type 'rating' needs 'scale' (the name of an entry under 'scales')")
        if t == "count" and not self.bins:
            raise ValueError("type 'count' needs 'bins' (label, min, max) for the report")
        if t != "count" and (self.min is not None or self.max is not None):
            raise ValueError(f"'min'/'max' apply to count questions only; this one is '{t}'")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}; swap them")
        if self.options:
            _check_spellings(self.options, f"options of {self.id}")
        if self.options:
            codes = [str(o.code) for o in self.options]
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ValueError(f"option codes repeat: {dup}; give each option its own code")
            spread = [o.column for o in self.options if o.column]
            if spread and (t != "multi" or len(spread) != len(self.options)):
                raise ValueError(
                    "options with 'column' (one raw column per option) need type 'multi' and a "
                    "column on every option"
                )
            if self.raw_column in spread:
                raise ValueError(
                    f"column {self.raw_column!r} is also an option's column; give the question "
                    "its own column name (the options' ticks are joined into it on reading)"
                )
            reserved = {"missing", "bin", "other_text"}
            clash = sorted(c for c in codes if c in reserved)
            if clash:
                raise ValueError(
                    f"option code(s) {clash} would clash with the clean columns "
                    f"{self.id}__missing / __bin / __other_text; rename the option code"
                )
        return self

    @property
    def raw_column(self) -> str:
        """The raw column of the answer (defaults to the question id)."""
        return self.column or self.id

    @property
    def option_columns(self) -> list[str]:
        """Raw columns of the options of a multi question spread over one column per option."""
        return [o.column for o in self.options if o.column]


class Section(_Model):
    """A rendered report section: one executed notebook holding some questions."""

    id: str = Field(pattern=_ID_RE)
    title: str
    part: str | None = None
    questions: list[str] = Field(min_length=1)
    intro: str | None = None


class Part(_Model):
    id: str
    title: str


class Battery(_Model):
    """A grid of rating items sharing one scale, written once in the instrument.

    In the YAML a battery is an entry of ``questions`` with ``type: battery``, a stem ``text``, one
    ``scale`` and ``items`` (``id``, ``text``, optional ``column``). :func:`expand_batteries` turns
    it into one ``rating`` question per item on load; this record keeps the grouping for the
    battery chart.
    """

    id: str = Field(pattern=_ID_RE)
    part: str
    number: int | None = None
    text: str
    scale: str
    items: list[str] = Field(min_length=2)


class MultiItemScale(_Model):
    """A multi-item scale: a score computed from several rating items (e.g. a personality trait).

    ``score: mean`` is the mean of the valid items, ``sum`` their sum scaled up to all items
    (mean x number of items) so that a respondent who skips one item is not scored lower. Items in
    ``reverse`` are reverse-keyed as ``lowest + highest - value`` of their scale. A respondent
    with fewer than ``min_valid`` valid items gets no score. See ``giftreview.analysis.scales``.
    """

    id: str = Field(pattern=_ID_RE)
    title: str
    items: list[str] = Field(min_length=2)
    reverse: list[str] = Field(default_factory=list)
    min_valid: int | None = Field(
        default=None, ge=1, description="fewest valid items for a score (default: all items)"
    )
    score: Literal["mean", "sum"] = "mean"
    part: str | None = Field(default=None, description="part whose report shows the scale")

    @model_validator(mode="after")
    def _items_consistent(self) -> MultiItemScale:
        dup = sorted({i for i in self.items if self.items.count(i) > 1})
        if dup:
            raise ValueError(f"items repeat: {dup}; list each item once")
        stray = [i for i in self.reverse if i not in self.items]
        if stray:
            raise ValueError(f"reverse: {stray} not among the items {self.items}; add or remove")
        if self.min_valid is not None and self.min_valid > len(self.items):
            raise ValueError(
                f"min_valid {self.min_valid} exceeds the {len(self.items)} items; lower it"
            )
        return self

    @property
    def needed(self) -> int:
        """Fewest valid items for a score (``min_valid``, default every item)."""
        return self.min_valid if self.min_valid is not None else len(self.items)


class RawLayout(_Model):
    """How the raw export is laid out."""

    header_rows: int = Field(default=1, ge=1, le=5, description="rows of header in the export")
    name_row: int = Field(default=1, ge=1, description="which header row holds the column names")
    sheet: str | int | None = Field(default=None, description="XLSX sheet name or index")
    respondent_id: str = Field(
        default="respondent_id",
        description="raw column of the respondent id, or 'row' for the data row number",
    )
    organization: str | None = "organization"
    submitted: str | None = "submitted"
    decimal_mark: Literal[".", ","] | None = Field(
        default=None,
        description="the export's decimal mark; the other one then separates thousands. Unset: "
        "'1,000' and '1.000' are ambiguous and set missing",
    )

    @field_validator("respondent_id", mode="before")
    @classmethod
    def _id_given(cls, v: object) -> object:
        if v is None or (isinstance(v, str) and not v.strip()):
            raise ValueError(
                "no id column given; name the column that identifies each respondent, or write "
                f"'respondent_id: {ROW_ID}' to use the data row number (exports without an id)"
            )
        return v

    @property
    def ids_from_rows(self) -> bool:
        """True when the respondent id is the data row number (``respondent_id: row``)."""
        return self.respondent_id == ROW_ID

    @model_validator(mode="after")
    def _name_row_in_header(self) -> RawLayout:
        if self.name_row > self.header_rows:
            raise ValueError(
                f"name_row {self.name_row} is beyond header_rows {self.header_rows}; "
                "name_row counts from 1 within the header rows"
            )
        return self


class Survey(_Model):
    id: str = Field(pattern=_ID_RE)
    title: str
    organization: str | None = None
    introduction: str = ""
    running_header: str | None = None


class CalibrationMargin(_Model):
    """One set of population totals: cells over ``variables`` (see ``docs/instrument-format.md``)."""

    variables: list[str] = Field(min_length=1, description="question ids or data columns")
    population: dict[str, float] | None = Field(
        default=None,
        description="{cell: N}; a cell is an option code or label, 'a x b' for several variables",
    )
    population_file: str | None = Field(
        default=None,
        description="CSV next to the instrument: one column per variable and one of totals",
    )

    @model_validator(mode="after")
    def _one_source(self) -> CalibrationMargin:
        if (self.population is None) == (self.population_file is None):
            raise ValueError(
                "give exactly one of population: {cell: N, ...} or population_file: totals.csv"
            )
        return self


class Calibration(_Model):
    """How the base weights are calibrated to population totals."""

    method: Literal["poststratify", "rake", "linear"]
    margins: list[CalibrationMargin] = Field(min_length=1)
    total: float | None = Field(
        default=None, gt=0, description="linear: population size (default: sum of a margin)"
    )
    numeric: dict[str, float] = Field(
        default_factory=dict, description="linear: population totals of numeric columns"
    )
    epsilon: float = Field(default=1.0, gt=0, description="rake: convergence tolerance")
    max_iter: int = Field(default=10, ge=1, description="rake: sweeps allowed")

    @model_validator(mode="after")
    def _shape(self) -> Calibration:
        if self.method == "poststratify" and len(self.margins) != 1:
            raise ValueError(
                f"poststratify takes one margin (its cells may cross several variables); got "
                f"{len(self.margins)} - use method: rake for several margins"
            )
        if self.method == "linear" and any(len(m.variables) != 1 for m in self.margins):
            raise ValueError("linear calibration takes one variable per margin")
        return self


class DesignSpec(_Model):
    """The sampling design: base weights, strata, clusters, fpc and calibration."""

    weights: str | None = Field(default=None, description="base weight column")
    strata: str | None = Field(default=None, description="stage-1 stratum column")
    clusters: list[str] = Field(default_factory=list, max_length=2, description="PSU [, SSU] ids")
    fpc: list[str] = Field(default_factory=list, max_length=2, description="fpc per stage")
    nest: bool = Field(default=False, description="cluster ids repeat across strata")
    lonely_psu: Literal["fail", "remove", "certainty", "adjust", "average"] = "fail"
    calibration: Calibration | None = None

    @model_validator(mode="after")
    def _stages(self) -> DesignSpec:
        if self.fpc and len(self.fpc) != max(len(self.clusters), 1):
            raise ValueError(
                f"fpc names {len(self.fpc)} column(s) for {max(len(self.clusters), 1)} sampling "
                "stage(s); give one fpc column per stage of clusters"
            )
        return self


class Unit(_Model):
    """What one response stands for, as the report's sentences name it ("42 people answered")."""

    singular: str = Field(default="respondent", min_length=1)
    plural: str = Field(default="respondents", min_length=1)

    def of(self, n: int) -> str:
        """``n`` with the unit, singular for 1: ``of(1) == "1 respondent"``."""
        return f"{n} {self.singular if n == 1 else self.plural}"
