"""xarray DataArrays as rasters, and rasters as DataArrays.

A DataArray is read exactly as a raster file is: its CRS, north-up transform and nodata value are
taken from the array (rioxarray's ``spatial_ref`` coordinate, or any CF grid mapping named by the
``grid_mapping`` attribute or encoding; ``_FillValue`` / ``nodata`` / ``missing_value``), with the
same checks and the same errors: no CRS is a :class:`~geo_sink.errors.CRSError`, a rotated,
curvilinear or irregular grid an :class:`~geo_sink.errors.InputDataError` naming the array.
:class:`ArrayRaster` presents one band of it through the few methods of a rasterio dataset the block
readers of :mod:`geo_sink.io.rasters` use, so that every zonal pass streams an in-memory or
dask-backed array block by block through the same kernels as a file (a dask array's chunks are
computed one row band at a time, never the whole array).

Results that are rasters come back as DataArrays on the input's grid with CF attributes
(``units``, ``long_name``, ``_FillValue``, a ``spatial_ref`` grid mapping carrying ``crs_wkt`` and
``GeoTransform``), ready for ``.rio.to_raster`` or ``.plot()`` (:func:`grid_dataarray`,
:func:`like`).

xarray is imported only where a DataArray is made; recognising one costs nothing when xarray was
never imported (:func:`is_dataarray`).
"""

from __future__ import annotations

import sys

import numpy as np
import pyproj
from affine import Affine

from geo_sink.errors import CRSError, InputDataError
from geo_sink.grid import Grid

#: Names of the spatial dimensions, in the order they are looked for.
X_DIMS = ("x", "lon", "longitude", "easting")
Y_DIMS = ("y", "lat", "latitude", "northing")

#: Largest deviation of a coordinate from a regular spacing, as a share of the cell size.
SPACING_RTOL = 1e-3


def is_dataarray(obj) -> bool:
    """True for an ``xarray.DataArray`` (without importing xarray when it was never imported)."""
    xr = sys.modules.get("xarray")
    return xr is not None and isinstance(obj, xr.DataArray)


def array_label(da) -> str:
    """How messages name a DataArray: ``DataArray 'name' (y: 400, x: 500)``."""
    dims = ", ".join(f"{d}: {n}" for d, n in zip(da.dims, da.shape))
    name = f" {da.name!r}" if da.name is not None else ""
    return f"DataArray{name} ({dims})"


def spatial_dims(da, label: str | None = None) -> tuple[str, str]:
    """The (y, x) dimension names of a DataArray (rioxarray's ``x``/``y``, or lat/lon names)."""
    label = label or array_label(da)
    found = []
    for names, axis in ((Y_DIMS, "y"), (X_DIMS, "x")):
        hit = [d for d in names if d in da.dims]
        if not hit:
            raise InputDataError(f"{label}: no {axis} dimension (expected one of {names}; "
                                 f"the array has {tuple(da.dims)})")
        found.append(hit[0])
    return found[0], found[1]


def grid_mapping_name(da) -> str | None:
    """The name of the CF grid-mapping variable ``da`` points to (attribute or encoding)."""
    return da.attrs.get("grid_mapping") or da.encoding.get("grid_mapping")


def _grid_mapping(da) -> dict | None:
    """Attributes of the CF grid-mapping variable of ``da`` (None when it has none)."""
    name = grid_mapping_name(da)
    for cand in ([name] if name else []) + ["spatial_ref", "crs"]:
        if cand in da.coords and da.coords[cand].attrs:
            return dict(da.coords[cand].attrs)
    return None


