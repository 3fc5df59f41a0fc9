"""Copy a graph from one store to another (embedded to Neo4j and back), without loss.

Nodes go first, with their embeddings, models and text hashes, then edges, in batches (each batch
one transaction in the destination), then the store settings that go with the graph: those that describe the
embeddings, the learned partner weights, what ingest remembers of each source, and the marks of erased ideas.

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

import json
from collections.abc import Callable
from dataclasses import dataclass

from graph.erased import MARKS, erased_among, strip_erased_contacts
from graph.meta import PENDING_KEY, SIMILAR_KEY, SOURCES_KEY, source_keys, source_settings
from graph.schema import Label
from graph.store import GraphStore

# Settings kept in the store that go with the graph: the embedding model, the learned partner weights, the rule
# the similar links were scored by, the list of ingest's sources and the ids whose similar lists are still due.
# The first three are those of
# recommend.partners.MODEL_META_KEY and ingest.pipeline (graph imports neither); the ingest keys are graph.meta's.
# Besides these, every setting that graph.meta.PER_SOURCE names goes with each listed source: what it delivered
# (for a later --sync) and its last run (for `kominn sources`, and so that the same files are not read again).
META_KEYS = ("embedding_model", "embedding_dimension", "partner_model", SIMILAR_KEY, SOURCES_KEY, PENDING_KEY)

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
    _copy_settings(src, dst)
    marks = src.meta_keys(MARKS)
    for key, value in src.get_meta_many(marks).items():
        dst.set_meta(key, value)
    return CopySummary(nodes, edges, len(erased))


def _copy_settings(src: GraphStore, dst: GraphStore) -> None:
    """Copy the settings of ``META_KEYS`` that ``src`` has, and every setting of each source it lists. A source's
    setting that ``src`` lacks is deleted from ``dst``, so that no run of ``dst``'s is taken for ``src``'s (with a
    list of sources that is not JSON, no source's settings are copied). The list of sources and the ids still due
    are joined with those ``dst`` had, as its own nodes stay: its sources stay listed (and their claims count for a
    later --sync), and its due similar lists are still redone."""
    per_source = [key for source in source_keys(src) for key in source_settings(source)]
    keys = [*META_KEYS, *per_source]  # the ids still due before any source's last run, should the copy stop
    values = src.get_meta_many(keys)
    for key in _JOINED:
        if key in values:
            values[key] = _joined(values[key], dst.get_meta(key))
    for key in keys:
        if key in values:
            dst.set_meta(key, values[key])
    lacking = [key for key in per_source if key not in values]
    if lacking:
        dst.delete_meta(lacking)


_JOINED = (SOURCES_KEY, PENDING_KEY)  # JSON lists: the source's entries first, then those only the destination had


def _joined(value: str, had: str | None) -> str:
    """The JSON list ``value`` with the entries of the JSON list ``had`` that it lacks after its own; ``value`` as
    it is where either is not a JSON list (ingest reports a broken setting when it reads it).

    >>> _joined('["a", "b"]', '["c", "a"]'), _joined('["a"]', None), _joined('["a"]', "{broken")
    ('["a", "b", "c"]', '["a"]', '["a"]')
    """
    try:
        ours, theirs = json.loads(value), json.loads(had) if had else []
    except ValueError:
        return value
    if not isinstance(ours, list) or not isinstance(theirs, list):
        return value
    extra = [x for x in theirs if x not in ours]
    return json.dumps([*ours, *extra]) if extra else value


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
