"""The assistant: a question about a project answered from its own documents, every passage cited. With no
language model configured, the answer is the passages themselves, and it says so."""

from __future__ import annotations

from typing import Any

SEARCH_ONLY = "search only — no language model is configured, so these are the passages that answer it best"


def answer(memory, question: str, k: int = 5) -> dict[str, Any]:
    """``memory``: the project's knowledge store (the brain's, in-process or behind its server)."""
    hits = memory.search(question, k)
    return {
        "mode": SEARCH_ONLY,
        "sources": [
            {"id": h.id, "title": h.title or h.id, "text": " ".join(h.text.split())[:280], "found_by": sorted(h.ranks)}
            for h in hits
        ],
    }
