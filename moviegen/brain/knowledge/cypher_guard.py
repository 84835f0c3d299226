"""The door of query_graph's Cypher: refuse anything that would write, then hand the engine plain text.

``prepare(query)`` tokenizes the query (string literals, comments and backtick-quoted names are single
tokens, so a 'CREATE' inside a string or a comment is text, not a clause), refuses write clauses,
procedure calls and ``IN TRANSACTIONS``, and returns the query rewritten for grand-cypher's grammar:
strings as numbered placeholders (the engine fills them in), comments gone, plain backtick-quoted names unquoted, aggregate names upper case.

A word counts as a clause only where a clause can stand: not right after ``( , . : | = [ $`` or an
operator (a variable, a label, a property or a list item) and not right before ``. : , ) ] } =`` or the
end (a property access, a map key, a returned name). So ``MATCH (set)-->(start) RETURN set.name`` passes,
and so does ``WHERE n.note = 'DELETE me'``. A write keyword used as a bare returned variable in clause
position (``RETURN set ORDER BY ...``) is refused; quote it as ``\\`set\\```.

Refusing here is the policy; the engine behind it cannot write anyway (grand-cypher's grammar has no
write clauses and it runs on a copy of the graph), so a word this scan misreads costs a clear message,
never a change to the graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from moviegen.core.errors import CypherError

MAX_QUERY_CHARS = 20_000
READ_ONLY_HINT = "query_graph is read-only; change the graph with create_relationship"
SUBSET_HINT = (
    "query_graph reads a subset of Cypher: MATCH patterns (a node's kind is its label, e.g. (c:character); "
    "relationship types, *1..3 hops), WHERE, RETURN [DISTINCT] … AS, ORDER BY, SKIP, LIMIT, "
    "count/sum/avg/min/max/collect, id(), type(), toLower(), size(), coalesce(), EXISTS { … }"
)

# clause -> what it does, for the message
WRITES = {
    "CREATE": "creates nodes or relationships",
    "MERGE": "creates nodes or relationships",
    "INSERT": "creates nodes or relationships",
    "DELETE": "deletes",
    "DETACH": "deletes",
    "SET": "changes properties or labels",
    "REMOVE": "removes properties or labels",
    "FOREACH": "runs updates for each item",
    "LOAD": "loads outside data",
    "DROP": "changes the schema",
    "ALTER": "administers the database",
    "GRANT": "administers the database",
    "DENY": "administers the database",
    "REVOKE": "administers the database",
    "TERMINATE": "administers the database",
}
# procedure families that write (named in the message); any other procedure is refused too
WRITE_PROCEDURES = re.compile(
    r"^(db\.create|db\.drop|db\.idx\.|db\.index\.(fulltext|vector)\.(create|drop)|db\.clear|"
    r"apoc\.(create|merge|refactor|periodic|do|cypher|nodes\.delete|trigger|schema|load|import|export|lock)|"
    r"dbms\.|gds\.)",
    re.IGNORECASE,
)
AGGREGATES = {"COUNT", "SUM", "AVG", "MIN", "MAX", "COLLECT"}
_NAME_BEFORE = set("(,.:|=[$+-*/%^<>!")
_NAME_AFTER = set(".:,)]}=")
_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOKENS = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>//[^\n]*|/\*.*?\*/)
      | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
      | (?P<name>`(?:[^`]|``)*`)
      | (?P<param>\$(?:\w+|`(?:[^`]|``)*`))
      | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      | (?P<word>[^\W\d]\w*)
      | (?P<punct>[^\s\w])""",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", "'": "'", '"': '"', "\\": "\\"}
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.DOTALL)


@dataclass(frozen=True)
class Token:
    kind: str  # ws, comment, string, name, param, number, word, punct
    text: str
    start: int


@dataclass(frozen=True)
class Prepared:
    """The engine's text, with each string literal replaced by its index (``"0"``, ``"1"``, …) so that
    queries differing only in their strings share one parse, the literals themselves, and where each
    piece of the text came from in the caller's query (for error positions)."""

    text: str
    literals: tuple[str, ...]
    original: str
    origins: tuple[tuple[int, int], ...]  # (offset in text, offset in the original), ascending

    def original_offset(self, offset: int) -> int:
        best = 0
        for out, original in self.origins:
            if out > offset:
                break
            best = original
        return best


def tokenize(query: str) -> list[Token]:
    out, at = [], 0
    while at < len(query):
        m = _TOKENS.match(query, at)
        if m is None or m.lastgroup == "punct" and query.startswith(("/*", "'", '"', "`"), at):
            raise CypherError(
                f"the query has an unterminated {_unterminated(query, at)} at offset {at}",
                "close every string, comment and backtick-quoted name",
            )
        out.append(Token(m.lastgroup or "punct", m.group(), at))
        at = m.end()
    return out


def _unterminated(query: str, at: int) -> str:
    if query.startswith("/*", at):
        return "comment"
    return "backtick-quoted name" if query[at] == "`" else "string"


