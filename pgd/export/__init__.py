"""The complete export of a patient's own data (GDPR articles 15 and 20, issue 12)."""

from flask import Blueprint

bp = Blueprint("export", __name__)

from pgd.export import routes  # noqa: E402, F401 - registers the views on bp
