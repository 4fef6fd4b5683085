"""Trust commands: `lookup`, `serve`, `evidence`, `verify`, `verify-packet`, `erase`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from trustloop.commands.args import out_dir
from trustloop.errors import UserError, require_warehouse


def _snapshot_errors():
    from trustloop.trust.snapshot import SnapshotMissing

    return SnapshotMissing


def cmd_lookup(args) -> int:
    from trustloop.trust.lookup import UnknownAgent, list_agents, lookup

    try:
        if args.agent_id is None:
            result = {"agents": list_agents()}
        else:
            result = lookup(args.agent_id)
    except UnknownAgent as exc:
        raise UserError(f"{exc.args[0]} (`trustloop lookup` without an id lists the scored agents)") from None
    except _snapshot_errors() as exc:
        raise UserError(str(exc)) from None
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0


def cmd_serve(args) -> int:
    from trustloop.trust.api import serve
    from trustloop.trust.snapshot import snapshot_path

    if not snapshot_path().exists():
        print(f"note: no trust snapshot yet at {snapshot_path()} (run `trustloop run`); answering 503 until one is "
              "published", file=sys.stderr)
    print(f"serving the trust lookup on http://{args.host}:{args.port} (OpenAPI: /openapi.json)", file=sys.stderr)
    serve(host=args.host, port=args.port)
    return 0


def cmd_evidence(args) -> int:
    from trustloop.trust.evidence import UnknownTicket, build_packet, write_packet

    try:
        packet = build_packet(args.ticket_id)
    except UnknownTicket as exc:
        raise UserError(str(exc.args[0])) from None
    except _snapshot_errors() as exc:
        raise UserError(str(exc)) from None
    files = write_packet(packet, Path(args.out))
    summary = packet["summary"]
    print(f"evidence packet for {args.ticket_id}: {len(packet['manifest']['entries'])} records, "
          f"{summary['events']} events, manifest sha256 {packet['manifest']['manifest_sha256']}")
    for f in files:
        print(f"  wrote {f}")
    return 0


def cmd_verify_packet(args) -> int:
    from trustloop.trust.evidence import verify_packet

    folder = Path(args.folder)
    if not folder.is_dir():
        raise UserError(f"not a packet folder: {folder}")
    report = verify_packet(folder)
    if args.against_warehouse and report.ok:
        from trustloop.trust.evidence import PACKET_FILE, compare_with_evidence
        from trustloop.trust.snapshot import current_source, open_source

        require_warehouse()
        packet = json.loads((folder / PACKET_FILE).read_text(encoding="utf-8"))
        source = current_source()
        with open_source(source) as con:
            compare_with_evidence(report, packet, con, source)
    print(report.render())
    return 0 if report.ok else 1


def cmd_verify(args) -> int:
    from trustloop.trust.ledger import anchor_path, verify
    from trustloop.warehouse import connect

    settings = require_warehouse()
    with connect(read_only=True) as con:
        report = verify(con, anchor_path(settings.output_dir, settings.warehouse))
    if args.json:
        print(json.dumps(report.as_dict(), indent=2))
    else:
        print(report.render())
    return 0 if report.ok and not (args.strict and report.warnings) else 1


def cmd_erase(args) -> int:
    from trustloop.trust.erase import erase_customer

    settings = require_warehouse()
    report = erase_customer(args.customer, settings, progress=True)
    print(report.render())
    return 0 if report.ok else 1


def register(sub) -> None:
    lookup = sub.add_parser(
        "lookup", help="trust lookup: an agent's Score, tier, components and evidence as JSON",
        description="Print the trust lookup of an AI agent as JSON (from the published trust snapshot).",
    )
    lookup.add_argument("agent_id", nargs="?", help="agent id, e.g. agent_support_beta (omit to list agents)")
    lookup.set_defaults(handler=cmd_lookup)

    serve = sub.add_parser(
        "serve", help="read-only HTTP service: /api/v1/scores/{agent_id}, /api/v1/cases/{ticket_id}/evidence, "
        "/api/v1/agents, /api/v1/health (OpenAPI at /openapi.json)",
    )
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind (default loopback only)")
    serve.set_defaults(handler=cmd_serve)

    evidence = sub.add_parser("evidence", help="write the evidence packet of a case (JSON + HTML timeline)")
    evidence.add_argument("ticket_id")
    evidence.add_argument("--out", required=True, type=out_dir, help="folder to write the packet into")
    evidence.set_defaults(handler=cmd_evidence)

    verify_packet = sub.add_parser("verify-packet", help="verify an evidence packet folder (no warehouse needed)")
    verify_packet.add_argument("folder")
    verify_packet.add_argument(
        "--against-warehouse", action="store_true",
        help="also check every record and ledger entry against the warehouse's evidence for the case (a packet "
             "rewritten with every hash recomputed verifies on its own, not against the warehouse)")
    verify_packet.set_defaults(handler=cmd_verify_packet)

    verify = sub.add_parser("verify", help="check the warehouse against the tamper-evident ledger")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.add_argument("--strict", action="store_true",
                        help="exit 1 on a warning too (no anchor file, a checkpoint without its anchor): for "
                        "audits that must prove the ledger against its anchors")
    verify.set_defaults(handler=cmd_verify)

    erase = sub.add_parser(
        "erase", help="erase a customer from every layer (raw, quarantine, marts, snapshot) and compact the file",
        description="Erase a customer from every layer of the warehouse. Cannot be undone. The ledger keeps "
        "only hashes and pseudonymous keys and still verifies afterwards.",
    )
    erase.add_argument("--customer", required=True, help="the customer_id to erase")
    erase.set_defaults(handler=cmd_erase)
