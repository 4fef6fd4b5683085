"""The risk model and the recommendations in real runs: the seeded demo and the contract fixture.

Everything here reads the session's warehouses (tests/conftest.py), built by `trustloop run`.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from models.artifacts import load_artifact
from models.risk import data_split, evaluate, predict, training_data_sha256
from tests.conftest import query, run_trustloop

pytestmark = pytest.mark.slow

Z = 1.959964
LADDER = ["shadow", "triage", "suggest", "resolve"]
DIMS = ["accuracy", "escalation", "tone", "policy_adherence"]


def wilson(k: float, n: float) -> tuple[float | None, float | None]:
    if not n:
        return None, None
    p = k / n
    centre = p + Z * Z / (2 * n)
    spread = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return (centre - spread) / (1 + Z * Z / n), (centre + spread) / (1 + Z * Z / n)


def frame(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


def output_dir(env: dict[str, str]) -> Path:
    return Path(env["TRUSTLOOP_OUTPUT_DIR"])


def expected_action(row: dict) -> tuple[str, str]:
    """The rules of metrics.md section 4, recomputed from the row's own bounds."""
    outcomes = []
    for d in DIMS:
        n, lo, up, t = (row[f"pact_{d}_{k}"] for k in ("evaluations", "lower", "upper", "threshold"))
        outcomes.append("no" if not n else "clear" if lo >= t else "breach" if up < t else "short")
    n, lo, up, t = (row[k] for k in ("escalations_required", "escalation_compliance_lower",
                                      "escalation_compliance_upper", "min_escalation_compliance"))
    outcomes.append("no" if not n else "clear" if lo >= t else "breach" if up < t else "short")
    n, lo, up, t = (row[k] for k in ("autonomous_resolutions", "dispute_rate_lower", "dispute_rate_upper",
                                      "max_dispute_rate"))
    outcomes.append("no" if not n else "clear" if up < t else "breach" if lo > t else "short")
    if row["predicted_risk"] is None or pd.isna(row["predicted_risk"]):
        outcomes.append("no")
    else:
        a = row["risk_appetite"]
        outcomes.append("clear" if row["predicted_risk_upper"] < a else "breach" if row["predicted_risk_lower"] > a
                        else "short")
    outcomes.append("clear" if row["evidence_volume"] >= row["min_evidence"] else "short")
    outcomes.append("clear" if row["severe_incidents_in_freeze"] == 0 else "frozen")
    rank = LADDER.index(row["current_tier"])
    if "breach" in outcomes and rank > 0:
        return "demote", LADDER[rank - 1]
    if "breach" not in outcomes and all(o == "clear" for o in outcomes) and rank < 3:
        return "promote", LADDER[rank + 1]
    return "hold", row["current_tier"]


def test_predictions_cover_every_ai_handled_case(demo_warehouse):
    (cases, features, predictions, distinct, bad, fallback) = query(
        demo_warehouse,
        """select (select count(*) from marts.fct_cases where is_ai_handled),
                  (select count(*) from marts.fct_case_features),
                  (select count(*) from ml.case_predictions),
                  (select count(distinct ticket_id) from ml.case_predictions),
                  (select count(*) from ml.case_predictions where not (predicted_risk between 0 and 1)
                      or predicted_risk is null),
                  (select count(*) from ml.case_predictions where is_fallback)""",
    )[0]
    assert cases == features == predictions == distinct > 2000
    assert bad == 0 and fallback == 0
    runs = query(demo_warehouse, "select model_version, model_kind, rows_scored from ml.model_runs")
    assert len(runs) == 1 and runs[0][1] == "hist_gradient_boosting" and runs[0][2] == predictions
    assert query(demo_warehouse, "select distinct model_version from ml.case_predictions") == [(runs[0][0],)]


