"""Human labels for stored codes, translated at render time."""

from __future__ import annotations

from flask_babel import gettext as _


def profession_label(code: str) -> str:
    labels = {
        "poh": _("practice support worker (POH)"),
        "huisarts": _("GP"),
        "praktijkverpleegkundige": _("practice nurse"),
        "dietist": _("dietitian"),
        "verpleegkundige": _("nurse"),
    }
    return labels.get(code, code)


def profession_short(code: str) -> str:
    """The short form after a name: "A. de Vries (POH)"."""
    labels = {
        "poh": _("POH"),
        "huisarts": _("GP"),
        "praktijkverpleegkundige": _("practice nurse"),
        "dietist": _("dietitian"),
        "verpleegkundige": _("nurse"),
    }
    return labels.get(code, code)


def signed(mark: str) -> str:
    """A care provider's mark as stored with what they wrote ("A. de Vries|poh") in the
    reader's language: "A. de Vries (POH)"."""
    name, _sep, profession = mark.partition("|")
    return f"{name} ({profession_short(profession)})" if profession else name
