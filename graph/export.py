"""Export a store to GraphML or JSON (node-link), through networkx."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import networkx as nx

from graph.schema import PRIVATE_FIELDS, PRIVATE_IDEA_STATUS, Label
from graph.store import GraphStore, create_private_file, to_networkx


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    return value


def _public_copy(g: nx.MultiDiGraph, include_private: bool) -> nx.MultiDiGraph:
    """The graph as it may be shared: without personal data and without hidden ideas (kept out of sight on the
    service too), unless ``include_private``."""
    out = nx.MultiDiGraph()
    for n, data in g.nodes(data=True):
        if not include_private and data.get("label") == Label.IDEA.value and data.get("status") in PRIVATE_IDEA_STATUS:
            continue
        out.add_node(n, **{k: _scalar(v) for k, v in data.items() if include_private or k not in PRIVATE_FIELDS})
    for u, v, key, data in g.edges(keys=True, data=True):
        if u in out and v in out:
            out.add_edge(u, v, key=key, **{k: _scalar(x) for k, x in data.items()})
    return out


def _owner_only(path: Path, include_private: bool) -> None:
    """An export with personal data is made readable by its owner only (like the store it came from) before
    anything is written to it."""
    if include_private:
        create_private_file(path)
        os.chmod(path, 0o600)  # also when the file was there before


def export_graphml(store: GraphStore, path: Path, *, include_private: bool = False) -> nx.MultiDiGraph:
    """Write the graph as GraphML; personal data and hidden ideas are left out unless asked for (the file is
    then readable by its owner only)."""
    g = _public_copy(to_networkx(store), include_private)
    _owner_only(path, include_private)
    nx.write_graphml(g, path)
    return g


def export_json(store: GraphStore, path: Path, *, include_private: bool = False) -> nx.MultiDiGraph:
    """Write the graph as node-link JSON; personal data and hidden ideas are left out unless asked for (the
    file is then readable by its owner only)."""
    g = _public_copy(to_networkx(store), include_private)
    data = nx.node_link_data(g, edges="edges")
    _owner_only(path, include_private)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return g
