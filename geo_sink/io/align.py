"""Putting a land-cover map on another map's grid, so that the two can be differenced.

A stock difference (or a transition matrix) of two maps is only a difference of the land when
both maps count the same cells.  :func:`same_grid` says whether two grids are the same (shape,
transform and CRS, the CRS compared by meaning, not by its WKT spelling); :func:`align_to_grid`
resamples a class map onto a target grid with nearest-neighbour or modal resampling
(:func:`rasterio.warp.reproject`), chunk by chunk of the target grid, GDAL reading for each
chunk only the source window it needs, so that memory stays bounded whatever the size of the
two rasters.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import rasterio
from rasterio.enums import Resampling
from rasterio.warp import reproject
from rasterio.windows import Window, transform as window_transform

from geo_sink.errors import InputDataError
from geo_sink.grid import Grid
from geo_sink.io.rasters import limit_gdal_cache, raster_info

#: Resampling methods for class maps: ``mode`` (the most frequent class of the source cells
#: under a target cell) when the source is finer than the target, ``nearest`` otherwise.
METHODS = {"nearest": Resampling.nearest, "mode": Resampling.mode}
#: Target cells per written chunk (chunks are whole 512 x 512 tiles of the output).
CHUNK_CELLS = 4 * 2**20
#: GDAL warper working memory (MB) per chunk: it splits a chunk whose source window needs more.
WARP_MEM_MB = 64
TILE = 512


def same_grid(a: Grid, b: Grid, rel_tol: float = 1e-9) -> bool:
    """Whether two grids have the same cells: equal shape, transforms equal within ``rel_tol``
    of a cell, and CRSs equal by meaning (axis order ignored)."""
    if (a.width, a.height) != (b.width, b.height):
        return False
    ta, tb = a.transform, b.transform
    cell = max(abs(ta.a), abs(ta.e))
    if any(abs(x - y) > rel_tol * cell for x, y in zip(tuple(ta)[:6], tuple(tb)[:6])):
        return False
    if a.crs == b.crs:
        return True
    try:
        return bool(a.crs.equals(b.crs, ignore_axis_order=True))
    except TypeError:  # old pyproj
        return bool(a.crs.equals(b.crs))


def grid_label(g: Grid) -> str:
    """``CRS name, cell dx x dy, width x height from (x0, y0)`` (as in
    :func:`geo_sink.measurability.difference_problem`)."""
    t = g.transform
    return (f"{g.crs.name}, cell {abs(t.a):g} x {abs(t.e):g}, {g.width} x {g.height} "
            f"from ({t.c:g}, {t.f:g})")


def _fill_value(nodata, dtype: np.dtype, fill):
    """The output's nodata value: the file's nodata value, else ``fill``, else the largest value
    of an unsigned type (the smallest of a signed one)."""
    if nodata is not None:
        fill = nodata
    if fill is None:
        info = np.iinfo(dtype)
        fill = info.max if info.min == 0 else info.min
    info = np.iinfo(dtype)
    if not float(fill).is_integer() or not info.min <= fill <= info.max:
        raise InputDataError(f"nodata value {fill} does not fit the map's type {dtype}")
    return int(fill)


def align_to_grid(src_path, grid: Grid, out_path, method: str = "nearest", *, src_crs: str | None = None,
                  band: int = 1, fill: int | None = None, chunk_cells: int = CHUNK_CELLS,
                  warp_mem_mb: int = WARP_MEM_MB) -> Path:
    """Resample a class map onto ``grid`` and write it as a tiled GeoTIFF.

    Parameters
    ----------
    src_path : path-like
        Categorical raster (integer codes) on any grid.
    grid : Grid
        The target grid (another map's :attr:`geo_sink.io.rasters.RasterInfo.grid`).
    out_path : path-like
        GeoTIFF to write (tiled 512 x 512, DEFLATE); its nodata value is the source's nodata
        value (or ``fill``), and target cells the source does not cover get that value.
    method : "nearest" or "mode"
        :data:`METHODS`.  Source cells that are nodata (the file's value or ``fill``) or masked
        by the band's GDAL mask never count as a class.
    src_crs : str, optional
        CRS of the source when its file has none (or a wrong one).
    band : int
    fill : int, optional
        Nodata value to use when the source file declares none (e.g. the legend's nodata code);
        without it the largest value of an unsigned type, the smallest of a signed one.
    chunk_cells, warp_mem_mb : int
        Memory bounds: the target grid is resampled and written in chunks of about
        ``chunk_cells`` cells (whole 512 x 512 output tiles); for each chunk GDAL's warper reads
        only the source window the chunk needs, in pieces of at most ``warp_mem_mb`` MB.

    Returns
    -------
    Path
        ``out_path``.

    Notes
    -----
    Across CRSs GDAL approximates the transformation to 1/8 of a source cell (gdalwarp's
    default error threshold), so a cell whose centre lies that close to a source cell edge may
    take the neighbour's class; on one CRS the result is exact.
    """
    if method not in METHODS:
        raise InputDataError(f"resampling method {method!r}; expected one of {sorted(METHODS)}")
    resampling = METHODS[method]
    info = raster_info(src_path, crs=src_crs, band=band)
    dtype = np.dtype(info.dtype)
    if not np.issubdtype(dtype, np.integer):
        raise InputDataError(f"{src_path}: band {band} is {dtype}; only a class map (integer codes) is resampled "
                             "with nearest or mode")
    nd = _fill_value(info.nodata, dtype, fill)
    src_crs_r = rasterio.crs.CRS.from_wkt(info.grid.crs.to_wkt())
    dst_crs_r = rasterio.crs.CRS.from_wkt(grid.crs.to_wkt())
    out_path = Path(out_path)
    profile = dict(driver="GTiff", width=grid.width, height=grid.height, count=1, dtype=dtype.name,
                   crs=dst_crs_r, transform=grid.transform, nodata=nd, tiled=True, blockxsize=TILE,
                   blockysize=TILE, compress="deflate", zlevel=1, BIGTIFF="IF_SAFER")
    limit_gdal_cache()
    # chunks of whole output tiles: rows of tiles, as many tile columns as fit in chunk_cells
    tiles_per_chunk = max(1, chunk_cells // (TILE * TILE))
    tile_cols = max(1, min(math.ceil(grid.width / TILE), tiles_per_chunk))
    tile_rows = max(1, tiles_per_chunk // tile_cols)
    cw, ch = tile_cols * TILE, tile_rows * TILE
    with rasterio.open(src_path) as src, rasterio.open(out_path, "w", **profile) as dst:
        source = rasterio.band(src, band)
        for r in range(0, grid.height, ch):
            for c in range(0, grid.width, cw):
                win = Window(c, r, min(cw, grid.width - c), min(ch, grid.height - r))
                out = np.full((int(win.height), int(win.width)), nd, dtype=dtype)
                # GDAL reads the source window this chunk needs (its nodata value and GDAL mask
                # excluded), in pieces of at most warp_mem_mb
                reproject(source=source, destination=out, src_crs=src_crs_r, src_nodata=nd,
                          dst_transform=window_transform(win, grid.transform), dst_crs=dst_crs_r, dst_nodata=nd,
                          resampling=resampling, init_dest_nodata=True, warp_mem_limit=warp_mem_mb)
                dst.write(out, 1, window=win)
    return out_path
