"""The offline embedder: tokenisation as BERT does it, semantic similarity, clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moviegen.brain.embedding.static import static_embedder
from moviegen.brain.embedding.wordpiece import basic_words, unicode_words
from moviegen.core.errors import UsageError


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=200))
@settings(max_examples=300, deadline=None)
def test_ascii_fast_path_splits_like_the_general_path(text):
    assert basic_words(text) == unicode_words(text)


def test_accents_and_cjk_are_split_like_bert():
    assert unicode_words("Élodie's CAFÉ!! 東京") == ["elodie", "'", "s", "cafe", "!", "!", "東", "京"]


def test_wordpiece_continues_unknown_words_with_pieces():
    emb = static_embedder()
    ids = emb.tokenizer.encode("unlanternlike")
    assert len(ids) > 1 and all(i > 0 for i in ids)


def test_paraphrases_are_closer_than_unrelated_sentences():
    emb = static_embedder()
    a, b, c = emb.embed(
        [
            "Mara carries the brass lantern up the lighthouse stairs.",
            "The keeper climbs the tower holding her lamp.",
            "The bakery sells cheap bread to tourists.",
        ]
    )
    assert a @ b > a @ c + 0.1


def test_vectors_are_unit_length_and_deterministic():
    emb = static_embedder()
    v1 = emb.embed(["a storm over the harbour", "x"])
    v2 = emb.embed(["a storm over the harbour", "x"])
    assert np.array_equal(v1, v2)
    assert v1.shape == (2, emb.dim) and v1.dtype == np.float32
    assert np.allclose(np.linalg.norm(v1, axis=1), 1.0, atol=1e-5)


def test_text_of_unknown_symbols_embeds_to_zero_not_nan():
    v = static_embedder().embed(["🎬🎬"])
    assert np.isfinite(v).all() and not v.any()


@pytest.mark.parametrize(
    ("texts", "message"),
    [
        ([], "nothing to embed"),
        (["  "], "text 1 is empty"),
        (["ok", "x" * 1_000_001], "text 2 is 1,000,001 characters"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(texts, message):
    with pytest.raises(UsageError, match=message):
        static_embedder().embed(texts)


def test_shipped_table_is_small_and_credited():
    from moviegen.brain.embedding.static import DATA

    assert DATA.stat().st_size < 20_000_000
    with np.load(DATA) as data:
        assert "all-MiniLM-L6-v2" in str(data["source"])
