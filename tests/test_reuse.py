"""Reuse candidates and the duplicate check for ideas, on the demo data with the real model."""

from __future__ import annotations

import json

import pytest

from graph.embedded import EmbeddedGraphStore
from graph.schema import Direction, Label, Node, Rel, node_text
from ingest.embedder import SentenceTransformerEmbedder
from recommend.reuse import (
    DUPLICATE_THRESHOLD,
    RELATED_STATUS,
    RELATED_THRESHOLD,
    calibrate_threshold,
    check_idea,
    check_idea_and_related,
    precision_recall,
    reuse,
)
from recommend.similar import Recommender
from tests.conftest import TEST_DATA

pytestmark = pytest.mark.slow
PAIRS = json.loads((TEST_DATA / "demo_near_duplicates.json").read_text(encoding="utf-8"))
# how a citizen might describe ini-001 (digital night surveillance, completed in 2021) without knowing of it
CITIZEN_NIGHT_VISITS = ("Nattbesøk\nMin mor på 86 blir vekket hver natt av at hjemmesykepleien låser seg inn for å "
                        "se til henne. Kan dere ikke bruke en sensor eller et kamera i stedet, så hun får sove?")


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


def test_a_citizens_description_of_completed_work_lists_it_as_related(rec: Recommender) -> None:
    """A citizen who describes, in plain words, an initiative the municipality already completed is shown it as
    related existing work (not as a duplicate), with who completed it, when and with what results."""
    found = check_idea_and_related(rec, CITIZEN_NIGHT_VISITS)
    assert "ini-001" not in [i.id for i in found.duplicates.items]
    related = {i.id: i for i in found.related.items}
    assert "ini-001" in related, [(i.id, i.score) for i in found.related.items]
    done = related["ini-001"]
    assert done.status == "completed" and RELATED_THRESHOLD <= done.score < DUPLICATE_THRESHOLD
    kinds = {r.kind: r.text for r in done.reasons}
    assert kinds["completed"].startswith("Completed by ") and "2021-06-30" in kinds["completed"]
    assert kinds["results"].startswith("Recorded results: Ved prosjektslutt hadde 140")
    assert any("not claimed to be duplicates" in note for note in found.related.notes)


def test_the_results_reason_carries_the_recorded_results_as_its_item(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """The results reason of a completed demo initiative holds its recorded results as an item (shortened as
    the sentence quotes them), so that a client shows them without taking the sentence apart."""
    done = {i.id: i for i in check_idea_and_related(rec, CITIZEN_NIGHT_VISITS).related.items}["ini-001"]
    (reason,) = [r for r in done.reasons if r.kind == "results"]
    (item,) = reason.items
    recorded = " ".join(demo_store.get("ini-001").props["results"].split())
    assert set(item) == {"results"} and item["results"].startswith("Ved prosjektslutt hadde 140")
    assert item["results"].endswith(" …") and recorded.startswith(item["results"].removesuffix(" …"))
    assert len(item["results"]) <= 160 and reason.text == "Recorded results: " + item["results"]


def test_the_related_list_holds_only_existing_work_between_the_thresholds(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """Every related suggestion for every demo idea is an initiative under way or done, scoring from the related
    threshold up to (not reaching) the duplicate threshold, never one of the duplicates, never the idea itself."""
    seen = 0
    for idea in demo_store.iter_nodes(Label.IDEA):
        found = check_idea_and_related(rec, node_text(idea), exclude_ids=[idea.id], k=3)
        assert len(found.related.items) <= 3
        assert not {i.id for i in found.related.items} & {i.id for i in found.duplicates.items}
        for item in found.related.items:
            seen += 1
            assert item.label == "Initiative" and item.status in RELATED_STATUS and item.id != idea.id
            assert demo_store.get(item.id).props["status"] == item.status
            assert RELATED_THRESHOLD <= item.score < DUPLICATE_THRESHOLD
    assert seen >= 5


def test_the_related_list_finds_the_planted_initiatives_the_duplicate_check_misses(rec: Recommender) -> None:
    """Each demo idea whose planted or recorded initiative (BECAME) scores under the duplicate threshold still
    gets that initiative, as related existing work: nobody is left thinking it was never done."""
    store = rec.store
    pairs = {(p["a"], p["b"]) for p in PAIRS["idea_initiative_pairs"]}
    pairs |= {(e.src, e.dst) for e in store.iter_edges() if e.rel == Rel.BECAME}
    below = 0
    for idea_id, initiative in sorted(pairs):
        found = check_idea_and_related(rec, node_text(store.get(idea_id)), exclude_ids=[idea_id])
        if initiative not in [i.id for i in found.duplicates.items]:
            below += 1
            assert initiative in [i.id for i in found.related.items], (idea_id, initiative)
    assert below >= 3  # the demo has pairs under the duplicate threshold: this checks something


def test_the_related_list_never_shows_hidden_or_merged_ideas_or_the_idea_itself(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """Asked to list ideas too and from a score of 0, the related list still leaves out hidden and merged ideas
    and the idea being checked, as the duplicates do; an excluded initiative stays out as well."""
    pair = PAIRS["idea_pairs"][0]
    original = demo_store.get(pair["b"])
    demo_store.upsert([Node(original.id, original.label, {**original.props, "status": "hidden"},
                            original.embedding, original.model, original.text_hash)])
    found = check_idea_and_related(rec, node_text(demo_store.get(pair["a"])), exclude_ids=[pair["a"], "ini-001"],
                                   related_threshold=0.0, related_k=50, related_labels=(Label.IDEA, Label.INITIATIVE))
    ids = {i.id for i in found.related.items}
    assert any(i.startswith("idea-") for i in ids)  # ideas were asked for and are there
    merged = {n.id for n in demo_store.iter_nodes(Label.IDEA) if n.props.get("status") in ("merged", "hidden")}
    assert pair["b"] in merged and not merged & ids
    assert pair["a"] not in ids and "ini-001" not in ids


def test_an_initiative_still_at_the_idea_stage_is_not_listed_as_existing_work(
    rec: Recommender, demo_store: EmbeddedGraphStore
) -> None:
    """The related list says what already exists: ini-001 set back to the idea stage leaves it, and set to ongoing
    it comes back saying it is ongoing (and without the completed reason)."""
    node = demo_store.get("ini-001")
    for status, listed in (("idea", False), ("ongoing", True)):
        demo_store.upsert([Node(node.id, node.label, {**node.props, "status": status}, node.embedding, node.model,
                                node.text_hash)])
        related = {i.id: i for i in check_idea_and_related(rec, CITIZEN_NIGHT_VISITS).related.items}
        assert ("ini-001" in related) is listed, status
        if listed:
            assert related["ini-001"].status == "ongoing"
            assert "completed" not in {r.kind for r in related["ini-001"].reasons}


def test_unrelated_text_gives_no_related_work(rec: Recommender) -> None:
    """A text about nothing in the data set lists no related work either."""
    assert check_idea_and_related(rec, "Kvartalsrapport om renteswapper i pensjonsfondet").related.items == []


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
                (said,) = [ref["results"] for ref in reason.items]
                assert " ".join(node.props["results"].split()).startswith(said.removesuffix(" …"))
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
