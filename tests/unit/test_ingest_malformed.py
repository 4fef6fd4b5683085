"""Malformed and awkward inputs: each ends in a clear error or a quarantine row with a
reason, and every file reconciles (read = loaded + quarantined)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from trustloop.ingest.loader import ingest_source

TICKET_HEADER = (
    "ticket_id,updated_at,created_at,channel,case_type,priority,customer_id,status,solved_at,"
    "subject,description,amount_at_stake,csat_score,reopened_count,disputed_at,dispute_outcome"
)
GOOD_TICKET = "T1,2026-03-02T10:00:00Z,2026-03-02T09:00:00Z,chat,billing_refund,normal,C1,open,,s,d,10.5,4,0,,"


def event(**overrides):
    row = {
        "event_id": "e1", "ticket_id": "T1", "occurred_at": "2026-03-02T10:00:00Z", "actor_type": "ai_agent",
        "actor_id": "bot", "event_type": "case_assigned", "attributes": {"mode": "resolve"},
    }
    row.update(overrides)
    return row


def write(landing: Path, rel: str, text: str | bytes) -> Path:
    path = landing / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def load(con, landing, source):
    results = ingest_source(con, landing, source, "test-run")
    for r in results:
        assert r.rows_read == r.rows_loaded + r.rows_quarantined, r
    return results


def quarantine(con):
    return con.execute("select file, line, reason, raw from raw.quarantine order by file, line").fetchall()


def test_bad_values_are_quarantined_with_reasons(con, tmp_path):
    rows = [
        TICKET_HEADER,
        GOOD_TICKET,
        GOOD_TICKET.replace("T1,", "T2,").replace(",chat,", ",pigeon,"),
        GOOD_TICKET.replace("T1,", "T3,").replace("2026-03-02T10:00:00Z", "yesterday"),
        GOOD_TICKET.replace("T1,", "T4,").replace(",C1,", ",,"),
        GOOD_TICKET.replace("T1,", "T5,").replace(",10.5,", ",-3,"),
        GOOD_TICKET.replace("T1,", "T6,").replace(",4,0,", ",9,0,"),
        GOOD_TICKET.replace("T1,", "T7,").replace(",4,0,", ",4.5,0,"),
        "T8,only,three",
    ]
    write(tmp_path, "tickets/t.csv", "\n".join(rows) + "\n")
    [result] = load(con, tmp_path, "tickets")
    assert (result.rows_read, result.rows_new, result.rows_quarantined) == (8, 1, 7)
    reasons = {line: reason for _f, line, reason, _raw in quarantine(con)}
    assert "channel: not one of" in reasons[3] and "pigeon" in reasons[3]
    assert "updated_at: not an ISO 8601 timestamp" in reasons[4]
    assert reasons[5] == "customer_id: missing required value"
    assert "amount_at_stake: below 0" in reasons[6]
    assert "csat_score: above 5" in reasons[7]
    assert "csat_score: not a whole number" in reasons[8]
    assert "row has 3 fields, the header has 16" in reasons[9]
    raws = {line: raw for _f, line, _r, raw in quarantine(con)}
    assert raws[9] == "T8,only,three"


def test_missing_required_column_rejects_the_file_and_the_run_goes_on(con, tmp_path):
    header = TICKET_HEADER.replace(",priority", "")
    row = GOOD_TICKET.replace(",normal", "")
    write(tmp_path, "tickets/a_bad.csv", header + "\n" + row + "\n" + row.replace("T1", "T2") + "\n")
    write(tmp_path, "tickets/b_good.csv", TICKET_HEADER + "\n" + GOOD_TICKET + "\n")
    bad, good = load(con, tmp_path, "tickets")
    assert bad.status == "rejected"
    assert bad.error == "tickets/a_bad.csv: missing required column(s): priority"
    assert (bad.rows_read, bad.rows_loaded, bad.rows_quarantined) == (2, 0, 2)
    assert good.status == "loaded" and good.rows_new == 1
    assert con.execute("select count(*) from raw.tickets where _file = 'tickets/a_bad.csv'").fetchone()[0] == 0
    reasons = [r for f, _l, r, _ in quarantine(con) if f == "tickets/a_bad.csv"]
    assert reasons == ["file rejected: missing required column(s): priority"] * 2


def test_a_bad_csv_header_rejects_the_file_with_every_row_quarantined(con, tmp_path):
    """A column named twice, a blank first line, a header the csv module cannot parse: rejected, and
    every row counted and quarantined with the reason (none dropped, the run goes on)."""
    body = GOOD_TICKET + "\n" + GOOD_TICKET.replace("T1", "T2") + "\n"
    write(tmp_path, "tickets/a_twice.csv", TICKET_HEADER + ",priority\n" + body.replace("\n", ",x\n"))
    write(tmp_path, "tickets/b_blank.csv", "\n" + TICKET_HEADER + "\n" + body)
    write(tmp_path, "tickets/c_cr.csv", TICKET_HEADER.replace(",", ",\r", 1) + "\n" + body)
    write(tmp_path, "tickets/d_good.csv", TICKET_HEADER + "\n" + GOOD_TICKET + "\n")
    twice, blank, cr, good = load(con, tmp_path, "tickets")
    assert [r.status for r in (twice, blank, cr)] == ["rejected"] * 3
    assert twice.error == "tickets/a_twice.csv: duplicate column(s) in header: priority"
    assert blank.error == "tickets/b_blank.csv: no header row (the file is empty or its first line is blank)"
    assert cr.error.startswith("tickets/c_cr.csv: unparseable CSV header at line 1: ")
    assert [(r.rows_read, r.rows_loaded, r.rows_quarantined) for r in (twice, blank, cr)] == [
        (2, 0, 2), (3, 0, 3), (2, 0, 2)]
    assert good.status == "loaded" and good.rows_new == 1
    rejected = [(f, r) for f, _l, r, _ in quarantine(con) if f != "tickets/d_good.csv"]
    assert len(rejected) == 7 and all(r.startswith("file rejected: ") for _f, r in rejected)


def test_jsonl_unparseable_lines_non_objects_and_bad_utf8(con, tmp_path):
    lines = [
        json.dumps(event()).encode(),
        b'{"event_id": "broken", ',
        b"[1, 2, 3]",
        b"",
        json.dumps(event(event_id="e2", attributes="not an object")).encode(),
        json.dumps(event(event_id="e3", actor_id="caf\u00e9")).encode()[:-2] + b'\xff"}',
        json.dumps(event(event_id="e4", event_type="sentiment_snapshot")).encode(),
    ]
    write(tmp_path, "agent_logs/e.jsonl", b"\n".join(lines) + b"\n")
    [result] = load(con, tmp_path, "agent_logs")
    assert result.rows_read == 6  # the blank line is not a row
    assert result.rows_new == 2  # e1 and the unknown event type (kept)
    reasons = {line: reason for _f, line, reason, _raw in quarantine(con)}
    assert reasons[2] == "unparseable line: not valid JSON"
    assert reasons[3] == "unparseable line: not a JSON object"
    assert reasons[5].startswith("attributes: not a JSON object")
    assert reasons[6].startswith("not valid UTF-8")
    kept = con.execute("select event_id, event_type from raw.agent_logs order by 1").fetchall()
    assert kept == [("e1", "case_assigned"), ("e4", "sentiment_snapshot")]


def test_a_key_written_twice_quarantines_its_line(con, tmp_path):
    """JSON parsers disagree on a repeated key (first or last value wins), so the line is not read at all;
    an unknown key written twice once stopped the whole load ("Map keys must be unique")."""
    good = json.dumps(event())
    lines = [
        good,
        good[:-1] + ', "event_id": "e9"}',  # a contract key twice: e1 or e9?
        json.dumps(event(event_id="e2"))[:-1] + ', "vendor": 1, "vendor": 2, "Vendor": 3}',  # an extra key twice
        json.dumps(event(event_id="e3", attributes={"mode": "resolve"})).replace(
            '"mode": "resolve"', '"mode": "resolve", "mode": "triage"'),  # inside attributes
        json.dumps(event(event_id="e4"))[:-1] + ', "b": 1, "a": 2, "b": 3, "a": 4, "a": 5}',
        json.dumps(event(event_id="e5"))[:-1] + ', "Vendor": 1, "vendor": 2}',  # keys are case-sensitive
    ]
    write(tmp_path, "agent_logs/k.jsonl", "\n".join(lines) + "\n")
    [result] = load(con, tmp_path, "agent_logs")
    assert (result.rows_read, result.rows_new, result.rows_quarantined) == (6, 2, 4)
    reasons = {line: (reason, raw) for _f, line, reason, raw in quarantine(con)}
    assert reasons[2] == ("unparseable line: key repeated: event_id", lines[1])
    assert reasons[3] == ("unparseable line: key repeated: vendor", lines[2])
    assert reasons[4][0] == 'attributes: key repeated ({"mode":"resolve","mode":"triage"})'
    assert reasons[5][0] == "unparseable line: key repeated: a, b"
    kept = con.execute("select event_id, _extra from raw.agent_logs order by 1").fetchall()
    assert kept == [("e1", None), ("e5", '{"Vendor":1,"vendor":2}')]


def test_typed_attributes_are_checked_on_the_events_of_their_type(con, tmp_path):
    """Booleans, numbers and the enums inside ``attributes`` read as staging reads them (strings too, white
    space and letter case ignored); present but unreadable or out of range, the event is quarantined. A missing
    or blank value is just missing, except an evaluation's dimension and verdict (``passed``), without which it
    is no evidence; the same key on another event type (or an unknown one) is not the contract's."""
    cases = [
        ("evaluation", {"dimension": "accuracy", "passed": True, "score": 0.5}, None),
        ("evaluation", {"dimension": " Tone\n", "passed": " YES ", "score": " 1 ", "evaluator": "Human_QA "}, None),
        ("evaluation", {"dimension": "tone", "passed": False, "score": "\t", "evaluator": None}, None),
        ("evaluation", {"dimension": "tone", "passed": None, "score": 0.5},
         "attributes.passed: missing required value"),
        ("evaluation", {"dimension": "speed", "passed": 0, "score": "0", "evaluator": "crowd"},
         "attributes.dimension: not one of accuracy, escalation, tone, policy_adherence (speed); "
         "attributes.evaluator: not one of human_qa, auto_eval (crowd)"),
        ("evaluation", {"dimension": "\t", "passed": "maybe", "score": 7},
         "attributes.dimension: missing required value; attributes.passed: not true or false (maybe); "
         "attributes.score: above 1 (7)"),
        ("evaluation", {"dimension": "accuracy", "passed": {"x": 1}, "score": "NaN"},
         'attributes.passed: not true or false ({"x":1}); attributes.score: not a number (NaN)'),
        ("evaluation", {"dimension": "accuracy", "passed": False, "score": -0.01}, "attributes.score: below 0 (-0.01)"),
        ("evaluation", None, "attributes.dimension: missing required value; attributes.passed: missing required value"),
        ("evaluation", "[1]", "attributes: not a JSON object ([1])"),  # not also "missing"
        ("customer_message", {"sentiment": "-1", "requested_human": "no"}, None),
        ("customer_message", {"sentiment": 1.5, "requested_human": "perhaps"},
         "attributes.sentiment: above 1 (1.5); attributes.requested_human: not true or false (perhaps)"),
        ("action_taken", {"action": "refund", "amount": -50}, None),
        ("action_taken", {"action": "refund", "amount": "12 EUR"}, "attributes.amount: not a number (12 EUR)"),
        ("escalation_trigger", {"reason": "legal_threat", "required": 2}, "attributes.required: not true or false (2)"),
        ("case_assigned", {"mode": " Resolve ", "score": 9, "passed": "maybe"}, None),
        ("case_assigned", {"mode": "autopilot"}, "attributes.mode: not one of shadow, triage, suggest, resolve (autopilot)"),
        ("suggestion_reviewed", {"suggestion_id": "s1", "verdict": " Edited"}, None),
        ("suggestion_reviewed", {"suggestion_id": "s1", "verdict": "sideways"},
         "attributes.verdict: not one of accepted, edited, rejected (sideways)"),
        ("suggestion_reviewed", {"suggestion_id": "s1"}, None),  # a verdict is not required
        ("sentiment_snapshot", {"score": 9}, None),
    ]
    lines = [json.dumps(event(event_id=f"e{n}", event_type=t, attributes=a)) for n, (t, a, _) in enumerate(cases)]
    write(tmp_path, "agent_logs/a.jsonl", "\n".join(lines) + "\n")
    [result] = load(con, tmp_path, "agent_logs")
    expected = {n + 1: reason for n, (_, _, reason) in enumerate(cases) if reason}
    assert {line: reason for _f, line, reason, _raw in quarantine(con)} == expected
    assert (result.rows_new, result.rows_quarantined) == (len(cases) - len(expected), len(expected))


