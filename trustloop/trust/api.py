"""Read-only HTTP service for the trust lookup and the evidence packets (``trustloop serve``).

Serves from the published trust snapshot (one short-lived read-only
connection per request), never from the warehouse, so it keeps answering
while a run writes. No endpoint writes anything.
"""

from __future__ import annotations

import threading

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from trustloop.trust.evidence import UnknownTicket, build_packet_from
from trustloop.trust.lookup import UnknownAgent, list_agents_in, lookup_in
from trustloop.trust.snapshot import SnapshotMissing, current_source, open_source, snapshot_meta

# DuckDB caches one database instance per path and process; opening and
# closing under a lock means a request never reuses the instance of a
# snapshot file that has since been replaced.
_SNAPSHOT_LOCK = threading.Lock()


def _not_found(message: str) -> JSONResponse:
    return JSONResponse(status_code=404, content={"error": "not_found", "detail": message})


def _unavailable(message: str) -> JSONResponse:
    return JSONResponse(status_code=503, content={"error": "no_snapshot", "detail": message})


def create_app() -> FastAPI:
    app = FastAPI(
        title="trustloop trust lookup",
        version="1",
        description=(
            "Read-only trust lookup for AI customer-support agents: the Agent Score (0-1000) with its "
            "components and evidence, and per-case evidence packets. Served from the snapshot each "
            "`trustloop run` publishes."
        ),
    )

    @app.get("/api/v1/health", summary="Service health and the snapshot it serves")
    def health() -> dict:
        try:
            source = current_source(allow_warehouse=False)
        except SnapshotMissing as exc:
            return {"status": "no_snapshot", "detail": str(exc)}
        with _SNAPSHOT_LOCK:
            with open_source(source) as con:
                meta = snapshot_meta(con)
        return {"status": "ok", "source": source.kind, "published_at": meta.get("published_at"),
                "run_id": meta.get("run_id"), "policy_version": meta.get("policy_version")}

    @app.get("/api/v1/agents", summary="Every scored agent with its latest Score and tier")
    def agents():
        try:
            with _SNAPSHOT_LOCK:
                with open_source(current_source(allow_warehouse=False)) as con:
                    return {"agents": list_agents_in(con)}
        except SnapshotMissing as exc:
            return _unavailable(str(exc))

    @app.get(
        "/api/v1/scores/{agent_id}",
        summary="Trust lookup: an agent's Score, tier, components, evidence and current autonomy",
        responses={404: {"description": "Unknown agent"}},
    )
    def score(agent_id: str):
        try:
            with _SNAPSHOT_LOCK:
                source = current_source(allow_warehouse=False)
                with open_source(source) as con:
                    return lookup_in(con, agent_id, source)
        except UnknownAgent as exc:
            return _not_found(str(exc.args[0]))
        except SnapshotMissing as exc:
            return _unavailable(str(exc))

    @app.get(
        "/api/v1/cases/{ticket_id}/evidence",
        summary="The evidence packet of a case (records, escalation analysis, manifest of SHA-256 hashes)",
        responses={404: {"description": "Unknown case"}},
    )
    def evidence(ticket_id: str):
        try:
            with _SNAPSHOT_LOCK:
                source = current_source(allow_warehouse=False)
                with open_source(source) as con:
                    return build_packet_from(con, ticket_id, source)
        except UnknownTicket as exc:
            return _not_found(str(exc.args[0]))
        except SnapshotMissing as exc:
            return _unavailable(str(exc))

    return app


def serve(host: str = "127.0.0.1", port: int = 8765) -> None:
    import uvicorn

    uvicorn.run(create_app(), host=host, port=port, log_level="warning", access_log=False)
