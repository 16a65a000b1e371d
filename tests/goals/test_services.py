"""The goals service door: overview with progress, consult questions, and the policy."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import NotFound

from pgd.goals import figures, questions, services
from pgd.goals import progress as pg
from pgd.goals.data import GoalData, GoalKind, Mode
from pgd.measurements import services as measurements
from pgd.measurements.validation import Invalid
from pgd.measurements.values import Weight

NOW = datetime(2026, 5, 20, 10, 0, tzinfo=UTC)  # a Wednesday


def _weight_goal(start: date, target: float = 85.0, until: date | None = None) -> GoalData:
    return GoalData(
        kind=GoalKind.MEASUREMENT,
        text="Afvallen",
        why="Fitter worden",
        start=start,
        until=until,
        metric="weight",
        direction="down",
        target=target,
    )


def _walk_goal(start: date) -> GoalData:
    return GoalData(
        kind=GoalKind.ACTIVITY,
        text="30 minuten wandelen",
        why="Mijn knie",
        start=start,
        mode=Mode.DONE,
        per_week=5,
    )


def test_overview_has_measurement_and_activity_progress(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        assert services.goals_overview(*who, now=NOW) == []
        measurements.add(*who, Weight(90.0), NOW - timedelta(days=40))
        measurements.add(*who, Weight(87.5), NOW - timedelta(days=1))
        w = services.create_goal(
            *who,
            _weight_goal(date(2026, 4, 10), 85.0, date(2026, 6, 1)),
            ["Weegschaal kopen"],
            now=NOW,
        )
        a = services.create_goal(*who, _walk_goal(date(2026, 5, 1)), now=NOW)
        services.check_in(*who, a, date(2026, 5, 18), now=NOW)  # Monday
        services.check_in(*who, a, date(2026, 5, 19), now=NOW)
        services.check_in(*who, a, date(2026, 5, 20), now=NOW)
        overview = {s.id: s for s in services.goals_overview(*who, now=NOW)}
    weight = overview[w].progress
    assert weight is not None
    assert (weight.start_value, weight.current_value, weight.target) == (90.0, 87.5, 85.0)
    assert weight.share_done == pytest.approx(0.5)
    # 40 of the 52 days are gone, so about 77 % of the way should be done: behind.
    assert weight.status == pg.BEHIND
    assert overview[w].actions[0].text == "Weegschaal kopen"
    walk = overview[a].progress
    assert walk is not None
    assert (walk.week_count, walk.week_target, walk.streak, walk.streak_unit) == (3, 5, 0, "weeks")
    assert walk.status == pg.ON_TRACK


def test_paused_goals_show_after_active_and_finished_goals_leave(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        first = services.create_goal(*who, _walk_goal(date(2026, 5, 1)), now=NOW)
        second = services.create_goal(*who, _weight_goal(date(2026, 5, 1)), now=NOW)
        third = services.create_goal(*who, _walk_goal(date(2026, 5, 2)), now=NOW)
        services.set_state(*who, first, "pause", now=NOW)
        services.set_state(*who, third, "achieved", now=NOW)
        overview = services.goals_overview(*who, now=NOW)
        history = services.goals_page(*who, now=NOW)[1]
    assert [(s.id, s.state) for s in overview] == [(second, "active"), (first, "paused")]
    assert [(s.id, s.state) for s in history] == [(third, "achieved")]
    assert [e.event for e in history[0].data.history] == ["created", "achieved"]


def test_consult_questions_open_first_and_discussed_on_request(
    app: Flask, create_patient: Any
) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        assert services.consult_questions(*who) == []
        q1 = questions.add_question(*who, "Mag ik minder metformine?")
        questions.add_question(*who, "Steunkousen")
        questions.set_discussed(*who, q1.id, discussed=True)
        open_only = services.consult_questions(*who)
        everything = services.consult_questions(*who, include_discussed=True)
    assert [q.text for q in open_only] == ["Steunkousen"]
    assert [(q.text, q.discussed) for q in everything] == [
        ("Steunkousen", False),
        ("Mag ik minder metformine?", True),
    ]


def test_another_patient_gets_404(app: Flask, create_patient: Any) -> None:
    owner = create_patient()
    other = create_patient("ander@example.nl", "Piet Ander")
    with app.test_request_context():
        gid = services.create_goal(owner, owner.id, _walk_goal(date(2026, 5, 1)), now=NOW)
        with pytest.raises(NotFound):
            services.goals_overview(other, owner.id)
        with pytest.raises(NotFound):
            services.consult_questions(other, owner.id)
        with pytest.raises(services.NotFound):
            services.goal(other, other.id, gid)


def test_goals_without_the_measurement_category_say_not_shared(
    app: Flask, create_patient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader granted "goals" but not "weight" sees the goal, never the weight."""
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        measurements.add(*who, Weight(90.0), NOW - timedelta(days=3))
        services.create_goal(*who, _weight_goal(date(2026, 5, 1)), now=NOW)
        read_kinds: list[str] = []
        monkeypatch.setattr(
            figures, "allowed", lambda p, pid, category, action: category == "goals"
        )
        monkeypatch.setattr(
            measurements, "series", lambda *a, **k: read_kinds.append("read") or None
        )
        (summary,) = services.goals_overview(*who, now=NOW)
    assert summary.progress is not None
    assert summary.progress.status == pg.NOT_SHARED
    assert summary.progress.current_value is None
    assert summary.progress.start_value is None
    assert read_kinds == []


