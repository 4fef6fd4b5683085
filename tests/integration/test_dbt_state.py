"""dbt's partial-parse state is reused across warehouses of the same name (orchestration/dbt_state.py).

Real dbt parses, in scratch target folders: the state parsed for one warehouse, re-keyed, is accepted
by dbt for another warehouse file of the same name, and gives the manifest a full parse gives; a state
it cannot vouch for is left to dbt, which parses in full.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import msgpack
import pytest

from orchestration import dbt_state
from trustloop.settings import DBT_PROJECT_DIR

DBT = str(Path(sys.executable).with_name("dbt"))


def parse(target: Path, warehouse: Path, memory: str = dbt_state.DEFAULT_MEMORY) -> tuple[list[str], dict]:
    """`dbt parse` into ``target``; returns dbt's log messages and the manifest's relation names."""
    env = dict(os.environ, TRUSTLOOP_WAREHOUSE=str(warehouse), TRUSTLOOP_DBT_MEMORY=memory,
               TRUSTLOOP_DBT_TARGET="duckdb", DBT_PROFILES_DIR=str(DBT_PROJECT_DIR),
               DBT_SEND_ANONYMOUS_USAGE_STATS="false")
    subprocess.run([DBT, "parse", "--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(target),
                    "--log-path", str(target), "--log-format", "json", "--quiet"],
                   env=env, check=True, capture_output=True, cwd=DBT_PROJECT_DIR)
    messages = [json.loads(line)["info"]["msg"] for line in (target / "dbt.log").read_text().splitlines() if line]
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    return messages, {k: v.get("relation_name") for k, v in nodes.items()}


def stored_hash(folder: Path) -> str:
    state = msgpack.unpackb((folder / dbt_state.PARTIAL_PARSE).read_bytes(), raw=False, strict_map_key=False)
    return state["state_check"]["profile_hash"]["checksum"]


@pytest.fixture(scope="module")
def full_parse(tmp_path_factory):
    """A full parse for <tmp>/a/warehouse.duckdb, published: (tmp folder, log, relation names)."""
    tmp_path = tmp_path_factory.mktemp("dbt_state")
    first = tmp_path / "a" / "warehouse.duckdb"
    log, relations = parse(tmp_path / "full", first)
    (tmp_path / "published").mkdir()
    dbt_state.publish(tmp_path / "full", tmp_path / "published", {"TRUSTLOOP_WAREHOUSE": str(first)})
    return tmp_path, log, relations


def test_a_state_parsed_for_one_warehouse_serves_another_of_the_same_name(full_parse):
    tmp_path, full_log, full_relations = full_parse
    first, second = tmp_path / "a" / "warehouse.duckdb", tmp_path / "b" / "warehouse.duckdb"
    published = tmp_path / "published"
    assert not any("Partial parsing enabled" in m for m in full_log)
    # the hash this module computes is the one dbt stored
    assert stored_hash(tmp_path / "full") == dbt_state.profile_hash(str(first), dbt_state.DEFAULT_MEMORY)
    assert json.loads((published / dbt_state.NOTE).read_text()) == {"warehouse": str(first)}

    # seeded for the second warehouse: re-keyed, and dbt takes it (no full parse)
    env = {"TRUSTLOOP_WAREHOUSE": str(second)}
    assert dbt_state.seed(tmp_path / "reused", published, env) is True
    assert stored_hash(tmp_path / "reused") == dbt_state.profile_hash(str(second), dbt_state.DEFAULT_MEMORY)
    reused_log, reused_relations = parse(tmp_path / "reused", second)
    assert not any("profile has changed" in m for m in reused_log)
    assert any("skipping partial parsing" in m or "Partial parsing enabled" in m for m in reused_log)
    # the same manifest as the full parse (relations are named after the database, not the path)
    assert reused_relations == full_relations
    assert '"warehouse"."marts"."fct_cases"' in reused_relations.values()


def test_a_state_it_cannot_vouch_for_is_copied_as_it_is(full_parse, tmp_path):
    published = tmp_path / "published"
    shutil.copytree(full_parse[0] / "published", published)
    original = stored_hash(published)

    cases = {
        "another name": {"TRUSTLOOP_WAREHOUSE": str(tmp_path / "b" / "other.duckdb")},
        "other settings": {"TRUSTLOOP_WAREHOUSE": str(tmp_path / "b" / "warehouse.duckdb"),
                           "TRUSTLOOP_DBT_MEMORY": "2GB"},
        "another target": {"TRUSTLOOP_WAREHOUSE": str(tmp_path / "b" / "warehouse.duckdb"),
                           "TRUSTLOOP_DBT_TARGET": "spark"},
    }
    for label, env in cases.items():
        folder = tmp_path / label.replace(" ", "_")
        assert dbt_state.seed(folder, published, env) is False, label
        assert stored_hash(folder) == original, label

    # a note that does not belong to the published state (another process published in between)
    (published / dbt_state.NOTE).write_text(json.dumps({"warehouse": str(tmp_path / "c" / "warehouse.duckdb")}))
    folder = tmp_path / "mismatched_note"
    assert dbt_state.seed(folder, published, {"TRUSTLOOP_WAREHOUSE": str(tmp_path / "b" / "warehouse.duckdb")}) is False
    assert stored_hash(folder) == original
    # the catalog name DuckDB derives from a file name
    assert dbt_state.database_name("/data/my.trust.duckdb") == "my"
    assert dbt_state.database_name("/data/.hidden.duckdb") == "hidden"


def test_without_a_published_state_nothing_is_seeded(tmp_path):
    assert dbt_state.seed(tmp_path / "inv", tmp_path / "nothing", {}) is False
    assert not (tmp_path / "inv").exists()
