"""The analysis module on small graphs whose right answers are known, and on the demo data."""

from __future__ import annotations

import doctest
import itertools

import numpy as np
import pandas as pd
import pytest

import recommend.analysis as analysis
from graph.embedded import EmbeddedGraphStore
from graph.schema import Edge, Label, Node, Rel
from recommend.analysis import (
    communities,
    connectors,
    coverage,
    coverage_summary,
    group_similarity,
    group_similarity_reference,
    initiative_links,
    initiative_links_reference,
    owner_groups,
    silo_map,
    suggest_focus_areas,
    suggest_focus_areas_reference,
    unaddressed_needs,
)


def vec(*xs: float) -> np.ndarray:
    return np.array(xs, dtype=np.float32)


def ini(node_id: str, emb: np.ndarray | None = None, **props: object) -> Node:
    return Node(node_id, Label.INITIATIVE, {"title": node_id, "status": "ongoing", **props}, emb)


def org(node_id: str, kind: str = "unit") -> Node:
    return Node(node_id, Label.ORGANISATION, {"name": node_id.upper(), "kind": kind})


@pytest.fixture
def silos(store: EmbeddedGraphStore) -> EmbeddedGraphStore:
    """Units a and b do the same kind of work and never meet; c does other work and builds on a."""
    store.upsert(
        [org("u-a"), org("u-b"), org("u-c"), org("p-1", "business"), org("p-2", "ngo"),
         ini("a1", vec(1, 0, 0)), ini("a2", vec(1, 0.1, 0)),
         ini("b1", vec(1, 0, 0.05)), ini("b2", vec(0.9, 0, 0.1)),
         ini("c1", vec(0, 0, 1)), ini("c2", vec(0, 1, 0))],
        [Edge("a1", Rel.OWNED_BY, "u-a"), Edge("a2", Rel.OWNED_BY, "u-a"),
         Edge("b1", Rel.OWNED_BY, "u-b"), Edge("b2", Rel.OWNED_BY, "u-b"),
         Edge("c1", Rel.OWNED_BY, "u-c"), Edge("c2", Rel.OWNED_BY, "u-c"),
         Edge("c1", Rel.BUILDS_ON, "a1"), Edge("c2", Rel.INVOLVES, "u-b"),
         Edge("a1", Rel.INVOLVES, "p-1"), Edge("b1", Rel.INVOLVES, "p-1"), Edge("c2", Rel.INVOLVES, "p-2")],
    )
    return store


def test_silo_map_finds_the_bridge(silos: EmbeddedGraphStore) -> None:
    """Two units with near-identical work and no joint initiative are the only bridge."""
    result = silo_map(silos)
    bridges = result.bridges
    assert list(zip(bridges["unit_a"], bridges["unit_b"], strict=True)) == [("u-a", "u-b")]
    row = bridges.iloc[0]
    assert row["similarity"] > 0.9 and row["collaboration"] == 0 and row["shared_partners"] == 1
    assert {row["example_a"], row["example_b"]} <= {"a1", "a2", "b1", "b2"}


def test_silo_map_counts_collaboration(silos: EmbeddedGraphStore) -> None:
    """BUILDS_ON across units and a unit involved in another's initiative count as working together."""
    pairs = silo_map(silos, method="mean").pairs.set_index(["unit_a", "unit_b"])
    assert pairs.loc[("u-a", "u-c"), "builds_on"] == 1
    assert pairs.loc[("u-b", "u-c"), "co_involved"] == 1
    assert pairs.loc[("u-a", "u-b"), "collaboration"] == 0
    shared = silo_map(silos, count_shared_partners=True).pairs.set_index(["unit_a", "unit_b"])
    assert shared.loc[("u-a", "u-b"), "collaboration"] == 1
    assert silo_map(silos).collaboration.loc["U-A", "U-C"] == 1
    relaxed = silo_map(silos, bridge_quantile=0.0, collaboration_quantile=1.0)
    assert relaxed.pairs["bridge"].all()


def test_owner_groups_by_attribute(store: EmbeddedGraphStore) -> None:
    """Grouping by an owner's property puts initiatives and organisations in that property's group."""
    store.upsert([Node("o1", Label.ORGANISATION, {"name": "O1", "kind": "research", "country": "NO"}),
                  Node("o2", Label.ORGANISATION, {"name": "O2", "kind": "business", "country": "SE"}),
                  ini("x")], [Edge("x", Rel.OWNED_BY, "o1")])
    items, orgs = owner_groups(store, kinds=None, attribute="country")
    assert items == {"x": "NO"} and orgs == {"o1": "NO", "o2": "SE"}
    assert owner_groups(store)[0] == {}


