"""The real embedder: query texts are cut to a bounded number of word pieces, passages are not."""

from __future__ import annotations

import numpy as np

from ingest.embedder import SentenceTransformerEmbedder

LONG = " ".join(
    ["Søknad om startlån må i dag fylles ut på papir og sendes til kommunen, som taster den inn på nytt."] * 20
    + ["Til slutt: skjemaet for bostøtte ber om de samme opplysningene en gang til."]
)


def test_a_long_query_is_read_up_to_the_limit_as_a_prefix_of_the_original_text(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    """A query longer than the limit is cut to a prefix of the original text (nothing re-spelled) that
    fits the limit, and its vector is the vector of that prefix."""
    limit = real_embedder.query_max_tokens
    assert limit > 0
    clipped = real_embedder._clip(LONG, limit)
    assert LONG.startswith(clipped) and len(clipped) < len(LONG)
    pieces = real_embedder._model.tokenizer(clipped)["input_ids"]  # type: ignore[union-attr]
    assert limit - 2 <= len(pieces) <= limit
    query = real_embedder.encode([LONG], kind="query")[0]
    assert np.allclose(query, real_embedder.encode([clipped], kind="passage")[0], atol=1e-5)
    assert not np.allclose(query, real_embedder.encode([LONG], kind="passage")[0], atol=1e-3)


def test_short_queries_and_passages_are_encoded_whole(real_embedder: SentenceTransformerEmbedder) -> None:
    """A query within the limit reads the same as the same text stored as a passage."""
    text = "Digital søknad om startlån"
    assert real_embedder._clip(text, real_embedder.query_max_tokens) == text
    assert np.allclose(real_embedder.encode([text], kind="query"), real_embedder.encode([text]), atol=1e-6)


def test_a_limit_of_zero_reads_queries_up_to_the_models_own_limit(
    real_embedder: SentenceTransformerEmbedder,
) -> None:
    """KOMINN_MODEL_QUERY_MAX_TOKENS=0 turns the cut off: a long query then reads like a passage."""
    whole = SentenceTransformerEmbedder(query_max_tokens=0)
    whole._model = real_embedder._model  # the same loaded weights, without a second load
    assert np.allclose(whole.encode([LONG], kind="query"), real_embedder.encode([LONG]), atol=1e-6)
