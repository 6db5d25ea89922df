"""Reading rasters: CRS and nodata resolved explicitly, blocks streamed with read-ahead."""

from __future__ import annotations

import os
import threading
import warnings
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyproj
import rasterio
import rasterio.env
import rasterio.errors
from rasterio.windows import Window

from geo_sink.errors import CRSError, GeoSinkError, InputDataError, MissingInputError
from geo_sink.grid import Grid
from geo_sink.io.crs import is_modis_cmg_crs, resolve_crs  # noqa: F401 - part of this module's API


class CRSOverrideWarning(UserWarning):
    """The CRS written in a file was replaced by the one geo-sink knows is right."""




@dataclass(frozen=True)
class RasterInfo:
    """What geo-sink needs to know about a raster file before reading it.

    ``has_mask``: the band's validity comes from a GDAL mask (an internal or ``.msk`` mask band,
    per dataset or per band, or an alpha band) rather than from its nodata value or nothing;
    readers then read the mask too (:func:`iter_row_blocks` with ``masks=True``) and treat the
    cells it masks as nodata."""

    path: Path
    grid: Grid
    nodata: float | int | None
    dtype: str
    block_shape: tuple[int, int]
    crs_note: str | None = None
    has_mask: bool = False

    @property
    def code_shift(self) -> int:
        """How :func:`iter_code_blocks` stores the codes of this band: 0 as they are (8- and 16-bit
        unsigned bands without a GDAL mask: the common case, streamed untouched); 1 (a GDAL mask,
        a signed type, or 32/64-bit codes, whose nodata may be negative or beyond
        :data:`MAX_CODE`) code ``c`` at ``c + 1`` and those cells at 0."""
        dt = np.dtype(self.dtype)
        return int(self.has_mask or np.issubdtype(dt, np.signedinteger) or dt.itemsize > 2)


#: The largest land-cover code (a legend's codes are 0 .. 65535).
MAX_CODE = 65535


def band_has_mask(src, band: int) -> bool:
    """True when GDAL's mask flags for ``band`` name a real mask (per-dataset, per-band or alpha),
    not ALL_VALID or the nodata value: only then is a mask worth reading."""
    from rasterio.enums import MaskFlags

    if hasattr(src, "has_mask"):       # an ArrayRaster
        return bool(src.has_mask)

    flags = set(src.mask_flag_enums[band - 1])
    return not flags & {MaskFlags.all_valid, MaskFlags.nodata}


def open_raster(path):
    """A rasterio dataset of a file, or the :class:`~geo_sink.dataarrays.ArrayRaster` itself (it
    answers the same reads)."""
    from geo_sink.dataarrays import ArrayRaster
    return path if isinstance(path, ArrayRaster) else rasterio.open(path)


