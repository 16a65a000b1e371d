"""Blood pressure, weight and glucose: entry, charts, CSV and statistics."""

from flask import Blueprint

bp = Blueprint("measurements", __name__)

from pgd.measurements import chart_routes, import_routes, routes, week_routes  # noqa: E402,F401  (registers views on bp)