def test_an_id_given_as_an_object_or_array_is_quarantined(con, tmp_path):
    """A number is an id (its text); a JSON object or array is not, though a string may start with a brace."""
    cases = [({}, None), ({"ticket_id": {"a": 1}}, 'ticket_id: not a string or a number ({"a":1})'),
             ({"ticket_id": ["T1"]}, 'ticket_id: not a string or a number (["T1"])'),
             ({"ticket_id": "{T1"}, None), ({"ticket_id": '{"a": 1}'}, None), ({"ticket_id": 123}, None),
             ({"actor_id": []}, "actor_id: not a string or a number ([])"),
             ({"ticket_id": True}, "ticket_id: not a string or a number (true)"), ({"actor_id": "true"}, None),
             ({"agent_version": {"v": 2}}, 'agent_version: not a string or a number ({"v":2})')]
    lines = [json.dumps(event(event_id=f"e{n}", **over)) for n, (over, _) in enumerate(cases)]
    write(tmp_path, "agent_logs/ids.jsonl", "\n".join(lines) + "\n")
    [result] = load(con, tmp_path, "agent_logs")
    assert {line: reason for _f, line, reason, _raw in quarantine(con)} == {
        n + 1: reason for n, (_, reason) in enumerate(cases) if reason}
    assert con.execute("select ticket_id from raw.agent_logs order by _line").fetchall() == [
        ("T1",), ("{T1",), ('{"a": 1}',), ("123",), ("T1",)]
    (tmp_path / "incidents").mkdir()
    pq.write_table(pa.table({"incident_id": pa.array([{"id": 1}]), "started_at": ["2026-03-01T00:00:00Z"],
                             "detected_at": ["2026-03-01T01:00:00Z"], "severity": ["sev2"], "category": ["other"]}),
                   tmp_path / "incidents" / "struct_id.parquet")
    [parquet] = load(con, tmp_path, "incidents")
    assert (parquet.rows_new, parquet.rows_quarantined) == (0, 1)


