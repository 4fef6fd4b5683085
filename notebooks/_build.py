"""Write the exploration notebooks of this folder, without outputs.

The notebooks are generated so that they stay small, reviewable and free of
outputs: edit the cells here, then run ``.venv/bin/python notebooks/_build.py``.
tests/ergonomics/test_notebooks.py executes every notebook against a warehouse
built from the demo data (and the contract fixture's tiny one).

Every notebook:
- reads the warehouse READ-ONLY, at the path trustloop.settings resolves
  (TRUSTLOOP_WAREHOUSE), so it never blocks or changes a pipeline run's data;
- has a ``parameters`` cell (papermill-style tag) with its few knobs;
- ends by printing one ``SUMMARY {...}`` JSON line, the figures the tests check
  against the warehouse.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def _code(source: str, tags: list[str] | None = None):
    cell = new_code_cell(source.strip("\n"))
    if tags:
        cell.metadata["tags"] = tags
    return cell


def _md(source: str):
    return new_markdown_cell(source.strip("\n"))


# Shared first code cell: the read-only connection and two helpers.
SETUP = '''
import io
import json

import duckdb
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from IPython.display import Image, display

from trustloop.settings import get_settings

pd.set_option("display.width", 160)
pd.set_option("display.max_columns", 30)

WAREHOUSE = get_settings().warehouse
if not WAREHOUSE.exists():
    raise FileNotFoundError(f"no warehouse at {WAREHOUSE}: run `make run` (or point TRUSTLOOP_WAREHOUSE at one)")
con = duckdb.connect(str(WAREHOUSE), read_only=True)
con.execute("SET TimeZone = 'UTC'")


def q(sql: str, params=None) -> pd.DataFrame:
    """Run a query on the warehouse and return a DataFrame."""
    return con.execute(sql, params or []).df()


def table_exists(schema: str, table: str) -> bool:
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()[0])


def show(fig) -> None:
    """Display a figure as a PNG output of the cell (with any matplotlib backend, Agg included)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(fig)
    display(Image(data=buffer.getvalue(), format="png"))


print(f"warehouse: {WAREHOUSE}")
'''

CLOSE = '''
con.close()
'''


def trust_evidence() -> nbformat.NotebookNode:
    cells = [
        _md('''
# The trust evidence of one case type over time

Week by week, for one case type: the pact pass rates (with their Wilson 95 % bounds), escalation
compliance and disputes from `marts.fct_trust_metrics`, how much evidence each week carries, and what
the autonomy recommendation says about the case type (`marts.rpt_autonomy_recommendations`).

Exploration only: every number here comes from the marts; nothing is written back.
'''),
        _code('''
# Parameters: the case type to look at (None = the one with the most AI-handled cases).
CASE_TYPE = None
''', tags=["parameters"]),
        _code(SETUP),
        _md("## Which case type"),
        _code('''
case_types = q("""
    select case_type, count(*) as cases, cast(sum(case when is_ai_handled then 1 else 0 end) as integer) as ai_handled_cases
    from marts.fct_cases
    group by case_type
    order by ai_handled_cases desc, case_type
""")
display(case_types)
if CASE_TYPE is None:
    CASE_TYPE = case_types["case_type"].iloc[0] if len(case_types) else None
print(f"case type: {CASE_TYPE}")
'''),
        _md('''
## Weekly metrics

`value` is the rate; `value_lower`/`value_upper` its Wilson 95 % interval; `denominator` the evidence
behind it (evaluations, escalations, autonomous resolutions). A rate on a handful of cases has a wide
interval: read the bounds, not the point.
'''),
        _code('''
