"""The "copy for the journal" text: the pre-consult summary as the S/O lines a practice
nurse pastes into the GP system (HIS), in the SOEP form the journal uses.

Built only from the Dossier that pgd.sharing.dossier.pre_consult returned: its blocks
are already limited to what the share covers, and the read behind them is already in
the access log. Nothing here reads the database, so the text can hold nothing more.
Every judgement (alarming, hypo, target) was made by pgd.clinical; this module words it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from flask_babel import gettext as _
from flask_babel import ngettext

from pgd import clinical
from pgd.clinical import words as cw
from pgd.sharing import labels
from pgd.sharing.summary import Block
from pgd.sharing.summary_lists import LOCAL, Event, Listed

if TYPE_CHECKING:
    from pgd.sharing.dossier import Dossier

# How many dates an alarm or hypo list names before it says "+ N more": a journal line
# stays readable; the full list is in the dossier. Presentation rule, no clinical value.
DATES_SHOWN = 5


def _day(d: date) -> str:
    """'3-11-2026', as Dutch journals write a date."""
    return f"{d.day}-{d.month}-{d.year}"


def _short(epoch: int) -> str:
    """'12-11': the local day of a reading, within the period named on the line."""
    d = datetime.fromtimestamp(epoch, UTC).astimezone(LOCAL).date()
    return f"{d.day}-{d.month}"


def _local(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def _dates(listed: Listed) -> str:
    """'(12-11, 20-11)', oldest first; '+ 3' when more than DATES_SHOWN."""
    events: Iterable[Event] = reversed(listed.events[:DATES_SHOWN])
    text = ", ".join(_short(e.at) for e in events)
    rest = listed.total - min(len(listed.events), DATES_SHOWN)
    if rest > 0:
        text += " " + labels.more(rest)
    return f"({text})"


def _period(d: Dossier) -> str:
    return _(
        "%(start)s to %(end)s", start=_day(_local(d.window_start)), end=_day(_local(d.window_end))
    )


def _readings(num: int) -> str:
    return ngettext("%(num)d reading", "%(num)d readings", num)


def _blood_pressure(b: Block, d: Dossier) -> list[str]:
    subject = _("S: home blood pressure measurement")
    week = b.week
    if week is not None and week.week.start_day is not None:
        subject += ", " + _(
            "measuring week %(start)s to %(end)s",
            start=_day(week.week.start_day),
            end=_day(week.week.end_day),
        )
    lines = [subject]
    if week is not None and week.result.used:
        r = week.result
        lines.append(
            "O: "
            + _(
                "measuring week mean %(value)s mmHg (%(used)d of %(expected)d readings)",
                value=cw.pressure(r.systolic or 0, r.diastolic or 0),
                used=r.used,
                expected=r.expected,
            )
        )
    if not b.n:
        lines.append("O: " + _("blood pressure %(period)s: no readings", period=_period(d)))
    else:
        st_s, st_d = b.stats["systolic"], b.stats["diastolic"]
        parts = [
            _(
                "blood pressure %(period)s: %(readings)s, mean %(value)s mmHg",
                period=_period(d),
                readings=_readings(b.n),
                value=cw.pressure(st_s.mean, st_d.mean),
            )
        ]
        if b.alarms.total:
            limit = cw.pressure(*clinical.thresholds.BP_ALARM)
            parts.append(
                _(
                    "%(num)dx ≥%(limit)s %(dates)s",
                    num=b.alarms.total,
                    limit=limit,
                    dates=_dates(b.alarms),
                )
            )
        lines.append("O: " + "; ".join(parts))
    if b.target is not None:
        lines.append(
            "O: "
            + _(
                "target <%(target)s mmHg (%(source)s)",
                target=cw.bp_target(b.target),
                source=cw.target_source(b.target, for_patient=False),
            )
        )
    return lines


def _glucose(b: Block, d: Dossier) -> list[str]:
    lines = [_("S: home blood sugar measurement")]
    if not b.n:
        lines.append("O: " + _("blood sugar %(period)s: no readings", period=_period(d)))
        return lines
    parts = [
        _(
            "blood sugar %(period)s: %(readings)s, mean %(value)s mmol/L",
            period=_period(d),
            readings=_readings(b.n),
            value=cw.number(b.stats["mmol"].mean, 1),
        )
    ]
    if b.hypos.total:
        parts.append(
            _(
                "%(num)dx hypo <%(limit)s %(dates)s",
                num=b.hypos.total,
                limit=cw.number(clinical.thresholds.GLUCOSE_HYPO, 1),
                dates=_dates(b.hypos),
            )
        )
    if b.alarms.total:
        parts.append(
            _(
                "%(num)dx >%(limit)s %(dates)s",
                num=b.alarms.total,
                limit=cw.number(clinical.thresholds.GLUCOSE_VERY_HIGH),
                dates=_dates(b.alarms),
            )
        )
    lines.append("O: " + "; ".join(parts))
    fasting = b.by_moment.get("fasting")
    if fasting is not None:
        lines.append(
            "O: "
            + _(
                "fasting mean %(value)s mmol/L (%(readings)s)",
                value=cw.number(fasting.mean, 1),
                readings=_readings(fasting.n),
            )
        )
    return lines


def _weight(b: Block, d: Dossier) -> list[str]:
    lines = [_("S: weighs at home")]
    if not b.n or b.latest is None or b.latest_at is None:
        lines.append("O: " + _("weight %(period)s: no readings", period=_period(d)))
        return lines
    parts = [
        _(
            "weight %(kg)s kg (%(day)s)",
            kg=cw.number(b.latest[0], 1),
            day=_day(datetime.fromtimestamp(b.latest_at, UTC).astimezone(LOCAL).date()),
        )
    ]
    if b.bmi is not None:
        parts.append(_("BMI %(bmi)s", bmi=cw.number(b.bmi, 1)))
    ends = b.daily.first_last("kg") if b.daily is not None else None
    if ends is not None and b.daily is not None and len(b.daily.days) > 1:
        change = ends[1] - ends[0]
        sign = "−" if change < 0 else "+"
        parts.append(
            _(
                "change %(kg)s kg from %(start)s to %(end)s",
                kg=f"{sign}{cw.number(round(abs(change), 1), 1)}",
                start=_day(_local(d.window_start)),
                end=_day(_local(d.window_end)),
            )
        )
    parts.append(_readings(b.n))
    lines.append("O: " + "; ".join(parts))
    return lines


def _goals(d: Dossier) -> list[str]:

    return [
        "P: " + _("goal: %(text)s (%(progress)s)", text=g.text, progress=labels.goal_progress(g))
        for g in d.goals
    ]


def journal_text(d: Dossier) -> str:
    """The S/O lines for the HIS journal, from what this dossier shows (nothing else)."""
    lines: list[str] = []
    build = {"blood_pressure": _blood_pressure, "glucose": _glucose, "weight": _weight}
    for block in d.blocks:
        if block.category in d.categories and block.category in build:
            lines.extend(build[block.category](block, d))
    if "goals" in d.categories:
        lines.extend(_goals(d))
    if not lines:
        return ""
    lines.append(_("(Home readings from the patient's health record PGD.)"))
    return "\n".join(lines)
