"""Land cover at display size: the class codes of a map over a lon/lat box in Web Mercator, for
the report's overlays (read decimated when the map is much larger than the picture)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest side (pixels) of a report overlay.
MAX_OVERLAY_PX = 1400
#: Display simplification of boundaries (degrees, ~100 m) so a city report stays small.
SIMPLIFY_DEG = 0.001


def display_geometries(geoms):
    """Polygons as the report draws them: each simplified to :data:`SIMPLIFY_DEG` (topology
    kept)."""
    import shapely
    return shapely.simplify(geoms, SIMPLIFY_DEG, preserve_topology=True)


def region_outline(shown):
    """The region's outline as the report draws it: the union of the counties as drawn
    (``shown``: :func:`display_geometries`), so that it runs along their drawn edges."""
    import shapely
    return shapely.union_all(shown)


@dataclass(frozen=True)
class OverlayPlan:
    """How a map becomes an overlay (:func:`overlay_plan`): the window of the map under the
    lon/lat box, the shape it is sampled at (nearest; the window's own when small enough), and
    what the reprojection to Web Mercator needs."""

    window: object                  # rasterio Window
    read_shape: tuple[int, int]
    src_crs: object
    window_transform: object        # Affine of the sampled cells
    nodata: float | None
    bounds: tuple[float, float, float, float]   # the window's, in the map's CRS

    @property
    def decimated(self) -> bool:
        return self.read_shape != (int(self.window.height), int(self.window.width))

    def sample_positions(self) -> tuple[np.ndarray, np.ndarray]:
        """(grid rows, grid columns) of the cells the sample takes
        (:func:`geo_sink.io.rasters.sample_positions`)."""
        from geo_sink.io.rasters import sample_positions
        return sample_positions(self.window, self.read_shape)


def display_grid(src_crs, width: int, height: int, bounds, max_px: int = MAX_OVERLAY_PX):
    """(Affine, width, height) of the Web Mercator grid a ``width`` x ``height`` window of a map
    in ``src_crs`` over ``bounds`` (in that CRS) is drawn on: GDAL's default grid for the
    window's own cells, coarsened to at most ``max_px`` a side."""
    from affine import Affine
    from rasterio.warp import calculate_default_transform

    dst_t, w, h = calculate_default_transform(src_crs, "EPSG:3857", int(width), int(height), *bounds)
    scale = max(1.0, max(w, h) / max_px)
    w2, h2 = max(1, int(w / scale)), max(1, int(h / scale))
    return Affine(dst_t.a * w / w2, 0, dst_t.c, 0, dst_t.e * h / h2, dst_t.f), w2, h2


def overlay_plan(path, crs, bounds_ll, max_read_px: int = 2 * MAX_OVERLAY_PX,
                 sample_px: int = MAX_OVERLAY_PX) -> OverlayPlan:
    """The :class:`OverlayPlan` of a map over ``bounds_ll`` (lon/lat): the window's own cells
    when it is at most ``max_read_px`` cells wide and tall, else a nearest-neighbour sample of
    it with as many rows and columns as its display grid (:func:`display_grid`, at most
    ``sample_px`` a side, fewer than ``max_read_px``): one sampled cell per display pixel on each
    axis, also for a map in degrees, which Web Mercator stretches north-south."""
    import pyproj
    import rasterio
    from affine import Affine
    from rasterio.windows import from_bounds

    with rasterio.open(path) as src:
        src_crs = crs or src.crs
        t = pyproj.Transformer.from_crs(4326, pyproj.CRS(src_crs) if not hasattr(src_crs, "to_wkt") else pyproj.CRS(src_crs.to_wkt()), always_xy=True)
        xb = t.transform_bounds(*bounds_ll, densify_pts=21)
        win = from_bounds(*xb, transform=src.transform).round_offsets().round_lengths().intersection(
            rasterio.windows.Window(0, 0, src.width, src.height))
        bounds = rasterio.windows.bounds(win, src.transform)
        shape = (int(win.height), int(win.width))
        if max(shape) > max_read_px:
            _, w, h = display_grid(src_crs, win.width, win.height, bounds, min(sample_px, max_read_px))
            shape = (min(shape[0], h), min(shape[1], w))
        wt = src.window_transform(win) * Affine.scale(win.width / shape[1], win.height / shape[0])
        return OverlayPlan(win, shape, src_crs, wt, src.nodata, bounds)


def landcover_codes(path, crs, bounds_ll, max_read_px: int = 2 * MAX_OVERLAY_PX):
    """Class codes of the land cover in Web Mercator (at most :data:`MAX_OVERLAY_PX` a side)
    and their lat/lon bounds.  A window of at most ``max_read_px`` cells a side is read whole
    and reprojected by mode (the class most of its cells under a display pixel hold); a larger
    one is sampled by nearest neighbour at display size and reprojected by nearest
    (:func:`display_codes`).  Maps on one grid give arrays on one display grid (so two years
    can be compared cell by cell)."""
    # a map much larger than the overlay is sampled (nearest, streamed: io.rasters.decimated_read):
    # memory is that of the overlay, not of a province-scale raster.  The mode of a few sampled
    # cells is not the mode of the map under a display pixel, so the sample is taken at display
    # size and not resampled again by mode (GDAL's mode warp is 8x its nearest warp)
    plan = overlay_plan(path, crs, bounds_ll, max_read_px)
    if plan.decimated:
        from geo_sink.io.rasters import decimated_read
        data = decimated_read(path, plan.window, plan.read_shape)
    else:
        import rasterio
        with rasterio.open(path) as src:
            data = src.read(1, window=plan.window)
    return display_codes(plan, data)


def display_codes(plan: OverlayPlan, data: np.ndarray):
    """The sample ``data`` (``plan.read_shape``, e.g. taken during a pass over the map) in Web
    Mercator, at most :data:`MAX_OVERLAY_PX`, and the lat/lon bounds (:func:`landcover_codes`):
    by mode when ``data`` is the window's own cells, by nearest when it is a decimated sample."""
    import pyproj
    from rasterio.warp import Resampling, reproject

    src_crs = plan.src_crs
    # the display grid from the window's own cells, whatever the sample's size: a map gives one
    # display grid however it was sampled
    dst_t, w2, h2 = display_grid(src_crs, plan.window.width, plan.window.height, plan.bounds)
    out = np.zeros((h2, w2), dtype=data.dtype)
    nodata = plan.nodata
    reproject(data, out, src_transform=plan.window_transform, src_crs=src_crs, dst_transform=dst_t,
              dst_crs="EPSG:3857", resampling=Resampling.nearest if plan.decimated else Resampling.mode,
              src_nodata=nodata,
              dst_nodata=0 if nodata is None else nodata)
    to_ll = pyproj.Transformer.from_crs(3857, 4326, always_xy=True)
    x0, y0 = dst_t.c, dst_t.f
    x1, y1 = x0 + dst_t.a * w2, y0 + dst_t.e * h2
    lon0, lat0 = to_ll.transform(x0, y1)
    lon1, lat1 = to_ll.transform(x1, y0)
    return out, [[lat0, lon0], [lat1, lon1]]