weekly = q("""
    select metric, coalesce(dimension, '') as dimension, cast(period_start as date) as week,
           numerator, denominator, value, value_lower, value_upper
    from marts.fct_trust_metrics
    where grain = 'case_type' and grain_value = ? and period = 'week'
    order by metric, dimension, week
""", [CASE_TYPE])
weekly["series"] = np.where(weekly["dimension"] == "", weekly["metric"], weekly["metric"] + ":" + weekly["dimension"])
print(f"{len(weekly)} weekly metric rows, {weekly['week'].nunique()} weeks")
display(weekly.pivot_table(index="week", columns="series", values="value").round(3).tail(12))
'''),
        _code('''
def band(ax, frame, label):
    frame = frame.sort_values("week")
    ax.plot(frame["week"], frame["value"], marker="o", markersize=3, label=label)
    ax.fill_between(frame["week"], frame["value_lower"], frame["value_upper"], alpha=0.15)


fig, axes = plt.subplots(3, 1, figsize=(10, 10), sharex=True)
pact = weekly[weekly["metric"] == "pact_pass_rate"]
for dimension, frame in pact.groupby("dimension"):
    band(axes[0], frame, dimension)
axes[0].set_title(f"{CASE_TYPE}: pact pass rate by dimension (95 % Wilson band)")
for metric, ax in (("escalation_compliance_rate", axes[1]), ("dispute_rate", axes[2])):
    frame = weekly[weekly["metric"] == metric]
    if len(frame):
        band(ax, frame, metric)
    ax.set_title(metric.replace("_", " "))
upheld = weekly[weekly["metric"] == "upheld_dispute_rate"]
if len(upheld):
    band(axes[2], upheld, "upheld_dispute_rate")
for ax in axes:
    ax.set_ylim(-0.02, 1.02)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=8)
fig.tight_layout()
show(fig)
'''),
        _md('''
## Evidence volume

How much the weekly figures rest on: AI-handled cases, pact evaluations, escalations that were
required, and autonomous resolutions (whose disputes are counted), per ISO week.
'''),
        _code('''
def weekly_denominator(metric: str) -> pd.Series:
    frame = weekly[weekly["metric"] == metric]
    return frame.groupby("week")["denominator"].sum()


handled = q("""
    select cast(date_trunc('week', assigned_at) as date) as week, count(*) as ai_handled_cases
    from marts.fct_cases
    where case_type = ? and is_ai_handled and assigned_at is not null
    group by 1
""", [CASE_TYPE]).set_index("week")["ai_handled_cases"]
volume = pd.DataFrame({
    "ai_handled_cases": handled,
    "evaluations": weekly_denominator("pact_pass_rate"),
    "escalations_required": weekly_denominator("escalation_compliance_rate"),
    "autonomous_resolutions": weekly_denominator("dispute_rate"),
}).fillna(0).astype(int).sort_index()
display(volume.tail(12))
if len(volume):
    fig, ax = plt.subplots(figsize=(10, 3.5))
    volume.plot(ax=ax, marker="o", markersize=3)
    ax.set_title(f"{CASE_TYPE}: evidence per week")
    ax.set_xlabel("week")
    fig.tight_layout()
    show(fig)
'''),
        _md('''
## The recommendation for it

When the autonomy marts are built: the action (promote / hold / demote), the tiers, and the reason
for each rule, as the decision memo states them.
'''),
        _code('''
recommendation = None
if table_exists("marts", "rpt_autonomy_recommendations"):
    rows = q("select * from marts.rpt_autonomy_recommendations where case_type = ?", [CASE_TYPE])
    if len(rows):
        recommendation = rows.iloc[0]
        print(f"{recommendation['action']}: {recommendation['current_tier']} -> {recommendation['recommended_tier']}"
              f" ({recommendation['decision_basis']}), as of {recommendation['as_of_date']}")
        print(recommendation["reasons"])
        rules = [c for c in rows.columns if c.startswith("rule_")]
        display(pd.DataFrame({
            "rule": [c.removeprefix("rule_") for c in rules],
            "status": [recommendation[c] for c in rules],
            "reason": [recommendation.get("reason_" + c.removeprefix("rule_")) for c in rules],
        }))
    else:
        print(f"no recommendation for {CASE_TYPE}")
