"""BERT's uncased WordPiece tokenizer in plain Python (no ``tokenizers`` wheel).

Basic tokenization as BERT does it (clean control characters, lowercase, strip
accents, split on whitespace and punctuation, CJK characters on their own),
then greedy longest-match-first WordPiece with ``##`` continuations. Words are
cached: story text repeats its names and places.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

_MAX_WORD_CHARS = 100
_CACHE_LIMIT = 200_000


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0x20000 <= cp <= 0x2A6DF
        or 0x2A700 <= cp <= 0x2B73F
        or 0x2B740 <= cp <= 0x2B81F
        or 0x2B820 <= cp <= 0x2CEAF
        or 0xF900 <= cp <= 0xFAFF
        or 0x2F800 <= cp <= 0x2FA1F
    )


_ASCII_WORDS = re.compile(r"[a-z0-9]+|[!-/:-@\[-`{-~]")
_ASCII_CONTROL = {c: None for c in [*range(0, 9), 11, 12, *range(14, 32), 127]}  # BERT drops them, joining neighbours


def basic_words(text: str) -> list[str]:
    """Lowercased, accent-stripped words and single punctuation marks."""
    if text.isascii():  # the common case, same result by a regex (control characters simply do not match)
        return _ASCII_WORDS.findall(text.lower().translate(_ASCII_CONTROL))
    return unicode_words(text)


def unicode_words(text: str) -> list[str]:
    """The general path of :func:`basic_words`, character by character."""
    out: list[str] = []
    word: list[str] = []
    text = unicodedata.normalize("NFD", text.lower())
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD:
            continue
        cat = unicodedata.category(ch)
        if cat == "Mn":
            continue
        if ch in " \t\n\r" or cat == "Zs":
            if word:
                out.append("".join(word))
                word = []
            continue
        if cat.startswith("C"):
            continue
        if _is_punctuation(ch) or _is_cjk(cp):
            if word:
                out.append("".join(word))
                word = []
            out.append(ch)
            continue
        word.append(ch)
    if word:
        out.append("".join(word))
    return out


class WordPiece:
    def __init__(self, vocab: list[str]) -> None:
        self.vocab = {token: i for i, token in enumerate(vocab)}
        self.unk_id = self.vocab["[UNK]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    @classmethod
    def from_file(cls, path: Path) -> WordPiece:
        return cls(path.read_text(encoding="utf-8").splitlines())

    def word_ids(self, word: str) -> tuple[int, ...]:
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        ids = self._split(word)
        if len(self._cache) < _CACHE_LIMIT:
            self._cache[word] = ids
        return ids

    def _split(self, word: str) -> tuple[int, ...]:
        if len(word) > _MAX_WORD_CHARS:
            return (self.unk_id,)
        ids: list[int] = []
        start = 0
        vocab = self.vocab
        while start < len(word):
            end = len(word)
            found = None
            while start < end:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                found = vocab.get(piece)
                if found is not None:
                    break
                end -= 1
            if found is None:
                return (self.unk_id,)
            ids.append(found)
            start = end
        return tuple(ids)

    def encode(self, text: str) -> list[int]:
        ids: list[int] = []
        cache = self._cache
        for word in basic_words(text):
            hit = cache.get(word)
            ids.extend(hit if hit is not None else self.word_ids(word))
        return ids
