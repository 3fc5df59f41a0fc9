"""Partner recommendations on the demo data with the real model: every suggestion has reasons, and every
reason is true in the graph."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from graph.embedded import EmbeddedGraphStore
from graph.schema import Direction, Label, Rel, node_text
from ingest.embedder import SentenceTransformerEmbedder
from recommend.partners import (
    MIN_TRAINING,
    MODEL_META_KEY,
    RESEMBLES,
    SIMILAR_POOL,
    PartnerModel,
    PartnerQuery,
    PartnerRecommender,
    fit_partner_model,
    learn_and_store,
)
from recommend.similar import WEAK_NOTE, Recommender

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_store(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedGraphStore]:
    """One copy of the demo store for this module's tests, which only read it (the weights are learned once)."""
    path = tmp_path_factory.mktemp("partners") / "kominn.sqlite"
    shutil.copy(demo_db, path)
    with EmbeddedGraphStore(path) as s:
        yield s


@pytest.fixture(scope="module", params=["prior", "learned"])
def partners(request: pytest.FixtureRequest, demo_store: EmbeddedGraphStore,
             real_embedder: SentenceTransformerEmbedder) -> PartnerRecommender:
    """The partner recommender as `kominn serve` runs it on the demo (prior weights: too few initiatives to
    learn from), and with weights learned from the demo all the same."""
    rec = Recommender(demo_store, real_embedder)
    if request.param == "prior":
        return PartnerRecommender(demo_store, rec, PartnerModel.default())
    return PartnerRecommender(demo_store, rec, fit_partner_model(PartnerRecommender(demo_store, rec), min_queries=10))


def test_a_store_as_small_as_the_demo_keeps_the_prior_weights(demo_store: EmbeddedGraphStore,
                                                             real_embedder: SentenceTransformerEmbedder) -> None:
    """With fewer initiatives than MIN_TRAINING nothing is learned or stored (the prior weights did better on
    small CORDIS samples), and the model says how many initiatives it found."""
    model = learn_and_store(demo_store, Recommender(demo_store, real_embedder))
    assert model.trained_on == 0 and 10 < model.usable < MIN_TRAINING
    assert model.coef == PartnerModel.default().coef and demo_store.get_meta(MODEL_META_KEY) is None


def _involved(store: EmbeddedGraphStore, initiative: str) -> set[str]:
    """The members of an initiative: its partners and its owner."""
    return {n.id for _, n in store.neighbours(initiative, Rel.INVOLVES, Direction.OUT)} | \
        {n.id for _, n in store.neighbours(initiative, Rel.OWNED_BY)}


def _initiatives_of(store: EmbeddedGraphStore, org: str) -> set[str]:
    return {n.id for _, n in store.neighbours(org, Rel.INVOLVES, Direction.IN)} | \
        {n.id for _, n in store.neighbours(org, Rel.OWNED_BY, Direction.IN) if n.label == Label.INITIATIVE}


def _known(store: EmbeddedGraphStore, initiative: str) -> set[str]:
    return _involved(store, initiative)


