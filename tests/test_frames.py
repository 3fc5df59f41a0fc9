"""DataFrame and networkx export with filters, on a small graph with known answers."""

from __future__ import annotations

import datetime as dt
import doctest
import re

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
                                   "created": "2023-05-01", "contact": "a@b.no"}),
         Node("need", Label.NEED, {"title": "Behov"}), Node("lonely", Label.NEED, {"title": "Ingen tar det"})],
        [Edge("u-1", Rel.PART_OF, "kommune"), Edge("u-2", Rel.PART_OF, "kommune"),
         Edge("u-1a", Rel.PART_OF, "u-1"), Edge("i1", Rel.OWNED_BY, "u-1"), Edge("i2", Rel.OWNED_BY, "u-1a"),
         Edge("i3", Rel.OWNED_BY, "u-2"), Edge("i1", Rel.INVOLVES, "p", {"role": "supplier"}),
         Edge("i1", Rel.SUPPORTS, "fa"), Edge("idea", Rel.BECAME, "i2"), Edge("i1", Rel.ADDRESSES, "need")],
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


def test_hidden_ideas_are_left_out_unless_private_data_is_asked_for(small: EmbeddedGraphStore) -> None:
    """An idea an admin hid is in no frame, nor are its links, as on the service and in the export; with
    include_private=True it is there."""
    small.upsert([Node("secret", Label.IDEA, {"title": "Skjult", "text": "Per Hansen er syk", "status": "hidden",
                                              "submitter_kind": "citizen"})], [Edge("secret", Rel.SUPPORTS, "fa")])
    nodes, edges = frames(small)
    assert "secret" not in ids(nodes) and "idea" in ids(nodes)
    assert not ((edges.src == "secret") | (edges.dst == "secret")).any()
    assert "secret" in ids(node_frame(small, include_private=True))
    assert "secret" not in ids(node_frame(small, status=["hidden"]))


def test_label_filter(small: EmbeddedGraphStore) -> None:
    """A label filter keeps those labels and the edges between them only."""
    nodes = node_frame(small, labels=[Label.ORGANISATION])
    assert set(nodes["label"]) == {"Organisation"} and len(nodes) == 5
    assert set(edge_frame(small, labels=["Organisation"])["rel"]) == {"PART_OF"}


def test_unit_filter_includes_sub_units_and_context(small: EmbeddedGraphStore) -> None:
    """A unit selects its own and its sub-units' initiatives with the nodes they link to (the needs they
    address among them), and no ideas; the municipality's id selects every unit's initiatives."""
    assert ids(node_frame(small, units=["u-1"], labels=[Label.INITIATIVE])) == {"i1", "i2"}
    assert ids(node_frame(small, units=["u-1"])) == {"i1", "i2", "u-1", "u-1a", "p", "fa", "need"}
    assert ids(node_frame(small, units=["kommune"], labels=["Initiative"])) == {"i1", "i2", "i3"}
    assert set(edge_frame(small, units="kommune", rels="PART_OF")["src"]) == {"u-1", "u-1a", "u-2"}


def test_date_and_status_filters(small: EmbeddedGraphStore) -> None:
    """A period keeps initiatives active in it and ideas created in it; status filters by value."""
    in_2020 = node_frame(small, since="2020-01-01", until="2020-12-31", labels=["Initiative", "Idea"])
    assert ids(in_2020) == {"i1"}
    assert ids(node_frame(small, since="2021-01-01", labels=["Initiative", "Idea"])) == {"i2", "idea"}
    assert ids(node_frame(small, status=["ongoing"], labels=["Initiative"])) == {"i2", "i3"}
    assert node_frame(small, status=["stopped"]).empty


def test_needs_follow_the_selected_initiatives(small: EmbeddedGraphStore) -> None:
    """With a status or a period, the needs kept are those the selected initiatives address (needs have no
    status or date); without a filter every need is there."""
    assert ids(node_frame(small, status="completed", labels="Need")) == {"need"}
    assert ids(node_frame(small, status="ongoing", labels="Need")) == set()
    assert ids(node_frame(small, labels="Need")) == {"need", "lonely"}


def test_filters_take_one_value_any_case_and_refuse_what_they_do_not_know(small: EmbeddedGraphStore) -> None:
    """A bare string is one value and labels and types match in any case, while an unknown unit, label, type
    or status, a date that is not one and a period that ends before it starts are ValueErrors naming the
    filter, never an empty frame."""
    assert ids(node_frame(small, units="u-2", labels="initiative")) == {"i3"}
    assert set(edge_frame(small, rels="owned_by")["rel"]) == {"OWNED_BY"}
    for filters, message in [({"units": ["u-nope"]}, "units: no organisation with the id 'u-nope'"),
                             ({"units": ["i1"]}, "units: no organisation with the id 'i1'"),
                             ({"labels": ["Initiatives"]}, "labels: unknown 'Initiatives'; use Initiative"),
                             ({"rels": ["OWNS"]}, "rels: unknown 'OWNS'"),
                             ({"status": ["Ongoing"]}, "status: unknown 'Ongoing'; initiatives have idea"),
                             ({"since": "2021"}, "since: expected a date (YYYY-MM-DD"),
                             ({"since": "2023-01-01", "until": "2021-01-01"}, "since (2023-01-01) is after until")]:
        with pytest.raises(ValueError, match=re.escape(message)):
            node_frame(small, **filters)
    stamp = node_frame(small, since=pd.Timestamp("2021-01-01"), labels=["Initiative"])
    assert ids(stamp) == ids(node_frame(small, since=dt.datetime(2021, 1, 1), labels=["Initiative"])) == {"i2"}


def test_date_columns_are_there_whatever_the_selection(small: EmbeddedGraphStore) -> None:
    """start_date, end_date, created and status are columns of every node frame (as datetimes), even when
    the selection holds no item that has them."""
    for nodes in (node_frame(small, labels="Organisation"), node_frame(small, units="u-2"),
                  node_frame(small, status="stopped")):
        assert {"status", "start_date", "end_date", "created"} <= set(nodes.columns)
        assert pd.api.types.is_datetime64_any_dtype(nodes["created"])


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
