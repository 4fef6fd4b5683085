"""A seeded, realistic landing folder of demo data.

``generate(out_dir, tickets=N, seed=S)`` writes the three sources of the
landing contract (``tickets/``, ``agent_logs/``, ``incidents/``) plus
``_truth.json``, the planted truth that tests and the risk model are checked
against (it is not part of the contract and the loader ignores it).

What is planted
- Case types with clearly different true risk (the probability that the AI's
  handling goes wrong), each at a current autonomy tier, with small pilots at
  another mode.
- Three AI agents whose releases roll out over the window; a release can be
  slightly better or worse than the one before.
- Per case, whether the AI's handling went wrong, drawn from the case type's
  risk and nudged by a few case features (amount, sentiment, the agent's own
  confidence, release, channel). A wrong case leaves evidence (failed
  evaluations, disputes, reopens, non-compliant escalations, rejected
  suggestions, incidents); a good one leaves mostly clean evidence.
- Noise a real export has: mixed timestamp spellings, enum casing, case-type
  spellings, an extra vendor column, a changed column order, PII in free text.
- A small, exactly counted set of rows that break the contract, orphan
  events, re-delivered duplicates and one unknown event type.

Files (names are stable for given arguments; months are UTC calendar months)
- ``tickets/tickets_YYYY-MM.csv``: snapshot rows by month the case was opened; from the
  help-desk migration on (week 16) the columns come in another order.
- ``tickets/tickets_dispute_updates.parquet``: a late batch of snapshots carrying disputes
  (typed columns: timestamps as UTC ``timestamp[us]``, amounts as doubles).
- ``agent_logs/events_YYYY-MM.jsonl``: agent-platform events by month of ``occurred_at``;
  before the platform upgrade (week 10) absent optional keys are written as ``null``.
- ``agent_logs/qa_reviews_YYYY-MM.csv``: human QA evaluations (``attributes`` as a JSON string).
- ``agent_logs/events_redelivered.jsonl``: re-delivered events spelled differently, and the
  event_id conflicts (delivered last, so they are the rows quarantined).
- ``incidents/incidents.csv`` and ``incidents/incident_updates.jsonl`` (later snapshots).

``_truth.json`` (also returned by ``generate``): ``seed``, ``tickets``, ``window``;
``case_types`` -> {name: {true_risk, tier, pilots, share, tickets, ai_cases, wrong_cases,
observed_wrong_rate, autonomously_resolved, ...}}; ``agents`` -> releases with rollout dates and
risk multipliers; ``policy_versions``; ``escalations`` (cases with a required trigger by outcome);
``incidents`` (totals, ``recent_severe``); ``malformed`` -> {source: {kind: rows}} plus
``quarantined_rows`` per source; ``planted`` (each bad row's file and key); ``kept`` (orphans,
re-delivered duplicates, unknown event types: loaded, not quarantined); ``counts`` (rows and
distinct keys that load per source); ``files`` (rows per file) and ``rows`` (per source).

Same ``(tickets, seed, end_date, weeks)`` gives byte-identical files. The
data is built in chunks of tickets with numpy and Arrow string kernels and
streamed to the files, so a million tickets take well under two minutes.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

DEFAULT_TICKETS = 20_000
DEFAULT_SEED = 42
DEFAULT_END_DATE = dt.date(2026, 11, 22)
DEFAULT_WEEKS = 26
CHUNK_TICKETS = 50_000

SOURCES = ("tickets", "agent_logs", "incidents")
TRUTH_FILE = "_truth.json"
# Names this generator writes; only these are removed when a demo folder is regenerated.
_OWN_FILES = re.compile(
    r"^(tickets/tickets_\d{4}-\d{2}\.csv|tickets/tickets_dispute_updates\.parquet"
    r"|agent_logs/events_\d{4}-\d{2}\.jsonl|agent_logs/events_redelivered\.jsonl"
    r"|agent_logs/qa_reviews_\d{4}-\d{2}\.csv"
    r"|incidents/incidents\.csv|incidents/incident_updates\.jsonl)$"
)

# --------------------------------------------------------------------------- catalog

MODES = ("shadow", "triage", "suggest", "resolve")
SHADOW, TRIAGE, SUGGEST, RESOLVE = range(4)
CHANNELS = ("email", "chat", "voice", "social", "web")
CHANNEL_P = (0.30, 0.42, 0.10, 0.06, 0.12)
PRIORITIES = ("low", "normal", "high", "urgent")
STATUSES = ("new", "open", "pending", "solved", "closed")
DIMENSIONS = ("accuracy", "escalation", "tone", "policy_adherence")
VERDICTS = ("accepted", "edited", "rejected")
OUTCOMES = ("upheld", "rejected", "pending")
SEVERITIES = ("sev1", "sev2", "sev3", "sev4")
ACTOR_TYPES = ("ai_agent", "human", "customer", "system")
AI, HUMAN, CUSTOMER, SYSTEM = range(4)
EVENT_TYPES = (
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
    "sentiment_snapshot",  # not in the contract: kept by the loader, ignored by the metrics
)
(
    E_ASSIGN,
    E_CMSG,
    E_MSG,
    E_ACTION,
    E_SUG,
    E_REVIEW,
    E_TRIGGER,
    E_HANDOFF,
    E_TAKEOVER,
    E_RESOLVED,
    E_EVAL,
    E_UNKNOWN,
) = range(len(EVENT_TYPES))
TRIGGER_REASONS = (
    "customer_requested_human",
    "amount_over_limit",
    "legal_threat",
    "policy_exception",
    "low_confidence",
)
# Escalation outcomes of a case with a required trigger.
ESC_OUTCOMES = ("timely", "late", "missing", "takeover", "resolved_before_handoff")
TIMELY, LATE, MISSING, TAKEOVER, RESOLVED_FIRST = range(5)
ESC_P_OK = (0.97, 0.015, 0.007, 0.006, 0.002)
ESC_P_WRONG = (0.35, 0.20, 0.25, 0.15, 0.05)


@dataclass(frozen=True)
class CaseType:
    name: str
    share: float
    true_risk: float
    tier: str
    pilots: tuple[tuple[str, float], ...]
    agent_weights: tuple[float, float, float]
    human_only: float
    amount: tuple[float, float, float] | None  # (share with an amount, median, log-sigma)
    limit: float | None  # amount above which a human is required
    action: str
    action_share: float
    queue: str
    resolution_codes: tuple[str, str]
    subjects: tuple[str, ...]
    messages: tuple[str, ...]
    replies: tuple[str, ...]


# fmt: off
CASE_TYPES: tuple[CaseType, ...] = (
    CaseType(
        "password_reset", 0.19, 0.01, "resolve", (), (0.6, 0.1, 0.3), 0.08, None, None,
        "send_reset_link", 0.9, "account_support", ("reset_link_sent", "password_changed"),
        ("Can't log in", "Password reset not working", "Locked out of my account"),
        (
            "I can't log in, the reset email never arrives.",
            "Please reset my password, I'm locked out since this morning.",
            "The reset link says it has expired, can you send a new one?",
            "I forgot my password and the security question doesn't work.",
        ),
        ("I've sent you a fresh reset link, it is valid for 30 minutes.", "Your password reset is done, you can log in now."),
    ),
    CaseType(
        "order_status", 0.21, 0.02, "resolve", (), (0.5, 0.2, 0.3), 0.08, (0.6, 70.0, 0.7), None,
        "update_delivery_address", 0.2, "orders", ("status_provided", "tracking_shared"),
        ("Where is my order?", "Order not arrived", "Delivery status"),
        (
            "My order was due on Monday and it still hasn't arrived.",
            "Can you tell me where my parcel is? Tracking hasn't moved in days.",
            "I need to change the delivery address of my order, I'm moving.",
            "The app says delivered but I have nothing at the door.",
        ),
        ("Your parcel is with the carrier and should arrive within 2 days.", "Here is your tracking link, the order left our warehouse yesterday."),
    ),
    CaseType(
        "subscription_cancel", 0.12, 0.04, "resolve", (), (0.15, 0.6, 0.25), 0.09, (0.7, 25.0, 0.6), 150.0,
        "cancel_subscription", 0.95, "billing", ("subscription_cancelled", "retention_offer_accepted"),
        ("Cancel my subscription", "Stop auto-renewal", "Cancellation request"),
        (
            "Please cancel my subscription, I don't use it anymore.",
            "I want to stop the auto-renewal and get the unused month back.",
            "How do I cancel? I can't find the option in the settings.",
        ),
        ("Your subscription is cancelled, you keep access until the end of the period.", "Done: auto-renewal is off and the unused part is refunded."),
    ),
    CaseType(
        "account_access", 0.12, 0.07, "suggest", (("resolve", 0.10),), (0.6, 0.1, 0.3), 0.10, None, None,
        "unlock_account", 0.8, "account_support", ("access_restored", "identity_verified"),
        ("Account locked", "2FA problem", "Can't access account"),
        (
            "My account got locked after I changed phones, the 2FA code never comes.",
            "Someone changed my email address and now I can't get in.",
            "I'm locked out after too many attempts, please unlock it.",
        ),
        ("I've unlocked your account after verifying your identity.", "Your two-factor settings are reset, please set them up again."),
    ),
    CaseType(
        "shipping_damage", 0.12, 0.12, "suggest", (("resolve", 0.05),), (0.1, 0.6, 0.3), 0.10, (1.0, 90.0, 0.8), 300.0,
        "issue_replacement", 0.85, "returns", ("replacement_sent", "refund_issued"),
        ("Item arrived broken", "Damaged delivery", "Package damaged"),
        (
            "The box was crushed and the lamp inside is broken.",
            "My order arrived damaged, the screen is cracked. I want a replacement.",
            "Half of the plates in the set were shattered when I opened the parcel.",
        ),
        ("Sorry about that, a replacement is on its way at no cost.", "I've issued a refund for the damaged item."),
    ),
    CaseType(
        "billing_refund", 0.15, 0.18, "resolve", (("suggest", 0.08),), (0.1, 0.65, 0.25), 0.09, (1.0, 60.0, 0.9), 250.0,
        "refund", 0.9, "billing_tier2", ("refund_issued", "refund_denied_policy"),
        ("Refund request", "Charged twice", "Wrong amount billed"),
        (
            "I was charged twice for the same order, please refund one payment.",
            "I returned the item three weeks ago and still have no refund.",
            "You billed me for the annual plan but I chose monthly.",
            "There is a charge on my statement I don't recognise from you.",
        ),
        ("I've refunded the duplicate charge, it shows on your statement in 3-5 days.", "Your refund has been issued to the original payment method."),
    ),
    CaseType(
        "fraud_report", 0.09, 0.30, "triage", (("shadow", 0.12),), (0.05, 0.15, 0.8), 0.18, (0.8, 150.0, 1.1), 500.0,
        "freeze_card", 0.3, "fraud_ops", ("card_frozen", "fraud_case_opened"),
        ("Unauthorised purchase", "Fraud on my account", "I did not make this order"),
        (
            "There are orders on my account I never made, please stop them.",
            "Someone used my card on your site, I did not authorise this.",
            "I got a confirmation email for a purchase I didn't make.",
        ),
        ("I've frozen the card on file and opened a fraud case.", "Our fraud team is reviewing the orders, you will hear from us within 24 hours."),
    ),
)
# fmt: on
CT_NAMES = tuple(c.name for c in CASE_TYPES)
# Mean sentiment of the first message, and priority shares (low, normal, high, urgent), per case type.
SENTIMENT_MEAN = {
    "password_reset": -0.05, "order_status": -0.10, "subscription_cancel": -0.15, "account_access": -0.25,
    "shipping_damage": -0.30, "billing_refund": -0.30, "fraud_report": -0.50,
}  # fmt: skip
PRIORITY_P = {"*": (0.20, 0.55, 0.18, 0.07), "fraud_report": (0.05, 0.35, 0.35, 0.25)}
MONEY_ACTIONS = {"refund", "issue_replacement", "cancel_subscription"}

AGENT_NAMES = ("agent_support_alpha", "agent_support_beta", "agent_support_gamma")
# Per agent: releases as (week of the window the rollout starts, minor number, risk multiplier).
# The first release is already in place when the window opens.
AGENT_RELEASES = (
    ((-3, 1, 1.00), (8, 2, 0.85), (19, 1, 0.80)),
    ((-5, 2, 1.00), (11, 1, 1.30), (16, 3, 0.90)),
    ((-2, 1, 1.10), (14, 2, 0.90)),
)
ROLLOUT_DAYS = 10
POLICY_RELEASES = (-4, 10, 19)  # weeks of the window when a policy version takes effect

HUMAN_REPLIES = (
    "Thanks for your patience, I've taken care of this for you.",
    "I've looked into your case and fixed it, sorry for the trouble.",
    "Following up on your request: this is now resolved.",
)
REOPEN_TEXTS = (
    "This is still not fixed, I'm contacting you again.",
    "The problem came back, your answer did not solve it.",
    "Nothing changed since your last message, please look again.",
)
FOLLOW_UPS = (
    "Thanks, but how long will that take?",
    "Ok, and is there anything I need to do?",
    "Can you confirm by email?",
)
TAKEOVER_REASONS = ("supervisor_review", "customer_complaint", "sla_risk")
FIRST = (
    "jane",
    "john",
    "maria",
    "li",
    "ahmed",
    "sofia",
    "lukas",
    "emma",
    "noah",
    "olivia",
    "mateo",
    "chloe",
    "yuki",
    "amara",
    "jose",
    "zoe",
)
FIRST_DISPLAY = (
    "Jane",
    "John",
    "María",
    "Li",
    "Ahmed",
    "Sofía",
    "Lukas",
    "Emma",
    "Noah",
    "Olivia",
    "Mateo",
    "Chloé",
    "Yuki",
    "Amara",
    "José",
    "Zoë",
)
LAST = (
    "doe",
    "smith",
    "garcia",
    "chen",
    "khan",
    "rossi",
    "muller",
    "martin",
    "silva",
    "novak",
    "kim",
    "okafor",
    "nguyen",
    "ivanova",
    "brown",
    "lopez",
)
DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES")
LOCALE_P = (0.55, 0.15, 0.12, 0.10, 0.08)
SLA_TIERS = ("gold", "silver", "bronze")
SLA_P = (0.2, 0.45, 0.35)

TICKET_COLUMNS = (
    "ticket_id",
    "updated_at",
    "created_at",
    "channel",
    "case_type",
    "priority",
    "customer_id",
    "status",
    "solved_at",
    "subject",
    "description",
    "amount_at_stake",
    "csat_score",
    "reopened_count",
    "disputed_at",
    "dispute_outcome",
    "vendor_sla_tier",
    "locale",
)
# The help desk was migrated during the window; its later exports order the columns differently.
TICKET_COLUMNS_MIGRATED = (
    "ticket_id",
    "created_at",
    "updated_at",
    "status",
    "priority",
    "channel",
    "case_type",
    "customer_id",
    "subject",
    "description",
    "solved_at",
    "reopened_count",
    "csat_score",
    "amount_at_stake",
    "disputed_at",
    "dispute_outcome",
    "locale",
    "vendor_sla_tier",
)
EVENT_COLUMNS = (
    "event_id",
    "ticket_id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "event_type",
    "agent_version",
    "autonomy_mode",
    "confidence",
    "policy_version",
    "attributes",
)
INCIDENT_COLUMNS = (
    "incident_id",
    "updated_at",
    "started_at",
    "detected_at",
    "resolved_at",
    "severity",
    "category",
    "agent_id",
    "case_type",
    "ticket_ids",
    "customers_affected",
    "remediation_cost",
    "summary",
)

# Timestamp spellings: (separator, offset seconds, suffix) and their shares.
TS_STYLES = (
    ("T", 0, "Z"),
    ("T", 7200, "+02:00"),
    ("T", -18000, "-05:00"),
    ("T", 0, "+00:00"),
    (" ", 0, ""),
    ("T", 19800, "+05:30"),
    ("T", 0, ""),
)
TS_STYLE_P = (0.70, 0.07, 0.07, 0.03, 0.08, 0.02, 0.03)

DAY = 86_400
HOUR = 3_600


# --------------------------------------------------------------------------- Arrow helpers

_S = pa.string()


def _cat(*parts: str | pa.Array) -> pa.Array:
    """Element-wise concatenation of string arrays and constants."""
    return pc.binary_join_element_wise(*[pa.scalar(p, _S) if isinstance(p, str) else p for p in parts], "")


def _table(values: Sequence[str]) -> pa.Array:
    return pa.array(list(values), _S)


def _take(table: pa.Array, idx: np.ndarray) -> pa.Array:
    return table.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _where(mask: np.ndarray, a: pa.Array | str, b: pa.Array | str) -> pa.Array:
    a = pa.scalar(a, _S) if isinstance(a, str) else a
    b = pa.scalar(b, _S) if isinstance(b, str) else b
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), a, b)


def _const(value: str, n: int) -> pa.Array:
    return pa.array(np.full(n, value, dtype=object), _S) if n else pa.array([], _S)


def _json_str(text: pa.Array) -> pa.Array:
    """A JSON string literal of texts that hold no quotes or backslashes (only line breaks are escaped)."""
    return _cat('"', pc.replace_substring(text, "\n", "\\n"), '"')


def _csv_field(text: pa.Array) -> pa.Array:
    needs = pc.match_substring_regex(text, '[",\n\r]')
    quoted = _cat('"', pc.replace_substring(text, '"', '""'), '"')
    return pc.if_else(needs, quoted, text)


def _lines_bytes(lines: pa.Array, start: int, stop: int) -> memoryview:
    """The bytes of lines[start:stop] (each ends with a newline), straight from the Arrow buffer."""
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4)
    return memoryview(lines.buffers()[2])[offsets[start] : offsets[stop]]


def _noisy(word: str) -> tuple[str, ...]:
    return (word, word.upper(), word.capitalize(), f" {word} ")


def _ct_spellings(name: str) -> tuple[str, ...]:
    words = name.split("_")
    return (
        name,
        " ".join(w.capitalize() for w in words),
        f" {'-'.join(words)} ",
        name.upper(),
        "-".join(w.capitalize() for w in words),
    )


class _Formats:
    """Lookup tables that turn integers into strings with Arrow `take` (fast and exact)."""

    def __init__(self, first_day: int, last_day: int) -> None:
        self.first_day = first_day
        days = np.arange(first_day, last_day + 1).astype("datetime64[D]")
        self.dates = _table(np.datetime_as_string(days).tolist())
        self.tod = _table([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(DAY)])
        self.sep = _table([s[0] for s in TS_STYLES])
        self.suffix = _table([s[2] for s in TS_STYLES])
        self.offset = np.array([s[1] for s in TS_STYLES], dtype=np.int64)
        self.unit3 = _table([repr(round(i / 1000, 3)) for i in range(1001)])
        self.signed2 = _table([repr(round(i / 100, 2)) for i in range(-100, 101)])
        self.two = _table([f"{i:02d}" for i in range(100)])

    def ts(self, secs: np.ndarray, style: np.ndarray) -> pa.Array:
        local = secs + self.offset[style]
        day = local // DAY - self.first_day
        if len(day) and (day.min() < 0 or day.max() >= len(self.dates)):
            raise ValueError("timestamp outside the generator's calendar")
        return _cat(
            _take(self.dates, day),
            _take(self.sep, style),
            _take(self.tod, local % DAY),
            _take(self.suffix, style),
        )

    def ts_opt(self, secs: np.ndarray, style: np.ndarray) -> pa.Array:
        """Like ts, with an empty string where secs < 0 (no value)."""
        has = secs >= 0
        return _where(has, self.ts(np.where(has, secs, (self.first_day + 1) * DAY), style), "")

    def frac3(self, x: np.ndarray) -> pa.Array:
        return _take(self.unit3, np.clip(np.rint(np.asarray(x) * 1000), 0, 1000).astype(np.int64))

    def sent2(self, x: np.ndarray) -> pa.Array:
        return _take(self.signed2, np.clip(np.rint(np.asarray(x) * 100), -100, 100).astype(np.int64) + 100)

    def money(self, cents: np.ndarray) -> pa.Array:
        cents = np.asarray(cents, dtype=np.int64)
        return _cat(pc.cast(pa.array(cents // 100), _S), ".", _take(self.two, cents % 100))

    @staticmethod
    def ints(x: np.ndarray) -> pa.Array:
        return pc.cast(pa.array(np.asarray(x, dtype=np.int64)), _S)


def _padded(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    return _cat(
        prefix,
        pc.utf8_lpad(pc.cast(pa.array(np.asarray(numbers, dtype=np.int64)), _S), width=width, padding="0"),
    )


def _pick(rng: np.random.Generator, probs: Sequence[float], n: int) -> np.ndarray:
    cum = np.cumsum(np.asarray(probs, dtype=float))
    cum /= cum[-1]
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _pick_rows(rng: np.random.Generator, matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw: row i uses the probabilities matrix[rows[i]]."""
    cum = np.cumsum(matrix, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(len(rows))
    return np.minimum((u[:, None] >= cum[rows]).sum(axis=1), matrix.shape[1] - 1)


def _uniform(rng: np.random.Generator, lo: float, hi: float, n: int) -> np.ndarray:
    return rng.integers(int(lo), int(hi) + 1, n, dtype=np.int64)


def _noise_idx(rng: np.random.Generator, n: int, variants: int, share: float) -> np.ndarray:
    """0 (the canonical spelling) for most rows, another variant for `share` of them."""
    other = rng.random(n) < share
    return np.where(other, rng.integers(1, variants, n), 0)


def _luhn_pool(rng: np.random.Generator, size: int) -> list[str]:
    pool = ["4111 1111 1111 1111", "5555-5555-5555-4444"]
    while len(pool) < size:
        digits = [int(rng.choice([4, 5]))] + [int(d) for d in rng.integers(0, 10, 14)]
        total = 0
        for i, d in enumerate(reversed(digits)):
            if i % 2 == 0:
                d *= 2
                d -= 9 if d > 9 else 0
            total += d
        digits.append((10 - total % 10) % 10)
        s = "".join(map(str, digits))
        sep = " " if len(pool) % 3 else "-"
        pool.append(sep.join(s[i : i + 4] for i in range(0, 16, 4)))
    return pool


# --------------------------------------------------------------------------- output files


class _Files:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.handles: dict[str, object] = {}
        self.rows: dict[str, int] = {}

    def write(self, rel: str, data: bytes | memoryview, nrows: int, header: bytes | None = None) -> None:
        handle = self.handles.get(rel)
        if handle is None:
            path = self.root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "wb")  # noqa: SIM115 - kept open while chunks stream in
            self.handles[rel] = handle
            self.rows[rel] = 0
            if header:
                handle.write(header)
        handle.write(data)
        self.rows[rel] += int(nrows)

    def close(self) -> None:
        for handle in self.handles.values():
            handle.close()


