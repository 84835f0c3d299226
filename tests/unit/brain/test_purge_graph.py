"""Purging a project whose memory lives in a Bolt graph database (FalkorDB here): every node it owns goes, with
its relationships; another project's stay."""

from __future__ import annotations

import json
import uuid

from tests.conftest import FIXTURES


def _count(driver, project: str) -> dict[str, int]:
    with driver.session() as s:
        return {label: s.run(f"MATCH (n:{label} {{project: $p}}) RETURN count(n) AS n", p=project).single()["n"]
                for label in ("MgDoc", "MgNode", "MgWorkflow", "MgGraph", "MgProject")}  # fmt: skip


def test_purge_removes_the_projects_graph_and_nothing_else(bolt_server, tmp_path):
    from moviegen.brain.local import LocalBrain
    from moviegen.core.settings import Settings

    uri, driver = bolt_server
    gone, kept = f"gone-{uuid.uuid4().hex[:6]}", f"kept-{uuid.uuid4().hex[:6]}"
    brain = LocalBrain(Settings(neo4j_uri=uri, projects_dir=tmp_path / "projects"), workers=1)
    try:
        for slug in (gone, kept):
            brain.project_import((FIXTURES / "two_lines.fountain").read_text(encoding="utf-8"), slug=slug)
            brain.store_workflow_data("run-1", {"description": "a render", "seconds": 1.0}, slug)
            assert brain.graph_summary(slug)  # the story graph is in the database
        before = _count(driver, gone)
        assert before["MgNode"] > 0 and before["MgDoc"] > 0 and before["MgWorkflow"] == 1
        result = brain.project_delete(gone, purge=True)
        assert result["neo4j_nodes"] == sum(before.values())
        assert set(_count(driver, gone).values()) == {0}
        assert _count(driver, kept)["MgNode"] == before["MgNode"] and brain.graph_summary(kept)
        assert not (tmp_path / "projects" / gone).exists()
    finally:
        brain.close()
    stone = json.loads((tmp_path / "home" / "audit" / "tombstones.jsonl").read_text().splitlines()[-1])
    assert stone["slug"] == gone and stone["neo4j_nodes"] == result["neo4j_nodes"]
