"""Fixtures of the trust tests: a warehouse built from the contract sample plus planted PII.

``pii_build`` is the contract-sample landing folder with three more files
for a planted customer (C-PII-0001): two tickets, their agent-log events and
an incident whose free text carries an e-mail address, phone numbers and a
Luhn-valid card number, plus a Luhn-invalid 16-digit order number that must
survive redaction, and a quarantined ticket row naming the customer.
It is built once per test session and copied for each xdist worker
(``tests/conftest.py``: ``shared_build``). ``clone_build`` copies a built
workdir so a test can tamper with, erase from or re-run it without touching
the shared build.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import CONTRACT_SAMPLE, shared, shared_build, trustloop_env

CUSTOMER = "C-PII-0001"
TICKET = "T-PII-0001"
TICKET_DISPUTED = "T-PII-0002"
AGENT = "agent_air_alpha"
EMAIL = "zelda.planted@example.org"
PHONE = "+1 415 555 0142"
PHONE_UK = "+44 20 7946 0999"
CARD = "4539 1488 0343 6467"  # Luhn-valid
CARD_DASHED = "4539-1488-0343-6467"
CARD_PLAIN = "4539148803436467"
NOT_A_CARD = "7712 0043 9981 2345"  # 16 digits, Luhn-invalid: must be kept
PLANTED_PII = (EMAIL, PHONE, PHONE_UK, CARD, CARD_DASHED, CARD_PLAIN, "zelda.planted")

TICKET_HEADER = (
    "ticket_id,updated_at,created_at,channel,case_type,priority,customer_id,status,solved_at,subject,description,"
    "amount_at_stake,csat_score,reopened_count,disputed_at,dispute_outcome\n"
)


def _csv(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def planted_files(landing: Path) -> None:
    tickets = landing / "tickets" / "zz_planted.csv"
    rows = [
        [TICKET, "2026-04-16T10:00:00Z", "2026-04-15T09:00:00Z", "chat", "flight_change", "high", CUSTOMER, "solved",
         "2026-04-15T09:30:00Z", f"Refund for {EMAIL}",
         f"Please refund to card {CARD_DASHED}, reach me at {PHONE} or {EMAIL}. Order ref {NOT_A_CARD}.",
         "120.00", "2", "0", "", ""],
        [TICKET_DISPUTED, "2026-04-20T12:00:00Z", "2026-04-16T08:00:00Z", "email", "flight_change", "normal",
         CUSTOMER, "closed", "2026-04-16T08:20:00Z", "Wrong flight booked",
         f"You changed the wrong flight. Card on file {CARD_PLAIN}, call {PHONE_UK}.",
         "300.00", "1", "0", "2026-04-19T10:00:00Z", "upheld"],
        # breaks the contract (channel 'fax', and an e-mail address typed as the amount, which the
        # quarantine reason quotes): quarantined with its raw text
        ["T-PII-0003", "2026-04-17T10:00:00Z", "2026-04-17T09:00:00Z", "fax", "flight_change", "low", CUSTOMER,
         "open", "", "Fax", f"My email is {EMAIL}", EMAIL, "", "0", "", ""],
    ]
    tickets.write_text(TICKET_HEADER + "".join(",".join(_csv(v) for v in r) + "\n" for r in rows))

    def event(n: int, ticket: str, at: str, actor_type: str, actor: str, kind: str, attrs: dict, **extra) -> str:
        return json.dumps({
            "event_id": f"ev-pii-{n:04d}", "ticket_id": ticket, "occurred_at": at, "actor_type": actor_type,
            "actor_id": actor, "event_type": kind, "attributes": attrs, **extra,
        })

    ai = {"agent_version": "5.2.0", "policy_version": "p-7"}
    events = [
        event(1, TICKET, "2026-04-15T09:00:10Z", "ai_agent", AGENT, "case_assigned", {"mode": "resolve"},
              autonomy_mode="resolve", **ai),
        event(2, TICKET, "2026-04-15T09:01:00Z", "customer", CUSTOMER, "customer_message",
              {"text": f"My email is {EMAIL} and my card is {CARD}. Ref {NOT_A_CARD}.", "sentiment": -0.4,
               "requested_human": True}),
        event(3, TICKET, "2026-04-15T09:02:00Z", "system", "guard", "escalation_trigger",
              {"reason": "customer_requested_human", "required": True}),
        event(4, TICKET, "2026-04-15T09:03:30Z", "ai_agent", AGENT, "handoff_to_human",
              {"reason": "customer_requested_human", "queue": "refunds"}, **ai),
        event(5, TICKET, "2026-04-15T09:10:00Z", "human", "hu_7", "message_sent",
              {"text": f"We will call you on {PHONE}."}),
        event(6, TICKET, "2026-04-15T09:30:00Z", "human", "hu_7", "case_resolved", {"resolution_code": "refunded"}),
        event(7, TICKET, "2026-04-16T09:00:00Z", "system", "qa_1", "evaluation",
              {"dimension": "escalation", "passed": True, "score": 0.9, "evaluator": "human_qa"}),
        event(8, TICKET_DISPUTED, "2026-04-16T08:00:05Z", "ai_agent", AGENT, "case_assigned", {"mode": "resolve"},
              autonomy_mode="resolve", **ai),
        event(9, TICKET_DISPUTED, "2026-04-16T08:10:00Z", "ai_agent", AGENT, "message_sent",
              {"text": f"Your card {CARD} will be credited."}, **ai),
        event(10, TICKET_DISPUTED, "2026-04-16T08:20:00Z", "ai_agent", AGENT, "case_resolved",
              {"resolution_code": "changed"}, **ai),
        event(11, TICKET_DISPUTED, "2026-04-17T08:00:00Z", "system", "qa_1", "evaluation",
              {"dimension": "accuracy", "passed": False, "score": 0.2, "evaluator": "auto_eval"}),
    ]
    (landing / "agent_logs" / "zz_planted.jsonl").write_text("\n".join(events) + "\n")

    incidents = landing / "incidents" / "zz_planted.csv"
    incidents.write_text(
        "incident_id,started_at,detected_at,resolved_at,severity,category,agent_id,case_type,ticket_ids,"
        "customers_affected,remediation_cost,summary\n"
        f"INC-PII-1,2026-04-16T08:20:00Z,2026-04-19T10:00:00Z,2026-04-20T12:00:00Z,sev2,incorrect_autonomous_action,"
        f"{AGENT},flight_change,{TICKET_DISPUTED},1,300.00,"
        + _csv(f"Wrong flight changed for customer {CUSTOMER}; refund to card {CARD} ({PHONE_UK})")
        + "\n"
    )


@pytest.fixture(scope="session")
def pii_landing(tmp_path_factory) -> Path:
    """The planted-PII landing folder of the session (shared by the workers: never write to it)."""
    with shared(tmp_path_factory, "pii") as (folder, made):
        if not made:
            shutil.copytree(CONTRACT_SAMPLE / "landing", folder / "landing")
            planted_files(folder / "landing")
    return folder / "landing"


@pytest.fixture(scope="session")
def pii_build(tmp_path_factory, pii_landing):
    """(workdir, warehouse, env, run stdout+stderr) of the planted-PII build (this worker's copy of it)."""
    warehouse, env, output = shared_build(tmp_path_factory, "pii_build", pii_landing, stderr=True)
    return Path(env["TRUSTLOOP_OUTPUT_DIR"]).parent, warehouse, env, output


def clone_build(build, dest: Path, landing: Path | None = None):
    """Copy a built workdir's output (warehouse, snapshot, anchors, reports) to ``dest``; a fresh Dagster home."""
    workdir, warehouse, env, _out = build
    shutil.copytree(workdir / "output", dest / "output")
    new_env = trustloop_env(dest, Path(landing or env["TRUSTLOOP_LANDING_DIR"]))
    return Path(new_env["TRUSTLOOP_WAREHOUSE"]), new_env