def test_unknown_keys_of_any_spelling_are_kept(con, tmp_path):
    """An extra key is kept whatever its characters; one holding a double quote once failed the whole load
    ("JSON path error")."""
    keys = ['a"b', "", " ", "$", "a.b", "a\\b", "[0]", "*", "\u00e9", "a\nb", '"', "$.event_id", "x" * 300]
    lines = [json.dumps({**event(event_id=f"e{n}"), key: {"n": n, "list": [None, True]}}) for n, key in enumerate(keys)]
    write(tmp_path, "agent_logs/x.jsonl", "\n".join(lines) + "\n")
    [result] = load(con, tmp_path, "agent_logs")
    assert (result.rows_new, result.rows_quarantined) == (len(keys), 0)
    extras = dict(con.execute("select event_id, _extra from raw.agent_logs").fetchall())
    assert {eid: json.loads(extra) for eid, extra in extras.items()} == {
        f"e{n}": {key: {"n": n, "list": [None, True]}} for n, key in enumerate(keys)}


def test_a_list_of_ids_is_an_array_of_scalars_or_text(con, tmp_path):
    incident = {"started_at": "2026-03-01T00:00:00Z", "detected_at": "2026-03-01T01:00:00Z", "severity": "sev2",
                "category": "other"}
    lists = [["T1", " T2 ", "", None], "T1; T2", '["T1", "T2"]', [101, 102], [], {"T1": True}, [["T1"]],
             [{"id": "T1"}]]
    write(tmp_path, "incidents/i.jsonl",
          "\n".join(json.dumps({"incident_id": f"I{n}", **incident, "ticket_ids": ids}) for n, ids in enumerate(lists))
          + "\n")
    [result] = load(con, tmp_path, "incidents")
    assert (result.rows_new, result.rows_quarantined) == (5, 3)
    stored = dict(con.execute("select incident_id, ticket_ids from raw.incidents").fetchall())
    assert stored == {"I0": ["T1", "T2"], "I1": ["T1", "T2"], "I2": ["T1", "T2"], "I3": ["101", "102"], "I4": []}
    reasons = [reason for _f, _l, reason, _raw in quarantine(con)]
    assert reasons == [f"ticket_ids: not a list of ids (a JSON array of strings, or text separated by semicolons)"
                       f" ({json.dumps(ids, separators=(',', ':'))})" for ids in lists[5:]]


