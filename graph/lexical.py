"""Lexical vectors: hashed character n-grams, a second vector space next to the embeddings.

A node's lexical vector depends on its text alone (no corpus statistics), so every store computes it
when the node is written and can search it where the data lives: the embedded store with a sparse
matrix product, Neo4j with ``vector.similarity.cosine`` on the server. Character 3–5-grams of the
content words (stop words dropped) match Norwegian compounds and inflections ("biogassanlegg" shares
grams with "biogass"); counts are dampened (1 + log) and the vector is unit length, so the dot product
of two vectors is their cosine.

Measured against a character TF-IDF fitted on the corpus (``kominn eval``, own split): T1 0.487 against
0.489, T2 0.379 against 0.384, with the inverse document frequency gone and 4,096 buckets.

Rare grams still count for more at search time: each store gives the inverse document frequency of
every bucket over its own texts (``GraphStore.lexical_idf``), and :func:`weighted_query` multiplies the
query vector by it (squared, standing in for the weighting of both sides that a fitted TF-IDF has).
That is what finds the same concrete problem ("reiseregning", "Altinn", a form's name) rather than
texts that share common words.

>>> a, b = lexical_vectors(["biogass av matavfall", "biogassanlegg ved renseanlegget"])
>>> round(float(a @ b), 2) > 0.2
True
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from graph.text import content_words

LEXICAL_DIM = 4096
LEXICAL_VERSION = f"char-3-5-hashed-{LEXICAL_DIM}-v2"  # recorded by stores; bump when the function changes


def _prepare(text: str) -> str:
    return " ".join(content_words(text))


_VECTORIZER = HashingVectorizer(
    analyzer="char_wb", ngram_range=(3, 5), n_features=LEXICAL_DIM, alternate_sign=False, norm=None,
    preprocessor=_prepare, dtype=np.float32,
)


def lexical_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Unit-length lexical vectors of ``texts``, one sparse row each (all zero for a text without
    content words)."""
    if not texts:
        return sparse.csr_matrix((0, LEXICAL_DIM), dtype=np.float32)
    m = _VECTORIZER.transform(list(texts)).tocsr().astype(np.float32)
    m.data = 1.0 + np.log(m.data)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    return (sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ m).tocsr().astype(np.float32)


def gram_buckets(texts: Sequence[str]) -> sparse.csr_matrix:
    """Which lexical buckets each text's character grams fall in (counts, neither weighted nor normalised):
    cheaper than :func:`lexical_matrix` where only the buckets matter."""
    return _VECTORIZER.transform(list(texts)).tocsr()


def lexical_vectors(texts: Sequence[str]) -> np.ndarray:
    """Dense unit-length lexical vectors (``len(texts)`` x ``LEXICAL_DIM``)."""
    return np.asarray(lexical_matrix(texts).toarray(), dtype=np.float32)


IDF_POWER = 2.0  # the query side carries the weight of both sides


def idf_of(matrix: sparse.csr_matrix) -> np.ndarray:
    """Smoothed inverse document frequency of each bucket over the rows of ``matrix``:
    ``ln((1 + n) / (1 + df)) + 1`` (all ones for no rows).

    >>> m = lexical_matrix(["reiseregning", "reiseregning i sap", "altinn"])
    >>> idf = idf_of(m)
    >>> float(idf.min()) >= 1.0 and idf.shape == (LEXICAL_DIM,)
    True
    """
    n, dim = matrix.shape
    df = np.bincount(matrix.indices, minlength=dim) if n else np.zeros(dim)
    return (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)


def weighted_query(vector: np.ndarray, idf: np.ndarray | None, power: float = IDF_POWER) -> np.ndarray:
    """A lexical query vector with each bucket weighted by ``idf ** power``, unit length again
    (unchanged without ``idf``, or when it is all zero)."""
    if idf is None or not np.any(vector):
        return vector
    v = vector.astype(np.float64) * np.asarray(idf, dtype=np.float64) ** power
    norm = float(np.linalg.norm(v))
    return (v / norm).astype(np.float32) if norm > 0 else vector


# The exact side scores the candidates the two searches found (GraphStore.tfidf_scores); the
# 4,096-bucket vectors above find them. It is two TF-IDFs over hash spaces wide enough that terms
# rarely share a bucket, side by side in one sparse row:
# - character 3-5-grams of the lower-cased text as written, stop words included, like the TF-IDF of
#   EVALUATION.md (the first WIDE_DIM columns);
# - word stems, the first STEM letters of each content word (the next STEM_DIM columns). They match
#   inflections and compounds of the same names ("reiseregning", "reiseregningen",
#   "reiseregningsskjema") as whole words, where most character grams of a long text are shared by
#   many texts.
# A candidate's score is CHAR_SHARE times the cosine of the character parts plus the rest times the
# cosine of the stem parts. Measured on the judged "same concrete problem" sample
# (bench/duplicates.py), the stems lifted nDCG@10 from 0.666 to 0.725 with T1 unchanged.
WIDE_DIM = 2**20
STEM_DIM = 2**18
WIDE_COLUMNS = WIDE_DIM + STEM_DIM
STEM = 6
CHAR_SHARE = 0.5
_WIDE = HashingVectorizer(
    analyzer="char_wb", ngram_range=(3, 5), n_features=WIDE_DIM, alternate_sign=False, norm=None,
    lowercase=True, dtype=np.float32,
)


