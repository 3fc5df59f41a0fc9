"""Reuse candidates and the duplicate check for ideas: two uses of similar search with their own rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from graph.errors import NotFoundError, Problem, ValidationError
from graph.schema import Direction, Label, Node, Rel
from ingest.records import a_label
from recommend.similar import (
    HIDDEN_IDEA_STATUS,
    MAX_K,
    MAX_QUERY_CHARS,
    WEAK_MATCH,
    Recommender,
    item_query,
    query_text,
    unseen,
)
from recommend.types import Reason, Recommendation, SimilarResult

RESULTS_BONUS = 0.08  # added to the score of a completed initiative that recorded its results
SAME_NEED_BONUS = 0.12  # added, for an initiative's reuse, to one that addressed one of its needs
# Text-score threshold above which an existing idea or initiative is shown as a possible duplicate.
# Calibrated on three sets, each judged on our own split:
# - the demo data's planted duplicates and idea -> initiative links (recommend.reuse.calibrate_threshold,
#   tests/test_reuse.py): precision 1.00 at recall 0.82 (the same from 0.38 to 0.42);
# - real Tidstyver reports judged for "the same concrete problem" (bench/duplicates.py), among each
#   report's best five from other ministries: precision 1.00 at recall 0.39 (0.49 at 0.38);
# - real citizen proposals from Decide Madrid, in Spanish, judged for "the same proposal"
#   (bench/idea_duplicates.py), among each new idea's best five: precision 0.81 at recall 0.72. At 0.38
#   it was 0.64 / 0.75: proposals asking for the same thing at another street or park score alike.
DUPLICATE_THRESHOLD = 0.40
# Text-score threshold from which an existing initiative is shown as related existing work, up to the duplicate
# threshold: not claimed to be the same idea, but close enough to be worth a look. Measured as the precision of
# the related list (up to five, against "closely related or the same", counting unjudged ones as unrelated):
# - Decide Madrid proposals (bench/idea_duplicates.py): 0.61 at 0.30 (0.76 among the judged ones; 142
#   suggestions for 54 of 80 ideas, 27 unjudged), 0.55 at 0.28, 0.48 at 0.24, 0.43 at 0.22;
# - Tidstyver reports (bench/duplicates.py): 0.72 at 0.30, 0.68 at 0.28, 0.44 at 0.24, 0.34 at 0.22;
# - the demo's ideas: at 0.30 the three planted idea -> initiative pairs the duplicate check misses (0.33 to
#   0.38) are all listed, among seven suggestions; from 0.22 up to 0.30 most were unrelated.
RELATED_THRESHOLD = 0.30
# Initiatives that exist as work, which the related list shows (not those still at the idea stage).
RELATED_STATUS = ("completed", "ongoing", "planned", "stopped")


def reuse(recommender: Recommender, item_id: str, *, k: int = 10, pool: int = 60) -> SimilarResult:
    """Completed initiatives of other units or organisations that address a similar need.

    For a need, the initiatives that addressed that very need come first (however their text compares),
    then the rest by the similar search's score; for an initiative, sharing one of its needs (often broad
    ones) adds a bonus. Recorded results add a bonus. Others whose text barely matches
    (a text score under ``WEAK_MATCH``) are left out, and a note says how many. Each carries its
    reasons: what it achieved, the shared need, the matching terms, who completed it and when.
    """
    if not 1 <= k <= MAX_K:
        raise ValidationError([Problem("query", None, "k", f"k must be between 1 and {MAX_K}, got {k}")])
    store = recommender.store
    item = unseen(store.get(item_id))
    if item is None or item.label not in (Label.NEED, Label.INITIATIVE):
        what = f"no need or initiative with id '{item_id}'" if item is None else \
            f"'{item_id}' is {a_label(item.label)}, not a need or an initiative"
        raise NotFoundError(what)
    owners = {n.id: n.title for _, n in store.neighbours(item_id, Rel.OWNED_BY)}
    own = set(owners)
    needs = {item_id} if item.label == Label.NEED else {n.id for _, n in store.neighbours(item_id, Rel.ADDRESSES)}
    direct: set[str] = set()
    for need in needs:
        direct |= {n.id for _, n in store.neighbours(need, Rel.ADDRESSES, Direction.IN) if n.label == Label.INITIATIVE}
    direct.discard(item_id)

    text = item_query(item)
    base = recommender.similar_to_text(text, k=pool, labels=(Label.INITIATIVE,), exclude_ids={item_id},
                                       exclude_owners=own, include_ids=direct)
    weights = recommender.weights.for_text(text)
    ranked: list[tuple[bool, Recommendation]] = []
    weak = 0
    nodes = {n.id: n for n in store.get_many([r.id for r in base.items])}
    addressed = store.neighbours_many([r.id for r in base.items], Rel.ADDRESSES)  # one query, not one per item
    for rec in base.items:
        node = nodes.get(rec.id)
        if node is None or node.props.get("status") != "completed":
            continue
        shared = sorted(needs & {n.id for _, n in addressed.get(rec.id, ())})
        text_score = weights.dense * rec.parts.get("dense", 0.0) + weights.lexical * rec.parts.get("lexical", 0.0)
        if not shared and text_score < WEAK_MATCH:
            weak += 1
            continue
        score = rec.score
        tier = bool(shared) and item.label == Label.NEED
        if shared and not tier:
            score += SAME_NEED_BONUS
        reasons = [r for r in rec.reasons if r.kind != "owner"]
        owner = rec.owner or _owner(recommender, rec.id)
        results, completed = _finished_work(node, owner)
        if results:
            score += RESULTS_BONUS
            reasons.insert(0, results)
        if shared:
            names = {n.id: n.title for n in store.get_many(shared)}
            reasons.insert(0, Reason("need", "Addresses the same need: " + ", ".join(names.values()),
                                     tuple({"id": s, "name": names[s]} for s in shared)))
        if completed:
            reasons.append(completed)
        parts = {**rec.parts, "results_bonus": RESULTS_BONUS if results else 0.0,
                 "same_need_bonus": SAME_NEED_BONUS if shared and not tier else 0.0}
        ranked.append((tier, Recommendation(rec.id, node.label.value, node.title, round(score, 4), parts,
                                                    reasons, owner, "completed")))
    ranked.sort(key=lambda t: (not t[0], -t[1].score, t[1].id))
    excluded = None
    if own:
        first = sorted(own)[0]
        excluded = {"id": first, "name": owners[first]}
        notes = [f"only completed initiatives of other units than {owners[first]} are shown"]
    else:
        notes = ["only completed initiatives are shown"]
    if item.label == Label.NEED:
        notes.append("those that addressed this need come first")
    notes += base.notes
    if weak:
        notes.append(f"{weak} completed initiative(s) whose text barely matches (a text score under "
                     f"{WEAK_MATCH:.2f}) were left out")
    return SimilarResult(query=item.title, query_id=item.id, items=[r for _, r in ranked[:k]], cross_silo=bool(own),
                         excluded_owner=excluded, notes=notes)


def check_idea(
    recommender: Recommender,
    text: str,
    *,
    k: int = 5,
    threshold: float = DUPLICATE_THRESHOLD,
    exclude_ids: Sequence[str] = (),
) -> SimilarResult:
    """Existing ideas and initiatives that may already cover ``text``: those above the threshold.

    Hidden and merged ideas are never shown, nor the ids in ``exclude_ids`` (the idea itself).
    """
    return check_idea_and_related(recommender, text, k=k, threshold=threshold, exclude_ids=exclude_ids,
                                  related_k=0).duplicates


@dataclass
class IdeaCheck:
    """The duplicate check's two lists: possible duplicates, and related existing work below their threshold."""

    duplicates: SimilarResult
    related: SimilarResult