def raster_info(path, crs: str | None = None, band: int = 1, categorical: bool = False) -> RasterInfo:
    """Open a raster's header.

    Parameters
    ----------
    path : path-like or xarray.DataArray
        Any GDAL-readable raster (GeoTIFF/COG, VRT, ...), or a DataArray (in memory, lazily
        loaded or dask-backed) with a CRS and a north-up grid (:mod:`geo_sink.dataarrays`); its
        :attr:`RasterInfo.path` is then an :class:`~geo_sink.dataarrays.ArrayRaster`, which the
        block readers stream like a file.
    crs : str, optional
        CRS to use instead of the file's (needed when the file has none).
    band : int
        Band to be read.
    categorical : bool
        The band holds land-cover codes: a NaN-masked float DataArray is read as integer codes
        with its NaN cells masked (files are read as stored).
    """
    from geo_sink.dataarrays import ArrayRaster, as_raster_source
    path = as_raster_source(path, crs=crs, band=band, categorical=categorical)
    if isinstance(path, ArrayRaster):
        return RasterInfo(path, path.grid, path.nodata, path.dtype, path.block_shape, path.crs_note, path.has_mask)
    path = Path(path)
    if not path.exists() and "://" not in str(path) and not str(path).startswith("/vsi"):
        raise MissingInputError(f"{path}: raster file does not exist")
    try:
        with rasterio.open(path) as src:
            if band < 1 or band > src.count:
                raise InputDataError(f"{path}: band {band} requested, the file has {src.count}")
            if src.transform.is_identity:
                # GDAL's answer for a file without a geotransform: pixel (0, 0) at (0, 0), 1 unit a
                # pixel, rows going south-up; reading it would place the map in the Gulf of Guinea
                gcps = " (it has ground control points only: gdalwarp it onto a grid first)" if src.gcps[0] else ""
                raise InputDataError(f"{path}: the raster has no geotransform{gcps}; expected a georeferenced "
                                     "grid (GeoTIFF tags or a .tfw/.aux.xml world file beside it)")
            pcrs, note = resolve_crs(src.crs, path, crs)
            grid = Grid(src.width, src.height, src.transform, pcrs)
            block = src.block_shapes[band - 1]
            return RasterInfo(path, grid, src.nodatavals[band - 1], src.dtypes[band - 1],
                              (int(block[0]), int(block[1])), note, band_has_mask(src, band))
    except rasterio.errors.RasterioIOError as e:
        raise InputDataError(f"{path}: not a readable raster: {e}") from None


