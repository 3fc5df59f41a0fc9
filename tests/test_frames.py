"""DataFrame and networkx export with filters, on a small graph with known answers."""

from __future__ import annotations

import doctest

import pandas as pd
import pytest

import graph.frames as frames_module
from graph.embedded import EmbeddedGraphStore
from graph.frames import edge_frame, frames, node_frame, to_graph
from graph.schema import Edge, Label, Node, Rel
from graph.store import to_networkx


@pytest.fixture
def small(store: EmbeddedGraphStore) -> EmbeddedGraphStore:
    """A municipality with two units (one with a sub-unit), three initiatives, an idea and context."""
    def ini(i: str, status: str, start: str | None, end: str | None = None) -> Node:
        props = {"title": i, "status": status, "start_date": start, "end_date": end, "contact": "x@y.no"}
        return Node(i, Label.INITIATIVE, {k: v for k, v in props.items() if v is not None})

    store.upsert(
        [Node("kommune", Label.ORGANISATION, {"name": "Kommune", "kind": "municipality"}),
         Node("u-1", Label.ORGANISATION, {"name": "U1", "kind": "unit"}),
         Node("u-1a", Label.ORGANISATION, {"name": "U1a", "kind": "unit"}),
         Node("u-2", Label.ORGANISATION, {"name": "U2", "kind": "unit"}),
         Node("p", Label.ORGANISATION, {"name": "Partner", "kind": "business"}),
         Node("fa", Label.FOCUS_AREA, {"name": "Helse"}),
         ini("i1", "completed", "2019-01-01", "2020-06-30"),
         ini("i2", "ongoing", "2022-03-01"),
         ini("i3", "ongoing", None),
         Node("idea", Label.IDEA, {"title": "Id", "text": "t", "submitter_kind": "citizen",
                                   "created": "2023-05-01", "contact": "a@b.no"})],
        [Edge("u-1", Rel.PART_OF, "kommune"), Edge("u-2", Rel.PART_OF, "kommune"),
         Edge("u-1a", Rel.PART_OF, "u-1"), Edge("i1", Rel.OWNED_BY, "u-1"), Edge("i2", Rel.OWNED_BY, "u-1a"),
         Edge("i3", Rel.OWNED_BY, "u-2"), Edge("i1", Rel.INVOLVES, "p", {"role": "supplier"}),
         Edge("i1", Rel.SUPPORTS, "fa"), Edge("idea", Rel.BECAME, "i2")],
    )
    return store


def ids(df: pd.DataFrame) -> set[str]:
    return set(df["id"])


def test_everything_without_filters(small: EmbeddedGraphStore) -> None:
    """With no filter every node and edge is exported, without personal data, with dates as datetimes."""
    nodes, edges = frames(small)
    assert len(nodes) == small.count_nodes() and len(edges) == small.count_edges()
    assert "contact" not in nodes.columns
    assert pd.api.types.is_datetime64_any_dtype(nodes["start_date"])
    assert nodes.set_index("id").loc["i1", "owner"] == "u-1"
    role = edges[(edges.src == "i1") & (edges.rel == "INVOLVES")]["role"].tolist()
    assert role == ["supplier"]
    assert "contact" in node_frame(small, include_private=True).columns


def test_label_filter(small: EmbeddedGraphStore) -> None:
    """A label filter keeps those labels and the edges between them only."""
    nodes = node_frame(small, labels=[Label.ORGANISATION])
    assert set(nodes["label"]) == {"Organisation"} and len(nodes) == 5
    assert set(edge_frame(small, labels=["Organisation"])["rel"]) == {"PART_OF"}


def test_unit_filter_includes_sub_units_and_context(small: EmbeddedGraphStore) -> None:
    """A unit selects its own and its sub-units' items with the nodes they link to, and no ideas."""
    assert ids(node_frame(small, units=["u-1"], labels=[Label.INITIATIVE])) == {"i1", "i2"}
    assert ids(node_frame(small, units=["u-1"])) == {"i1", "i2", "u-1", "u-1a", "p", "fa"}
    assert ids(node_frame(small, units=["kommune"], labels=["Initiative"])) == {"i1", "i2", "i3"}


def test_date_and_status_filters(small: EmbeddedGraphStore) -> None:
    """A period keeps initiatives active in it and ideas created in it; status filters by value."""
    in_2020 = node_frame(small, since="2020-01-01", until="2020-12-31", labels=["Initiative", "Idea"])
    assert ids(in_2020) == {"i1"}
    assert ids(node_frame(small, since="2021-01-01", labels=["Initiative", "Idea"])) == {"i2", "idea"}
    assert ids(node_frame(small, status=["ongoing"], labels=["Initiative"])) == {"i2", "i3"}
    assert node_frame(small, status=["stopped"]).empty


def test_edge_filter_and_networkx(small: EmbeddedGraphStore) -> None:
    """to_graph keeps the filtered selection with to_networkx's conventions."""
    g = to_graph(small, rels=[Rel.OWNED_BY])
    assert g.number_of_nodes() == small.count_nodes() and g.number_of_edges() == 3
    assert g.nodes["i1"]["label"] == "Initiative" and g.has_edge("i1", "u-1", key="OWNED_BY")
    full = to_graph(small)
    assert set(full.edges(keys=True)) == set(to_networkx(small).edges(keys=True))
    sub = to_graph(small, units=["u-2"])
    assert set(sub.nodes) == {"i3", "u-2"}


def test_empty_store(store: EmbeddedGraphStore) -> None:
    """An empty store gives empty frames with the key columns."""
    nodes, edges = frames(store)
    assert nodes.empty and {"id", "label"} <= set(nodes.columns)
    assert edges.empty and {"src", "rel", "dst"} <= set(edges.columns)


def test_frames_doctests() -> None:
    """The module's docstring examples run."""
    assert doctest.testmod(frames_module).failed == 0
