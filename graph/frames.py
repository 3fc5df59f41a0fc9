"""Export a store, or the part of it an analyst asks for, to pandas DataFrames and to networkx.

Works on any :class:`~graph.store.GraphStore` through the protocol alone. The filters:

- ``labels``: keep nodes of these labels only.
- ``units``: keep the initiatives owned by these organisations or by organisations that are
  ``PART_OF`` them (so the municipality's id selects all its units' initiatives), the needs they own,
  and the units themselves. Ideas have no owner and are left out when ``units`` is given.
- ``since`` / ``until``: keep initiatives active in that period (started on or before ``until``, not
  ended before ``since``) and ideas created in it. Items of those labels without a date are left out
  when a period is given.
- ``status``: keep initiatives and ideas whose status is one of these.

Unit, period and status select *items*. When any of them is given, a need is kept when a selected
unit owns it or a selected initiative or idea addresses it (needs have no status or date of their
own), and the other nodes (organisations, focus areas, topics) only where an edge links them to a
selected item, so the result is the selected items with their context. Edges are kept when both their
ends are (and, with ``rels``, when their type is one of those).

Every filter takes one value or a list; labels and relationship types in any case ("initiative").
Unknown units, labels, relationship types or statuses, dates that are not dates and a ``since`` after
``until`` are refused with a ValueError that names the filter and what it accepts.

>>> from graph.embedded import EmbeddedGraphStore
>>> from graph.schema import Edge, Label, Node, Rel
>>> store = EmbeddedGraphStore(":memory:"); store.open()
>>> store.upsert([Node("u", Label.ORGANISATION, {"name": "Skole", "kind": "unit"}),
...               Node("i", Label.INITIATIVE, {"title": "Lekser", "status": "ongoing"})],
...              [Edge("i", Rel.OWNED_BY, "u")])
>>> nodes, edges = frames(store, status=["ongoing"])
>>> nodes[["id", "label", "owner"]].to_dict("records")
[{'id': 'i', 'label': 'Initiative', 'owner': 'u'}, {'id': 'u', 'label': 'Organisation', 'owner': None}]
>>> edges[["src", "rel", "dst"]].to_dict("records")
[{'src': 'i', 'rel': 'OWNED_BY', 'dst': 'u'}]
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import networkx as nx
import pandas as pd

from graph.schema import IDEA_STATUS, INITIATIVE_STATUS, PRIVATE_FIELDS, Edge, Label, Node, Rel, is_private
from graph.store import GraphStore

ITEM_LABELS = frozenset({Label.INITIATIVE, Label.IDEA, Label.NEED})
OWNED_LABELS = frozenset({Label.INITIATIVE, Label.NEED})
DATE_COLUMNS = ("start_date", "end_date", "created")
STATUSES = frozenset(INITIATIVE_STATUS) | frozenset(IDEA_STATUS)


def as_date(value: object, name: str = "date") -> dt.date | None:
    """A date from a ``datetime.date``, a ``datetime`` or pandas ``Timestamp`` (its day) or an ISO
    ``YYYY-MM-DD`` string; anything else is a ValueError naming the filter."""
    if value is None or (isinstance(value, float) and value != value):  # None, or pandas' NaN
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{name}: expected a date (YYYY-MM-DD, a datetime.date or a pandas Timestamp), "
                         f"got {value!r}") from None


def filter_values(value: object, name: str, allowed: Iterable[str] | None = None) -> list[str]:
    """A filter's values as a list: one string is one value (not its letters). With ``allowed``, a value
    not among them is a ValueError naming the filter and listing what it takes."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, Iterable):
        raise ValueError(f"{name}: expected a value or a list of values, got {value!r}")
    values = [str(v.value if hasattr(v, "value") else v) for v in value]
    if allowed is not None:
        allowed = list(allowed)
        unknown = [v for v in values if v not in allowed]
        if unknown:
            raise ValueError(f"{name}: unknown {', '.join(map(repr, unknown))}; use {', '.join(allowed)}")
    return values


