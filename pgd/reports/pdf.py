"""The pre-consult summary as one A4 page (ReportLab): what a practice nurse prints or
attaches before a consult, and what a patient takes to the GP.

The words are the screen's (pgd.sharing.labels, flask_babel): call render() inside a
request (or test_request_context) in the reader's language. The page always fits: lists
are capped ("and 4 more"), charts shrink, and a last shrink-to-fit keeps it on one page.
Fonts are ReportLab's built-in Helvetica (WinAnsi: ë, é, ü and € print; characters
outside it are replaced by their nearest WinAnsi form).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from xml.sax.saxutils import escape

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from pgd import clinical
from pgd.clinical import week_words
from pgd.reports.charts import trend_chart
from pgd.sharing import labels
from pgd.sharing.consent_words import last_day
from pgd.sharing.summary import Block
from pgd.sharing.summary_lists import LOCAL, Listed

MARGIN = 14 * mm
WIDTH, HEIGHT = A4
PADDING = 6  # platypus' frame padding on each side
FRAME_W = WIDTH - 2 * MARGIN - 2 * PADDING  # the footer line sits in the bottom margin
FRAME_H = HEIGHT - 2 * MARGIN - 2 * PADDING
COLUMNS = (0.37, 0.33, 0.30)  # figures, attention, chart (of the frame width)


@dataclass(frozen=True)
class ShareTerms:
    """What the share allows (the clinician's version prints it)."""

    categories: tuple[str, ...]
    until: datetime
    data_from: datetime | None


@dataclass
class ReportData:
    """Everything the page prints, as plain data (from a Dossier or the patient's own)."""

    name: str
    birth_date: date | None
    age: int | None
    start: datetime  # the window [start, end)
    end: datetime
    categories: tuple[str, ...]
    blocks: list[Block] = field(default_factory=list)
    goals: list[Any] = field(default_factory=list)  # pgd.goals.services.GoalSummary
    questions: list[Any] = field(default_factory=list)  # pgd.goals.questions.Question
    terms: ShareTerms | None = None  # None: the patient's own report
    for_patient: bool = False


def from_dossier(d: Any) -> ReportData:
    """The clinician's report from pgd.sharing.dossier.Dossier (same blocks as the page)."""
    return ReportData(
        d.name,
        d.birth_date,
        d.age,
        d.window_start,
        d.window_end,
        d.categories,
        d.blocks,
        d.goals,
        d.questions,
        ShareTerms(d.categories, d.grant.expires_at, d.grant.data_from),
    )


@dataclass(frozen=True)
class Fit:
    """How much goes on the page; the next Fit down is tried when the page overflows."""

    chart_h: float = 80
    events: int = 3  # dated readings under a flag
    goals: int = 6
    questions: int = 6
    text_chars: int = 220  # a goal or question longer than this is cut


FITS = (
    Fit(chart_h=130),  # room to spare (the usual case): charts that are easy to read
    Fit(),
    Fit(chart_h=44, events=2, goals=4, questions=4, text_chars=140),
    Fit(30, 1, 3, 3, 90),
)

# Typographic characters the words use that WinAnsi (Helvetica's encoding) lacks.
_WINANSI = str.maketrans({"−": "-", "≥": ">=", "≤": "<=", "→": "->", "\u2009": " ", "\u202f": " "})


def plain(value: object) -> str:
    """Every character printable in WinAnsi (unknown ones become "?")."""
    return str(value).translate(_WINANSI).encode("cp1252", "replace").decode("cp1252")


def text(value: object) -> str:
    """Text for a Paragraph (which reads a little markup): printable and escaped."""
    return escape(plain(value))


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName="Helvetica", fontSize=7.6, leading=9.2)
    return {
        "base": base,
        "title": replace_style(base, fontName="Helvetica-Bold", fontSize=13, leading=16),
        "name": replace_style(base, fontName="Helvetica-Bold", fontSize=10.5, leading=13),
        "head": replace_style(base, fontName="Helvetica-Bold", fontSize=8.6, leading=11),
        "muted": replace_style(base, textColor=colors.HexColor("#52606d"), fontSize=6.6, leading=8),
    }


def replace_style(style: ParagraphStyle, **kw: Any) -> ParagraphStyle:
    out = ParagraphStyle(style.name + "+", parent=style)
    for key, value in kw.items():
        setattr(out, key, value)
    return out


def _day(moment: datetime | date) -> str:
    return format_date(moment, "d MMMM y")


def _period_days(data: ReportData) -> tuple[date, date]:
    first = data.start.astimezone(LOCAL).date()
    last = (data.end - timedelta(microseconds=1)).astimezone(LOCAL).date()
    return first, last