def test_event_id_conflicts_and_respelled_duplicates(con, tmp_path):
    first = [
        event(),
        event(event_id="e2", occurred_at="2026-03-02T11:00:00+01:00", actor_type="AI_AGENT"),
        event(event_id="e2", actor_id="somebody_else"),  # conflict inside the file
    ]
    write(tmp_path, "agent_logs/1.jsonl", "\n".join(json.dumps(r) for r in first) + "\n")
    second = [
        event(occurred_at="2026-03-02 10:00:00", actor_type=" Ai_Agent "),  # same as e1, spelled differently
        event(event_id="e1", confidence=0.5),  # conflict with the stored e1
        event(event_id="e2", occurred_at="2026-03-02T10:00:00Z", attributes={"mode": "resolve"}),  # duplicate of e2
    ]
    write(tmp_path, "agent_logs/2.jsonl", "\n".join(json.dumps(r) for r in second) + "\n")
    r1, r2 = load(con, tmp_path, "agent_logs")
    assert (r1.rows_new, r1.rows_duplicate, r1.rows_quarantined) == (2, 0, 1)
    assert (r2.rows_new, r2.rows_duplicate, r2.rows_quarantined) == (0, 2, 1)
    reasons = [reason for _f, _l, reason, _raw in quarantine(con)]
    assert any("conflict: event_id e2 re-used with different content (first at line 2)" in r for r in reasons)
    assert any("conflict: event_id e1 already stored with different content (from agent_logs/1.jsonl line 1)" in r
               for r in reasons)
    assert con.execute("select count(*) from raw.agent_logs").fetchone()[0] == 2


