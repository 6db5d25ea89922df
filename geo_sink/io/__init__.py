"""Reading and writing: rasters, zone layers, Chinese boundaries, atomic outputs.

The names below are imported from their modules on first use (PEP 562), so that importing one
light submodule (``geo_sink.io.atomic``, which every command's error handling reaches) does not
import rasterio, geopandas and pyproj with the package."""

import importlib

_WHERE = {"atomic_path": "atomic", "write_table": "atomic", "load_boundaries": "boundaries",
          "load_zones": "boundaries", "region_table": "boundaries", "resolve_region": "boundaries",
          "gcj02_to_wgs84": "gcj02", "wgs84_to_gcj02": "gcj02", "raster_info": "rasters", "read_zones": "vectors"}

__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(f"geo_sink.io.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'geo_sink.io' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_WHERE))
