"""Statistics as pure functions: percentiles per group and downsampling."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pgd.measurements import stats

finite = st.floats(min_value=0.5, max_value=40.0, allow_nan=False, allow_infinity=False)


# --- percentiles per group (blood sugar by moment of the day) ---------------------------


def _reference(groups: np.ndarray, values: np.ndarray, n_groups: int):
    """np.percentile per group, the slow obvious way."""
    out = np.full((n_groups, 5), np.nan)
    counts = np.zeros(n_groups, dtype=int)
    for g in range(n_groups):
        in_group = values[groups == g]
        counts[g] = in_group.size
        if in_group.size:
            out[g] = np.percentile(in_group, [0, 25, 50, 75, 100], method="linear")
    return out, counts


@settings(max_examples=80, deadline=None)
@given(data=st.data(), n=st.integers(0, 400), n_groups=st.integers(1, 12))
def test_group_percentiles_match_numpy_percentile(
    data: st.DataObject, n: int, n_groups: int
) -> None:
    groups = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, n_groups - 1)))
    values = data.draw(hnp.arrays(np.float64, n, elements=finite))
    got = stats.group_percentiles(groups, values, n_groups)
    expected, counts = _reference(groups, values, n_groups)
    found = np.stack([got.low, got.p25, got.p50, got.p75, got.high], axis=1)
    np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(got.counts, counts)


def test_group_percentiles_one_reading_empty_groups_and_missing_values() -> None:
    groups = np.array([0, 2, 2, 2, 2, 2])
    values = np.array([2.9, 5.0, 6.0, np.nan, 8.0, 7.0])
    got = stats.group_percentiles(groups, values, 4)
    np.testing.assert_array_equal(got.counts, [1, 0, 4, 0])  # the missing value is left out
    assert (got.low[0], got.p50[0], got.high[0]) == (2.9, 2.9, 2.9)  # one reading counts
    assert (got.low[2], got.p25[2], got.p50[2], got.p75[2], got.high[2]) == (
        5.0,
        5.75,
        6.5,
        7.25,
        8.0,
    )
    assert np.isnan(got.p50[1])
    assert np.isnan(got.high[3])
    with pytest.raises(ValueError, match="same length"):
        stats.group_percentiles(np.array([0]), np.array([1.0, 2.0]), 1)
    nothing = stats.group_percentiles(np.array([], dtype=int), np.array([]), 3)
    assert nothing.counts.tolist() == [0, 0, 0]
    assert np.isnan(nothing.p50).all()


# --- downsampling -----------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    y=hnp.arrays(
        np.float64,
        st.integers(1, 600),
        elements=st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    ),
    max_points=st.integers(2, 80),
)
def test_downsample_keeps_each_buckets_extremes(y: np.ndarray, max_points: int) -> None:
    x = np.arange(y.size) * 10
    xs, ys = stats.downsample_minmax(x, y, max_points)
    assert xs.size == ys.size
    assert np.all(np.diff(xs) > 0)  # sorted by x, no point twice
    np.testing.assert_array_equal(ys, y[xs // 10])  # real points, pairs intact
    assert ys.min() == y.min()
    assert ys.max() == y.max()
    if y.size <= max_points:
        assert xs is x
        assert ys is y
        return
    assert xs.size <= max_points
    for bucket in np.array_split(np.arange(y.size), max_points // 2):
        kept = ys[(xs >= x[bucket[0]]) & (xs <= x[bucket[-1]])]
        assert kept.min() == y[bucket].min()
        assert kept.max() == y[bucket].max()
        assert kept.size in (1, 2)


def test_downsample_short_input_is_returned_unchanged() -> None:
    x = np.arange(5)
    y = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    xs, ys = stats.downsample_minmax(x, y, 5)
    assert xs is x
    assert ys is y
    xs, ys = stats.downsample_minmax(x, y, 4)
    assert xs.size <= 4
    np.testing.assert_array_equal(ys, [1.0, 4.0, 1.0, 5.0])  # buckets [3, 1, 4] and [1, 5]


def test_downsample_datetime_x_and_one_point_per_flat_bucket() -> None:
    start = np.datetime64("2025-03-01T00:00:00", "s")
    x = start + (np.arange(1000) * 300).astype("timedelta64[s]")
    y = np.full(1000, 7.0)
    y[123] = 2.5
    y[877] = 21.0
    xs, ys = stats.downsample_minmax(x, y, 100)
    assert xs.dtype == np.dtype("datetime64[s]")
    assert xs.size <= 100
    assert x[123] in xs
    assert x[877] in xs
    assert np.all(xs[1:] > xs[:-1])
    # 50 buckets of 20 flat readings: one point each, plus the two spikes' partners.
    assert xs.size == 52


def test_downsample_rejects_fewer_than_two_points() -> None:
    with pytest.raises(ValueError, match="at least 2"):
        stats.downsample_minmax(np.arange(10), np.arange(10.0), 1)
