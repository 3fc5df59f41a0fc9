"""The graph view's neighbourhood (with a layout) and the overview's counts, for the API and the pages."""

from __future__ import annotations

import copy
import weakref
from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from graph.errors import NotFoundError
from graph.schema import Direction, Edge, Label, Node, Rel
from graph.store import GraphStore
from service.items import visible

GRAPH_LABELS = frozenset({Label.INITIATIVE, Label.IDEA, Label.ORGANISATION, Label.NEED, Label.FOCUS_AREA})
GRAPH_RELS = frozenset(Rel) - {Rel.TAGGED}
MAX_GRAPH_NODES = 80


_REL_ORDER = {rel: n for n, rel in enumerate(Rel)}


def _walk_order(link: tuple[Edge, Node]) -> tuple[int, str, str, str]:
    edge, other = link
    return _REL_ORDER[edge.rel], other.id, edge.src, edge.dst


def neighbourhood(store: GraphStore, center: str, *, depth: int = 1, admin: bool = False,
                  max_nodes: int = MAX_GRAPH_NODES) -> dict[str, Any]:
    """Nodes within ``depth`` steps of ``center`` (initiatives, ideas, organisations, needs, focus areas) and
    the edges between them, with positions in [0, 1] from a seeded spring layout."""
    start = store.get(center)
    if start is None or start.label not in GRAPH_LABELS or not visible(start, admin):
        raise NotFoundError(f"no item with id '{center}' to show in the graph")
    nodes = {start.id: (start, 0)}
    edges: set[tuple[str, str, str]] = set()
    frontier = [start.id]
    truncated = False
    for level in range(1, depth + 1):
        nxt: list[str] = []
        around = store.neighbours_many(frontier, direction=Direction.BOTH)  # one query per level
        for nid in frontier:
            # in one order on every store (each gives its links in its own order), so that a truncated view
            # keeps the same items: the item's own links (owner, partners, needs) before similar ones, then by id
            for edge, other in sorted(around.get(nid, ()), key=_walk_order):
                if edge.rel not in GRAPH_RELS or other.label not in GRAPH_LABELS or not visible(other, admin):
                    continue
                if other.id not in nodes:
                    if len(nodes) >= max_nodes:
                        truncated = True
                        continue
                    nodes[other.id] = (other, level)
                    nxt.append(other.id)
                edges.add((edge.src, edge.dst, edge.rel.value))
        frontier = nxt
    # edges among the nodes shown that the walk did not pass (e.g. two partners of the same unit)
    for links in store.neighbours_many(list(nodes), direction=Direction.OUT).values():
        for edge, other in links:
            if other.id in nodes and edge.rel in GRAPH_RELS:
                edges.add((edge.src, edge.dst, edge.rel.value))
    g = nx.Graph()
    g.add_nodes_from(nodes)
    g.add_edges_from((s, d) for s, d, _ in sorted(edges))
    pos = nx.spring_layout(g, seed=7, k=1.6 / max(len(nodes), 1) ** 0.5, iterations=80) if len(nodes) > 1 \
        else {start.id: (0.0, 0.0)}
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    return {
        "center": start.id,
        "nodes": [{"id": n.id, "label": n.label.value, "title": n.title, "depth": d,
                   "x": round((pos[n.id][0] - min(xs)) / span_x, 4), "y": round((pos[n.id][1] - min(ys)) / span_y, 4)}
                  for n, d in nodes.values()],
        "edges": [{"source": s, "target": d, "rel": r} for s, d, r in sorted(edges)],
        "truncated": truncated,
    }


_OVERVIEWS: weakref.WeakKeyDictionary[Any, tuple[str, dict[str, Any]]] = weakref.WeakKeyDictionary()


def overview(store: GraphStore) -> dict[str, Any]:
    """Initiatives per focus area, per owning unit and per status (with statuses inside each row).

    The counts read every initiative and its links, so they are remembered until the store changes."""
    revision = store.revision()
    cached = _OVERVIEWS.get(store)
    if cached is not None and cached[0] == revision:
        return copy.deepcopy(cached[1])
    result = _overview(store)
    _OVERVIEWS[store] = (revision, result)
    return copy.deepcopy(result)


def _overview(store: GraphStore) -> dict[str, Any]:
    status = {n.id: n.props.get("status", "") for n in store.iter_nodes(Label.INITIATIVE)}
    initiatives = list(store.iter_nodes(Label.INITIATIVE))
    names = {n.id: n.title for n in store.iter_nodes(Label.FOCUS_AREA)}
    orgs = {n.id: n for n in store.iter_nodes(Label.ORGANISATION)}

    def rows(rel: Rel, keep: set[str] | None = None) -> list[dict[str, Any]]:
        per: dict[str, Counter[str]] = defaultdict(Counter)
        for e in store.iter_edges(rel):
            if e.src in status and (keep is None or e.dst in keep):
                per[e.dst][status[e.src]] += 1
        if keep is not None:
            for k in keep:
                per.setdefault(k, Counter())
        out = [{"id": k, "name": names.get(k) or (orgs[k].title if k in orgs else k), "count": sum(c.values()),
                "by_status": dict(c)} for k, c in per.items()]
        return sorted(out, key=lambda r: (-r["count"], r["name"]))

    return {
        "initiatives": len(initiatives),
        "ideas": sum(1 for n in store.iter_nodes(Label.IDEA) if visible(n, False)),
        "needs": store.count_nodes(Label.NEED),
        "organisations": store.count_nodes(Label.ORGANISATION),
        "by_focus_area": rows(Rel.SUPPORTS, set(names)),
        "by_unit": rows(Rel.OWNED_BY),
        "by_status": dict(Counter(status.values())),
        "by_scale": dict(Counter(n.props.get("scale") or "unknown" for n in initiatives)),
        "by_mode": dict(Counter(n.props.get("mode") or "unknown" for n in initiatives)),
    }
