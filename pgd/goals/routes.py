"""Goal pages for the patient: parse → service → render. Anything not yours is 404."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from pgd import policy
from pgd.accounts.current import me
from pgd.goals import bp, examples, proposals, questions, services, validation
from pgd.goals.forms import ActionForm, ButtonForm, CheckInForm, GoalForm, QuestionForm
from pgd.goals.progress import local_day
from pgd.measurements import targets
from pgd.measurements.validation import Invalid, format_number


def _today() -> date:
    return local_day(datetime.now(UTC))


def _flash_errors(error: Invalid) -> None:
    for message in error.errors.values():
        flash(message, "error")


def _back(goal_id: uuid.UUID) -> ResponseReturnValue:
    """Back to where the button was: the overview or the goal's own page."""
    if request.form.get("back") == "goal":
        return redirect(url_for("goals.detail", goal_id=goal_id))
    return redirect(url_for("goals.index") + f"#goal-{goal_id}")


def _goal(goal_id: uuid.UUID) -> services.GoalSummary:
    try:
        return services.goal(*me(), goal_id)
    except services.NotFound:
        abort(404)


@bp.get("/goals")
@policy.patient
def index() -> ResponseReturnValue:
    who = me()
    current, history = services.goals_page(*who)
    return render_template(
        "goals/index.html",
        goals=current,
        history=history,
        questions=services.consult_questions(*who),
        proposals=[p for p in proposals.proposals(*who) if p.state == "proposed"],
        examples=examples.EXAMPLES,
        button=ButtonForm(),
        today=_today(),
    )


@bp.route("/goals/new", methods=["GET", "POST"])
@policy.patient
def new() -> ResponseReturnValue:
    chosen = request.args.get("example", "")
    prefill = None
    if request.method == "GET" and chosen:
        # The blood pressure example aims at this patient's target (135, or 150 from 70).
        systolic = targets.resolve(*me()).blood_pressure.systolic
        prefill = examples.example(chosen, _today(), bp_systolic=systolic)
    form = GoalForm(data=prefill) if prefill else GoalForm()
    if form.validate_on_submit():
        try:
            data = form.parse(_today())
            steps = form.steps()
        except Invalid as exc:
            form.attach(exc)
        else:
            goal_id = services.create_goal(*me(), data, steps)
            flash(_("Your goal has been saved."), "success")
            return redirect(url_for("goals.detail", goal_id=goal_id))
    return render_template(
        "goals/form.html", form=form, editing=None, examples=examples.EXAMPLES, chosen=chosen
    )


def _form_data(goal: services.GoalSummary) -> dict[str, str]:
    g = goal.data
    number = "" if g.target is None else format_number(g.target)
    return {
        "text": g.text,
        "why": g.why,
        "kind": g.kind.value,
        "metric": g.metric or "weight",
        "direction": g.direction,
        "target": number,
        "mode": g.mode.value,
        "per_week": "" if g.per_week is None else str(g.per_week),
        "unit": g.unit,
        "start": g.start.strftime("%d-%m-%Y"),
        "until": g.until.strftime("%d-%m-%Y") if g.until else "",
    }


@bp.route("/goals/<uuid:goal_id>/edit", methods=["GET", "POST"])
@policy.patient
def edit(goal_id: uuid.UUID) -> ResponseReturnValue:
    goal = _goal(goal_id)
    form = GoalForm(data=_form_data(goal))
    if form.validate_on_submit():
        try:
            services.update_goal(*me(), goal_id, form.parse(_today()))
        except Invalid as exc:
            form.attach(exc)
        else:
            flash(_("Your goal has been changed."), "success")
            return redirect(url_for("goals.detail", goal_id=goal_id))
    return render_template("goals/form.html", form=form, editing=goal, examples={}, chosen="")


RECENT_WEEKS = 8


def _detail_page(
    goal_id: uuid.UUID, checkin: CheckInForm | None = None, checkin_for: str = ""
) -> str:
    """The goal's page; after a refused check-in with that form's errors next to its
    fields, what was typed kept, and "another day" left open when that was the form."""
    goal = _goal(goal_id)
    today = _today()
    # Recent: the last 14 check-ins of the last 8 weeks (not the whole history again).
    since = today - timedelta(weeks=RECENT_WEEKS)
    days = services.checkins(*me(), goal_id, since) if goal.kind == "activity" else {}
    recent = sorted(days.items(), reverse=True)[:14]
    return render_template(
        "goals/detail.html",
        goal=goal,
        recent=recent,
        today=today,
        yesterday=today - timedelta(days=1),
        checkin=checkin or CheckInForm(),
        checkin_for=checkin_for,
        action_form=ActionForm(),
        button=ButtonForm(),
    )


@bp.get("/goals/<uuid:goal_id>")
@policy.patient
def detail(goal_id: uuid.UUID) -> ResponseReturnValue:
    return _detail_page(goal_id)


