"""Streaming accumulation of class areas per zone: the hot path.

:class:`ClassAreaAccumulator` takes blocks of rows of a categorical raster and adds the true
area of every (zone, code) pair.  It does no I/O: the caller reads the blocks (see
:func:`geo_sink.zonal.areas.class_areas`).  Per block it expands the interior runs into a
label array (one cumulative sum), forms ``label * K + code`` and calls one weighted
``numpy.bincount``; boundary cells add ``fraction * cell area`` with a second, small bincount.
"""

from __future__ import annotations

import numpy as np

from geo_sink.zonal.zones import ZoneIndex


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
        self.pixels = 0
        # runs split per layer once (sorted by row inside a layer)
        self._layers = []
        for lay in range(index.n_layers):
            sel = index.run_layer == lay
            self._layers.append((index.run_row[sel], index.run_c0[sel], index.run_c1[sel],
                                 index.run_zone[sel]))

    def _grow(self, k: int) -> None:
        if k > self._k:
            acc = np.zeros((self.n, k))
            acc[:, : self._k] = self._acc
            self._acc, self._k = acc, k

    def add(self, block: np.ndarray, row0: int) -> None:
        """Add a block of rows ``row0 .. row0 + block.shape[0]`` (columns from ``col_offset``).

        Parameters
        ----------
        block : 2-D ndarray of non-negative integers
            Raster codes (uint8/uint16/any integer type with values >= 0).
        row0 : int
            Grid row of the block's first row.
        """
        h, w = block.shape
        if block.dtype != np.uint8:
            if block.size and block.min() < 0:
                raise ValueError("negative raster codes are not supported; remap them first")
            self._grow(int(block.max()) + 1 if block.size else 0)
        k = self._k
        flat = block.reshape(-1)
        self.pixels += flat.size
        weights = None
        for rr, c0, c1, zz in self._layers:
            lo, hi = np.searchsorted(rr, (row0, row0 + h))
            if lo == hi:
                continue
            base = (rr[lo:hi].astype(np.int64) - row0) * w - self.col_offset
            starts = base + c0[lo:hi]
            ends = base + c1[lo:hi]
            lab = zz[lo:hi].astype(np.int32) + 1
            marks = np.zeros(h * w + 1, dtype=np.int32)
            np.add.at(marks, starts, lab)
            np.add.at(marks, ends, -lab)
            labels = np.cumsum(marks[:-1], dtype=np.int32)
            key = labels.astype(np.int64) * k + flat
            if weights is None:
                weights = np.repeat(self.row_area[row0: row0 + h], w)
            counts = np.bincount(key, weights=weights, minlength=(self.n + 1) * k)
            self._acc += counts[k: (self.n + 1) * k].reshape(self.n, k)
        ix = self.index
        lo, hi = np.searchsorted(ix.b_row, (row0, row0 + h))
        if hi > lo:
            r = ix.b_row[lo:hi]
            vals = block[r - row0, ix.b_col[lo:hi] - self.col_offset].astype(np.int64)
            wts = ix.b_frac[lo:hi] * self.row_area[r]
            counts = np.bincount(ix.b_zone[lo:hi].astype(np.int64) * k + vals, weights=wts,
                                 minlength=self.n * k)
            self._acc += counts.reshape(self.n, k)

    def result_m2(self) -> np.ndarray:
        """Array (n_zones, K) of area in m^2 per zone and raster code."""
        return self._acc.copy()