def dataarray_crs(da, label: str | None = None) -> pyproj.CRS | None:
    """The CRS written in a DataArray: its grid mapping's ``crs_wkt`` / ``spatial_ref`` (rioxarray,
    GDAL's netCDF driver) or CF grid-mapping parameters, else a ``crs`` attribute; None without."""
    gm = _grid_mapping(da)
    label = label or array_label(da)
    if gm:
        for key in ("crs_wkt", "spatial_ref"):
            if gm.get(key):
                return pyproj.CRS.from_user_input(gm[key])
        if gm.get("grid_mapping_name"):
            try:
                return pyproj.CRS.from_cf(gm)
            except pyproj.exceptions.CRSError as e:
                raise CRSError(f"{label}: its grid mapping is not a CRS pyproj can read ({e})") from None
    if isinstance(da.attrs.get("crs"), str):
        return pyproj.CRS.from_user_input(da.attrs["crs"])
    return None


def _geotransform(da) -> tuple | None:
    """GDAL-ordered (c, a, b, f, d, e) transform the array carries: its grid mapping's
    ``GeoTransform`` (rioxarray, GDAL netCDF), else a ``transform`` attribute in rasterio's order
    (a, b, c, d, e, f: stackstac, xarray's old ``open_rasterio``)."""
    gm = _grid_mapping(da)
    gt = gm.get("GeoTransform") if gm else None
    if gt is not None:
        vals = [float(v) for v in (gt.split() if isinstance(gt, str) else gt)]
        return tuple(vals) if len(vals) == 6 else None
    t = da.attrs.get("transform")
    if t is not None:
        vals = [float(v) for v in tuple(t)[:6]]
        if len(vals) == 6:
            a, b, c, d, e, f = vals
            return (c, a, b, f, d, e)
    return None


def _axis(da, dim: str, label: str, gt_step: float | None, gt_origin: float | None) -> tuple[float, float]:
    """(origin, step) of one axis from its cell-centre coordinate: the edge of the first cell and
    the signed cell size; the grid mapping's GeoTransform where the axis has no coordinate or a
    single cell."""
    n = da.sizes[dim]
    if dim in da.coords and da.coords[dim].ndim != 1:
        raise InputDataError(f"{label}: coordinate {dim!r} is {da.coords[dim].ndim}-D: a curvilinear grid; "
                             "resample it to a regular north-up grid first")
    if dim not in da.coords or n < 2:
        if gt_step is None:
            raise InputDataError(f"{label}: dimension {dim!r} has "
                                 f"{'no coordinate' if dim not in da.coords else 'one cell'}, so its cell size "
                                 "is unknown; give coordinates or a GeoTransform (rioxarray: .rio.write_transform)")
        if dim not in da.coords:
            return gt_origin, gt_step
        return float(da.coords[dim].values[0]) - gt_step / 2, gt_step
    v = np.asarray(da.coords[dim].values, dtype=np.float64)
    step = (v[-1] - v[0]) / (n - 1)
    if step == 0 or not np.isfinite(step):
        raise InputDataError(f"{label}: coordinate {dim!r} does not advance ({v[0]} .. {v[-1]})")
    dev = np.abs(v - (v[0] + step * np.arange(n))).max()
    if dev > SPACING_RTOL * abs(step):
        raise InputDataError(f"{label}: coordinate {dim!r} is not regularly spaced (off a {abs(step):.6g} step "
                             f"by up to {dev:.6g}); resample it to a regular grid first")
    origin = v[0] - step / 2
    if gt_step is not None and abs(gt_step - step) <= 1e-9 * abs(step):
        # the file's own transform (rioxarray keeps GDAL's GeoTransform): the grid is then the
        # file's to the bit, shifted by whole cells where the array is a slice of it.  Coordinates
        # on the transform's cell edges rather than centres are the cells' top-left corners
        # (stackstac's default), half a cell from centres.
        for first_edge in (origin, v[0]):
            k = round((first_edge - gt_origin) / gt_step)
            if abs(gt_origin + k * gt_step - first_edge) <= SPACING_RTOL * abs(step):
                return gt_origin + k * gt_step, gt_step
    # cell centres carry rounding: snap to 12 significant digits (1e-12 of the value)
    return float(f"{origin:.12g}"), float(f"{step:.12g}")