else:
    print("marts.rpt_autonomy_recommendations is not built in this warehouse")
'''),
        _code('''
summary = {
    "case_type": CASE_TYPE,
    "weeks": int(weekly["week"].nunique()),
    "pact_evaluations": int(weekly.loc[weekly["metric"] == "pact_pass_rate", "denominator"].sum()),
    "escalations_required": int(volume["escalations_required"].sum()) if len(volume) else 0,
    "ai_handled_cases": int(volume["ai_handled_cases"].sum()) if len(volume) else 0,
    "action": None if recommendation is None else recommendation["action"],
}
print("SUMMARY " + json.dumps(summary))
'''),
        _code(CLOSE),
    ]
    return _notebook(cells)


def risk_model() -> nbformat.NotebookNode:
    cells = [
        _md('''
# The risk model: calibration and where it errs

`ml.case_predictions` holds, per AI-handled case, the model's probability that the handling goes
wrong; `marts.fct_case_features` holds the label (`is_handling_wrong`, final once `is_label_mature`)
and the evidence behind it. Here: is a predicted 5 % really 5 % (a reliability table and curve), and
where the model is wrong — by case type, by agent, and the wrong cases it scored as safe.

Judged on the model's held-out cases (`data_split = 'validation'`) when there are any, else on every
case with a final label (then the figures flatter the model: it saw those labels).
'''),
        _code('''
# Parameters: number of probability bins of the reliability table.
BINS = 10
''', tags=["parameters"]),
        _code(SETUP),
        _code('''
if not table_exists("ml", "case_predictions"):
    raise RuntimeError("ml.case_predictions is not in this warehouse: run the pipeline (`make run`) first")

runs = q("select * from ml.model_runs order by trained_at desc") if table_exists("ml", "model_runs") else pd.DataFrame()
if len(runs):
    latest = runs.iloc[0]
    print(f"model {latest['model_version']} ({latest['model_kind']}), trained {latest['trained_at']}: "
          f"{latest['rows_train']} train / {latest['rows_validation']} validation rows; "
          f"ROC AUC {latest['roc_auc']}, Brier {latest['brier']} (base rate {latest['brier_base_rate']})")

cases = q("""
    select p.ticket_id, p.case_type, p.predicted_risk, p.model_version, p.model_kind, p.is_fallback, p.data_split,
           f.* exclude (ticket_id, case_type)
    from ml.case_predictions as p
    inner join marts.fct_case_features as f on f.ticket_id = p.ticket_id
""")
# the label's evidence flags (has_*), whatever the feature mart currently defines; has_amount_at_stake is a feature
EVIDENCE = [c for c in cases.columns if c.startswith("has_") and c != "has_amount_at_stake"]
print(f"label evidence columns: {EVIDENCE}")
display(cases.groupby(["data_split", "model_kind"], dropna=False).agg(
    cases=("ticket_id", "size"), predicted=("predicted_risk", "mean"), observed=("is_handling_wrong", "mean"),
))
'''),
        _code('''
labelled = cases[cases["is_label_mature"] & cases["predicted_risk"].notna()].copy()
held_out = labelled[labelled["data_split"] == "validation"]
judged = held_out if len(held_out) else labelled
JUDGED_ON = "validation" if len(held_out) else "all mature labels"
judged = judged.assign(y=judged["is_handling_wrong"].astype(int))
print(f"judged on {JUDGED_ON}: {len(judged)} cases, {judged['y'].sum()} labelled wrong")
'''),
        _md('''
## Calibration

Cases binned by predicted probability (quantile bins, so each bin has cases): the mean prediction
against the observed rate, with a Wilson 95 % interval on the observed rate. A calibrated model sits
on the diagonal, within the intervals. Brier score and expected calibration error (ECE) below.
'''),
        _code('''
