"""Ranking metrics against values computed by hand."""

from __future__ import annotations

import math

import pytest

from recommend.evaluation import in_holdout
from recommend.metrics import dcg, jaccard, ndcg_at_k, recall_at_k, reciprocal_rank


def test_dcg_by_hand() -> None:
    """DCG adds gain / log2(rank + 1): 3 + 2/log2(3) + 0 + 1/log2(5)."""
    assert dcg([3, 2, 0, 1], 4) == pytest.approx(3 + 2 / math.log2(3) + 1 / math.log2(5))
    assert dcg([3, 2, 0, 1], 1) == 3


def test_ndcg_graded_by_hand() -> None:
    """nDCG@3 of gains [0.5, 1, 0] with the ideal taken over all candidates [1, 0.5, 0.5, 0]."""
    got = ndcg_at_k([0.5, 1.0, 0.0], [1.0, 0.5, 0.5, 0.0], 3)
    want = (0.5 + 1 / math.log2(3)) / (1 + 0.5 / math.log2(3) + 0.5 / 2)
    assert got == pytest.approx(want) == pytest.approx(0.7224, abs=1e-4)  # 1.1309 / 1.5655


def test_ndcg_perfect_empty_and_beyond_k() -> None:
    """A perfect ranking scores 1, no relevant candidate scores 0, gains past k do not count."""
    assert ndcg_at_k([1, 1, 0], [1, 1, 0, 0], 10) == 1.0
    assert ndcg_at_k([0, 0], [0, 0, 0], 10) == 0.0
    assert ndcg_at_k([0, 1], [1, 0], 1) == 0.0


def test_recall_at_k_by_hand() -> None:
    """Two of the three relevant items in the top 4 give 2/3; only the top k count."""
    ranked = ["a", "x", "b", "y", "c"]
    assert recall_at_k(ranked, {"a", "b", "c"}, 4) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, {"a", "b", "c"}, 1) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, set(), 4) == 0.0


def test_reciprocal_rank_by_hand() -> None:
    """The first relevant item at rank 3 gives 1/3; none ranked gives 0."""
    assert reciprocal_rank(["x", "y", "a", "b"], {"a", "b"}) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], {"a"}) == 0.0


def test_jaccard_by_hand() -> None:
    """|{p:a, m:b} ∩ {p:a, m:c}| / |union| = 1/3; two empty sets give 0."""
    assert jaccard({"p:a", "m:b"}, {"p:a", "m:c"}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) == 0.0


def test_holdout_split_is_deterministic_and_near_the_fraction() -> None:
    """The hash split puts the same ids in the same side every time, close to the asked share."""
    ids = [str(i) for i in range(5000)]
    first = [i for i in ids if in_holdout(i, 0.12, 7)]
    assert first == [i for i in ids if in_holdout(i, 0.12, 7)]
    assert abs(len(first) / len(ids) - 0.12) < 0.015
    assert first != [i for i in ids if in_holdout(i, 0.12, 8)]