@pytest.mark.parametrize("method", ["mean", "max"])
def test_group_similarity_matches_reference(method: str) -> None:
    """The fast group similarity equals the explicit pairwise loop."""
    rng = np.random.default_rng(7)
    v = rng.normal(size=(12, 5))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    groups = ["x", "y", "z"] * 4
    fast = group_similarity(v, groups, ["x", "y", "z"], method=method)
    slow = group_similarity_reference(v, groups, ["x", "y", "z"], method=method)
    np.testing.assert_allclose(fast, slow, atol=1e-9)


def test_connectors_ranks_the_broker(store: EmbeddedGraphStore) -> None:
    """The only organisation joining two otherwise separate clusters has the highest betweenness; ``kinds``
    ranks only organisations of those kinds."""
    nodes = [org("u-1"), org("u-2"), org("hub", "ngo")] + [org(f"p{i}", "business") for i in range(4)]
    edges = [Edge("i1", Rel.OWNED_BY, "u-1"), Edge("i1", Rel.INVOLVES, "p0"), Edge("i1", Rel.INVOLVES, "p1"),
             Edge("i1", Rel.INVOLVES, "hub"), Edge("i2", Rel.OWNED_BY, "u-2"), Edge("i2", Rel.INVOLVES, "p2"),
             Edge("i2", Rel.INVOLVES, "p3"), Edge("i2", Rel.INVOLVES, "hub")]
    store.upsert([*nodes, ini("i1"), ini("i2")], edges)
    df = connectors(store, k=3)
    assert df.iloc[0]["id"] == "hub"
    assert df.iloc[0]["units_reached"] == 2 and df.iloc[0]["initiatives"] == 2
    assert len(df) == 3
    outside = connectors(store, k=None, kinds="business")
    assert set(outside["kind"]) == {"business"} and len(outside) == 4


@pytest.fixture
def linked(store: EmbeddedGraphStore) -> EmbeddedGraphStore:
    """Two triangles of initiatives: one shares a partner and a need, the other shares topics."""
    nodes = [ini(i) for i in ("a", "b", "c", "x", "y", "z")]
    nodes += [org("p", "business"), Node("n", Label.NEED, {"title": "N"}),
              Node("t1", Label.TOPIC, {"name": "t1"}), Node("t2", Label.TOPIC, {"name": "t2"})]
    edges = [Edge(i, Rel.INVOLVES, "p") for i in "abc"] + [Edge(i, Rel.ADDRESSES, "n") for i in "ab"]
    edges += [Edge(i, Rel.TAGGED, t) for i in "xyz" for t in ("t1", "t2")]
    store.upsert(nodes, edges)
    return store


def test_initiative_links_counts_shared_context(linked: EmbeddedGraphStore) -> None:
    """Pairs are weighted by how many partners, needs and topics they share, same as the reference."""
    fast = initiative_links(linked)
    assert fast == initiative_links_reference(linked)
    assert fast[("a", "b")] == 2 and fast[("a", "c")] == 1 and fast[("x", "y")] == 2
    assert ("a", "x") not in fast
    assert initiative_links(linked, max_degree=2) == {("a", "b"): 1}


def test_communities_separate_the_two_triangles(linked: EmbeddedGraphStore) -> None:
    """Louvain on the shared-context graph puts each triangle in a community of its own."""
    df = communities(linked)
    groups = {frozenset(g["id"]) for _, g in df.groupby("community")}
    assert groups == {frozenset("abc"), frozenset("xyz")}
    assert set(df["size"]) == {3}


def test_communities_can_link_by_similarity(store: EmbeddedGraphStore) -> None:
    """With a similarity threshold, initiatives with no shared context but near-equal text join up."""
    store.upsert([ini("a", vec(1, 0)), ini("b", vec(0.99, 0.1)), ini("c", vec(0, 1))])
    assert communities(store)["community"].nunique() == 3
    df = communities(store, similarity=0.9).set_index("id")
    assert df.loc["a", "community"] == df.loc["b", "community"] != df.loc["c", "community"]