def test_naive_and_offset_times_mean_the_same_instant(con, tmp_path):
    rows = [
        TICKET_HEADER,
        GOOD_TICKET,
        GOOD_TICKET.replace("2026-03-02T10:00:00Z", "2026-03-02T11:00:00+01:00"),  # same instant
        GOOD_TICKET.replace("2026-03-02T10:00:00Z", "2026-03-02 10:00:00"),  # naive = UTC
        GOOD_TICKET.replace("2026-03-02T10:00:00Z", "2026-03-02T05:00:00-0500").replace(",chat,", ", CHAT ,"),
    ]
    write(tmp_path, "tickets/t.csv", "\n".join(rows) + "\n")
    [result] = load(con, tmp_path, "tickets")
    assert (result.rows_new, result.rows_duplicate, result.rows_quarantined) == (1, 3, 0)
    [(updated_at, channel)] = con.execute("select updated_at::varchar, channel from raw.tickets").fetchall()
    assert (updated_at, channel) == ("2026-03-02 10:00:00", "chat")


def test_case_type_normalisation_extra_columns_and_lists(con, tmp_path):
    header = TICKET_HEADER + ",vendor_tier"
    write(tmp_path, "tickets/t.csv", header + "\n" + GOOD_TICKET.replace("billing_refund", " Billing - Refund ") + ",gold\n")
    write(
        tmp_path,
        "incidents/i.csv",
        "incident_id,started_at,detected_at,severity,category,ticket_ids,summary\n"
        'I1,2026-03-01T00:00:00Z,2026-03-01T01:00:00Z,SEV2,Policy_Breach," T1; T2 ;;",x\n'
        "I2,2026-03-01T02:00:00Z,2026-03-01T01:00:00Z,sev2,policy_breach,T1,x\n",
    )
    load(con, tmp_path, "tickets")
    load(con, tmp_path, "incidents")
    [(case_type, extra)] = con.execute("select case_type, _extra from raw.tickets").fetchall()
    assert case_type == "billing_refund"
    assert json.loads(extra) == {"vendor_tier": "gold"}
    [(ids, severity, category)] = con.execute("select ticket_ids, severity, category from raw.incidents").fetchall()
    assert (ids, severity, category) == (["T1", "T2"], "sev2", "policy_breach")
    [(reason,)] = con.execute("select reason from raw.quarantine").fetchall()
    assert reason == "time order: detected_at before started_at"


def test_a_case_type_of_separators_only_is_quarantined_and_any_space_separates(con, tmp_path):
    rows = [TICKET_HEADER]
    for i, case_type in enumerate(["-", " _ ", "--", "Billing\u00a0Refund", "Billing\u3000-\u3000Refund", "x-"]):
        rows.append(GOOD_TICKET.replace("T1,", f"T{i},").replace("billing_refund", case_type))
    write(tmp_path, "tickets/t.csv", "\n".join(rows) + "\n")
    [result] = load(con, tmp_path, "tickets")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (6, 3, 3)
    assert con.execute("select ticket_id, case_type from raw.tickets order by ticket_id").fetchall() == [
        ("T3", "billing_refund"), ("T4", "billing_refund"), ("T5", "x")]
    reason = "case_type: no letter or digit (only spaces, hyphens or underscores)"
    assert [(line, text) for _, line, text, _ in quarantine(con)] == [
        (2, f"{reason} (-)"), (3, f"{reason} (_)"), (4, f"{reason} (--)")]