def word_stems(text: str) -> list[str]:
    """The first ``STEM`` letters of each content word of ``text``.

    >>> word_stems("Reiseregningen må signeres i SAP")
    ['reiser', 'signer', 'sap']
    """
    return [w[:STEM] for w in content_words(text)]


_STEMS = HashingVectorizer(
    analyzer=word_stems, n_features=STEM_DIM, alternate_sign=False, norm=None, dtype=np.float32,
)


def wide_rows(texts: Sequence[str]) -> sparse.csr_matrix:
    """Dampened counts (1 + log) of the character grams and word stems of ``texts``, one row each
    (``WIDE_COLUMNS`` wide), not normalised."""
    if not texts:
        return sparse.csr_matrix((0, WIDE_COLUMNS), dtype=np.float32)
    texts = list(texts)
    m = sparse.hstack([_WIDE.transform(texts), _STEMS.transform(texts)], format="csr", dtype=np.float32)
    m.data = 1.0 + np.log(m.data)
    return m


@functools.lru_cache(maxsize=16)
def _query_rows(query: str) -> sparse.csr_matrix:
    """``wide_rows`` of one query, kept for the next call: a search scores its candidates in a few batches, and
    a long query (a whole report) costs milliseconds to vectorise. Shared, so made read-only."""
    m = wide_rows([query])
    for part in (m.data, m.indices, m.indptr):
        part.flags.writeable = False
    return m


def _part_sums(rows: sparse.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per row of ``rows``, the sums of ``values`` (one per stored entry) over its character
    columns and over its stem columns: an array of shape (rows, 2)."""
    n = rows.shape[0]
    row_of = np.repeat(np.arange(n), np.diff(rows.indptr))
    stem = rows.indices >= WIDE_DIM
    return np.stack([np.bincount(row_of[~stem], values[~stem], minlength=n),
                     np.bincount(row_of[stem], values[stem], minlength=n)], axis=1)


def wide_norms(rows: sparse.csr_matrix, idf: np.ndarray) -> np.ndarray:
    """The lengths of the character part and of the stem part of each of ``rows`` (``wide_rows``
    output) once weighted by ``idf``: an array of shape (rows, 2). A store can keep them until its
    document frequencies change."""
    return np.sqrt(_part_sums(rows, (rows.data.astype(np.float64) * idf[rows.indices]) ** 2))


def tfidf_cosines(query: str, rows: sparse.csr_matrix, idf: np.ndarray, norms: np.ndarray | None = None) -> np.ndarray:
    """The exact lexical score of ``query`` against each of ``rows`` (``wide_rows`` output), both
    weighted by ``idf`` (``idf_of`` over the store's wide rows): ``CHAR_SHARE`` times the cosine of
    the character parts plus the rest times that of the stem parts. Each cosine is the number
    scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` gives when fitted on the rows' texts (with
    ``analyzer="char_wb", ngram_range=(3, 5)``, and with ``analyzer=word_stems``), up to the rare
    shared bucket. ``norms``: ``wide_norms(rows, idf)``, where the caller keeps them.

    >>> docs = wide_rows(["reiseregning i papir", "reiseregningen i SAP", "altinn-skjema"])
    >>> [round(float(c), 2) for c in tfidf_cosines("Reiseregning i SAP", docs, idf_of(docs))]
    [0.53, 0.9, 0.0]
    """
    q = _query_rows(query)
    if rows.shape[0] == 0 or q.nnz == 0:
        return np.zeros(rows.shape[0], dtype=np.float32)
    if norms is None:
        norms = wide_norms(rows, idf)
    weights = q.data.astype(np.float64) * idf[q.indices]
    # the rows are weighted by idf too: (row * idf) . (q * idf) = row . (idf^2 * q); both parts of the
    # query in one lookup table, the products split by part afterwards
    table = np.zeros(WIDE_COLUMNS, dtype=np.float32)
    table[q.indices] = weights * idf[q.indices]
    dots = _part_sums(rows, rows.data * table[rows.indices])
    q_stem = q.indices >= WIDE_DIM
    values = np.zeros(rows.shape[0], dtype=np.float64)
    for column, share, part in ((0, CHAR_SHARE, ~q_stem), (1, 1.0 - CHAR_SHARE, q_stem)):
        q_norm = float(np.linalg.norm(weights[part]))
        if q_norm > 0 and share > 0:
            values += share * dots[:, column] / (np.maximum(norms[:, column], 1e-12) * q_norm)
    return values.astype(np.float32)


def lexical_vector(text: str) -> np.ndarray:
    """The dense lexical vector of one text (all zero when it has no content words)."""
    return lexical_vectors([text])[0]
