"""What both knowledge stores share: list sizes for fusion, snippet length, the text a document is embedded from."""

from __future__ import annotations

from moviegen.core.errors import KnowledgeError

LEG_DEPTH = 50  # how many results each ranked list contributes to fusion
SNIPPET_CHARS = 1000


def embedding_text(title: str, text: str) -> str:
    return f"{title}\n{text}" if title else text


def check_depth(depth: int) -> None:
    if not 0 <= depth <= 6:
        raise KnowledgeError(f"depth {depth} is out of range", "use a depth from 0 to 6")
