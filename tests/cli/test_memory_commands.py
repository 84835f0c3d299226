"""search, graph and reindex as a user runs them, offline and with Jina (a local fake over HTTP)."""

from __future__ import annotations

import json

from tests.conftest import moviegen
from tests.fakes.jina_server import KEY, FakeJina


def _import(sample_path) -> None:
    moviegen("import", str(sample_path), "--slug", "lantern-road", check=True)


def test_search_graph_and_reindex(sample_path):
    _import(sample_path)
    hits = json.loads(moviegen("search", "lantern-road", "the old man with the toolbox", "--json", check=True).stdout)
    assert hits[0]["id"] == "scene:2" and hits[0]["kind"] == "scene"
    scenes = json.loads(moviegen("search", "lantern-road", "radio", "--kind", "scene", "--json", check=True).stdout)
    assert scenes and all(h["kind"] == "scene" for h in scenes)
    human = moviegen("search", "lantern-road", "flood", check=True).stdout
    assert "1." in human and "scene" in human
    summary = json.loads(moviegen("graph", "lantern-road", "--json", check=True).stdout)
    assert {"character", "place", "scene", "prop"} <= set(summary)
    near = json.loads(moviegen("graph", "lantern-road", "character:mira", "--json", check=True).stdout)
    assert {"scene:1", "scene:3"} <= {n["node"]["key"] for n in near}
    info = json.loads(moviegen("reindex", "lantern-road", "--json", check=True).stdout)
    assert info["embedder"] == "static-minilm-256" and info["documents"] >= 6


def test_memory_errors_are_one_line():
    proc = moviegen("search", "nope", "x")
    assert proc.returncode == 1 and "no project" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_unknown_node_and_mode(sample_path):
    _import(sample_path)
    proc = moviegen("graph", "lantern-road", "prop:unicorn")
    assert proc.returncode == 1 and "no node 'prop:unicorn'" in proc.stderr and "Traceback" not in proc.stderr
    proc = moviegen("search", "lantern-road", "x", "--mode", "psychic")
    assert proc.returncode == 2 and "invalid mode for search_story" in proc.stderr and "'hybrid'" in proc.stderr


def test_switching_to_jina_needs_a_re_embed_and_the_key_stays_secret(sample_path):
    _import(sample_path)
    moviegen("search", "lantern-road", "flood", check=True)  # vectors made offline
    with FakeJina() as jina:
        env = {"JINA_API_KEY": KEY, "MOVIEGEN_JINA__URL": jina.url, "MOVIEGEN_JINA__DIM": "256"}
        explicit = {**env, "MOVIEGEN_PROVIDERS__EMBEDDING": '["jina"]'}
        auto = moviegen("search", "lantern-road", "flood", "--json", env=env)
        assert auto.returncode == 0, auto.stderr  # 'auto' keeps the embedder the vectors were made with
        refused = moviegen("search", "lantern-road", "flood", env=explicit)
        assert refused.returncode == 1 and "reindex --re-embed" in refused.stderr
        done = json.loads(moviegen("reindex", "lantern-road", "--re-embed", "--json", env=explicit, check=True).stdout)
        assert done["embedder"] == "jina-jina-embeddings-v4-256" and done["re_embedded"] >= 6
        hits = json.loads(moviegen("search", "lantern-road", "flood", "--json", env=explicit, check=True).stdout)
        assert hits
        assert all(r["task"] in ("retrieval.passage", "retrieval.query") for r in jina.requests)
        for proc in (auto, refused):
            assert KEY not in proc.stdout + proc.stderr
