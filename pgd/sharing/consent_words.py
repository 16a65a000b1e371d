"""A consent change and its plain words: what the terms of a share were and became, the
question a patient answers before sharing more or longer, and the line on the overview
("Changed on 3 March: blood sugar added; extended until 31 May 2027")."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from pgd.accounts.labels import profession_label
from pgd.measurements.validation import LOCAL
from pgd.sharing import labels
from pgd.sharing.policy import SHAREABLE


@dataclass(frozen=True)
class TermsChange:
    """The terms of one grant before and after a change by the patient (UTC moments)."""

    at: datetime
    before: tuple[str, ...]
    after: tuple[str, ...]
    expires_before: datetime
    expires_after: datetime

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(c for c in self.after if c not in self.before)

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(c for c in self.before if c not in self.after)

    @property
    def longer(self) -> bool:
        return self.expires_after > self.expires_before

    @property
    def shorter(self) -> bool:
        return self.expires_after < self.expires_before

    @property
    def widens(self) -> bool:
        """Shares more or longer: a new consent the patient confirms first."""
        return bool(self.added) or self.longer

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.longer or self.shorter)


def ordered(codes: Iterable[str]) -> tuple[str, ...]:
    """Categories in the one canonical order (a comma list from the database, a set)."""
    chosen = set(codes)
    return tuple(c for c in SHAREABLE if c in chosen)


def last_local_day(moment: datetime) -> date:
    """The last local day a share works: one that ends at 00:00 on 1 March works
    "until 28 February" (inclusive), as the `last_day` template filter shows it."""
    return (moment - timedelta(microseconds=1)).astimezone(LOCAL).date()


def last_day(moment: datetime) -> str:
    return format_date(last_local_day(moment), "long")


def _parts(change: TermsChange) -> list[str]:
    parts = []
    if change.added:
        parts.append(_("%(what)s added", what=labels.categories(change.added)))
    if change.removed:
        parts.append(_("%(what)s removed", what=labels.categories(change.removed)))
    if change.longer:
        parts.append(_("extended until %(day)s", day=last_day(change.expires_after)))
    elif change.shorter:
        parts.append(_("shortened until %(day)s", day=last_day(change.expires_after)))
    return parts


def change_sentence(change: TermsChange) -> str:
    """One line of a grant's history on the patient's sharing overview."""
    return _(
        "Changed on %(day)s: %(changes)s.",
        day=format_date(change.at, "long"),
        changes="; ".join(_parts(change)),
    )


def confirm_lines(change: TermsChange, name: str, data_from: datetime | None) -> list[str]:
    """What sharing more or longer means, in plain words, before the patient confirms."""
    lines = []
    if change.added:
        what = labels.categories(change.added)
        if data_from is None:
            lines.append(
                _(
                    "%(name)s will also see your %(what)s: everything you entered, "
                    "also from before today.",
                    name=name,
                    what=what,
                )
            )
        else:
            lines.append(
                _(
                    "%(name)s will also see your %(what)s, from %(day)s on.",
                    name=name,
                    what=what,
                    day=format_date(data_from, "long"),
                )
            )
    if change.removed:
        lines.append(
            _(
                "%(name)s will no longer see your %(what)s.",
                name=name,
                what=labels.categories(change.removed),
            )
        )
    if change.longer or change.shorter:
        text = (
            _("Sharing lasts longer: until %(day)s (now until %(before)s).")
            if change.longer
            else _("Sharing ends sooner: until %(day)s (now until %(before)s).")
        )
        lines.append(
            text
            % {"day": last_day(change.expires_after), "before": last_day(change.expires_before)}
        )
    return lines


def history_sentence(event: Any) -> str:
    """One line of the consent history on "who looked" (services.ConsentEvent), e.g.
    "You shared your blood pressure and weight with Anna de Vries, practice support worker
    (POH), until 3 March 2027 — 12 November 2026"."""
    # The full name, as the sharing overview and its questions name the care provider.
    who = f"{event.clinician.name}, {profession_label(event.clinician.profession)}"
    day = format_date(event.at, "long")
    if event.kind == "created":
        what = labels.categories(event.categories)
        until = last_day(event.until)
        if event.data_from is None:
            text = _(
                "You shared your %(what)s with %(who)s, until %(until)s",
                what=what,
                who=who,
                until=until,
            )
        else:
            text = _(
                "You shared your %(what)s from %(from)s on with %(who)s, until %(until)s",
                what=what,
                who=who,
                until=until,
                **{"from": format_date(event.data_from, "long")},
            )
    elif event.kind == "changed":
        text = _(
            "You changed sharing with %(who)s: %(changes)s",
            who=who,
            changes="; ".join(_parts(event.change)),
        )
    elif event.kind == "expired":
        day = last_day(event.until)  # the last day it worked, as the overview shows it
        text = _("Sharing with %(who)s ended: the end date you chose was reached", who=who)
    elif event.by == "patient":
        text = _("You stopped sharing with %(who)s", who=who)
    elif event.by == "disabled":
        text = _(
            "Sharing with %(who)s was stopped because this care provider's account was "
            "switched off",
            who=who,
        )
    else:
        text = _("Sharing with %(who)s was stopped", who=who)
    return f"{text} — {day}"