@bp.post("/goals/<uuid:goal_id>/check-in")
@policy.patient
def check_in(goal_id: uuid.UUID) -> ResponseReturnValue:
    form = CheckInForm()
    other_day = request.form.get("which") == "other"  # the "another day" form asks a date
    try:
        day = validation.check_in_day(form.day.data, _today(), required=other_day)
        services.check_in(*me(), goal_id, day, form.count.data)
    except services.NotFound:
        abort(404)
    except Invalid as exc:
        if request.form.get("back") != "goal":
            _flash_errors(exc)  # the overview: one line per goal, no room next to it
            return _back(goal_id)
        form.attach(exc)
        return _detail_page(goal_id, form, "other" if other_day else "today")
    if day == _today():
        flash(_("Well done! Checked in for today."), "success")
    else:
        flash(_("Checked in for %(day)s.", day=day.strftime("%d-%m-%Y")), "success")
    if request.form.get("back") == "goal":
        # The form was sent to its own place on the page (#checkin...); the message is
        # at the top: show the page from there.
        return redirect(url_for("goals.detail", goal_id=goal_id) + "#main")
    return _back(goal_id)


@bp.post("/goals/<uuid:goal_id>/check-in/<day>/undo")
@policy.patient
def undo_check_in(goal_id: uuid.UUID, day: str) -> ResponseReturnValue:
    try:
        services.undo_check_in(*me(), goal_id, date.fromisoformat(day))
    except (services.NotFound, ValueError):
        abort(404)
    flash(_("The check-in has been removed."), "success")
    return _back(goal_id)


STATE_MESSAGES = {
    "pause": _l("Your goal is paused. You can pick it up again at any time."),
    "resume": _l("Your goal is active again."),
    "achieved": _l("Congratulations! Your goal is marked as achieved."),
    "stopped": _l("Your goal has been stopped. You find it under earlier goals."),
}


@bp.post("/goals/<uuid:goal_id>/state/<change>")
@policy.patient
def change_state(goal_id: uuid.UUID, change: str) -> ResponseReturnValue:
    try:
        services.set_state(*me(), goal_id, change)
    except services.NotFound:
        abort(404)
    except Invalid as exc:
        _flash_errors(exc)
    else:
        flash(str(STATE_MESSAGES[change]), "success")
    return redirect(url_for("goals.detail", goal_id=goal_id))


@bp.post("/goals/proposals/<uuid:goal_id>/<answer>")
@policy.patient
def answer_proposal(goal_id: uuid.UUID, answer: str) -> ResponseReturnValue:
    """Accept a goal the practice proposed (it becomes your goal from today) or decline it."""
    if answer not in ("accept", "decline"):
        abort(404)
    try:
        proposals.answer(*me(), goal_id, accept=answer == "accept", today=_today())
    except services.NotFound:
        abort(404)
    except Invalid as exc:
        _flash_errors(exc)
    else:
        if answer == "accept":
            flash(_("This is now one of your goals."), "success")
            return redirect(url_for("goals.index") + f"#goal-{goal_id}")
        flash(_("You declined the proposal. Your care provider sees this."), "success")
    return redirect(url_for("goals.index"))


@bp.post("/goals/<uuid:goal_id>/actions")
@policy.patient
def add_action(goal_id: uuid.UUID) -> ResponseReturnValue:
    form = ActionForm()
    try:
        services.add_action(*me(), goal_id, validation.action_text(form.text.data))
    except services.NotFound:
        abort(404)
    except Invalid as exc:
        _flash_errors(exc)
    return redirect(url_for("goals.detail", goal_id=goal_id) + "#steps")


@bp.post("/goals/<uuid:goal_id>/actions/<action_id>/<what>")
@policy.patient
def change_action(goal_id: uuid.UUID, action_id: str, what: str) -> ResponseReturnValue:
    if what not in ("done", "undone", "delete"):
        abort(404)
    try:
        if what == "delete":
            services.remove_action(*me(), goal_id, action_id)
        else:
            services.toggle_action(*me(), goal_id, action_id, done=what == "done")
    except services.NotFound:
        abort(404)
    return redirect(url_for("goals.detail", goal_id=goal_id) + "#steps")


@bp.route("/goals/questions", methods=["GET", "POST"])
@policy.patient
def consult() -> ResponseReturnValue:
    who = me()
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            questions.add_question(*who, validation.question(form.text.data))
        except Invalid as exc:
            form.attach(exc)
        else:
            flash(_("Your question has been added."), "success")
            return redirect(url_for("goals.consult"))
    return render_template(
        "goals/questions.html",
        form=form,
        questions=services.consult_questions(*who, include_discussed=True),
        button=ButtonForm(),
    )


@bp.post("/goals/questions/<uuid:question_id>/<what>")
@policy.patient
def change_question(question_id: uuid.UUID, what: str) -> ResponseReturnValue:
    if what not in ("discussed", "open", "delete"):
        abort(404)
    try:
        if what == "delete":
            questions.remove_question(*me(), question_id)
            flash(_("The question has been deleted."), "success")
        else:
            questions.set_discussed(*me(), question_id, discussed=what == "discussed")
    except questions.NotFound:
        abort(404)
    return redirect(url_for("goals.consult"))
