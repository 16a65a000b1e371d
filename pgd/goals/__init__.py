"""Goals, actions, check-ins and consult questions (issue 4)."""

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

bp = Blueprint("goals", __name__)


@bp.record_once
def _weight_goal_hook(state: BlueprintSetupState) -> None:
    """The weight chart asks this hook for the goal line (pgd/measurements/chart_routes.py)."""
    from pgd.goals.services import weight_goal_line

    state.app.extensions["pgd.weight_goal"] = weight_goal_line


from pgd.goals import routes  # noqa: E402,F401  (registers views on bp)