def _enum_values(value: object, name: str, enum: type[Label] | type[Rel]) -> set:
    """Labels or relationship types from their names in any case; unknown ones are a ValueError."""
    by_name = {m.value.lower(): m for m in enum} | {m.name.lower(): m for m in enum}
    wanted = filter_values(value, name)
    unknown = [v for v in wanted if v.lower() not in by_name]
    if unknown:
        raise ValueError(f"{name}: unknown {', '.join(map(repr, unknown))}; use {', '.join(m.value for m in enum)}")
    return {by_name[v.lower()] for v in wanted}


@dataclass
class Selection:
    """The nodes and edges a filter selected, with each owned item's owner."""

    nodes: dict[str, Node]
    edges: list[Edge]
    owner: dict[str, str] = field(default_factory=dict)


def select(
    store: GraphStore,
    *,
    labels: Iterable[Label | str] | None = None,
    units: Iterable[str] | None = None,
    since: str | dt.date | None = None,
    until: str | dt.date | None = None,
    status: Iterable[str] | None = None,
    rels: Iterable[Rel | str] | None = None,
    include_private: bool = False,
) -> Selection:
    """The nodes and edges of ``store`` that pass the filters (see the module's docstring)."""
    if not isinstance(include_private, bool):
        raise ValueError(f"include_private must be True or False, got {include_private!r}")
    wanted_labels = None if labels is None else _enum_values(labels, "labels", Label)
    wanted_rels = None if rels is None else _enum_values(rels, "rels", Rel)
    start, end = as_date(since, "since"), as_date(until, "until")
    if start is not None and end is not None and start > end:
        raise ValueError(f"since ({start}) is after until ({end})")
    statuses = None if status is None else set(filter_values(status, "status"))
    if statuses is not None and statuses - STATUSES:
        raise ValueError(f"status: unknown {', '.join(map(repr, sorted(statuses - STATUSES)))}; initiatives have "
                         f"{', '.join(INITIATIVE_STATUS)}, ideas {', '.join(IDEA_STATUS)}")
    # hidden ideas are left out like personal data: the service and the export keep them from everyone but admins
    all_nodes = {n.id: n for n in store.iter_nodes() if include_private or not is_private(n)}
    all_edges = list(store.iter_edges())
    owner = {e.src: e.dst for e in all_edges if e.rel == Rel.OWNED_BY}

    unit_set: set[str] | None = None
    if units is not None:
        asked = filter_values(units, "units")
        unknown = [u for u in asked if u not in all_nodes or all_nodes[u].label != Label.ORGANISATION]
        if unknown:
            raise ValueError(f"units: no organisation with the id {', '.join(map(repr, unknown))}")
        children: dict[str, set[str]] = defaultdict(set)
        for e in all_edges:
            if e.rel == Rel.PART_OF:
                children[e.dst].add(e.src)
        unit_set, todo = set(), list(asked)
        while todo:
            u = todo.pop()
            if u not in unit_set:
                unit_set.add(u)
                todo.extend(children.get(u, ()))
    filtering = unit_set is not None or start is not None or end is not None or statuses is not None

    def item_passes(node: Node) -> bool:
        if node.label == Label.NEED:  # needs follow the selection (below), having no status or date
            return not filtering
        if unit_set is not None and (node.label not in OWNED_LABELS or owner.get(node.id) not in unit_set):
            return False
        if statuses is not None and node.label in (Label.INITIATIVE, Label.IDEA) \
                and node.props.get("status") not in statuses:
            return False
        if start is not None or end is not None:
            if node.label == Label.INITIATIVE:
                first = as_date(node.props.get("start_date"))
                last = as_date(node.props.get("end_date"))
                if first is None or (end is not None and first > end) \
                        or (start is not None and last is not None and last < start):
                    return False
            elif node.label == Label.IDEA:
                created = as_date(node.props.get("created"))
                if created is None or (start is not None and created < start) or (end is not None and created > end):
                    return False
        return True

    items = {i for i, n in all_nodes.items() if n.label in ITEM_LABELS and item_passes(n)}
    if filtering:
        items |= {e.dst for e in all_edges if e.rel == Rel.ADDRESSES and e.src in items}
        if unit_set is not None:
            items |= {i for i, n in all_nodes.items() if n.label == Label.NEED and owner.get(i) in unit_set}
        linked = {e.dst for e in all_edges if e.src in items} | {e.src for e in all_edges if e.dst in items}
        keep = items | {i for i in linked if i in all_nodes and all_nodes[i].label not in ITEM_LABELS}
        keep |= unit_set or set()
    else:
        keep = set(all_nodes)
    if wanted_labels is not None:
        keep = {i for i in keep if all_nodes[i].label in wanted_labels}
    nodes = {}
    for i, n in sorted(all_nodes.items()):
        if i in keep:
            props = n.props if include_private else {k: v for k, v in n.props.items() if k not in PRIVATE_FIELDS}
            nodes[i] = Node(n.id, n.label, dict(props), None, n.model, n.text_hash)
    edges = [e for e in all_edges if e.src in nodes and e.dst in nodes
             and (wanted_rels is None or e.rel in wanted_rels)]
    edges.sort(key=lambda e: e.key)
    return Selection(nodes, edges, {i: o for i, o in owner.items() if i in nodes})


