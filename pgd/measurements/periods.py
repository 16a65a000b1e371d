"""Chart and list periods ("2 weeks", "3 months", ...) as plain data."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

PERIODS: dict[str, tuple[timedelta | None, object]] = {
    "2w": (timedelta(days=14), _l("2 weeks")),
    "3m": (timedelta(days=91), _l("3 months")),
    "1y": (timedelta(days=365), _l("1 year")),
    "all": (None, _l("All")),
}


def parse(code: str | None, default: str = "3m") -> str:
    return code if code in PERIODS else default


def start_of(code: str, now: datetime) -> datetime | None:
    span = PERIODS[code][0]
    return None if span is None else now - span


def choices() -> list[tuple[str, object]]:
    return [(code, label) for code, (_span, label) in PERIODS.items()]
