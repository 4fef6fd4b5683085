"""The exploration notebooks: saved without outputs, and each runs end to end on a real warehouse.

Each notebook ends by printing one ``SUMMARY {...}`` JSON line; the tests check
those figures against queries on the same warehouse, and that figures were drawn.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from tests.conftest import query

PROJECT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = PROJECT / "notebooks"
NOTEBOOKS = ["01_case_type_trust_evidence.ipynb", "02_risk_model.ipynb", "03_roi_what_if.ipynb"]
CELL_TIMEOUT = 600  # bounds against a hung kernel, not timing assertions
KERNEL_START_TIMEOUT = 300


def test_every_notebook_is_listed_and_saved_without_outputs():
    assert sorted(p.name for p in NOTEBOOK_DIR.glob("*.ipynb")) == NOTEBOOKS
    for name in NOTEBOOKS:
        nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python3"
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert all(not c.outputs and c.execution_count is None for c in code), f"{name} has saved outputs"
        assert any("parameters" in c.metadata.get("tags", []) for c in code), f"{name} has no parameters cell"
        source = "\n".join(c.source for c in code)
        assert "read_only=True" in source, f"{name} must open the warehouse read-only"


def test_notebooks_match_their_generator(tmp_path):
    """notebooks/_build.py writes the notebooks: the committed files are exactly its output."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("notebooks_build", NOTEBOOK_DIR / "_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build(tmp_path)
    for name in NOTEBOOKS:
        assert (tmp_path / name).read_text() == (NOTEBOOK_DIR / name).read_text(), (
            f"{name} differs from notebooks/_build.py's output: run `.venv/bin/python notebooks/_build.py`"
        )


def execute(name: str, warehouse: Path, workdir: Path, monkeypatch) -> nbformat.NotebookNode:
    """Run a notebook in a fresh python3 kernel (this venv's Python) against ``warehouse``."""
    from nbclient import NotebookClient

    # the kernel inherits this environment: the warehouse, a scratch output folder, a headless backend
    monkeypatch.setenv("TRUSTLOOP_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("TRUSTLOOP_OUTPUT_DIR", str(workdir / "output"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=CELL_TIMEOUT, startup_timeout=KERNEL_START_TIMEOUT,
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()
    return nb


def summary_of(nb: nbformat.NotebookNode) -> dict:
    lines = [
        line
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.outputs if out.output_type == "stream"
        for line in out.text.splitlines() if line.startswith("SUMMARY ")
    ]
    assert len(lines) == 1, f"expected one SUMMARY line, got {lines}"
    return json.loads(lines[0].removeprefix("SUMMARY "))


def figures_in(nb: nbformat.NotebookNode) -> int:
    return sum(
        1
        for cell in nb.cells if cell.cell_type == "code"
        for out in cell.outputs if "image/png" in out.get("data", {})
    )


def errors_in(nb: nbformat.NotebookNode) -> list[str]:
    return [
        out.get("ename", "") for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs
        if out.output_type == "error"
    ]


# --- on the demo warehouse: figures checked against the warehouse ---------------------------------


@pytest.mark.slow
def test_trust_evidence_notebook_on_demo(demo_warehouse, tmp_path, monkeypatch):
    nb = execute("01_case_type_trust_evidence.ipynb", demo_warehouse, tmp_path, monkeypatch)
    summary = summary_of(nb)
    (expected_case_type,) = query(
        demo_warehouse,
        """select case_type from marts.fct_cases group by case_type
           order by sum(case when is_ai_handled then 1 else 0 end) desc, case_type limit 1""",
    )[0]
    assert summary["case_type"] == expected_case_type
    evaluations, weeks = query(
        demo_warehouse,
        """select sum(denominator), count(distinct period_start) from marts.fct_trust_metrics
           where metric = 'pact_pass_rate' and grain = 'case_type' and grain_value = ? and period = 'week'""",
        [expected_case_type],
    )[0]
    assert summary["pact_evaluations"] == evaluations > 0
    assert summary["weeks"] >= weeks
    ai_handled = query(
        demo_warehouse,
        "select count(*) from marts.fct_cases where case_type = ? and is_ai_handled and assigned_at is not null",
        [expected_case_type],
    )[0][0]
    assert summary["ai_handled_cases"] == ai_handled
    action = query(
        demo_warehouse, "select action from marts.rpt_autonomy_recommendations where case_type = ?",
        [expected_case_type],
    )
    assert summary["action"] == (action[0][0] if action else None)
    assert figures_in(nb) >= 2


@pytest.mark.slow
def test_risk_model_notebook_on_demo(demo_warehouse, tmp_path, monkeypatch):
    nb = execute("02_risk_model.ipynb", demo_warehouse, tmp_path, monkeypatch)
    summary = summary_of(nb)
    cases = query(
        demo_warehouse,
        """select count(*) from ml.case_predictions as p
           inner join marts.fct_case_features as f on f.ticket_id = p.ticket_id""",
    )[0][0]
    assert summary["cases"] == cases > 0
    validation, wrong = query(
        demo_warehouse,
        """select count(*), sum(case when f.is_handling_wrong then 1 else 0 end)
           from ml.case_predictions as p inner join marts.fct_case_features as f on f.ticket_id = p.ticket_id
           where p.data_split = 'validation' and f.is_label_mature and p.predicted_risk is not null""",
    )[0]
    if validation:
        assert summary["judged_on"] == "validation"
        assert (summary["judged_cases"], summary["judged_wrong"]) == (validation, wrong)
        # the notebook's Brier score on the held-out cases is the one the model asset recorded
        brier = query(demo_warehouse, "select brier from ml.model_runs order by trained_at desc limit 1")
        if brier and brier[0][0] is not None:
            assert summary["brier"] == pytest.approx(brier[0][0], abs=1e-5)
    assert 0 <= summary["false_negatives"] <= summary["judged_wrong"]
    assert figures_in(nb) >= 2


@pytest.mark.slow
def test_roi_what_if_notebook_on_demo(demo_warehouse, tmp_path, monkeypatch):
    nb = execute("03_roi_what_if.ipynb", demo_warehouse, tmp_path, monkeypatch)
    summary = summary_of(nb)
    assert summary["reproduced"] is True
    savings = query(demo_warehouse, "select savings from marts.rpt_roi_total where case_type = '(total)'")[0][0]
    assert summary["savings"] == pytest.approx(float(savings), abs=0.01)
    # doubling a per-case cost lowers the savings by exactly what that cost came to
    ai_cost, review_cost = query(demo_warehouse, "select sum(ai_cost), sum(review_cost) from marts.rpt_roi_cases")[0]
    scenarios = summary["scenario_savings"]
    assert scenarios["AI cost x2"] == pytest.approx(float(savings) - float(ai_cost), abs=0.01)
    assert scenarios["review cost x2"] == pytest.approx(float(savings) - float(review_cost), abs=0.01)
    assert figures_in(nb) >= 1


# --- on the contract fixture's tiny warehouse: every notebook copes ---------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_copes_with_the_contract_fixture(name, conformance_warehouse, tmp_path, monkeypatch):
    nb = execute(name, conformance_warehouse, tmp_path, monkeypatch)
    assert not errors_in(nb)
    summary = summary_of(nb)
    if name.startswith("03"):
        assert summary["reproduced"] is True
    assert figures_in(nb) >= 1
