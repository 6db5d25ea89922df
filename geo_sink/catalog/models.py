"""Validated records of ``data_catalog/`` (pydantic models).

Each model mirrors one kind of catalog entry.  Validation is strict: unknown keys are
errors, every number needs a source, and every legend class maps to a known ecosystem.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Ecosystem(_Strict):
    id: str
    name: str
    name_zh: str


class LegendClass(_Strict):
    code: int = Field(ge=0, le=65535)
    name: str
    name_zh: str
    ecosystem: str
    color: str
    note: str | None = None

    @field_validator("color")
    @classmethod
    def _hex_color(cls, v: str) -> str:
        if not _COLOR.match(v):
            raise ValueError(f"expected a colour like '#1a2b3c', got {v!r}")
        return v.lower()


class Legend(_Strict):
    """A land-cover product's codes mapped to the common ecosystem classes."""

    id: str
    name: str
    product_resolution_m: float = Field(gt=0)
    source: str = Field(min_length=10)
    nodata: list[int] = Field(default_factory=list)
    classes: list[LegendClass] = Field(min_length=1)
    #: The product version of each year's map where a product's years come from different
    #: algorithm versions (ESA WorldCover: 2020 v100, 2021 v200), and why two such maps are not
    #: differenced, with the producer's words and source (:func:`geo_sink.measurability.change_problem`).
    versions: dict[int, str] = Field(default_factory=dict)
    versions_note: str | None = None
    #: The producer's word that its maps are not for land-cover change between years, quoted
    #: with its source (MODIS MCD12Q1): two maps of such a legend are not differenced
    #: (:func:`geo_sink.measurability.change_problem`).
    change_note: str | None = Field(default=None, min_length=10)

    @model_validator(mode="after")
    def _versions_explained(self) -> "Legend":
        if self.versions and not (self.versions_note and len(self.versions_note) >= 10):
            raise ValueError("'versions' needs 'versions_note': why maps of two versions are not differenced, "
                             "with its source")
        return self

    @model_validator(mode="after")
    def _unique_codes(self) -> "Legend":
        codes = [c.code for c in self.classes]
        dup = sorted({c for c in codes if codes.count(c) > 1})
        if dup:
            raise ValueError(f"duplicate class codes {dup}")
        clash = sorted(set(codes) & set(self.nodata))
        if clash:
            raise ValueError(f"codes {clash} are both classes and nodata")
        return self

    @property
    def codes(self) -> list[int]:
        return [c.code for c in self.classes]

    def by_code(self) -> dict[int, LegendClass]:
        return {c.code: c for c in self.classes}


class Dataset(_Strict):
    id: str
    title: str
    kind: Literal["raster", "vector", "table"]
    path: str | None = None
    package: str | None = None
    resource: str | None = None
    generated_by: str | None = None
    crs: str | None = None
    file_crs_expected: str | None = None
    crs_note: str | None = None
    resolution: str | None = None
    legend: str | None = None
    year: int | None = None
    licence: str = Field(min_length=3)
    citation: str = Field(min_length=10)
    provenance: str | None = None
    synthetic: bool

    @model_validator(mode="after")
    def _located(self) -> "Dataset":
        if sum(x is not None for x in (self.path, self.package, self.generated_by)) != 1:
            raise ValueError("give exactly one of 'path' (in data_catalog/), 'package' + 'resource' "
                             "or 'generated_by' (a geo_sink module)")
        if self.generated_by is not None and not self.synthetic:
            raise ValueError("generated data must say 'synthetic: true'")
        if self.kind != "table" and (self.crs is None or self.resolution is None):
            raise ValueError("raster and vector datasets need 'crs' and 'resolution'")
        if self.package is not None and not self.resource:
            raise ValueError("'package' needs 'resource'")
        return self


class Document(_Strict):
    file: str
    title: str
    issued: str | None = None

    @field_validator("issued", mode="before")
    @classmethod
    def _date_to_str(cls, v):
        return None if v is None else str(v)


class _PolicyNumber(_Strict):
    id: str
    region: str
    adcode: str = Field(pattern=r"^\d{6}$")
    indicator: str
    value: float
    unit: str = Field(min_length=1)
    year: int = Field(ge=2000, le=2100)
    document: str
    article: str = Field(min_length=2)
    quote: str = Field(min_length=4)
    note: str | None = None


class Target(_PolicyNumber):
    comparison: Literal[">=", "<=", "~", "=="]
    status: Literal["target", "reported_achieved"]


class Baseline(_PolicyNumber):
    pass


class Indicator(_Strict):
    """An indicator a target or baseline may name (``data_catalog/indicators.csv``)."""

    indicator: str
    kind: Literal["target", "baseline"]
    unit: str
    name_en: str
    name_zh: str
    measured_from: str
    definition: str


class UnitDef(_Strict):
    """A unit accepted in targets and baselines: value in ``canonical`` = value x ``factor``."""

    unit: str
    canonical: str
    factor: float = Field(gt=0)
    definition: str
