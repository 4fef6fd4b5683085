"""Per-case evidence packets: everything an auditor needs about one case, hashed record by record.

``build_packet(ticket_id)`` gathers, from the trust snapshot (PII already
redacted in staging, and redacted again here as a last line of defence):
the current ticket, the case facts, every event in order, the policy that
applied (version and the case type's limits), the pact evaluations, the
escalation analysis (trigger, handoff, delay against the limit, compliant or
not), the dispute, the linked incidents, and the ledger entries of the raw
records behind them. Every record is hashed (SHA-256 of its canonical JSON,
see canonical.py) into a manifest, and the manifest itself is hashed.

``write_packet`` writes ``packet.json``, an offline HTML timeline
(``timeline.html``) and ``SHA256SUMS``; ``verify_packet`` checks a packet
folder on its own, without the warehouse.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from trustloop.trust.canonical import canonical_json, jsonable, record_hash, rows_as_dicts
from trustloop.trust.privacy import redact_value
from trustloop.trust.snapshot import (
    EVENT_COLUMNS,
    LEDGER_COLUMNS,
    Source,
    current_source,
    has_table,
    open_source,
    snapshot_meta,
)

PACKET_VERSION = 1
PACKET_FILE = "packet.json"
TIMELINE_FILE = "timeline.html"
SUMS_FILE = "SHA256SUMS"
SECTIONS = (
    "ticket", "case", "policy", "events", "evaluations", "escalation", "dispute", "incidents", "ledger",
)
TICKET_COLUMNS = (
    "ticket_id", "updated_at", "created_at", "channel", "case_type", "priority", "customer_id", "status",
    "solved_at", "subject", "description", "amount_at_stake", "csat_score", "reopened_count", "disputed_at",
    "dispute_outcome", "snapshot_count", "source_file", "source_line", "row_hash",
)
# the free-text fields of the packet (hashes and ids are never touched)
FREE_TEXT = {"ticket": ("subject", "description"), "events": ("attributes",), "incidents": ("summary",)}


class UnknownTicket(LookupError):
    """No case with this ticket id."""


def _one(rows: list[dict]) -> dict | None:
    return rows[0] if rows else None


def _events_table(con: duckdb.DuckDBPyConnection) -> str:
    """Where the events are: staging (warehouse, snapshots), or the table a snapshot of an older version kept."""
    if has_table(con, "staging", "stg_agent_logs__events"):
        return "staging.stg_agent_logs__events"
    return "intermediate.int_events__on_cases"


def _parse_attributes(event: dict) -> dict:
    text = event.get("attributes")
    if isinstance(text, str):
        try:
            event["attributes"] = json.loads(text)
        except ValueError:
            pass
    return event


def gather_records(con: duckdb.DuckDBPyConnection, ticket_id: str) -> dict[str, list[dict[str, Any]]]:
    """The packet's records, by section, from an open snapshot/warehouse connection."""
    ticket = rows_as_dicts(
        con.execute(
            f"select {', '.join(TICKET_COLUMNS)} from intermediate.int_tickets__current where ticket_id = ?",
            [ticket_id],
        )
    )
    if not ticket:
        raise UnknownTicket(f"no case with ticket id {ticket_id!r}")
    case = rows_as_dicts(con.execute("select * from marts.fct_cases where ticket_id = ?", [ticket_id]))
    case_type = ticket[0]["case_type"]
    policy = rows_as_dicts(
        con.execute("select * from intermediate.int_case_types__policy where case_type = ?", [case_type])
    )
    events = [
        _parse_attributes(e)
        for e in rows_as_dicts(
            con.execute(
                f"""select {', '.join(EVENT_COLUMNS)} from {_events_table(con)}
                    where ticket_id = ? order by occurred_at, event_id""",
                [ticket_id],
            )
        )
    ]
    evaluations = rows_as_dicts(
        con.execute("select * from marts.fct_evaluations where ticket_id = ? order by evaluated_at, event_id",
                    [ticket_id])
    )
    escalation = rows_as_dicts(con.execute("select * from marts.fct_escalations where ticket_id = ?", [ticket_id]))
    resolution = _one(
        rows_as_dicts(con.execute("select * from marts.fct_autonomous_resolutions where ticket_id = ?", [ticket_id]))
    )
    t = ticket[0]
    dispute = []
    if t.get("disputed_at") or t.get("dispute_outcome"):
        dispute.append(
            {
                "ticket_id": ticket_id,
                "disputed_at": t.get("disputed_at"),
                "dispute_outcome": t.get("dispute_outcome"),
                "is_autonomously_resolved": bool(resolution),
                "resolved_at": resolution.get("resolved_at") if resolution else None,
                "counts_in_dispute_rate": bool(resolution),
                "is_upheld": t.get("dispute_outcome") == "upheld",
            }
        )
    incidents = rows_as_dicts(
        con.execute(
            """select f.*, c.summary
               from marts.fct_incidents f
               left join intermediate.int_incidents__current c on c.incident_id = f.incident_id
               where f.incident_id in (
                   select incident_id from staging.stg_incidents__ticket_links where ticket_id = ?)
               order by f.detected_at, f.incident_id""",
            [ticket_id],
        )
    )
    ledger: list[dict] = []
    if has_table(con, "ledger", "records"):
        keys = [("tickets", ticket_id)] + [("agent_logs", e["event_id"]) for e in events] + [
            ("incidents", i["incident_id"]) for i in incidents
        ]
        ledger = rows_as_dicts(
            con.execute(
                f"""select {', '.join('l.' + c for c in LEDGER_COLUMNS)}
                   from ledger.records l
                   inner join (select unnest(?) as source, unnest(?) as record_key) k
                       on k.source = l.source and k.record_key = l.record_key
                   order by l.seq""",
                [[k[0] for k in keys], [k[1] for k in keys]],
            )
        )
    records = {
        "ticket": ticket,
        "case": case,
        "policy": policy,
        "events": events,
        "evaluations": evaluations,
        "escalation": escalation,
        "dispute": dispute,
        "incidents": incidents,
        "ledger": ledger,
    }
    # staging redacts free text already; this is a second, independent pass over the free text
    for section, fields in FREE_TEXT.items():
        for rec in records[section]:
            for name in fields:
                if name in rec:
                    rec[name] = redact_value(rec[name])
    return {section: [jsonable(r) for r in rows] for section, rows in records.items()}


