"""Landing contract v1 as data: the sources, their columns, types and keys.

Everything the loader does per column (parse, check, store) is derived from
this table, so a new source column is one line here (see README, "Adding a
source column").
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHANNELS = ("email", "chat", "voice", "social", "web")
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending", "solved", "closed")
DISPUTE_OUTCOMES = ("upheld", "rejected", "pending")
ACTOR_TYPES = ("ai_agent", "human", "customer", "system")
AUTONOMY_MODES = ("shadow", "triage", "suggest", "resolve")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
CATEGORIES = (
    "incorrect_autonomous_action",
    "missed_escalation",
    "policy_breach",
    "tone_violation",
    "data_exposure",
    "outage",
    "other",
)
KNOWN_EVENT_TYPES = (
    "case_assigned",
    "customer_message",
    "message_sent",
    "action_taken",
    "suggestion_made",
    "suggestion_reviewed",
    "escalation_trigger",
    "handoff_to_human",
    "human_takeover",
    "case_resolved",
    "evaluation",
)
PACT_DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
EVALUATORS = ("human_qa", "auto_eval")
REVIEW_VERDICTS = ("accepted", "edited", "rejected")
FORMATS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".parquet": "parquet"}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # id | text | ts | enum | case_type | decimal | int | float | object | list | event_type
    required: bool = False
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    default: str | None = None  # SQL literal used when the value is missing


@dataclass(frozen=True)
class Attribute:
    """A typed value inside an agent-log event's ``attributes``: when present and not blank, it must read as
    its kind (a boolean: true/false, 1/0, yes/no; a number: finite, within its bounds; an enum: one of its
    values, in any letter case), as staging reads it. A ``required`` one must be present on every event of
    its type."""

    event_type: str
    name: str
    kind: str  # bool | float | enum
    values: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    required: bool = False


@dataclass(frozen=True)
class Source:
    name: str
    key: str
    columns: tuple[Column, ...]
    # "snapshot": many versions per key, latest wins; "event": one row per key, conflicts quarantined
    grain: str
    time_order: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    # typed values inside the ``attributes`` object, checked on the events of their type (agent_logs)
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


TICKETS = Source(
    name="tickets",
    key="ticket_id",
    grain="snapshot",
    columns=(
        Column("ticket_id", "id", required=True),
        Column("updated_at", "ts", required=True),
        Column("created_at", "ts", required=True),
        Column("channel", "enum", required=True, values=CHANNELS),
        Column("case_type", "case_type", required=True),
        Column("priority", "enum", required=True, values=PRIORITIES),
        Column("customer_id", "id", required=True),
        Column("status", "enum", required=True, values=STATUSES),
        Column("solved_at", "ts"),
        Column("subject", "text"),
        Column("description", "text"),
        Column("amount_at_stake", "decimal", low=0),
        Column("csat_score", "int", low=1, high=5),
        Column("reopened_count", "int", low=0, default="0"),
        Column("disputed_at", "ts"),
        Column("dispute_outcome", "enum", values=DISPUTE_OUTCOMES),
    ),
)

AGENT_LOGS = Source(
    name="agent_logs",
    key="event_id",
    grain="event",
    columns=(
        Column("event_id", "id", required=True),
        Column("ticket_id", "id", required=True),
        Column("occurred_at", "ts", required=True),
        Column("actor_type", "enum", required=True, values=ACTOR_TYPES),
        Column("actor_id", "id", required=True),
        Column("event_type", "event_type", required=True),
        Column("agent_version", "id"),
        Column("autonomy_mode", "enum", values=AUTONOMY_MODES),
        Column("confidence", "float", low=0, high=1),
        Column("policy_version", "id"),
        Column("attributes", "object"),
    ),
    # the attributes whose type the contract fixes. A case assignment's mode is the case's autonomy mode when
    # the event has no autonomy_mode column, so it is held to the same four values. The other enums inside
    # attributes (an evaluation's dimension, a review's verdict, an evaluator) are not here: a value outside
    # the contract is kept and left out of the metrics (DECISIONLOG, Data quality); a free vocabulary
    # (reason, action, queue) has nothing to check
    attributes=(
        Attribute("case_assigned", "mode", "enum", values=AUTONOMY_MODES),
        Attribute("customer_message", "sentiment", "float", low=-1, high=1),
        Attribute("customer_message", "requested_human", "bool"),
        Attribute("action_taken", "amount", "float"),
        Attribute("escalation_trigger", "required", "bool"),
        Attribute("suggestion_reviewed", "verdict", "enum", values=REVIEW_VERDICTS),
        # an evaluation is evidence only with its dimension and its verdict; score and pact_id are optional
        Attribute("evaluation", "dimension", "enum", values=PACT_DIMENSIONS, required=True),
        Attribute("evaluation", "passed", "bool", required=True),
        Attribute("evaluation", "score", "float", low=0, high=1),
        Attribute("evaluation", "evaluator", "enum", values=EVALUATORS),
    ),
)

INCIDENTS = Source(
    name="incidents",
    key="incident_id",
    grain="snapshot",
    columns=(
        Column("incident_id", "id", required=True),
        Column("updated_at", "ts"),
        Column("started_at", "ts", required=True),
        Column("detected_at", "ts", required=True),
        Column("resolved_at", "ts"),
        Column("severity", "enum", required=True, values=SEVERITIES),
        Column("category", "enum", required=True, values=CATEGORIES),
        Column("agent_id", "id"),
        Column("case_type", "case_type"),
        Column("ticket_ids", "list"),
        Column("customers_affected", "int", low=0),
        Column("remediation_cost", "decimal", low=0),
        Column("summary", "text"),
    ),
    time_order=(("started_at", "detected_at"), ("detected_at", "resolved_at")),
)

SOURCES: dict[str, Source] = {s.name: s for s in (TICKETS, AGENT_LOGS, INCIDENTS)}
