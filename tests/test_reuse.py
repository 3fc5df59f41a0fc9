"""Reuse candidates and the duplicate check for ideas, on the demo data with the real model."""

from __future__ import annotations

import json

import pytest

from graph.embedded import EmbeddedGraphStore
from graph.schema import Direction, Label, Node, Rel, node_text
from ingest.embedder import SentenceTransformerEmbedder
from recommend.reuse import DUPLICATE_THRESHOLD, calibrate_threshold, check_idea, precision_recall, reuse
from recommend.similar import Recommender
from tests.conftest import TEST_DATA

pytestmark = pytest.mark.slow
PAIRS = json.loads((TEST_DATA / "demo_near_duplicates.json").read_text(encoding="utf-8"))


@pytest.fixture
def rec(demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder) -> Recommender:
    return Recommender(demo_store, real_embedder)


def _labelled_scores(rec: Recommender) -> list[tuple[float, bool]]:
    """Top-5 candidates of every demo idea, labelled by the planted pairs and BECAME/DUPLICATE_OF links."""
    store = rec.store
    positive = {(p["a"], p["b"]) for p in PAIRS["idea_initiative_pairs"] + PAIRS["idea_pairs"]}
    positive |= {(e.src, e.dst) for e in store.iter_edges() if e.rel in (Rel.BECAME, Rel.DUPLICATE_OF)}
    positive |= {(b, a) for a, b in positive}
    scored = []
    for idea in store.iter_nodes(Label.IDEA):
        result = rec.similar_to_text(node_text(idea), k=5, labels=(Label.IDEA, Label.INITIATIVE),
                                     exclude_ids={idea.id}, use_topics=False)
        scored += [(item.score, (idea.id, item.id) in positive) for item in result.items]
    return scored


