"""Opening a project's knowledge store: which backend, which embedder, and
bringing the story graph up to date with the project's files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from moviegen.brain.embedding.base import Embedder
from moviegen.core import locations
from moviegen.core.errors import KnowledgeError
from moviegen.core.project import Project
from moviegen.core.settings import Settings


def knowledge_db(project_path: Path) -> Path:
    return locations.state_dir(project_path) / "knowledge.sqlite"


def make_embedder(name: str, settings: Settings) -> Embedder:
    """An embedder from the provider registry (capability ``embedding``)."""
    from moviegen.brain.providers.registry import registry

    return registry().get("embedding", name).make(settings)


def provider_of(recorded: str) -> str:
    return "jina" if recorded.startswith("jina-") else "static-minilm"


def choose_embedder(settings: Settings, recorded: str | None, *, fresh: bool = False) -> Embedder:
    """The configured embedder; with 'auto', the one that made the project's vectors (unless
    ``fresh``, when re-embedding), else Jina when a key is set, else the offline model."""
    name = settings.providers.embedding[0]
    if name == "auto":
        if recorded and not fresh:
            name = provider_of(recorded)
            if name == "jina" and settings.jina_api_key is None:
                raise KnowledgeError(
                    f"this project's vectors were made by {recorded}, and JINA_API_KEY is not set",
                    "set JINA_API_KEY, or rebuild them offline with `moviegen reindex --re-embed PROJECT`",
                )
        else:
            name = "jina" if settings.jina_api_key is not None else "static-minilm"
    return make_embedder(name, settings)


def recorded_embedder(db_path: Path) -> str | None:
    if not db_path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'embedder'").fetchone()
    except sqlite3.OperationalError:
        return None  # not migrated yet
    return row[0] if row else None


def backend_name(settings: Settings) -> str:
    backend = settings.knowledge.backend
    if backend == "auto":
        return "neo4j" if settings.neo4j_uri else "sqlite"
    if backend not in ("sqlite", "neo4j"):
        raise KnowledgeError(f"unknown knowledge backend '{backend}'", "use sqlite, neo4j or auto")
    return backend


def open_store(project: Project, settings: Settings, *, fresh_embedder: bool = False, sync: bool = True):
    """The project's knowledge store, with the story graph synced to its files."""
    if backend_name(settings) == "neo4j":
        from moviegen.brain.knowledge.neo4j_store import Neo4jKnowledge, connect

        recorded = Neo4jKnowledge.recorded_embedder(connect(settings), project.slug, settings)
        embedder = choose_embedder(settings, recorded, fresh=fresh_embedder)
        store = Neo4jKnowledge(connect(settings), project.slug, embedder, database=settings.knowledge.neo4j_database)
    else:
        from moviegen.brain.knowledge.sqlite_store import SqliteKnowledge

        db = knowledge_db(project.path)
        embedder = choose_embedder(settings, recorded_embedder(db), fresh=fresh_embedder)
        store = SqliteKnowledge(db, project.slug, embedder, settings.knowledge.ann_threshold)
    if sync:
        sync_story(store, project)
    return store


def sync_story(store, project: Project, *, force: bool = False) -> bool:
    """Re-extract the story graph when the screenplay, shot list or story files changed."""
    from moviegen.services.story_graph import SOURCE, extract, sources_digest

    digest = sources_digest(project)
    if not force and store.meta(f"{SOURCE}_digest") == digest:
        return False
    graph = extract(project)
    store.replace_derived(SOURCE, graph.nodes, graph.edges, graph.documents, digest)
    return True