def test_the_model_card_matches_a_recomputation(demo_build):
    warehouse, env, _ = demo_build
    out = output_dir(env)
    features = frame(warehouse, "select * from marts.fct_case_features order by handled_at, ticket_id")
    trained = load_artifact(out / "artifacts" / "models")
    meta = json.loads((out / "artifacts" / "models" / f"{trained.version}.json").read_text())
    # the artifact names the data it was trained on
    assert meta["data_sha256"] == trained.data_sha256 == training_data_sha256(features)
    # the stored predictions are the artifact's predictions
    stored = frame(warehouse, "select ticket_id, predicted_risk, data_split from ml.case_predictions")
    merged = features[["ticket_id"]].merge(stored, on="ticket_id")
    assert (merged["predicted_risk"].to_numpy() == pytest.approx(predict(trained, features), abs=1e-12))
    assert list(merged["data_split"]) == list(data_split(trained, features))
    # the card's metrics are the validation metrics, recomputed from scratch
    valid = features[data_split(trained, features) == "validation"]
    m = evaluate(valid["is_handling_wrong"].astype(int), predict(trained, valid), trained.split["train_label_rate"])
    calibration = m.pop("calibration")
    assert calibration == meta["calibration"]
    card = (out / "reports" / "model_card" / "model_card.md").read_text()
    printed = dict(re.findall(r"^\| ([^|]+?) \| ([0-9.]+) \|$", card, flags=re.M))
    for label, key in [("ROC AUC", "roc_auc"), ("PR AUC (average precision)", "pr_auc"), ("Brier score", "brier"),
                       ("Brier score of the base rate", "brier_base_rate"),
                       ("expected calibration error (ECE)", "ece"), ("validation label rate", "label_rate")]:
        assert float(printed[label]) == pytest.approx(m[key], abs=5e-5), label
    assert f"| validation cases | {len(valid)} |" in card
    assert f"| cases scored | {len(features)} |" in card
    assert m["roc_auc"] > 0.6 and m["brier"] < m["brier_base_rate"]
    assert (out / "reports" / "model_card" / "model_card.html").read_text().count("<tr>") > 20


def test_case_type_risk_is_the_mean_prediction_of_the_window(demo_warehouse):
    risk = frame(demo_warehouse, "select * from marts.rpt_case_type_risk")
    cases = frame(
        demo_warehouse,
        """select f.case_type, p.predicted_risk, f.is_handling_wrong, f.is_label_mature
           from marts.fct_case_features f
           join ml.case_predictions p using (ticket_id)
           join marts.dim_autonomy_windows w on w.case_type = f.case_type
           where f.handled_at >= w.window_start_at and f.handled_at < w.window_end_at""",
    )
    assert len(risk) == query(demo_warehouse, "select count(*) from intermediate.int_case_types__policy")[0][0]
    for row in risk.itertuples():
        group = cases[cases["case_type"] == row.case_type]
        if group.empty:
            assert pd.isna(row.predicted_risk)
            continue
        assert row.predicted_cases == len(group)
        assert row.predicted_risk == pytest.approx(group["predicted_risk"].mean())
        lower, upper = wilson(group["predicted_risk"].sum(), len(group))
        assert (row.predicted_risk_lower, row.predicted_risk_upper) == (pytest.approx(lower), pytest.approx(upper))
        mature = group[group["is_label_mature"]]
        assert row.labelled_cases == len(mature)
        if len(mature):
            assert row.empirical_rate == pytest.approx(mature["is_handling_wrong"].mean())


def test_the_evidence_is_recomputed_from_the_trust_marts(demo_warehouse):
    evidence = frame(demo_warehouse, "select * from marts.fct_autonomy_evidence")
    windows = frame(demo_warehouse, "select * from marts.dim_autonomy_windows")
    evaluations = frame(demo_warehouse, "select * from marts.fct_evaluations where passed is not null")
    resolutions = frame(demo_warehouse, "select * from marts.fct_autonomous_resolutions")
    escalations = frame(demo_warehouse, "select * from marts.fct_escalations")
    as_of = windows["as_of_date"].iloc[0]
    assert pd.Timestamp(as_of).dayofweek == 6  # a Sunday
    for row in evidence.itertuples():
        start, end = row.window_start_at, row.window_end_at
        assert (end - start).days == 7 * row.window_weeks
        ev = evaluations[(evaluations.case_type == row.case_type) & (evaluations.evaluated_at >= start)
                         & (evaluations.evaluated_at < end)]
        assert row.evidence_volume == ev["ticket_id"].nunique()
        acc = ev[ev.dimension == "accuracy"]
        assert (row.pact_accuracy_evaluations, row.pact_accuracy_passed) == (len(acc), int(acc["passed"].sum()))
        lower, upper = wilson(int(acc["passed"].sum()), len(acc))
        if lower is not None:
            assert (row.pact_accuracy_lower, row.pact_accuracy_upper) == (pytest.approx(lower), pytest.approx(upper))
        res = resolutions[(resolutions.case_type == row.case_type) & (resolutions.resolved_at >= start)
                          & (resolutions.resolved_at < end)]
        assert (row.autonomous_resolutions, row.disputed_resolutions) == (len(res), int(res["is_disputed"].sum()))
        esc = escalations[(escalations.case_type == row.case_type) & (escalations.triggered_at >= start)
                          & (escalations.triggered_at < end)]
        assert (row.escalations_required, row.escalations_compliant) == (len(esc), int(esc["is_compliant"].sum()))


