"""Streaming accumulation of class areas per zone: the hot path.

:class:`ClassAreaAccumulator` takes blocks of rows of a categorical raster and adds the true
area of every (zone, code) pair.  It does no I/O: the caller reads the blocks (see
:func:`geo_sink.zonal.areas.class_areas`).

Each interior run of a zone adds ``cell area of its row`` per pixel to ``acc[zone, code]``;
each boundary cell adds ``fraction * cell area``.  The loops are compiled with numba (GIL
released, ~1 ns per pixel) so that they keep pace with the decoding thread; without numba
a numpy path (one ``bincount`` per run, ~2 ns per pixel plus ~3 us per run) gives the same
numbers.
"""

from __future__ import annotations

import numpy as np

from geo_sink.zonal.zones import ZoneIndex

_LAZY = object()
#: The numba kernels module, imported on first use (:func:`geo_sink.zonal.coverage.compiled_kernels`);
#: None: the numpy path (exercised by monkeypatching in the tests).
_kernels = _LAZY


def _kernel_module():
    global _kernels
    if _kernels is _LAZY:
        from geo_sink.zonal.coverage import compiled_kernels
        _kernels = compiled_kernels()
    return _kernels


def load_kernels(dtypes=(np.uint8, np.uint16)) -> float:
    """Load (or compile) the numba kernels for these code dtypes now; return the seconds taken.

    The first call in a process otherwise pays this (~0.5 s with numba's on-disk cache, a few
    seconds without) inside the first measurement.  Long-running processes and benchmarks call
    it up front; everything works without it.
    """
    import time

    t0 = time.perf_counter()
    kernels = _kernel_module()
    if kernels is None:
        return 0.0
    i32 = np.zeros(1, np.int32)
    area = np.ones(1)
    acc = np.zeros((1, 256))
    ro32, ro_end, roarea = i32.copy(), i32 + 1, area.copy()
    for a in (ro32, ro_end, roarea):
        a.flags.writeable = False   # cached indexes are read-only memory maps: other signatures
    scratch = _scratch(256)
    u8 = np.zeros((1, 1), dtype=np.uint8)
    for dt in dtypes:
        block = np.zeros((1, 1), dtype=dt)
        for block_to in (None, u8) if dt == np.uint8 else (None,):
            kernels.add_runs(block, block_to, 0, 0, i32, i32, i32 + 1, i32, area, acc, *scratch)
            kernels.add_cells(block, block_to, 0, 0, i32, i32, i32, area, area, acc)
            for row_area in (area, roarea):     # a grid's row areas may be shared read-only
                kernels.add_runs(block, block_to, 0, 0, ro32, ro32, ro_end, ro32, row_area, acc, *scratch)
                kernels.add_cells(block, block_to, 0, 0, ro32, ro32, ro32, roarea, row_area, acc)
    # the area-weighted boundary pieces of a zone index built on a geographic grid
    i64, f64 = np.zeros(1, np.int64), np.zeros(1)
    coefs = np.zeros((1, 4))
    coefs.flags.writeable = False
    kernels.weighted_pieces(i64, i64, f64, f64, f64, f64, i64, coefs, 1.0, f64.copy(), f64.copy())
    return time.perf_counter() - t0


def _scratch(k: int) -> tuple[np.ndarray, ...]:
    """The kernels' scratch for codes below ``k``, kept from block to block: four count rows,
    the codes met so far, which codes those are, and how many (see ``_kernels.add_runs``)."""
    return np.zeros((4, k), np.int64), np.empty(k, np.int64), np.zeros(k, np.bool_), np.zeros(1, np.int64)


def _row_slice(rows: np.ndarray, row0: int, h: int) -> tuple[int, int]:
    """[lo, hi) of the entries of a row-sorted array that fall in rows row0 .. row0+h-1."""
    # search with the array's own dtype: mixing int32 and int64 copies the whole array
    lo, hi = np.searchsorted(rows, np.array([row0, row0 + h], dtype=rows.dtype))
    return int(lo), int(hi)