def iter_row_blocks(path, rows: tuple[int, int], cols: tuple[int, int], block_rows: int,
                    band: int = 1, readers: int = 1, reuse: bool = False,
                    masks: bool = False) -> Iterator[tuple]:
    """Yield ``(row0, array)`` blocks of the window, in order, decoding ahead in threads.

    Parameters
    ----------
    path : path-like
    rows, cols : (start, stop)
        The window of the grid to stream.
    block_rows : int
        Rows per block (memory is about ``(readers + 1) * block_rows * (cols[1] - cols[0])``
        cells).
    band : int
    readers : int
        Threads that decode blocks ahead of the consumer, each with its own dataset handle
        (GDAL releases the GIL while decoding).  0 reads in the calling thread.
    reuse : bool
        Decode into ``readers + 1`` buffers allocated once and yield views of them: a block is
        then valid only until the next one is requested (for consumers that fold each block
        into a result at once).  Saves a fresh multi-MB allocation, and its page faults, per
        block.
    masks : bool
        Yield ``(row0, array, valid)``: ``valid`` is the band's GDAL mask for the block (uint8,
        0 where masked) when the band has a real mask (:func:`band_has_mask`), else None (no
        mask is read: the nodata value, if any, is in the array).
    """
    r0, r1 = rows
    c0, c1 = cols
    band = _array_band(path, band)
    # block edges on multiples of block_rows (a multiple of the file's tile height), so that no
    # tile row is decoded for two blocks
    starts = [r0] + list(range((r0 // block_rows + 1) * block_rows, r1, block_rows))
    limit_gdal_cache()
    yield from _blocks(path, starts, r1, c0, c1, block_rows, band, readers, reuse, masks)


def iter_code_blocks(path, rows: tuple[int, int], cols: tuple[int, int], block_rows: int,
                     band: int = 1, readers: int = 1, reuse: bool = False,
                     shift: int = 0) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`iter_row_blocks` for categorical codes, laid out as ``shift`` says
    (:attr:`RasterInfo.code_shift`; pass the value of the same file's header).

    ``shift=0``: the blocks as stored (no extra work).  ``shift=1``: code ``c`` is yielded as
    ``c + 1`` (uint16 or uint32), and 0 marks the cells to count as nodata that have no code of
    their own: those the band's GDAL mask masks and those equal to a nodata value outside
    0 .. :data:`MAX_CODE` (-999, 4294967295).  Other values outside that range raise
    :class:`~geo_sink.errors.InputDataError` naming the file.  The encoding is done in the reader
    threads, into reused buffers when ``reuse``.
    """
    if not shift:
        yield from iter_row_blocks(path, rows, cols, block_rows, band=band, readers=readers, reuse=reuse)
        return
    band = _array_band(path, band)
    with open_raster(path) as src:
        nodata = src.nodatavals[band - 1]
        dtype = np.dtype(src.dtypes[band - 1])
    info = np.iinfo(dtype)
    off_nodata = (int(nodata) if nodata is not None and float(nodata).is_integer()
                  and not 0 <= nodata <= MAX_CODE and info.min <= nodata <= info.max else None)
    wide = np.dtype(np.uint16) if dtype.itemsize == 1 or dtype == np.int16 else np.dtype(np.uint32)
    check = info.min < 0 or info.max > MAX_CODE
    r0, r1 = rows
    c0, c1 = cols
    starts = [r0] + list(range((r0 // block_rows + 1) * block_rows, r1, block_rows))

    def encode(block, valid, out):
        bad = None
        if off_nodata is not None:
            bad = block == off_nodata
        if valid is not None:
            bad = (valid == 0) if bad is None else (bad | (valid == 0))
        if check and block.size and (block.min() < 0 or block.max() > MAX_CODE):
            beyond = (block < 0) | (block > MAX_CODE)
            if bad is not None:
                beyond &= ~bad
            if beyond.any():
                r, c = (int(v[0]) for v in np.nonzero(beyond))
                v = int(block[r, c])
                raise InputDataError(
                    f"{path}: band {band} holds the {'negative ' if v < 0 else ''}code {v} (row {r0 + r}, "
                    f"col {c0 + c}), which is not its nodata value ({nodata}); land-cover codes must be "
                    f"0 .. {MAX_CODE} (declare the value as nodata or remap it)")
        out = np.add(block, 1, out=out, dtype=wide, casting="unsafe")
        if bad is not None:
            out[bad] = 0
        return out

    limit_gdal_cache()
    yield from _blocks(path, starts, r1, c0, c1, block_rows, band, readers, reuse, True,
                       encode=(encode, wide))


def _array_band(path, band: int) -> int:
    """The band to read: 1 of an ArrayRaster (already one band of its array), else ``band``."""
    from geo_sink.dataarrays import ArrayRaster
    return 1 if isinstance(path, ArrayRaster) else band


#: GDAL block cache (bytes) geo-sink asks for unless GDAL_CACHEMAX is set.  The streaming
#: readers decode every tile once, so a cache only costs fresh pages for every tile.  Measured
#: on the 443 M pixel benchmark raster, cache sizes interleaved in one process (medians of 4,
#: 3 repeats, 2026-11-23): class_areas 0.37-0.41 s with 1 MB, 0.32-0.49 s with 16 MB,
#: 0.51-0.60 s with 256 MB; one serial band pass 0.44-0.62 s with 1 MB, 0.60-0.76 s with
#: 256 MB.  A plain read of the file: 71 MB peak RSS with a small cache, 502 MB with 2 GB.
GDAL_CACHE_BYTES = 2**20


def limit_gdal_cache() -> None:
    """Set GDAL's block cache to :data:`GDAL_CACHE_BYTES` unless the user set GDAL_CACHEMAX.

    rasterio hands an integer GDAL_CACHEMAX to ``GDALSetCacheMax``, which counts bytes (the
    environment variable counts MB)."""
    if "GDAL_CACHEMAX" not in os.environ:
        rasterio.env.set_gdal_config("GDAL_CACHEMAX", GDAL_CACHE_BYTES)


def quiet_array_datasets() -> None:
    """Ignore, for the whole process, rasterio's ``NotGeoreferencedWarning`` raised from
    ``rasterio.warp`` and ``rasterio.features`` (the in-memory datasets of a reproject of arrays
    and of a rasterize of shapes).

    rasterio hides that warning itself with ``warnings.catch_warnings``, which is not
    thread-safe: with such calls on two threads, one thread's exit restores the filters without
    the other's and the warning leaks out as a ``WARNING py.warnings`` line (2 of 8 runs of a
    hand-made 长治市 project with the steps on two threads; 9 in 600 calls on two threads in a
    loop; rasterio 1.4.4, Python 3.11; from ``rasterio.features`` once in a fresh demo, the relief's
    mask beside the overlays' reprojects).  Every array reproject and every rasterize in geo-sink
    passes its transforms (``io.display``, ``io.relief``, ``io.scenes``, ``io.align``,
    ``pv.siting_run``, ``demo``), so the warning never means a missing georeference here; a file
    without one is refused where it is opened (:func:`raster_info`).  Installed before threads
    start, the filters are in every list that ``catch_warnings`` saves, so no restore drops them.
    """
    for module in ("rasterio.warp", "rasterio.features"):
        warnings.filterwarnings("ignore", category=rasterio.errors.NotGeoreferencedWarning, module=module)


def _blocks(path, starts, r1, c0, c1, block_rows, band, readers, reuse=False, masks=False, encode=None):
    """The blocks of :func:`iter_row_blocks`; with ``masks`` also the band's mask where it has a
    real one; with ``encode`` (a function of (block, valid, out) and its output type) the encoded
    blocks, computed in the reading thread."""
    ends = dict(zip(starts, starts[1:] + [r1]))
    order = {s: i for i, s in enumerate(starts)}
    threaded = readers > 0 and len(starts) > 1
    bufs: list = []
    mbufs: list = []
    obufs: list = []
    read_mask = False
    if reuse or masks:
        with open_raster(path) as src:
            dtype = src.dtypes[band - 1]
            read_mask = masks and band_has_mask(src, band)
    if reuse:
        shape = (max(e - s for s, e in ends.items()), c1 - c0)
        # threaded: block i goes into buffer i % (readers + 1), which is neither the block just
        # yielded nor one of the readers - 1 others in flight (see the loop below)
        slots = readers + 1 if threaded else 1
        bufs = [np.empty(shape, dtype=dtype) for _ in range(slots)]
        if read_mask:
            mbufs = [np.empty(shape, dtype=np.uint8) for _ in range(slots)]
        if encode is not None:
            obufs = [np.empty(shape, dtype=encode[1]) for _ in range(slots)]

    def window_read(src, s):
        slot = order[s] % len(bufs) if bufs else 0
        n = ends[s] - s
        win = Window(c0, s, c1 - c0, n)
        block = src.read(band, window=win, out=bufs[slot][:n] if bufs else None)
        if not masks:
            return block
        valid = src.read_masks(band, window=win, out=mbufs[slot][:n] if mbufs else None) if read_mask else None
        if encode is not None:
            return encode[0](block, valid, obufs[slot][:n] if obufs else None)
        return block, valid

    def item(s, got):
        return (s, *got) if masks and encode is None else (s, got)

    if not threaded:
        with open_raster(path) as src:
            for s in starts:
                yield item(s, window_read(src, s))
        return
    local = threading.local()
    opened: list = []
    lock = threading.Lock()

    def read(s):
        src = getattr(local, "src", None)
        if src is None:
            src = local.src = open_raster(path)
            with lock:
                opened.append(src)
        return item(s, window_read(src, s))

    try:
        with ThreadPoolExecutor(max_workers=readers) as pool:
            pending = deque(pool.submit(read, s) for s in starts[:readers])
            nxt = readers
            while pending:
                got = pending.popleft().result()
                if nxt < len(starts):
                    pending.append(pool.submit(read, starts[nxt]))
                    nxt += 1
                yield got
    finally:
        for src in opened:
            src.close()


def default_block_rows(info: RasterInfo, width: int, target_cells: int = 4_000_000) -> int:
    """Rows per block: about ``target_cells`` cells, a multiple of the file's block height."""
    bh = max(1, info.block_shape[0])
    rows = max(1, target_cells // max(1, width))
    rows = max(bh, (rows // bh) * bh)
    return int(os.environ.get("GEO_SINK_BLOCK_ROWS", rows))


def warn_crs_note(info: RasterInfo) -> None:
    if info.crs_note:
        warnings.warn(info.crs_note, CRSOverrideWarning, stacklevel=3)


def catalog_raster(cat, dataset_id: str) -> tuple[Path, str]:
    """Path and CRS of a raster dataset of the catalog, its file CRS checked against the entry.

    Returns
    -------
    (path, crs)
        ``crs`` is the catalog's CRS, to pass as ``crs=`` to readers.

    Raises
    ------
    CRSError
        The file's CRS is neither the catalog's nor the artefact the entry expects.
    """
    ds = cat.dataset(dataset_id)
    path = cat.dataset_path(dataset_id)
    with rasterio.open(path) as src:
        file_crs = pyproj.CRS.from_user_input(src.crs.to_wkt()) if src.crs else None
    want = pyproj.CRS.from_user_input(ds.crs)
    if file_crs is not None and file_crs.equals(want, ignore_axis_order=True):
        return path, ds.crs
    if ds.file_crs_expected == "modis_cmg_clarke1866" and file_crs is not None and is_modis_cmg_crs(file_crs):
        return path, ds.crs
    raise CRSError(f"{path}: catalog dataset {dataset_id!r} expects CRS {ds.crs}"
                   f"{' (file: ' + ds.file_crs_expected + ')' if ds.file_crs_expected else ''}, "
                   f"the file says {file_crs.name if file_crs else 'nothing'}")


#: How :func:`write_cog_from` compresses: the staging file fast (ZSTD level 1), the COG with
#: the floating-point predictor (PREDICTOR=3) and ZSTD level 1 on every core, overviews by
#: nearest neighbour (a density map derived from classes keeps its real values at every zoom).
COG_OPTIONS = {"zstd": dict(stage=dict(compress="zstd", zstd_level=1, num_threads="ALL_CPUS"),
                            cog=dict(compress="ZSTD", level="1", predictor="3", num_threads="ALL_CPUS",
                                     overview_resampling="NEAREST", blocksize="512")),
               # the settings before 2026-12 (one core, DEFLATE, averaged overviews), kept for the benchmark
               "deflate": dict(stage=dict(compress="deflate"), cog=dict(compress="DEFLATE", predictor="3"))}


def write_cog_from(src_path, target, lut: np.ndarray, nodata: float, band: int = 1, codec: str = "zstd",
                   **tags) -> Path:
    """Map a categorical raster through ``lut`` (code -> value, float32) and write a COG.

    Streams row blocks into a tiled temporary GeoTIFF, converts it with GDAL's COG driver
    (:data:`COG_OPTIONS`: ZSTD with the floating-point predictor on every core, nearest
    overviews) to a temporary name beside ``target`` and renames it into place.
    """
    target = Path(target)
    info = raster_info(src_path, band=band)
    lut = np.asarray(lut, dtype=np.float32)
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_cog(info, src_path, target, lut, nodata, band, codec, tags)
    except GeoSinkError:
        raise
    except Exception as e:       # GDAL says "TIFFRewriteDirectory" where the disk is full
        raise _write_failure(e, target) from None
    return target


def write_lut_vrt(src_path, target, lut: np.ndarray, nodata: float, band: int = 1, **tags) -> Path:
    """A GDAL VRT that maps a categorical raster through ``lut`` (code -> value, float32): the
    float map :func:`write_cog_from` would write, as a value table over the class raster.

    Every code 0..len(lut)-1 is listed in the source's ``<LUT>`` (GDAL interpolates linearly
    between listed points, so integer codes get their own values exactly); the source's nodata
    and its GDAL mask (``UseMaskBand``) become ``nodata``.  The land-cover file is referred to by
    its absolute path: the VRT
    is valid as long as that file stays where it is.
    """
    from xml.sax.saxutils import escape

    from geo_sink.io.atomic import atomic_path
    target = Path(target)
    info = raster_info(src_path, band=band)
    lut = np.asarray(lut, dtype=np.float32)
    g = info.grid
    t = g.transform
    pairs = ",".join(f"{i}:{float(v)!r}" for i, v in enumerate(lut))
    src_nodata = "" if info.nodata is None else f"<NODATA>{info.nodata:g}</NODATA>"
    with rasterio.open(info.path) as src:             # cells a GDAL mask masks: nodata too
        use_mask = "<UseMaskBand>true</UseMaskBand>" if band_has_mask(src, band) else ""
    md = "".join(f'<MDI key="{escape(str(k))}">{escape(str(v))}</MDI>' for k, v in tags.items())
    xml = (f'<VRTDataset rasterXSize="{g.width}" rasterYSize="{g.height}">\n'
           f"  <SRS>{escape(g.crs.to_wkt())}</SRS>\n"
           f"  <GeoTransform>{t.c!r}, {t.a!r}, {t.b!r}, {t.f!r}, {t.d!r}, {t.e!r}</GeoTransform>\n"
           f"  <Metadata>{md}</Metadata>\n"
           f'  <VRTRasterBand dataType="Float32" band="1">\n'
           f"    <NoDataValue>{float(nodata)!r}</NoDataValue>\n"
           f"    <ComplexSource>\n"
           f'      <SourceFilename relativeToVRT="0">{escape(str(Path(info.path).resolve()))}</SourceFilename>\n'
           f"      <SourceBand>{band}</SourceBand>{src_nodata}{use_mask}\n"
           f"      <LUT>{pairs}</LUT>\n"
           f"    </ComplexSource>\n"
           f"  </VRTRasterBand>\n"
           f"</VRTDataset>\n")
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        tmp.write_text(xml, encoding="utf-8")
    return target


def _write_failure(exc: BaseException, target: Path) -> BaseException:
    """A GDAL error met writing ``target``: an ``OSError(ENOSPC)`` naming the file and the free
    space when its filesystem is (nearly) full (GDAL itself only says e.g. "TIFFRewriteDirectory"),
    which the runs and the CLI report as a full disk (exit 74); else the error itself."""
    import errno
    import shutil
    try:
        free = shutil.disk_usage(target.parent).free
    except OSError:
        return exc
    if free > 64 * 2**20 and "no space" not in str(exc).lower():
        return exc
    return OSError(errno.ENOSPC, f"No space left on device ({free / 2**20:.1f} MiB free, df; GDAL: {exc})",
                   str(target))


def _write_cog(info, src_path, target: Path, lut, nodata, band, codec, tags) -> None:
    import tempfile

    import rasterio.shutil

    from geo_sink.io.atomic import atomic_path
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".stage-") as stage_dir, \
            atomic_path(target) as tmp:
        stage = Path(stage_dir) / "stage.tif"
        profile = dict(driver="GTiff", width=info.grid.width, height=info.grid.height, count=1,
                       dtype="float32", crs=info.grid.crs.to_wkt(), transform=info.grid.transform,
                       nodata=nodata, tiled=True, blockxsize=512, blockysize=512, **COG_OPTIONS[codec]["stage"])
        rows = default_block_rows(info, info.grid.width)
        with rasterio.open(stage, "w", **profile) as dst:
            for r0, block, valid in iter_row_blocks(info.path, (0, info.grid.height), (0, info.grid.width), rows,
                                                    band=band, masks=True):
                # cells the band's GDAL mask masks, and a negative nodata value: output nodata
                off = None if valid is None else valid == 0
                if info.nodata is not None and info.nodata < 0 and block.dtype.kind == "i":
                    off = (block == info.nodata) if off is None else off | (block == info.nodata)
                if off is not None:
                    block = np.where(off, 0, block)
                if block.size and (int(block.max()) >= len(lut) or int(block.min()) < 0):
                    bad = int(block.max()) if int(block.max()) >= len(lut) else int(block.min())
                    raise InputDataError(f"{src_path}: code {bad} is beyond the lookup table "
                                         f"(codes 0..{len(lut) - 1})")
                out = lut[block]
                if off is not None:
                    out[off] = nodata
                dst.write(out, 1, window=Window(0, r0, block.shape[1], block.shape[0]))
            dst.update_tags(**tags)
        rasterio.shutil.copy(stage, tmp, driver="COG", **COG_OPTIONS[codec]["cog"])


def pair_blocks(path_from, path_to, rows: tuple[int, int], cols: tuple[int, int], block_rows: int,
                readers: int = 1, fills: tuple = (None, None)):
    """Yield ``(row0, block_from, block_to)``: the same rows of two 8-bit maps on one grid (reused
    buffers: valid until the next block).

    ``fills``: for each map, None, or the (nodata) code its GDAL-masked cells take: that map's
    mask is then read with it."""
    def blocks(path, fill):
        if fill is None:
            yield from iter_row_blocks(path, rows, cols, block_rows, readers=readers, reuse=True)
            return
        for row0, block, valid in iter_row_blocks(path, rows, cols, block_rows, readers=readers, reuse=True,
                                                  masks=True):
            if valid is not None:
                block[valid == 0] = fill   # the reused buffer: the block is not read again
            yield row0, block

    for (ra, ba), (_, bb) in zip(blocks(path_from, fills[0]), blocks(path_to, fills[1])):
        yield ra, ba, bb


def decimated_read(path, window, out_shape: tuple[int, int], band: int = 1) -> np.ndarray:
    """The cells of ``window`` (a rasterio Window) sampled at ``out_shape`` by nearest neighbour:
    output cell (i, j) is the source cell under its centre.  Streams the window's row blocks
    once (:func:`iter_row_blocks`, decoding ahead) and keeps only the rows and columns it
    samples, so memory is the output's and the time a plain read's (GDAL's own decimated read
    of a file without overviews decodes tiles again and again under a small block cache).
    """
    rows, cols = sample_positions(window, out_shape)
    c0, w = int(window.col_off), int(window.width)
    info = raster_info(path, band=band)
    out = np.empty(tuple(out_shape), dtype=info.dtype)
    for b0, block in iter_row_blocks(path, (int(rows[0]), int(rows[-1]) + 1), (c0, c0 + w),
                                     default_block_rows(info, w), band=band, reuse=True):
        take_sample(out, rows, cols - c0, block, b0)
    return out


def sample_positions(window, out_shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """(grid rows, grid columns) of the cells under the centres of an ``out_shape`` grid laid
    over ``window`` (a rasterio Window): the cells a nearest-neighbour decimated read takes."""
    oh, ow = out_shape
    r0, c0 = int(window.row_off), int(window.col_off)
    h, w = int(window.height), int(window.width)
    rows = r0 + np.minimum(((np.arange(oh) + 0.5) * h / oh).astype(np.int64), h - 1)
    cols = c0 + np.minimum(((np.arange(ow) + 0.5) * w / ow).astype(np.int64), w - 1)
    return rows, cols


def take_sample(out: np.ndarray, rows: np.ndarray, cols: np.ndarray, block: np.ndarray, row0: int) -> None:
    """Copy into ``out`` the sampled cells that a block of rows ``row0 ..`` holds (``rows``:
    sorted grid rows of ``out``'s rows; ``cols``: the block's columns of ``out``'s columns)."""
    i0, i1 = np.searchsorted(rows, [row0, row0 + block.shape[0]])
    if i1 > i0:
        out[i0:i1] = block[rows[i0:i1] - row0][:, cols]