def wilson(k, n, z=1.959964):
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def reliability(frame: pd.DataFrame, bins: int) -> pd.DataFrame:
    if frame.empty:
        return pd.DataFrame(columns=["bin", "cases", "wrong", "mean_predicted", "observed", "lower", "upper"])
    ranks = frame["predicted_risk"].rank(method="first")
    labels = pd.qcut(ranks, q=min(bins, len(frame)), labels=False, duplicates="drop")
    table = frame.groupby(labels).agg(
        cases=("y", "size"), wrong=("y", "sum"), mean_predicted=("predicted_risk", "mean"),
        min_predicted=("predicted_risk", "min"), max_predicted=("predicted_risk", "max"),
    ).reset_index(names="bin")
    table["observed"] = table["wrong"] / table["cases"]
    table["lower"], table["upper"] = wilson(table["wrong"], table["cases"])
    return table


calibration = reliability(judged, BINS)
display(calibration.round(4))

brier = float(((judged["predicted_risk"] - judged["y"]) ** 2).mean()) if len(judged) else float("nan")
base_rate = float(judged["y"].mean()) if len(judged) else float("nan")
brier_base = float(((base_rate - judged["y"]) ** 2).mean()) if len(judged) else float("nan")
ece = float((calibration["cases"] * (calibration["mean_predicted"] - calibration["observed"]).abs()).sum()
            / calibration["cases"].sum()) if len(calibration) else float("nan")
print(f"Brier {brier:.4f} vs {brier_base:.4f} for always predicting the base rate {base_rate:.4f}; ECE {ece:.4f}")
'''),
        _code('''
fig, ax = plt.subplots(figsize=(6, 6))
top = max(0.05, float(calibration[["mean_predicted", "upper"]].max().max()) if len(calibration) else 0.05) * 1.1
ax.plot([0, top], [0, top], linestyle="--", color="grey", label="perfect calibration")
if len(calibration):
    ax.errorbar(
        calibration["mean_predicted"], calibration["observed"],
        yerr=[calibration["observed"] - calibration["lower"], calibration["upper"] - calibration["observed"]],
        marker="o", linestyle="-", capsize=3, label=f"model ({JUDGED_ON})",
    )
ax.set_xlim(0, top)
ax.set_ylim(0, top)
ax.set_xlabel("mean predicted probability")
ax.set_ylabel("observed rate of wrong handling")
ax.set_title("Reliability curve")
ax.legend()
show(fig)
'''),
        _md('''
## Where it errs

By case type and by agent: the mean prediction against the observed rate (a positive `gap` means the
model under-estimates the risk). Then the false negatives: cases labelled wrong that the model scored
below their case type's risk appetite (the policy's limit) — the cases the model would have let
through — and which evidence made them wrong.
'''),
        _code('''
def by(frame: pd.DataFrame, column: str) -> pd.DataFrame:
    table = frame.groupby(column, dropna=False).agg(
        cases=("y", "size"), wrong=("y", "sum"), mean_predicted=("predicted_risk", "mean"),
    )
    table["observed"] = table["wrong"] / table["cases"]
    table["gap"] = table["observed"] - table["mean_predicted"]
    table["lower"], table["upper"] = wilson(table["wrong"], table["cases"])
    return table.sort_values("gap", ascending=False)


by_case_type = by(judged, "case_type")
by_agent = by(judged, "agent_id")
display(by_case_type.round(4))
display(by_agent.round(4))
if len(by_case_type):
    fig, ax = plt.subplots(figsize=(9, 3.5))
    by_case_type[["mean_predicted", "observed"]].plot.bar(ax=ax)
    ax.set_title("Predicted vs observed rate of wrong handling, by case type")
    fig.tight_layout()
    show(fig)
'''),
        _code('''
appetite = q("select case_type, risk_appetite from marts.rpt_case_type_risk") \\
    if table_exists("marts", "rpt_case_type_risk") else pd.DataFrame(columns=["case_type", "risk_appetite"])