def test_parquet_files_load_with_native_types(con, tmp_path):
    table = pa.table(
        {
            "event_id": ["p1", "p2"],
            "ticket_id": ["T1", "T1"],
            "occurred_at": pa.array([1772445600000000, None], pa.timestamp("us", tz="UTC")),
            "actor_type": ["ai_agent", "human"],
            "actor_id": ["bot", "h"],
            "event_type": ["evaluation", "message_sent"],
            "confidence": [0.7, None],
            "attributes": ['{"dimension": "tone", "passed": true}', None],
        }
    )
    (tmp_path / "agent_logs").mkdir()
    pq.write_table(table, tmp_path / "agent_logs" / "p.parquet")
    [result] = load(con, tmp_path, "agent_logs")
    assert (result.rows_read, result.rows_new, result.rows_quarantined) == (2, 1, 1)
    [(occurred, attrs, conf)] = con.execute("select occurred_at::varchar, attributes, confidence from raw.agent_logs").fetchall()
    assert occurred == "2026-03-02 10:00:00"
    assert json.loads(attrs) == {"dimension": "tone", "passed": True}
    assert conf == 0.7
    [(line, reason)] = con.execute("select line, reason from raw.quarantine").fetchall()
    assert (line, reason) == (2, "occurred_at: missing required value")


def test_parquet_missing_required_column_rejects_file(con, tmp_path):
    (tmp_path / "incidents").mkdir()
    pq.write_table(pa.table({"incident_id": ["I1"], "severity": ["sev1"]}), tmp_path / "incidents" / "x.parquet")
    [result] = load(con, tmp_path, "incidents")
    assert result.status == "rejected"
    assert "missing required column(s): started_at, detected_at, category" in result.error
    assert result.rows_quarantined == 1


def test_parquet_column_names_are_matched_as_a_csv_header_is(con, tmp_path):
    """Any letter case and white space around a contract column's name (a CSV header's rule); a column
    named twice that way rejects the file, as in CSV, also when only the letter case differs."""
    (tmp_path / "incidents").mkdir()
    row = {"incident_id": ["I1"], "started_at": ["2026-03-01T00:00:00Z"], "detected_at": ["2026-03-01T01:00:00Z"],
           "severity": ["SEV2"], "category": ["other"]}
    pq.write_table(pa.table({f" {k.upper()} ": v for k, v in row.items()} | {"Vendor": ["v"]}),
                   tmp_path / "incidents" / "a.parquet")
    pq.write_table(pa.table(row | {"INCIDENT_ID": ["I2"]}), tmp_path / "incidents" / "b.parquet")
    pq.write_table(pa.table(row | {"Severity ": ["sev3"]}), tmp_path / "incidents" / "c.parquet")
    a, b, c = load(con, tmp_path, "incidents")
    assert (a.status, a.rows_new) == ("loaded", 1)
    assert con.execute("select incident_id, severity, _extra from raw.incidents").fetchall() == [
        ("I1", "sev2", '{"Vendor":"v"}')]
    assert (b.status, b.error, b.rows_quarantined) == ("rejected", "incidents/b.parquet: duplicate column(s): incident_id", 1)
    assert (c.status, c.error, c.rows_quarantined) == ("rejected", "incidents/c.parquet: duplicate column(s): severity", 1)


def test_rerun_reads_nothing_new(con, tmp_path):
    write(tmp_path, "tickets/t.csv", TICKET_HEADER + "\n" + GOOD_TICKET + "\n")
    load(con, tmp_path, "tickets")
    [again] = load(con, tmp_path, "tickets")
    assert again.status == "skipped_duplicate_file" and again.rows_read == 0
    assert con.execute("select count(*) from raw.file_ledger").fetchone()[0] == 1


def test_a_copy_of_a_file_is_logged_once_however_many_runs_see_it(con, tmp_path):
    """A re-delivered copy (another name, the same bytes) is logged as the copy of the first file when first
    seen; the runs after it add nothing to the file ledger (a forced run reads the folder the same way)."""
    write(tmp_path, "tickets/t.csv", TICKET_HEADER + "\n" + GOOD_TICKET + "\n")
    write(tmp_path, "tickets/u/copy.csv", TICKET_HEADER + "\n" + GOOD_TICKET + "\n")
    for _ in range(3):
        load(con, tmp_path, "tickets")
    assert con.execute("select file, status, duplicate_of from raw.file_ledger order by file").fetchall() == [
        ("tickets/t.csv", "loaded", None), ("tickets/u/copy.csv", "skipped_duplicate_file", "tickets/t.csv")]
    assert con.execute("select count(*) from raw.tickets").fetchone()[0] == 1


