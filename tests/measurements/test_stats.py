"""Statistics as pure functions: percentiles, time in range, downsampling, BMI, targets."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from pgd.measurements import stats

finite = st.floats(min_value=0.5, max_value=40.0, allow_nan=False, allow_infinity=False)


# --- time in range ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (2.99, 0),
        (3.0, 1),
        (3.89, 1),
        (3.9, 2),
        (10.0, 2),
        (10.01, 3),
        (13.9, 3),
        (13.91, 4),
    ],
)
def test_time_in_range_boundaries(value: float, band: int) -> None:
    tir = stats.time_in_range(np.array([value]))
    expected = [0, 0, 0, 0, 0]
    expected[band] = 1
    assert tir.counts == tuple(expected)
    pct = (tir.very_low, tir.low, tir.in_range, tir.high, tir.very_high)
    assert pct[band] == 100.0
    assert tir.n == 1


def test_time_in_range_percentages_and_counts() -> None:
    values = np.array([2.99, 3.0, 3.89, 3.9, 10.0, 10.01, 13.9, 13.91, 5.0, 6.0])
    tir = stats.time_in_range(values)
    assert tir.n == 10
    assert tir.counts == (1, 2, 4, 2, 1)
    assert (tir.very_low, tir.low, tir.in_range, tir.high, tir.very_high) == (
        10.0,
        20.0,
        40.0,
        20.0,
        10.0,
    )


def test_time_in_range_empty_is_all_zero() -> None:
    tir = stats.time_in_range(np.array([], dtype=float))
    assert tir == stats.TimeInRange(0, 0.0, 0.0, 0.0, 0.0, 0.0, (0, 0, 0, 0, 0))


def test_time_in_range_ignores_missing_values() -> None:
    tir = stats.time_in_range(np.array([np.nan, 5.0, 12.0]))
    assert tir.n == 2
    assert tir.counts == (0, 0, 1, 1, 0)


@given(hnp.arrays(np.float64, st.integers(1, 200), elements=finite))
def test_time_in_range_shares_add_up(values: np.ndarray) -> None:
    tir = stats.time_in_range(values)
    assert sum(tir.counts) == values.size == tir.n
    total = tir.very_low + tir.low + tir.in_range + tir.high + tir.very_high
    assert total == pytest.approx(100.0)


# --- modal day --------------------------------------------------------------------------


def _reference(minutes: np.ndarray, values: np.ndarray, bin_minutes: int, min_count: int):
    """np.percentile per bin, the slow obvious way."""
    n_bins = 1440 // bin_minutes
    out = np.full((n_bins, 5), np.nan)
    counts = np.zeros(n_bins, dtype=int)
    for b in range(n_bins):
        in_bin = values[(minutes >= b * bin_minutes) & (minutes < (b + 1) * bin_minutes)]
        counts[b] = in_bin.size
        if in_bin.size >= min_count and in_bin.size:
            out[b] = np.percentile(in_bin, [10, 25, 50, 75, 90], method="linear")
    return out, counts


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    n=st.integers(0, 400),
    bin_minutes=st.sampled_from([15, 30, 60, 120, 240]),
    min_count=st.integers(1, 5),
)
def test_modal_day_matches_numpy_percentile(
    data: st.DataObject, n: int, bin_minutes: int, min_count: int
) -> None:
    minutes = data.draw(hnp.arrays(np.int64, n, elements=st.integers(0, 1439)))
    values = data.draw(hnp.arrays(np.float64, n, elements=finite))
    modal = stats.modal_day(minutes, values, bin_minutes=bin_minutes, min_count=min_count)
    expected, counts = _reference(minutes, values, bin_minutes, min_count)
    got = np.stack([modal.p10, modal.p25, modal.p50, modal.p75, modal.p90], axis=1)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(modal.counts, counts)


def test_modal_day_bins_centres_and_sparse_bins() -> None:
    # 08:00-09:00 has three readings, 09:00-10:00 only two (below min_count=3).
    minutes = np.array([480, 500, 539, 540, 599])
    values = np.array([6.0, 8.0, 10.0, 4.0, 5.0])
    modal = stats.modal_day(minutes, values)
    assert modal.minutes.size == 24
    assert modal.minutes[0] == 30.0
    assert modal.minutes[8] == 8 * 60 + 30
    assert modal.counts[8] == 3
    assert modal.counts[9] == 2
    assert modal.p50[8] == 8.0
    assert modal.p25[8] == 7.0
    assert modal.p90[8] == pytest.approx(9.6)
    assert np.isnan(modal.p50[9])
    assert np.isnan(modal.p10[0])
    assert np.count_nonzero(~np.isnan(modal.p50)) == 1


def test_modal_day_empty_and_bad_bin_width() -> None:
    modal = stats.modal_day(np.array([], dtype=int), np.array([], dtype=float))
    assert np.isnan(modal.p50).all()
    assert modal.counts.sum() == 0
    with pytest.raises(ValueError, match="divide"):
        stats.modal_day(np.array([1]), np.array([5.0]), bin_minutes=7)


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


# --- summaries, targets, BMI, daily means ----------------------------------------------


def test_bp_above_target_counts_either_number() -> None:
    systolic = np.array([139, 140, 120])
    diastolic = np.array([89, 80, 90])
    assert stats.bp_above_target(systolic, diastolic, (140, 90)) == 2
    assert stats.bp_above_target(systolic[:1], diastolic[:1], (140, 90)) == 0
    assert stats.bp_above_target(systolic[1:2], diastolic[1:2], (140, 90)) == 1
    assert stats.bp_above_target(systolic[2:], diastolic[2:], (140, 90)) == 1
    assert stats.bp_above_target(systolic, diastolic, (130, 80)) == 3
    assert stats.bp_above_target(np.array([]), np.array([]), (140, 90)) == 0


def test_bmi_and_bands() -> None:
    assert stats.bmi(81.0, 180.0) == pytest.approx(25.0)
    assert stats.bmi(72.9, 180.0) == pytest.approx(22.5)
    with pytest.raises(ValueError, match="height"):
        stats.bmi(80.0, 0.0)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (15.0, "underweight"),
        (18.49, "underweight"),
        (18.5, "healthy"),
        (24.99, "healthy"),
        (25.0, "overweight"),
        (29.99, "overweight"),
        (30.0, "obese"),
        (45.0, "obese"),
    ],
)
def test_bmi_band_edges(value: float, band: str) -> None:
    assert stats.bmi_band(value) == band