scored = judged.merge(appetite, on="case_type", how="left")
scored["threshold"] = scored["risk_appetite"].fillna(scored["predicted_risk"].quantile(0.9) if len(scored) else 0)
scored["flagged"] = scored["predicted_risk"] >= scored["threshold"]
false_negatives = scored[(scored["y"] == 1) & ~scored["flagged"]]
false_positives = scored[(scored["y"] == 0) & scored["flagged"]]
print(f"{len(false_negatives)} of {int(scored['y'].sum())} wrong cases scored under their risk appetite "
      f"(false negatives); {len(false_positives)} right cases over it (false positives)")
if len(false_negatives):
    display(false_negatives.groupby("case_type")[EVIDENCE].sum()
            .assign(cases=false_negatives.groupby("case_type").size()))
    display(false_negatives.sort_values("predicted_risk")[
        ["ticket_id", "case_type", "agent_id", "predicted_risk", "threshold", "strong_evidence_count",
         "weak_evidence_count"]].head(15))
'''),
        _code('''
summary = {
    "judged_on": JUDGED_ON,
    "cases": int(len(cases)),
    "judged_cases": int(len(judged)),
    "judged_wrong": int(judged["y"].sum()),
    "brier": None if np.isnan(brier) else round(brier, 6),
    "ece": None if np.isnan(ece) else round(ece, 6),
    "false_negatives": int(len(false_negatives)),
}
print("SUMMARY " + json.dumps(summary))
'''),
        _code(CLOSE),
    ]
    return _notebook(cells)


def roi_what_if() -> nbformat.NotebookNode:
    cells = [
        _md('''
# ROI, and what if the cost assumptions change

`marts.rpt_roi_cases` prices every case under finance's assumptions (`marts.rpt_roi_assumptions`);
`rpt_roi_monthly` and `rpt_roi_total` add them up with the AI's incident remediation costs. This
notebook re-prices the cases in pandas — first with the warehouse's own assumptions (it must
reproduce `rpt_roi_total`), then with changed ones — to see how sensitive the savings and the ROI are.

