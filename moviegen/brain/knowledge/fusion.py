"""Hybrid ranking: reciprocal rank fusion of ranked lists (Cormack et al., 2009)."""

from __future__ import annotations

import re
import unicodedata

RRF_K = 60
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
STOPWORDS = frozenset(
    """a an and are as at be by did do does for from has have he her his how i in is it its of on or she that the
    their them they this to was were what when where which who whom why will with you your""".split()
)


def rrf(lists: dict[str, list[int]], k: int = RRF_K) -> list[tuple[int, float, dict[str, int]]]:
    """Fuse ranked id lists; returns (id, score, {list name: 1-based rank}) best first."""
    scores: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, ids in lists.items():
        for rank, item in enumerate(ids, 1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (k + rank)
            ranks.setdefault(item, {})[name] = rank
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return [(i, scores[i], ranks[i]) for i in order]


def query_terms(text: str) -> list[str]:
    """Content words of a query as FTS5's unicode61 tokenizer (remove_diacritics 2) indexes them:
    lowercased, accents removed, in order, without repeats."""
    seen: dict[str, None] = {}
    folded = "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
    for word in _WORD.findall(folded):
        if word not in STOPWORDS and len(word) > 1:
            seen.setdefault(word, None)
    return list(seen)


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the terms, each a quoted string (no operators get through)."""
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def lucene_query(terms: list[str]) -> str:
    """A Lucene query for Neo4j's full-text index: the terms, escaped, OR-ed."""
    special = re.compile(r'([+\-!(){}\[\]^"~*?:\\/&|])')
    return " OR ".join(special.sub(r"\\\1", t) for t in terms)


def graph_phrases(text: str) -> list[str]:
    """Every run of 1-4 words of a query, lowercased: candidate node names ("mara", "signal tower")."""
    words = [w.lower() for w in _NAME_WORD.findall(text)]
    phrases = {" ".join(words[i : i + n]) for n in range(1, 5) for i in range(len(words) - n + 1)}
    return sorted(phrases - STOPWORDS)


_NAME_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?", re.UNICODE)