def _header(data: ReportData, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    title = _("My overview for the GP") if data.for_patient else _("Summary for the consult")
    who = text(data.name)
    if data.birth_date:
        born = _("born %(day)s", day=_day(data.birth_date))
        if data.age is not None:
            born += f" ({labels.age(data.age)})"
        who += " · " + text(born)
    first, last = _period_days(data)
    period = _(
        "Period: %(start)s to %(end)s, compared with the same length of time before.",
        start=_day(first),
        end=_day(last),
    )
    out: list[Flowable] = [
        Paragraph(text(title), st["title"]),
        Paragraph(who, st["name"]),
        Paragraph(text(period), st["base"]),
    ]
    if data.terms is not None:
        terms = _(
            "Shared with you: %(what)s, until %(day)s.",
            what=labels.categories(data.terms.categories),
            day=last_day(data.terms.until),
        )
        if data.terms.data_from:
            terms += " " + _("Measurements from %(day)s on.", day=_day(data.terms.data_from))
        out.append(Paragraph(text(terms), st["base"]))
    out.append(Spacer(1, 4))
    return out


def _listed(block: Block, items: Listed, fit: Fit) -> list[str]:
    shown = items.events[: fit.events]
    lines = [
        f"{labels.when(ev.at)} {labels.event_moment(ev)} {labels.event_value(block.category, ev)}"
        + (" · " + _("night hypo") if ev.night else "")
        for ev in shown
    ]
    if items.total > len(shown):
        lines.append(labels.more(items.total - len(shown)))
    return lines


def _figures(b: Block, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    p = [Paragraph(text(labels.category(b.category).capitalize()), st["head"])]
    if not b.n:
        p.append(Paragraph(text(_("No readings in this period.")), st["base"]))
        return p
    lines = [
        f"<b>{text(_('Readings'))}:</b> {b.n} {text(labels.adherence(b))}",
        f"<b>{text(_('Latest'))}:</b> {text(labels.value(b.category, b.latest))} "
        f"({text(labels.epoch_day(b.latest_at))})",
    ]
    for name, stat in b.stats.items():
        what = labels.stat_name(name) if len(b.stats) > 1 else _("Mean")
        lines.append(
            f"<b>{text(what)}:</b> {text(labels.number(b.category, stat.mean))} "
            f"({text(labels.number(b.category, stat.minimum))}–"
            f"{text(labels.number(b.category, stat.maximum))})"
        )
    extra = [labels.pulse(b), labels.bmi(b), *labels.by_moment(b), *labels.trend_lines(b)]
    lines += [text(x) for x in extra if x]
    if b.within_target_pct is not None:
        lines.append(
            f"<b>{text(_('Within target'))}:</b> {b.within_target_pct:.0f}% "
            f"({text(labels.target_words(b))})"
        )
    p += [Paragraph(line, st["base"]) for line in lines]
    return p


def _attention(b: Block, st: dict[str, ParagraphStyle], fit: Fit) -> list[Flowable]:
    out: list[Flowable] = [Paragraph(text(_("Attention")), st["head"])]
    for code, amount in b.flags:
        out.append(Paragraph("• " + text(labels.flag(code, amount, b)), st["base"]))
        items = None
        if code == "glucose_low":
            if b.hypos_at_night:
                out.append(Paragraph(text(labels.night_hypos(b.hypos_at_night)), st["base"]))
            items = b.hypos
        elif code in ("bp_very_high", "glucose_very_high"):
            items = b.alarms
        for line in _listed(b, items, fit) if items else []:
            out.append(Paragraph("&nbsp;&nbsp;" + text(line), st["muted"]))
    if not b.flags:
        out.append(Paragraph("—", st["base"]))
    for code, amount in b.notes:
        out.append(Paragraph(text(labels.flag(code, amount, b)), st["muted"]))
    if b.goal:
        out.append(Paragraph(text(labels.weight_goal(b)), st["muted"]))
    if b.target_change:
        out.append(Paragraph(text(labels.target_change(b.target_change)), st["muted"]))
    return out


def _chart(b: Block, data: ReportData, width: float, height: float) -> Flowable:
    first, last = _period_days(data)
    band: tuple[float, float] | None = None
    lines: Sequence[float] = ()
    names: tuple[str, ...] = ("mmol",)
    if b.category == "blood_pressure":
        names = ("systolic", "diastolic")
        lines = b.target.pair if b.target is not None else ()
    elif b.category == "weight":
        names = ("kg",)
        if b.bmi is not None and b.latest:
            # The weights with a healthy BMI (18.5 to under 25, NHG M95) for this height.
            height_m2 = b.latest[0] / b.bmi
            band = (
                clinical.thresholds.BMI_UNDERWEIGHT * height_m2,
                clinical.thresholds.BMI_OVERWEIGHT * height_m2,
            )
    else:
        general = clinical.glucose_range("other")  # 4-10 mmol/L at any moment (NHG M01)
        band = (general.low, general.high)
    return trend_chart(
        b.daily,
        names,
        width,
        height,
        band=band,
        target_lines=lines,
        first_label=format_date(first, "d MMM y"),
        last_label=format_date(last, "d MMM y"),
        number=lambda v: labels.number(b.category, v),
    )


def _block_table(b: Block, data: ReportData, st: dict[str, ParagraphStyle], fit: Fit) -> Table:
    widths = [FRAME_W * c for c in COLUMNS]
    chart: Flowable | str = (
        _chart(b, data, widths[2] - 6, fit.chart_h) if b.n and b.daily is not None else ""
    )
    table = Table([[_figures(b, st), _attention(b, st, fit), chart]], colWidths=widths)
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.5, colors.HexColor("#9aa5b1")),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _week(data: ReportData, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    found = next((b.week for b in data.blocks if b.category == "blood_pressure" and b.week), None)
    if found is None or found.week.start_day is None or found.week.end_day is None:
        return []
    title = _(
        "Measuring week %(first)s to %(last)s",
        first=format_date(found.week.start_day, "d MMMM"),
        last=format_date(found.week.end_day, "d MMMM y"),
    )
    line = week_words.result_line(found.result, found.target)
    if not found.finished:
        line += " " + _("(still running)")
    missing = week_words.missing_line(found.result)
    out: list[Flowable] = [
        Spacer(1, 3),
        Paragraph(f"<b>{text(title)}</b>: {text(line)}", st["base"]),
    ]
    if missing:
        out.append(Paragraph(text(missing), st["muted"]))
    return out


def _capped(items: Sequence[str], cap: int, chars: int, st: ParagraphStyle) -> list[Flowable]:
    def cut(s: str) -> str:
        return s if len(s) <= chars else s[: chars - 1].rstrip() + "…"

    out: list[Flowable] = [Paragraph("• " + text(cut(s)), st) for s in items[:cap]]
    if len(items) > cap:
        out.append(Paragraph(text(labels.more(len(items) - cap)), st))
    return out


def _goals(data: ReportData, st: dict[str, ParagraphStyle], fit: Fit) -> list[Flowable]:
    if "goals" not in data.categories:
        return []
    goals = [f"{g.text} — {labels.goal_progress(g)}" for g in data.goals]
    open_ = [q.text for q in data.questions if not q.discussed]
    left: list[Flowable] = [Paragraph(text(_("Goals")), st["head"])]
    left += _capped(goals, fit.goals, fit.text_chars, st["base"]) or [
        Paragraph(text(_("No active goals.")), st["base"])
    ]
    right: list[Flowable] = [Paragraph(text(_("Questions for the consult")), st["head"])]
    right += _capped(open_, fit.questions, fit.text_chars, st["base"]) or [
        Paragraph(text(_("No questions written down.")), st["base"])
    ]
    table = Table([[left, right]], colWidths=[FRAME_W / 2, FRAME_W / 2])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEABOVE", (0, 0), (-1, 0), 0.5, colors.HexColor("#9aa5b1")),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return [Spacer(1, 4), table]


def _story(data: ReportData, fit: Fit) -> list[Flowable]:
    st = _styles()
    story = _header(data, st)
    story += [_block_table(b, data, st, fit) for b in data.blocks]
    if not data.blocks:
        story.append(Paragraph(text(_("No measurements in this report.")), st["base"]))
    story += _week(data, st)
    story += _goals(data, st, fit)
    story.append(Spacer(1, 4))
    story.append(
        Paragraph(
            text(
                _(
                    "Times are Dutch local time. Moment of the day: night 0–6 h, morning 6–12 h, "
                    "afternoon 12–18 h, evening 18–24 h; blood sugar: the moment the patient "
                    "chose, if any."
                )
            ),
            st["muted"],
        )
    )
    return story


def _height(story: list[Flowable]) -> float:
    return sum(f.wrap(FRAME_W, FRAME_H)[1] + f.getSpaceBefore() + f.getSpaceAfter() for f in story)


def render(data: ReportData, printed_at: datetime | None = None) -> bytes:
    """The PDF (bytes) of one A4 page."""
    story: list[Flowable] = []
    for fit in FITS:
        story = _story(data, fit)
        if _height(story) <= FRAME_H:
            break
    printed = format_datetime(printed_at or datetime.now(UTC), "d MMMM y HH:mm")
    footer = plain(
        _("Printed on %(day)s", day=printed)
        + " · "
        + _("Page %(page)d of %(pages)d", page=1, pages=1)
    )

    def on_page(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#52606d"))
        canvas.drawString(MARGIN, MARGIN - 8, footer)
        canvas.restoreState()

    out = io.BytesIO()
    title = _("My overview for the GP") if data.for_patient else _("Summary for the consult")
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=f"{title} — {data.name}",
        author="PGD",
        creator="PGD",
    )
    # Whatever is still too long is scaled down to the page: one page, always.
    doc.build([KeepInFrame(FRAME_W, FRAME_H, story, mode="shrink")], onFirstPage=on_page)
    if doc.page != 1:  # pragma: no cover - KeepInFrame(shrink) cannot spill over
        raise RuntimeError("the report ran over one page")
    return out.getvalue()
