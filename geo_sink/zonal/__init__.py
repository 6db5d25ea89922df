"""Zonal statistics on categorical rasters: exact coverage, cached zones, class areas."""

from geo_sink.zonal.areas import (AREA_COLUMNS, SUMMARY_COLUMNS, ZonalResult, class_areas,
                                  tidy_areas, zone_geodesic_area_km2, zones_on_grid)
from geo_sink.zonal.coverage import Coverage, polygon_coverage
from geo_sink.zonal.engine import ClassAreaAccumulator
from geo_sink.zonal.zones import ZoneIndex, build_zone_index, zone_index

__all__ = ["AREA_COLUMNS", "SUMMARY_COLUMNS", "ZonalResult", "class_areas", "tidy_areas",
           "zone_geodesic_area_km2", "zones_on_grid", "Coverage", "polygon_coverage",
           "ClassAreaAccumulator", "ZoneIndex", "build_zone_index", "zone_index"]
