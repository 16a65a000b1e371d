"""Statistics on plain numpy arrays, so charts, the dashboard and the API agree on the numbers.

Inputs follow one convention: times are sorted ``datetime64[s]`` arrays in local time
(Europe/Amsterdam, naive; the caller converts), glucose in mmol/L, blood pressure in
mmHg, weight in kg. Nothing here touches Flask, the database or keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


# eq=False: dataclass equality on numpy arrays raises, identity is what callers need.
@dataclass(frozen=True, eq=False)
class GroupStats:
    """Per group: how many values, the lowest, the quartiles and the highest (NaN if none)."""

    counts: np.ndarray
    low: np.ndarray
    p25: np.ndarray
    p50: np.ndarray
    p75: np.ndarray
    high: np.ndarray


GROUP_PERCENTILES = (0, 25, 50, 75, 100)


def group_percentiles(groups: np.ndarray, values: np.ndarray, n_groups: int) -> GroupStats:
    """Lowest, quartiles and highest per group in one sort, as np.percentile ("linear").

    ``groups`` holds each value's group number (0 to n_groups - 1); empty groups give NaN.
    """
    codes = np.asarray(groups, dtype=np.int64)
    data = np.asarray(values, dtype=float)
    if codes.shape != data.shape:
        raise ValueError("groups and values must have the same length")
    keep = np.isfinite(data) & (codes >= 0) & (codes < n_groups)
    codes, data = codes[keep], data[keep]
    counts = np.bincount(codes, minlength=n_groups)
    # Sort by group, then value, in one pass: a composite key is ~2x faster than np.lexsort.
    floor = float(data.min()) if data.size else 0.0
    spread = float(data.max()) - floor + 1.0 if data.size else 1.0
    ordered = data[np.argsort(codes * spread + (data - floor))]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    # np.percentile's "linear" method: virtual index q * (n - 1) inside each group's slice.
    q = np.asarray(GROUP_PERCENTILES, dtype=float)[None, :] / 100.0
    last = np.maximum(counts - 1, 0)[:, None]
    virtual = q * last
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, last)
    frac = virtual - below
    if ordered.size:
        lo = ordered[np.minimum(starts[:, None] + below, ordered.size - 1)]
        hi = ordered[np.minimum(starts[:, None] + above, ordered.size - 1)]
        result = lo + (hi - lo) * frac
    else:
        result = np.zeros((n_groups, q.size))
    result = np.where((counts > 0)[:, None], result, np.nan)
    low, p25, p50, p75, high = (np.ascontiguousarray(result[:, i]) for i in range(q.size))
    return GroupStats(counts, low, p25, p50, p75, high)


def minmax_indices(y: np.ndarray, max_points: int) -> np.ndarray:
    """Indices of each bucket's lowest and highest value, so a thinned line keeps every peak."""
    values = np.asarray(y)
    n = values.size
    if n <= max_points:
        return np.arange(n)
    if max_points < 2:
        raise ValueError("max_points must be at least 2")
    n_buckets = max_points // 2
    # Bucket sizes as np.array_split makes them: the first n % n_buckets get one more.
    sizes = np.full(n_buckets, n // n_buckets, dtype=np.int64)
    sizes[: n % n_buckets] += 1
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    index = np.arange(n)
    bucket_min = np.repeat(np.minimum.reduceat(values, starts), sizes)
    bucket_max = np.repeat(np.maximum.reduceat(values, starts), sizes)
    first_min = np.minimum.reduceat(np.where(values == bucket_min, index, n), starts)
    first_max = np.minimum.reduceat(np.where(values == bucket_max, index, n), starts)
    pairs = np.stack([np.minimum(first_min, first_max), np.maximum(first_min, first_max)], axis=1)
    picked = pairs.ravel()
    return picked[np.concatenate(([True], picked[1:] != picked[:-1]))]


def downsample_minmax(
    x: np.ndarray, y: np.ndarray, max_points: int
) -> tuple[np.ndarray, np.ndarray]:
    """Thin a long series to at most max_points while keeping each bucket's extremes."""
    if len(x) != len(y):
        raise ValueError("x and y must have the same length")
    if len(x) <= max_points:
        return x, y
    keep = minmax_indices(y, max_points)
    return x[keep], y[keep]