def test_every_partner_suggestion_has_reasons_and_every_reason_is_true(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """"Worked with your partners on A", "Partner in B, which resembles this", "Active on the same topic"
    and "In your partners' network: X (on C)" each hold in the graph, for the ten best partners of every
    fourth demo initiative; no suggestion comes without a reason, and none is the owner or a present partner."""
    initiatives = sorted(n.id for n in demo_store.iter_nodes(Label.INITIATIVE))[::4]
    checked = {"partner": 0, "similar": 0, "topic": 0, "network": 0}
    for ini in initiatives:
        known = _known(demo_store, ini)
        for item in partners.partners(ini, k=10):
            assert item.id not in known
            assert item.reasons, f"{item.id} suggested for {ini} without a reason"
            for reason in item.reasons:
                refs = reason.items
                if reason.kind == "partner":  # shared initiatives with a known partner, not this one, each once
                    assert len({ref["id"] for ref in refs}) == len(refs), reason.text
                    for ref in refs:
                        assert ref["id"] != ini
                        assert item.id in _involved(demo_store, ref["id"])
                        assert _involved(demo_store, ref["id"]) & known
                elif reason.kind == "similar":  # a partner in each initiative named
                    for ref in refs:
                        assert ref["id"] != ini and item.id in _involved(demo_store, ref["id"])
                elif reason.kind == "topic":  # a partner in an initiative tagged with each topic named
                    for ref in refs:
                        tagged = {n.id for _, n in demo_store.neighbours(ref["id"], Rel.TAGGED, Direction.IN)}
                        assert tagged & _initiatives_of(demo_store, item.id)
                elif reason.kind == "network":  # worked with X on C, and X worked with a known partner
                    for ref in refs:
                        assert {item.id, ref["with"]} <= _involved(demo_store, ref["id"])
                        theirs = _initiatives_of(demo_store, ref["with"])
                        assert any(_involved(demo_store, other) & known for other in theirs - {ini})
                else:
                    pytest.fail(f"unexpected reason kind {reason.kind}")
                checked[reason.kind] += len(refs)
    assert all(n > 0 for n in checked.values()), checked


def test_partners_for_a_description_filter_by_kind_and_skip_the_known(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """Free text with a known partner: that partner is never suggested, and a kind filter keeps only that kind."""
    found = partners.partners("Biogass fra matavfall til kommunens busser", known=["org-vikstrand-energi"], k=8,
                              kinds=["business"])
    assert found and all(demo_store.get(r.id).props["kind"] == "business" for r in found)  # type: ignore[union-attr]
    assert "org-vikstrand-energi" not in {r.id for r in found}
    assert all(0.0 <= r.score <= 1.0 for r in found)
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


def test_the_owning_unit_counts_as_a_partner_and_units_can_be_suggested(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """A unit owns its initiatives without an INVOLVES edge: naming it as the known partner of a description
    brings in the partners of its own initiatives, and an internal unit that runs similar work can be
    suggested (the design names units as partners too)."""
    text = "Velferdsteknologi for hjemmeboende eldre"
    with_unit = partners.partners(text, known=["unit-helse"], k=10)
    without = partners.partners(text, k=10)
    assert not any(x.kind == "partner" for r in without for x in r.reasons)  # no partners known, none worked with
    worked = [r for r in with_unit if any(x.kind == "partner" for x in r.reasons)]
    assert worked, "no suggestion says it worked with the unit's initiatives"
    own = _initiatives_of(demo_store, "unit-helse")
    for r in worked:
        refs = next(x for x in r.reasons if x.kind == "partner").items
        assert {ref["id"] for ref in refs} <= own
    units = partners.partners("ini-001", k=5, kinds=["unit"])
    assert units and all(demo_store.get(u.id).props["kind"] == "unit" for u in units)  # type: ignore[union-attr]


def test_prior_weight_scores_are_relative_to_the_best_candidate(demo_store: EmbeddedGraphStore,
                                                                 real_embedder: SentenceTransformerEmbedder) -> None:
    """Without a learned model the scores say how each candidate compares with the best one (which scores 1),
    instead of all sitting near 1."""
    prior = PartnerRecommender(demo_store, Recommender(demo_store, real_embedder), PartnerModel.default())
    found = prior.partners("ini-044", k=10)
    assert found[0].score == 1.0 and found[-1].score < 0.9


def test_a_running_recommender_picks_up_newly_learned_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A service's partner recommender uses the weights `kominn learn-partners` keeps in the store once they
    are there, without a restart (it looks again every few seconds); weights given to it stay."""
    import recommend.partners as partners_module
    from recommend.partners import FEATURES, MODEL_META_KEY, PartnerModel, PartnerRecommender

    store = EmbeddedGraphStore(tmp_path / "s.sqlite")
    store.open()
    rec = PartnerRecommender(store, None)  # type: ignore[arg-type]  # only the model is asked for
    assert rec.model.trained_on == 0  # the prior weights
    learned = PartnerModel([0.0] * len(FEATURES), [1.0] * len(FEATURES), [0.5] * len(FEATURES), 0.1, 400)
    store.set_meta(MODEL_META_KEY, learned.to_json())
    monkeypatch.setattr(partners_module, "MODEL_RECHECK_S", 0.0)
    assert rec.model.trained_on == 400 and rec.model.coef == [0.5] * len(FEATURES)
    given = PartnerRecommender(store, None, PartnerModel.default())  # type: ignore[arg-type]
    assert given.model.trained_on == 0
    store.close()


def _demo_queries(store: EmbeddedGraphStore) -> list[str]:
    """Every fourth demo initiative and ini-001 (whose review found the wording faults)."""
    every_fourth = sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))[::4]
    return every_fourth if "ini-001" in every_fourth else ["ini-001", *every_fourth]


def _claimed_roles(text: str, refs: Iterable[dict[str, str]]) -> dict[str, str]:
    """For each initiative a reason's text names, the membership the text claims for it: "partner" where the
    nearest phrase before its name is "partner in", "owner" where it is "owner of"."""
    out = {}
    for ref in refs:
        at = text.find(ref["name"])
        if at < 0:  # given in the items only
            continue
        before = text[:at].lower()
        claims = {"partner": before.rfind("partner in "), "owner": before.rfind("owner of ")}
        role = max(claims, key=lambda r: claims[r])
        if claims[role] >= 0:
            out[ref["id"]] = role
    return out


def test_a_similar_reason_says_whether_the_organisation_owns_or_is_a_partner_in_each_initiative(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """"Partner in X" is said only where the organisation is a partner in X (an INVOLVES link) and "Owner of X"
    only where it owns X, so a unit is never called a partner in its own initiatives."""
    said: Counter[str] = Counter()
    for ini in _demo_queries(demo_store):  # units too, which own the initiatives they are members of
        for item in [*partners.partners(ini, k=10), *partners.partners(ini, k=5, kinds=["unit"])]:
            for reason in (r for r in item.reasons if r.kind == "similar"):
                claimed = _claimed_roles(reason.text, reason.items)
                assert claimed, reason.text
                # the text's claims, then the items' "role" (the items the text leaves out too)
                for ref_id, role in [*claimed.items(), *((ref["id"], ref.get("role")) for ref in reason.items)]:
                    rel = Rel.INVOLVES if role == "partner" else Rel.OWNED_BY
                    members = {n.id for _, n in demo_store.neighbours(ref_id, rel, Direction.OUT)}
                    assert item.id in members, f"{ini}: {item.id} is not {rel.value} {ref_id}: {reason.text}"
                for ref in reason.items:
                    assert ref["id"] not in claimed or ref["role"] == claimed[ref["id"]], (ref, reason.text)
                    said[ref["role"]] += 1
    assert said["partner"] and said["owner"], said


def test_only_initiatives_close_to_the_query_are_said_to_resemble_it(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """"Which resemble(s) this" names only initiatives that the similar search behind the suggestions finds
    close to the query (a score of at least RESEMBLES, on a search that matched something closely), also for a
    mistyped id searched as text; the others are only said to be "among the initiatives nearest to this", and
    are among them."""
    queries = [(ini, node_text(demo_store.get(ini)), {ini}) for ini in _demo_queries(demo_store)]  # type: ignore[arg-type]
    checked = Counter[str]()
    for query, text, skip in [*queries, ("ini-999", "ini-999", set())]:
        found = partners.recommender.similar_to_text(text, k=SIMILAR_POOL, labels=(Label.INITIATIVE,),
                                                     exclude_ids=skip)
        weak = any(n.startswith(WEAK_NOTE) for n in found.notes)
        scores = {r.id: r.score for r in found.items}
        for item in partners.partners(query, k=10):
            for reason in (r for r in item.reasons if r.kind == "similar"):
                if reason.text.endswith(("which resembles this", "which resemble this")):
                    assert not weak, f"{query}: nothing matches closely, yet: {reason.text}"
                    for ref in reason.items:
                        assert scores[ref["id"]] >= RESEMBLES, f"{query}: {ref['id']} ({scores[ref['id']]:.2f}) " \
                                                               f"is said to resemble it: {reason.text}"
                    checked["resembles"] += 1
                else:
                    assert reason.text.endswith("among the initiatives nearest to this"), reason.text
                    assert all(ref["id"] in scores for ref in reason.items)
                    checked["nearest"] += 1
    assert checked["resembles"] and checked["nearest"], checked


def test_a_suggestion_is_marked_loose_exactly_when_being_near_is_all_it_has(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """A suggestion is marked loose when, and only when, its only reason is being in initiatives "among the
    nearest" to the query: the biogas company that took part in the biogas initiatives is not, a software firm
    that only took part in nearby initiatives is, and no suggestion with a shared partner, topic or network is."""
    checked = Counter[str]()
    for query in [*_demo_queries(demo_store), "Biogass fra matavfall til kommunens busser"]:
        for item in partners.partners(query, k=10):
            kinds = {r.kind for r in item.reasons}
            resembles = any(r.text.endswith(("which resembles this", "which resemble this"))
                            for r in item.reasons if r.kind == "similar")
            assert item.loose == (kinds == {"similar"} and not resembles), (query, item.id, item.reasons)
            checked["loose" if item.loose else "grounded"] += 1
    assert checked["loose"] and checked["grounded"], checked
    found = {r.id: r for r in partners.partners("Biogass fra matavfall til kommunens busser", k=11,
                                                kinds=["business"])}
    assert not found["org-nordvest-biogass"].loose
    assert found["org-kodeverket"].loose


def test_a_similar_reason_gives_the_search_score_and_a_true_similarity(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """Each initiative a similar reason names carries the similar search's score (0 to 3) as "score" and, as
    "similarity", the embedding similarity of its text to the query's (a cosine, at most 1) rather than the
    search score under that name."""
    for ini in _demo_queries(demo_store)[:8]:
        text = node_text(demo_store.get(ini))  # type: ignore[arg-type]
        found = partners.recommender.similar_to_text(text, k=SIMILAR_POOL, labels=(Label.INITIATIVE,),
                                                     exclude_ids={ini})
        scores = {r.id: r.score for r in found.items}
        vec = partners.recommender.embedder.encode([text], kind="query")[0]
        for item in partners.partners(ini, k=10):
            for ref in (ref for r in item.reasons if r.kind == "similar" for ref in r.items):
                other = demo_store.get(ref["id"])
                assert other is not None and other.embedding is not None
                cosine = float(other.embedding @ vec / (np.linalg.norm(other.embedding) * np.linalg.norm(vec)))
                assert float(ref["similarity"]) == pytest.approx(max(cosine, 0.0), abs=0.006), ref
                assert float(ref["score"]) == pytest.approx(scores[ref["id"]], abs=0.006), ref


def test_a_network_reason_names_each_organisation_once(
    partners: PartnerRecommender, demo_store: EmbeddedGraphStore
) -> None:
    """"In your partners' network" names each organisation that links the suggestion once, with every
    initiative it shares with it, instead of repeating its name for each shared initiative."""
    repeated = 0
    for ini in sorted(n.id for n in demo_store.iter_nodes(Label.INITIATIVE)):
        for item in partners.partners(ini, k=10):
            for reason in (r for r in item.reasons if r.kind == "network"):
                via = Counter(ref["with"] for ref in reason.items)
                repeated += any(n > 1 for n in via.values())
                for ref in reason.items:
                    named = reason.text.count(f"{ref['with_name']} (on ")
                    assert named <= 1, f"{ini}: {item.id}: {reason.text}"
                    if named:  # all its shared initiatives are said, after its name and before the next one's
                        after = reason.text.split(f"{ref['with_name']} (on ", 1)[1]
                        for other in {r["with_name"] for r in reason.items} - {ref["with_name"]}:
                            after = after.split(f"), {other} (on ", 1)[0]
                        assert ref["name"] in after, reason.text
    assert repeated, "no network reason links a suggestion through one organisation twice"


def test_the_norwegian_pages_say_owner_of_and_partner_in() -> None:
    """On the Norwegian pages a similar reason that says how the organisation is a member of each initiative
    ("Eier av A og partner i B"), and a network reason naming several initiatives, read as Norwegian, with no
    English words left in them."""
    from service.web.i18n import reason_text

    assert reason_text("nb", "similar", "Owner of A and partner in B, which resemble this") == \
        "Eier av A og partner i B, som ligner på dette"
    assert reason_text("nb", "similar", "Partner in A and owner of B and C, among the initiatives nearest to this") \
        == "Partner i A og eier av B og C, blant tiltakene som ligner mest"
    assert reason_text("nb", "network", "In your partners' network: X (on A and B), Y (on C)") == \
        "I partnernes nettverk: X (på A og B), Y (på C)"


def _learnable(store: EmbeddedGraphStore) -> list[str]:
    """The initiatives there is something to learn from: an owner, and a partner that is not the owner."""
    out = []
    for node in store.iter_nodes(Label.INITIATIVE):
        links = store.neighbours(node.id, direction=Direction.OUT)
        owner = {n.id for e, n in links if e.rel == Rel.OWNED_BY}
        if owner and any(e.rel == Rel.INVOLVES and n.id not in owner for e, n in links):
            out.append(node.id)
    return out


def _counting_features(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The initiatives whose training query has its features computed, in order, from now on."""
    asked: list[str | None] = []
    features = PartnerRecommender.features

    def counting(self: PartnerRecommender, q: PartnerQuery) -> Any:
        asked.append(q.exclude_initiative)
        return features(self, q)

    monkeypatch.setattr(PartnerRecommender, "features", counting)
    return asked


def test_a_store_with_too_few_initiatives_to_learn_from_says_so_at_once(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kominn learn-partners` and the first `kominn serve` on a store as small as the demo keep the prior weights
    without computing a single training query first (that took minutes), and say how many initiatives with an
    owner and partners the graph has."""
    asked = _counting_features(monkeypatch)
    steps: list[int] = []
    model = learn_and_store(demo_store, Recommender(demo_store, real_embedder), progress=steps.append)
    assert model.trained_on == 0 and demo_store.get_meta(MODEL_META_KEY) is None
    assert asked == [] and steps == [], f"{len(asked)} training queries computed before giving up"
    assert model.usable == len(_learnable(demo_store)) < MIN_TRAINING


def test_with_enough_initiatives_the_same_ones_are_learned_from(
    demo_store: EmbeddedGraphStore, real_embedder: SentenceTransformerEmbedder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counting the initiatives first changes nothing when there are enough: the training queries are still the
    initiatives with an owner and partners, in the seed's order, until as many as asked for are used."""
    learnable = set(_learnable(demo_store))
    order = sorted(learnable, key=lambda i: hashlib.sha256(f"3:{i}".encode()).hexdigest())
    asked = _counting_features(monkeypatch)
    model = fit_partner_model(PartnerRecommender(demo_store, Recommender(demo_store, real_embedder)),
                              max_queries=12, min_queries=10, seed=3)
    assert model.trained_on == model.usable == 12
    assert asked == order[: len(asked)] and len(asked) >= 12


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_a_stored_start_date_far_outside_the_usual_years_does_not_break_partner_suggestions(
        demo_db: Path, tmp_path: Path, real_embedder: SentenceTransformerEmbedder, day: str) -> None:
    """A store written before ingest bounded dates may hold an initiative starting in year 1 or 9999: partner
    suggestions for its owner still come, where the recency weight used to overflow (a 500 from the API)."""
    path = tmp_path / "kominn.sqlite"
    shutil.copy(demo_db, path)
    with EmbeddedGraphStore(path) as store:
        node = store.get("ini-001")
        assert node is not None
        store.upsert([replace(node, props={**node.props, "start_date": dt.date.fromisoformat(day)})])
        owner = next(n.id for _, n in store.neighbours("ini-001", Rel.OWNED_BY))
        found = PartnerRecommender(store, Recommender(store, real_embedder)).partners(PartnerQuery("", [owner]), k=5)
        assert found and all(r.reasons for r in found)
