"""An independent, plain-Python computation of the metrics export.

Written from /work/shared/product/metrics.md (and the choices recorded in
DECISIONLOG.md where the definitions leave room), without reading the dbt
models. It works on already-parsed records (aware datetimes, normalised enums
and case types), so it checks the metric logic, not the parsing; the
property tests write the same records to a landing folder in many spellings
and compare the pipeline's export with this one, row for row.

The rules, in short:
- current ticket: the snapshot with the latest updated_at (tie: delivered last);
- AI-handled case: a current ticket with an ai_agent case_assigned; agent =
  actor of the earliest one;
- escalation compliance: T = earliest escalation_trigger with required = true;
  the handoff considered is the first ai_agent handoff_to_human at or after T;
  compliant when it is no later than T + max_handoff_delay and no ai_agent
  case_resolved lies in [T, handoff]; period = week of T;
- autonomous resolution: first ai_agent case_resolved R with no ai_agent
  handoff and no human_takeover at or before R; dispute rate = those whose
  current ticket has disputed_at; upheld = disputed and outcome upheld;
  period = week of R;
- incidents: current snapshot (latest updated_at, snapshots without one after,
  then delivered last); in scope when agent_id is set and the category is not
  outage/other; per month of detected_at, by own case type (when set) and
  agent; median and p90 with linear interpolation, over resolved incidents;
  written only when at least one is resolved;
- pact pass rate: evaluation events on AI-handled cases with one of the four
  dimensions and a boolean passed; per week of the evaluation; agent = the
  case's agent;
- a rate is written when its denominator is positive (a zero numerator is
  written).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
OUT_OF_SCOPE_CATEGORIES = ("outage", "other")
DEFAULT_MAX_HANDOFF_DELAY = 300


@dataclass
class Ticket:
    ticket_id: str
    updated_at: dt.datetime
    case_type: str
    disputed_at: dt.datetime | None = None
    dispute_outcome: str | None = None
    delivered: int = 0  # delivery position: higher = delivered later


@dataclass
class Event:
    event_id: str
    ticket_id: str
    occurred_at: dt.datetime
    actor_type: str
    actor_id: str
    event_type: str
    attributes: dict = field(default_factory=dict)


@dataclass
class Incident:
    incident_id: str
    started_at: dt.datetime
    detected_at: dt.datetime
    category: str
    resolved_at: dt.datetime | None = None
    agent_id: str | None = None
    case_type: str | None = None
    updated_at: dt.datetime | None = None
    delivered: int = 0


@dataclass(frozen=True)
class Row:
    metric: str
    grain: str
    grain_value: str
    dimension: str
    period: str
    period_start: str
    numerator: int | None
    denominator: int
    value: float

    @property
    def key(self) -> tuple:
        return (self.metric, self.grain, self.grain_value, self.dimension, self.period, self.period_start)


def utc(ts: dt.datetime) -> dt.datetime:
    return ts.astimezone(dt.UTC) if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def week_of(ts: dt.datetime) -> str:
    day = utc(ts).date()
    return (day - dt.timedelta(days=day.weekday())).isoformat()


def month_of(ts: dt.datetime) -> str:
    return utc(ts).date().replace(day=1).isoformat()


def quantile_linear(values: list[float], p: float) -> float:
    xs = sorted(values)
    h = (len(xs) - 1) * p
    lo = math.floor(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def current_tickets(tickets: Iterable[Ticket]) -> dict[str, Ticket]:
    best: dict[str, Ticket] = {}
    for t in tickets:
        held = best.get(t.ticket_id)
        if held is None or (utc(t.updated_at), t.delivered) > (utc(held.updated_at), held.delivered):
            best[t.ticket_id] = t
    return best


def current_incidents(incidents: Iterable[Incident]) -> dict[str, Incident]:
    def rank(i: Incident):
        # with updated_at ranks above without; then later updated_at; then delivered later
        return (i.updated_at is not None, utc(i.updated_at) if i.updated_at else dt.datetime.min.replace(
            tzinfo=dt.UTC), i.delivered)

    best: dict[str, Incident] = {}
    for i in incidents:
        if i.incident_id not in best or rank(i) > rank(best[i.incident_id]):
            best[i.incident_id] = i
    return best


def _rate_rows(metric: str, counts: dict[tuple, list[int]], dimension_in_key: bool = False) -> list[Row]:
    rows = []
    for key, (num, den) in counts.items():
        if den <= 0:
            continue
        if dimension_in_key:
            grain, value, dimension, period_start = key
        else:
            (grain, value, period_start), dimension = key, ""
        rows.append(Row(metric, grain, value, dimension, "week", period_start, num, den, num / den))
    return rows


def _times(evs: list[Event], kind: str, actor_type: str | None = None) -> list[dt.datetime]:
    return sorted(utc(e.occurred_at) for e in evs
                  if e.event_type == kind and (actor_type is None or e.actor_type == actor_type))


def metrics_export(
    tickets: Iterable[Ticket],
    events: Iterable[Event],
    incidents: Iterable[Incident],
    max_handoff_delay: Callable[[str], float] = lambda case_type: DEFAULT_MAX_HANDOFF_DELAY,
) -> list[Row]:
    current = current_tickets(tickets)
    by_ticket: dict[str, list[Event]] = defaultdict(list)
    seen_ids: set[str] = set()
    for e in events:
        if e.event_id in seen_ids or e.ticket_id not in current:  # each event once; orphans never count
            continue
        seen_ids.add(e.event_id)
        by_ticket[e.ticket_id].append(e)

    rows: list[Row] = []
    escalation = defaultdict(lambda: [0, 0])
    dispute = defaultdict(lambda: [0, 0])
    upheld = defaultdict(lambda: [0, 0])
    pact = defaultdict(lambda: [0, 0])

    for ticket_id, evs in by_ticket.items():
        ticket = current[ticket_id]
        assigned = sorted((e for e in evs if e.event_type == "case_assigned" and e.actor_type == "ai_agent"),
                          key=lambda e: utc(e.occurred_at))
        if not assigned:
            continue  # not AI-handled: counts nowhere
        agent = assigned[0].actor_id
        groups = (("case_type", ticket.case_type), ("agent", agent))

        ai_handoffs = _times(evs, "handoff_to_human", "ai_agent")
        ai_resolutions = _times(evs, "case_resolved", "ai_agent")
        takeovers = _times(evs, "human_takeover")

        # 1. escalation compliance
        required = sorted(
            utc(e.occurred_at) for e in evs
            if e.event_type == "escalation_trigger" and e.attributes.get("required") is True
        )
        if required:
            t = required[0]
            handoff = next((h for h in ai_handoffs if h >= t), None)
            compliant = (
                handoff is not None
                and (handoff - t).total_seconds() <= max_handoff_delay(ticket.case_type)
                and not any(t <= r <= handoff for r in ai_resolutions)
            )
            for grain, value in groups:
                counts = escalation[(grain, value, week_of(t))]
                counts[0] += int(compliant)
                counts[1] += 1

        # 2. dispute rate on autonomously resolved cases
        if ai_resolutions:
            r = ai_resolutions[0]
            if not any(h <= r for h in ai_handoffs) and not any(k <= r for k in takeovers):
                disputed = ticket.disputed_at is not None
                is_upheld = disputed and ticket.dispute_outcome == "upheld"
                for grain, value in groups:
                    key = (grain, value, week_of(r))
                    dispute[key][0] += int(disputed)
                    dispute[key][1] += 1
                    upheld[key][0] += int(is_upheld)
                    upheld[key][1] += 1

        # 4. pact pass rate
        for e in evs:
            if e.event_type != "evaluation":
                continue
            dimension, passed = e.attributes.get("dimension"), e.attributes.get("passed")
            if dimension not in DIMENSIONS or not isinstance(passed, bool):
                continue
            for grain, value in groups:
                counts = pact[(grain, value, dimension, week_of(e.occurred_at))]
                counts[0] += int(passed)
                counts[1] += 1

    rows += _rate_rows("escalation_compliance_rate", escalation)
    rows += _rate_rows("dispute_rate", dispute)
    rows += _rate_rows("upheld_dispute_rate", upheld)
    rows += _rate_rows("pact_pass_rate", pact, dimension_in_key=True)

    # 3. recovery and detection times
    groups_inc: dict[tuple, list[Incident]] = defaultdict(list)
    for inc in current_incidents(incidents).values():
        if inc.agent_id is None or inc.category in OUT_OF_SCOPE_CATEGORIES:
            continue
        month = month_of(inc.detected_at)
        if inc.case_type is not None:
            groups_inc[("case_type", inc.case_type, month)].append(inc)
        groups_inc[("agent", inc.agent_id, month)].append(inc)
    for (grain, value, month), members in groups_inc.items():
        resolved = [i for i in members if i.resolved_at is not None]
        if not resolved:
            continue
        recovery = [(utc(i.resolved_at) - utc(i.detected_at)).total_seconds() / 3600 for i in resolved]
        detection = [(utc(i.detected_at) - utc(i.started_at)).total_seconds() / 3600 for i in resolved]
        for metric, values, p in (
            ("recovery_hours_median", recovery, 0.5), ("recovery_hours_p90", recovery, 0.9),
            ("detection_hours_median", detection, 0.5), ("detection_hours_p90", detection, 0.9),
        ):
            rows.append(Row(metric, grain, value, "", "month", month, None, len(resolved),
                            quantile_linear(values, p)))
    return sorted(rows, key=lambda r: r.key)


def compare(got: Iterable[Row], want: Iterable[Row], tolerance: float = 1e-9) -> list[str]:
    """Differences between two exports, row for row (counts exactly, values to ``tolerance``)."""
    g = {r.key: r for r in got}
    w = {r.key: r for r in want}
    problems = [f"missing {k}: want {w[k]}" for k in sorted(set(w) - set(g))]
    problems += [f"unexpected {k}: got {g[k]}" for k in sorted(set(g) - set(w))]
    for k in sorted(set(g) & set(w)):
        a, b = g[k], w[k]
        if a.numerator != b.numerator or a.denominator != b.denominator or not math.isclose(
            a.value, b.value, rel_tol=tolerance, abs_tol=tolerance
        ):
            problems.append(f"{k}: got {a.numerator}/{a.denominator} = {a.value!r}, "
                            f"want {b.numerator}/{b.denominator} = {b.value!r}")
    return problems


def rows_from_table(records: Iterable[tuple]) -> list[Row]:
    """Export rows as read from marts.rpt_metrics_export (or the CSV, as strings)."""
    out = []
    for metric, grain, grain_value, dimension, period, period_start, numerator, denominator, value in records:
        out.append(Row(
            str(metric), str(grain), str(grain_value), "" if dimension in (None, "") else str(dimension),
            str(period), str(period_start)[:10],
            None if numerator in (None, "") else int(float(numerator)), int(float(denominator)), float(value),
        ))
    return out


def policy_max_handoff_delay(policy_file) -> Callable[[str], float]:
    """max_handoff_delay_seconds per case type from a policy YAML file (the defaults' value otherwise)."""
    import yaml

    doc = yaml.safe_load(open(policy_file, encoding="utf-8"))
    default = (doc.get("defaults") or {}).get("max_handoff_delay_seconds", DEFAULT_MAX_HANDOFF_DELAY)
    per_type = {
        name: (spec or {}).get("max_handoff_delay_seconds", default)
        for name, spec in (doc.get("case_types") or {}).items()
    }
    return lambda case_type: per_type.get(case_type, default)
