"""Land cover at display size: the class codes of a map over a lon/lat box in Web Mercator, for
the report's overlays (read decimated when the map is much larger than the picture)."""

from __future__ import annotations

import numpy as np

#: Largest side (pixels) of a report overlay.
MAX_OVERLAY_PX = 1400


def landcover_codes(path, crs, bounds_ll, max_read_px: int = 2 * MAX_OVERLAY_PX):
    """Class codes of the land cover in Web Mercator (mode resampling, at most
    :data:`MAX_OVERLAY_PX`) and their lat/lon bounds; a window wider or taller than
    ``max_read_px`` cells is read decimated (nearest) to that size first.  Maps on one grid give
    arrays on one display grid (so two years can be compared cell by cell)."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject
    from rasterio.windows import from_bounds

    with rasterio.open(path) as src:
        src_crs = crs or src.crs
        import pyproj
        t = pyproj.Transformer.from_crs(4326, pyproj.CRS(src_crs) if not hasattr(src_crs, "to_wkt") else pyproj.CRS(src_crs.to_wkt()), always_xy=True)
        xb = t.transform_bounds(*bounds_ll, densify_pts=21)
        win = from_bounds(*xb, transform=src.transform).round_offsets().round_lengths().intersection(
            rasterio.windows.Window(0, 0, src.width, src.height))
        # a map much larger than the overlay is read decimated to twice the overlay's size
        # (nearest, streamed: io.rasters.decimated_read), then reprojected by mode: memory is
        # that of the overlay, not of a province-scale raster (GDAL's mode decimation costs 2-4x
        # the nearest read for the same picture at display size)
        from affine import Affine
        dec = max(1.0, max(win.width, win.height) / max_read_px)
        if dec > 1:
            from geo_sink.io.rasters import decimated_read
            oh, ow = max(1, int(win.height / dec)), max(1, int(win.width / dec))
            data = decimated_read(path, win, (oh, ow))
            wt = src.window_transform(win) * Affine.scale(win.width / ow, win.height / oh)
        else:
            data = src.read(1, window=win)
            wt = src.window_transform(win)
        dst_t, w, h = calculate_default_transform(src_crs, "EPSG:3857", data.shape[1], data.shape[0],
                                                  *rasterio.windows.bounds(win, src.transform))
        scale = max(1.0, max(w, h) / MAX_OVERLAY_PX)
        w2, h2 = int(w / scale), int(h / scale)
        dst_t = Affine(dst_t.a * w / w2, 0, dst_t.c, 0, dst_t.e * h / h2, dst_t.f)
        out = np.zeros((h2, w2), dtype=data.dtype)
        reproject(data, out, src_transform=wt, src_crs=src_crs, dst_transform=dst_t, dst_crs="EPSG:3857",
                  resampling=Resampling.mode, src_nodata=src.nodata, dst_nodata=0 if src.nodata is None else src.nodata)
    to_ll = pyproj.Transformer.from_crs(3857, 4326, always_xy=True)
    x0, y0 = dst_t.c, dst_t.f
    x1, y1 = x0 + dst_t.a * w2, y0 + dst_t.e * h2
    lon0, lat0 = to_ll.transform(x0, y1)
    lon1, lat1 = to_ll.transform(x1, y0)
    return out, [[lat0, lon0], [lat1, lon1]]
