"""Trust lookup, evidence packets, the tamper-evident ledger and PII protection.

- ``lookup.py``    — ``lookup(agent_id)``: Score, tier, components, evidence, current autonomy
- ``snapshot.py``  — the read-only snapshot each run publishes for readers (lookup, packets, HTTP)
- ``api.py``       — the read-only HTTP service (``trustloop serve``)
- ``evidence.py``  — per-case evidence packets and their offline verification (``timeline.py``: HTML)
- ``ledger.py``    — hash-chained ledger of ingested records, checkpoints, ``verify``
- ``privacy.py``   — PII redaction rules (the SQL twin is dbt_project/macros/pii.sql)
- ``erase.py``     — erasing a customer from every layer
- ``canonical.py`` — canonical JSON and SHA-256 of records

The Agent Score itself is a dbt model: dbt_project/models/marts/trust_lookup/rpt_agent_scores.sql.
"""