def check_read_only(tokens: list[Token]) -> None:
    """Raise CypherError naming the first clause or procedure that would write (or that query_graph
    does not run); comments, string literals and quoted names are never read as clauses."""
    sig = [t for t in tokens if t.kind not in ("ws", "comment")]
    for i, tok in enumerate(sig):
        if tok.kind != "word":
            continue
        word = tok.text.upper()
        prev = sig[i - 1] if i else None
        nxt = sig[i + 1] if i + 1 < len(sig) else None
        if word == "TRANSACTIONS" and prev is not None and prev.text.upper() in ("IN", "CONCURRENT"):
            raise CypherError(
                "query_graph is read-only: CALL { … } IN TRANSACTIONS is for batched writes", READ_ONLY_HINT
            )
        if (prev is not None and prev.text in _NAME_BEFORE) or nxt is None or nxt.text in _NAME_AFTER:
            continue  # a variable, label, property, map key or returned name, not a clause
        if word in WRITES:
            clause = _clause_name(word, nxt)
            raise CypherError(f"query_graph is read-only: {clause} {WRITES[word]}", READ_ONLY_HINT)
        if word == "CALL" and nxt.text not in ("{", "("):  # CALL { … } subqueries are scanned like the rest
            name = _procedure_name(sig, i + 1)
            if WRITE_PROCEDURES.match(name):
                raise CypherError(f"query_graph is read-only: CALL {name} writes or runs other queries", READ_ONLY_HINT)
            raise CypherError(
                f"query_graph runs no procedures (CALL {name})",
                "use search for text and vector lookups, and MATCH … RETURN for the graph",
            )


def _clause_name(word: str, nxt: Token) -> str:
    if word == "DETACH" and nxt.text.upper() == "DELETE":
        return "DETACH DELETE"
    if word == "LOAD" and nxt.text.upper() == "CSV":
        return "LOAD CSV"
    return word


def _procedure_name(sig: list[Token], at: int) -> str:
    parts = []
    while at < len(sig) and sig[at].kind in ("word", "name"):
        parts.append(sig[at].text.strip("`") if sig[at].kind == "name" else sig[at].text)
        if at + 1 < len(sig) and sig[at + 1].text == ".":
            at += 2
            continue
        break
    return ".".join(parts) or "?"


def prepare(query: str) -> Prepared:
    """Refuse writes (CypherError), then rewrite the query for grand-cypher. Nothing has run yet."""
    if not query.strip():
        raise CypherError("the Cypher query is empty", "e.g. MATCH (c:character) RETURN c.name")
    if len(query) > MAX_QUERY_CHARS:
        raise CypherError(f"the Cypher query is {len(query):,} characters; the limit is {MAX_QUERY_CHARS:,}")
    tokens = tokenize(query)
    check_read_only(tokens)
    sig = [t for t in tokens if t.kind not in ("ws", "comment")]
    following = {id(t): (sig[i + 1] if i + 1 < len(sig) else None) for i, t in enumerate(sig)}
    commas = _pattern_commas(sig)
    pieces: list[str] = []
    literals: list[str] = []
    origins: list[tuple[int, int]] = []
    length = 0
    for tok in tokens:
        if tok.kind == "string":
            piece = f'"{len(literals)}"'
            literals.append(_unescape(tok.text[1:-1]))
        elif id(tok) in commas:
            piece = " MATCH "
        else:
            piece = _rewrite(tok, following.get(id(tok)))
        origins.append((length, tok.start))
        pieces.append(piece)
        length += len(piece)
    return Prepared("".join(pieces), tuple(literals), query, tuple(origins))


def _pattern_commas(sig: list[Token]) -> set[int]:
    """The commas between the patterns of one MATCH (``MATCH (a), (b)``): grand-cypher wants a MATCH each."""
    found: set[int] = set()
    in_pattern, depth = False, 0
    for i, tok in enumerate(sig):
        nxt = sig[i + 1] if i + 1 < len(sig) else None
        if tok.text in "([{" and tok.kind == "punct":
            depth += 1
        elif tok.text in ")]}" and tok.kind == "punct":
            depth = max(depth - 1, 0)
        elif depth == 0 and tok.kind == "word":
            if tok.text.upper() == "MATCH":
                in_pattern = True
            elif nxt is None or nxt.text != "=":  # p = (a)-->(b) names a path; any other word ends the patterns
                in_pattern = False
        elif depth == 0 and in_pattern and tok.text == ",":
            found.add(id(tok))
    return found


def _rewrite(tok: Token, nxt: Token | None) -> str:
    if tok.kind == "comment":
        return " "
    if tok.kind == "name":
        inner = tok.text[1:-1].replace("``", "`")
        if not _PLAIN_NAME.match(inner):
            raise CypherError(
                f"query_graph cannot read the quoted name {tok.text}",
                "names here are letters, digits and underscores; kinds and relationship types already are",
            )
        return inner
    if tok.kind == "param":
        raise CypherError(
            f"query_graph takes no parameters ({tok.text})", "write the value into the query, e.g. 'character:mira'"
        )
    if tok.kind == "word" and nxt is not None:
        word = tok.text.upper()
        if (word in AGGREGATES and nxt.text == "(") or (word == "EXISTS" and nxt.text == "{"):
            return word  # grand-cypher spells these in capitals only
    return tok.text


def _unescape(body: str) -> str:
    def one(m: re.Match) -> str:
        code = m.group(1)
        if code[0] in "uU" and len(code) > 1:
            point = int(code[1:], 16)
            if point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
                raise CypherError(f"the string escape \\{code} is not a character")
            return chr(point)
        if code in _ESCAPES:
            return _ESCAPES[code]
        raise CypherError(f"the string escape \\{code} is not Cypher", "use \\\\, \\', \\\", \\n, \\t or \\uXXXX")

    return _ESCAPE.sub(one, body)
