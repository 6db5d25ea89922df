"""Reading and writing: rasters, zone layers, Chinese boundaries, atomic outputs."""

from geo_sink.io.atomic import atomic_path, write_table
from geo_sink.io.boundaries import load_boundaries, load_zones, region_table, resolve_region
from geo_sink.io.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from geo_sink.io.rasters import raster_info
from geo_sink.io.vectors import read_zones

__all__ = ["atomic_path", "write_table", "load_boundaries", "load_zones", "region_table",
           "resolve_region", "gcj02_to_wgs84", "wgs84_to_gcj02", "raster_info", "read_zones"]