class ClassAreaAccumulator:
    """Accumulate area (m^2) per (zone, raster code) over row blocks.

    Parameters
    ----------
    index : ZoneIndex
        Zones on the raster's grid.
    row_area_m2 : ndarray
        True area of one cell in each grid row (m^2), length = grid height.
    col_offset : int
        Column of the grid at which the blocks passed to :meth:`add` start.
    """

    def __init__(self, index: ZoneIndex, row_area_m2: np.ndarray, col_offset: int = 0):
        self.index = index
        self.row_area = np.asarray(row_area_m2, dtype=np.float64)
        self.col_offset = int(col_offset)
        self.n = index.n_zones
        self._k = 256
        self._acc = np.zeros((self.n, self._k))
        self._scratch = _scratch(self._k)
        self.pixels = 0
        runs = (index.run_row, index.run_c0, index.run_c1, index.run_zone)
        if len(index.run_row) > 1 and np.any(index.run_row[1:] < index.run_row[:-1]):
            order = np.argsort(index.run_row, kind="stable")
            runs = tuple(a[order] for a in runs)
        # an index built here is sorted by row already: use its (memory-mapped) arrays as they are
        self._runs = tuple(np.ascontiguousarray(a) for a in runs)
        self.kernels = _kernel_module()

    def _grow(self, k: int) -> None:
        if k > self._k:
            acc = np.zeros((self.n, k))
            acc[:, : self._k] = self._acc
            self._acc, self._k = acc, k
            self._scratch = _scratch(k)

    def add(self, block: np.ndarray, row0: int, block_to: np.ndarray | None = None) -> None:
        """Add a block of rows ``row0 .. row0 + block.shape[0]`` (columns from ``col_offset``).

        Parameters
        ----------
        block : 2-D ndarray of non-negative integers
            Raster codes (uint8/uint16/any integer type with values >= 0).
        row0 : int
            Grid row of the block's first row.
        block_to : 2-D uint8 ndarray, optional
            The same rows of a second map on the grid (``block`` then uint8 too): each pixel is
            counted under its pair's code ``block * 256 + block_to`` (a transition pass; the
            accumulator grows to 65,536 codes).
        """
        if block_to is not None:
            if block.dtype != np.uint8 or block_to.dtype != np.uint8 or block.shape != block_to.shape:
                raise ValueError("a pair of blocks must be two uint8 arrays of one shape, got "
                                 f"{block.dtype} {block.shape} and {block_to.dtype} {block_to.shape}")
            self._grow(65536)
        elif block.dtype != np.uint8:
            if block.size and block.min() < 0:
                raise ValueError("negative raster codes are not supported; remap them first "
                                 "(geo_sink.io.rasters.iter_code_blocks does, naming the file)")
            self._grow(int(block.max()) + 1 if block.size else 0)
        self.pixels += block.size
        k = self._k
        ix = self.index
        rr, c0, c1, zz = self._runs
        lo, hi = _row_slice(rr, row0, block.shape[0])
        blo, bhi = _row_slice(ix.b_row, row0, block.shape[0])
        if self.kernels is not None:
            block = np.ascontiguousarray(block)
            if block_to is not None:
                block_to = np.ascontiguousarray(block_to)
            self.kernels.add_runs(block, block_to, row0, self.col_offset, rr[lo:hi], c0[lo:hi], c1[lo:hi],
                                  zz[lo:hi], self.row_area, self._acc, *self._scratch)
            self.kernels.add_cells(block, block_to, row0, self.col_offset, ix.b_row[blo:bhi],
                                   ix.b_col[blo:bhi], ix.b_zone[blo:bhi], ix.b_frac[blo:bhi],
                                   self.row_area, self._acc)
            return
        if block_to is not None:
            block = (block.astype(np.uint16) << 8) | block_to
        if hi > lo:
            self._numpy_runs(block, row0, lo, hi)
        if bhi > blo:
            r = ix.b_row[blo:bhi]
            vals = block[r - row0, ix.b_col[blo:bhi] - self.col_offset].astype(np.int64)
            wts = ix.b_frac[blo:bhi] * self.row_area[r]
            counts = np.bincount(ix.b_zone[blo:bhi].astype(np.int64) * k + vals, weights=wts,
                                 minlength=self.n * k)
            self._acc += counts.reshape(self.n, k)

    def _numpy_runs(self, block: np.ndarray, row0: int, lo: int, hi: int) -> None:
        rr, c0, c1, zz = self._runs
        k, off = self._k, self.col_offset
        # visit the block's runs zone by zone so that each zone's rows are summed in one go
        order = np.argsort(zz[lo:hi], kind="stable") + lo
        zs = zz[order]
        counts = np.empty((hi - lo, k), dtype=np.float64)
        for i, (r, a, b) in enumerate(zip((rr[order] - row0).tolist(), (c0[order] - off).tolist(),
                                          (c1[order] - off).tolist())):
            counts[i] = np.bincount(block[r, a:b], minlength=k)
        counts *= self.row_area[rr[order], None]
        first = np.flatnonzero(np.r_[True, zs[1:] != zs[:-1]])
        self._acc[zs[first]] += np.add.reduceat(counts, first, axis=0)

    def result_m2(self) -> np.ndarray:
        """Array (n_zones, K) of area in m^2 per zone and raster code."""
        return self._acc.copy()

    def nonzero_m2(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(zone, code, m^2) of every pair with area > 0, by zone then code (no copy of the
        whole array: a transition pass's has 65,536 codes per zone, of which a few hundred hold
        area: the codes met anywhere are found first, in one pass down the columns)."""
        met = np.flatnonzero(self._acc.any(axis=0))
        z, j = np.nonzero(self._acc[:, met] > 0)
        return z, met[j], self._acc[z, met[j]]


class DensityAccumulator:
    """Accumulate, per zone, value x area, valid area and nodata area (m^2) over row blocks.

    Parameters
    ----------
    index : ZoneIndex
    row_area : ndarray
        Cell area (m^2) of every grid row.
    col_offset : int
        Grid column of the blocks' first column.
    nodata : float, optional
        The file's nodata value; NaN and infinite values are nodata too.
    """

    def __init__(self, index: ZoneIndex, row_area: np.ndarray, col_offset: int = 0, nodata=None):
        self.index, self.area, self.c0, self.nodata = index, row_area, col_offset, nodata
        order = np.argsort(index.run_row, kind="stable")
        self._runs = tuple(x[order] for x in (index.run_row, index.run_c0, index.run_c1, index.run_zone))
        self._sums = np.zeros((3, index.n_zones))

    def add(self, block: np.ndarray, row0: int, mask: np.ndarray | None = None) -> None:
        """Add the rows ``row0 .. row0 + len(block)`` (columns from ``col_offset``); ``mask``: the
        band's GDAL mask for the block (0 = masked: nodata), if it has one."""
        total, valid, nod = self._sums
        ix, area, c0 = self.index, self.area, self.c0
        rr, a0, a1, zz = self._runs
        block = block.astype(np.float64)
        nd = self.nodata
        ok = np.isfinite(block) if nd is None or np.isnan(nd) else (block != nd) & np.isfinite(block)
        if mask is not None:
            ok &= mask != 0
        vals = np.where(ok, block, 0.0)
        lo, hi = np.searchsorted(rr, np.array([row0, row0 + block.shape[0]], dtype=rr.dtype))
        csum = np.concatenate([np.zeros((block.shape[0], 1)), np.cumsum(vals, axis=1)], axis=1)
        cok = np.concatenate([np.zeros((block.shape[0], 1)), np.cumsum(ok, axis=1)], axis=1)
        r = rr[lo:hi] - row0
        s, e = a0[lo:hi] - c0, a1[lo:hi] - c0
        w = area[rr[lo:hi]]
        np.add.at(total, zz[lo:hi], (csum[r, e] - csum[r, s]) * w)
        nvalid = cok[r, e] - cok[r, s]
        np.add.at(valid, zz[lo:hi], nvalid * w)
        np.add.at(nod, zz[lo:hi], ((e - s) - nvalid) * w)
        blo, bhi = np.searchsorted(ix.b_row, np.array([row0, row0 + block.shape[0]], dtype=ix.b_row.dtype))
        br = ix.b_row[blo:bhi]
        bw = ix.b_frac[blo:bhi] * area[br]
        bv = vals[br - row0, ix.b_col[blo:bhi] - c0]
        bok = ok[br - row0, ix.b_col[blo:bhi] - c0]
        np.add.at(total, ix.b_zone[blo:bhi], bv * bw)
        np.add.at(valid, ix.b_zone[blo:bhi], bok * bw)
        np.add.at(nod, ix.b_zone[blo:bhi], (~bok) * bw)

    def sums(self) -> np.ndarray:
        """(3 x zones): value x m^2, valid m^2, nodata m^2."""
        return self._sums.copy()
