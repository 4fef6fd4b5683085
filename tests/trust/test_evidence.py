"""Evidence packets: contents, offline verification, forgery detection, no PII."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_trustloop
from tests.trust.conftest import AGENT, CARD, EMAIL, NOT_A_CARD, PLANTED_PII, TICKET, TICKET_DISPUTED
from trustloop.trust.canonical import record_hash


@pytest.fixture(scope="module")
def packet_dir(pii_build, tmp_path_factory) -> Path:
    _workdir, _warehouse, env, _out = pii_build
    out = tmp_path_factory.mktemp("packet") / TICKET
    proc = run_trustloop(["evidence", TICKET, "--out", str(out)], env)
    assert "manifest sha256" in proc.stdout
    return out


@pytest.fixture(scope="module")
def disputed_packet_dir(pii_build, tmp_path_factory) -> Path:
    _workdir, _warehouse, env, _out = pii_build
    out = tmp_path_factory.mktemp("packet") / TICKET_DISPUTED
    run_trustloop(["evidence", TICKET_DISPUTED, "--out", str(out)], env)
    return out


def _load(folder: Path) -> dict:
    return json.loads((folder / "packet.json").read_text())


def test_packet_contents(packet_dir):
    packet = _load(packet_dir)
    records = packet["records"]
    assert packet["ticket_id"] == TICKET
    assert {p.name for p in packet_dir.iterdir()} == {"packet.json", "timeline.html", "SHA256SUMS"}
    # the current ticket, redacted; the Luhn-invalid number is not a card and stays
    ticket = records["ticket"][0]
    assert ticket["description"] == (
        "Please refund to card [card redacted], reach me at [phone redacted] or [email redacted]. "
        f"Order ref {NOT_A_CARD}."
    )
    # every event, in order
    events = records["events"]
    assert [e["event_id"] for e in events] == [f"ev-pii-{n:04d}" for n in range(1, 8)]
    assert [e["occurred_at"] for e in events] == sorted(e["occurred_at"] for e in events)
    assert events[1]["attributes"]["text"].startswith("My email is [email redacted] and my card is [card redacted]")
    # policy version and the case type's policy
    assert packet["policy_version"] and records["policy"][0]["case_type"] == "flight_change"
    assert packet["summary"]["policy_versions_on_events"] == ["p-7"]
    # evaluations and the escalation analysis
    assert [(e["dimension"], e["passed"]) for e in records["evaluations"]] == [("escalation", True)]
    esc = packet["summary"]["escalation"]
    assert esc["trigger_reason"] == "customer_requested_human"
    assert esc["triggered_at"] == "2026-04-15T09:02:00" and esc["handoff_at"] == "2026-04-15T09:03:30"
    assert esc["handoff_delay_seconds"] == 90 and esc["is_compliant"] is True and esc["outcome"] == "timely_handoff"
    assert records["case"][0]["agent_id"] == AGENT
    # ledger entries of the ticket and its events
    ledger_keys = {(r["source"], r["record_key"]) for r in records["ledger"]}
    assert ("tickets", TICKET) in ledger_keys and ("agent_logs", "ev-pii-0001") in ledger_keys
    # a manifest entry per record, each the SHA-256 of the record
    entries = packet["manifest"]["entries"]
    assert len(entries) == sum(len(v) for v in records.values())
    for entry in entries:
        assert entry["sha256"] == record_hash(records[entry["section"]][entry["index"]])
    html = (packet_dir / "timeline.html").read_text()
    assert packet["manifest"]["manifest_sha256"] in html and "timely_handoff" in html and "<script" not in html


def test_packet_disputes_and_incidents(disputed_packet_dir):
    packet = _load(disputed_packet_dir)
    dispute = packet["records"]["dispute"]
    assert len(dispute) == 1 and dispute[0]["dispute_outcome"] == "upheld" and dispute[0]["counts_in_dispute_rate"]
    incidents = packet["records"]["incidents"]
    assert [i["incident_id"] for i in incidents] == ["INC-PII-1"]
    assert incidents[0]["summary"] == (
        "Wrong flight changed for customer C-PII-0001; refund to card [card redacted] ([phone redacted])"
    )
    assert ("incidents", "INC-PII-1") in {(r["source"], r["record_key"]) for r in packet["records"]["ledger"]}


def test_packets_carry_no_planted_pii(packet_dir, disputed_packet_dir):
    for folder in (packet_dir, disputed_packet_dir):
        for path in folder.iterdir():
            data = path.read_text()
            for needle in PLANTED_PII:
                assert needle not in data, (path, needle)


def test_verify_packet_ok(packet_dir, pii_build):
    proc = run_trustloop(["verify-packet", str(packet_dir)], pii_build[2])
    assert proc.returncode == 0 and "OK" in proc.stdout


def test_verify_packet_needs_no_warehouse(packet_dir, tmp_path):
    """Verification reads only the folder: point the settings at nothing at all."""
    import os

    env = dict(os.environ, TRUSTLOOP_OUTPUT_DIR=str(tmp_path / "none"), TRUSTLOOP_WAREHOUSE=str(tmp_path / "no.duckdb"),
               DAGSTER_HOME=str(tmp_path / "dh"))
    proc = run_trustloop(["verify-packet", str(packet_dir)], env)
    assert "OK" in proc.stdout
    assert not (tmp_path / "no.duckdb").exists()


def _forge(packet_dir: Path, tmp_path: Path, change) -> Path:
    forged = tmp_path / "forged"
    shutil.copytree(packet_dir, forged)
    packet = _load(forged)
    change(packet, forged)
    (forged / "packet.json").write_text(json.dumps(packet, indent=2, sort_keys=True))
    return forged


def _reseal_sums(folder: Path) -> None:
    """What a careful forger does: recompute the file checksums too."""
    import hashlib

    (folder / "SHA256SUMS").write_text("".join(
        f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in ("packet.json", "timeline.html")
    ))


def _altered_event(packet, _folder):
    packet["records"]["events"][3]["occurred_at"] = "2026-04-15T09:02:30"


def _altered_event_and_its_hash(packet, _folder):
    _altered_event(packet, _folder)
    entry = next(e for e in packet["manifest"]["entries"] if e["section"] == "events" and e["index"] == 3)
    entry["sha256"] = record_hash(packet["records"]["events"][3])


def _removed_evaluation(packet, _folder):
    packet["records"]["evaluations"].pop()


def _added_event(packet, _folder):
    packet["records"]["events"].append(dict(packet["records"]["events"][0], event_id="ev-forged"))


def _reordered_events(packet, _folder):
    events = packet["records"]["events"]
    events[2], events[3] = events[3], events[2]


def _restored_pii(packet, _folder):
    packet["records"]["ticket"][0]["subject"] = f"Refund for {EMAIL} card {CARD}"


@pytest.mark.parametrize(
    "change",
    [_altered_event, _altered_event_and_its_hash, _removed_evaluation, _added_event, _reordered_events, _restored_pii],
)
def test_forged_packet_is_detected(packet_dir, tmp_path, pii_build, change):
    from trustloop.trust.evidence import verify_packet

    forged = _forge(packet_dir, tmp_path, change)
    _reseal_sums(forged)  # even with consistent file checksums
    report = verify_packet(forged)
    assert not report.ok, change.__name__
    proc = run_trustloop(["verify-packet", str(forged)], pii_build[2], check=False)
    assert proc.returncode == 1 and "NOT VALID" in proc.stdout


def test_edited_timeline_is_detected(packet_dir, tmp_path):
    from trustloop.trust.evidence import verify_packet

    forged = tmp_path / "forged_html"
    shutil.copytree(packet_dir, forged)
    html = forged / "timeline.html"
    html.write_text(html.read_text().replace("compliant", "late"))
    report = verify_packet(forged)
    assert any("timeline.html" in p for p in report.problems)


def test_unknown_ticket_is_a_clear_error(pii_build, tmp_path):
    proc = run_trustloop(["evidence", "T-DOES-NOT-EXIST", "--out", str(tmp_path / "x")], pii_build[2], check=False)
    assert proc.returncode == 2 and "T-DOES-NOT-EXIST" in proc.stderr and "Traceback" not in proc.stderr


def _reforged(packet_dir: Path, tmp_path: Path, change) -> Path:
    """What a forger who knows the format does: change a record, then recompute every hash, the manifest
    hash, the timeline and the file checksums. The packet verifies on its own."""
    from trustloop.trust.evidence import _header, manifest_for, manifest_hash
    from trustloop.trust.timeline import render_timeline

    def reseal(packet, folder):
        change(packet)
        entries = manifest_for(packet["records"])
        packet["manifest"]["entries"] = entries
        packet["manifest"]["manifest_sha256"] = manifest_hash(_header(packet), entries)
        (folder / "timeline.html").write_text(render_timeline(packet))

    forged = _forge(packet_dir, tmp_path, reseal)
    _reseal_sums(forged)
    return forged


def _upheld_to_rejected(packet):
    packet["records"]["ticket"][0]["dispute_outcome"] = "rejected"


def _forged_ledger_entry(packet):
    packet["records"]["ledger"][0]["row_hash"] = "0" * 64


@pytest.mark.parametrize(("change", "expected"), [
    (_upheld_to_rejected, f"ticket (ticket_id={TICKET_DISPUTED}): differs from the warehouse's record (altered)"),
    (_forged_ledger_entry, "differs from the warehouse's record (forged)"),
])
def test_a_packet_resealed_by_a_forger_verifies_alone_but_not_against_the_warehouse(
        disputed_packet_dir, tmp_path, pii_build, change, expected):
    assert _load(disputed_packet_dir)["records"]["ticket"][0]["dispute_outcome"] == "upheld"
    forged = _reforged(disputed_packet_dir, tmp_path, change)
    alone = run_trustloop(["verify-packet", str(forged)], pii_build[2])
    assert alone.returncode == 0 and "OK:" in alone.stdout  # the limitation the option exists for
    proc = run_trustloop(["verify-packet", str(forged), "--against-warehouse"], pii_build[2], check=False)
    assert proc.returncode == 1 and "NOT VALID: 1 problem(s)" in proc.stdout, proc.stdout
    assert expected in proc.stdout
    # the genuine packet agrees with the warehouse, record for record
    genuine = run_trustloop(["verify-packet", str(disputed_packet_dir), "--against-warehouse"], pii_build[2])
    assert "every record and ledger entry is the warehouse's" in genuine.stdout and "checked against the" in genuine.stdout


def test_a_packet_of_an_earlier_run_names_what_changed_since(packet_dir, tmp_path, pii_build):
    """After later runs a difference may be an alteration or a change since: the report says which runs."""
    def earlier_run(packet):
        packet["source"]["run_id"] = "an-earlier-run"
        packet["records"]["events"].pop()  # an event the packet's run had not seen yet

    older = _reforged(packet_dir, tmp_path, earlier_run)
    proc = run_trustloop(["verify-packet", str(older), "--against-warehouse"], pii_build[2])
    assert proc.returncode == 0 and "the packet was made at run an-earlier-run" in proc.stdout
    assert "in the warehouse's evidence since run an-earlier-run, not in the packet" in proc.stdout
