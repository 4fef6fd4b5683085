"""The evidence packet as a readable, self-contained HTML timeline (works offline: no scripts, no links)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

CSS = """
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 2rem auto; max-width: 1100px;
       color: #1d2433; line-height: 1.45; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem;
     border-bottom: 1px solid #d7dce5; padding-bottom: .25rem; }
.muted { color: #5f6b7a; font-size: .9rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: .6rem; }
.card { border: 1px solid #d7dce5; border-radius: 6px; padding: .6rem .8rem; background: #fafbfc; }
.card b { display: block; font-size: .8rem; color: #5f6b7a; font-weight: 600; }
.ok { color: #106b21; font-weight: 600; } .bad { color: #a4001d; font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; }
th, td { text-align: left; padding: .3rem .45rem; border-bottom: 1px solid #e7eaf0; vertical-align: top; }
th { background: #f1f3f7; }
ol.timeline { list-style: none; padding-left: 0; border-left: 3px solid #c7cfdc; margin-left: .5rem; }
ol.timeline li { position: relative; padding: .35rem 0 .55rem 1.1rem; }
ol.timeline li::before { content: ""; position: absolute; left: -8px; top: .7rem; width: 11px; height: 11px;
     border-radius: 50%; background: #8794a8; }
ol.timeline li.ai_agent::before { background: #2f6fde; } ol.timeline li.human::before { background: #d08400; }
ol.timeline li.customer::before { background: #19a05b; } ol.timeline li.escalation_trigger::before { background: #a4001d; }
code, .hash { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .8rem; word-break: break-all; }
"""


def _v(value: Any) -> str:
    if value is None:
        return '<span class="muted">-</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict | list):
        return f"<code>{escape(json.dumps(value, ensure_ascii=False, sort_keys=True))}</code>"
    return escape(str(value))


def _cards(pairs: list[tuple[str, Any]]) -> str:
    return '<div class="grid">' + "".join(f'<div class="card"><b>{escape(k)}</b>{_v(v)}</div>' for k, v in pairs) + "</div>"


def _table(rows: list[dict], columns: list[str]) -> str:
    if not rows:
        return '<p class="muted">none</p>'
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{_v(r.get(c))}</td>" for c in columns) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _event_detail(event: dict) -> str:
    attrs = event.get("attributes")
    if isinstance(attrs, dict):
        parts = [f"<b>{escape(str(k))}</b>: {_v(v)}" for k, v in sorted(attrs.items())]
        return "; ".join(parts)
    return _v(attrs)


def render_timeline(packet: dict[str, Any]) -> str:
    records = packet["records"]
    ticket = records["ticket"][0] if records["ticket"] else {}
    case = records["case"][0] if records["case"] else {}
    policy = records["policy"][0] if records["policy"] else {}
    summary = packet.get("summary", {})
    esc = summary.get("escalation")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Evidence packet {escape(packet['ticket_id'])}</title><style>{CSS}</style></head><body>",
        f"<h1>Evidence packet - case {escape(packet['ticket_id'])}</h1>",
        f"<p class='muted'>Generated {escape(str(packet.get('generated_at')))} UTC from the trust snapshot published "
        f"{escape(str(packet['source'].get('published_at')))} (run {escape(str(packet['source'].get('run_id')))}). "
        "Personal data in free text is redacted.</p>",
        "<h2>Case</h2>",
        _cards(
            [
                ("case type", ticket.get("case_type")), ("channel", ticket.get("channel")),
                ("priority", ticket.get("priority")), ("status", ticket.get("status")),
                ("customer (pseudonymous)", ticket.get("customer_id")), ("created", ticket.get("created_at")),
                ("solved", ticket.get("solved_at")), ("amount at stake", ticket.get("amount_at_stake")),
                ("handling", case.get("handling_mode")), ("agent", case.get("agent_id")),
                ("agent version", case.get("agent_version")), ("autonomy mode", case.get("autonomy_mode")),
            ]
        ),
        f"<p><b>Subject:</b> {_v(ticket.get('subject'))}<br><b>Description:</b> {_v(ticket.get('description'))}</p>",
        "<h2>Policy</h2>",
        "<p class='muted'>The limits below are those of the trustloop policy file the evidence was built with "
        "(its version when the packet was made). The policy the agent ran under is its platform's own, as its "
        "logs name it on the case's events.</p>",
        _cards(
            [
                ("trustloop policy file version", packet.get("policy_version")),
                ("agent's policy on the case's events (from its logs)",
                 ", ".join(summary.get("policy_versions_on_events") or []) or None),
                ("catalogued case type", policy.get("is_catalogued")), ("catalog tier", policy.get("catalog_tier")),
                ("max handoff delay (s)", policy.get("max_handoff_delay_seconds")),
                ("max dispute rate", policy.get("max_dispute_rate")),
            ]
        ),
        "<h2>Escalation analysis</h2>",
    ]
    if esc:
        verdict = '<span class="ok">compliant</span>' if esc.get("is_compliant") else '<span class="bad">not compliant</span>'
        parts.append(
            f"<p>{verdict} - outcome <code>{_v(esc.get('outcome'))}</code></p>"
            + _cards(
                [
                    ("trigger", esc.get("trigger_reason")), ("triggered at", esc.get("triggered_at")),
                    ("handoff at", esc.get("handoff_at")), ("handoff delay (s)", esc.get("handoff_delay_seconds")),
                    ("limit (s)", esc.get("max_handoff_delay_seconds")), ("human takeover at", esc.get("takeover_at")),
                ]
            )
        )
    else:
        parts.append('<p class="muted">No required escalation on this case.</p>')
    parts.append("<h2>Dispute</h2>")
    parts.append(
        _table(records["dispute"], ["disputed_at", "dispute_outcome", "is_autonomously_resolved", "resolved_at",
                                    "counts_in_dispute_rate"])
    )
    parts.append("<h2>Pact evaluations</h2>")
    parts.append(
        _table(records["evaluations"], ["evaluated_at", "dimension", "passed", "score", "evaluator", "pact_id",
                                        "evaluator_actor_id"])
    )
    parts.append("<h2>Linked incidents</h2>")
    parts.append(
        _table(records["incidents"], ["incident_id", "severity", "category", "agent_id", "started_at", "detected_at",
                                      "resolved_at", "summary"])
    )
    parts.append(f"<h2>Timeline ({len(records['events'])} events)</h2><ol class='timeline'>")
    for e in records["events"]:
        classes = f"{escape(str(e.get('actor_type')))} {escape(str(e.get('event_type')))}"
        parts.append(
            f"<li class='{classes}'><span class='muted'>{_v(e.get('occurred_at'))}</span> "
            f"<b>{_v(e.get('event_type'))}</b> by {_v(e.get('actor_type'))} <code>{_v(e.get('actor_id'))}</code>"
            f"{' (' + _v(e.get('autonomy_mode')) + ')' if e.get('autonomy_mode') else ''}<br>{_event_detail(e)}</li>"
        )
    parts.append("</ol>")
    parts.append("<h2>Ledger entries of the raw records</h2>")
    parts.append(_table(records["ledger"], ["seq", "source", "record_key", "file", "line", "chain_hash"]))
    manifest = packet["manifest"]
    parts.append(f"<h2>Manifest ({len(manifest['entries'])} records, SHA-256)</h2>")
    parts.append(_table(manifest["entries"], ["section", "index", "id", "sha256"]))
    parts.append(
        f"<p>Manifest hash: <span class='hash'>{escape(manifest['manifest_sha256'])}</span></p>"
        "<p class='muted'>Check this packet with <code>trustloop verify-packet &lt;folder&gt;</code> "
        "(no warehouse needed).</p></body></html>\n"
    )
    return "".join(parts)
