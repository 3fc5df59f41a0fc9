"""Ingest: read and validate everything first, embed only what changed, then write in batches.

A file with a bad row writes nothing. A second ingest of the same files embeds nothing and changes
nothing. Each batch is one store transaction, so an interrupted run leaves whole batches only, and a
re-run completes the work.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from graph.errors import Problem, ValidationError
from graph.schema import Edge, Label, Node, node_text, text_hash
from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.readers import Record, discover, read
from ingest.records import OWNED_RELS, Parsed, parse

ProgressFactory = Callable[[str, int], "Progress"]


class Progress:
    """A minimal progress sink; the CLI passes a tqdm-backed one."""

    def update(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def _silent(_desc: str, _total: int) -> Progress:
    return Progress()


@dataclass
class IngestSummary:
    """What an ingest run did."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    embedded: int = 0
    edges_written: int = 0
    edges_removed: int = 0
    seconds: float = 0.0
    files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def parse_records(records: Iterable[Record], problems: list[Problem] | None = None) -> list[Parsed]:
    """Validate records; raise ValidationError listing every problem (also those passed in)."""
    problems = list(problems or [])
    parsed: list[Parsed] = []
    seen: dict[str, tuple[str, int]] = {}
    for record in records:
        item, found = parse(record)
        problems.extend(found)
        if item is None:
            continue
        first = seen.get(item.node.id)
        if first is not None:
            problems.append(Problem(record.file, record.row, "id",
                                    f"duplicate id '{item.node.id}', first seen in {first[0]}, row {first[1]}"))
            continue
        seen[item.node.id] = (record.file, record.row)
        parsed.append(item)
    if problems:
        raise ValidationError(problems)
    return parsed


def load_records(paths: Sequence[Path | str], kind: str | None = None) -> list[Parsed]:
    """Read and validate every file; raise ValidationError listing every problem found."""
    problems: list[Problem] = []
    records: list[Record] = []
    for path, k in discover([Path(p) for p in paths], kind):
        try:
            records.extend(read(path, k))
        except ValidationError as e:
            problems.extend(e.problems)
    return parse_records(records, problems)


def check_links(parsed: list[Parsed], store: GraphStore) -> None:
    """Every link must reach an id of the right label, in this run or already in the store."""
    labels: dict[str, Label] = {p.node.id: p.node.label for p in parsed}
    for p in parsed:
        for t in p.topics:
            labels[t.id] = Label.TOPIC
    missing = {e.dst for p in parsed for _, e, _ in p.links if e.dst not in labels}
    for node in store.get_many(sorted(missing)):
        labels[node.id] = node.label
    problems: list[Problem] = []
    for p in parsed:
        for fieldname, edge, want in p.links:
            have = labels.get(edge.dst)
            if have is None:
                problems.append(Problem(p.record.file, p.record.row, fieldname,
                                        f"links to '{edge.dst}', which is neither in this ingest nor in the store"))
            elif have != want:
                problems.append(Problem(p.record.file, p.record.row, fieldname,
                                        f"'{edge.dst}' is a {have.value}, expected a {want.value}"))
    if problems:
        raise ValidationError(problems)


def embed_changed(
    nodes: list[Node], store: GraphStore, embedder: Embedder, *, progress: ProgressFactory = _silent,
    batch_size: int = 64,
) -> int:
    """Set model, text hash and (only where the text or model changed) embedding on text nodes."""
    stored = store.hashes()
    todo: list[tuple[Node, str]] = []
    for node in nodes:
        text = node_text(node)
        if not text:
            continue
        node.model = embedder.name
        node.text_hash = text_hash(text, embedder.name)
        if stored.get(node.id) != (node.text_hash, node.model):
            todo.append((node, text))
    bar = progress("embedding", len(todo))
    for start in range(0, len(todo), batch_size):
        chunk = todo[start : start + batch_size]
        vectors = embedder.encode([t for _, t in chunk], kind="passage", batch_size=batch_size)
        for (node, _), vec in zip(chunk, vectors, strict=True):
            node.embedding = np.asarray(vec, dtype=np.float32)
        bar.update(len(chunk))
    bar.close()
    return len(todo)


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ingest(
    store: GraphStore,
    embedder: Embedder,
    paths: Sequence[Path | str],
    *,
    kind: str | None = None,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
) -> IngestSummary:
    """Ingest files or folders in the documented format into ``store``.

    Raises ValidationError (and writes nothing) when any row is bad.
    """
    started = time.perf_counter()
    parsed = load_records(paths, kind)
    summary = write_parsed(store, embedder, parsed, batch_size=batch_size, progress=progress)
    summary.files = [str(p) for p in paths]
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def ingest_records(
    store: GraphStore,
    embedder: Embedder,
    records: Iterable[Record],
    *,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
) -> IngestSummary:
    """Ingest records made by a source adapter, through the same validation and writing."""
    started = time.perf_counter()
    summary = write_parsed(store, embedder, parse_records(records), batch_size=batch_size, progress=progress)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def write_parsed(
    store: GraphStore,
    embedder: Embedder,
    parsed: list[Parsed],
    *,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
) -> IngestSummary:
    """Check links, embed what changed and write: the part of ingest after validation."""
    started = time.perf_counter()
    summary = IngestSummary()
    check_links(parsed, store)
    summary.read = len(parsed)

    topics = {t.id: t for p in parsed for t in p.topics}
    nodes = [p.node for p in parsed] + list(topics.values())
    existing = {n.id: n for n in store.get_many([n.id for n in nodes])}
    summary.embedded = embed_changed(nodes, store, embedder, progress=progress)
    if summary.embedded:
        store.set_meta("embedding_model", embedder.name)
        store.set_meta("embedding_dimension", str(embedder.dimension))

    changed: list[Node] = []
    for node in nodes:
        old = existing.get(node.id)
        if old is None:
            summary.created += 1
            changed.append(node)
        elif old.props != node.props or old.label != node.label or node.embedding is not None \
                or (old.text_hash, old.model) != (node.text_hash, node.model):
            summary.updated += 1
            changed.append(node)
        else:
            summary.unchanged += 1

    wanted = {e.key: e for p in parsed for _, e, _ in p.links}
    stale: list[Edge] = []
    new_edges: list[Edge] = []
    for p in parsed:
        if p.node.id not in existing:
            continue
        for edge, _ in store.neighbours(p.node.id):
            if edge.rel in OWNED_RELS and edge.key not in wanted:
                stale.append(edge)
    have = {e.key: e for p in parsed if p.node.id in existing for e, _ in store.neighbours(p.node.id)}
    for key, edge in wanted.items():
        old_edge = have.get(key)
        if old_edge is None or old_edge.props != edge.props:
            new_edges.append(edge)

    bar = progress("writing", len(changed) + len(new_edges) + len(stale))
    for chunk in _batches(changed, batch_size):
        store.upsert(nodes=chunk)
        bar.update(len(chunk))
    for chunk in _batches(new_edges, batch_size):
        store.upsert(edges=chunk)
        bar.update(len(chunk))
    if stale:
        store.delete_edges(stale)
        bar.update(len(stale))
    bar.close()
    summary.edges_written = len(new_edges)
    summary.edges_removed = len(stale)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary
