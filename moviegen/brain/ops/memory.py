"""The project's memory: embeddings, search, the story graph (structured and Cypher), documents, workflow
records, reindex, continuity, media analysis, the assistant."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moviegen.core.errors import UsageError

DOC_FIELDS = ("kind", "title", "id", "node")  # metadata keys that describe the document itself


class MemoryOps:
    def embed_text(self, text: str, project_id: str) -> dict[str, Any]:
        store = self.knowledge(project_id)
        v = store.embed([text])[0]
        return {"embedder": store.embedder.name, "dim": len(v), "vector": v.tolist()}

    def batch_embed_texts(self, texts: list[str], project_id: str) -> dict[str, Any]:
        store = self.knowledge(project_id)
        vs = store.embed(texts)
        return {"embedder": store.embedder.name, "dim": int(vs.shape[1]), "vectors": vs.tolist()}

    def search_by_embedding(self, embedding: list[float], project_id: str, limit: int = 10,
                            kinds: list[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
        from moviegen.core.knowledge import SearchFilter

        hits = self.knowledge(project_id).search_by_embedding(embedding, limit, SearchFilter(kinds=kinds or []))
        return [h.model_dump() for h in hits]

    def batch_similarity_search(
        self, queries: list[str], project_id: str, limit: int = 10
    ) -> list[list[dict[str, Any]]]:
        store = self.knowledge(project_id)
        vectors = store.embed(queries)
        return [[h.model_dump() for h in hits] for hits in store.batch_similarity_search(vectors, limit)]

    def search_story(self, project_id: str, query: str, limit: int = 10, kinds: list[str] | None = None,
                     mode: str = "hybrid") -> list[dict[str, Any]]:  # fmt: skip
        from moviegen.core.knowledge import SearchFilter

        if mode not in ("hybrid", "text", "vector"):
            raise UsageError(f"unknown search mode '{mode}'", "use hybrid, text or vector")
        hits = self.knowledge(project_id).search(query, limit, SearchFilter(kinds=kinds or []), mode=mode)
        return [h.model_dump() for h in hits]

    def search_projects(self, query: str, project_ids: list[str] | None = None, limit: int = 10,
                        kinds: list[str] | None = None, mode: str = "hybrid",
                        visible: Callable[[str], bool] | None = None) -> list[dict[str, Any]]:  # fmt: skip
        """Each project's own search, merged by score (every project's hybrid score is a rank fusion on the same
        scale), best first; ``visible`` (the server's access check) chooses the projects when none are named."""
        if project_ids is None:
            project_ids = [p["slug"] for p in self.project_list() if visible is None or visible(p["slug"])]
        hits = []
        for project_id in dict.fromkeys(project_ids):  # a project named twice is searched once
            for hit in self.search_story(project_id, query, limit=limit, kinds=kinds, mode=mode):
                hits.append({**hit, "project": project_id})
        hits.sort(key=lambda h: -h["score"])
        return hits[:limit]

    # ------------------------------------------------------------------ graph
    def create_relationship(self, from_node: str, to_node: str, relationship: str, project_id: str,
                            properties: dict[str, Any] | None = None) -> dict[str, Any]:  # fmt: skip
        from moviegen.core.knowledge import Edge

        store = self.knowledge(project_id)
        for key in (from_node, to_node):
            store.get_node(key)  # both ends must exist: a clear error names the one that does not
        edge = store.create_relationship(Edge(src=from_node, dst=to_node, type=relationship, props=properties or {}))
        self.bus.publish("graph.linked", project=project_id, src=from_node, dst=to_node, type=edge.type)
        return edge.model_dump()

    def query_graph(self, cypher_query: str, project_id: str) -> list[dict[str, Any]]:
        return self.knowledge(project_id).query_cypher(cypher_query)

    def get_node_neighbors(self, node_id: str, project_id: str, depth: int = 1, rel_types: list[str] | None = None,
                           direction: str = "both") -> list[dict[str, Any]]:  # fmt: skip
        found = self.knowledge(project_id).get_node_neighbors(node_id, depth, rel_types, direction)
        return [n.model_dump() for n in found]

    def graph_summary(self, project_id: str) -> dict[str, list[str]]:
        from moviegen.core.knowledge import GraphQuery, NodeMatch

        rows = self.knowledge(project_id).query_graph(GraphQuery(start=NodeMatch(), min_depth=0, max_depth=0,
                                                                 limit=10_000))  # fmt: skip
        kinds: dict[str, list[str]] = {}
        for row in rows:
            kinds.setdefault(row.start.kind, []).append(row.start.key)
        return dict(sorted(kinds.items()))

    def graph_node(self, project_id: str, node_id: str) -> dict[str, Any]:
        return self.knowledge(project_id).get_node(node_id).model_dump()

    def graph_query(self, project_id: str, query) -> list[dict[str, Any]]:
        from moviegen.core.knowledge import GraphQuery

        query = query if isinstance(query, GraphQuery) else GraphQuery.model_validate(query)
        return [row.model_dump() for row in self.knowledge(project_id).query_graph(query)]

    # ------------------------------------------------------------------ documents and workflows
    def store_document(self, content: str, metadata: dict[str, Any], project_id: str) -> dict[str, Any]:
        store = self.knowledge(project_id)
        ids = self._store_documents(store, [{"content": content, "metadata": metadata}])
        self.bus.publish("memory.stored", project=project_id, ids=ids)
        return store.get_document(ids[0]).model_dump()

    def bulk_store_documents(self, documents: list[dict[str, Any]], project_id: str) -> dict[str, Any]:
        ids = self._store_documents(self.knowledge(project_id), documents)
        self.bus.publish("memory.stored", project=project_id, count=len(ids))
        return {"ids": ids}

    def _store_documents(self, store, documents: list[dict[str, Any]]) -> list[str]:
        """Documents in, each also a graph node keyed by its id (so documents and story nodes can be linked)."""
        from pydantic import ValidationError

        from moviegen.core.knowledge import DocumentIn, Node

        docs = []
        for n, d in enumerate(documents):
            if not isinstance(d, dict) or "content" not in d:
                raise UsageError(f"document {n} has no content", "send {content, metadata} for each document")
            meta = dict(d.get("metadata") or {})
            described = {k: meta.pop(k) for k in DOC_FIELDS if k in meta}
            try:
                docs.append(DocumentIn(text=d["content"], metadata=meta, **described))
            except ValidationError as exc:
                err = exc.errors()[0]
                raise UsageError(f"document {n}: {err['msg']} ({'.'.join(map(str, err['loc']))})",
                                 "fix that document; nothing was stored") from None  # fmt: skip
        ids = store.bulk_store_documents(docs)
        store.upsert_nodes(
            [Node(key=i, kind="document", name=d.title or d.kind) for i, d in zip(ids, docs, strict=True)]
        )
        return ids

    def store_workflow_data(self, workflow_id: str, data: dict[str, Any], project_id: str) -> dict[str, Any]:
        if not workflow_id.strip():
            raise UsageError("the workflow id is empty", "name the run, e.g. render-2026-11-30")
        self.knowledge(project_id).store_workflow_data(workflow_id, data)
        self.bus.publish("workflow.stored", project=project_id, workflow=workflow_id)
        return {"ids": [f"workflow:{workflow_id}"]}

    def search_similar_workflows(self, description: str, project_id: str, limit: int = 5) -> list[dict[str, Any]]:
        return self.knowledge(project_id).search_similar_workflows(description, limit)

    def past_runs(self, project_id: str, limit: int = 20) -> list[dict[str, Any]]:
        return self.knowledge(project_id).list_workflows(limit)

    # ------------------------------------------------------------------ upkeep and questions
    def reindex(self, project_id: str, re_embed: bool = False) -> dict[str, Any]:
        from moviegen.brain.knowledge.open import open_store, sync_story

        project = self.project(project_id)
        self.forget(project_id)  # the brain's open store is rebuilt from what this writes
        store = open_store(project, self.settings, fresh_embedder=re_embed, sync=False)
        try:
            count = 0
            if re_embed:
                count = store.reembed(lambda done, total: self.bus.publish(
                    "memory.progress", project=project_id, done=done, total=total))  # fmt: skip
            sync_story(store, project, force=True)
            info = store.info()
        finally:
            store.close()
        self.bus.publish("memory.reindexed", project=project_id)
        return {"re_embedded": count, **info.model_dump()}

    def continuity_check(self, project_id: str) -> list[dict[str, Any]]:
        from moviegen.services.continuity import continuity_check

        return [f.model_dump() for f in continuity_check(self.project(project_id))]

    def analyze_media(self, project_id: str, path: str) -> dict[str, Any]:
        from moviegen.services.media import analyze, inside

        return analyze(inside(self.project(project_id).path, path))

    def assistant_ask(self, project_id: str, question: str, ask_id: str | None = None) -> dict[str, Any]:
        """Answered by the project's text chain when it has a language model (streamed as ``assistant.delta``
        events), else from the search alone; ``ask_id`` (made up when not given) marks its events."""
        import uuid

        from moviegen.services.assistant import answer

        ask_id = ask_id or uuid.uuid4().hex[:12]
        store = self.knowledge(project_id)
        chain = self.router.chain("text", project_id)
        offline = {name for name, _ in chain if self.router.registry.get("text", name).offline}
        generate = None
        if any(name not in offline for name, _ in chain):

            def generate(request, on_text):
                return self.generate_text(request, on_text=on_text)

        def publish(kind: str, **fields: Any) -> None:
            self.bus.publish(kind, project=project_id, **fields)

        def explain(exc) -> str:
            return self._failure_line(exc.message, [name for name, _ in chain], offline)

        return answer(store, question, generate=generate, publish=publish, ask_id=ask_id, project_id=project_id,
                      explain=explain)  # fmt: skip

    def _failure_line(self, message: str, names: list[str], offline: set[str]) -> str:
        """The router's failure as the assistant's one-line warning: what each language model said (not the
        offline writers, which never take questions), and no secret of the settings, even if one was echoed."""
        import re

        from pydantic import SecretStr

        from moviegen.services.assistant import one_line

        whole = re.fullmatch(r"no text provider could answer \((.*)\)", " ".join(message.split()))
        if whole and names:
            alternatives = "|".join(map(re.escape, names))
            parts = re.split(rf"; (?=(?:{alternatives}): )", whole.group(1))
            kept = [p for p in parts if p.split(":", 1)[0] not in offline]
            message = f"no language model could answer ({'; '.join(kept)})"
        for _, value in self.settings:
            if isinstance(value, SecretStr) and value.get_secret_value():
                message = message.replace(value.get_secret_value(), "***")
        return one_line(message)
