"""Copy a graph from one store to another (embedded to Neo4j and back), without loss.

Nodes go first, with their embeddings, models and text hashes, then edges, in batches (each batch
one transaction in the destination), then the store settings that describe the embeddings.

>>> from graph.embedded import EmbeddedGraphStore
>>> from graph.schema import Edge, Label, Node, Rel
>>> a, b = EmbeddedGraphStore(), EmbeddedGraphStore()
>>> a.open(); b.open()
>>> a.upsert([Node("t1", Label.TOPIC, {"name": "energi"}), Node("t2", Label.TOPIC, {"name": "vann"})],
...          [Edge("t1", Rel.SIMILAR_TO, "t2", {"score": 0.5})])
>>> copy_graph(a, b)
CopySummary(nodes=2, edges=1, erased=0)
>>> b.get("t1").props
{'name': 'energi'}
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from graph.erased import MARKS, erased_among, strip_erased_contacts
from graph.schema import Label
from graph.store import GraphStore

# Store settings that travel with the graph (what ingest records about the embeddings).
# Settings kept in the store that go with the graph: the embedding model, the learned partner weights, and
# what each ingest source delivered (for a later --sync) and still owes (similar lists due). The keys are
# those of recommend.partners.MODEL_META_KEY and ingest.pipeline (graph imports neither).
META_KEYS = ("embedding_model", "embedding_dimension", "partner_model", "ingest:sources", "ingest:pending")
SOURCE_KEY = "ingest:sources"  # a JSON list of source keys, each with its "ingest:members:<key>"

Progress = Callable[[str, int], None]  # (what, how many more) after each batch


@dataclass(frozen=True)
class CopySummary:
    nodes: int
    edges: int
    erased: int = 0  # ideas of the source that the destination had erased: not copied


def _silent(what: str, n: int) -> None:
    return None


def copy_graph(src: GraphStore, dst: GraphStore, *, batch_size: int = 500,
               progress: Progress = _silent) -> CopySummary:
    """Upsert every node and edge of ``src`` into ``dst`` (both open); returns how many were copied.

    Nodes already in ``dst`` are replaced; nodes only in ``dst`` stay. The marks of erased ideas
    (:mod:`graph.erased`) of both stores are kept, and an idea that ``dst`` knows as erased is not copied into it
    (nor its edges), nor a contact ``dst`` erased from an item: copying an older store into a newer one does not
    bring back what was erased since.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    nodes = edges = 0
    ids: list[str] = []
    erased: set[str] = set()  # ideas dst has erased: left behind
    for node in src.iter_nodes():  # iter_nodes leaves embeddings out: fetch them batch by batch
        ids.append(node.id)
        if len(ids) == batch_size:
            nodes += _copy_nodes(src, dst, ids, progress, erased)
            ids = []
    if ids:
        nodes += _copy_nodes(src, dst, ids, progress, erased)
    batch = []
    for edge in src.iter_edges():
        if edge.src in erased or edge.dst in erased:
            continue
        batch.append(edge)
        if len(batch) == batch_size:
            dst.upsert(edges=batch)
            edges += len(batch)
            progress("edges", len(batch))
            batch = []
    if batch:
        dst.upsert(edges=batch)
        edges += len(batch)
        progress("edges", len(batch))
    keys = list(META_KEYS)
    with contextlib.suppress(ValueError):  # no readable list of sources: their member lists stay behind
        keys += [f"ingest:members:{k}" for k in json.loads(src.get_meta(SOURCE_KEY) or "[]")]
    for key in keys:
        value = src.get_meta(key)
        if value is not None:
            dst.set_meta(key, value)
    marks = src.meta_keys(MARKS)
    for key, value in src.get_meta_many(marks).items():
        dst.set_meta(key, value)
    return CopySummary(nodes, edges, len(erased))


def _copy_nodes(src: GraphStore, dst: GraphStore, ids: list[str], progress: Progress, erased: set[str]) -> int:
    batch = src.get_many(ids)
    gone = erased_among(dst, [n.id for n in batch if n.label == Label.IDEA])
    if gone:
        erased |= gone
        batch = [n for n in batch if n.id not in gone]
    strip_erased_contacts(dst, batch)  # a contact dst erased from an item does not come back with the copy
    dst.upsert(nodes=batch)
    progress("nodes", len(batch))
    return len(batch)
