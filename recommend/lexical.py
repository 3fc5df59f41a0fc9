"""The words behind a lexical match, for the "Matching terms" reason.

>>> matching_terms("biogass av matavfall til bussene", "Biogassanlegg som tar imot matavfallet")
['biogassanlegg', 'matavfallet']
>>> matching_terms("ensomhet blant eldre", "Eldre og ensomhet: besøksvenner")
['ensomhet', 'eldre']
>>> matching_terms("antall besøkende gikk ned med 20 prosent", "Besøkende gikk opp 5 prosent")
['besøkende']
>>> matching_terms("skolevei og trafikksikkerhet", "Trafikklys ved skolen")  # only "trafikk" in common
[]
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterable

import numpy as np

from graph.lexical import gram_buckets
from graph.text import content_words

STEM = 6  # a query word of at least this length also matches words that start with its first STEM letters,
SLACK = 2  # and that differ from it only after all but SLACK letters of the shorter one (an inflection), or
# that it begins (a compound on it): "matavfall" matches "matavfallet", "kommune" "kommunal", "biogass"
# "biogassanlegg"; "trafikksikkerhet" does not match "trafikklys" (one shared part of a compound is not a term
# the two texts share)

# Words that say nothing about what two texts share, though they are content words to the lexical search
# (which keeps them: its vectors are stored, and it weighs them down by their frequency anyway). Only the
# reason leaves them out: figures and quantities, common verbs, time and place fillers.
GENERIC = frozenset(
    """prosent antall andel løpet sammen faste fast stedet tiden tid gang ganger år året årene
    uke uken uker dag dagen dager måned måneder kommer gikk går gjør gjort gjorde fikk tatt tar tok
    bruke brukt brukes står sto stod satt sette ligger lagt laget lage ble andre annen annet hele helt
    godt gode god bedre best større mindre flere første siste tre fire fem seks ti hundre tusen rundt
    cirka omtrent også del deler delen
    mens dersom derfor difor samt osv eks etc dvs allerede ofte svært veldig ganske mye anna enkelte slike
    våre hvert nok innenfor likevel altså enten ettersom hverandre kanskje""".split()
)


def matching_terms(query: str, text: str, limit: int = 5,
                   rarity: Callable[[Iterable[str]], dict[str, float]] | None = None) -> list[str]:
    """Words of ``text`` that the query shares: whole words first, then inflections of a query word and
    compounds that begin with one (see ``STEM``); within each, the rarer first by ``rarity`` (see
    :func:`rarity_from_idf`), else the longer. Generic words (figures, common verbs) are left out."""
    mine = _telling_words(text)
    by_stem: dict[str, list[str]] = {}
    for other in mine:
        if len(other) >= STEM:
            by_stem.setdefault(other[:STEM], []).append(other)
    asked = _telling_words(query)
    found: dict[str, int] = {w: 2 for w in asked & mine}
    for w in asked - mine:
        if len(w) >= STEM:
            for other in by_stem.get(w[:STEM], ()):
                if other.startswith(w) or _common_prefix(w, other) >= min(len(w), len(other)) - SLACK:
                    found.setdefault(other, 1)
    weight = rarity(found) if rarity is not None and found else {}
    ranked = sorted(found, key=lambda t: (-found[t], -weight.get(t, 0.0), -len(t), t))
    return ranked[:limit]


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


@functools.lru_cache(maxsize=1024)
def _telling_words(text: str) -> frozenset[str]:
    """The content words of a text that can be a reason (no figures or filler); a search's own text is asked
    for once per result, so the last ones are kept."""
    return frozenset(w for w in content_words(text) if w not in GENERIC and not w.isdigit())


_BUCKETS: dict[str, np.ndarray] = {}
_BUCKETS_KEPT = 100_000
_BUCKETS_LOCK = threading.Lock()  # searches run in several threads of the service


def _buckets(words: Iterable[str]) -> dict[str, np.ndarray]:
    """The lexical buckets of each word's character grams. Words not seen before are vectorised together (one
    call per result, not one per word: a search's reasons ask for some hundred words); the same words recur in
    reasons, so they are kept (up to ``_BUCKETS_KEPT``, then the memory starts over). The answer is built from
    what this call found, never read back from the shared memory, which another thread may empty meanwhile."""
    words = list(dict.fromkeys(words))
    found = {w: b for w in words if (b := _BUCKETS.get(w)) is not None}
    new = [w for w in words if w not in found]
    if new:
        m = gram_buckets(new)
        fresh = {w: m.indices[m.indptr[i]: m.indptr[i + 1]].copy() for i, w in enumerate(new)}
        with _BUCKETS_LOCK:
            if len(_BUCKETS) + len(fresh) > _BUCKETS_KEPT:
                _BUCKETS.clear()
            _BUCKETS.update(fresh)
        found.update(fresh)
    return {w: found[w] for w in words}


def rarity_from_idf(idf: np.ndarray | None) -> Callable[[Iterable[str]], dict[str, float]] | None:
    """How rare words are in the store: for each, the mean inverse document frequency of its character grams
    (``GraphStore.lexical_idf``), so "reiseregning" ranks above "kommunen" among the matching terms."""
    if idf is None or not np.any(idf):
        return None

    def rarity(words: Iterable[str]) -> dict[str, float]:
        return {w: float(idf[b].sum()) / b.size if b.size else 0.0 for w, b in _buckets(words).items()}

    return rarity
