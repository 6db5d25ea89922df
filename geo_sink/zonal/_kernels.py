"""Compiled inner loops of the zonal engine (numba, GIL released).

Each kernel adds ``weight`` for every pixel to ``acc[zone, code]``; ``acc`` must have more
columns than the largest code (the caller checks).  The code of a pixel is ``block[r, c]``, or,
with a second 8-bit map ``block_to`` (a transition pass), ``block[r, c] * 256 + block_to[r, c]``:
the pair's code is formed in the loop, never as an array.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import overload

#: Runs shorter than this add straight into ``acc``; longer ones count codes first.
_SHORT = 64


def pixel_code(block, block_to, r, c):  # pragma: no cover - replaced in compiled code
    """The code of pixel (r, c): ``block[r, c]``, or the (from, to) pair's code."""
    if block_to is None:
        return block[r, c]
    return (int(block[r, c]) << 8) | int(block_to[r, c])


@overload(pixel_code, inline="always")
def _pixel_code(block, block_to, r, c):  # pragma: no cover
    if isinstance(block_to, (types.NoneType, types.Omitted)):
        return lambda block, block_to, r, c: block[r, c]
    return lambda block, block_to, r, c: (np.intp(block[r, c]) << 8) | np.intp(block_to[r, c])


@njit(nogil=True, cache=True)
def add_runs(block, block_to, row0, col_off, rows, c0s, c1s, zones, row_area, acc, tmp, seen, known,
             n_seen_box):  # pragma: no cover
    """``tmp`` (4, k) int64 zeros, ``seen`` (k,) int64, ``known`` (k,) bool and ``n_seen_box`` (1,)
    int64: scratch kept by the caller from block to block (``tmp`` is all zeros again on
    return)."""
    k = acc.shape[1]
    # four count arrays (tmp), used in turn, break the store-to-load chain that long stretches
    # of one code would otherwise create (about 2x faster on real land cover).
    # seen[:n_seen]: the codes met so far: a long run's counts are added for these codes only,
    # and the k codes are scanned (and new ones remembered) only when they do not account for
    # every pixel of the run; a land-cover map holds a handful of the 256 codes (and of the
    # 65,536 pairs of two maps)
    # the codes of the previous block are forgotten: the flush below visits every code in seen,
    # and a block holds far fewer codes than a whole map (of pairs, hundreds)
    for s in range(n_seen_box[0]):
        known[seen[s]] = False
    n_seen = 0
    for i in range(rows.shape[0]):
        r = rows[i] - row0
        z = zones[i]
        w = row_area[rows[i]]
        a = c0s[i] - col_off
        b = c1s[i] - col_off
        if b - a < _SHORT:
            for c in range(a, b):
                acc[z, pixel_code(block, block_to, r, c)] += w
        else:
            c = a
            while c + 4 <= b:
                tmp[0, pixel_code(block, block_to, r, c)] += 1
                tmp[1, pixel_code(block, block_to, r, c + 1)] += 1
                tmp[2, pixel_code(block, block_to, r, c + 2)] += 1
                tmp[3, pixel_code(block, block_to, r, c + 3)] += 1
                c += 4
            while c < b:
                tmp[0, pixel_code(block, block_to, r, c)] += 1
                c += 1
            left = b - a
            # the flush below is written out twice on purpose: factored into an njit helper
            # (inlined or not) the kernel took 0.18 s instead of 0.145 s on the benchmark raster
            for s in range(n_seen):
                j = seen[s]
                n = tmp[0, j] + tmp[1, j] + tmp[2, j] + tmp[3, j]
                if n != 0:
                    acc[z, j] += n * w
                    tmp[0, j] = 0
                    tmp[1, j] = 0
                    tmp[2, j] = 0
                    tmp[3, j] = 0
                    left -= n
            if left != 0:
                for j in range(k):
                    n = tmp[0, j] + tmp[1, j] + tmp[2, j] + tmp[3, j]
                    if n != 0:
                        acc[z, j] += n * w
                        tmp[0, j] = 0
                        tmp[1, j] = 0
                        tmp[2, j] = 0
                        tmp[3, j] = 0
                        if not known[j]:
                            known[j] = True
                            seen[n_seen] = j
                            n_seen += 1
    n_seen_box[0] = n_seen


@njit(nogil=True, cache=True)
def add_cells(block, block_to, row0, col_off, rows, cols, zones, frac, row_area, acc):  # pragma: no cover
    for i in range(rows.shape[0]):
        acc[zones[i], pixel_code(block, block_to, rows[i] - row0, cols[i] - col_off)] += frac[i] * row_area[rows[i]]


@njit(nogil=True, cache=True)
def weighted_pieces(row, krow, ya, yb, xa, xb, col, coefs, sign, local, height):  # pragma: no cover
    """Area-weighted trapezoid (``local``) and height of each boundary piece of a polygon on a
    geographic grid (see :func:`geo_sink.zonal.coverage._weighted_pieces`, the same in numpy);
    ``krow``: each piece's row of ``coefs``."""
    for i in range(row.shape[0]):
        k = krow[i]
        c0 = coefs[k, 0]
        c1 = coefs[k, 1]
        c2 = coefs[k, 2]
        c3 = coefs[k, 3]
        d = yb[i] - ya[i]
        m = 0.5 * (ya[i] + yb[i]) - row[i] - 0.5
        w = c0 + m * (c1 + m * (c2 + m * c3))
        w1 = c1 + m * (2.0 * c2 + 3.0 * c3 * m)
        w2 = 2.0 * c2 + 6.0 * c3 * m
        d2 = d * d
        h = d * (w + w2 * d2 / 24.0)
        mom = (xb[i] - xa[i]) * d2 * (w1 / 12.0 + c3 * d2 / 80.0)
        local[i] = sign * ((col[i] + 1.0 - 0.5 * (xa[i] + xb[i])) * h - mom)
        height[i] = sign * h
