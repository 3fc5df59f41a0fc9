"""Test helpers shipped with the package: a deterministic fake embedder for unit tests only.

End-to-end and evaluation tests use the real model.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from graph.text import normalise


class HashingEmbedder:
    """Deterministic bag-of-character-trigrams embedder: similar spelling gives similar vectors."""

    def __init__(self, dimension: int = 64, name: str = "test/hashing") -> None:
        self.name = name
        self._dimension = dimension
        self.calls = 0
        self.texts_encoded = 0

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(
        self, texts: Sequence[str], *, kind: str = "passage", batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        self.calls += 1
        self.texts_encoded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            t = f"  {normalise(text)}  "
            for i in range(len(t) - 2):
                h = int.from_bytes(hashlib.blake2b(t[i : i + 3].encode(), digest_size=4).digest(), "little")
                out[row, h % self._dimension] += 1.0
            norm = np.linalg.norm(out[row])
            if norm > 0:
                out[row] /= norm
        return out
