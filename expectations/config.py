"""Every threshold of the quality guards, in one place.

The defaults keep the demo data and the contract fixture green while a
broken delivery (a week that mostly vanished, a column the metrics need that
went empty, a rate outside [0, 1]) fails; what the contract lets a landing
folder leave out (optional fields, event types it does not know) only warns.
Change them here, or pass a modified copy
(``dataclasses.replace(THRESHOLDS, ...)``) to the runner. The reasoning
behind each number is in DECISIONLOG.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NullRateRule:
    """A ceiling on the share of NULLs in ``column`` among the rows matching ``where``."""

    name: str
    column: str
    ceiling: float
    where: str = "true"  # DuckDB predicate over the table's columns
    # False: a column the contract makes optional, whose absence only thins a breakdown. Judged in the
    # table's non-blocking coverage suite (a WARN): a landing folder that never carries it is valid.
    blocking: bool = True
    # True: judged only when some row in scope carries the column. A folder whose export never carries an
    # optional field is valid (a coverage rule warns of it); one that carries it on most rows and not on a
    # few has broken rows.
    when_carried: bool = False


@dataclass(frozen=True)
class Thresholds:
    # ----------------------------------------------------------- sampling
    # Row-level expectations on a raw table read at most this many rows (a
    # repeatable reservoir sample); smaller tables are validated whole. The
    # full-table row rules are dbt tests inside DuckDB.
    sample_rows: int = 200_000
    sample_seed: int = 42
    # failing rows kept per expectation (in the check's message and the results table)
    failing_sample_rows: int = 5

    # ----------------------------------------------------------- volume
    # The latest complete ISO week must hold at least this share of the
    # median weekly volume of the trailing weeks.
    volume_min_ratio: float = 0.5
    # None: no upper bound (a busy week is not broken evidence)
    volume_max_ratio: float | None = None
    volume_trailing_weeks: int = 8
    # fewer trailing weeks than this, or a smaller median: not judged
    volume_min_history_weeks: int = 4
    volume_min_median_rows: int = 20
    # a week is complete when it ends no later than the evidence as-of plus this
    week_complete_grace_hours: int = 24

    # ----------------------------------------------------------- drift
    # A pact dimension drifts when its pass rate in the latest complete week
    # moves by more than drift_max_change from the pooled trailing weeks AND
    # the move is significant (|z| of a two-proportion test >= drift_min_z)
    # AND the week holds at least drift_min_evaluations evaluations.
    drift_max_change: float = 0.15
    drift_min_z: float = 4.0
    drift_min_evaluations: int = 30
    drift_trailing_weeks: int = 8

    # ----------------------------------------------------------- vocabulary
    # Event types the contract does not know are kept and ignored by the metrics; above this share of
    # raw.agent_logs the coverage suite warns (the export may have changed). Not blocking.
    unknown_event_types_max_share: float = 0.01

    # ----------------------------------------------------------- tolerances
    # floating-point slack when comparing Wilson bounds with the rate
    float_tolerance: float = 1e-9
    # ticket timestamps the contract does not order (created <= updated / solved / disputed), judged on
    # each ticket's current snapshot: below this share in order the run stops (swapped or mislabelled
    # columns, not a few skewed clocks) ...
    ticket_time_order_mostly: float = 0.9
    # ... and below this one it warns (raw_tickets_coverage, not blocking)
    ticket_time_order_warn_mostly: float = 0.99

    # ----------------------------------------------------------- null-rate ceilings
    null_rates: dict[str, tuple[NullRateRule, ...]] = field(
        default_factory=lambda: {
            "raw.tickets": (
                NullRateRule("solved_at of solved or closed tickets", "solved_at", 0.20,
                             "status in ('solved', 'closed')", blocking=False),
                NullRateRule("reopened_count", "reopened_count", 0.0),
            ),
            "raw.agent_logs": (
                NullRateRule("agent_version of AI case assignments", "agent_version", 0.20,
                             "actor_type = 'ai_agent' and event_type = 'case_assigned'", blocking=False),
                NullRateRule("attributes of evaluations", "attributes", 0.02, "event_type = 'evaluation'"),
                # optional in the contract: an export that never carries them is valid (the coverage
                # suite warns: no trigger is then known to require a human, and escalation compliance has
                # no cases); one that carries them on most triggers and not on a few has broken rows,
                # which hide whether a human was needed
                NullRateRule("attributes of escalation triggers, where the export carries them", "attributes",
                             0.02, "event_type = 'escalation_trigger'", when_carried=True),
                NullRateRule("attributes of escalation triggers", "attributes", 0.02,
                             "event_type = 'escalation_trigger'", blocking=False),
            ),
            "raw.incidents": (
                NullRateRule("agent_id", "agent_id", 0.75, blocking=False),
            ),
            "marts.fct_evaluations": (
                NullRateRule("passed", "passed", 0.02),
                NullRateRule("dimension", "dimension", 0.02),
                NullRateRule("agent_id", "agent_id", 0.0),
            ),
            "marts.fct_escalations": (
                NullRateRule("max_handoff_delay_seconds", "max_handoff_delay_seconds", 0.0),
            ),
        }
    )


THRESHOLDS = Thresholds()
