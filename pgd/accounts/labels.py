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
