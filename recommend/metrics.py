"""Ranking metrics, each checked against hand-computed values in the tests.

>>> round(ndcg_at_k([1.0, 0.0, 0.5], [1.0, 0.5, 0.0], 3), 4)
0.9502
>>> recall_at_k(["a", "b", "c"], {"c", "d"}, 2)
0.0
>>> reciprocal_rank(["a", "b", "c"], {"c"})
0.3333333333333333
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def dcg(gains: Sequence[float], k: int) -> float:
    """Discounted cumulative gain of the first k gains: sum of gain / log2(rank + 1)."""
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))


def ndcg_at_k(ranked_gains: Sequence[float], all_gains: Sequence[float], k: int = 10) -> float:
    """nDCG@k: DCG of the ranking over DCG of the ideal ranking of ``all_gains`` (every candidate)."""
    ideal = dcg(sorted(all_gains, reverse=True), k)
    return 0.0 if ideal == 0 else dcg(ranked_gains, k) / ideal


def recall_at_k(ranked: Sequence[str], relevant: Collection[str], k: int) -> float:
    """Share of the relevant items found in the first k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & set(relevant)) / len(relevant)


def reciprocal_rank(ranked: Sequence[str], relevant: Collection[str]) -> float:
    """1 / rank of the first relevant item, 0 when none is ranked."""
    for i, item in enumerate(ranked, start=1):
        if item in relevant:
            return 1.0 / i
    return 0.0


def jaccard(a: Collection[str], b: Collection[str]) -> float:
    """|a ∩ b| / |a ∪ b|, 0 for two empty sets."""
    sa, sb = set(a), set(b)
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0
