"""Lexical retrieval: character n-gram TF-IDF, which matches Norwegian compounds and inflections.

>>> index = LexicalIndex(["biogass av matavfall", "LED-lys i gatene"], ["a", "b"])
>>> index.search("biogassanlegg", 1)[0][0]
'a'
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from ingest.text import content_words, normalise


class LexicalIndex:
    """Character 3–5-gram TF-IDF over a corpus, plus word IDF for explaining matches."""

    def __init__(self, texts: Sequence[str], ids: Sequence[str], *, ngram_range: tuple[int, int] = (3, 5)) -> None:
        self.ids = list(ids)
        self.row = {i: n for n, i in enumerate(self.ids)}
        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=ngram_range, sublinear_tf=True, preprocessor=normalise, dtype=np.float32
        )
        if texts:
            self.matrix = self.vectorizer.fit_transform(texts).tocsr()
        else:
            self.matrix = None
        df: Counter[str] = Counter()
        self.words: list[set[str]] = []
        for text in texts:
            w = set(content_words(text))
            self.words.append(w)
            df.update(w)
        n = max(len(texts), 1)
        self.idf = {w: math.log((1 + n) / (1 + c)) + 1 for w, c in df.items()}

    def scores(self, text: str) -> np.ndarray:
        """Cosine similarity of ``text`` to every corpus item, in corpus order."""
        if self.matrix is None:
            return np.zeros(0, dtype=np.float32)
        q = self.vectorizer.transform([text])
        return np.asarray((self.matrix @ q.T).toarray()).ravel()

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        s = self.scores(text)
        if s.size == 0:
            return []
        take = min(k, s.size)
        top = np.argpartition(-s, take - 1)[:take]
        top = top[np.argsort(-s[top], kind="stable")]
        return [(self.ids[i], float(s[i])) for i in top]

    def matching_terms(self, query: str, item_id: str, limit: int = 5) -> list[str]:
        """Words the query shares with an item, rarest first (whole words or a shared 6-letter stem)."""
        i = self.row.get(item_id)
        if i is None:
            return []
        mine = self.words[i]
        found: dict[str, float] = {}
        for w in set(content_words(query)):
            if w in mine:
                found[w] = self.idf.get(w, 1.0)
            elif len(w) >= 6:
                stem = w[:6]
                for other in mine:
                    if other.startswith(stem):
                        found[other] = self.idf.get(other, 1.0) * 0.9
        return [w for w, _ in sorted(found.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