def test_numbers_are_bounded_as_written_and_offsets_as_rfc_3339_has_them(con, tmp_path):
    """An amount below 0 is quarantined however small (rounded to four places first, -0.00001 passed as 0); a
    number too large to store says so; an offset of 25 hours or 75 minutes is no timestamp (DuckDB's cast alone
    read +25:00 as a day's shift)."""
    rows = [
        TICKET_HEADER,
        GOOD_TICKET.replace(",10.5,", ",-0.00001,"),
        GOOD_TICKET.replace("T1,", "T2,").replace(",10.5,", ",123456789012345,"),
        GOOD_TICKET.replace("T1,", "T3,").replace("2026-03-02T10:00:00Z", "2026-03-02T10:00:00+25:00"),
        GOOD_TICKET.replace("T1,", "T4,").replace("2026-03-02T10:00:00Z", "2026-03-02T10:00:00+01:75"),
        GOOD_TICKET.replace("T1,", "T5,").replace("2026-03-02T10:00:00Z", "2026-03-02T10:00:00+23:30"),
        GOOD_TICKET.replace("T1,", "T6,").replace(",10.5,", ",0.00001,"),
    ]
    write(tmp_path, "tickets/t.csv", "\n".join(rows) + "\n")
    [result] = load(con, tmp_path, "tickets")
    assert (result.rows_read, result.rows_new, result.rows_quarantined) == (6, 2, 4)
    assert {line: reason for _f, line, reason, _raw in quarantine(con)} == {
        2: "amount_at_stake: below 0 (-0.00001)",
        3: "amount_at_stake: too large (at most 14 digits before the decimal point) (123456789012345)",
        4: "updated_at: not an ISO 8601 timestamp (2026-03-02T10:00:00+25:00)",
        5: "updated_at: not an ISO 8601 timestamp (2026-03-02T10:00:00+01:75)",
    }
    assert con.execute("select ticket_id, updated_at, amount_at_stake from raw.tickets order by 1").fetchall() == [
        ("T5", datetime(2026, 3, 1, 10, 30), Decimal("10.5000")), ("T6", datetime(2026, 3, 2, 10, 0), Decimal("0.0000"))]


def test_every_extra_csv_column_is_kept_whatever_its_header(con, tmp_path):
    """Two unknown columns of one name, unnamed ones (a spreadsheet's trailing empty cells), a header in its own
    letter case, and a field longer than the csv module's default limit (131,072 characters): the file loads
    and every extra value is kept under a name of its own. A contract column named twice still rejects it."""
    header = TICKET_HEADER + ",Note,note,,Vendor_Ref, "
    long_text = "word " * 40_000
    rows = [header, GOOD_TICKET + ",a,b,,V-1,", GOOD_TICKET.replace("T1,", "T2,").replace(",d,", f",{long_text},")
            + ",,,x,,"]
    write(tmp_path, "tickets/t.csv", "\n".join(rows) + "\n")
    [result] = load(con, tmp_path, "tickets")
    assert (result.status, result.rows_new, result.rows_quarantined) == ("loaded", 2, 0)
    stored = con.execute("select ticket_id, _extra, description from raw.tickets order by 1").fetchall()
    assert json.loads(stored[0][1]) == {"Note": "a", "note_2": "b", "column_19": "", "Vendor_Ref": "V-1",
                                        "column_21": ""}
    assert json.loads(stored[1][1])["column_19"] == "x" and stored[1][2] == long_text


