"""Reports that leave the app: the one-page consult report (PDF) for the clinician's
dossier and the patient's own "My overview for the GP"."""

from flask import Blueprint

bp = Blueprint("reports", __name__)

from pgd.reports import routes  # noqa: E402,F401  (views on bp)
