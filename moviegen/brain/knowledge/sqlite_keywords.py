"""The keyword leg of SQLite search (FTS5's BM25 within a budget of postings) and the SQL of search filters."""

from __future__ import annotations

import sqlite3

from moviegen.brain.knowledge import fusion
from moviegen.core.knowledge import SearchFilter

MAX_POSTINGS = 1000  # documents the keyword leg may score per query (benchmarks/knowledge.py)


def keyword_leg(db: sqlite3.Connection, query: str, k: int, where: SearchFilter) -> list[int]:
    """Keyword leg: FTS5's BM25 over the query's words, rarest first, within a budget of postings.

    Scoring costs a few microseconds per matching document, so a word found in a large share of
    the project (like "the" in prose) would dominate the time and barely move the ranking: words
    are taken rarest first until MAX_POSTINGS documents would be scored (the rarest is always kept
    if it fits); the vector leg still sees every word."""
    terms = fusion.query_terms(query)
    if not terms:
        return []
    df = {}  # document frequency, counted only up to the budget (fts5vocab would read whole doclists)
    for term in terms:
        (count,) = db.execute(
            "SELECT count(*) FROM (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? LIMIT ?)",
            (fusion.fts5_query([term]), MAX_POSTINGS + 1),
        ).fetchone()
        if count:
            df[term] = count
    chosen, postings = [], 0
    for term in sorted(df, key=df.__getitem__):
        if postings + df[term] > MAX_POSTINGS:
            break
        chosen.append(term)
        postings += df[term]
    if not chosen:
        return []
    if not where.kinds and not where.metadata:
        sql = "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY rank LIMIT ?"
        return [r[0] for r in db.execute(sql, (fusion.fts5_query(chosen), k))]
    sql, params = filter_sql(where)
    rows = db.execute(
        f"""SELECT f.rowid FROM documents_fts f JOIN documents d ON d.rowid = f.rowid
            WHERE documents_fts MATCH ? AND {sql} ORDER BY f.rank LIMIT ?""",
        [fusion.fts5_query(chosen), *params, k],
    )
    return [r[0] for r in rows]


def filter_sql(where: SearchFilter) -> tuple[str, list]:
    parts, params = ["1=1"], []
    if where.kinds:
        parts.append(f"d.kind IN ({','.join('?' * len(where.kinds))})")
        params += where.kinds
    for key, value in where.metadata.items():
        parts.append("json_extract(d.metadata, ?) = ?")
        params += [f'$."{key}"', value]
    return " AND ".join(parts), params