def test_a_redelivered_event_whose_typed_attributes_are_spelled_otherwise_is_the_same_event(con, tmp_path):
    """Rows are compared after parsing: an enum in another letter case, a boolean as a word, a number as a
    string, a blank value for an absent one. The stored attributes hold the values as read."""
    first = [
        event(event_id="e1", event_type="suggestion_reviewed", attributes={"suggestion_id": "s1", "verdict": "accepted"}),
        event(event_id="e2", event_type="escalation_trigger", attributes={"reason": "legal_threat", "required": True}),
        event(event_id="e3", event_type="evaluation",
              attributes={"dimension": "tone", "passed": False, "score": 0.5, "evaluator": "human_qa"}),
        event(event_id="e4", event_type="customer_message", attributes={"text": "Hi", "sentiment": -1}),
    ]
    again = [
        event(event_id="e1", event_type="suggestion_reviewed", attributes={"verdict": " Accepted", "suggestion_id": "s1"}),
        event(event_id="e2", event_type="escalation_trigger", attributes={"reason": "legal_threat", "required": "yes"}),
        event(event_id="e3", event_type="evaluation",
              attributes={"dimension": "TONE", "passed": "0", "score": "0.50", "evaluator": "Human_QA"}),
        event(event_id="e4", event_type="customer_message", attributes={"text": "Hi", "sentiment": "-1.0",
                                                                         "requested_human": " "}),
        # free text is compared as written: another spelling of it is other content
        event(event_id="e4", event_type="customer_message", attributes={"text": "hi", "sentiment": -1}),
    ]
    write(tmp_path, "agent_logs/a.jsonl", "\n".join(json.dumps(e) for e in first) + "\n")
    write(tmp_path, "agent_logs/b.jsonl", "\n".join(json.dumps(e) for e in again) + "\n")
    _a, b = load(con, tmp_path, "agent_logs")
    assert (b.rows_read, b.rows_new, b.rows_duplicate, b.rows_quarantined) == (5, 0, 4, 1)
    [(line, reason)] = [(line, reason) for f, line, reason, _raw in quarantine(con) if f == "agent_logs/b.jsonl"]
    assert line == 5 and reason.startswith("conflict: event_id e4 already stored with different content")
    stored = dict(con.execute("select event_id, attributes from raw.agent_logs").fetchall())
    assert {k: json.loads(v) for k, v in stored.items()} == {
        "e1": {"suggestion_id": "s1", "verdict": "accepted"},
        "e2": {"reason": "legal_threat", "required": True},
        "e3": {"dimension": "tone", "evaluator": "human_qa", "passed": False, "score": 0.5},
        "e4": {"sentiment": -1.0, "text": "Hi"},
    }


def test_a_null_attribute_is_an_absent_one(con, tmp_path):
    """{"pact_id": null} and no pact_id are the same attributes (the contract: a value is missing when its key is
    absent or it is null); a re-delivery spelling one for the other is a duplicate, not a conflict."""
    evaluation = {"dimension": "tone", "passed": True, "evaluator": "human_qa"}
    write(tmp_path, "agent_logs/a.jsonl", json.dumps(event(event_type="evaluation",
                                                           attributes={**evaluation, "pact_id": None})) + "\n")
    write(tmp_path, "agent_logs/b.jsonl", json.dumps(event(event_type="evaluation", attributes=evaluation)) + "\n")
    pq.write_table(pa.table({  # a Parquet struct: its absent fields are nulls
        "event_id": ["e1"], "ticket_id": ["T1"], "occurred_at": ["2026-03-02T10:00:00Z"], "actor_type": ["ai_agent"],
        "actor_id": ["bot"], "event_type": ["evaluation"],
        "attributes": pa.array([{**evaluation, "pact_id": None, "score": None}],
                               pa.struct([("dimension", pa.string()), ("passed", pa.bool_()),
                                          ("evaluator", pa.string()), ("pact_id", pa.string()),
                                          ("score", pa.float64())])),
    }), tmp_path / "agent_logs" / "c.parquet")
    a, b, c = load(con, tmp_path, "agent_logs")
    assert [(r.rows_new, r.rows_duplicate, r.rows_quarantined) for r in (a, b, c)] == [(1, 0, 0), (0, 1, 0), (0, 1, 0)]
    assert con.execute("select attributes from raw.agent_logs").fetchall() == [
        ('{"dimension":"tone","evaluator":"human_qa","passed":true}',)]


def test_an_empty_file_is_no_copy_of_an_empty_file_of_another_format(con, tmp_path):
    write(tmp_path, "tickets/a.csv", "")
    write(tmp_path, "tickets/b.jsonl", "")
    write(tmp_path, "tickets/c.jsonl", "")
    load(con, tmp_path, "tickets")
    ledger = con.execute("select file, status, rows_read, duplicate_of from raw.file_ledger order by file").fetchall()
    assert ledger == [("tickets/a.csv", "rejected", 0, None), ("tickets/b.jsonl", "loaded", 0, None),
                      ("tickets/c.jsonl", "skipped_duplicate_file", 0, "tickets/b.jsonl")]


def test_a_utf16_csv_is_rejected_for_its_encoding(con, tmp_path):
    write(tmp_path, "tickets/t16.csv", (TICKET_HEADER + "\n" + GOOD_TICKET + "\n").encode("utf-16"))
    [result] = load(con, tmp_path, "tickets")
    assert result.status == "rejected"
    assert result.error == "tickets/t16.csv: not UTF-8 text: the file looks UTF-16 encoded (save it as UTF-8)"