def _record_id(section: str, record: dict, index: int) -> str:
    for key in ("event_id", "incident_id", "seq", "ticket_id", "case_type"):
        if key in record and record[key] is not None:
            return f"{key}={record[key]}"
    return f"#{index}"


def manifest_for(records: dict[str, list[dict]]) -> list[dict[str, Any]]:
    return [
        {"section": section, "index": i, "id": _record_id(section, rec, i), "sha256": record_hash(rec)}
        for section in SECTIONS
        for i, rec in enumerate(records.get(section, []))
    ]


def manifest_hash(header: dict, entries: list[dict]) -> str:
    return hashlib.sha256(canonical_json({"header": header, "entries": entries}).encode("utf-8")).hexdigest()


def _header(packet: dict) -> dict:
    return {k: packet.get(k) for k in ("packet_version", "ticket_id", "generated_at", "policy_version", "source")}


def escalation_summary(records: dict[str, list[dict]]) -> dict[str, Any] | None:
    if not records["escalation"]:
        return None
    e = records["escalation"][0]
    return {
        "trigger_reason": e.get("trigger_reason"),
        "triggered_at": e.get("triggered_at"),
        "handoff_at": e.get("handoff_at"),
        "handoff_delay_seconds": e.get("handoff_delay_seconds"),
        "max_handoff_delay_seconds": e.get("max_handoff_delay_seconds"),
        "takeover_at": e.get("takeover_at"),
        "is_compliant": e.get("is_compliant"),
        "outcome": e.get("escalation_outcome"),
    }


