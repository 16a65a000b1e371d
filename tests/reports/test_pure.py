"""The report's pure parts: printable text and thinned chart lines (no app, no database)."""

from __future__ import annotations

import math

from pgd.reports.charts import MAX_POINTS, thinned
from pgd.reports.pdf import plain, text


def test_text_keeps_dutch_letters_and_replaces_what_helvetica_cannot_print() -> None:
    assert plain("Zoë, één, über, €50 · –") == "Zoë, één, über, €50 · –"
    assert plain("−3,6 kg ≥ 5") == "-3,6 kg >= 5"
    assert plain("日本") == "??"
    assert text("<b>A & B</b>") == "&lt;b&gt;A &amp; B&lt;/b&gt;"


def test_long_lines_are_thinned_to_means_and_short_ones_kept() -> None:
    days, values = thinned([0, 1, 3], [1.0, math.nan, 3.0])
    assert (days, values) == ([0.0, 3.0], [1.0, 3.0])
    many = list(range(1826))
    days, values = thinned(many, [float(d) for d in many])
    assert len(days) == MAX_POINTS
    assert days == values  # the mean of the values per run of days
    assert days[0] < 5
    assert days[-1] > 1820
