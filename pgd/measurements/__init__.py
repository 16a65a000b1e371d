"""Blood pressure, weight and glucose: entry, charts, CSV and statistics (issue 3)."""

from flask import Blueprint

bp = Blueprint("measurements", __name__)