def check_idea_and_related(
    recommender: Recommender,
    text: str,
    *,
    k: int = 5,
    threshold: float = DUPLICATE_THRESHOLD,
    related_threshold: float = RELATED_THRESHOLD,
    related_k: int | None = None,
    exclude_ids: Sequence[str] = (),
    related_labels: tuple[Label, ...] = (Label.INITIATIVE,),
) -> IdeaCheck:
    """Possible duplicates of ``text`` (as :func:`check_idea`) and, apart from them, related existing work.

    The related list holds up to ``related_k`` (default ``k``) items whose text score is at least
    ``related_threshold`` and under ``threshold``: close enough to be worth a look, not claimed to be the
    same idea. By default only initiatives that exist as work (planned, ongoing, completed or stopped; not
    those still at the idea stage) are related work: other people's ideas that are not duplicates are
    proposals, not something that already exists, and an adopted idea's work is its initiative. A completed
    one says who completed it and when, and its recorded results. Both lists leave out hidden and merged
    ideas and the ids in ``exclude_ids`` (the idea itself). ``related_labels`` other than initiatives is for
    the benchmark that measures the same rule on a data set of ideas only (bench/idea_duplicates.py).
    """
    text = query_text(text, where="idea", field="text")
    if not text:
        raise ValidationError([Problem("idea", None, "text", "the idea text is empty")])
    if len(text) > MAX_QUERY_CHARS:
        raise ValidationError([Problem("idea", None, "text", f"at most {MAX_QUERY_CHARS} characters")])
    related_k = k if related_k is None else related_k
    if not set(related_labels) <= {Label.IDEA, Label.INITIATIVE}:
        raise ValueError(f"related items are ideas or initiatives, not {related_labels}")
    # scores are absolute (text only), so a longer list changes none of them: enough to fill both lists
    result = recommender.similar_to_text(text, k=max(k + 3 * related_k, 10), labels=(Label.IDEA, Label.INITIATIVE),
                                         exclude_ids=set(exclude_ids), use_topics=False)
    found = [r for r in result.items if r.status not in HIDDEN_IDEA_STATUS]
    duplicates = SimilarResult(query=result.query, query_id=result.query_id,
                               items=[r for r in found if r.score >= threshold][:k],
                               cross_silo=result.cross_silo, excluded_owner=result.excluded_owner,
                               notes=[*result.notes, f"shown when the score is at least {threshold:.2f}"])
    wanted = {label.value for label in related_labels}
    near = [r for r in found if related_threshold <= r.score < threshold and r.label in wanted
            and not (r.label == Label.INITIATIVE.value and r.status not in RELATED_STATUS)][:related_k]
    related = SimilarResult(query=result.query, query_id=result.query_id, items=_with_status(recommender, near),
                            notes=[f"related existing work: {_names(related_labels)} with a score from "
                                   f"{related_threshold:.2f} up to {threshold:.2f}, not claimed to be duplicates"])
    return IdeaCheck(duplicates, related)


