"""The assistant: a question about a project answered from its own documents, every passage numbered.

The question goes to the project's hybrid search (words, meaning and the story graph). With a language model
configured for text, the passages and the question go to it with the prompt in ``prompts/assistant.md``, and
it answers in prose that cites the passages as [1], [2]; the answer streams to ``publish`` as
``assistant.delta`` events while it is written, then an ``assistant.answered`` event closes it. With no
language model, or when none of them could answer, the answer is the passages themselves, and it says so
(and why, in one line, when a model failed).

Citations are checked against the passages: a number that names no passage is taken out of the answer —
while it streams, too — so no client ever shows a reference that leads nowhere (the result lists the numbers
taken out under ``dropped``).
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from moviegen.core.brain import TextRequest, TextResult
from moviegen.core.errors import ProviderError

SEARCH_ONLY = "search only — no language model is configured, so these are the passages that answer it best"
LLM = "llm"
TASK = "assistant.ask"  # the ledger's stage for these calls
K = 5  # passages per question
SNIPPET = 280  # characters of a passage shown with the answer
PASSAGE_CHARS = 1500  # characters of a passage the model reads
MAX_TOKENS = 700
TEMPERATURE = 0.2
FLUSH_SECONDS = 0.05  # an answer streams in pieces at most this old ...
FLUSH_CHARS = 40  # ... or this long, not one event per token
NOTHING = "Nothing in this project's files answers that."
WARNING_CHARS = 300

# [3], [1, 2], [1; 4], [2-4]: short lists of short numbers (bounded, so a citation still being written is
# recognisably unfinished: see _OPEN_TAIL), with the space before it (dropped with a citation that goes)
CITATION = re.compile(r"(\s*)\[(\d{1,3}(?:\s?[,;–-]\s?\d{1,3}){0,11})\]")
# the end of a streamed text that may still change when more arrives: spaces (a dropped citation takes the
# space before it) and an unclosed '[' with what may follow it in a citation (a superset of CITATION's inside)
_OPEN_TAIL = re.compile(r"\s*(?:\[[\d\s,;–-]{0,70})?$")

Publish = Callable[..., Any]  # publish(kind, **fields)
Generate = Callable[[TextRequest, Callable[[str], None]], TextResult]  # generate(request, on_text)


# ---------------------------------------------------------------------- the prompt
@dataclass(frozen=True)
class Prompt:
    system: str
    user: str  # with {passages} and {question}
    digest: str  # the file's sha256, first 12 hex digits: part of every request, so of its cache key


def prompt_text() -> str:
    return (resources.files("moviegen.services") / "prompts" / "assistant.md").read_text(encoding="utf-8")


def load_prompt(text: str | None = None) -> Prompt:
    text = prompt_text() if text is None else text
    body = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    parts = dict(re.findall(r"^# (system|user)[ \t]*\n(.*?)(?=^# (?:system|user)[ \t]*$|\Z)", body, re.M | re.S))
    if set(parts) != {"system", "user"} or "{question}" not in parts["user"]:
        raise ValueError("the assistant's prompt needs a '# system' and a '# user' part, the second with {question}")
    return Prompt(parts["system"].strip(), parts["user"].strip(), hashlib.sha256(text.encode()).hexdigest()[:12])


def passage(n: int, hit) -> str:
    where = hit.kind + (f", scene {hit.metadata['scene']}" if hit.kind != "scene" and "scene" in hit.metadata else "")
    text = hit.text.strip()
    if len(text) > PASSAGE_CHARS:
        text = text[:PASSAGE_CHARS].rstrip() + " …"
    return f"[{n}] {hit.title or hit.id} ({where})\n{text}"


def build_request(question: str, hits: list, project_id: str = "", prompt: Prompt | None = None) -> TextRequest:
    prompt = prompt or load_prompt()
    values = {"passages": "\n\n".join(passage(n, h) for n, h in enumerate(hits, 1)), "question": question.strip()}
    user = re.sub(r"\{(passages|question)\}", lambda m: values[m.group(1)], prompt.user)  # one pass: no re-filling
    return TextRequest(
        project_id=project_id, task=TASK, system=prompt.system, prompt=user, max_tokens=MAX_TOKENS,
        temperature=TEMPERATURE, params={"prompt": "assistant.md", "prompt_digest": prompt.digest},
    )  # fmt: skip


# ---------------------------------------------------------------------- citations
def _numbers(inside: str) -> list[int]:
    found: list[int] = []
    for part in re.split(r"\s?[,;]\s?", inside):
        ends = [int(e) for e in re.split(r"\s?[–-]\s?", part)]
        if len(ends) == 2 and 0 <= ends[1] - ends[0] <= 20:
            ends = list(range(ends[0], ends[1] + 1))
        found += [e for e in ends if e not in found]
    return found


def clean(text: str, count: int, dropped: set[int] | None = None) -> str:
    """``text`` with every citation of a passage that does not exist (not 1..count) taken out (the numbers go
    into ``dropped``); citations that are all valid are left exactly as written."""

    def fix(m: re.Match) -> str:
        numbers = _numbers(m.group(2))
        valid = [n for n in numbers if 1 <= n <= count]
        if len(valid) == len(numbers):
            return m.group(0)
        if dropped is not None:
            dropped.update(n for n in numbers if n not in valid)
        return m.group(1) + "[" + ", ".join(map(str, valid)) + "]" if valid else ""

    return CITATION.sub(fix, text)


def finished(text: str, count: int, dropped: set[int] | None = None) -> str:
    """The answer as it is kept and shown: cleaned and trimmed (what the streamed pieces add up to)."""
    return clean(text, count, dropped).strip()


def cited(text: str, count: int) -> list[int]:
    """The valid passage numbers ``text`` cites, in order."""
    return sorted({n for m in CITATION.finditer(text) for n in _numbers(m.group(2)) if 1 <= n <= count})


class Streamer:
    """The router's ``on_text``: gathers the pieces of an answer and sends them on as ``send(text, offset)``
    (offset: how many characters were sent before), at most every ``every`` seconds or ``size`` characters,
    cleaned of citations that name no passage. The end of the text that could still turn into a citation is
    held back until it is complete, so the pieces sent add up to exactly ``finished(whole text)``."""

    def __init__(self, count: int, send: Callable[[str, int], None], every: float = FLUSH_SECONDS,
                 size: int = FLUSH_CHARS) -> None:  # fmt: skip
        self.count, self.send, self.every, self.size = count, send, every, size
        self.raw: list[str] = []  # what arrived
        self.dropped: set[int] = set()
        self._pending = ""
        self._sent: list[str] = []
        self._offset = 0
        self._last = 0.0  # the first piece goes at once: the time to the first word is what a reader feels
        self._timer: threading.Timer | None = None
        self._closed = False
        self._lock = threading.Lock()

    def __call__(self, piece: str) -> None:
        with self._lock:
            if self._closed:
                return
            self.raw.append(piece)
            self._pending += piece
            waited = time.monotonic() - self._last
            if len(self._pending) >= self.size or waited >= self.every:
                self._flush()
            elif self._timer is None:  # a model that pauses still shows what it has written
                self._timer = threading.Timer(self.every - waited, self._tick)
                self._timer.daemon = True
                self._timer.start()

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
            if not self._closed:
                self._flush()

    def _flush(self, final: bool = False) -> None:
        text = self._pending
        cut = len(text) if final else _OPEN_TAIL.search(text).start()
        ready, self._pending = text[:cut], text[cut:]
        out = clean(ready, self.count, self.dropped)
        if not self._offset:
            out = out.lstrip()
        if final:
            out = out.rstrip()
        self._last = time.monotonic()
        if out:
            self.send(out, self._offset)
            self._sent.append(out)
            self._offset += len(out)

    def finish(self) -> str:
        """Send what is left; the whole answer as sent."""
        with self._lock:
            self._stop()
            self._flush(final=True)
            return "".join(self._sent)

    def close(self) -> None:
        """Stop without sending what is left (the answer failed)."""
        with self._lock:
            self._stop()

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._closed = True


# ---------------------------------------------------------------------- the answer
def source(n: int, hit) -> dict[str, Any]:
    return {"n": n, "id": hit.id, "title": hit.title or hit.id, "kind": hit.kind, "scene": hit.metadata.get("scene"),
            "text": " ".join(hit.text.split())[:SNIPPET], "found_by": sorted(hit.ranks)}  # fmt: skip


def one_line(message: str) -> str:
    line = " ".join(message.split())
    return line if len(line) <= WARNING_CHARS else line[: WARNING_CHARS - 1] + "…"


def answer(memory, question: str, k: int = K, *, generate: Generate | None = None, publish: Publish | None = None,
           ask_id: str = "", project_id: str = "",
           explain: Callable[[ProviderError], str] | None = None) -> dict[str, Any]:  # fmt: skip
    """``memory``: the project's knowledge store. ``generate(request, on_text)``: the brain's text router, or
    None when no language model is configured (the answer is then the passages). ``publish(kind, **fields)``
    sends the ``assistant.delta`` and ``assistant.answered`` events, each with ``ask_id``. ``explain`` turns a
    failure of every model into the one-line warning of the search-only answer (never with a key in it)."""
    say = publish or (lambda kind, **fields: None)
    hits = memory.search(question, k)
    sources = [source(n, h) for n, h in enumerate(hits, 1)]
    if generate is None:
        return _search_only(say, ask_id, sources)
    if not hits:  # nothing to read: no call, no cost
        return _answered(say, {"mode": LLM, "provider": None, "model": None, "answer": NOTHING, "citations": [],
                               "dropped": [], "sources": [], "ask_id": ask_id})  # fmt: skip
    streamer = Streamer(len(hits), lambda text, offset: say("assistant.delta", ask_id=ask_id, text=text, offset=offset))
    try:
        result = generate(build_request(question, hits, project_id), streamer)
    except ProviderError as exc:
        streamer.close()
        return _search_only(say, ask_id, sources, (explain or (lambda e: one_line(e.message)))(exc))
    text = streamer.finish()
    dropped = streamer.dropped
    if "".join(streamer.raw) != result.text:  # a provider broke off mid-answer and the next one answered
        dropped = set()
        text = finished(result.text, len(hits), dropped)
    return _answered(say, {"mode": LLM, "provider": result.provider, "model": result.model or None, "answer": text,
                           "citations": cited(text, len(hits)), "dropped": sorted(dropped), "sources": sources,
                           "ask_id": ask_id})  # fmt: skip


def _search_only(say: Publish, ask_id: str, sources: list[dict], warning: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"mode": SEARCH_ONLY, "sources": sources, "ask_id": ask_id}
    if warning:
        result["warning"] = warning
    return _answered(say, result)


def _answered(say: Publish, result: dict[str, Any]) -> dict[str, Any]:
    say("assistant.answered", **{k: v for k, v in result.items() if k != "sources"})
    return result
