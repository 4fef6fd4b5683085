"""Random event histories (Hypothesis strategies) and their landing folders.

A *history* is a list of logical records (reference_metrics' Ticket, Event,
Incident, with aware UTC datetimes) that is written to a landing folder in
many spellings: CSV and JSONL, offsets of every kind for the same instant,
enums in any letter case, case types with spaces or hyphens, events spread
over several files and some re-delivered. Besides the valid records a
history holds rows the metrics must ignore: ticket snapshots that break the
contract (quarantined even though they are the latest), orphan events,
unknown event types, evaluations without a verdict or with an unknown
dimension (quarantined: an evaluation must name one of the four dimensions and
say whether it passed), incidents out of scope or in the wrong time order.

The timings are chosen at the boundaries the definitions care about: handoffs
exactly 0, 180, 300 seconds after the trigger and one second (or one
microsecond) later, resolutions at the trigger's or the handoff's instant,
events at the last second of a Sunday and the first of a Monday (UTC), and
incidents detected at the turn of a month.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import strategies as st

from tests.reliability.landing_tools import csv_text, respell_ts
from tests.reliability.reference_metrics import DIMENSIONS, Event, Incident, Ticket

UTC = dt.UTC
# (normalised case type, spellings) — password_reset and billing_refund have a 300 s handoff limit in the
# project's policy, account_access 180 s; gizmo_repair is not in the catalog (default 300 s)
CASE_TYPES = {
    "password_reset": ("password_reset", "Password Reset", "PASSWORD-RESET"),
    "account_access": ("account_access", " Account  Access ", "account-access"),
    "gizmo_repair": ("gizmo_repair", "Gizmo Repair", "gizmo--repair"),
}
AGENTS = ("agent_prop_a", "agent_prop_b", "agent_prop_c")
HANDOFF_DELAYS = (0, 1, 179, 180, 181, 299, 300, 301, 300.000001, 299.999999, 900, -1, -60)
CATEGORIES = ("incorrect_autonomous_action", "missed_escalation", "policy_breach", "tone_violation",
              "data_exposure", "outage", "other")
WINDOW_START = dt.datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass
class History:
    tickets: list[Ticket] = field(default_factory=list)
    bad_tickets: list[Ticket] = field(default_factory=list)  # latest snapshots that break the contract
    events: list[Event] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    bad_incidents: list[Incident] = field(default_factory=list)  # time order broken
    spelling_seed: int = 0


def _at(base: dt.datetime, seconds: float) -> dt.datetime:
    return base + dt.timedelta(seconds=seconds)


class HypothesisPick:
    """Choices drawn by Hypothesis (small histories: every choice is Hypothesis's, and shrinks)."""

    def __init__(self, draw):
        self.draw = draw

    def integers(self, low: int, high: int) -> int:
        return self.draw(st.integers(low, high))

    def sampled_from(self, values):
        return self.draw(st.sampled_from(list(values)))


class RandomPick:
    """Choices from a ``random.Random`` that Hypothesis seeded (large histories: thousands of choices
    would exceed what one Hypothesis example may draw)."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def integers(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def sampled_from(self, values):
        return self.rng.choice(list(values))


def _booleans(pick) -> bool:
    return pick.sampled_from([False, True])


def _anchor(pick) -> dt.datetime:
    """A case's start: any second of 2026, often right before or after the turn of an ISO week (UTC)."""
    monday = WINDOW_START + dt.timedelta(weeks=pick.integers(0, 46))
    if _booleans(pick):
        shift = pick.sampled_from([-1, 0, 1, -3600, 86400 * 3.5])
    else:
        shift = pick.integers(0, 7 * 86400 - 1)
    micro = pick.sampled_from([0, 0, 0, 1, 500_000, 999_999])
    return monday + dt.timedelta(seconds=shift, microseconds=micro)


def draw_case(pick, index: int, h: History) -> None:
    """One support case: its snapshots and events (and, now and then, an orphan event)."""
    ticket_id = f"PT-{index:05d}"
    case_type = pick.sampled_from(sorted(CASE_TYPES))
    t0 = _anchor(pick)

    # snapshots: 1-3, increasing updated_at; only the last one's dispute fields count
    for k in range(pick.integers(1, 3)):
        updated = _at(t0, 3600 * (k + 1) + pick.integers(0, 3000))
        disputed = pick.sampled_from([None, None, _at(t0, 86400 * 2)])
        outcome = pick.sampled_from([None, "upheld", "rejected", "pending"])
        h.tickets.append(Ticket(ticket_id, updated, case_type, disputed, outcome))
    if pick.integers(0, 9) == 0:  # a later snapshot that is quarantined: it must not become current
        h.bad_tickets.append(Ticket(ticket_id, _at(t0, 86400 * 9), case_type, _at(t0, 86400 * 3), "upheld"))

    events: list[tuple[float, str, str, str, dict]] = []  # (offset s, actor_type, actor_id, type, attributes)
    agent = pick.sampled_from(AGENTS)
    if pick.integers(0, 9) < 8:  # AI-handled
        events.append((60, "ai_agent", agent, "case_assigned", {"mode": "resolve"}))
        if _booleans(pick):  # another AI assignment: the earlier one gives the agent
            other = pick.sampled_from(AGENTS)
            events.append((pick.sampled_from([30, 59, 61, 7200]), "ai_agent", other, "case_assigned", {}))
    if _booleans(pick):
        events.append((10, "human", "hum_1", "case_assigned", {}))

    trigger_at = None
    for _ in range(pick.integers(0, 2)):
        off = pick.integers(61, 3 * 86400)
        required = pick.sampled_from([True, True, False, None])
        attrs = {"reason": "customer_requested_human"} | ({} if required is None else {"required": required})
        events.append((off, pick.sampled_from(["system", "ai_agent"]), "detector", "escalation_trigger", attrs))
        if required is True:
            trigger_at = off if trigger_at is None else min(trigger_at, off)

    handoffs = []
    if trigger_at is not None:
        for _ in range(pick.integers(0, 2)):
            delay = pick.sampled_from(HANDOFF_DELAYS) if _booleans(pick) else pick.integers(-600, 3600)
            handoffs.append(trigger_at + delay)
    elif _booleans(pick):
        handoffs.append(pick.integers(61, 86400))
    for off in handoffs:
        actor = pick.sampled_from(["ai_agent", "ai_agent", "ai_agent", "human"])
        events.append((off, actor, agent if actor == "ai_agent" else "hum_2", "handoff_to_human", {"queue": "q"}))

    if pick.integers(0, 4) == 0:
        events.append((pick.integers(61, 86400), "human", "hum_3", "human_takeover", {"reason": "rescue"}))

    resolution_anchors = [61, 86400] + ([trigger_at] if trigger_at else []) + handoffs
    for _ in range(pick.integers(0, 2)):
        off = pick.sampled_from(resolution_anchors) + pick.sampled_from([0, 0, -1, 1, 600])
        actor = pick.sampled_from(["ai_agent", "ai_agent", "human"])
        events.append((off, actor, agent if actor == "ai_agent" else "hum_4", "case_resolved",
                       {"resolution_code": "done"}))

    for _ in range(pick.integers(0, 3)):
        # an unknown dimension or a missing verdict is rare; either is quarantined at load, however many
        # (they once loaded, and 3 unknown dimensions in 290 evaluations stopped the run at a quality gate)
        unknown = pick.integers(0, 999) == 0
        dimension = "empathy" if unknown else pick.sampled_from(DIMENSIONS)
        no_verdict = pick.integers(0, 999) == 0
        passed = None if no_verdict else pick.sampled_from([True, True, False])
        attrs = {"dimension": dimension, "evaluator": "human_qa"} | ({} if passed is None else {"passed": passed})
        actor = pick.sampled_from([("human", "qa_1"), ("system", "auto_eval"), ("ai_agent", "judge_bot")])
        events.append((pick.integers(3600, 12 * 86400), *actor, "evaluation", attrs))

    if _booleans(pick):
        events.append((120, "customer", "cust", "customer_message", {"text": "hello", "requested_human": True}))
    if pick.integers(0, 59) == 0:  # unknown event types: kept, ignored (and under 1 %, the quality gate)
        events.append((130, "system", "probe", "sentiment_probe", {"score": 0.3}))

    # two AI assignments at one instant would need a tie-break the contract does not give: keep them apart
    seen: set[dt.datetime] = set()
    for k, (off, actor_type, actor_id, kind, attrs) in enumerate(events):
        when = _at(t0, off)
        if kind == "case_assigned":
            while when in seen:
                when += dt.timedelta(seconds=1)
            seen.add(when)
        h.events.append(Event(f"PE-{index:05d}-{k:02d}", ticket_id, when, actor_type, actor_id, kind, attrs))

    if pick.integers(0, 7) == 0:  # an orphan: events of a ticket nobody delivered
        h.events.append(Event(f"PO-{index:05d}", f"PX-{index:05d}", t0, "ai_agent", agent, "case_assigned", {}))
        h.events.append(Event(f"PO-{index:05d}-r", f"PX-{index:05d}", _at(t0, 99), "ai_agent", agent,
                              "case_resolved", {}))


def draw_incident(pick, index: int, h: History) -> None:
    """One incident: one or two snapshots (and, now and then, a row in the wrong time order)."""
    incident_id = f"PI-{index:04d}"
    agent = pick.sampled_from(AGENTS + (None,))
    case_type = pick.sampled_from(sorted(CASE_TYPES) + [None])
    category = pick.sampled_from(CATEGORIES)
    month = pick.integers(1, 12)
    turn = dt.datetime(2026 + (month == 12), month % 12 + 1, 1, tzinfo=UTC)  # the next month's first instant
    if _booleans(pick):
        detected = _at(turn, pick.sampled_from([-1, 0, 1, -0.000001]))
    else:
        detected = _at(turn, pick.integers(-20 * 86400, -1))
    started = _at(detected, -(pick.sampled_from([0, 1, 3600]) if _booleans(pick) else pick.integers(0, 5 * 86400)))
    kind = pick.integers(0, 2)
    resolved = None if kind == 0 else _at(detected, pick.sampled_from([0, 1, 1800]) if kind == 1
                                          else pick.integers(0, 10 * 86400))
    final_updated = _at(resolved or detected, 600) if _booleans(pick) else None
    if _booleans(pick):
        # an earlier snapshot, still open: it must lose to the final one, delivered after it. With an
        # updated_at it is earlier than the final one's; without one it ranks after any snapshot with one
        # (and, when neither has one, the later delivery wins)
        early_updated = _at(detected, 60) if final_updated is not None and _booleans(pick) else None
        h.incidents.append(Incident(incident_id, started, detected, category, None, agent, case_type,
                                    early_updated))
    h.incidents.append(Incident(incident_id, started, detected, category, resolved, agent, case_type,
                                final_updated))
    if pick.integers(0, 9) == 0:  # detected before started: quarantined (time order)
        h.bad_incidents.append(Incident(f"PB-{index:04d}", detected, _at(detected, -1), category, None, agent,
                                        case_type, None))


FILLER_TICKET = "PT-FILLER"
FILLER_END = dt.datetime(2027, 1, 11, tzinfo=UTC)


def add_filler(h: History) -> None:
    """A steady stream of customer messages on one case no AI handles: invisible to the metrics.

    The pipeline's quality gates stop a run whose latest complete week holds
    less than half the usual volume of events; random cases thin out at the
    end of their window, so a constant ~200 events a week keep every week
    (and the last ones) at their usual level.
    """
    h.tickets.append(Ticket(FILLER_TICKET, WINDOW_START - dt.timedelta(days=14), "gizmo_repair"))
    when, k = WINDOW_START - dt.timedelta(days=14), 0
    while when < FILLER_END:
        h.events.append(Event(f"PF-{k:05d}", FILLER_TICKET, when, "customer", "cust_filler", "customer_message",
                              {"text": "still waiting"}))
        when, k = when + dt.timedelta(minutes=50), k + 1


def rare_evaluation_ids(h: History) -> set[str]:
    """The evaluations the contract rejects: an unknown dimension or no verdict."""
    return {e.event_id for e in h.events if e.event_type == "evaluation"
            and (e.attributes.get("dimension") not in DIMENSIONS or "passed" not in e.attributes)}


def add_rare_evaluations(h: History) -> None:
    """One evaluation with an unknown dimension and one without a verdict, on the first AI-handled case:
    every large history holds some (both are quarantined at load, and left out of the pact pass rate)."""
    handled = next((e for e in h.events if e.event_type == "case_assigned" and e.actor_type == "ai_agent"), None)
    if handled is None:
        return
    for k, attrs in enumerate(({"dimension": "empathy", "passed": False}, {"dimension": "accuracy"})):
        h.events.append(Event(f"PR-{k}", handled.ticket_id, _at(handled.occurred_at, 7200 + k), "human", "qa_1",
                              "evaluation", attrs | {"evaluator": "human_qa"}))


def build_history(pick, n_cases: int, n_incidents: int, spelling_seed: int, filler: bool = False) -> History:
    h = History(spelling_seed=spelling_seed)
    for i in range(n_cases):
        draw_case(pick, i, h)
    for i in range(n_incidents):
        draw_incident(pick, i, h)
    if filler:
        add_filler(h)
        add_rare_evaluations(h)
    return h


@st.composite
def small_histories(draw, max_cases: int = 6, max_incidents: int = 4) -> History:
    """A few cases, every choice drawn by Hypothesis."""
    n_cases, n_incidents = draw(st.integers(1, max_cases)), draw(st.integers(0, max_incidents))
    return build_history(HypothesisPick(draw), n_cases, n_incidents, draw(st.integers(0, 2**32 - 1)))


def large_histories(n_cases: int, n_incidents: int):
    """Many cases, from a random generator that Hypothesis seeds (and reports on failure)."""
    return st.builds(
        lambda rng, seed: build_history(RandomPick(rng), n_cases, n_incidents, seed, filler=True),
        st.randoms(use_true_random=True), st.integers(0, 2**32 - 1),
    )


# ---------------------------------------------------------------- writing a history as a landing folder


def _ts(rng: random.Random, value: dt.datetime | None) -> str:
    if value is None:
        return ""
    naive = value.astimezone(UTC).replace(tzinfo=None)
    text = naive.isoformat(sep=rng.choice("T "))
    choice = rng.randrange(6)
    if choice == 0:
        return text  # no offset: UTC
    if choice == 1:
        return text + "Z"
    return respell_ts(text + "Z", rng.randrange(8))


def _enum(rng: random.Random, value: str | None) -> str:
    if value is None:
        return ""
    return rng.choice([value, value.upper(), f" {value.title()} "])


def write_landing(history: History, landing: Path) -> None:
    """Write the history; sets each ticket's and incident's delivery position on the records."""
    rng = random.Random(history.spelling_seed)
    ticket_cols = ["ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id",
                   "status", "disputed_at", "dispute_outcome", "reopened_count"]

    def ticket_row(t: Ticket, bad: bool) -> list:
        return [t.ticket_id, _ts(rng, t.updated_at), _ts(rng, t.updated_at - dt.timedelta(hours=1)),
                _enum(rng, "chat"), rng.choice(CASE_TYPES[t.case_type]), "extreme" if bad else _enum(rng, "normal"),
                "C1", _enum(rng, "open"), _ts(rng, t.disputed_at), _enum(rng, t.dispute_outcome), "0"]

    rows = [(t, False) for t in history.tickets] + [(t, True) for t in history.bad_tickets]
    rng.shuffle(rows)
    half = len(rows) // 2
    # tickets/a.csv then tickets/b.jsonl: the delivery order is this order
    (landing / "tickets").mkdir(parents=True, exist_ok=True)
    (landing / "tickets" / "a.csv").write_text(csv_text(ticket_cols, [ticket_row(t, bad) for t, bad in rows[:half]]))
    lines = []
    for t, bad in rows[half:]:
        values = dict(zip(ticket_cols, ticket_row(t, bad), strict=True))
        lines.append(json.dumps({k: v for k, v in values.items() if v != "" or rng.random() < 0.5}))
    (landing / "tickets" / "b.jsonl").write_text("\n".join(lines) + "\n")
    for position, (t, _) in enumerate(rows):
        t.delivered = position

    event_cols = ["event_id", "ticket_id", "occurred_at", "actor_type", "actor_id", "event_type", "agent_version",
                  "attributes"]

    def event_values(e: Event) -> dict:
        return {"event_id": e.event_id, "ticket_id": e.ticket_id, "occurred_at": _ts(rng, e.occurred_at),
                "actor_type": _enum(rng, e.actor_type), "actor_id": e.actor_id, "event_type": _enum(rng, e.event_type),
                # an AI agent's release, as the platform writes it (the quality gates expect it)
                "agent_version": "2026.01.1" if e.actor_type == "ai_agent" else "",
                "attributes": dict(rng.sample(sorted(e.attributes.items()), len(e.attributes)))}

    events = list(history.events)
    rng.shuffle(events)
    parts = [events[i::3] for i in range(3)]
    (landing / "agent_logs").mkdir(parents=True, exist_ok=True)
    for name, part in (("events_1.jsonl", parts[0]), ("events_2.jsonl", parts[1])):
        (landing / "agent_logs" / name).write_text("".join(json.dumps(event_values(e)) + "\n" for e in part))
    csv_rows = []
    for e in parts[2]:
        v = event_values(e)
        csv_rows.append([v[c] if c != "attributes" else json.dumps(v[c]) for c in event_cols])
    (landing / "agent_logs" / "events_3.csv").write_text(csv_text(event_cols, csv_rows))
    redelivered = rng.sample(events, len(events) // 10)  # the same events again, spelled anew
    (landing / "agent_logs" / "events_4_redelivered.jsonl").write_text(
        "".join(json.dumps(event_values(e)) + "\n" for e in redelivered))

    incident_cols = ["incident_id", "updated_at", "started_at", "detected_at", "resolved_at", "severity", "category",
                     "agent_id", "case_type", "ticket_ids"]
    rows_i = []
    for position, inc in enumerate(history.incidents + history.bad_incidents):
        inc.delivered = position
        rows_i.append([inc.incident_id, _ts(rng, inc.updated_at), _ts(rng, inc.started_at),
                       _ts(rng, inc.detected_at), _ts(rng, inc.resolved_at), _enum(rng, "sev2"),
                       _enum(rng, inc.category), inc.agent_id or "",
                       rng.choice(CASE_TYPES[inc.case_type]) if inc.case_type else "", "PT-00001; PT-00002"])
    # in delivery order: the first ~half in incidents/a.csv, the rest in incidents/b.jsonl
    cut = len(rows_i) // 2
    (landing / "incidents").mkdir(parents=True, exist_ok=True)
    (landing / "incidents" / "a.csv").write_text(csv_text(incident_cols, rows_i[:cut]))
    (landing / "incidents" / "b.jsonl").write_text("".join(
        json.dumps({k: v for k, v in zip(incident_cols, row, strict=True) if v != ""}) + "\n" for row in rows_i[cut:]
    ))