def north_up(da, crs: str | None = None, band: int = 1):
    """A 2-D, north-up view of one band of ``da``, with its :class:`~geo_sink.grid.Grid`.

    Returns ``(view, grid, crs_note, label)``: ``view`` has dims (y, x), rows running south and
    columns east (an array stored south-up or east-to-west is reversed lazily); ``crs`` replaces
    the array's CRS (needed when it has none), and the MODIS CMG artefact is read as WGS 84 as
    for files.

    Raises
    ------
    CRSError
        No CRS in the array and none given.
    InputDataError
        Rotated, curvilinear, irregular or degenerate grid; a band beyond the array's; more than
        one non-spatial dimension.
    """
    from geo_sink.io.crs import resolve_crs

    label = array_label(da)
    ydim, xdim = spatial_dims(da, label)
    other = [d for d in da.dims if d not in (ydim, xdim)]
    if len(other) > 1:
        raise InputDataError(f"{label}: more than one map: select one along {', '.join(map(repr, other))} "
                             "(.isel / .sel) and pass a 2-D map (y, x) or one band (band, y, x) per call")
    if other:
        n = da.sizes[other[0]]
        if not 1 <= band <= n:
            raise InputDataError(f"{label}: band {band} requested, the array has {n} along {other[0]!r}")
        da = da.isel({other[0]: band - 1})
    elif band != 1:
        raise InputDataError(f"{label}: band {band} requested, the array has 1")
    gt = _geotransform(da)
    if gt is not None and (gt[2] != 0 or gt[4] != 0):
        raise InputDataError(f"{label}: rotated grids are not supported (GeoTransform {gt})")
    x0, dx = _axis(da, xdim, label, gt[1] if gt else None, gt[0] if gt else None)
    y0, dy = _axis(da, ydim, label, gt[5] if gt else None, gt[3] if gt else None)
    view = da.transpose(ydim, xdim)
    nx, ny = view.sizes[xdim], view.sizes[ydim]
    if dx < 0:                       # stored east to west
        view, x0, dx = view.isel({xdim: slice(None, None, -1)}), x0 + dx * nx, -dx
    if dy > 0:                       # stored south-up (common in netCDF): rows reversed lazily
        view, y0, dy = view.isel({ydim: slice(None, None, -1)}), y0 + dy * ny, -dy
    file_crs = dataarray_crs(da, label)
    pcrs, note = resolve_crs(file_crs, label, crs)
    return view, Grid(nx, ny, Affine(dx, 0.0, x0, 0.0, dy, y0), pcrs), note, label


def dataarray_nodata(da):
    """The nodata value a DataArray declares (``_FillValue``, ``nodata`` or ``missing_value`` in its
    attributes, ``_FillValue`` in its encoding), or None.  A float array's NaN is nodata anyway."""
    for key in ("_FillValue", "nodata", "missing_value"):
        if da.attrs.get(key) is not None:
            return da.attrs[key].item() if hasattr(da.attrs[key], "item") else da.attrs[key]
    fill = da.encoding.get("_FillValue")
    if fill is not None and np.issubdtype(da.dtype, np.integer):
        return fill.item() if hasattr(fill, "item") else fill
    return None


