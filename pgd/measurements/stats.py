"""Statistics on plain numpy arrays, so charts, the dashboard and the API agree on the numbers.

Inputs follow one convention: times are sorted ``datetime64[s]`` arrays in local time
(Europe/Amsterdam, naive; the caller converts), glucose in mmol/L, blood pressure in
mmHg, weight in kg. Nothing here touches Flask, the database or keys.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GLUCOSE_VERY_LOW = 3.0
GLUCOSE_LOW = 3.9
GLUCOSE_HIGH = 10.0
GLUCOSE_VERY_HIGH = 13.9
BMI_BANDS = (18.5, 25.0, 30.0)
BMI_BAND_NAMES = ("underweight", "healthy", "overweight", "obese")
DEFAULT_BP_TARGET = (140, 90)  # the Dutch NHG default; a patient can set their own
MINUTES_PER_DAY = 24 * 60
# Single readings that call for action today: the patient's advice on saving and the
# clinician's pre-consult flags use the same limits.
BP_ALARM = (180, 110)  # systolic or diastolic at or above
GLUCOSE_ALARM_HIGH = 15.0  # mmol/L, above


@dataclass(frozen=True)
class TimeInRange:
    """Share of glucose readings per clinical band, with the counts it rests on."""

    n: int
    very_low: float
    low: float
    in_range: float
    high: float
    very_high: float
    counts: tuple[int, int, int, int, int]


def time_in_range(mmol: np.ndarray) -> TimeInRange:
    """Percentages per band (international consensus bands) so patients see one clear number."""
    values = np.asarray(mmol, dtype=float)
    values = values[~np.isnan(values)]
    n = int(values.size)
    very_low = int(np.count_nonzero(values < GLUCOSE_VERY_LOW))
    low = int(np.count_nonzero((values >= GLUCOSE_VERY_LOW) & (values < GLUCOSE_LOW)))
    in_range = int(np.count_nonzero((values >= GLUCOSE_LOW) & (values <= GLUCOSE_HIGH)))
    high = int(np.count_nonzero((values > GLUCOSE_HIGH) & (values <= GLUCOSE_VERY_HIGH)))
    very_high = int(np.count_nonzero(values > GLUCOSE_VERY_HIGH))
    counts = (very_low, low, in_range, high, very_high)
    pct = [100.0 * c / n if n else 0.0 for c in counts]
    return TimeInRange(n, pct[0], pct[1], pct[2], pct[3], pct[4], counts)


# eq=False: dataclass equality on numpy arrays raises, identity is what callers need.
@dataclass(frozen=True, eq=False)
class ModalDay:
    """Glucose percentiles by time of day, pooled over many days."""

    minutes: np.ndarray
    p10: np.ndarray
    p25: np.ndarray
    p50: np.ndarray
    p75: np.ndarray
    p90: np.ndarray
    counts: np.ndarray


MODAL_PERCENTILES = (10, 25, 50, 75, 90)


MODAL_MIN_COUNT = 3  # fewer readings in an hour of the day: no middle value there (a gap)


def modal_day(
    minute_of_day: np.ndarray,
    mmol: np.ndarray,
    bin_minutes: int = 60,
    min_count: int = MODAL_MIN_COUNT,
) -> ModalDay:
    """Pool readings by time of day so daily patterns stand out; sparse bins stay NaN (gaps)."""
    if bin_minutes <= 0 or MINUTES_PER_DAY % bin_minutes:
        raise ValueError("bin_minutes must divide 1440")
    n_bins = MINUTES_PER_DAY // bin_minutes
    minutes = np.asarray(minute_of_day, dtype=float)
    values = np.asarray(mmol, dtype=float)
    if minutes.shape != values.shape:
        raise ValueError("minute_of_day and mmol must have the same length")
    keep = np.isfinite(values) & np.isfinite(minutes)
    minutes, values = minutes[keep], values[keep]
    bins = np.clip((minutes // bin_minutes).astype(np.int64), 0, n_bins - 1)
    counts = np.bincount(bins, minlength=n_bins)
    # Sort by bin, then value, in one pass: a composite key is ~2x faster than np.lexsort.
    floor = float(values.min()) if values.size else 0.0
    spread = float(values.max()) - floor + 1.0 if values.size else 1.0
    ordered = values[np.argsort(bins * spread + (values - floor))]
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    enough = (counts >= max(min_count, 1))[:, None]
    # np.percentile's "linear" method: virtual index q * (n - 1) inside each bin's sorted slice.
    q = np.asarray(MODAL_PERCENTILES, dtype=float)[None, :] / 100.0
    virtual = q * np.maximum(counts - 1, 0)[:, None]
    below = np.floor(virtual).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(counts - 1, 0)[:, None])
    frac = virtual - below
    if ordered.size:
        lo = ordered[np.minimum(starts[:, None] + below, ordered.size - 1)]
        hi = ordered[np.minimum(starts[:, None] + above, ordered.size - 1)]
        result = lo + (hi - lo) * frac
    else:
        result = np.zeros((n_bins, q.size))
    result = np.where(enough, result, np.nan)
    centres = np.arange(n_bins, dtype=float) * bin_minutes + bin_minutes / 2
    p10, p25, p50, p75, p90 = (result[:, i] for i in range(q.size))
    return ModalDay(centres, p10, p25, p50, p75, p90, counts=counts)


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


def change_percent(before: float | None, after: float | None) -> float | None:
    """Relative change for trend lines; None when there is nothing sound to compare."""
    if before is None or after is None or before == 0:
        return None
    return (after - before) / before * 100.0


def bp_above_target(systolic: np.ndarray, diastolic: np.ndarray, target: tuple[int, int]) -> int:
    """Count readings that miss a '< systolic/diastolic' target on either number."""
    sys_ = np.asarray(systolic)
    dia = np.asarray(diastolic)
    return int(np.count_nonzero((sys_ >= target[0]) | (dia >= target[1])))


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body mass index, the basis of the weight bands GPs use."""
    if height_cm <= 0:
        raise ValueError("height_cm must be positive")
    metres = height_cm / 100.0
    return weight_kg / (metres * metres)


def bmi_band(value: float) -> str:
    """Name the band (a key, not a label) so callers pick their own wording and colour."""
    for limit, name in zip(BMI_BANDS, BMI_BAND_NAMES, strict=False):
        if value < limit:
            return name
    return BMI_BAND_NAMES[-1]
