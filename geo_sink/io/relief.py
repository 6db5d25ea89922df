"""Relief for the report's offline base map, from data the project has: a hillshade of its DEM
(or, without one, of pvlib's bundled 1/12 deg terrain grid), and images in Web Mercator for
Leaflet (the ``relief`` step computes it; the report draws it).

Display only: the hillshade is a picture of the relief, never an input to a result.
"""

from __future__ import annotations

import numpy as np

from geo_sink.grid import Grid

#: Sun of the hillshade: from the north-west, 45 deg high (the cartographic convention, so that
#: ridges do not read as valleys).
SUN_AZIMUTH_DEG, SUN_ALTITUDE_DEG = 315.0, 45.0


def hillshade(dem: np.ndarray, grid: Grid, azimuth_deg: float = SUN_AZIMUTH_DEG,
              altitude_deg: float = SUN_ALTITUDE_DEG) -> np.ndarray:
    """Illumination (0-1) of a DEM (m) by a sun at ``azimuth_deg`` (clockwise from north) and
    ``altitude_deg``: ``cos(zenith) cos(slope) + sin(zenith) sin(slope) cos(azimuth - aspect_up)``,
    with slope and aspect on true distances (:func:`geo_sink.pv.siting.slope_aspect`; its aspect is
    the downslope direction, so the slope faces ``aspect``).  NaN stays NaN.

    >>> g = Grid(3, 3, __import__("affine").Affine(30, 0, 0, 0, -30, 90), __import__("pyproj").CRS(32649))
    >>> round(float(hillshade(np.zeros((3, 3)), g)[1, 1]), 4)    # flat ground: cos(45 deg)
    0.7071

    References
    ----------
    .. [1] Burrough, P. A. & McDonnell, R. A. (1998). Principles of Geographical Information
       Systems. Oxford University Press, p. 190.
    """
    from geo_sink.pv.siting import slope_aspect

    z = np.asarray(dem, dtype=np.float64)
    nan = ~np.isfinite(z)
    filled = np.where(nan, np.nanmean(z) if (~nan).any() else 0.0, z)
    slope, aspect = slope_aspect(filled, grid)
    zen = np.radians(90.0 - altitude_deg)
    s, a = np.radians(slope), np.radians(aspect)
    out = np.cos(zen) * np.cos(s) + np.sin(zen) * np.sin(s) * np.cos(np.radians(azimuth_deg) - a)
    out = np.clip(out, 0.0, 1.0)
    out[nan] = np.nan
    return out


def to_web_mercator(values: np.ndarray, grid: Grid, max_px: int, resampling: str = "bilinear"):
    """``values`` on ``grid`` reprojected to Web Mercator at most ``max_px`` wide or tall, NaN
    outside; returns (array, [[south, west], [north, east]]) for a Leaflet image overlay."""
    import pyproj
    import rasterio.warp
    from affine import Affine
    from rasterio.enums import Resampling

    src = np.asarray(values, dtype=np.float32)
    t, w, h = rasterio.warp.calculate_default_transform(grid.crs.to_wkt(), "EPSG:3857", grid.width, grid.height,
                                                        *grid.bounds)
    scale = max(1.0, max(w, h) / max_px)
    w2, h2 = max(1, int(w / scale)), max(1, int(h / scale))
    t = Affine(t.a * w / w2, 0, t.c, 0, t.e * h / h2, t.f)
    out = np.full((h2, w2), np.nan, dtype=np.float32)
    rasterio.warp.reproject(src, out, src_transform=grid.transform, src_crs=grid.crs.to_wkt(), src_nodata=np.nan,
                            dst_transform=t, dst_crs="EPSG:3857", dst_nodata=np.nan,
                            resampling=getattr(Resampling, resampling))
    to_ll = pyproj.Transformer.from_crs(3857, 4326, always_xy=True)
    lon0, lat0 = to_ll.transform(t.c, t.f + t.e * h2)
    lon1, lat1 = to_ll.transform(t.c + t.a * w2, t.f)
    return out, [[lat0, lon0], [lat1, lon1]]


def grey_rgba(shade: np.ndarray, alpha: int = 150) -> np.ndarray:
    """A hillshade (0-1, NaN transparent) as a grey RGBA image: dark slopes, light faces."""
    g = np.nan_to_num(shade, nan=0.0)
    rgba = np.zeros(shade.shape + (4,), dtype=np.uint8)
    rgba[..., :3] = (60 + 195 * g).astype(np.uint8)[..., None]
    rgba[..., 3] = np.where(np.isfinite(shade), alpha, 0)
    return rgba


def relief(project, bounds_ll, max_px: int, clip=None):
    """(RGBA image, bounds, source label) of the hillshade over ``bounds_ll`` (lon/lat): from the
    project's DEM (``pv_constraints.dem``) when it has one, else pvlib's bundled 1/12 deg terrain
    grid (coarse, but offline and everywhere in China); transparent outside ``clip`` (a lon/lat
    polygon) when given; None when neither can be read."""
    pc = getattr(project.spec, "pv_constraints", None)
    dem_path = getattr(pc, "dem", None) if pc is not None else None
    if dem_path is not None:
        import pyproj
        import rasterio
        from affine import Affine
        from rasterio.windows import from_bounds

        with rasterio.open(dem_path) as src:
            crs = pyproj.CRS.from_wkt(src.crs.to_wkt())
            xb = pyproj.Transformer.from_crs(4326, crs, always_xy=True).transform_bounds(*bounds_ll, densify_pts=21)
            win = from_bounds(*xb, transform=src.transform).round_offsets().round_lengths().intersection(
                rasterio.windows.Window(0, 0, src.width, src.height))
            dec = max(1.0, max(win.width, win.height) / (2 * max_px))
            shape = (max(1, int(win.height / dec)), max(1, int(win.width / dec)))
            z = src.read(1, window=win, out_shape=shape, masked=True).astype(np.float64).filled(np.nan)
            wt = src.window_transform(win) * Affine.scale(win.width / shape[1], win.height / shape[0])
        grid = Grid(shape[1], shape[0], wt, crs)
        label = dem_path.name
    else:
        from geo_sink.io.elevation import altitude_window
        try:
            z, grid = altitude_window(bounds_ll, pad_deg=0.1)
        except (OSError, ImportError, KeyError):
            return None
        label = "pvlib 1/12° terrain"
    img, bounds = to_web_mercator(hillshade(z, grid), grid, max_px)
    if clip is not None:
        img = np.where(inside(clip, bounds, img.shape), img, np.nan)
    return grey_rgba(img), bounds, label


def inside(geom_ll, bounds, shape) -> np.ndarray:
    """Cells of a Web Mercator image (``bounds`` [[south, west], [north, east]], ``shape``) whose
    centre lies in the lon/lat polygon ``geom_ll``."""
    import geopandas as gpd
    import pyproj
    import rasterio.features
    from affine import Affine

    t = pyproj.Transformer.from_crs(4326, 3857, always_xy=True)
    (s, w), (n, e) = bounds
    x0, y0 = t.transform(w, s)
    x1, y1 = t.transform(e, n)
    tr = Affine((x1 - x0) / shape[1], 0, x0, 0, -(y1 - y0) / shape[0], y1)
    g = gpd.GeoSeries([geom_ll], crs=4326).to_crs(3857).iloc[0]
    return rasterio.features.geometry_mask([g], out_shape=shape, transform=tr, invert=True)
