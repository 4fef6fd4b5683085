"""Coverage of the raw tables (warning only): optional fields the breakdowns use, and the vocabulary.

The landing contract makes ``solved_at``, ``agent_version`` and an incident's ``agent_id`` optional,
and keeps event types it does not know. A landing folder without them is valid: it must load and
give its metrics; only the breakdowns that need the field thin out ("unknown" agent release,
no resolution time). Nor does it order a ticket's times: a few skewed clocks only warn here (most
out of order stops the run in ``raw_tickets``). So these rules WARN in a suite of their own instead of stopping the run as
the raw suites do. Their ceilings live in ``Thresholds`` like every other (``null_rates`` with
``blocking=False``, ``unknown_event_types_max_share``).
"""

from __future__ import annotations

from expectations.batches import null_rates_batch, unknown_values_batch
from expectations.core import Suite
from expectations.suites.raw_tickets import time_order_batch
from trustloop.ingest.contract import KNOWN_EVENT_TYPES


def _coverage_suite(source: str, description: str, *extra) -> Suite:
    return Suite(
        name=f"raw_{source}_coverage",
        table=f"raw.{source}",
        description=description,
        batches=(null_rates_batch(f"raw.{source}", blocking=False), *extra),
        blocking=False,
    )


TICKETS = _coverage_suite(
    "tickets", "Optional ticket fields the breakdowns use are delivered (solved_at of solved tickets), and nearly "
    "every current snapshot has its times in order (warning only).",
    time_order_batch(lambda t: t.ticket_time_order_warn_mostly, "clocks"),
)
AGENT_LOGS = _coverage_suite(
    "agent_logs",
    "Optional agent-log fields the breakdowns use are delivered (agent_version of AI case assignments), and "
    "few event types are unknown to the contract (warning only).",
    unknown_values_batch("raw.agent_logs", "event_type", KNOWN_EVENT_TYPES,
                         lambda t: t.unknown_event_types_max_share),
)
INCIDENTS = _coverage_suite(
    "incidents", "Incidents name the AI agent involved often enough to attribute them (warning only).",
)

SUITES = (TICKETS, AGENT_LOGS, INCIDENTS)