@pytest.fixture
def areas(store: EmbeddedGraphStore) -> EmbeddedGraphStore:
    """Two focus areas on orthogonal axes, three initiatives in two years, one with no focus area."""
    store.upsert(
        [Node("fa-1", Label.FOCUS_AREA, {"name": "Helse"}, vec(1, 0, 0)),
         Node("fa-2", Label.FOCUS_AREA, {"name": "Miljø"}, vec(0, 1, 0)),
         ini("i1", vec(1, 0.2, 0), start_date="2020-02-01", scale="improvement"),
         ini("i2", vec(0.9, 0.1, 0), start_date="2020-06-01", scale="radical"),
         ini("i3", vec(0, 1, 0), start_date="2021-01-01", scale="improvement"),
         ini("i4", vec(0.2, 1, 0.1), start_date="2021-01-01"),
         Node("n1", Label.NEED, {"title": "N1"}), Node("n2", Label.NEED, {"title": "N2"}),
         Node("idea", Label.IDEA, {"title": "I", "text": "t", "submitter_kind": "citizen"})],
        [Edge("i1", Rel.SUPPORTS, "fa-1"), Edge("i2", Rel.SUPPORTS, "fa-1"), Edge("i3", Rel.SUPPORTS, "fa-2"),
         Edge("i3", Rel.SUPPORTS, "fa-1"), Edge("n1", Rel.SUPPORTS, "fa-1"), Edge("n2", Rel.SUPPORTS, "fa-1"),
         Edge("i1", Rel.ADDRESSES, "n1"), Edge("idea", Rel.ADDRESSES, "n2")],
    )
    return store


def test_coverage_counts_per_area_and_year(areas: EmbeddedGraphStore) -> None:
    """Each initiative counts once per focus area it supports, in its start year, by scale."""
    df = coverage(areas).set_index(["focus_area", "year"])
    assert df.loc[("fa-1", 2020), ["initiatives", "improvement", "radical"]].tolist() == [2, 1, 1]
    assert df.loc[("fa-1", 2021), "initiatives"] == 1 and df.loc[("fa-2", 2021), "improvement"] == 1
    summary = coverage_summary(areas).set_index("focus_area")
    assert summary.loc["fa-1", "initiatives"] == 3 and summary.loc["fa-1", "needs"] == 2
    assert summary.loc["fa-1", "needs_addressed"] == 1
    assert coverage_summary(areas, since=2021).set_index("focus_area").loc["fa-1", "initiatives"] == 1


def test_unaddressed_needs(areas: EmbeddedGraphStore) -> None:
    """A need only an idea addresses is unaddressed, and the idea is counted as demand."""
    df = unaddressed_needs(areas)
    assert df["id"].tolist() == ["n2"] and df.iloc[0]["ideas"] == 1 and df.iloc[0]["focus_areas"] == ["fa-1"]
    none_count = unaddressed_needs(areas, counting=lambda n: False)
    assert none_count["id"].tolist() == ["n1", "n2"]


def test_suggest_focus_areas(areas: EmbeddedGraphStore) -> None:
    """An initiative with no focus area gets the one nearest its text, best first, like the reference."""
    df = suggest_focus_areas(areas)
    assert df["id"].unique().tolist() == ["i4"]
    assert df["focus_area"].tolist() == ["fa-2", "fa-1"] and df["rank"].tolist() == [1, 2]
    ref = suggest_focus_areas_reference(areas, "i4")
    assert [f for f, _ in ref] == df["focus_area"].tolist()
    np.testing.assert_allclose([s for _, s in ref], df["score"], atol=1e-6)
    assert len(suggest_focus_areas(areas, only_missing=False, k=1)) == 4
    assert suggest_focus_areas(areas, min_score=0.99).empty


def test_analysis_doctests() -> None:
    """The module's docstring examples run."""
    assert doctest.testmod(analysis).failed == 0


@pytest.mark.slow
def test_demo_silo_map_surfaces_planted_pairs(demo_store: EmbeddedGraphStore) -> None:
    """On the demo data the bridges include unit pairs whose planted near-duplicates never meet."""
    sm = silo_map(demo_store)
    assert len(sm.similarity) == 8
    bridges = {frozenset((a, b)) for a, b in zip(sm.bridges["unit_a"], sm.bridges["unit_b"], strict=True)}
    planted = {frozenset(p) for p in [("unit-helse", "unit-velferd"), ("unit-helse", "unit-teknisk"),
                                      ("unit-oppvekst", "unit-kultur"), ("unit-oppvekst", "unit-velferd")]}
    assert len(bridges & planted) >= 3
    examples = {frozenset((a, b)) for a, b in zip(sm.pairs["example_a"], sm.pairs["example_b"], strict=True)}
    assert frozenset(("ini-001", "ini-081")) in examples


