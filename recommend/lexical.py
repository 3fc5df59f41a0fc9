"""The words behind a lexical match, for the "Matching terms" reason.

>>> matching_terms("biogass av matavfall til bussene", "Biogassanlegg som tar imot matavfallet")
['biogassanlegg', 'matavfallet']
>>> matching_terms("ensomhet blant eldre", "Eldre og ensomhet: besøksvenner")
['ensomhet', 'eldre']
"""

from __future__ import annotations

from graph.text import content_words

STEM = 6  # a query word of at least this length also matches words that start with its first STEM letters


def matching_terms(query: str, text: str, limit: int = 5) -> list[str]:
    """Words of ``text`` that the query shares: whole words first, then words sharing a six-letter
    stem with a query word (inflections, compounds), longer words before shorter ones."""
    mine = set(content_words(text))
    by_stem: dict[str, list[str]] = {}
    for other in mine:
        if len(other) >= STEM:
            by_stem.setdefault(other[:STEM], []).append(other)
    asked = set(content_words(query))
    found: dict[str, int] = {w: 2 for w in asked & mine}
    for w in asked - mine:
        if len(w) >= STEM:
            for other in by_stem.get(w[:STEM], ()):
                found.setdefault(other, 1)
    ranked = sorted(found, key=lambda t: (-found[t], -len(t), t))
    return ranked[:limit]