def _month_key(secs: np.ndarray) -> np.ndarray:
    """yyyymm (UTC) of epoch seconds."""
    months = secs.astype("datetime64[s]").astype("datetime64[M]").astype(np.int64)
    return (months // 12 + 1970) * 100 + months % 12 + 1


def _month_name(key: int) -> str:
    return f"{key // 100:04d}-{key % 100:02d}"


# --------------------------------------------------------------------------- the generator


class _Generator:
    def __init__(
        self, root: Path, n_tickets: int, seed: int, end_date: dt.date, weeks: int, progress: bool
    ) -> None:
        self.root = root
        self.n = n_tickets
        self.seed = seed
        self.progress = progress
        self.end_date = end_date
        self.weeks = weeks
        start_date = end_date - dt.timedelta(days=7 * weeks - 1)
        self.start = int(
            dt.datetime(start_date.year, start_date.month, start_date.day, tzinfo=dt.UTC).timestamp()
        )
        self.cutoff = self.start + 7 * weeks * DAY  # export time: the day after end_date, 00:00 UTC
        self.fmt = _Formats(self.start // DAY - 60, self.cutoff // DAY + 30)
        self.files = _Files(root)
        self.grng = np.random.default_rng([seed, 0x5EED])
        self.id_width = max(7, len(str(n_tickets + 1000)))

        self._setup_time()
        self._setup_catalog()
        self._setup_text()

        self.malformed: dict[str, dict[str, int]] = {s: {} for s in SOURCES}
        self.planted: list[dict] = []
        self.kept = {
            "orphan_events": 0,
            "orphan_tickets": 0,
            "redelivered_duplicates": 0,
            "unknown_event_type": 0,
        }
        # per case type: tickets, AI-handled, wrong, autonomously resolved, of those wrong, human only
        self.ct_stats = np.zeros((len(CASE_TYPES), 6), dtype=np.int64)
        self.esc_stats = np.zeros(len(ESC_OUTCOMES), dtype=np.int64)
        self.mode_stats = np.zeros((len(CASE_TYPES), len(MODES)), dtype=np.int64)
        self.incident_seeds: list[dict[str, np.ndarray]] = []
        self.latest_wrong: dict[int, tuple] = {}
        self.dispute_batch: list[pa.Table] = []
        self.redelivery: list[pa.Array] = []
        self.events_kept_distinct = 0

    # ----------------------------------------------------------------- setup

    def _setup_time(self) -> None:
        hours = np.arange(7 * self.weeks * 24)
        when = self.start + hours * HOUR
        dow = ((when // DAY) + 3) % 7  # 0 = Monday
        hod = (when // HOUR) % 24
        dow_w = np.array([1.22, 1.15, 1.10, 1.06, 1.0, 0.62, 0.55])[dow]
        hod_w = 0.25 + np.exp(-0.5 * ((hod - 15) / 4.0) ** 2) + 0.35 * np.exp(-0.5 * ((hod - 21) / 2.0) ** 2)
        frac = hours / len(hours)
        growth = 1.0 + 0.35 * frac
        bump = 1.0 + 0.3 * np.exp(-0.5 * ((frac - 0.7) / 0.02) ** 2)  # a busy week (a promotion)
        weight = dow_w * hod_w * growth * bump
        weight[-1] *= 0.5  # the export runs at midnight; keep the last hour quiet
        self.hour_cdf = np.cumsum(weight) / weight.sum()
        self.hour_w = weight / weight.sum()

    def _week_time(self, week: float) -> int:
        return self.start + int(week * 7 * DAY)

    def _setup_catalog(self) -> None:
        cts = CASE_TYPES
        self.ct_share = np.array([c.share for c in cts])
        self.ct_risk = np.array([c.true_risk for c in cts])
        self.ct_agent_w = np.array([c.agent_weights for c in cts])
        self.ct_human_only = np.array([c.human_only for c in cts])
        self.ct_limit = np.array([c.limit if c.limit is not None else np.inf for c in cts])
        self.ct_action_share = np.array([c.action_share for c in cts])
        self.ct_money = np.array([c.amount is not None for c in cts])
        self.ct_amount = np.array([c.amount if c.amount else (0.0, 1.0, 0.1) for c in cts])
        # mean confidence falls with risk; the agent is somewhat aware of hard cases
        self.ct_conf_mean = 0.93 - 0.9 * self.ct_risk
        self.ct_sent_mean = np.array([SENTIMENT_MEAN.get(c.name, -0.2) for c in cts])
        self.ct_priority_p = np.array([PRIORITY_P.get(c.name, PRIORITY_P["*"]) for c in cts])
        pilot = np.zeros((len(cts), len(MODES)))
        for i, c in enumerate(cts):
            rest = 1.0
            for mode, share in c.pilots:
                pilot[i, MODES.index(mode)] += share
                rest -= share
            pilot[i, MODES.index(c.tier)] += rest
        self.ct_mode_p = pilot

        # agent releases -> flat tables
        names, mults, starts = [], [], []
        self.agent_release_idx: list[list[int]] = []
        for releases in AGENT_RELEASES:
            idxs = []
            for week, minor, mult in releases:
                t = self._week_time(week)
                day = dt.datetime.fromtimestamp(t, dt.UTC)
                names.append(f"{day.year}.{day.month:02d}.{minor}")
                mults.append(mult)
                starts.append(t)
                idxs.append(len(names) - 1)
            self.agent_release_idx.append(idxs)
        self.versions = _table(names)
        self.version_names = names
        self.version_mult = np.array(mults)
        self.version_start = np.array(starts, dtype=np.int64)
        pol = []
        self.policy_start = []
        for week in POLICY_RELEASES:
            t = self._week_time(week)
            day = dt.datetime.fromtimestamp(t, dt.UTC)
            pol.append(f"policy-{day.year}.{day.month:02d}")
            self.policy_start.append(t)
        self.policies = _table(pol)
        self.policy_names = pol
        self.policy_start = np.array(self.policy_start, dtype=np.int64)
        self.platform_v2 = self._week_time(10)  # agent platform upgrade: later exports omit null keys
        self.helpdesk_migration_month = int(_month_key(np.array([self._week_time(16)]))[0])

        self.agents = _table(AGENT_NAMES)
        self.actor_type_tab = _table([v for a in ACTOR_TYPES for v in _noisy(a)])
        self.event_type_tab = _table([v for e in EVENT_TYPES for v in (e, e.upper(), e.title())])
        self.mode_tab = _table([v for m in MODES for v in _noisy(m)])
        self.channel_tab = _table([v for c in CHANNELS for v in _noisy(c)])
        self.priority_tab = _table([v for p in PRIORITIES for v in _noisy(p)])
        self.status_tab = _table([v for s in STATUSES for v in _noisy(s)])
        self.ct_tab = _table([v for c in CT_NAMES for v in _ct_spellings(c)])
        self.n_humans = int(min(2000, 120 + self.n // 2000))
        self.humans = _padded("hu_", np.arange(self.n_humans), 4)
        self.qa = _padded("qa_", np.arange(1, 25), 2)
        self.n_customers = max(500, int(self.n * 0.75))

    def _setup_text(self) -> None:
        def flat(attr: str) -> tuple[pa.Array, np.ndarray, np.ndarray]:
            values, first, count = [], [], []
            for c in CASE_TYPES:
                items = getattr(c, attr)
                first.append(len(values))
                count.append(len(items))
                values.extend(items)
            return _table(values), np.array(first), np.array(count)

        self.subjects = flat("subjects")
        self.messages = flat("messages")
        self.replies = flat("replies")
        self.queues = _table([c.queue for c in CASE_TYPES])
        self.actions = _table([c.action for c in CASE_TYPES])
        self.res_codes = _table([code for c in CASE_TYPES for code in c.resolution_codes])
        self.human_replies = _table(HUMAN_REPLIES)
        self.reopen_texts = _table(REOPEN_TEXTS)
        self.follow_ups = _table(FOLLOW_UPS)
        self.first = _table(FIRST)
        self.first_display = _table(FIRST_DISPLAY)
        self.last = _table(LAST)
        self.last_display = _table([x.capitalize() for x in LAST])
        self.domains = _table(DOMAINS)
        self.cards = _table(_luhn_pool(self.grng, 40))
        self.locales = _table(LOCALES)
        self.sla = _table(SLA_TIERS)
        self.trigger_reasons = _table(TRIGGER_REASONS)
        self.takeover_reasons = _table(TAKEOVER_REASONS)
        self.dims = _table(DIMENSIONS)
        self.verdicts = _table(VERDICTS)
        self.outcomes = _table(OUTCOMES)
        self.pacts = _table(
            [
                f"pact-{c}-{d}-v{1 + (i + j) % 2}"
                for i, c in enumerate(CT_NAMES)
                for j, d in enumerate(DIMENSIONS)
            ]
        )

    # ----------------------------------------------------------------- PII

    def _pii(self, rng: np.random.Generator, n: int) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
        """Emails, phone numbers, card numbers and display names (all fictional)."""
        f = rng.integers(0, len(FIRST), n)
        last = rng.integers(0, len(LAST), n)
        email = _cat(
            _take(self.first, f),
            _take(_table((".", "_", "")), rng.integers(0, 3, n)),
            _take(self.last, last),
            "@",
            _take(self.domains, rng.integers(0, len(DOMAINS), n)),
        )
        us = _cat("+1 415 555 01", _take(self.fmt.two, rng.integers(0, 100, n)))
        uk = _cat(
            "+44 20 7946 0", pc.utf8_lpad(self.fmt.ints(rng.integers(0, 1000, n)), width=3, padding="0")
        )
        phone = _where(rng.random(n) < 0.7, us, uk)
        card = _take(self.cards, rng.integers(0, len(self.cards), n))
        name = _cat(_take(self.first_display, f), " ", _take(self.last_display, last))
        return email, phone, card, name

    def _with_pii(self, rng: np.random.Generator, text: pa.Array, share: float) -> pa.Array:
        n = len(text)
        kind = np.where(rng.random(n) < share, rng.integers(1, 5, n), 0)
        if not kind.any():
            return text
        email, phone, card, name = self._pii(rng, n)
        suffix = _where(kind == 1, _cat(" My email is ", email, "."), "")
        suffix = pc.if_else(pa.array(kind == 2), _cat(" You can call me on ", phone, "."), suffix)
        suffix = pc.if_else(pa.array(kind == 3), _cat(" The charge was on card ", card, "."), suffix)
        suffix = pc.if_else(pa.array(kind == 4), _cat(" Regards, ", name), suffix)
        return _cat(text, suffix)

    # ----------------------------------------------------------------- one chunk

    def run(self) -> dict:
        n_chunks = max(1, math.ceil(self.n / CHUNK_TICKETS))
        bar = None
        if self.progress:
            from tqdm import tqdm

            bar = tqdm(total=self.n, unit="ticket", desc="demo data", file=sys.stderr, leave=False)
        try:
            for k in range(n_chunks):
                lo, hi = k * CHUNK_TICKETS, min(self.n, (k + 1) * CHUNK_TICKETS)
                self._chunk(k, lo, hi)
                if bar is not None:
                    bar.update(hi - lo)
            self._write_extras()
            self._write_redelivery()
            self._write_dispute_batch()
            incidents = self._write_incidents()
        finally:
            if bar is not None:
                bar.close()
            self.files.close()
        return self._truth(incidents)

    def _chunk(self, k: int, lo: int, hi: int) -> None:
        rng = np.random.default_rng([self.seed, k, 0xC4A5E])
        n = hi - lo
        tnum = np.arange(lo, hi, dtype=np.int64) + 1
        tid = _padded("TCK-", tnum, self.id_width)
        f = self.fmt

        # ---- when the case is opened: invert the cumulative arrival intensity
        u = (np.arange(lo, hi) + rng.random(n)) / self.n
        hour = np.minimum(np.searchsorted(self.hour_cdf, u, side="right"), len(self.hour_cdf) - 1)
        prev = np.where(hour > 0, self.hour_cdf[np.maximum(hour - 1, 0)], 0.0)
        within = np.clip((u - prev) / self.hour_w[hour], 0, 0.9999)
        t0 = self.start + hour * HOUR + (within * HOUR).astype(np.int64)
        t0 = np.minimum(t0, self.cutoff - 2 * HOUR)

        # ---- case features
        ct = _pick(rng, self.ct_share, n)
        channel = _pick(rng, CHANNEL_P, n)
        priority = _pick_rows(rng, self.ct_priority_p, ct)
        customer = (self.n_customers * rng.random(n) ** 1.6).astype(np.int64) + 1
        human_only = rng.random(n) < self.ct_human_only[ct]
        ai = ~human_only
        mode = np.where(ai, _pick_rows(rng, self.ct_mode_p, ct), -1)
        agent = _pick_rows(rng, self.ct_agent_w, ct)
        # release in use: each later release ramps up over ROLLOUT_DAYS from its start
        version = np.zeros(n, dtype=np.int64)
        uv = rng.random(n)
        for a, idxs in enumerate(self.agent_release_idx):
            sel = agent == a
            v = np.full(sel.sum(), idxs[0])
            for r in idxs[1:]:
                ramp = np.clip((t0[sel] - self.version_start[r]) / (ROLLOUT_DAYS * DAY), 0, 1)
                v = np.where(uv[sel] < ramp, r, v)
            version[sel] = v
        policy = np.searchsorted(self.policy_start, t0, side="right") - 1
        has_amount = self.ct_money[ct] & (rng.random(n) < self.ct_amount[ct, 0])
        log_amt = np.log(self.ct_amount[ct, 1]) + self.ct_amount[ct, 2] * rng.standard_normal(n)
        amount_c = np.where(has_amount, np.maximum(100, np.rint(np.exp(log_amt) * 100)).astype(np.int64), -1)
        sentiment = np.round(np.clip(self.ct_sent_mean[ct] + 0.45 * rng.standard_normal(n), -1, 1), 2)
        requested_human = rng.random(n) < (0.04 + 0.12 * (sentiment < -0.5))
        cm = self.ct_conf_mean[ct]
        conf = np.round(np.clip(rng.beta(cm * 20, (1 - cm) * 20), 0.05, 0.999), 3)

        # ---- did the AI's handling go wrong?
        z_amt = np.where(has_amount, (log_amt - np.log(self.ct_amount[ct, 1])) / self.ct_amount[ct, 2], 0.0)
        logit = (
            np.log(self.ct_risk[ct] / (1 - self.ct_risk[ct]))
            + 0.35 * z_amt
            - 0.6 * (sentiment - self.ct_sent_mean[ct])
            - 3.0 * (conf - cm)
            + np.log(self.version_mult[version])
            + np.array([0.0, -0.05, 0.25, 0.15, 0.0])[channel]
        )
        p_wrong = 1 / (1 + np.exp(-logit))
        wrong = ai & (rng.random(n) < p_wrong)

        is_res = mode == RESOLVE
        is_sug = mode == SUGGEST
        is_tri = mode == TRIAGE
        is_sha = mode == SHADOW

        # ---- escalation triggers
        over_limit = has_amount & (amount_c / 100 > self.ct_limit[ct])
        legal = rng.random(n) < (0.004 + 0.02 * (sentiment < -0.7))
        missed_rule = wrong & (rng.random(n) < 0.3)
        random_rule = rng.random(n) < 0.02
        has_req = ai & ~is_sha & (requested_human | over_limit | legal | missed_rule | random_rule)
        req_reason = np.select([requested_human, legal, over_limit], [0, 2, 1], 3)
        esc = np.where(has_req, np.where(wrong, _pick(rng, ESC_P_WRONG, n), _pick(rng, ESC_P_OK, n)), -1)
        esc = np.where((esc == RESOLVED_FIRST) & ~is_res, TIMELY, esc)
        esc_bad = has_req & (esc != TIMELY)
        low_conf = ai & (conf < 0.6) & (rng.random(n) < 0.7)
        nonreq = ai & (low_conf | (rng.random(n) < 0.02))
        nonreq_reason = np.where(low_conf, 4, 3)

        # ---- the timeline (epoch seconds; -1 = did not happen)
        NONE = np.full(n, -1, dtype=np.int64)
        t_cm1 = t0 + _uniform(rng, 0, 5, n)
        t_asg = np.where(ai, t0 + _uniform(rng, 3, 90, n), NONE)
        t_msg1 = np.where(ai & is_res, t_asg + _uniform(rng, 15, 240, n), NONE)
        T = np.where(is_tri, t_asg + _uniform(rng, 1, 60, n), t_asg + _uniform(rng, 20, 600, n))
        delay = _uniform(rng, 0, 300, n)
        edge = rng.random(n)
        delay = np.where(edge < 0.02, 300, np.where(edge < 0.03, 0, delay))
        late_delay = np.where(edge < 0.02, 301, _uniform(rng, 301, 7200, n))
        t_ho = NONE.copy()
        t_to = NONE.copy()
        ho_reason = np.full(n, -1)  # index into TRIGGER_REASONS, or 5 out_of_scope, 6 triage_routing
        sel = has_req & (esc == TIMELY)
        t_ho[sel] = (T + delay)[sel]
        sel = has_req & (esc == LATE)
        t_ho[sel] = (T + late_delay)[sel]
        ho_reason[has_req & ((esc == TIMELY) | (esc == LATE))] = req_reason[
            has_req & ((esc == TIMELY) | (esc == LATE))
        ]
        sel = has_req & (esc == TAKEOVER)
        t_to[sel] = (T + _uniform(rng, 60, 3600, n))[sel]
        # triage: the AI always routes the case to a human queue
        t_route = t_asg + _uniform(rng, 5, 120, n)
        sel = ai & is_tri & ~(has_req & ((esc == TIMELY) | (esc == LATE) | (esc == TAKEOVER)))
        t_ho[sel] = t_route[sel]
        ho_reason[sel] = 6
        T = np.where(is_tri & has_req & (esc == MISSING), t_route + _uniform(rng, 60, 1800, n), T)
        # resolve mode without a required trigger: some hand-offs and takeovers anyway
        plain = ai & is_res & ~has_req
        r = rng.random(n)
        sel = plain & (r < 0.05)
        t_ho[sel] = (t_msg1 + _uniform(rng, 30, 900, n))[sel]
        ho_reason[sel] = 5
        sel = plain & (r >= 0.05) & (r < 0.065)
        t_to[sel] = (t_msg1 + _uniform(rng, 60, 3600, n))[sel]
        # the AI resolves on its own
        auto = ai & is_res & (t_ho < 0) & (t_to < 0)
        auto |= ai & is_res & has_req & (esc == RESOLVED_FIRST)
        cm2 = auto & ~(has_req & ((esc == MISSING) | (esc == RESOLVED_FIRST))) & (rng.random(n) < 0.2)
        t_cm2 = np.where(cm2, t_msg1 + _uniform(rng, 60, 1800, n), NONE)
        t_msg2 = np.where(cm2, t_cm2 + _uniform(rng, 10, 120, n), NONE)
        t_last = np.maximum(t_msg1, t_msg2)
        t_res_ai = np.where(auto, t_last + _uniform(rng, 20, 900, n), NONE)
        sel = auto & has_req & (esc == MISSING)
        t_res_ai[sel] = np.maximum(t_res_ai, T + _uniform(rng, 30, 1200, n))[sel]
        sel = auto & has_req & (esc == RESOLVED_FIRST)
        T[sel] = (t_msg1 + _uniform(rng, 5, 60, n))[sel]
        t_res_ai[sel] = (T + _uniform(rng, 10, 100, n))[sel]
        t_ho[sel] = (T + _uniform(rng, 120, 290, n))[sel]
        ho_reason[sel] = req_reason[sel]
        ai_action = auto & (rng.random(n) < self.ct_action_share[ct])
        t_act_ai = np.where(ai_action, np.maximum(t_asg + 2, t_res_ai - _uniform(rng, 5, 300, n)), NONE)

        # suggest mode: the AI drafts, a human reviews and sends
        sug_flow = ai & is_sug & (t_ho < 0) & (t_to < 0)
        t_sug = np.where(sug_flow, t_asg + _uniform(rng, 20, 300, n), NONE)
        t_rev = np.where(sug_flow, t_sug + _uniform(rng, 120, 4 * HOUR, n), NONE)
        verdict = np.where(wrong, _pick(rng, (0.10, 0.35, 0.55), n), _pick(rng, (0.75, 0.20, 0.05), n))

        # human flow: after a hand-off, a takeover, in shadow mode, or without any AI
        wait_lo = np.array([HOUR, 600, 300, 60])[priority]
        wait_hi = np.array([12 * HOUR, 4 * HOUR, HOUR, 900])[priority]
        wait = (wait_lo + rng.random(n) * (wait_hi - wait_lo)).astype(np.int64)
        hstart = np.where(t_ho >= 0, t_ho, np.where(t_to >= 0, t_to, NONE))
        hstart = np.where(human_only, t0 + wait, np.where(hstart >= 0, hstart + wait // 4, hstart))
        hstart = np.where(ai & is_sha, t_asg + _uniform(rng, 30, 600, n) + wait // 4, hstart)
        hflow = hstart >= 0
        t_hasg = np.where(hflow, hstart, NONE)
        base = np.where(sug_flow, t_rev, t_hasg)
        has_hmsg = hflow | sug_flow
        t_hmsg = np.where(has_hmsg, base + _uniform(rng, 10, 900, n), NONE)
        h_action = has_hmsg & (rng.random(n) < 0.8 * self.ct_action_share[ct])
        t_hact = np.where(h_action, t_hmsg + _uniform(rng, 30, 600, n), NONE)
        t_hres = np.where(has_hmsg, np.maximum(t_hmsg, t_hact) + _uniform(rng, 60, HOUR, n), NONE)
        human = rng.integers(0, self.n_humans, n)
        t_res = np.where(t_hres >= 0, t_hres, t_res_ai)

        # reopen, dispute
        p_reopen = np.select([auto & wrong, auto, wrong, human_only], [0.35, 0.025, 0.12, 0.04], 0.025)
        reopen = rng.random(n) < p_reopen
        t_reopen = np.where(reopen, t_res + _uniform(rng, HOUR, 5 * DAY, n), NONE)
        h2 = rng.integers(0, self.n_humans, n)
        t_r_asg = np.where(reopen, t_reopen + _uniform(rng, 300, 6 * HOUR, n), NONE)
        t_r_msg = np.where(reopen, t_r_asg + _uniform(rng, 60, 1800, n), NONE)
        t_res2 = np.where(reopen, t_r_msg + _uniform(rng, 600, 2 * DAY, n), NONE)
        t_final = np.where(reopen, t_res2, t_res)
        p_dispute = np.select([auto & wrong, auto, wrong], [0.40, 0.015, 0.03], 0.005)
        disputed = rng.random(n) < p_dispute
        t_disp = np.where(disputed, t_final + _uniform(rng, 2 * HOUR, 20 * DAY, n), NONE)
        disputed &= t_disp < self.cutoff - 2 * HOUR
        t_disp = np.where(disputed, t_disp, NONE)
        recent = t_disp > self.cutoff - 7 * DAY
        outcome = np.where(wrong, _pick(rng, (0.60, 0.15, 0.25), n), _pick(rng, (0.10, 0.70, 0.20), n))
        outcome = np.where(recent & (rng.random(n) < 0.8), 2, outcome)

        # evaluations target the AI's own part of the case
        t_ai_end = np.select(
            [auto, t_ho >= 0, t_to >= 0, sug_flow], [t_res_ai, t_ho, t_to, t_sug], t_asg + 600
        )
        cover = np.select([is_res, is_sug, is_tri, is_sha], [0.40, 0.34, 0.30, 0.50], 0.0) + 0.1 * wrong
        evaluated = ai & (rng.random(n) < cover)

        # ---- stats for the truth file
        np.add.at(self.ct_stats[:, 0], ct, 1)
        np.add.at(self.ct_stats[:, 1], ct, ai)
        np.add.at(self.ct_stats[:, 2], ct, wrong)
        auto_seen = auto & (t_res_ai < self.cutoff)
        np.add.at(self.ct_stats[:, 3], ct, auto_seen)
        np.add.at(self.ct_stats[:, 4], ct, auto_seen & wrong)
        np.add.at(self.ct_stats[:, 5], ct, human_only)
        np.add.at(self.mode_stats, (ct[ai], mode[ai]), 1)
        np.add.at(self.esc_stats, esc[has_req], 1)

        # ---- incident seeds: some wrong cases become incidents
        p_inc = np.array([0.0, 0.03, 0.015, 0.07])[np.maximum(mode, 0)]
        seed_sel = wrong & (rng.random(n) < p_inc)
        t_harm = np.where(auto, np.where(t_act_ai >= 0, t_act_ai, t_res_ai), np.where(has_req, T, t_ai_end))
        self.incident_seeds.append(
            {
                "tnum": tnum[seed_sel],
                "ct": ct[seed_sel],
                "agent": agent[seed_sel],
                "t": t_harm[seed_sel],
                "amount": amount_c[seed_sel],
                "esc_bad": esc_bad[seed_sel],
                "auto": auto[seed_sel],
                "action": ai_action[seed_sel],
            }
        )
        for c in range(len(CASE_TYPES)):
            idx = np.nonzero(wrong & (ct == c) & (t_harm < self.cutoff - DAY))[0]
            if len(idx):
                i = idx[np.argmax(t_harm[idx])]
                prev_best = self.latest_wrong.get(c)
                if prev_best is None or t_harm[i] > prev_best[2]:
                    self.latest_wrong[c] = (int(tnum[i]), int(agent[i]), int(t_harm[i]), int(amount_c[i]))

        # ---- texts
        msg_i = self.messages[1][ct] + (rng.random(n) * self.messages[2][ct]).astype(np.int64)
        text1 = self._with_pii(rng, _take(self.messages[0], msg_i), 0.06)
        subj_i = self.subjects[1][ct] + (rng.random(n) * self.subjects[2][ct]).astype(np.int64)
        subject = _take(self.subjects[0], subj_i)
        pii_subj = rng.random(n) < 0.015
        if pii_subj.any():
            email = self._pii(rng, n)[0]
            subject = _where(pii_subj, _cat(subject, " - ", email), subject)
        signed = rng.random(n) < 0.03
        description = _where(
            signed,
            _cat(text1, "\n\nThanks,\n", _take(self.first_display, rng.integers(0, len(FIRST), n))),
            text1,
        )

        case = SimpleNamespace(
            n=n, tnum=tnum, tid=tid, t0=t0, ct=ct, channel=channel, priority=priority, customer=customer,
            subject=subject, description=description, amount_c=amount_c, t_cm1=t_cm1, t_res=t_res,
            reopen=reopen, t_reopen=t_reopen, t_res2=t_res2, disputed=disputed, t_disp=t_disp,
            outcome=outcome, wrong=wrong,
        )  # fmt: skip
        self._tickets(rng, k, case)

        # ---- events
        ev = _Events(tid, mode, version, policy, conf)
        agent_ids = _take(self.agents, agent)
        human_ids = _take(self.humans, human)
        cust_ids = _padded("CUST-", customer, 7)
        bools = _table(("false", "true"))

        def at(ix: np.ndarray, arr: pa.Array) -> pa.Array:
            return _take(arr, ix) if isinstance(arr, pa.Array) else arr

        # first customer message (opens the case)
        ix = np.arange(n)
        ev.add(
            E_CMSG,
            ix,
            t_cm1,
            CUSTOMER,
            cust_ids,
            _cat(
                '{"text": ',
                _json_str(text1),
                ', "sentiment": ',
                f.sent2(sentiment),
                ', "requested_human": ',
                _take(bools, requested_human.astype(np.int64)),
                "}",
            ),
        )
        # assignment to the AI agent; the mode is in the column, in attributes, or both
        ix = np.nonzero(ai)[0]
        m = len(ix)
        where_mode = rng.random(m)
        mode_in_attr = where_mode < 0.75
        mode_col = where_mode >= 0.15
        mode_s = _take(_table(MODES), mode[ix])
        attrs = _where(mode_in_attr, _cat('{"mode": "', mode_s, '"}'), "")
        ev.add(E_ASSIGN, ix, t_asg, AI, at(ix, agent_ids), attrs, ai=True, conf=True, mode_col=mode_col)
        # AI conversation in resolve mode
        ix = np.nonzero(t_msg1 >= 0)[0]
        rep_i = self.replies[1][ct[ix]] + (rng.random(len(ix)) * self.replies[2][ct[ix]]).astype(np.int64)
        reply = self._with_pii(rng, _take(self.replies[0], rep_i), 0.02)
        ev.add(E_MSG, ix, t_msg1, AI, at(ix, agent_ids), _cat('{"text": ', _json_str(reply), "}"), ai=True)
        ix = np.nonzero(cm2)[0]
        s2 = np.round(np.clip(sentiment[ix] + 0.2 * rng.standard_normal(len(ix)), -1, 1), 2)
        ev.add(
            E_CMSG,
            ix,
            t_cm2,
            CUSTOMER,
            at(ix, cust_ids),
            _cat(
                '{"text": ',
                _json_str(_take(self.follow_ups, rng.integers(0, 3, len(ix)))),
                ', "sentiment": ',
                f.sent2(s2),
                ', "requested_human": false}',
            ),
        )
        ev.add(
            E_MSG,
            ix,
            t_msg2,
            AI,
            at(ix, agent_ids),
            _cat('{"text": ', _json_str(_take(self.replies[0], self.replies[1][ct[ix]])), "}"),
            ai=True,
        )
        # actions on the account
        for flag, t_act, actor, ids in (
            (ai_action, t_act_ai, AI, agent_ids),
            (h_action, t_hact, HUMAN, human_ids),
        ):
            ix = np.nonzero(flag)[0]
            act = _take(self.actions, ct[ix])
            amt = amount_c[ix]
            if actor == AI:  # a wrong automated refund sometimes pays out twice
                amt = np.where(wrong[ix] & (rng.random(len(ix)) < 0.3), amt * 2, amt)
            money = (amt >= 0) & np.isin(
                ct[ix], [i for i, c in enumerate(CASE_TYPES) if c.action in MONEY_ACTIONS]
            )
            amount_part = _where(money, _cat(', "amount": ', f.money(np.maximum(amt, 0))), "")
            ev.add(
                E_ACTION,
                ix,
                t_act,
                actor,
                at(ix, ids),
                _cat('{"action": "', act, '"', amount_part, "}"),
                ai=actor == AI,
                conf=actor == AI,
            )
        # resolutions
        code_i = 2 * ct + (wrong & (rng.random(n) < 0.5)).astype(np.int64)
        ix = np.nonzero(auto)[0]
        ev.add(
            E_RESOLVED,
            ix,
            t_res_ai,
            AI,
            at(ix, agent_ids),
            _cat('{"resolution_code": "', _take(self.res_codes, code_i[ix]), '"}'),
            ai=True,
            conf=True,
        )
        ix = np.nonzero(t_hres >= 0)[0]
        ev.add(
            E_RESOLVED,
            ix,
            t_hres,
            HUMAN,
            at(ix, human_ids),
            _cat('{"resolution_code": "', _take(self.res_codes, 2 * ct[ix]), '"}'),
        )
        # escalation triggers
        detector = _table(("intent_detector", "policy_engine", "intent_detector", "policy_engine"))
        ix = np.nonzero(has_req)[0]
        ev.add(
            E_TRIGGER,
            ix,
            T,
            SYSTEM,
            _take(detector, req_reason[ix]),
            _cat('{"reason": "', _take(self.trigger_reasons, req_reason[ix]), '", "required": true}'),
        )
        ix = np.nonzero(nonreq)[0]
        t_nr = t_asg[ix] + _uniform(rng, 5, 300, len(ix))
        by_ai = nonreq_reason[ix] == 4
        ev.add(
            E_TRIGGER,
            ix,
            t_nr,
            np.where(by_ai, AI, SYSTEM),
            _where(by_ai, at(ix, agent_ids), "policy_engine"),
            _cat('{"reason": "', _take(self.trigger_reasons, nonreq_reason[ix]), '", "required": false}'),
            ai=by_ai,
        )
        # hand-offs and takeovers
        ix = np.nonzero(t_ho >= 0)[0]
        reason = _take(_table(TRIGGER_REASONS + ("out_of_scope", "triage_routing")), ho_reason[ix])
        ev.add(
            E_HANDOFF,
            ix,
            t_ho,
            AI,
            at(ix, agent_ids),
            _cat('{"reason": "', reason, '", "queue": "', _take(self.queues, ct[ix]), '"}'),
            ai=True,
            conf=True,
        )
        ix = np.nonzero(t_to >= 0)[0]
        ev.add(
            E_TAKEOVER,
            ix,
            t_to,
            HUMAN,
            at(ix, human_ids),
            _cat('{"reason": "', _take(self.takeover_reasons, rng.integers(0, 3, len(ix))), '"}'),
        )
        # suggestions
        ix = np.nonzero(sug_flow)[0]
        sid = _padded("sug-", tnum[ix], self.id_width)
        ev.add(
            E_SUG,
            ix,
            t_sug,
            AI,
            at(ix, agent_ids),
            _cat('{"suggestion_id": "', sid, '"}'),
            ai=True,
            conf=True,
        )
        ev.add(
            E_REVIEW,
            ix,
            t_rev,
            HUMAN,
            at(ix, human_ids),
            _cat('{"suggestion_id": "', sid, '", "verdict": "', _take(self.verdicts, verdict[ix]), '"}'),
        )
        # the human side
        ix = np.nonzero(hflow)[0]
        ev.add(
            E_ASSIGN,
            ix,
            t_hasg,
            HUMAN,
            at(ix, human_ids),
            _cat('{"queue": "', _take(self.queues, ct[ix]), '"}'),
        )
        ix = np.nonzero(has_hmsg)[0]
        ev.add(
            E_MSG,
            ix,
            t_hmsg,
            HUMAN,
            at(ix, human_ids),
            _cat('{"text": ', _json_str(_take(self.human_replies, rng.integers(0, 3, len(ix)))), "}"),
        )
        # reopened cases go back to a human
        ix = np.nonzero(reopen)[0]
        m = len(ix)
        h2_ids = _take(self.humans, h2[ix])
        ev.add(
            E_CMSG,
            ix,
            t_reopen,
            CUSTOMER,
            at(ix, cust_ids),
            _cat(
                '{"text": ',
                _json_str(_take(self.reopen_texts, rng.integers(0, 3, m))),
                ', "sentiment": ',
                f.sent2(-0.3 - 0.6 * rng.random(m)),
                ', "requested_human": ',
                _take(bools, (rng.random(m) < 0.3).astype(np.int64)),
                "}",
            ),
        )
        ev.add(
            E_ASSIGN,
            ix,
            t_r_asg,
            HUMAN,
            h2_ids,
            _cat('{"queue": "', _take(self.queues, ct[ix]), '", "reopened": true}'),
        )
        ev.add(
            E_MSG,
            ix,
            t_r_msg,
            HUMAN,
            h2_ids,
            _cat('{"text": ', _json_str(_take(self.human_replies, rng.integers(0, 3, m))), "}"),
        )
        ev.add(
            E_RESOLVED,
            ix,
            t_res2,
            HUMAN,
            h2_ids,
            _cat('{"resolution_code": "', _take(self.res_codes, 2 * ct[ix]), '"}'),
        )
        # an event type the contract does not know
        ix = np.nonzero(rng.random(n) < 0.015)[0]
        ev.add(
            E_UNKNOWN,
            ix,
            t_cm1[ix] + _uniform(rng, 1, 30, len(ix)),
            SYSTEM,
            "sentiment_service",
            _cat('{"score": ', f.sent2(sentiment[ix]), ', "model": "sentiment-v2"}'),
        )
        # evaluations
        self._evaluations(ev, rng, np.nonzero(evaluated)[0], ct, wrong, esc_bad, t_ai_end)

        self._write_events(ev, rng, k)

    # ----------------------------------------------------------------- evaluations

    def _evaluations(
        self, ev: _Events, rng: np.random.Generator, cases: np.ndarray, ct, wrong, esc_bad, t_ai_end
    ) -> None:
        m = len(cases)
        if not m:
            return
        w = wrong[cases][:, None]
        fail_wrong = np.array([0.70, 0.25, 0.20, 0.55])
        fail_ok = np.array([0.01, 0.015, 0.02, 0.01])
        p_fail = np.where(w, fail_wrong, fail_ok)
        p_fail[:, 1] = np.where(esc_bad[cases], 0.75, p_fail[:, 1])
        truth = rng.random((m, 4)) >= p_fail  # passed, as an expert would judge it
        # auto only, human only, both; human QA double-checks suspicious cases more often
        who = np.where(
            wrong[cases] | esc_bad[cases],
            _pick(rng, (0.30, 0.15, 0.55), m),
            _pick(rng, (0.62, 0.30, 0.08), m),
        )
        include = np.zeros((m, 2, 4), dtype=bool)  # [case, evaluator (0 auto, 1 human), dimension]
        include[:, 0, :] = (who != 1)[:, None] & (rng.random((m, 4)) < 0.92)
        include[:, 1, :] = (who != 0)[:, None] & (rng.random((m, 4)) < 0.6)
        # the automated judge misses a good share of real failures and rarely fails a good answer;
        # human QA is close to the truth
        u = rng.random((m, 2, 4))
        miss = np.array([0.45, 0.02])[None, :, None]
        false_alarm = np.array([0.015, 0.005])[None, :, None]
        passed = np.where(truth[:, None, :], u >= false_alarm, u < miss)
        c, e, d = np.nonzero(include)
        ok = passed[c, e, d]
        k = len(c)
        base = t_ai_end[cases]
        t_auto = base + _uniform(rng, 600, 6 * HOUR, m)
        t_human = base + _uniform(rng, DAY, 7 * DAY, m)
        t = np.where(e == 0, t_auto[c], t_human[c]) + d * _uniform(rng, 1, 40, k)
        score = np.where(ok, 0.70 + 0.30 * rng.random(k), 0.05 + 0.64 * rng.random(k))
        has_score = (e == 0) | (rng.random(k) < 0.9)
        has_pact = rng.random(k) < 0.85
        tix = cases[c]
        pact = _take(self.pacts, ct[tix] * 4 + d)
        attrs = _cat(
            '{"dimension": "',
            _take(self.dims, d),
            '", "passed": ',
            _where(ok, "true", "false"),
            _where(has_score, _cat(', "score": ', self.fmt.frac3(score)), ""),
            ', "evaluator": "',
            _where(e == 0, "auto_eval", "human_qa"),
            '"',
            _where(has_pact, _cat(', "pact_id": "', pact, '"'), ""),
            "}",
        )
        actor = np.where(e == 0, SYSTEM, HUMAN)
        ids = _where(e == 0, "auto_eval", _take(self.qa, rng.integers(0, len(self.qa), k)))
        ev.add(E_EVAL, tix, t, actor, ids, attrs, qa=e == 1)

    # ----------------------------------------------------------------- tickets

    def _tickets(self, rng: np.random.Generator, k: int, case: SimpleNamespace) -> None:
        """Snapshot rows of the chunk's tickets (CSV per month of creation) and the late dispute batch."""
        f = self.fmt
        cut = self.cutoff
        c = case
        n, tid, t0, ct, t_res, reopen, t_res2 = c.n, c.tid, c.t0, c.ct, c.t_res, c.reopen, c.t_res2
        # snapshot slots: 0 new, 1 open/pending, 2 solved, 3 reopened-and-solved / reopened-open / closed
        slot_t = np.full((n, 4), -1, dtype=np.int64)
        pattern = rng.random(n)
        slot_t[:, 0] = np.where(pattern < 0.35, t0 + _uniform(rng, 1, 60, n), -1)
        slot_t[:, 1] = np.where(
            (pattern > 0.25) & (pattern < 0.55), c.t_cm1 + _uniform(rng, 120, 2 * HOUR, n), -1
        )
        slot_t[:, 2] = t_res + _uniform(rng, 0, 600, n)
        closed = ~reopen & (rng.random(n) < 0.3)
        slot3 = np.where(
            reopen,
            np.where(
                t_res2 + 600 < cut, t_res2 + _uniform(rng, 0, 600, n), c.t_reopen + _uniform(rng, 60, 600, n)
            ),
            -1,
        )
        slot3 = np.where(closed, t_res + 4 * DAY + _uniform(rng, 0, DAY, n), slot3)
        slot_t[:, 3] = slot3
        # earlier states must be earlier than the solved one (a fast AI answer can beat the "new" row)
        slot_t[:, :2] = np.where(slot_t[:, :2] >= slot_t[:, 2:3], -1, slot_t[:, :2])
        slot_t[slot_t >= cut] = -1
        none_left = (slot_t < 0).all(axis=1)
        slot_t[none_left, 0] = t0[none_left] + _uniform(rng, 1, 60, int(none_left.sum()))
        # at most three rows per ticket: drop the earliest optional one
        over = (slot_t >= 0).sum(axis=1) > 3
        slot_t[over, 0] = -1
        status = np.tile(np.array([0, 1, 3, 3]), (n, 1))
        status[:, 1] = np.where(rng.random(n) < 0.2, 2, 1)
        reopen_open = reopen & ~(t_res2 + 600 < cut)
        status[:, 3] = np.where(closed, 4, np.where(reopen_open, 1, 3))
        # the last row carries the dispute, unless it arrives in the late batch (Parquet)
        last = 3 - np.argmax((slot_t >= 0)[:, ::-1], axis=1)
        rows = np.arange(n)
        in_batch = c.disputed & (rng.random(n) < 0.5)
        last_t = slot_t[rows, last]
        batch_t = np.minimum(np.maximum(last_t, c.t_disp) + _uniform(rng, HOUR, 3 * DAY, n), cut - 1)
        in_batch &= batch_t > last_t
        in_csv = c.disputed & ~in_batch
        bumped = np.minimum(np.maximum(last_t, c.t_disp + _uniform(rng, HOUR, 2 * DAY, n)), cut - 1)
        slot_t[rows[in_csv], last[in_csv]] = np.maximum(bumped[in_csv], last_t[in_csv])

        sla = _pick(rng, SLA_P, n)
        locale = _pick(rng, LOCALE_P, n)
        # one satisfaction answer per solved ticket, for some tickets; worse after a wrong handling
        csat_has = rng.random(n) < 0.3
        csat_p = np.where(
            c.wrong[:, None],
            np.array([0.40, 0.25, 0.15, 0.12, 0.08]),
            np.array([0.03, 0.04, 0.10, 0.33, 0.50]),
        )
        csat = (rng.random(n)[:, None] >= np.cumsum(csat_p, axis=1)).sum(axis=1) + 1

        ti, si = np.nonzero(slot_t >= 0)
        m = len(ti)
        upd = slot_t[ti, si]
        style = _pick(rng, TS_STYLE_P, m)
        solved = si >= 2
        solved = solved & ~((si == 3) & reopen_open[ti])
        solved_at = np.where(si == 2, t_res[ti], np.where((si == 3) & reopen[ti], t_res2[ti], t_res[ti]))
        solved_at = np.where(solved, solved_at, -1)
        is_last = si == last[ti]
        csat_on = is_last & solved & csat_has[ti]
        reopened = ((si == 3) & reopen[ti]).astype(np.int64)
        disp_row = is_last & in_csv[ti]
        ct_i = ct[ti]
        cols = {
            "ticket_id": _take(tid, ti),
            "updated_at": f.ts(upd, style),
            "created_at": f.ts(t0[ti], style),
            "channel": _take(self.channel_tab, c.channel[ti] * 4 + _noise_idx(rng, m, 4, 0.03)),
            "case_type": _take(self.ct_tab, ct_i * 5 + _noise_idx(rng, m, 5, 0.04)),
            "priority": _take(self.priority_tab, c.priority[ti] * 4 + _noise_idx(rng, m, 4, 0.02)),
            "customer_id": _padded("CUST-", c.customer[ti], 7),
            "status": _take(self.status_tab, status[ti, si] * 4 + _noise_idx(rng, m, 4, 0.02)),
            "solved_at": f.ts_opt(solved_at, style),
            "subject": _csv_field(_take(c.subject, ti)),
            "description": _csv_field(_take(c.description, ti)),
            "amount_at_stake": _where(c.amount_c[ti] >= 0, f.money(np.maximum(c.amount_c[ti], 0)), ""),
            "csat_score": _where(csat_on, f.ints(csat[ti]), ""),
            "reopened_count": _where((reopened == 0) & (rng.random(m) < 0.2), "", f.ints(reopened)),
            "disputed_at": _where(disp_row, f.ts_opt(np.where(disp_row, c.t_disp[ti], -1), style), ""),
            "dispute_outcome": _where(disp_row, _take(self.outcomes, np.maximum(c.outcome[ti], 0)), ""),
            "vendor_sla_tier": _take(self.sla, sla[ti]),
            "locale": _take(self.locales, locale[ti]),
        }
        if k == 0:
            ti = self._plant_ticket_rows(rng, cols, ti)
        month = _month_key(t0[ti])
        self._write_csv_by_month(
            cols,
            month,
            "tickets/tickets_{}.csv",
            lambda mk: TICKET_COLUMNS_MIGRATED if mk >= self.helpdesk_migration_month else TICKET_COLUMNS,
        )

        # the late dispute batch (Parquet, typed columns)
        bi = np.nonzero(in_batch)[0]
        if len(bi):
            lr = last[bi]
            st = status[bi, lr]
            sol = np.where(st >= 3, np.where((lr == 3) & reopen[bi], t_res2[bi], t_res[bi]), -1)

            def tsu(x: np.ndarray) -> pa.Array:
                return pa.array(np.where(x >= 0, x, 0) * 1_000_000, pa.timestamp("us", tz="UTC"), mask=x < 0)

            self.dispute_batch.append(
                pa.table(
                    {
                        "ticket_id": _take(tid, bi),
                        "updated_at": tsu(batch_t[bi]),
                        "created_at": tsu(t0[bi]),
                        "channel": _take(_table(CHANNELS), c.channel[bi]),
                        "case_type": _take(_table(CT_NAMES), ct[bi]),
                        "priority": _take(_table(PRIORITIES), c.priority[bi]),
                        "customer_id": _padded("CUST-", c.customer[bi], 7),
                        "status": _take(_table(STATUSES), st),
                        "solved_at": tsu(sol),
                        "subject": _take(c.subject, bi),
                        "description": _take(c.description, bi),
                        "amount_at_stake": pa.array(
                            c.amount_c[bi] / 100, pa.float64(), mask=c.amount_c[bi] < 0
                        ),
                        "csat_score": pa.array(csat[bi], pa.int64(), mask=~(csat_has[bi] & (st >= 3))),
                        "reopened_count": pa.array(((lr == 3) & reopen[bi]).astype(np.int64)),
                        "disputed_at": tsu(c.t_disp[bi]),
                        "dispute_outcome": _take(self.outcomes, c.outcome[bi]),
                        "vendor_sla_tier": _take(self.sla, sla[bi]),
                    }
                )
            )

    def _write_csv_by_month(
        self,
        cols: dict[str, pa.Array],
        month: np.ndarray,
        pattern: str,
        order_for: Callable[[int], Sequence[str]],
    ) -> None:
        """Write rows (already in month order or not) to one CSV per month, in a stable order."""
        order = np.argsort(month, kind="stable")
        month = month[order]
        if not np.all(order == np.arange(len(order))):
            cols = {name: _take(a, order) for name, a in cols.items()}
        bounds = np.flatnonzero(np.diff(month)) + 1
        starts = np.concatenate([[0], bounds])
        stops = np.concatenate([bounds, [len(month)]])
        for a, b in zip(starts, stops, strict=True):
            mk = int(month[a])
            names = order_for(mk)
            parts: list[str | pa.Array] = []
            for i, name in enumerate(names):
                if i:
                    parts.append(",")
                parts.append(cols[name].slice(a, b - a))
            parts.append("\n")
            lines = _cat(*parts)
            self.files.write(
                pattern.format(_month_name(mk)),
                _lines_bytes(lines, 0, len(lines)),
                b - a,
                header=(",".join(names) + "\n").encode(),
            )

    def _plant_ticket_rows(self, rng, cols: dict[str, pa.Array], ti: np.ndarray) -> np.ndarray:
        """Corrupted copies of existing snapshot rows (each one breaks one rule of the contract)."""
        plan = [
            ("bad_enum", "channel", ["fax", "carrier pigeon"]),
            ("bad_timestamp", "updated_at", ["2026-13-45T25:61:00Z", "last tuesday"]),
            ("missing_required", "customer_id", ["", "   "]),
            ("negative_amount", "amount_at_stake", ["-25.00", "-139.90"]),
        ]
        m = len(ti)
        picks = rng.choice(m, size=min(m, 8), replace=False)
        extra = {name: [] for name in cols}
        i = 0
        for kind, column, values in plan:
            for value in values:
                if i >= len(picks):
                    break
                r = int(picks[i])
                i += 1
                for name, arr in cols.items():
                    extra[name].append(arr[r].as_py())
                extra[column][-1] = value
                self.malformed["tickets"][kind] = self.malformed["tickets"].get(kind, 0) + 1
                self.planted.append(
                    {"source": "tickets", "kind": kind, "ticket_id": extra["ticket_id"][-1], "column": column}
                )
        if not i:
            return ti
        # each goes right after the row it copies, so it sits in the middle of a file
        positions = picks[:i]
        order = np.argsort(np.concatenate([np.arange(m), positions]), kind="stable")
        for name, arr in cols.items():
            cols[name] = _take(pa.concat_arrays([arr, pa.array(extra[name], _S)]), order)
        return np.concatenate([ti, ti[positions]])[order]

    # ----------------------------------------------------------------- events out

    def _write_events(self, ev: _Events, rng: np.random.Generator, k: int) -> None:
        f = self.fmt
        tix, t, kind, actor, is_ai, with_conf, mode_col, is_qa, order = ev.arrays()
        # stable per-ticket sequence numbers -> event ids
        seq_order = np.lexsort((order, t, tix))
        starts = np.searchsorted(tix[seq_order], tix[seq_order], side="left")
        seq = np.empty(len(t), dtype=np.int64)
        seq[seq_order] = np.arange(len(t)) - starts
        if len(seq) and seq.max() >= 100:
            raise RuntimeError("too many events on one ticket")
        keep = t < self.cutoff
        out = np.lexsort((order, tix, t))
        out = out[keep[out]]
        m = len(out)
        self.events_kept_distinct += m
        self.kept["unknown_event_type"] += int((kind[out] == E_UNKNOWN).sum())
        tix, t, kind, actor, is_ai, with_conf, mode_col, is_qa, seq = (
            a[out] for a in (tix, t, kind, actor, is_ai, with_conf, mode_col, is_qa, seq)
        )
        tid = _take(ev.tid, tix)
        event_id = _cat("ev-", pc.utf8_slice_codeunits(tid, 4), "-", _take(f.two, seq))
        style = _pick(rng, TS_STYLE_P, m)
        ts = f.ts(t, style)
        actor_var = _noise_idx(rng, m, 4, 0.02)
        etype_var = _noise_idx(rng, m, 3, 0.01)
        actor_s = _take(self.actor_type_tab, actor * 4 + actor_var)
        etype = _take(self.event_type_tab, kind * 3 + etype_var)
        actor_id = ev.take("actor_id", out)
        attrs = ev.take("attrs", out)
        conf = ev.conf[tix] + np.round(0.03 * rng.standard_normal(m), 3)
        cols = {
            "event_id": event_id,
            "ticket_id": tid,
            "occurred_at": ts,
            "actor_type": actor_s,
            "actor_id": actor_id,
            "event_type": etype,
            "agent_version": _where(is_ai, _take(self.versions, ev.version[tix]), ""),
            "autonomy_mode": _where(
                is_ai & mode_col,
                _take(self.mode_tab, np.maximum(ev.mode[tix], 0) * 4 + _noise_idx(rng, m, 4, 0.02)),
                "",
            ),
            "confidence": _where(is_ai & with_conf, f.frac3(np.clip(conf, 0.01, 0.999)), ""),
            "policy_version": _where(is_ai, _take(self.policies, ev.policy[tix]), ""),
            "attributes": attrs,
        }
        month = _month_key(t)
        old_style = t < self.platform_v2
        # re-deliveries (same rows spelled differently) and conflicts (same event_id, other content)
        pool = np.nonzero(~is_qa & (kind != E_UNKNOWN))[0]
        n_dup = min(len(pool), max(2, m // 400))
        dup = np.sort(rng.choice(pool, size=n_dup, replace=False)) if n_dup else np.array([], dtype=np.int64)
        if n_dup:
            alt_style = (style[dup] + rng.integers(1, len(TS_STYLES), n_dup)) % len(TS_STYLES)
            dcols = {name: _take(a, dup) for name, a in cols.items()}
            dcols["occurred_at"] = f.ts(t[dup], alt_style)
            dcols["actor_type"] = _take(
                self.actor_type_tab, actor[dup] * 4 + (actor_var[dup] + rng.integers(1, 4, n_dup)) % 4
            )
            dcols["event_type"] = _take(
                self.event_type_tab, kind[dup] * 3 + (etype_var[dup] + rng.integers(0, 3, n_dup)) % 3
            )
            self.redelivery.append(self._jsonl(dcols, old_style[dup]))
            self.kept["redelivered_duplicates"] += n_dup
        if k == 0:
            self._plant_event_conflicts(rng, cols, t, old_style, np.setdiff1d(pool, dup))
        # human QA reviews come from the QA tool as CSV; everything else from the agent platform as JSONL
        qa_rows = np.nonzero(is_qa)[0]
        if len(qa_rows):
            qcols = {
                name: _csv_field(_take(a, qa_rows)) if name == "attributes" else _take(a, qa_rows)
                for name, a in cols.items()
            }
            self._write_csv_by_month(
                qcols, month[qa_rows], "agent_logs/qa_reviews_{}.csv", lambda mk: EVENT_COLUMNS
            )
        rest = np.nonzero(~is_qa)[0]
        lines = self._jsonl({name: _take(a, rest) for name, a in cols.items()}, old_style[rest])
        mrest = month[rest]
        bounds = np.flatnonzero(np.diff(mrest)) + 1
        for a, b in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(rest)]]), strict=True):
            if b > a:
                self.files.write(
                    f"agent_logs/events_{_month_name(int(mrest[a]))}.jsonl",
                    _lines_bytes(lines, int(a), int(b)),
                    int(b - a),
                )

    def _jsonl(self, cols: dict[str, pa.Array], old_style: np.ndarray) -> pa.Array:
        """JSON lines; older exports write absent optional keys as null, newer ones omit them."""
        parts: list[str | pa.Array] = [
            '{"event_id": "',
            cols["event_id"],
            '", "ticket_id": "',
            cols["ticket_id"],
            '", "occurred_at": "',
            cols["occurred_at"],
            '", "actor_type": "',
            cols["actor_type"],
            '", "actor_id": "',
            cols["actor_id"],
            '", "event_type": "',
            cols["event_type"],
            '"',
        ]
        old = pa.array(np.asarray(old_style, dtype=bool))
        for name, quoted in (
            ("agent_version", True),
            ("autonomy_mode", True),
            ("confidence", False),
            ("policy_version", True),
        ):
            v = cols[name]
            q = '"' if quoted else ""
            present = _cat(f', "{name}": {q}', v, q)
            absent = pc.if_else(old, pa.scalar(f', "{name}": null', _S), pa.scalar("", _S))
            parts.append(pc.if_else(pc.equal(v, ""), absent, present))
        attrs = cols["attributes"]
        parts.append(pc.if_else(pc.equal(attrs, ""), pa.scalar("", _S), _cat(', "attributes": ', attrs)))
        parts.append("}\n")
        return _cat(*parts)

    def _plant_event_conflicts(self, rng, cols, t, old_style, pool) -> None:
        n_conf = min(3, len(pool))
        if not n_conf:
            return
        rows = np.sort(rng.choice(pool, size=n_conf, replace=False))
        ccols = {name: _take(a, rows) for name, a in cols.items()}
        ccols["occurred_at"] = self.fmt.ts(t[rows] + 3600, np.zeros(n_conf, dtype=np.int64))
        self.redelivery.append(self._jsonl(ccols, old_style[rows]))
        self.malformed["agent_logs"]["conflict"] = n_conf
        for r in range(n_conf):
            self.planted.append(
                {
                    "source": "agent_logs",
                    "kind": "conflict",
                    "event_id": ccols["event_id"][r].as_py(),
                    "file": "agent_logs/events_redelivered.jsonl",
                }
            )

    # ----------------------------------------------------------------- after the chunks

    def _write_extras(self) -> None:
        """Orphan events and events that break the contract, at the end of the first month's file."""
        first_month = _month_name(int(_month_key(np.array([self.start]))[0]))
        rel = f"agent_logs/events_{first_month}.jsonl"
        t = self.start + 3 * DAY + 9 * HOUR
        w = self.id_width
        rows: list[dict] = []
        # orphans: two cases from a help desk the ticket export does not cover
        for j in range(2):
            tid = f"TCK-{self.n + 500 + j:0{w}d}"
            when = t + j * 3 * HOUR
            common = {"ticket_id": tid, "actor_type": "ai_agent", "actor_id": AGENT_NAMES[j]}
            rows += [
                {"event_id": f"ev-{tid[4:]}-00", "ticket_id": tid, "occurred_at": _iso(when),
                 "actor_type": "customer", "actor_id": "CUST-0000001", "event_type": "customer_message",
                 "attributes": {"text": "Hello? Is anyone there?", "sentiment": -0.2, "requested_human": False}},
                {"event_id": f"ev-{tid[4:]}-01", **common, "occurred_at": _iso(when + 40),
                 "event_type": "case_assigned", "agent_version": self.version_names[self.agent_release_idx[j][0]],
                 "policy_version": self.policy_names[0], "attributes": {"mode": "resolve"}},
                {"event_id": f"ev-{tid[4:]}-02", **common, "occurred_at": _iso(when + 200),
                 "event_type": "case_resolved", "attributes": {"resolution_code": "status_provided"}},
            ]  # fmt: skip
        self.kept["orphan_events"] = len(rows)
        self.kept["orphan_tickets"] = 2
        lines = [json.dumps(r, ensure_ascii=False) for r in rows]
        # rows of an existing case, each breaking one rule
        tid = f"TCK-{1:0{w}d}"
        bad = [
            ("bad_enum", {"actor_type": "robot"}),
            ("bad_enum", {"autonomy_mode": "autopilot"}),
            ("bad_timestamp", {"occurred_at": "2026-06-31T12:00:00Z"}),
            ("bad_timestamp", {"occurred_at": "13/06/2026 10:00"}),
            ("missing_required", {"actor_id": None}),
            ("missing_required", {"ticket_id": "  "}),
            ("not_json", {"truncate": 70}),
            ("not_json", {"truncate": -25}),
        ]
        for i, (kind, change) in enumerate(bad):
            row = {
                "event_id": f"ev-{tid[4:]}-{90 + i}", "ticket_id": tid, "occurred_at": _iso(t + 5 * i),
                "actor_type": "ai_agent", "actor_id": AGENT_NAMES[0], "event_type": "message_sent",
                "attributes": {"text": "Let me check that for you."},
            }  # fmt: skip
            cut = change.pop("truncate", None)
            row.update(change)
            text = json.dumps(row, ensure_ascii=False)
            lines.insert(3, text[:cut] if cut else text)
            self.malformed["agent_logs"][kind] = self.malformed["agent_logs"].get(kind, 0) + 1
            self.planted.append(
                {"source": "agent_logs", "kind": kind, "event_id": row["event_id"], "file": rel}
            )
        self.files.write(rel, ("\n".join(lines) + "\n").encode(), len(lines))

    def _write_redelivery(self) -> None:
        if not self.redelivery:
            return
        lines = pa.concat_arrays(self.redelivery)
        self.files.write(
            "agent_logs/events_redelivered.jsonl", _lines_bytes(lines, 0, len(lines)), len(lines)
        )

    def _write_dispute_batch(self) -> None:
        if not self.dispute_batch:
            return
        table = pa.concat_tables(self.dispute_batch)
        path = self.root / "tickets" / "tickets_dispute_updates.parquet"
        pq.write_table(table, path, compression="zstd")
        self.files.rows["tickets/tickets_dispute_updates.parquet"] = table.num_rows

    # ----------------------------------------------------------------- incidents

    def _write_incidents(self) -> dict:
        rng = np.random.default_rng([self.seed, 0x1C1D])
        seeds = {key: np.concatenate([s[key] for s in self.incident_seeds]) for key in self.incident_seeds[0]}
        order = np.lexsort((seeds["tnum"], seeds["t"], seeds["agent"], seeds["ct"]))
        seeds = {key: v[order] for key, v in seeds.items()}
        incidents: list[dict] = []
        i = 0
        total = len(seeds["t"])
        while i < total:
            size = int(_pick(rng, (0.72, 0.15, 0.09, 0.04), 1)[0]) + 1
            j = i + 1
            while (
                j < total
                and j - i < size
                and seeds["ct"][j] == seeds["ct"][i]
                and seeds["agent"][j] == seeds["agent"][i]
                and seeds["t"][j] - seeds["t"][i] < 3 * DAY
            ):
                j += 1
            g = slice(i, j)
            ct = int(seeds["ct"][i])
            amounts = seeds["amount"][g]
            risk = CASE_TYPES[ct].true_risk
            big = amounts.max() > 50_000
            sev = int(_pick(rng, (0.03 + 0.1 * risk + 0.05 * big, 0.12 + 0.3 * risk, 0.5, 0.35), 1)[0])
            if seeds["esc_bad"][i]:
                category = "missed_escalation"
            elif seeds["auto"][i] and seeds["action"][i]:
                category = "incorrect_autonomous_action"
            else:
                category = (
                    "policy_breach",
                    "tone_violation",
                    "incorrect_autonomous_action",
                    "data_exposure",
                )[int(_pick(rng, (0.4, 0.2, 0.3, 0.1), 1)[0])]
            started = int(seeds["t"][i])
            incidents.append(
                self._incident_times(
                    rng,
                    {
                        "severity": sev,
                        "category": category,
                        "agent": int(seeds["agent"][i]),
                        "ct": ct,
                        "tickets": [int(x) for x in seeds["tnum"][g]],
                        "started": started,
                        "cost": float(
                            np.maximum(amounts, 0).sum() / 100 * (0.5 + rng.random()) + 20 + 80 * rng.random()
                        ),
                    },
                )
            )
            i = j
        # outages and other incidents without an agent
        n_out = 3 + self.n // 250_000
        for j in range(n_out + 2):
            started = self.start + int(rng.integers(2 * DAY, (self.cutoff - self.start) - 3 * DAY))
            is_out = j < n_out
            incidents.append(
                self._incident_times(
                    rng,
                    {
                        "severity": int(
                            _pick(rng, (0.2, 0.5, 0.2, 0.1) if is_out else (0.0, 0.1, 0.5, 0.4), 1)[0]
                        ),
                        "category": "outage" if is_out else "other",
                        "agent": -1,
                        "ct": -1,
                        "tickets": [],
                        "started": started,
                        "affected": int(rng.integers(50, 500) * (1 + self.n // 20_000))
                        if is_out
                        else int(rng.integers(1, 20)),
                        "cost": 0.0 if rng.random() < 0.5 else round(float(rng.random() * 5000), 2),
                    },
                    fast=True,
                )
            )
        incidents = [x for x in incidents if x["detected"] < self.cutoff]
        recent = self._ensure_recent_severe(rng, incidents)
        incidents.sort(key=lambda x: (x["started"], x["detected"], x["tickets"][:1], x["category"]))
        for num, inc in enumerate(incidents, 1):
            inc["id"] = f"INC-{num:05d}"
        self._write_incident_files(rng, incidents)
        recent_out = [
            {
                "incident_id": x["id"],
                "case_type": CT_NAMES[x["ct"]],
                "severity": SEVERITIES[x["severity"]],
                "detected_at": _iso(x["detected"]),
            }
            for x in incidents
            if id(x) in recent
        ]
        return {
            "total": len(incidents),
            "open": sum(1 for x in incidents if x["resolved"] is None),
            "with_agent": sum(1 for x in incidents if x["agent"] >= 0),
            "by_category": _count(x["category"] for x in incidents),
            "by_severity": _count(SEVERITIES[x["severity"]] for x in incidents),
            "recent_severe": recent_out,
        }

    def _incident_times(self, rng: np.random.Generator, inc: dict, fast: bool = False) -> dict:
        scale = 0.4 if inc["severity"] == 0 else 1.0
        det_h = (
            0.25
            if fast
            else float(np.clip(np.exp(np.log(18) + 1.0 * rng.standard_normal()) * scale, 0.25, 14 * 24))
        )
        rec_h = float(np.clip(np.exp(np.log(30) + 0.9 * rng.standard_normal()) * scale, 0.5, 21 * 24))
        inc["detected"] = inc["started"] + int(det_h * HOUR)
        resolved = inc["detected"] + int(rec_h * HOUR)
        inc["resolved"] = None if resolved >= self.cutoff - HOUR or rng.random() < 0.06 else resolved
        inc.setdefault(
            "affected", len(inc["tickets"]) + (int(rng.integers(1, 4)) if rng.random() < 0.2 else 0)
        )
        inc["cost"] = round(inc["cost"], 2)
        return inc

    def _ensure_recent_severe(self, rng: np.random.Generator, incidents: list[dict]) -> set[int]:
        """The two riskiest case types get a sev1/sev2 incident detected in the last 14 days."""
        window = self.cutoff - 14 * DAY
        recent: set[int] = set()
        for ct in np.argsort(-self.ct_risk)[:2]:
            ct = int(ct)
            in_window = [x for x in incidents if x["ct"] == ct and window <= x["detected"] < self.cutoff]
            severe = [x for x in in_window if x["severity"] <= 1]
            if severe:
                recent.update(id(x) for x in severe)
                continue
            if in_window:
                target = max(in_window, key=lambda x: x["detected"])
                target["severity"] = 1
                recent.add(id(target))
                continue
            cand = self.latest_wrong.get(ct)
            if cand is not None and cand[2] >= window - 2 * DAY:
                tnum, agent, started, amount = cand
                tickets = [tnum]
            else:
                agent = int(np.argmax(self.ct_agent_w[ct]))
                started, amount, tickets = self.cutoff - 6 * DAY, -1, []
            inc = {
                "severity": 1,
                "category": "incorrect_autonomous_action",
                "agent": agent,
                "ct": ct,
                "tickets": tickets,
                "started": started,
                "cost": max(amount, 0) / 100 + 150.0,
            }
            inc = self._incident_times(rng, inc)
            inc["detected"] = min(max(inc["detected"], window + HOUR), self.cutoff - 2 * HOUR)
            if inc["resolved"] is not None and inc["resolved"] <= inc["detected"]:
                inc["resolved"] = None
            incidents.append(inc)
            recent.add(id(inc))
        return recent

    def _write_incident_files(self, rng: np.random.Generator, incidents: list[dict]) -> None:
        w = self.id_width
        cats_pii = ("data_exposure", "incorrect_autonomous_action", "policy_breach")
        email, phone, card, name = (a.to_pylist() for a in self._pii(rng, max(1, len(incidents))))
        csv_rows: list[list[str]] = []
        updates: list[str] = []
        for i, inc in enumerate(incidents):
            ct = inc["ct"]
            ct_s = ""
            if ct >= 0:
                ct_s = _ct_spellings(CT_NAMES[ct])[int(_noise_idx(rng, 1, 5, 0.05)[0])]
            tickets = [f"TCK-{x:0{w}d}" for x in inc["tickets"]]
            summary = _incident_summary(
                inc,
                ct,
                email[i],
                phone[i],
                card[i],
                name[i],
                rng.random() < 0.3 and inc["category"] in cats_pii,
            )
            style = int(_pick(rng, TS_STYLE_P, 1)[0])
            row = {
                "incident_id": inc["id"],
                "started_at": _spell(inc["started"], style),
                "detected_at": _spell(inc["detected"], style),
                "resolved_at": _spell(inc["resolved"], style) if inc["resolved"] is not None else "",
                "severity": SEVERITIES[inc["severity"]],
                "category": inc["category"],
                "agent_id": AGENT_NAMES[inc["agent"]] if inc["agent"] >= 0 else "",
                "case_type": ct_s,
                "ticket_ids": ";".join(tickets),
                "customers_affected": str(inc["affected"]),
                "remediation_cost": f"{inc['cost']:.2f}",
                "summary": summary,
            }
            has_update = inc["resolved"] is not None and rng.random() < 0.35
            if has_update:
                first = dict(row)
                first["updated_at"] = _spell(inc["detected"] + int(rng.integers(600, 2 * HOUR)), style)
                first["resolved_at"] = ""
                first["remediation_cost"] = ""
                if rng.random() < 0.3:
                    first["severity"] = SEVERITIES[min(3, inc["severity"] + 1)]
                csv_rows.append(first)
                upd = dict(row)
                upd_t = min(inc["resolved"] + int(rng.integers(300, DAY)), self.cutoff - 1)
                upd_t = max(upd_t, inc["detected"] + 2 * HOUR + 1)
                upd["updated_at"] = _spell(upd_t, 0)
                obj = {k: v for k, v in upd.items() if v != ""}
                obj["ticket_ids"] = tickets
                if "customers_affected" in obj:
                    obj["customers_affected"] = inc["affected"]
                if "remediation_cost" in obj:
                    obj["remediation_cost"] = inc["cost"]
                updates.append(
                    json.dumps({k: obj[k] for k in INCIDENT_COLUMNS if k in obj}, ensure_ascii=False)
                )
            else:
                last = inc["resolved"] if inc["resolved"] is not None else inc["detected"]
                row["updated_at"] = (
                    ""
                    if rng.random() < 0.15
                    else _spell(min(last + int(rng.integers(60, 6 * HOUR)), self.cutoff - 1), style)
                )
                csv_rows.append(row)
        # rows that break the contract
        base = incidents[0] if incidents else None
        next_id = len(incidents) + 1
        t = self.start + 20 * DAY
        planted = [
            ("time_order", {"started_at": _spell(t, 0), "detected_at": _spell(t - 5 * HOUR, 0)}),
            ("time_order", {"started_at": _spell(t + DAY, 0), "detected_at": _spell(t + DAY - 60, 0)}),
            (
                "time_order",
                {
                    "started_at": _spell(t + 2 * DAY, 0),
                    "detected_at": _spell(t + 2 * DAY + HOUR, 0),
                    "resolved_at": _spell(t + 2 * DAY + 30 * 60, 0),
                },
            ),
            ("bad_enum", {"severity": "critical"}),
            ("negative_amount", {"remediation_cost": "-120.00"}),
        ]
        for kind, change in planted:
            row = {
                "incident_id": f"INC-{next_id:05d}",
                "updated_at": "",
                "started_at": _spell(t + 3 * DAY, 0),
                "detected_at": _spell(t + 3 * DAY + 4 * HOUR, 0),
                "resolved_at": _spell(t + 4 * DAY, 0),
                "severity": "sev3",
                "category": "policy_breach",
                "agent_id": AGENT_NAMES[1],
                "case_type": "billing_refund",
                "ticket_ids": f"TCK-{1:0{w}d}",
                "customers_affected": "1",
                "remediation_cost": "35.00",
                "summary": "Refund issued against the wrong order",
            }
            row.update(change)
            next_id += 1
            csv_rows.insert(len(csv_rows) // 2 if base else 0, row)
            self.malformed["incidents"][kind] = self.malformed["incidents"].get(kind, 0) + 1
            self.planted.append(
                {
                    "source": "incidents",
                    "kind": kind,
                    "incident_id": row["incident_id"],
                    "file": "incidents/incidents.csv",
                }
            )
        out = [",".join(INCIDENT_COLUMNS)]
        for row in csv_rows:
            out.append(",".join(_csv_py(row[c]) for c in INCIDENT_COLUMNS))
        self.files.write("incidents/incidents.csv", ("\n".join(out) + "\n").encode(), len(csv_rows))
        if updates:
            self.files.write(
                "incidents/incident_updates.jsonl", ("\n".join(updates) + "\n").encode(), len(updates)
            )
        self.files.close()

    # ----------------------------------------------------------------- truth

    def _truth(self, incidents: dict) -> dict:
        case_types = {}
        for i, c in enumerate(CASE_TYPES):
            tickets, ai, wrong, auto, auto_wrong, human_only = (int(x) for x in self.ct_stats[i])
            case_types[c.name] = {
                "true_risk": c.true_risk,
                "tier": c.tier,
                "pilots": {m: s for m, s in c.pilots},
                "share": c.share,
                "max_amount_without_human": c.limit,
                "tickets": tickets,
                "human_only_cases": human_only,
                "ai_cases": ai,
                "ai_cases_by_mode": {
                    m: int(self.mode_stats[i, j]) for j, m in enumerate(MODES) if self.mode_stats[i, j]
                },
                "wrong_cases": wrong,
                "observed_wrong_rate": round(wrong / ai, 6) if ai else None,
                "autonomously_resolved": auto,
                "autonomously_resolved_wrong": auto_wrong,
            }
        agents = {}
        for a, name in enumerate(AGENT_NAMES):
            agents[name] = [
                {
                    "version": self.version_names[r],
                    "rollout_start": _iso(int(self.version_start[r])),
                    "rollout_days": ROLLOUT_DAYS,
                    "risk_multiplier": float(self.version_mult[r]),
                }
                for r in self.agent_release_idx[a]
            ]
        malformed = {s: dict(sorted(v.items())) for s, v in self.malformed.items()}
        quarantined = {s: sum(v.values()) for s, v in malformed.items()}
        files = dict(sorted(self.files.rows.items()))
        rows = {s: sum(v for k, v in files.items() if k.startswith(s + "/")) for s in SOURCES}
        return {
            "generator": "trustloop.demo",
            "seed": self.seed,
            "tickets": self.n,
            "window": {
                "start": _iso(self.start),
                "end_date": self.end_date.isoformat(),
                "export_cutoff": _iso(self.cutoff),
                "weeks": self.weeks,
            },
            "case_types": case_types,
            "agents": agents,
            "policy_versions": [
                {"version": v, "effective": _iso(int(t))}
                for v, t in zip(self.policy_names, self.policy_start, strict=True)
            ],
            "escalations": {o: int(self.esc_stats[j]) for j, o in enumerate(ESC_OUTCOMES)},
            "incidents": incidents,
            "malformed": {**malformed, "quarantined_rows": quarantined},
            "planted": self.planted,
            "kept": dict(self.kept),
            "counts": {
                "ticket_rows": rows["tickets"],
                "tickets_distinct": self.n,
                "event_rows": rows["agent_logs"],
                "events_distinct": self.events_kept_distinct + self.kept["orphan_events"],
                "incident_rows": rows["incidents"],
                "incidents_distinct": incidents["total"],
            },
            "files": files,
            "rows": rows,
        }


class _Events:
    """Collects the events of one chunk as column blocks; one block per kind of event."""

    def __init__(
        self, tid: pa.Array, mode: np.ndarray, version: np.ndarray, policy: np.ndarray, conf: np.ndarray
    ) -> None:
        self.tid = tid
        self.mode = mode
        self.version = version
        self.policy = policy
        self.conf = conf
        self.blocks: list[tuple] = []
        self.strings: dict[str, list[pa.Array]] = {"actor_id": [], "attrs": []}

    def add(
        self,
        kind: int,
        ix: np.ndarray,
        t: np.ndarray,
        actor,
        actor_id,
        attrs: pa.Array,
        ai=False,
        conf=False,
        mode_col=True,
        qa=False,
    ) -> None:
        m = len(ix)
        if not m:
            return
        t = t if len(t) == m else t[ix]
        if isinstance(actor_id, str):
            actor_id = _const(actor_id, m)

        def full(x, dtype):
            return np.broadcast_to(np.asarray(x, dtype=dtype), (m,)).copy()

        order = len(self.blocks)
        self.blocks.append(
            (
                np.asarray(ix, dtype=np.int64),
                np.asarray(t, dtype=np.int64),
                full(kind, np.int64),
                full(actor, np.int64),
                full(ai, bool),
                full(conf, bool),
                full(mode_col, bool),
                full(qa, bool),
                full(order, np.int64),
            )
        )
        self.strings["actor_id"].append(actor_id)
        self.strings["attrs"].append(attrs)

    def arrays(self) -> tuple[np.ndarray, ...]:
        return tuple(np.concatenate([b[i] for b in self.blocks]) for i in range(9))

    def take(self, name: str, idx: np.ndarray) -> pa.Array:
        return _take(pa.concat_arrays(self.strings[name]), idx)


# --------------------------------------------------------------------------- small helpers


def _iso(secs: int) -> str:
    return dt.datetime.fromtimestamp(secs, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spell(secs: int, style: int) -> str:
    sep, off, suffix = TS_STYLES[style]
    return dt.datetime.fromtimestamp(secs + off, dt.UTC).strftime(f"%Y-%m-%d{sep}%H:%M:%S") + suffix


def _csv_py(value: str) -> str:
    if any(ch in value for ch in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _count(values) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))


def _incident_summary(inc: dict, ct: int, email: str, phone: str, card: str, name: str, pii: bool) -> str:
    cat = inc["category"]
    what = CT_NAMES[ct].replace("_", " ") if ct >= 0 else "support"
    n = len(inc["tickets"])
    text = {
        "incorrect_autonomous_action": (
            f"Agent ran {CASE_TYPES[ct].action} wrongly on {n} {what} case(s)"
            if ct >= 0
            else "Agent acted wrongly"
        ),
        "missed_escalation": f"Agent kept {n} {what} case(s) that required a human",
        "policy_breach": f"Agent applied an outdated policy on {n} {what} case(s)",
        "tone_violation": f"Inappropriate tone towards customers in {n} {what} case(s)",
        "data_exposure": f"Order details shown to the wrong customer in {n} {what} case(s)",
        "outage": "Agent platform unavailable, all chats fell back to human queues",
        "other": "Help-desk sync delayed; tickets arrived late",
    }[cat]
    if pii:
        money = ct >= 0 and CASE_TYPES[ct].action in MONEY_ACTIONS
        text += f"; refund to card {card} for {email}" if money else f"; customer {name} ({email}, {phone})"
    return text


# --------------------------------------------------------------------------- public API


def _prepare(out: Path, overwrite: bool) -> None:
    existing = [p for s in SOURCES if (out / s).is_dir() for p in (out / s).rglob("*") if p.is_file()]
    if not existing:
        return
    if not (out / TRUTH_FILE).exists():
        raise FileExistsError(
            f"{out} holds landing files but no {TRUTH_FILE}: not a demo folder, left untouched"
        )
    if not overwrite:
        raise FileExistsError(
            f"{out} already holds a demo landing folder (pass overwrite=True to replace it)"
        )
    for p in existing:
        if _OWN_FILES.match(p.relative_to(out).as_posix()):
            p.unlink()
    (out / TRUTH_FILE).unlink()


def generate(
    out_dir: str | Path,
    tickets: int = DEFAULT_TICKETS,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
    *,
    end_date: dt.date | str = DEFAULT_END_DATE,
    weeks: int = DEFAULT_WEEKS,
    overwrite: bool = True,
) -> dict:
    """Write a seeded demo landing folder to ``out_dir`` and return its summary.

    The folder holds ``tickets/``, ``agent_logs/`` and ``incidents/`` written to
    the landing contract, plus ``_truth.json`` (the planted truth). The window
    is ``weeks`` ISO weeks ending on ``end_date`` (a Sunday by default); the
    export happens at the following midnight (UTC), so later activity is not in
    the files.

    An existing demo folder (one with ``_truth.json``) is regenerated in place
    when ``overwrite`` is true; a folder with other landing files is never
    touched (FileExistsError).

    Returns the truth dict also written to ``_truth.json``; its ``files`` maps
    each written file to its row count, ``rows`` totals them per source and
    ``malformed`` counts the planted bad rows per source and kind.
    """
    if tickets < 1:
        raise ValueError("tickets must be at least 1")
    if weeks < 2:
        raise ValueError("weeks must be at least 2")
    if isinstance(end_date, str):
        end_date = dt.date.fromisoformat(end_date)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _prepare(out, overwrite)
    truth = _Generator(out, int(tickets), int(seed), end_date, int(weeks), progress).run()
    (out / TRUTH_FILE).write_text(json.dumps(truth, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {"out_dir": str(out), **truth}


def write_increment(landing: str | Path, tickets: int, workdir: str | Path, seed: int = 99991, *,
                    end_date: dt.date | str | None = None, weeks: int | None = None,
                    case_types: Sequence[str] | None = None) -> int:
    """Add new data to ``landing`` as new files: a small demo with other ids, so nothing collides.

    The demo of ``tickets`` tickets is written under ``workdir`` and its text files are copied in as
    ``zz_increment_*`` with every ticket, event and incident id re-prefixed (its Parquet files are left
    out: their ids cannot be rewritten as text). A folder not generated here has its own period and case
    types: ``end_date`` and ``weeks`` date the demo within it, and ``case_types`` (most frequent first)
    replace the demo's, the demo's most frequent by the first, and so on, cycling when there are fewer.
    Returns the number of files added.
    """
    landing, extra = Path(landing), Path(workdir) / "increment"
    if extra.exists():
        shutil.rmtree(extra)
    generate(extra, tickets=tickets, seed=seed, progress=False, end_date=end_date or DEFAULT_END_DATE,
             weeks=weeks or DEFAULT_WEEKS)
    rename = _case_type_renamer(case_types)
    files = 0
    for source in ("tickets", "agent_logs", "incidents"):
        for path in sorted((extra / source).glob("*")):
            if path.suffix == ".parquet":
                continue
            text = path.read_text().replace("TCK-", "TCKX-").replace("ev-", "evx-").replace("INC-", "INCX-")
            (landing / source / f"zz_increment_{path.name}").write_text(rename(text))
            files += 1
    return files


def _case_type_renamer(case_types: Sequence[str] | None) -> Callable[[str], str]:
    """Text -> text with the demo's case types replaced by ``case_types``, in order of share.

    Every spelling the demo writes is replaced (``_ct_spellings``: any case, words joined by ``_``, ``-``
    or a space), also where it is free text ("Password reset not working"): the increment's text is the
    demo's own, and a spelling left behind would be a case type the folder does not have.
    """
    # written into CSV fields and JSON strings as they are: only names that need no quoting or escaping
    case_types = [name for name in case_types or () if re.fullmatch(r"[\w .\-]+", name)]
    if not case_types:
        return lambda text: text
    demo = sorted(CASE_TYPES, key=lambda c: -c.share)
    mapping = {c.name: case_types[i % len(case_types)] for i, c in enumerate(demo)}
    spelled = (r"[_\- ]".join(re.escape(word) for word in name.split("_")) for name in mapping)
    pattern = re.compile(r"\b(?:" + "|".join(spelled) + r")\b", re.IGNORECASE)
    return lambda text: pattern.sub(lambda m: mapping[re.sub(r"[\- ]", "_", m.group(0).lower())], text)


__all__ = ["generate", "write_increment", "DEFAULT_TICKETS", "DEFAULT_SEED", "DEFAULT_END_DATE", "DEFAULT_WEEKS", "CASE_TYPES"]