def test_recommendations_follow_the_rules(demo_warehouse):
    recs = frame(demo_warehouse, "select * from marts.rpt_autonomy_recommendations")
    policy = query(demo_warehouse, "select case_type, is_catalogued, catalog_tier from intermediate.int_case_types__policy")
    assert sorted(recs["case_type"]) == sorted(r[0] for r in policy)
    for row in recs.to_dict("records"):
        assert (row["action"], row["recommended_tier"]) == expected_action(row), row["case_type"]
        assert abs(LADDER.index(row["recommended_tier"]) - LADDER.index(row["current_tier"])) <= 1
        assert row["reasons"].startswith({"promote": "Promote", "demote": "Demote", "hold": "Hold"}[row["action"]])
        assert re.search(r"\d+\.\d%", row["reasons"]), row["reasons"]
        assert row["policy_version"] == "2026.11-2" and row["model_version"].startswith("risk-")
        for rule in (row["breached_rules"] or "").split(", "):
            if rule:
                assert row[f"rule_{rule}"] == "breach"
    # the catalogued tiers are the current tiers
    catalog = {name: tier for name, catalogued, tier in policy if catalogued}
    assert {r["case_type"]: r["current_tier"] for r in recs.to_dict("records") if r["is_catalogued"]} == catalog


def test_history_and_memos_of_the_run(demo_build):
    warehouse, env, _ = demo_build
    recs = query(warehouse, "select case_type, action, as_of_date from marts.rpt_autonomy_recommendations")
    history = query(warehouse, "select run_id, case_type, action, as_of_date from history.autonomy_recommendations")
    assert len({h[0] for h in history}) == 1
    assert sorted(h[1:] for h in history) == sorted(recs)
    memo_dir = output_dir(env) / "reports" / "memos" / str(recs[0][2])
    changes = sorted(f"{c}_{a}" for c, a, _ in recs if a in ("promote", "demote"))
    written = sorted({p.stem for p in memo_dir.glob("*_*")}) if memo_dir.is_dir() else []
    assert written == changes
    for stem in changes:
        text = (memo_dir / f"{stem}.md").read_text()
        assert "## The evidence, rule by rule" in text and "Signature:" in text
        assert (memo_dir / f"{stem}.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_prints_and_exports_the_recommendations(demo_build, tmp_path):
    warehouse, env, _ = demo_build
    out = tmp_path / "recs.csv"
    proc = run_trustloop(["recommendations", "--out", str(out)], env)
    assert "wrote" in proc.stdout
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    header = list(rows[0].keys())
    assert header[:8] == ["case_type", "current_tier", "recommended_tier", "action", "predicted_risk",
                          "predicted_risk_upper", "evidence_volume", "reasons"]
    expected = query(warehouse, "select case_type, action, predicted_risk from marts.rpt_autonomy_recommendations "
                                "order by case_type")
    assert [(r["case_type"], r["action"]) for r in rows] == [(c, a) for c, a, _ in expected]
    assert [float(r["predicted_risk"]) for r in rows] == [p for _, _, p in expected]
    # the counts and rates behind each rule, and the evaluation coverage (metrics.md section 4)
    behind = query(warehouse, "select evaluation_coverage, escalations_required, escalations_compliant, dispute_rate, "
                              "pact_tone_evaluations from marts.rpt_autonomy_recommendations order by case_type")
    def number(text: str, kind=float):
        return kind(text) if text else None

    assert [(number(r["evaluation_coverage"]), int(r["escalations_required"]), int(r["escalations_compliant"]),
             number(r["dispute_rate"]), int(r["pact_tone_evaluations"])) for r in rows] == behind
    printed = run_trustloop(["recommendations"], env).stdout
    assert "as of " in printed and all(c in printed for c, _, _ in expected)
    assert printed.splitlines()[1].split()[-1] == "coverage"
    assert printed.splitlines()[3].split()[-1] == f"{100 * behind[0][0]:.1f}%"
    only = run_trustloop(["recommendations", "--action", "hold", "--out", str(tmp_path / "hold.csv")], env)
    assert only.returncode == 0
    actions = {a for _, a, _ in expected}
    missing = next(a for a in ("promote", "hold", "demote") if a not in actions) if len(actions) < 3 else None
    if missing:
        assert run_trustloop(["recommendations", "--action", missing], env).stdout == (
            f"no case type is recommended to {missing}\n")


def test_cli_without_a_warehouse_fails_clearly(tmp_path):
    from tests.conftest import trustloop_env

    proc = run_trustloop(["recommendations"], trustloop_env(tmp_path), check=False)
    assert proc.returncode == 2 and "run `trustloop run` first" in proc.stderr


def test_contract_fixture_falls_back_and_observes_tiers(conformance_build):
    warehouse, env, _ = conformance_build
    kind, notes = query(warehouse, "select model_kind, notes from ml.model_runs")[0]
    assert kind == "empirical_rate" and "No model was trained" in notes
    everything = frame(warehouse, "select * from marts.rpt_autonomy_recommendations")
    # the catalog's case types are listed too: no case of theirs in these data, so nothing to judge
    unseen = everything[everything["is_catalogued"]]
    assert (unseen["ai_handled_cases"] == 0).all() and (unseen["action"] == "hold").all()
    assert (unseen["rule_model_risk"] == "no_evidence").all()
    recs = everything[~everything["is_catalogued"]]
    assert len(recs) == 8
    assert set(recs["current_tier_source"]) == {"observed_mode"}
    assert recs["reasons"].str.contains("uncatalogued case type").all()
    assert recs["is_model_fallback"].all()
    # the observed tier is the most frequent mode of each case type's cases in the window
    modes = query(
        warehouse,
        """select f.case_type, f.autonomy_mode, count(*) from marts.fct_case_features f
           join marts.dim_autonomy_windows w on w.case_type = f.case_type
           where f.handled_at >= w.window_start_at and f.handled_at < w.window_end_at and f.autonomy_mode is not null
           group by 1, 2""",
    )
    for row in recs.itertuples():
        counts = {m: n for c, m, n in modes if c == row.case_type}
        best = max(counts.values())
        assert row.current_tier == min((m for m, n in counts.items() if n == best), key=LADDER.index)
    for row in recs.to_dict("records"):
        assert (row["action"], row["recommended_tier"]) == expected_action(row)
    card = (output_dir(env) / "reports" / "model_card" / "model_card.md").read_text()
    assert "Empirical rate per case type (fallback; no model was trained)" in card


def private_copy(demo_build, work: Path, **extra: str) -> tuple[Path, dict[str, str]]:
    """A copy of the demo's warehouse and Dagster home, so a test can run again; the session's stays untouched."""
    warehouse, env, _ = demo_build
    shutil.copytree(Path(env["DAGSTER_HOME"]), work / "dagster_home")
    (work / "output").mkdir(parents=True)
    shutil.copy2(warehouse, work / "output" / "warehouse.duckdb")
    again = dict(env, TRUSTLOOP_OUTPUT_DIR=str(work / "output"),
                 TRUSTLOOP_WAREHOUSE=str(work / "output" / "warehouse.duckdb"),
                 DAGSTER_HOME=str(work / "dagster_home"), **extra)
    return work / "output" / "warehouse.duckdb", again


def test_new_cases_are_scored_by_the_stored_model_until_a_retraining(demo_build, demo_landing, tmp_path):
    """2 % new cases: the stored model scores them (no training); `--retrain` trains on everything."""
    from trustloop.demo.generator import write_increment

    warehouse, _, _ = demo_build
    landing = tmp_path / "landing"
    shutil.copytree(demo_landing, landing)
    assert write_increment(landing, 60, tmp_path) > 0
    copy, again = private_copy(demo_build, tmp_path / "again", TRUSTLOOP_LANDING_DIR=str(landing))
    first = query(warehouse, "select model_version, trained_at, artifact from ml.model_runs")
    assert len(first) == 1
    version = first[0][0]

    run_trustloop(["run"], again)
    runs = query(copy, """select model_version, trained_at, artifact, retrained, retrain_reason, rows_scored
                          from ml.model_runs order by run_at nulls first""")
    assert len(runs) == 2 and runs[1][:3] == first[0] and runs[1][3] is False
    # why it was not trained: every rule the decision checked, with how far the stored model is from it
    reason = runs[1][4]
    assert reason.startswith("stored model current: no new case type, the cases to learn from moved by "), reason
    assert re.search(r"moved by \d+\.\d% \([\d,]+ -> [\d,]+; < 5%\), trained \d+\.\d days ago \(< 7\)$", reason), reason
    features = frame(copy, "select * from marts.fct_case_features order by handled_at, ticket_id")
    new = features["ticket_id"].str.startswith("TCKX-")
    assert new.sum() > 0 and runs[1][5] == len(features)
    stored = frame(copy, "select * from ml.case_predictions")
    assert set(stored["model_version"]) == {version}
    # every case, old and new, carries the stored model's prediction of its current features
    merged = features[["ticket_id"]].merge(stored, on="ticket_id", validate="one_to_one")
    assert len(merged) == len(features)
    trained = load_artifact(Path(first[0][2]))
    assert merged["predicted_risk"].to_numpy() == pytest.approx(predict(trained, features), abs=1e-12)
    # new cases were not trained on; the old ones keep the split of the training that saw them
    before = dict(query(warehouse, "select ticket_id, data_split from ml.case_predictions"))
    splits = dict(zip(merged["ticket_id"], merged["data_split"], strict=True))
    assert {splits[t] for t in features.loc[new, "ticket_id"]} == {"scored"}
    assert all(splits[t] == before[t] for t in features.loc[~new, "ticket_id"])

    result = run_trustloop(["run", "--retrain"], again)
    assert "OK" in result.stdout.splitlines()[0]
    (retrained, reason, newer) = query(copy, """select retrained, retrain_reason, model_version from ml.model_runs
                                                order by run_at desc nulls last limit 1""")[0]
    assert retrained and "--retrain" in reason and newer != version
    assert query(copy, "select distinct model_version from ml.case_predictions") == [(newer,)]
    assert query(copy, """select count(*) from ml.case_predictions
                          where ticket_id like 'TCKX-%' and data_split in ('train', 'validation')""")[0][0] > 0


LENIENT_POLICY = """
version: lenient-1
defaults:
  risk_appetite: 0.5
  max_dispute_rate: 0.5
  min_escalation_compliance: 0.2
  pact_threshold: 0.5
  min_evidence: 10
  freeze_days: 0
case_types:
  account_access:
    tier: suggest
    pacts:
      - {pact_id: lenient-acc, claim: Access is restored to the right person., dimension: accuracy, threshold: 0.5}
"""


def test_a_lenient_policy_promotes_with_a_memo(demo_build, tmp_path):
    policy = tmp_path / "lenient.yml"
    policy.write_text(LENIENT_POLICY)
    copy, again = private_copy(demo_build, tmp_path / "lenient", TRUSTLOOP_POLICY=str(policy))
    run_trustloop(["run"], again)
    recs = frame(copy, "select * from marts.rpt_autonomy_recommendations").set_index("case_type")
    row = recs.loc["account_access"]
    assert row["policy_version"] == "lenient-1" and row["pact_accuracy_id"] == "lenient-acc"
    assert (row["action"], row["current_tier"], row["recommended_tier"]) == ("promote", "suggest", "resolve")
    assert row["decision_basis"] == "every_rule_clears" and row["rules_cleared"] == 9
    assert row["reasons"].startswith("Promote from suggest to resolve: every rule clears: ")
    # uncatalogued now: the demo's other case types take their observed tier
    others = recs.drop(index="account_access")
    assert not others["is_catalogued"].any() and set(others["current_tier_source"]) == {"observed_mode"}
    memo = Path(again["TRUSTLOOP_OUTPUT_DIR"]) / "reports" / "memos" / str(row["as_of_date"].date())
    text = (memo / "account_access_promote.md").read_text()
    assert "from **suggest** (drafts replies, a person sends them) to **resolve** (acts alone)" in text
    # both runs are in the history, each with its own policy version
    history = query(copy, "select distinct run_id, policy_version from history.autonomy_recommendations")
    assert sorted(v for _, v in history) == ["2026.11-2", "lenient-1"]


def test_a_failed_run_names_the_error_and_not_an_earlier_runs_marts_as_built(demo_build, tmp_path):
    policy = tmp_path / "autopilot.yml"
    policy.write_text("version: bad-1\ncase_types:\n  account_access:\n    tier: autopilot\n")
    copy, again = private_copy(demo_build, tmp_path / "bad", TRUSTLOOP_POLICY=str(policy))
    marts = query(copy, "select count(*) from information_schema.tables where table_schema = 'marts' "
                        "and table_type = 'BASE TABLE'")[0][0]
    proc = run_trustloop(["run"], again, check=False)
    out = proc.stdout
    assert proc.returncode == 1 and out.splitlines()[0].endswith(": FAILED"), out[-3000:]
    # the step and the reason, one after the other, at the end of the summary
    assert out.rstrip().endswith(
        "  step failed: raw__policy:\n"
        f"    PolicyError: {policy}: case_types.account_access.tier: 'autopilot' is not one of shadow, triage, "
        "suggest, resolve"), out[-3000:]
    # the marts in the warehouse are the demo build's: not listed as this run's
    assert f"  marts built: 0 (the {marts} in the warehouse are an earlier run's)\n" in out
    assert " rows\n" not in out and "marts.fct_cases" not in out
    assert "Traceback" not in out


def test_a_year_mistyped_in_the_future_does_not_move_the_evidence(conformance_build, tmp_path):
    """One event and one ticket snapshot dated 2062 (for 2026): the data's end leaves out what is dated after
    the build, so the as-of date, the windows, the recommendations and the durability of resolutions are
    the contract sample's own. Taken at face value, the as-of date was 2062-04-23: every window empty,
    every case type on hold without evidence, and every resolution durable."""
    from tests.conftest import CONTRACT_SAMPLE, build_warehouse

    base, _, _ = conformance_build
    landing = tmp_path / "landing"
    shutil.copytree(CONTRACT_SAMPLE / "landing", landing)
    [(ticket, *snapshot)] = query(base, """
        select ticket_id, created_at, channel, case_type, priority, customer_id, status
        from intermediate.int_tickets__current where status = 'solved' order by updated_at, ticket_id limit 1""")
    (landing / "agent_logs" / "typo.jsonl").write_text(json.dumps({
        "event_id": "typo-2062", "ticket_id": ticket, "occurred_at": "2062-04-25T06:25:00Z", "actor_type": "human",
        "actor_id": "h_desk_9", "event_type": "message_sent", "attributes": {"text": "noted"}}) + "\n")
    created, channel, case_type, priority, customer, status = snapshot
    (landing / "tickets" / "typo.csv").write_text(
        "ticket_id,updated_at,created_at,channel,case_type,priority,customer_id,status\n"
        f"{ticket},2062-04-25T06:25:00Z,{created.isoformat()},{channel},{case_type},{priority},{customer},{status}\n")
    warehouse, _, stdout = build_warehouse(tmp_path, landing)
    assert "0 failed" in stdout
    assert query(warehouse, "select max(occurred_at) from raw.agent_logs")[0][0].year == 2062
    windows = "select distinct as_of_date, data_end_at from marts.dim_autonomy_windows"
    assert query(warehouse, windows) == query(base, windows)
    # the evidence of every case type is the sample's own, but for the typed ticket's case type, whose case changed
    # with its new snapshot and event (and the risk estimates, whose fallback leans on the overall rate)
    decisions = f"""select case_type, as_of_date, window_start_at, window_end_at, current_tier, ai_handled_cases,
                           evidence_volume, pact_accuracy_evaluations, pact_accuracy_passed
                    from marts.rpt_autonomy_recommendations where case_type <> '{case_type}' order by case_type"""
    assert len(query(base, decisions)) > 5 and query(warehouse, decisions) == query(base, decisions)
    own = f"select as_of_date, evidence_volume > 0 from marts.rpt_autonomy_recommendations where case_type = '{case_type}'"
    assert query(warehouse, own) == query(base, own)
    durability = f"""select ticket_id, data_as_of, durability_status from marts.rpt_roi_cases
                     where ticket_id <> '{ticket}' order by ticket_id"""
    assert query(warehouse, durability) == query(base, durability)
