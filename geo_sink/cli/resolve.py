"""Turn CLI arguments into API inputs: catalog dataset ids or paths, legends, zones."""

from __future__ import annotations

from pathlib import Path

from geo_sink.catalog import Catalog
from geo_sink.errors import LegendError, MissingInputError
from geo_sink.io.rasters import catalog_raster


def resolve_raster(cat: Catalog, arg: str, legend_id: str | None,
                   crs: str | None = None) -> tuple[Path, str, str | None, str]:
    """(path, legend id, CRS to use, description) for a raster file path or catalog dataset id."""
    p = Path(arg)
    if p.exists():
        if legend_id is None:
            raise LegendError(f"{p}: give --legend for a raster file (one of {sorted(cat.legends)})")
        cat.legend(legend_id)
        return p, legend_id, crs, str(p)
    if arg in cat.datasets:
        ds = cat.dataset(arg)
        leg = legend_id or ds.legend
        if leg is None:
            raise LegendError(f"dataset {arg!r} has no legend; give --legend")
        cat.legend(leg)
        label = f"{ds.title}{' [SYNTHETIC DEMO DATA]' if ds.synthetic else ''}"
        path, ds_crs = catalog_raster(cat, arg)
        return path, leg, crs or ds_crs, label
    raise MissingInputError(f"{arg}: no such raster file, and no catalog dataset with that id "
                            f"(datasets: {sorted(cat.datasets)})")