The pricing rules (see the model's SQL): AI cost on every AI-handled case; review cost per drafted
suggestion; human cost when a person handled the case; dispute cost on a disputed case. The
baseline is the human cost of every case plus the dispute cost of disputed human-only cases.
Savings = baseline − cost (incl. incident remediation); ROI = savings / (AI cost + review cost).
'''),
        _code('''
# Parameters: multipliers on the assumptions for the what-if (1.0 = unchanged).
SCENARIOS = {
    "as assumed": {},
    "AI cost x2": {"ai_cost_per_case": 2.0},
    "human cost -25%": {"human_cost_per_case": 0.75},
    "review cost x2": {"review_cost_per_suggestion": 2.0},
    "dispute cost x2": {"dispute_cost": 2.0},
    "pessimistic": {"ai_cost_per_case": 1.5, "human_cost_per_case": 0.8, "dispute_cost": 1.5},
}
''', tags=["parameters"]),
        _code(SETUP),
        _code('''
assumptions = q("select * from marts.rpt_roi_assumptions order by name, case_type nulls first")
display(assumptions[["name", "case_type", "value", "unit"]])
cases = q("select * from marts.rpt_roi_cases")
monthly = q("select * from marts.rpt_roi_monthly order by month_start, case_type")
total = q("select * from marts.rpt_roi_total")
currency = assumptions["currency"].dropna().iloc[0] if assumptions["currency"].notna().any() else ""
print(f"{len(cases)} cases, {len(monthly)} case-type months, currency {currency or '(none)'}")
display(total.set_index("case_type")[["cases_total", "total_cost", "baseline_cost", "savings", "roi"]])
'''),
        _md('''
## Re-pricing the cases

`price()` applies a set of assumptions (default values overridden per case type, as in the policy)
to the cases, and adds the incident remediation cost, which does not depend on the assumptions.
'''),
        _code('''
COST_NAMES = ["ai_cost_per_case", "human_cost_per_case", "review_cost_per_suggestion", "dispute_cost"]
costs = assumptions[assumptions["policy_section"] == "costs"]


def cost_table(multipliers: dict[str, float]) -> pd.DataFrame:
    """One row per case type seen in the cases, one column per cost, with the multipliers applied."""
    defaults = costs[costs["case_type"].isna()].set_index("name")["value"].astype(float)
    overrides = costs[costs["case_type"].notna()].pivot(index="case_type", columns="name", values="value")
    table = pd.DataFrame(index=pd.Index(sorted(cases["case_type"].dropna().unique()), name="case_type"))
    for name in COST_NAMES:
        base = defaults.get(name, 0.0)
        column = overrides[name].astype(float) if name in overrides else pd.Series(dtype=float)
        table[name] = column.reindex(table.index).fillna(base) * multipliers.get(name, 1.0)
    return table


incident_cost = monthly.groupby("case_type")["incident_remediation_cost"].sum().astype(float)


def price(multipliers: dict[str, float]) -> pd.DataFrame:
    """Savings and ROI per case type (and '(total)') under the assumptions times the multipliers."""
    columns = ["case_type", "handling_mode", "is_ai_handled", "is_human_handled", "is_disputed", "suggestion_count"]
    c = cases[columns].join(cost_table(multipliers).add_prefix("unit_"), on="case_type")
    human_handled = c["is_human_handled"].fillna(False).astype(bool)
    ai_handled = c["is_ai_handled"].fillna(False).astype(bool)
    disputed = c["is_disputed"].fillna(False).astype(bool)
    priced = pd.DataFrame({
        "case_type": c["case_type"],
        "ai_cost": np.where(ai_handled, c["unit_ai_cost_per_case"], 0.0),
        "review_cost": np.where(
            ai_handled, c["unit_review_cost_per_suggestion"] * c["suggestion_count"].fillna(0), 0.0),
        "human_cost": np.where(human_handled, c["unit_human_cost_per_case"], 0.0),
        "dispute_cost": np.where(disputed, c["unit_dispute_cost"], 0.0),
        "baseline_cost": c["unit_human_cost_per_case"]
        + np.where(disputed & (c["handling_mode"] == "human_only"), c["unit_dispute_cost"], 0.0),
    })
    by_type = priced.groupby("case_type").sum()
    by_type = by_type.reindex(by_type.index.union(incident_cost.index), fill_value=0.0)
    by_type["incident_remediation_cost"] = incident_cost.reindex(by_type.index).fillna(0.0)
    by_type.loc["(total)"] = by_type.sum()
    by_type["total_cost"] = by_type[["ai_cost", "review_cost", "human_cost", "dispute_cost",
                                     "incident_remediation_cost"]].sum(axis=1)
    by_type["ai_operating_cost"] = by_type["ai_cost"] + by_type["review_cost"]
    by_type["savings"] = by_type["baseline_cost"] - by_type["total_cost"]
    by_type["roi"] = by_type["savings"] / by_type["ai_operating_cost"].where(by_type["ai_operating_cost"] != 0)
    return by_type


as_assumed = price({})
check = as_assumed[["total_cost", "baseline_cost", "savings"]].merge(
    total.set_index("case_type")[["total_cost", "baseline_cost", "savings"]].astype(float),
    left_index=True, right_index=True, how="outer", suffixes=("", "_mart"))
REPRODUCED = bool(len(check)) and bool(np.allclose(
    check[["total_cost", "baseline_cost", "savings"]].to_numpy(),
    check[["total_cost_mart", "baseline_cost_mart", "savings_mart"]].to_numpy(),
    atol=0.01, equal_nan=True,
))
print(f"re-pricing with the warehouse's assumptions reproduces rpt_roi_total: {REPRODUCED}")
display(check.round(2))
'''),
        _md('''
## What if

Each scenario multiplies some assumptions; the table shows the whole-history cost, savings and ROI,
and the chart the savings per case type. The break-even AI cost per case is where the savings
reach zero (savings fall by one unit of currency per AI-handled case for each unit of AI cost).
'''),
        _code('''
results = {name: price(multipliers) for name, multipliers in SCENARIOS.items()}
what_if = pd.DataFrame({
    name: frame.loc["(total)", ["total_cost", "baseline_cost", "savings", "ai_operating_cost", "roi"]]
    for name, frame in results.items()
}).T
display(what_if.round(3))

ai_handled_cases = int(cases["is_ai_handled"].fillna(False).sum())
current_ai_cost = cost_table({})["ai_cost_per_case"]
base_savings = float(as_assumed.loc["(total)", "savings"]) if len(as_assumed) else 0.0
BREAK_EVEN_AI_COST = None
if not ai_handled_cases or current_ai_cost.nunique() != 1:
    print("break-even AI cost per case: not defined (no AI-handled cases, or the AI cost varies by case type)")
else:
    assumed = float(current_ai_cost.iloc[0])
    break_even = assumed + base_savings / ai_handled_cases
    if break_even < 0:
        print(f"no break-even: even a free AI would not save money (savings {base_savings:.2f} {currency} "
              f"at an AI cost of {assumed:.2f} per case)")
    else:
        BREAK_EVEN_AI_COST = break_even
        print(f"break-even AI cost per case: {break_even:.2f} {currency} "
              f"(assumed {assumed:.2f}, {ai_handled_cases} AI-handled cases)")
'''),
        _code('''
savings = pd.DataFrame({name: frame["savings"] for name, frame in results.items()}).drop(index="(total)", errors="ignore")
if len(savings):
    fig, ax = plt.subplots(figsize=(10, 4))
    savings.plot.bar(ax=ax)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel(f"savings ({currency})")
    ax.set_title("Savings by case type under each scenario")
    fig.tight_layout()
    show(fig)

if len(monthly):
    by_month = monthly.groupby("month_start")[["savings", "ai_operating_cost"]].sum()
    fig, ax = plt.subplots(figsize=(10, 3.5))
    by_month["savings"].plot(ax=ax, marker="o", label="savings (as assumed)")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_title("Monthly savings (rpt_roi_monthly)")
    ax.legend()
    fig.tight_layout()
    show(fig)
'''),
        _code('''
summary = {
    "cases": int(len(cases)),
    "reproduced": REPRODUCED,
    "savings": None if not len(as_assumed) else round(float(as_assumed.loc["(total)", "savings"]), 2),
    "scenario_savings": {name: round(float(frame.loc["(total)", "savings"]), 2) for name, frame in results.items()
                         if "(total)" in frame.index},
    "break_even_ai_cost_per_case": None if BREAK_EVEN_AI_COST is None else round(BREAK_EVEN_AI_COST, 4),
}
print("SUMMARY " + json.dumps(summary))
'''),
        _code(CLOSE),
    ]
    return _notebook(cells)


def _notebook(cells) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


NOTEBOOKS = {
    "01_case_type_trust_evidence.ipynb": trust_evidence,
    "02_risk_model.ipynb": risk_model,
    "03_roi_what_if.ipynb": roi_what_if,
}


def build(out_dir: Path = HERE) -> list[Path]:
    written = []
    for name, make in NOTEBOOKS.items():
        nb = make()
        # stable cell ids, so regenerating an unchanged notebook changes nothing
        for index, cell in enumerate(nb.cells):
            cell["id"] = f"{Path(name).stem[:2]}-{index:02d}"
        nbformat.validate(nb)
        path = out_dir / name
        nbformat.write(nb, path)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(f"wrote {path}")