def node_frame(store: GraphStore, **filters: object) -> pd.DataFrame:
    """One row per node: ``id``, ``label``, ``title``, ``owner`` and every property as a column.

    Dates become pandas datetimes (``nodes.start_date.dt.year`` works). Personal data and hidden ideas are
    left out unless ``include_private=True``. Takes the filters of :func:`select`.
    """
    return _node_frame(select(store, **filters))  # type: ignore[arg-type]


def edge_frame(store: GraphStore, **filters: object) -> pd.DataFrame:
    """One row per edge: ``src``, ``rel``, ``dst``, the labels at both ends and the edge's properties."""
    return _edge_frame(select(store, **filters))  # type: ignore[arg-type]


def frames(store: GraphStore, **filters: object) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(nodes, edges)`` DataFrames of one selection: see :func:`node_frame` and :func:`edge_frame`."""
    sel = select(store, **filters)  # type: ignore[arg-type]
    return _node_frame(sel), _edge_frame(sel)


def to_graph(store: GraphStore, **filters: object) -> nx.MultiDiGraph:
    """The selection as a networkx MultiDiGraph, with the conventions of :func:`graph.store.to_networkx`:
    node attributes are ``label`` and the properties, edge keys are relationship types."""
    sel = select(store, **filters)  # type: ignore[arg-type]
    g = nx.MultiDiGraph()
    for node in sel.nodes.values():
        g.add_node(node.id, label=node.label.value, **node.props)
    for e in sel.edges:
        g.add_edge(e.src, e.dst, key=e.rel.value, rel=e.rel.value, **e.props)
    return g


def _node_frame(sel: Selection) -> pd.DataFrame:
    rows = [{"id": n.id, "label": n.label.value, "title": n.title, "owner": sel.owner.get(n.id), **n.props}
            for n in sel.nodes.values()]
    df = pd.DataFrame(rows, columns=None if rows else ["id", "label", "title", "owner", "status"])
    for col in ("status", *DATE_COLUMNS):  # always there, whatever the selection holds
        if col not in df:
            df[col] = None
    for col in DATE_COLUMNS:
        df[col] = pd.to_datetime(df[col], errors="coerce")
    df = df.astype({"owner": object})
    df["owner"] = df["owner"].where(df["owner"].notna(), None)
    return df


def _edge_frame(sel: Selection) -> pd.DataFrame:
    rows = [{"src": e.src, "rel": e.rel.value, "dst": e.dst, "src_label": sel.nodes[e.src].label.value,
             "dst_label": sel.nodes[e.dst].label.value, **e.props} for e in sel.edges]
    return pd.DataFrame(rows, columns=None if rows else ["src", "rel", "dst", "src_label", "dst_label"])