class ArrayRaster:
    """One band of a DataArray, presented as a raster dataset to the block readers.

    ``categorical``: the band holds land-cover codes.  A float array (rioxarray's ``masked=True``,
    or any NaN-masked map) is then presented as integer codes, every value but NaN a whole number:
    NaN cells hold the file's nodata code again where the encoding keeps it (``_FillValue``: the
    array is then read exactly as its file), else they are masked (counted as nodata, as a file's
    GDAL mask is).  Its code type is the ``dtype`` of its encoding when that is an integer type (the
    type the file had), else int32.

    Attributes
    ----------
    label : str
        How messages name the array.
    grid : Grid
    nodata : number or None
    dtype : str
        The type blocks are read in.
    block_shape : (int, int)
        The dask chunk shape (rows, cols) of a dask-backed array, else the file's tiles where the
        encoding keeps them (rioxarray's ``preferred_chunks``), else (1, width): block reads start
        on multiples of its height, so that no chunk is computed for two blocks, and an array with
        the file's layout is cut into the file's blocks (sums then add in the same order: equal to
        the bit).
    has_mask : bool
    crs_note : str or None
    """

    count = 1

    def __init__(self, da, crs: str | None = None, band: int = 1, categorical: bool = False):
        view, grid, note, label = north_up(da, crs=crs, band=band)
        self.view, self.grid, self.crs_note, self.label = view, grid, note, label
        dtype = np.dtype(view.dtype)
        self._to_codes = categorical and np.issubdtype(dtype, np.floating)
        self._fill = 0
        self.nodata, self.has_mask = dataarray_nodata(da), False
        if self._to_codes:
            enc = np.dtype(view.encoding.get("dtype", da.encoding.get("dtype", "int32")))
            dtype = enc if np.issubdtype(enc, np.integer) else np.dtype(np.int32)
            fill = view.encoding.get("_FillValue", da.encoding.get("_FillValue"))
            lim = np.iinfo(dtype)
            if fill is not None and np.isfinite(fill) and float(fill).is_integer() and lim.min <= fill <= lim.max:
                # the file's nodata code, which masking turned into NaN: NaN cells hold it again
                self._fill, self.nodata = int(fill), int(fill)
            else:
                self.nodata, self.has_mask = None, True
        self.dtype = dtype.name
        chunks = view.chunks          # None unless dask-backed
        self.is_dask = chunks is not None
        ydim, xdim = view.dims
        tiles = view.encoding.get("preferred_chunks") or da.encoding.get("preferred_chunks") or {}
        if self.is_dask:
            self.block_shape = (int(chunks[0][0]), int(chunks[1][0]))
        elif ydim in tiles and xdim in tiles:      # the file's tiles (rioxarray), loaded or not
            self.block_shape = (int(tiles[ydim]), int(tiles[xdim]))
        else:
            self.block_shape = (1, grid.width)

    # the rasterio dataset API the block readers use ------------------------------------------
    @property
    def dtypes(self) -> tuple[str]:
        return (self.dtype,)

    @property
    def nodatavals(self) -> tuple:
        return (self.nodata,)

    @property
    def name(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label

    __repr__ = __str__

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def close(self) -> None:
        return None

    def _window(self, window):
        if window is None:
            return slice(0, self.grid.height), slice(0, self.grid.width)
        (r0, r1), (c0, c1) = window.toranges()
        return slice(int(r0), int(r1)), slice(int(c0), int(c1))

    def _values(self, window) -> np.ndarray:
        rows, cols = self._window(window)
        # a lazily loaded file (rioxarray without chunks) reads this window only, a dask array
        # computes the chunks it touches only
        return np.asarray(self.view.variable[rows, cols].values)

    def read(self, band: int = 1, window=None, out: np.ndarray | None = None) -> np.ndarray:
        """The band's values in ``window`` (a rasterio Window), into ``out`` when given."""
        v = self._values(window)
        if self._to_codes:
            ok = np.isfinite(v)
            lim = np.iinfo(self.dtype)
            bad = ok & ((v != np.round(v)) | (v < lim.min) | (v > lim.max))
            if bad.any():
                r, c = (int(i[0]) for i in np.nonzero(bad))
                rows, cols = self._window(window)
                raise InputDataError(f"{self.label}: value {float(v[r, c]):g} (row {rows.start + r}, col {cols.start + c}) "
                                     f"is not a land-cover code (a whole number fitting {self.dtype})")
            v = np.where(ok, v, self._fill).astype(self.dtype)
        if out is None:
            return v
        out[...] = v
        return out

    def read_masks(self, band: int = 1, window=None, out: np.ndarray | None = None) -> np.ndarray:
        """255 where the band has a value, 0 where it is masked (NaN of a categorical float array)."""
        v = self._values(window)
        m = (np.where(np.isfinite(v), 255, 0).astype(np.uint8) if self.has_mask
             else np.full(v.shape, 255, np.uint8))
        if out is None:
            return m
        out[...] = m
        return out


def as_raster_source(raster, crs: str | None = None, band: int = 1, categorical: bool = False):
    """``raster`` as the block readers take it: an :class:`ArrayRaster` for a DataArray, else
    itself (a path)."""
    if is_dataarray(raster):
        return ArrayRaster(raster, crs=crs, band=band, categorical=categorical)
    return raster


# ------------------------------------------------------------------------------------------------
# rasters as DataArrays

def grid_coords(grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """Cell-centre coordinates (y, x) of a north-up grid."""
    t = grid.transform
    return (t.f + t.e * (np.arange(grid.height) + 0.5), t.c + t.a * (np.arange(grid.width) + 0.5))


def spatial_ref_attrs(grid: Grid) -> dict:
    """CF grid-mapping attributes of a grid (``crs_wkt``, ``spatial_ref``, ``GeoTransform`` and the
    CF parameters pyproj gives), as rioxarray and GDAL write them."""
    wkt = grid.crs.to_wkt()
    attrs = {k: v for k, v in grid.crs.to_cf().items() if k != "crs_wkt"}
    t = grid.transform
    attrs.update(crs_wkt=wkt, spatial_ref=wkt, GeoTransform=" ".join(repr(float(v)) for v in (t.c, t.a, t.b, t.f, t.d, t.e)))
    return attrs


def grid_dataarray(values, grid: Grid, *, name: str, units: str, long_name: str, nodata=None,
                   attrs: dict | None = None, dims_before: dict | None = None):
    """A DataArray of ``values`` (rows, cols) on ``grid`` with CF attributes.

    Parameters
    ----------
    values : array (…, rows, cols), numpy or dask
    grid : Grid
    name, units, long_name : str
        CF ``units`` (UDUNITS: ``"Mg ha-1"``, ``"mm"``, ``"1"`` for ratios) and ``long_name``.
    nodata : number, optional
        ``_FillValue`` (floats: NaN is the missing value whether or not it is given).
    attrs : dict, optional
        More attributes (``source``, ``synthetic``, ...).
    dims_before : {dim: coordinate values}, optional
        Leading dimensions (e.g. ``{"time": dates}``) when ``values`` has more than two.
    """
    import xarray as xr

    y, x = grid_coords(grid)
    lead = dims_before or {}
    coords = {**lead, "y": y, "x": x, "spatial_ref": xr.Variable((), 0, attrs=spatial_ref_attrs(grid))}
    return xr.DataArray(values, dims=(*lead, "y", "x"), coords=coords, name=name,
                        attrs=cf_attrs(units, long_name, "spatial_ref", nodata, attrs))


def cf_attrs(units: str, long_name: str, grid_mapping: str | None = None, nodata=None,
             attrs: dict | None = None) -> dict:
    """The CF attributes of a result: ``units``, ``long_name``, ``grid_mapping`` and
    ``_FillValue`` when given, then ``attrs``."""
    a = {"units": units, "long_name": long_name}
    if grid_mapping:
        a["grid_mapping"] = grid_mapping
    if nodata is not None:
        a["_FillValue"] = nodata
    a.update(attrs or {})
    return a


def like(template, values, *, name: str, units: str, long_name: str, nodata=None, attrs: dict | None = None):
    """``values`` on the grid and coordinates of the DataArray ``template`` (same dims, coords and
    grid mapping), with CF ``units``, ``long_name`` and ``_FillValue``."""
    import xarray as xr

    return xr.DataArray(values, dims=template.dims, coords=template.coords, name=name,
                        attrs=cf_attrs(units, long_name, grid_mapping_name(template), nodata, attrs))