def _names(labels: tuple[Label, ...]) -> str:
    if labels == (Label.INITIATIVE,):
        return "initiatives under way or done (" + ", ".join(RELATED_STATUS) + ")"
    return " and ".join(label.value.lower() + "s" for label in labels)


def _with_status(recommender: Recommender, items: list[Recommendation]) -> list[Recommendation]:
    """Related items with what a submitter wants to know of finished work: who completed it, when, and with what."""
    nodes = {n.id: n for n in recommender.store.get_many([r.id for r in items if r.status == "completed"])}
    for rec in items:
        node = nodes.get(rec.id)
        if node is None:
            continue
        results, completed = _finished_work(node, rec.owner or _owner(recommender, rec.id))
        if results:
            rec.reasons.insert(0, results)
        if completed:
            rec.reasons.append(completed)
    return items


def _finished_work(node: Node, owner: dict[str, str] | None) -> tuple[Reason | None, Reason | None]:
    """A completed initiative's "results" reason (None without recorded results) and its "completed" reason
    (who completed it and when; None without an owner), as reuse and the related list both give them.

    The results reason's one item holds the shortened results under ``results``, so that a client shows them
    without taking the sentence apart (the sentence is translated on the web pages).
    """
    results = None
    if node.props.get("results"):
        said = _shorten(node.props["results"])
        results = Reason("results", "Recorded results: " + said, ({"results": said},))
    completed = None
    if owner:
        when = node.props.get("end_date")
        completed = Reason("completed", f"Completed by {owner['name']}" + (f" ({when})" if when else ""),
                           ({"id": owner["id"], "name": owner["name"]},))
    return results, completed


@dataclass(frozen=True)
class Calibration:
    threshold: float
    precision: float
    recall: float


def calibrate_threshold(scored: Sequence[tuple[float, bool]], min_precision: float = 0.9) -> Calibration:
    """The lowest threshold whose precision is at least ``min_precision`` (most recall at that precision).

    >>> calibrate_threshold([(0.9, True), (0.8, True), (0.7, False), (0.6, True)], 0.9).threshold
    0.8
    """
    positives = sum(1 for _, y in scored if y)
    best = Calibration(float("inf"), 1.0, 0.0)
    tp = fp = 0
    for score, label in sorted(scored, key=lambda t: -t[0]):
        tp, fp = tp + label, fp + (not label)
        precision = tp / (tp + fp)
        if precision >= min_precision and positives:
            best = Calibration(score, precision, tp / positives)
    return best


def precision_recall(scored: Sequence[tuple[float, bool]], threshold: float) -> tuple[float, float]:
    """Precision and recall of "score >= threshold" on labelled scores."""
    flagged = [y for s, y in scored if s >= threshold]
    positives = sum(1 for _, y in scored if y)
    precision = sum(flagged) / len(flagged) if flagged else 1.0
    recall = sum(flagged) / positives if positives else 0.0
    return precision, recall


def _owner(recommender: Recommender, item_id: str) -> dict[str, str] | None:
    for _, n in recommender.store.neighbours(item_id, Rel.OWNED_BY):
        return {"id": n.id, "name": n.title}
    return None


def _shorten(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"

