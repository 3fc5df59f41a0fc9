"""Hybrid similar search: dense embeddings plus hashed character n-grams, fused, with reasons.

Everything runs through the store's own queries, so the same code serves every adapter and nothing
reads the whole graph: the two top-k searches (embedding and lexical vectors, see
:mod:`graph.lexical`), the scores of the other candidates, the topics of the closest items and the
items tagged with those topics (``GraphStore.linked``), the owners, and the context of the results.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

import numpy as np

from graph.errors import NotFoundError, Problem, ValidationError
from graph.lexical import lexical_vector, weighted_query
from graph.schema import Direction, Label, Node, Rel, is_private, node_text
from graph.store import LEXICAL, GraphStore
from graph.text import STOPWORDS, content_words, not_text, reads_as_english, visible, without_controls, words
from ingest.embedder import Embedder
from ingest.records import a_label, topic_id
from recommend.lexical import matching_terms, rarity_from_idf
from recommend.types import Reason, Recommendation, SimilarResult

SEARCHABLE = (Label.INITIATIVE, Label.IDEA, Label.NEED)
MAX_K = 100
MAX_QUERY_CHARS = 20_000
HIDDEN_IDEA_STATUS = frozenset({"hidden", "merged"})


def item_query(node: Node) -> str:
    """A stored item's text as a search text: its first MAX_QUERY_CHARS characters, since an item's texts together
    (a title, a description and results of 20,000 characters each) may be longer than a search text may be (the
    model reads only the first word pieces of either)."""
    return node_text(node)[:MAX_QUERY_CHARS]


def query_text(text: str, *, where: str = "query", field: str = "q") -> str:
    """A text to search with as it is searched: without the invisible and control characters that pasting leaves
    (zero-width spaces, NUL) and the spaces at its ends, so that one of nothing else is empty. A text holding a
    lone surrogate (a byte that is not UTF-8 in a command's argument) is refused naming ``field``: no model or
    store can read it."""
    why = not_text(text)
    if why is not None:
        raise ValidationError([Problem(where, None, field, f"the text {why}")])
    return without_controls(visible(text)).strip()


# Norwegian endings that another form of a tag's word may have in a search, longest first: "ensomme" names the tag
# "ensomhet", "sykehjemmene" the tag "sykehjem", "skolen" the tag "skole". Only one-word tags, and only words that
# keep a stem of at least four letters.
_ENDINGS = ("heten", "het", "ene", "ane", "en", "et", "er", "a", "e")
_FORMS = ("", "e", "en", "et", "er", "ene", "het")
_VOWELS = frozenset("aeiouyæøå")


def other_forms(word: str) -> set[str]:
    """Other forms of a Norwegian word than ``word``: its stem (without the longest of ``_ENDINGS``, the last
    consonant doubled or not) with each of ``_FORMS``.

    >>> sorted(f for f in other_forms("ensomme") if "het" in f)
    ['ensomhet', 'ensommhet']
    >>> "sykehjem" in other_forms("sykehjemmene"), "skole" in other_forms("skolen"), other_forms("mat")
    (True, True, set())
    """
    stem = next((word[: -len(end)] for end in _ENDINGS if word.endswith(end) and len(word) - len(end) >= 4), word)
    if len(stem) < 4 or not stem.isalpha():
        return set()
    stems = {stem}
    if stem[-1] not in _VOWELS:
        stems.add(stem[:-1] if stem[-1] == stem[-2] else stem + stem[-1])  # "sykehjemm" / "ensom" -> "ensomm"
    return {s + form for s in stems for form in _FORMS} - {word}


def unseen(node: Node | None) -> Node | None:
    """The node, or None for a hidden idea: answers about an id (what kind it is) treat a hidden idea as no
    item at all, so that they do not tell anyone it exists."""
    return None if node is not None and is_private(node) else node
TOPIC_CANDIDATES = 200  # items added from the predicted topics
NAMED_TOPIC_WORDS = 8  # a search text of at most this many words is looked up for topics it names
# Added to the score of an item whose tags name every content word of a short search (that share of it for
# some of them: "ensomhet" on a tag of one of "ensomhet blant eldre" gives half), as much as the best text
# match gets: a tag often says what an item is about where its text does not use the word ("ensomhet" on a
# project of concerts at nursing homes). On English call titles (T2) the share keeps generic tags
# ("innovation") from moving the ranking much: nDCG@10 0.378 / 0.352 without it, see the README.
NAMED_TOPIC = 1.0
# Below this best text score nothing matches closely and the answer says so. On the Tidstyver store (seed-1
# split) a real report's best match scores 0.21 or more and 59 of 60 titles alone 0.13 or more; words it has
# nothing on ("hello world", "pizza med ananas", "fotball", markup) score 0.04 to 0.08.
WEAK_MATCH = 0.10
WEAK_NOTE = "nothing matches closely"  # how the note on such an answer begins
# The embedding similarity from which "Similar in meaning" is given as a reason. The default model puts
# most Norwegian texts near each other: of the demo's initiative pairs, 67 % reach 0.50 and 1.7 % reach
# 0.70, while its eight planted twins (the same project in two units) score 0.75 to 0.84.
MEANING_REASON = 0.70
# The text scores are min-max scaled over the candidates before the topic parts are added, but over a span of at
# least this much. Without a floor a search that matches nothing closely has its noise stretched to the full 0-1:
# on the demo, "ensomhet blant eldre" (the first word only a tag, the second in one bus service's text) ranked a
# flood map second at 0.84 of the text part, above the two initiatives tagged "ensomhet". A Norwegian report that
# matches scores 0.21 or more (WEAK_MATCH), so real spans are mostly wider; measured (seeds 1 / 2): T1 nDCG@10
# 0.496 / 0.496 -> 0.499 / 0.498, T2 and the judged "same concrete problem" sample unchanged; at 0.30 the judged
# sample's P@5 starts to drop (0.536 -> 0.529). The partner recommender's similar initiatives come from this
# search too: with the floor, a solar panel project no longer "resembles" a project against loneliness at nursing
# homes, and T3 moved by no more than 0.002 (seeds 1 / 2: 0.275 / 0.403 -> 0.273 / 0.401, 0.296 / 0.445 -> 0.294 /
# 0.446).
SPAN_FLOOR = 0.25


@dataclass(frozen=True)
class Weights:
    """How the parts add up.

    ``dense`` and ``lexical`` make the text score. Where items carry topics, the topics of the
    ``neighbours`` closest items predict the query's topics, and each item's expected topic overlap
    (Jaccard) with that prediction adds ``topic`` times itself to ``text`` times the min-max-scaled
    text score (scaled over a span of at least ``SPAN_FLOOR``). The neighbours are chosen and weighted
    (their score to the power ``power``) by a text score of their own: ``neighbour_dense`` of the
    embedding cosine and the rest of the lexical score.

    The embedding model is English-trained, so these weights lean on the lexical side; a query that
    reads as English (:func:`graph.text.reads_as_english`) uses ``english_dense`` of the embedding
    in both scores instead (and the rest lexical).
    """

    dense: float = 0.2
    lexical: float = 0.8
    text: float = 1.0
    topic: float = 1.0
    neighbour_dense: float = 0.0
    english_dense: float | None = 0.5
    neighbours: int = 20
    power: float = 3.0

    def for_text(self, text: str) -> Weights:
        """The weights a query text is scored with."""
        if self.english_dense is None or not reads_as_english(text):
            return self
        e = self.english_dense
        return replace(self, dense=e, lexical=1.0 - e, neighbour_dense=e)


# Context relationships that make "shared X" reasons: relationship, direction, reason kind, sentence.
_CONTEXT = (
    (Rel.ADDRESSES, "need", "Both address the need"),
    (Rel.SUPPORTS, "focus_area", "Both support the focus area"),
    (Rel.TAGGED, "topic", "Both are tagged"),
    (Rel.INVOLVES, "partner", "Both involve"),
)

Context = dict[Rel, dict[str, str]]  # relationship -> other end id -> its title


def unused_unit_note(unit: str, *, item: bool, cross_silo: bool) -> str:
    """The note on an answer that was given a ``unit`` it did not use: for an item, cross_silo leaves out the
    item's own unit; for a text, the unit only names what cross_silo leaves out.

    >>> unused_unit_note("unit-a", item=False, cross_silo=False)
    "unit 'unit-a' was not used: it names the unit whose items cross_silo leaves out, and cross_silo was not asked for"
    """
    if item:
        return (f"unit '{unit}' was not used: the query is an item, and cross_silo leaves out the items of its own unit"
                + ("" if cross_silo else " (cross_silo was not asked for, so nothing was left out)"))
    return f"unit '{unit}' was not used: it names the unit whose items cross_silo leaves out, and cross_silo was not " \
        "asked for"


class Recommender:
    """Recommendations over one store and one embedder.

    >>> # r = Recommender(store, embedder); r.similar("ini-001", k=5, cross_silo=True)
    """

    def __init__(
        self, store: GraphStore, embedder: Embedder, *, weights: Weights = Weights(), candidates: int = 100
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.weights = weights
        self.candidates = candidates

    # --- similar ---------------------------------------------------------------------------------
    def similar(
        self,
        query: str,
        *,
        k: int = 10,
        cross_silo: bool = False,
        unit: str | None = None,
        labels: tuple[Label, ...] = (Label.INITIATIVE,),
    ) -> SimilarResult:
        """Items similar to an item (when ``query`` is an id in the store) or to free text.

        With ``cross_silo``, items owned by the query's unit (or by ``unit`` for free text) are left
        out, and the answer names the unit it excluded. A ``unit`` that is not used (for an item, or
        without ``cross_silo``) is said to be unused in a note.
        """
        if not 1 <= k <= MAX_K:
            raise ValidationError([Problem("query", None, "k", f"k must be between 1 and {MAX_K}, got {k}")])
        item = self.store.get(query) if len(query) <= 128 else None
        if item is not None:
            result = self.similar_to_item(item.id, k=k, cross_silo=cross_silo, labels=labels)
            if unit is not None:
                result.notes.append(unused_unit_note(unit, item=True, cross_silo=cross_silo))
            return result
        return self.similar_to_text(query, k=k, cross_silo=cross_silo, unit=unit, labels=labels)

    def similar_to_item(
        self, item_id: str, *, k: int = 10, cross_silo: bool = False, labels: tuple[Label, ...] = (Label.INITIATIVE,)
    ) -> SimilarResult:
        item = self.store.get(item_id)
        if item is None:
            raise NotFoundError(f"no item with id '{item_id}'")
        text = node_text(item) or item.title  # a topic has only its name
        vector = item.embedding if item.embedding is not None else self._embed_query(text)
        owner = next((n.id for _, n in self.store.neighbours(item.id, Rel.OWNED_BY)), None)
        return self._search(text, vector, labels, k=k, cross_silo=cross_silo, owner=owner, query_item=item)

    def similar_to_text(
        self,
        text: str,
        *,
        k: int = 10,
        cross_silo: bool = False,
        unit: str | None = None,
        labels: tuple[Label, ...] = (Label.INITIATIVE,),
        exclude_owners: Iterable[str] = (),
        exclude_ids: Iterable[str] = (),
        use_topics: bool = True,
        vector: np.ndarray | None = None,
        include_ids: Iterable[str] = (),
    ) -> SimilarResult:
        """Items similar to a free text (``vector``: its query embedding, when the caller has it). ``unit`` is
        the asking unit, whose items ``cross_silo`` leaves out; without ``cross_silo`` a note says it was not used.

        ``exclude_owners`` leaves out items owned by those organisations (a whole ministry's
        agencies, say); ``exclude_ids`` leaves out given items. ``include_ids`` are scored and returned
        after the first ``k`` even when they rank lower (reuse wants the initiatives that addressed a
        need, however their text compares).
        With ``use_topics=False`` the score is the text score alone, on an absolute scale that a
        threshold can be set on (the duplicate check does that)."""
        text = query_text(text)
        if not text:
            raise ValidationError([Problem("query", None, "q", "the query text is empty")])
        if len(text) > MAX_QUERY_CHARS:
            raise ValidationError([Problem("query", None, "q", f"at most {MAX_QUERY_CHARS} characters")])
        if unit is not None:
            found = unseen(self.store.get(unit))
            if found is None or found.label != Label.ORGANISATION:
                said = f"no unit with id '{unit}'" if found is None else \
                    f"'{unit}' is {a_label(found.label)}, not a unit"
                raise ValidationError([Problem("query", None, "unit", said)])
        vector = self._embed_query(text) if vector is None else vector
        result = self._search(text, vector, labels, k=k, cross_silo=cross_silo, owner=unit,
                              exclude_owners=set(exclude_owners), exclude_ids=set(exclude_ids),
                              use_topics=use_topics, include=set(include_ids))
        if unit is not None and not cross_silo:
            result.notes.append(unused_unit_note(unit, item=False, cross_silo=False))
        return result

    def _embed_query(self, text: str) -> np.ndarray:
        return self.embedder.encode([text], kind="query")[0]

    def _search(
        self,
        text: str,
        vector: np.ndarray,
        labels: tuple[Label, ...],
        *,
        k: int,
        cross_silo: bool,
        owner: str | None,
        query_item: Node | None = None,
        exclude_owners: set[str] | None = None,
        exclude_ids: set[str] | None = None,
        use_topics: bool = True,
        include: set[str] | None = None,
    ) -> SimilarResult:
        store, w = self.store, self.weights.for_text(text)
        notes: list[str] = []
        excluded_owner = None
        if cross_silo:
            if owner is None:
                notes.append("cross_silo was asked for, but the query has no owning unit: nothing was excluded")
            else:
                unit = store.get(owner)
                excluded_owner = {"id": owner, "name": unit.title if unit is not None else owner}
                notes.append(f"items owned by {excluded_owner['name']} are excluded (cross-silo)")
        exclude = set(exclude_ids or ())
        if query_item is not None:
            exclude.add(query_item.id)
        banned_owners = set(exclude_owners or ())
        if excluded_owner is not None:
            banned_owners.add(excluded_owner["id"])
        pool = max(self.candidates, 5 * k)

        idf = store.lexical_idf()
        lex_q = weighted_query(lexical_vector(text), idf)
        dense = dict(store.vector_topk(vector, pool, labels=labels, exclude=exclude))
        found_lexically = store.vector_topk(lex_q, pool, labels=labels, exclude=exclude, space=LEXICAL) \
            if np.any(lex_q) else []
        include = set(include or ()) - exclude
        candidates = (set(dense) | {i for i, _ in found_lexically} | include) - exclude
        fetched: dict[str, Node] = {}  # candidates' nodes already read, kept for the head of the ranking

        def without_hidden(ids: set[str]) -> set[str]:
            """Hidden and merged ideas leave before they count for anything (the topics predicted, the scaling of
            the text scores): a weak best score must not tell that a hidden idea matched the search better."""
            if Label.IDEA not in labels or not ids:
                return ids
            fetched.update((n.id, n) for n in store.get_many(sorted(ids)))
            gone = {i for i in ids if i in fetched and self._hidden(fetched[i])}
            exclude.update(gone)
            return ids - gone

        candidates = without_hidden(candidates)
        lexical: dict[str, float] = {}  # the 4,096-bucket search only finds candidates; their score is exact
        self._fill(text, vector, candidates, dense, lexical)

        def text_score(cid: str) -> float:
            return w.dense * max(dense.get(cid, 0.0), 0.0) + w.lexical * max(lexical.get(cid, 0.0), 0.0)

        predicted: dict[str, float] = {}
        topic_scores: dict[str, float] | None = None
        if use_topics and w.topic > 0:
            def neighbour_score(cid: str) -> float:
                return (w.neighbour_dense * max(dense.get(cid, 0.0), 0.0)
                        + (1.0 - w.neighbour_dense) * max(lexical.get(cid, 0.0), 0.0))

            predicted, topic_scores = self._predict_topics(candidates, neighbour_score, labels)
        if topic_scores is not None:
            ranked = sorted((c for c, sc in topic_scores.items() if sc > 0 and c not in exclude),
                            key=lambda c: (-topic_scores[c], c))
            added = without_hidden(set(ranked[:TOPIC_CANDIDATES]) - candidates)
            self._fill(text, vector, added, dense, lexical)
            candidates |= added
        named_scores: dict[str, float] = {}
        named: dict[str, str] = {}
        if use_topics and w.topic > 0 and query_item is None:  # topics the search names, and what they tag
            named, inflected = self._named_topics(text)
            asked = set(content_words(text))
            said = {t: (set(content_words(name)) | inflected.get(t, set())) & asked  # each tag's words, once
                    for t, name in named.items()}
            for cid, (hits, _) in (store.linked(sorted(named), Rel.TAGGED, Direction.IN, labels=labels).items()
                                   if named else ()):
                covered = set().union(*(said[t] for t in hits))
                if cid not in exclude and covered:  # the share of the search's words its named tags cover
                    named_scores[cid] = NAMED_TOPIC * len(covered) / len(asked)
            added = without_hidden(
                set(sorted(named_scores, key=lambda c: (-named_scores[c], c))[:TOPIC_CANDIDATES]) - candidates)
            self._fill(text, vector, added, dense, lexical)
            candidates |= added
        texts = {cid: text_score(cid) for cid in candidates}
        low, high = (min(texts.values()), max(texts.values())) if texts else (0.0, 1.0)
        if banned_owners:  # after the scaling, which the whole candidate set sets
            owners = store.neighbours_many(candidates, Rel.OWNED_BY)
            candidates = {c for c in candidates
                          if not any(n.id in banned_owners for _, n in owners.get(c, ()))}
        scored: list[tuple[float, str]] = []
        span = max(high - low, SPAN_FLOOR) or 1.0
        for cid in candidates:
            score = texts[cid]
            if topic_scores is not None:
                score = w.text * (score - low) / span + w.topic * round(topic_scores.get(cid, 0.0), 4)
            score += named_scores.get(cid, 0.0)
            scored.append((score, cid))
        scored.sort(key=lambda t: (-t[0], t[1]))

        def parts_of(cid: str) -> dict[str, float]:
            parts = {"dense": round(max(dense.get(cid, 0.0), 0.0), 4),
                     "lexical": round(max(lexical.get(cid, 0.0), 0.0), 4)}
            if topic_scores is not None:  # the score is text + topic
                parts["text"] = round(w.text * (texts[cid] - low) / span, 4)
                parts["topic"] = round(w.topic * topic_scores.get(cid, 0.0), 4)
            if cid in named_scores:
                parts["named_topic"] = round(named_scores[cid], 4)
            return parts

        # Fetch nodes only for the head of the ranking, a chunk at a time, skipping hidden ideas.
        head: list[tuple[float, Node, dict[str, float]]] = []
        for start in range(0, len(scored), 2 * k):
            chunk = scored[start : start + 2 * k]
            fetched.update((n.id, n) for n in store.get_many([cid for _, cid in chunk if cid not in fetched]))
            for score, cid in chunk:
                node = fetched.get(cid)
                if node is not None and not self._hidden(node) and len(head) < k:
                    head.append((score, node, parts_of(cid)))
            if len(head) == k:
                break
        missing = include - {node.id for _, node, _ in head}
        if missing:  # scored above, wherever they rank; those of a banned owner are gone from scored
            ranked_at = {cid: score for score, cid in scored if cid in missing}
            found = {n.id: n for n in store.get_many(sorted(ranked_at))}
            for cid in sorted(ranked_at, key=lambda c: (-ranked_at[c], c)):
                if cid in found and not self._hidden(found[cid]):
                    head.append((ranked_at[cid], found[cid], parts_of(cid)))
        best = max((texts[node.id] for _, node, _ in head), default=1.0)
        if best < WEAK_MATCH and not any(node.id in named_scores for _, node, _ in head):
            notes.append(f"{WEAK_NOTE} (the best text score is {best:.3f}, under {WEAK_MATCH:.2f}): "
                         "these are only the nearest items")
        contexts = self._contexts([node.id for _, node, _ in head])
        mine = self._contexts([query_item.id]).get(query_item.id, {}) if query_item is not None else None
        rarity = rarity_from_idf(idf)
        items = [self._explain(node, score, parts, text, contexts.get(node.id, {}), mine, predicted, rarity,
                               set(named))
                 for score, node, parts in head]
        return SimilarResult(
            query=text if query_item is None else query_item.title,
            query_id=None if query_item is None else query_item.id,
            items=items,
            cross_silo=cross_silo,
            excluded_owner=excluded_owner,
            notes=notes,
        )

    def _fill(self, text: str, vector: np.ndarray, ids: Iterable[str],
              dense: dict[str, float], lexical: dict[str, float]) -> None:
        """Scores of candidates not scored yet, from the store: embedding cosines that the top-k
        search did not return, and exact lexical (TF-IDF) scores."""
        ids = set(ids)
        missing = sorted(ids - dense.keys())
        if missing:
            dense.update(self.store.vector_scores(vector, missing))
        missing = sorted(ids - lexical.keys())
        if missing:
            scores = self.store.tfidf_scores(text, missing)
            lexical.update({i: scores.get(i, 0.0) for i in missing})

    def _named_topics(self, text: str) -> tuple[dict[str, str], dict[str, set[str]]]:
        """Topics of the store that a short search text names ("ensomhet", "barn og unge"): their ids and names,
        and for a one-word tag named in another form of the word ("ensomme" for "ensomhet", "sykehjemmene" for
        "sykehjem"), the search's words that name it. A topic is often the one word that says what an item is
        about without its text using it. Long texts (a whole report) are left to the neighbours' topics."""
        tokens = words(text)
        if not tokens or len(tokens) > NAMED_TOPIC_WORDS:
            return {}, {}
        ids = {topic_id(" ".join(tokens[i : i + n])) for n in (1, 2, 3) for i in range(len(tokens) - n + 1)
               if tokens[i] not in STOPWORDS and tokens[i + n - 1] not in STOPWORDS}
        # a tag's own spelling where it has more than words ("kommune 3.0", "IKT/digitalisering")
        ids.add(topic_id(text))
        forms: dict[str, set[str]] = {}
        for token in tokens:
            if token not in STOPWORDS:
                for form in other_forms(token):
                    forms.setdefault(topic_id(form), set()).add(token)
        found = {n.id: n.title for n in self.store.get_many(sorted(ids | set(forms))) if n.label == Label.TOPIC}
        return found, {t: forms[t] for t in found if t in forms and t not in ids}

    def _predict_topics(
        self, candidates: set[str], neighbour_score: Callable[[str], float], labels: tuple[Label, ...]
    ) -> tuple[dict[str, float], dict[str, float] | None]:
        """Topic probabilities from the closest items by ``neighbour_score``, and the expected Jaccard
        overlap with them of every item tagged with one of those topics: the sum of P over the item's
        topics / (its topic count + the P mass elsewhere). Items without a predicted topic score 0."""
        w = self.weights
        nearest = sorted(candidates, key=lambda c: (-neighbour_score(c), c))[: w.neighbours]
        weight = {c: max(neighbour_score(c), 0.0) ** w.power for c in nearest}
        total = sum(weight.values())
        if not nearest or total <= 0:
            return {}, None
        tagged = self.store.neighbours_many(nearest, Rel.TAGGED)
        if not tagged:
            return {}, None
        p: dict[str, float] = {}
        for c in nearest:  # each item's topics in id order, not the store's: the same sums on every store
            for topic in sorted(t.id for _, t in tagged.get(c, ())):
                p[topic] = p.get(topic, 0.0) + weight[c] / total
        mass = sum(p.values())
        scores: dict[str, float] = {}
        for item, (hits, size) in self.store.linked(sorted(p), Rel.TAGGED, Direction.IN, labels=labels).items():
            inter = sum(p[t] for t in hits)
            scores[item] = inter / max(size + mass - inter, 1e-9) if size > 0 else 0.0
        predicted = {t: v for t, v in p.items() if v > 0.05}
        return predicted, scores

    def _contexts(self, node_ids: list[str]) -> dict[str, Context]:
        found: dict[str, Context] = {}
        for node_id, links in self.store.neighbours_many(node_ids, direction=Direction.OUT).items():
            ctx = found.setdefault(node_id, {})
            for edge, other in links:
                ctx.setdefault(edge.rel, {})[other.id] = other.title
        return found

    @staticmethod
    def _hidden(node: Node) -> bool:
        return node.label == Label.IDEA and node.props.get("status") in HIDDEN_IDEA_STATUS

    # --- reasons ---------------------------------------------------------------------------------
    def _explain(
        self,
        node: Node,
        score: float,
        parts: dict[str, float],
        query_text: str,
        theirs: Context,
        mine: Context | None,
        predicted: dict[str, float],
        rarity: Callable[[Iterable[str]], dict[str, float]] | None = None,
        named: set[str] | None = None,
    ) -> Recommendation:
        reasons: list[Reason] = []
        terms = matching_terms(query_text, node_text(node), rarity=rarity)
        if terms:
            reasons.append(Reason("text", "Matching terms: " + ", ".join(terms),
                                  tuple({"term": t} for t in terms)))
        if parts.get("dense", 0.0) >= MEANING_REASON:
            reasons.append(Reason("text", f"Similar in meaning (embedding similarity {parts['dense']:.2f})"))
        if mine is not None:
            for rel, kind, sentence in _CONTEXT:
                shared = sorted(set(mine.get(rel, {})) & set(theirs.get(rel, {})))
                if shared:
                    names = [theirs[rel][s] for s in shared]
                    reasons.append(Reason(kind, f"{sentence}: " + ", ".join(names),
                                          tuple({"id": s, "name": theirs[rel][s]} for s in shared)))
        topics = theirs.get(Rel.TAGGED, {})
        said = sorted(t for t in topics if t in (named or {}))
        if said:
            reasons.append(Reason("named_topic", "Tagged with what the search names: "
                                  + ", ".join(topics[t] for t in said),
                                  tuple({"id": t, "name": topics[t]} for t in said)))
        both = set(mine.get(Rel.TAGGED, {})) if mine is not None else set()  # said already: "Both are tagged"
        if predicted and parts.get("topic", 0.0) > 0:
            likely = sorted((t for t in topics if t in predicted and t not in said and t not in both),
                            key=lambda t: (-predicted[t], t))[:3]
            if likely:
                reasons.append(Reason("predicted_topic", "Tagged with topics common among the closest matches: "
                                      + ", ".join(topics[t] for t in likely),
                                      tuple({"id": t, "name": topics[t]} for t in likely)))
        owner = None
        owned = theirs.get(Rel.OWNED_BY, {})
        if owned:
            owner_id = sorted(owned)[0]
            owner = {"id": owner_id, "name": owned[owner_id]}
            reasons.append(Reason("owner", f"Owned by {owner['name']}", ({"id": owner_id, "name": owner["name"]},)))
        return Recommendation(
            id=node.id,
            label=node.label.value,
            title=node.title,
            score=round(score, 4),
            parts=parts,
            reasons=reasons,
            owner=owner,
            status=node.props.get("status"),
        )