def test_duplicate_threshold_is_precise_on_the_demo_ideas(rec: Recommender) -> None:
    """At the shipped threshold, flagged duplicates are nearly all real (precision >= 0.85, recall >= 0.6)."""
    scored = _labelled_scores(rec)
    precision, recall = precision_recall(scored, DUPLICATE_THRESHOLD)
    print(f"duplicate check at {DUPLICATE_THRESHOLD}: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.85 and recall >= 0.6
    calibrated = calibrate_threshold(scored, min_precision=0.9)
    assert abs(calibrated.threshold - DUPLICATE_THRESHOLD) < 0.1


def test_check_idea_finds_the_existing_initiative(rec: Recommender) -> None:
    """A new idea that repeats an existing initiative gets it back as a possible duplicate."""
    pair = PAIRS["idea_initiative_pairs"][0]
    text = node_text(rec.store.get(pair["a"]))
    result = check_idea(rec, text, exclude_ids=[pair["a"]])
    assert pair["b"] in [i.id for i in result.items]
    assert all(i.score >= DUPLICATE_THRESHOLD for i in result.items)


def test_check_idea_never_shows_hidden_merged_or_itself(rec: Recommender, demo_store: EmbeddedGraphStore) -> None:
    """Hidden and merged ideas, and the idea being checked, never appear among the duplicates."""
    pair = PAIRS["idea_pairs"][0]
    original = demo_store.get(pair["b"])
    demo_store.upsert([Node(original.id, original.label, {**original.props, "status": "hidden"},
                            original.embedding, original.model, original.text_hash)])
    text = node_text(demo_store.get(pair["a"]))
    ids = [i.id for i in check_idea(rec, text, exclude_ids=[pair["a"]], threshold=0.0, k=50).items]
    assert pair["b"] not in ids and pair["a"] not in ids
    merged = {n.id for n in demo_store.iter_nodes(Label.IDEA) if n.props.get("status") == "merged"}
    assert not merged & set(ids)


def test_unrelated_text_gives_no_duplicates(rec: Recommender) -> None:
    """A text about nothing in the data set raises no false alarm."""
    assert check_idea(rec, "Kvartalsrapport om renteswapper i pensjonsfondet").items == []


def test_reuse_offers_completed_work_of_other_units_with_results_first(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """Reuse candidates are completed, never the asking unit's own, and carry true reasons."""
    query = next(n.id for n in demo_store.iter_nodes(Label.INITIATIVE)
                 if any(True for _ in demo_store.neighbours(n.id, Rel.ADDRESSES)))
    own = {n.id for _, n in demo_store.neighbours(query, Rel.OWNED_BY)}
    result = reuse(rec, query, k=10)
    assert result.items
    for item in result.items:
        node = demo_store.get(item.id)
        assert node.props["status"] == "completed" and item.id != query
        assert not own & {n.id for _, n in demo_store.neighbours(item.id, Rel.OWNED_BY)}
        for reason in item.reasons:
            if reason.kind == "results":
                assert node.props.get("results")
            if reason.kind == "need":
                linked = {n.id for _, n in demo_store.neighbours(item.id, Rel.ADDRESSES)}
                assert {ref["id"] for ref in reason.items} <= linked


def test_reuse_for_a_need_finds_initiatives_that_addressed_it(rec: Recommender, demo_store: EmbeddedGraphStore) -> None:
    """For a need, completed initiatives addressing that very need come with the shared-need reason."""
    for need in demo_store.iter_nodes(Label.NEED):
        done = [n for _, n in demo_store.neighbours(need.id, Rel.ADDRESSES, Direction.IN)
                if n.props.get("status") == "completed"]
        if done:
            result = reuse(rec, need.id, k=20)
            ids = [i.id for i in result.items]
            assert done[0].id in ids
            item = result.items[ids.index(done[0].id)]
            assert any(r.kind == "need" for r in item.reasons)
            return
    pytest.fail("the demo data has no need addressed by a completed initiative")


def test_reuse_for_a_need_puts_the_initiatives_that_addressed_it_first(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """Asking for a need's reuse candidates, every completed initiative that addressed that very need
    comes before those that only resemble it, each scored by its text like the rest (not a made-up 0)."""
    checked = 0
    for need in demo_store.iter_nodes(Label.NEED):
        done = {n.id for _, n in demo_store.neighbours(need.id, Rel.ADDRESSES, Direction.IN)
                if n.label == Label.INITIATIVE and n.props.get("status") == "completed"}
        if not done:
            continue
        ids = [i.id for i in reuse(rec, need.id, k=100).items]
        assert set(ids[: len(done)]) == done, need.id
        for item in reuse(rec, need.id, k=len(done)).items:  # scored like the rest: the parts add up
            parts = item.parts
            assert parts["dense"] > 0 and item.score > 0
            assert item.score == pytest.approx(sum(parts.get(p, 0.0) for p in (
                "text", "topic", "named_topic", "results_bonus", "same_need_bonus")), abs=1e-3)
        checked += 1
    assert checked >= 3


def test_reuse_for_an_initiative_names_the_unit_it_left_out(rec: Recommender, demo_store: EmbeddedGraphStore) -> None:
    """The answer says whose initiatives were left out (the asking initiative's unit), as similar does."""
    result = reuse(rec, "ini-001", k=5)
    owner = next(n for _, n in demo_store.neighbours("ini-001", Rel.OWNED_BY))
    assert result.excluded_owner == {"id": owner.id, "name": owner.title}
    assert any(owner.title in note for note in result.notes)


def test_reuse_of_an_item_of_another_kind_says_what_it_is(rec: Recommender) -> None:
    """Asking reuse for an idea or an organisation names what the id is, not just 'not found'."""
    from graph.errors import NotFoundError

    with pytest.raises(NotFoundError, match="'idea-001' is an idea, not a need or an initiative"):
        reuse(rec, "idea-001")
    with pytest.raises(NotFoundError, match="no need or initiative with id 'nope'"):
        reuse(rec, "nope")