def build_packet_from(con: duckdb.DuckDBPyConnection, ticket_id: str, source: Source | None = None) -> dict[str, Any]:
    records = gather_records(con, ticket_id)
    meta = snapshot_meta(con)
    policy_row = records["policy"][0] if records["policy"] else {}
    packet: dict[str, Any] = {
        "packet_version": PACKET_VERSION,
        "ticket_id": ticket_id,
        "generated_at": datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "policy_version": policy_row.get("policy_version") or meta.get("policy_version"),
        "source": {
            "kind": source.kind if source else "snapshot",
            "published_at": meta.get("published_at"),
            "run_id": meta.get("run_id"),
        },
    }
    packet["summary"] = {
        "case_type": records["ticket"][0].get("case_type"),
        "agent_id": (records["case"][0].get("agent_id") if records["case"] else None),
        "policy_versions_on_events": sorted({e["policy_version"] for e in records["events"] if e.get("policy_version")}),
        "events": len(records["events"]),
        "evaluations": len(records["evaluations"]),
        "escalation": escalation_summary(records),
        "disputed": bool(records["dispute"]),
        "incidents": [i["incident_id"] for i in records["incidents"]],
    }
    packet["records"] = records
    entries = manifest_for(records)
    packet["manifest"] = {
        "algorithm": "sha256",
        "canonical_form": ("JSON, keys sorted, separators ',' ':', UTF-8, timestamps ISO 8601 in UTC written "
                           "without an offset"),
        # two packets of the same evidence share their entries' hashes; this one also covers the header
        "manifest_sha256_covers": "the header (packet_version, ticket_id, generated_at, policy_version, source) "
                                  "and the entries",
        "entries": entries,
        "manifest_sha256": manifest_hash(_header(packet), entries),
    }
    return packet


def build_packet(ticket_id: str) -> dict[str, Any]:
    """The evidence packet of one case (raises UnknownTicket)."""
    source = current_source()
    with open_source(source) as con:
        return build_packet_from(con, ticket_id, source)