@pytest.mark.slow
def test_demo_suggestions_agree_with_declared_focus_areas(demo_store: EmbeddedGraphStore) -> None:
    """Suggested focus areas hit a declared one for most demo initiatives (better than chance)."""
    df = suggest_focus_areas(demo_store, only_missing=False, k=2)
    declared = {(e.src, e.dst) for e in demo_store.iter_edges(Rel.SUPPORTS)}
    hit = [(i, f) in declared for i, f in zip(df["id"], df["focus_area"], strict=True)]
    hits = pd.Series(hit).groupby(df["id"].to_numpy()).any()
    assert hits.mean() > 0.5
    assert list(itertools.islice(df["rank"], 2)) == [1, 2]


@pytest.mark.slow
def test_analysis_arguments_take_one_value_and_refuse_unknown_ones(demo_store: EmbeddedGraphStore) -> None:
    """A single kind, initiative or way of linking may be given as a string; an unknown one is a ValueError
    that lists what is accepted (never an empty answer or a KeyError); coverage_summary takes a date too."""
    assert owner_groups(demo_store, kinds="unit") == owner_groups(demo_store, kinds=["unit"])
    with pytest.raises(ValueError, match="kinds: unknown 'units'; use municipality, unit"):
        owner_groups(demo_store, kinds=["units"])
    with pytest.raises(ValueError, match="via: unknown 'partner'; use partners, needs"):
        communities(demo_store, via=["partner"])
    one = suggest_focus_areas(demo_store, initiatives="ini-001", only_missing=False)
    assert set(one["id"]) == {"ini-001"}
    with pytest.raises(ValueError, match="initiatives: no initiative with the id 'ini-999'"):
        suggest_focus_areas(demo_store, initiatives=["ini-999"])
    pd.testing.assert_frame_equal(coverage_summary(demo_store, since="2021-01-01"),
                                  coverage_summary(demo_store, since=2021))


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda s: connectors(s, k=-1), "k"),
        (lambda s: connectors(s, k="5"), "k"),
        (lambda s: connectors(s, samples=0), "samples"),
        (lambda s: suggest_focus_areas(s, k=-1, only_missing=False), "k"),
        (lambda s: silo_map(s, bridge_quantile=2), "bridge_quantile"),
        (lambda s: silo_map(s, groups="unit-helse"), "groups"),
        (lambda s: silo_map(s, method="median"), "method"),
        (lambda s: communities(s, resolution=-1), "resolution"),
        (lambda s: owner_groups(s, attribute="colour"), "attribute"),
    ],
)
def test_a_wrong_argument_is_a_value_error_naming_it(silos: EmbeddedGraphStore, call, named: str) -> None:  # type: ignore[no-untyped-def]
    """An out-of-range or wrongly typed argument is refused by name, not answered with a shortened table, an
    empty one, or pandas' own error."""
    with pytest.raises(ValueError, match=rf"^{named}\b"):
        call(silos)


def test_an_empty_store_gives_empty_tables_with_their_columns(store: EmbeddedGraphStore) -> None:
    """A store with no focus areas (a CORDIS-only one, or an empty one) gives coverage tables with their columns,
    not a KeyError."""
    summary = coverage_summary(store)
    assert summary.empty and {"focus_area", "initiatives", "small_share"} <= set(summary.columns)
    assert coverage_summary(store, since="2021").empty


def test_merged_hidden_and_declined_ideas_are_not_demand(store: EmbeddedGraphStore) -> None:
    """A need's idea count leaves out ideas merged into another, hidden or declined: only open demand counts."""
    store.upsert([Node("n1", Label.NEED, {"title": "Benker"})]
                 + [Node(f"i{k}", Label.IDEA, {"title": f"idé {k}", "text": "benker", "status": status})
                    for k, status in enumerate(["new", "reviewing", "merged", "hidden", "declined"])],
                 [Edge(f"i{k}", Rel.ADDRESSES, "n1") for k in range(5)])
    assert unaddressed_needs(store).set_index("id").loc["n1", "ideas"] == 2


def test_include_private_takes_only_true_or_false(store: EmbeddedGraphStore) -> None:
    """include_private="no" is refused rather than read as true (which would show contact details)."""
    from graph.frames import node_frame

    with pytest.raises(ValueError, match="include_private"):
        node_frame(store, include_private="no")