def test_check_in_refuses_future_double_and_absurd_count(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        walk = services.create_goal(*who, _walk_goal(date(2026, 5, 1)), now=NOW)
        counted = services.create_goal(
            *who,
            GoalData(
                kind=GoalKind.ACTIVITY,
                text="Water drinken",
                why="",
                start=date(2026, 5, 1),
                mode=Mode.COUNT,
                per_week=56,
                unit="glazen",
            ),
            now=NOW,
        )
        services.check_in(*who, walk, date(2026, 5, 20), now=NOW)
        with pytest.raises(Invalid) as twice:
            services.check_in(*who, walk, date(2026, 5, 20), now=NOW)
        with pytest.raises(Invalid) as future:
            services.check_in(*who, walk, date(2026, 5, 21), now=NOW)
        with pytest.raises(Invalid) as before:
            services.check_in(*who, walk, date(2026, 4, 30), now=NOW)
        with pytest.raises(Invalid) as absurd:
            services.check_in(*who, counted, date(2026, 5, 20), "50000", now=NOW)
        assert services.check_in(*who, counted, date(2026, 5, 20), "8", now=NOW) == 8
        days = services.checkins(*who, walk)
        counts = services.checkins(*who, counted)
    assert "al afgevinkt" in twice.value.errors["day"]
    assert "toekomst" in future.value.errors["day"]
    assert "voor de start" in before.value.errors["day"]
    assert "1000" in absurd.value.errors["count"]
    assert days == {date(2026, 5, 20): 1}
    assert counts == {date(2026, 5, 20): 8}


def test_weight_goal_line_is_the_newest_active_weight_target(
    app: Flask, create_patient: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        assert services.weight_goal_line(*who) is None
        services.create_goal(*who, _weight_goal(date(2026, 1, 1), 88.0), now=NOW)
        newest = services.create_goal(
            *who, _weight_goal(date(2026, 2, 1), 84.5), now=NOW + timedelta(minutes=1)
        )
        assert services.weight_goal_line(*who) == 84.5
        services.set_state(*who, newest, "pause", now=NOW)
        assert services.weight_goal_line(*who) == 88.0
        # someone who may not read goals sees no line, and no error
        monkeypatch.setattr(services, "allowed", lambda *a: False)
        assert services.weight_goal_line(*who) is None


def test_undo_check_in_and_edit_rules(app: Flask, create_patient: Any) -> None:
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        walk = services.create_goal(*who, _walk_goal(date(2026, 5, 1)), now=NOW)
        services.check_in(*who, walk, date(2026, 5, 19), now=NOW)
        services.undo_check_in(*who, walk, date(2026, 5, 19))
        assert services.checkins(*who, walk) == {}
        with pytest.raises(services.NotFound):
            services.undo_check_in(*who, walk, date(2026, 5, 19))
        # an activity goal cannot become a measurement goal
        with pytest.raises(Invalid):
            services.update_goal(*who, walk, _weight_goal(date(2026, 5, 1)), now=NOW)
        services.set_state(*who, walk, "stopped", now=NOW)
        with pytest.raises(Invalid):
            services.check_in(*who, walk, date(2026, 5, 20), now=NOW)
        with pytest.raises(Invalid):
            services.set_state(*who, walk, "resume", now=NOW)
        (stopped,) = services.goals_page(*who, now=NOW)[1]
    assert [e.event for e in stopped.data.history] == ["created", "stopped"]


def test_long_streaks_and_old_check_ins_read_the_whole_history(
    app: Flask, create_patient: Any
) -> None:
    """The overview reads recent weeks first; a longer streak still counts in full."""
    user = create_patient()
    with app.test_request_context():
        who = (user, user.id)
        start = date(2026, 1, 1)
        daily = services.create_goal(
            *who, replace(_walk_goal(start), per_week=7, text="Rookvrij"), now=NOW
        )
        old = services.create_goal(*who, _walk_goal(start), now=NOW)
        day = start
        while day <= NOW.date():
            services.check_in(*who, daily, day, now=NOW)
            day += timedelta(days=1)
        services.check_in(*who, old, date(2026, 1, 5), now=NOW)
        found = {s.id: s.progress for s in services.goals_overview(*who, now=NOW)}
    daily_progress, old_progress = found[daily], found[old]
    assert daily_progress is not None
    assert old_progress is not None
    assert (daily_progress.streak, daily_progress.streak_unit) == (140, "days")
    assert old_progress.status == pg.ON_TRACK  # not "no_data": it has a check-in, long ago
    assert old_progress.week_count == 0