def _sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_packet(packet: dict[str, Any], out_dir: Path) -> list[Path]:
    """Write packet.json, timeline.html and SHA256SUMS into ``out_dir``."""
    from trustloop.trust.timeline import render_timeline

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    packet_file = out_dir / PACKET_FILE
    packet_file.write_text(json.dumps(packet, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    timeline = out_dir / TIMELINE_FILE
    timeline.write_text(render_timeline(packet), encoding="utf-8")
    sums = out_dir / SUMS_FILE
    sums.write_text("".join(f"{_sha256_file(p)}  {p.name}\n" for p in (packet_file, timeline)))
    return [packet_file, timeline, sums]


@dataclass
class PacketReport:
    folder: str
    records: int = 0
    problems: list[str] = field(default_factory=list)
    manifest_sha256: str | None = None
    # set by compare_with_evidence: what the packet was checked against, and what it may not know yet
    checked_against: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def render(self) -> str:
        lines = [f"packet {self.folder}: {self.records} records, manifest {self.manifest_sha256 or '?'}"]
        if self.checked_against:
            lines.append(f"checked against {self.checked_against}")
        if self.ok:
            lines.append("OK: every record matches the manifest, the manifest hash and the file checksums hold"
                         + ("; every record and ledger entry is the warehouse's" if self.checked_against else ""))
            lines += [f"  note: {n}" for n in self.notes]
        else:
            lines.append(f"NOT VALID: {len(self.problems)} problem(s)")
            lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


def compare_with_evidence(report: PacketReport, packet: dict[str, Any], con: duckdb.DuckDBPyConnection,
                          source: Source) -> None:
    """Check a packet's records against the evidence the warehouse holds for its case (adds to ``report``).

    A forger who rewrites a packet and recomputes every hash makes a packet that verifies on its own; it
    cannot make the warehouse agree. The ledger entries in a packet never change once written (an erasure
    keeps them), so one that the ledger does not hold is forged. The other records are the case's evidence
    at the run that made the packet: when the warehouse is still at that run, any difference is an
    alteration; after later runs, a record may also have changed since (a new snapshot of the ticket, a
    later evaluation), and the report says which run each side is.
    """
    meta = snapshot_meta(con)
    run_id = meta.get("run_id")
    packet_run = (packet.get("source") or {}).get("run_id")
    same_run = run_id is not None and run_id == packet_run
    report.checked_against = (f"the {source.kind} {source.path} (run {run_id or 'unknown'}; the packet was made "
                              f"at run {packet_run or 'unknown'})")
    ticket_id = packet.get("ticket_id")
    try:
        current = gather_records(con, str(ticket_id))
    except UnknownTicket:
        report.problems.append(f"ticket {ticket_id} is not in the warehouse (its evidence was erased, or the "
                               "packet is not of this warehouse)")
        return
    now = {(e["section"], e["id"]): e["sha256"] for e in manifest_for(current)}
    listed = {(e.get("section"), e.get("id")): e.get("sha256") for e in (packet.get("manifest") or {}).get("entries") or []}
    since = "" if same_run else f", or changed since run {packet_run or 'unknown'}"
    for (section, record_id), digest in listed.items():
        if (section, record_id) not in now:
            if section == "ledger":
                report.problems.append(f"ledger ({record_id}): no such entry in the warehouse's ledger (forged)")
            else:
                report.problems.append(f"{section} ({record_id}): not in the warehouse's evidence (added{since})")
        elif now[(section, record_id)] != digest:
            what = "forged" if section == "ledger" else f"altered{since}"
            report.problems.append(f"{section} ({record_id}): differs from the warehouse's record ({what})")
    for section, record_id in sorted(set(now) - set(listed)):
        if same_run:
            report.problems.append(f"{section} ({record_id}): in the warehouse's evidence, not in the packet (removed)")
        else:
            report.notes.append(f"{section} ({record_id}): in the warehouse's evidence since run "
                                f"{packet_run or 'unknown'}, not in the packet")


def verify_packet(folder: Path) -> PacketReport:
    """Check a packet folder on its own: record hashes, the manifest hash and the file checksums."""
    folder = Path(folder)
    report = PacketReport(str(folder))
    packet_file = folder / PACKET_FILE
    if not packet_file.exists():
        report.problems.append(f"{PACKET_FILE} is missing")
        return report
    try:
        packet = json.loads(packet_file.read_text(encoding="utf-8"))
    except ValueError as exc:
        report.problems.append(f"{PACKET_FILE} is not valid JSON: {exc}")
        return report
    manifest = packet.get("manifest") or {}
    entries = manifest.get("entries") or []
    records = packet.get("records") or {}
    report.manifest_sha256 = manifest.get("manifest_sha256")
    listed = {(e.get("section"), e.get("index")): e for e in entries}
    seen = set()
    for section, rows in records.items():
        if section not in SECTIONS:
            report.problems.append(f"section {section!r} is not part of the packet format")
        for i, rec in enumerate(rows or []):
            report.records += 1
            entry = listed.get((section, i))
            seen.add((section, i))
            if entry is None:
                report.problems.append(f"{section}[{i}] is not in the manifest (record added)")
            elif record_hash(rec) != entry.get("sha256"):
                report.problems.append(f"{section}[{i}] ({entry.get('id')}): hash differs from the manifest (altered)")
    for key, entry in listed.items():
        if key not in seen:
            report.problems.append(f"{key[0]}[{key[1]}] ({entry.get('id')}) is in the manifest but missing (removed)")
    if manifest_hash(_header(packet), entries) != report.manifest_sha256:
        report.problems.append("the manifest hash does not match the manifest and header (manifest altered)")
    sums = folder / SUMS_FILE
    if not sums.exists():
        report.problems.append(f"{SUMS_FILE} is missing")
    else:
        named = set()
        for line in sums.read_text().splitlines():
            if not line.strip():
                continue
            digest, _, name = line.partition("  ")
            named.add(name)
            target = folder / name
            if not target.exists():
                report.problems.append(f"{name} is listed in {SUMS_FILE} but missing")
            elif _sha256_file(target) != digest:
                report.problems.append(f"{name}: checksum differs from {SUMS_FILE} (file altered)")
        for required in (PACKET_FILE, TIMELINE_FILE):
            if required not in named:
                report.problems.append(f"{required} is not listed in {SUMS_FILE}")
    timeline = folder / TIMELINE_FILE
    if timeline.exists() and report.manifest_sha256 and report.manifest_sha256 not in timeline.read_text(
        encoding="utf-8"
    ):
        report.problems.append(f"{TIMELINE_FILE} does not carry the packet's manifest hash")
    return report
