"""Human labels for stored codes, translated at render time."""

from __future__ import annotations

from typing import Any

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


def short_name(name: str) -> str:
    """Initial and surname ("A. de Vries"), as in a practice's letters."""
    parts = name.split()
    if len(parts) < 2:
        return name
    return f"{parts[0][0]}. {' '.join(parts[1:])}"


def mark_of(clinician_id: Any) -> str:
    """What is stored with a care provider's write ("A. de Vries|poh"): the short name and
    the profession code; `signed()` reads it back in the reader's language. The caller
    has been allowed the write (or the patient shared with this clinician)."""
    from pgd.accounts import services  # services imports this module

    details = services.clinician_details(clinician_id)
    name = short_name(services.profile_of(clinician_id).name)
    return f"{name}|{details.profession if details else ''}"
