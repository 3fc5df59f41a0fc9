"""The GraphStore protocol that every adapter implements, and the helpers adapters share."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import networkx as nx
import numpy as np

from graph.schema import FIELDS, Direction, Edge, Label, Node, Rel

ScoredId = tuple[str, float]

# The vector spaces a store searches: the text embeddings (from the configured model) and the
# lexical vectors (hashed character n-grams, see graph.lexical), which every store computes itself
# from a node's text when the node is written.
EMBEDDING = "embedding"
LEXICAL = "lexical"
SPACES = (EMBEDDING, LEXICAL)


@runtime_checkable
class GraphStore(Protocol):
    """A property graph of KomInn's labels and relationships, with embeddings on text nodes.

    Writes are batched: one ``upsert`` call is one transaction, all or nothing.
    """

    def open(self) -> None:
        """Open files or connections; create the schema on first use."""

    def close(self) -> None:
        """Release files or connections."""

    def upsert(self, nodes: Iterable[Node] = (), edges: Iterable[Edge] = ()) -> None:
        """Create or replace the given nodes and edges in one transaction.

        A node's properties are replaced as a whole; an embedding of ``None`` keeps the stored one
        only when ``text_hash`` is unchanged.
        """

    def get(self, node_id: str) -> Node | None:
        """The node with this id, or None."""

    def get_many(self, node_ids: Sequence[str]) -> list[Node]:
        """The nodes with these ids that exist, in the given order."""

    def delete(self, node_ids: Iterable[str]) -> int:
        """Delete nodes with all their edges; returns how many nodes were deleted."""

    def delete_edges(self, edges: Iterable[Edge]) -> int:
        """Delete these edges (by source, type and target); returns how many existed."""

    def neighbours(
        self, node_id: str, rel: Rel | None = None, direction: Direction = Direction.OUT
    ) -> list[tuple[Edge, Node]]:
        """Edges at a node, of one type or all, with the node at their other end."""

    def vector_topk(
        self,
        vector: np.ndarray,
        k: int,
        labels: Iterable[Label] | None = None,
        exclude: Iterable[str] = (),
        space: str = EMBEDDING,
    ) -> list[ScoredId]:
        """The k nodes whose vectors in ``space`` are most cosine-similar to ``vector``, best first, equal
        scores in id order (on an approximate vector index, which nodes make the k is the index's call)."""

    def vector_scores(self, vector: np.ndarray, node_ids: Iterable[str], space: str = EMBEDDING) -> dict[str, float]:
        """Cosine of ``vector`` with the stored vector in ``space`` of each given node that has one."""

    def lexical_idf(self) -> np.ndarray:
        """The inverse document frequency of each lexical bucket (``graph.lexical.idf_of``) over the
        store's texts, for weighting lexical queries; all ones for a store without text. A store may
        compute it from a bounded sample of its texts and keep it a while after writes."""

    def tfidf_scores(self, text: str, node_ids: Iterable[str]) -> dict[str, float]:
        """The exact lexical score of ``text`` against each given node that has text: the blend of
        the cosines of their character TF-IDF vectors and of their word-stem TF-IDF vectors
        (``graph.lexical.tfidf_cosines``), with document frequencies over the store's texts (or a
        bounded sample of them, kept a while, as for lexical_idf)."""

    def neighbours_many(
        self, node_ids: Iterable[str], rel: Rel | Sequence[Rel] | None = None, direction: Direction = Direction.OUT
    ) -> dict[str, list[tuple[Edge, Node]]]:
        """:meth:`neighbours` of many nodes in one call (nodes without embeddings); nodes without
        such edges are left out. ``rel`` may name several relationship types (edges of any of them)."""

    def linked(
        self, node_ids: Iterable[str], rel: Rel, direction: Direction = Direction.IN,
        labels: Iterable[Label] | None = None,
    ) -> dict[str, tuple[list[str], int]]:
        """Nodes (of ``labels``) one ``rel`` edge away from any of ``node_ids``, in ``direction`` as
        seen from those nodes: for each, the given nodes it is linked to (sorted) and its own number of
        ``rel`` edges pointing the other way (its degree). With ``Direction.IN`` from topics: the items
        tagged with them, and how many topics each item has."""

    def find_nodes(
        self,
        label: Label,
        *,
        equal: Mapping[str, Any] | None = None,
        not_in: Mapping[str, Sequence[Any]] | None = None,
        ids: Iterable[str] | None = None,
        id_prefix: str | None = None,
        offset: int = 0,
        limit: int = 20,
        order_by: str | None = None,
    ) -> tuple[list[Node], int]:
        """One page of the nodes of a label, and how many there are in all: those whose properties equal
        ``equal``, whose properties are not among the ``not_in`` values (a missing property is not among
        them) and, with ``ids``, whose id is one of those; with ``id_prefix``, whose id starts with it.
        Sorted by id, or with ``order_by`` by a field (``"title"``, or ``"-start_date"`` for descending;
        as :func:`sort_key` has it: text in Norwegian order), nodes without it last, ties by id. Property
        names must be fields of the label (``graph.schema.FIELDS``). Nodes come without embeddings."""

    def iter_nodes(self, label: Label | None = None) -> Iterator[Node]:
        """Every node, or every node of one label."""

    def iter_edges(self, rel: Rel | None = None) -> Iterator[Edge]:
        """Every edge, or every edge of one type."""

    def count_nodes(self, label: Label | None = None) -> int:
        """Number of nodes, or of nodes of one label."""

    def count_edges(self, rel: Rel | None = None) -> int:
        """Number of edges, or of edges of one type."""

    def hashes(self, label: Label | None = None) -> dict[str, tuple[str | None, str | None]]:
        """``id -> (text_hash, model)`` for every node: what ingest needs to skip unchanged text."""

    def revision(self) -> str:
        """A token that changes whenever the graph changes: caches of derived indexes key on it."""

    def ping(self) -> None:
        """Raise StoreUnavailableError when the store cannot answer."""

    def get_meta(self, key: str) -> str | None:
        """A store-level setting, such as the embedding model and its dimension."""

    def set_meta(self, key: str, value: str) -> None:
        """Record a store-level setting."""

    def get_meta_many(self, keys: Sequence[str]) -> dict[str, str]:
        """The settings of these keys that are set, in one read (or a few, for many keys)."""

    def meta_keys(self, prefix: str) -> list[str]:
        """The keys of the settings that start with ``prefix``, sorted."""

    def delete_meta(self, keys: Sequence[str]) -> int:
        """Remove these settings, in one transaction; how many were set."""

    def search_paths(self) -> tuple[str, str | None]:
        """How vector searches run here, in words for an operator, and what the operator can do to make them
        faster (None when there is nothing to do)."""


def check_filter_fields(label: Label, names: Iterable[str]) -> None:
    """Refuse filter property names that are not fields of the label (they may reach a query's text)."""
    known = {spec.name for spec in FIELDS.get(label, ())}
    unknown = sorted(set(names) - known)
    if unknown:
        raise ValueError(f"{label.value} has no field {', '.join(map(repr, unknown))} to filter on")


# Sorting text the Norwegian way, alike on every store: lower case; a letter with an accent as the plain letter;
# æ, ø and å (and ä, ö, which Norwegian files with them) after z, in that order ("{", "|" and "}" follow "z").
SORT_FOLDS = (("é", "e"), ("è", "e"), ("ê", "e"), ("ë", "e"), ("á", "a"), ("à", "a"), ("â", "a"), ("ó", "o"),
              ("ò", "o"), ("ô", "o"), ("í", "i"), ("ì", "i"), ("î", "i"), ("ï", "i"), ("ú", "u"), ("ù", "u"),
              ("û", "u"), ("ü", "y"), ("ç", "c"), ("ñ", "n"), ("æ", "{"), ("ä", "{"), ("ø", "|"), ("ö", "|"),
              ("å", "}"))


def sorted_as(kind: str) -> str:
    """How find_nodes compares values of a field of this ``kind`` (a ``FieldSpec.kind``), on every store:
    ``"text"`` (folded by ``SORT_FOLDS``), ``"number"`` or ``"date"`` (dates, datetimes and dates kept as text
    alike, by their ISO text)."""
    if kind in ("str", "text"):
        return "text"
    return "number" if kind in ("int", "float") else "date"


def sort_key(value: Any, kind: str) -> Any:
    """The value that find_nodes sorts a field of this ``kind`` by, as :func:`sorted_as` says."""
    how = sorted_as(kind)
    if how == "text":
        text = str(value).lower()
        for letter, folded in SORT_FOLDS:
            text = text.replace(letter, folded)
        return text
    if how == "number" and isinstance(value, int | float):
        return float(value)
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def check_order_field(label: Label, order_by: str | None) -> tuple[str, bool, str] | None:
    """``order_by`` of find_nodes as (field, descending, the field's kind), refused when it is not a field of
    the label (it reaches a query's text)."""
    if order_by is None:
        return None
    name = order_by.removeprefix("-")
    spec = next((s for s in FIELDS.get(label, ()) if s.name == name), None)
    if spec is None:
        raise ValueError(f"{label.value} has no field {name!r} to sort by")
    return name, order_by.startswith("-"), spec.kind


def create_private_file(path: str | Path) -> None:
    """Make ``path`` if it is not there, readable and writable by its owner only (a file that holds contact
    details, tokens or a key); an existing file keeps its mode."""
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


def to_networkx(store: GraphStore, labels: Iterable[Label] | None = None) -> nx.MultiDiGraph:
    """Copy a store into a networkx MultiDiGraph: node attributes are the label and properties,
    edge keys are relationship types. Embeddings are left out.

    Nodes come in id order, edges in (source, type, target) order and properties by name, whatever order
    the store reads them in, so an export of the same graph is the same file from every store."""
    wanted = set(labels) if labels is not None else None
    g = nx.MultiDiGraph()
    for node in sorted(store.iter_nodes(), key=lambda n: n.id):
        if wanted is None or node.label in wanted:
            g.add_node(node.id, label=node.label.value, **dict(sorted(node.props.items())))
    for edge in sorted(store.iter_edges(), key=lambda e: (e.src, e.rel.value, e.dst)):
        if edge.src in g and edge.dst in g:
            g.add_edge(edge.src, edge.dst, key=edge.rel.value, rel=edge.rel.value, **dict(sorted(edge.props.items())))
    return g


# --- property encoding shared by adapters that store properties as JSON -------------------------


def _encode_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "$date" in value:
            return dt.date.fromisoformat(value["$date"])
        if "$datetime" in value:
            return dt.datetime.fromisoformat(value["$datetime"])
    return value


def encode_props(props: dict[str, Any]) -> str:
    """JSON text of a property map; dates and datetimes keep their type through a tag."""
    return json.dumps(
        {k: _encode_value(v) for k, v in props.items() if v is not None},
        ensure_ascii=False,
        sort_keys=True,
    )


def decode_props(text: str | None) -> dict[str, Any]:
    """Inverse of :func:`encode_props`."""
    if not text:
        return {}
    return {k: _decode_value(v) for k, v in json.loads(text).items()}
