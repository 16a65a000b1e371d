"""Goals as plain dataclasses, and the compact payloads they are sealed as."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

import orjson


class GoalKind(StrEnum):
    MEASUREMENT = "measurement"
    ACTIVITY = "activity"


class State(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ACHIEVED = "achieved"
    STOPPED = "stopped"
    # A goal a care provider proposed: the patient accepts it (it becomes active) or
    # declines it (kept as history, so the care provider sees the answer).
    PROPOSED = "proposed"
    DECLINED = "declined"


class Mode(StrEnum):
    """How an activity goal is checked in: one tap per day, or a number per day."""

    DONE = "done"
    COUNT = "count"


CURRENT_STATES = (State.ACTIVE, State.PAUSED)


@dataclass(frozen=True)
class ActionItem:
    """A small step towards the goal, ticked off on a checklist."""

    id: str
    text: str
    done: bool = False


@dataclass(frozen=True)
class Event:
    """One line of a goal's history: created, edited, paused, resumed, achieved, stopped."""

    at: datetime
    event: str


@dataclass(frozen=True)
class GoalData:
    """What the patient wrote and chose; everything here is sealed."""

    kind: GoalKind
    text: str
    why: str
    start: date
    until: date | None = None
    # measurement goals
    metric: str | None = None  # a measurement kind: weight, blood_pressure, glucose
    direction: str = "down"  # "down": lower is better; "up": higher is better
    target: float | None = None
    # activity goals
    mode: Mode = Mode.DONE
    per_week: int | None = None  # days a week (done) or the weekly total (count)
    unit: str = ""  # what is counted, e.g. "minutes" (count mode only)
    state: State = State.ACTIVE
    actions: tuple[ActionItem, ...] = ()
    history: tuple[Event, ...] = field(default_factory=tuple)
    proposed_by: str = ""  # "A. de Vries (POH)" for a goal a care provider proposed

    def with_event(self, event: str, at: datetime, **changes: object) -> GoalData:
        return replace(self, history=(*self.history, Event(at, event)), **changes)  # type: ignore[arg-type]


def new_action_id() -> str:
    return uuid.uuid4().hex[:12]


def encode(goal: GoalData) -> bytes:
    data: dict[str, object] = {
        "k": goal.kind.value,
        "t": goal.text,
        "w": goal.why,
        "s": goal.start.isoformat(),
        "st": goal.state.value,
        "a": [[a.id, a.text, a.done] for a in goal.actions],
        "h": [[e.at.isoformat(), e.event] for e in goal.history],
    }
    if goal.until is not None:
        data["u"] = goal.until.isoformat()
    if goal.proposed_by:
        data["pb"] = goal.proposed_by
    if goal.kind == GoalKind.MEASUREMENT:
        data.update({"m": goal.metric, "d": goal.direction, "v": goal.target})
    else:
        data.update({"md": goal.mode.value, "pw": goal.per_week, "un": goal.unit})
    return orjson.dumps(data)


def decode(payload: bytes) -> GoalData:
    d = orjson.loads(payload)
    return GoalData(
        kind=GoalKind(d["k"]),
        text=d["t"],
        why=d["w"],
        start=date.fromisoformat(d["s"]),
        until=date.fromisoformat(d["u"]) if d.get("u") else None,
        metric=d.get("m"),
        direction=d.get("d", "down"),
        target=d.get("v"),
        mode=Mode(d.get("md", Mode.DONE.value)),
        per_week=d.get("pw"),
        unit=d.get("un", ""),
        state=State(d["st"]),
        actions=tuple(ActionItem(a[0], a[1], bool(a[2])) for a in d.get("a", [])),
        history=tuple(Event(datetime.fromisoformat(h[0]), h[1]) for h in d.get("h", [])),
        proposed_by=d.get("pb", ""),
    )
