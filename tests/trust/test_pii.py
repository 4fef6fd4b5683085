"""PII redaction: the rules, the SQL macro against the Python twin, and no planted PII above raw."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.trust.conftest import (
    CARD,
    CUSTOMER,
    EMAIL,
    NOT_A_CARD,
    PHONE,
    PLANTED_PII,
    TICKET,
)
from trustloop.settings import DBT_PROJECT_DIR
from trustloop.trust.privacy import CARD_TOKEN, EMAIL_TOKEN, PHONE_TOKEN, find_pii, luhn_valid, redact_pii

SAMPLES = [
    "My email is ahmed.doe@example.com.",
    "The charge was on card 4111 1111 1111 1111.",
    "card 5555-5555-5555-4444 exp 12/28",
    "contiguous 4111111111111111 end",
    "card 4111 1111 1111 1111 12/28",
    "order 4111 1111 1111 1112 please",
    "order 4111111111111112 please",
    f"ref {NOT_A_CARD} kept",
    "You can call me on +1 415 555 0169.",
    "You can call me on +44 20 7946 0123.",
    "call (415) 555-0123 or 415.555.0199 or 415-555-0100",
    "uk 020 7946 0123 ok",
    '{"text": "My card 4155 3098 4186 4093 and x@y.org", "sentiment": -0.4123456789012, "amount": 30.20}',
    "date 2026-03-02 09:15:00, ticket TCK-0002974, 12345 and 3.1415926535897",
    "customer Olivia Chen (olivia.chen@example.net, +1 415 555 0169)",
    " (415) 555-0123 at the start",
    "call 415-555-0123. 2 days later",
    "555-123-4567 8901 is one longer number",
    "020 7946 0123 4567 too",
    "hash a4539148803436467b and id x4539148803436467 and 4539148803436467y stay",
    # at the edge of the shortcut (no '@' and fewer than 7 digits: left unexamined)
    "shortest +1234567 phone",
    # each digit counts towards the 7: a phone number of one digit only is still examined
    *(f"call +{digit * 7} now" for digit in "0123456789"),
    "too short +123456 kept",
    "",
]


def test_luhn():
    assert luhn_valid("4111111111111111")
    assert luhn_valid("4539148803436467")
    assert not luhn_valid("4111111111111112")
    assert not luhn_valid(NOT_A_CARD.replace(" ", ""))


@pytest.mark.parametrize(
    "text, expected",
    [
        ("mail me: a.b+c@mail.example.com!", f"mail me: {EMAIL_TOKEN}!"),
        ("card 4111 1111 1111 1111.", f"card {CARD_TOKEN}."),
        ("card 5555-5555-5555-4444 ok", f"card {CARD_TOKEN} ok"),
        ("card 4111 1111 1111 1111 12/28", f"card {CARD_TOKEN} 12/28"),
        ("order 4111 1111 1111 1112 please", "order 4111 1111 1111 1112 please"),
        (f"ref {NOT_A_CARD}", f"ref {NOT_A_CARD}"),
        ("call +1 415 555 0169.", f"call {PHONE_TOKEN}."),
        ("call (415) 555-0123 now", f"call {PHONE_TOKEN} now"),
        ("uk 020 7946 0123 ok", f"uk {PHONE_TOKEN} ok"),
        ('{"sentiment": -0.4539148803436467}', '{"sentiment": -0.4539148803436467}'),
        ("2026-03-02 09:15:00 and TCK-0002974", "2026-03-02 09:15:00 and TCK-0002974"),
        ("sha 0c4a83e90ab4453914880343646799e8", "sha 0c4a83e90ab4453914880343646799e8"),
    ],
)
def test_redact_pii_rules(text, expected):
    assert redact_pii(text) == expected
    assert redact_pii(None) is None


def test_find_pii_agrees_with_redaction():
    for text in SAMPLES:
        assert not find_pii(redact_pii(text)), text


def _write_texts_through_staging(warehouse: Path, env: dict, tmp: Path, texts: list[str]) -> list[str]:
    """Put ``texts`` into raw.tickets of a copy of the warehouse, build staging (dbt) and read them back."""
    copy = tmp / warehouse.name  # same file name: the staging views name their database
    shutil.copy(warehouse, copy)
    con = duckdb.connect(str(copy))
    try:
        con.execute("create temp table _texts (n integer, t varchar)")
        con.executemany("insert into _texts values (?, ?)", [[i, t] for i, t in enumerate(texts)])
        con.execute(
            """insert into raw.tickets by name
               select 'PII-SQL-' || n as ticket_id, updated_at, created_at, channel, case_type, priority,
                      customer_id, status, t as subject, t as description, reopened_count,
                      '_test' as _file, n as _line, 'x' || n as _row_hash, run_id as _run_id, now() as _loaded_at
               from _texts, (select * exclude (_file, _line, _row_hash, _run_id, _loaded_at, subject, description),
                                    _run_id as run_id from raw.tickets limit 1)"""
        )
        con.close()
        dbt = str(Path(sys.executable).with_name("dbt"))
        proc = subprocess.run(
            [dbt, "run", "--select", "stg_tickets__snapshots", "--project-dir", str(DBT_PROJECT_DIR),
             "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
            env=dict(env, TRUSTLOOP_WAREHOUSE=str(copy), DBT_PROFILES_DIR=str(DBT_PROJECT_DIR)),
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stdout[-4000:]
        con = duckdb.connect(str(copy))
        rows = con.execute(
            """select subject, description from staging.stg_tickets__snapshots
               where ticket_id like 'PII-SQL-%' order by source_line"""
        ).fetchall()
    finally:
        con.close()
    assert all(s == d for s, d in rows)
    return [s for s, _d in rows]


def test_sql_macro_matches_python(pii_build, tmp_path):
    _workdir, warehouse, env, _out = pii_build
    redacted = _write_texts_through_staging(warehouse, env, tmp_path, SAMPLES)
    assert redacted == [redact_pii(t) for t in SAMPLES]


def test_staging_redacts_planted_text_and_raw_keeps_it(pii_build):
    _workdir, warehouse, _env, _out = pii_build
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        raw = con.execute("select description from raw.tickets where ticket_id = ?", [TICKET]).fetchone()[0]
        staged = con.execute(
            "select subject, description from staging.stg_tickets__snapshots where ticket_id = ?", [TICKET]
        ).fetchone()
        attrs = con.execute(
            "select attributes from staging.stg_agent_logs__events where event_id = 'ev-pii-0002'"
        ).fetchone()[0]
        summary = con.execute("select summary from staging.stg_incidents__snapshots where incident_id = 'INC-PII-1'"
                              ).fetchone()[0]
    finally:
        con.close()
    assert EMAIL in raw and PHONE in raw  # the raw layer keeps the original (authorised use)
    assert staged[0] == f"Refund for {EMAIL_TOKEN}"
    assert staged[1] == (
        f"Please refund to card {CARD_TOKEN}, reach me at {PHONE_TOKEN} or {EMAIL_TOKEN}. Order ref {NOT_A_CARD}."
    )
    assert EMAIL_TOKEN in attrs and CARD_TOKEN in attrs and NOT_A_CARD in attrs and CARD not in attrs
    assert summary == f"Wrong flight changed for customer {CUSTOMER}; refund to card {CARD_TOKEN} ({PHONE_TOKEN})"


def _tables(con, schemas: tuple[str, ...]) -> list[tuple[str, str, str]]:
    return con.execute(
        f"""select table_schema, table_name, column_name from information_schema.columns
            where table_schema in ({", ".join("'" + s + "'" for s in schemas)})
              and (data_type like 'VARCHAR%' or data_type like 'STRUCT%' or data_type like 'MAP%'
                   or data_type like 'JSON%')
            order by 1, 2, 3"""
    ).fetchall()


def test_no_planted_pii_above_raw(pii_build):
    """Every text column of every staging view, intermediate and mart table is free of the planted PII."""
    _workdir, warehouse, _env, _out = pii_build
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = _tables(con, ("staging", "intermediate", "marts"))
        assert len({(s, t) for s, t, _c in columns}) >= 10
        hits = []
        for schema, table, column in columns:
            for needle in PLANTED_PII:
                n = con.execute(
                    f'select count(*) from "{schema}"."{table}" where strpos(cast("{column}" as varchar), ?) > 0',
                    [needle],
                ).fetchone()[0]
                if n:
                    hits.append((schema, table, column, needle, n))
        kept = con.execute(
            "select count(*) from intermediate.int_tickets__current where strpos(description, ?) > 0", [NOT_A_CARD]
        ).fetchone()[0]
    finally:
        con.close()
    assert hits == []
    assert kept == 1  # the Luhn-invalid number is not a card: kept


def _files_containing(root: Path, needles, skip: tuple[Path, ...] = ()) -> list[tuple[str, str]]:
    found = []
    for path in root.rglob("*"):
        if not path.is_file() or any(path == s for s in skip):
            continue
        data = path.read_bytes()
        for needle in needles:
            if needle.encode() in data:
                found.append((str(path.relative_to(root)), needle))
    return found


def test_no_planted_pii_in_logs_outputs_or_snapshot(pii_build):
    """The run's console output, Dagster's storage and logs, reports and the trust snapshot carry no planted PII."""
    workdir, warehouse, _env, out = pii_build
    assert "trustloop run" in out
    for needle in PLANTED_PII:
        assert needle not in out
    assert (workdir / "output" / "snapshot" / "trust.duckdb").exists()
    # everything the run wrote except the warehouse itself (whose raw layer keeps originals)
    leaks = _files_containing(workdir / "output", PLANTED_PII, skip=(warehouse,))
    leaks += _files_containing(workdir / "dagster_home", PLANTED_PII)
    assert leaks == []


def test_no_planted_pii_in_cli_output_or_dbt_logs(pii_build):
    """What a person sees in a terminal (quarantine listing, ledger, lookup) and dbt's logs of the run."""
    from tests.conftest import PROJECT, run_trustloop

    workdir, _warehouse, env, out = pii_build
    shown = "".join(run_trustloop(args, env).stdout for args in (["quarantine"], ["ledger"], ["lookup"]))
    assert "tickets/zz_planted.csv:" in shown and "fax" in shown  # the planted bad row: position and reason
    for needle in PLANTED_PII:
        assert needle not in shown
    run_id = next(line.split()[2].rstrip(":") for line in out.splitlines() if line.startswith("trustloop run "))
    logs = [p for p in (PROJECT / "dbt_project" / "target").glob(f"*{run_id[:7]}*/dbt.log")]
    assert logs, "the run's dbt log"
    for log in logs:
        text = log.read_text(errors="replace")
        for needle in PLANTED_PII:
            assert needle not in text, (log, needle)

