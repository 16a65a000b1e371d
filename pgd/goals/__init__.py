"""Goals, actions, check-ins and consult questions (issue 4)."""

from flask import Blueprint

bp = Blueprint("goals", __name__)
