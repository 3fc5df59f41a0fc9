"""The embedded store: durable writes, exact reopen, neighbours, deletes and vector top-k."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import numpy as np
import pytest

from graph.embedded import FRESHNESS_SECONDS, EmbeddedGraphStore
from graph.schema import Direction, Edge, Label, Node, Rel
from graph.store import to_networkx


def _graph(store: EmbeddedGraphStore) -> tuple[dict, set]:
    nodes = {n.id: (n.label, n.props, n.text_hash, n.model) for n in store.iter_nodes()}
    edges = {(e.src, e.rel, e.dst, tuple(sorted(e.props.items()))) for e in store.iter_edges()}
    return nodes, edges


def test_reopen_restores_the_same_graph(tmp_path: Path) -> None:
    """Everything committed, including property types and embeddings, comes back after reopening."""
    path = tmp_path / "g.sqlite"
    props = {
        "title": "Økt gjenbruk på Bærum gjenvinningsstasjon – «ærlig» og åpen",
        "start_date": dt.date(2021, 3, 4),
        "status": "ongoing",
        "count": 3,
        "ratio": 0.25,
        "flag": True,
        "tags": ["å", "b"],
        "when": dt.datetime(2024, 1, 2, 3, 4, 5),
    }
    vec = np.arange(8, dtype=np.float32) + 1
    with EmbeddedGraphStore(path) as s:
        s.upsert(
            [Node("a", Label.INITIATIVE, props, vec, "m", "h"), Node("u", Label.ORGANISATION, {"name": "Enhet"})],
            [Edge("a", Rel.OWNED_BY, "u"), Edge("a", Rel.INVOLVES, "u", {"role": "partner"})],
        )
        before = _graph(s)
        emb_before = s.get("a").embedding
    with EmbeddedGraphStore(path) as s:
        assert _graph(s) == before
        assert s.get("a").props == props
        assert np.allclose(s.get("a").embedding, emb_before)
        assert s.get("a").props["start_date"] == dt.date(2021, 3, 4)


def test_failed_batch_writes_nothing(store: EmbeddedGraphStore) -> None:
    """A batch that fails half-way leaves neither its nodes nor its edges behind."""
    bad = Node("b", Label.TOPIC, {"name": object()})  # cannot be encoded
    with pytest.raises(TypeError):
        store.upsert([Node("a", Label.TOPIC, {"name": "ok"}), bad], [Edge("a", Rel.SIMILAR_TO, "b")])
    assert store.count_nodes() == 0 and store.count_edges() == 0
    store.close()
    store.open()
    assert store.count_nodes() == 0


def test_neighbours_by_type_and_direction(store: EmbeddedGraphStore) -> None:
    """Neighbours are filtered by relationship type and direction."""
    store.upsert(
        [Node(i, Label.ORGANISATION, {"name": i}) for i in ("k", "u1", "u2")]
        + [Node("i", Label.INITIATIVE, {"title": "x", "status": "idea"})],
        [Edge("u1", Rel.PART_OF, "k"), Edge("u2", Rel.PART_OF, "k"), Edge("i", Rel.OWNED_BY, "u1")],
    )
    assert {n.id for _, n in store.neighbours("k", Rel.PART_OF, Direction.IN)} == {"u1", "u2"}
    assert store.neighbours("k", Rel.PART_OF, Direction.OUT) == []
    assert {n.id for _, n in store.neighbours("u1", direction=Direction.BOTH)} == {"k", "i"}


def test_delete_removes_node_and_its_edges(store: EmbeddedGraphStore) -> None:
    """Deleting a node deletes every edge at it, also after reopening."""
    store.upsert(
        [Node("a", Label.TOPIC, {"name": "a"}), Node("b", Label.TOPIC, {"name": "b"})],
        [Edge("a", Rel.SIMILAR_TO, "b"), Edge("b", Rel.SIMILAR_TO, "a")],
    )
    assert store.delete(["a"]) == 1
    assert store.count_edges() == 0 and store.get("a") is None
    store.close()
    store.open()
    assert store.count_edges() == 0 and store.count_nodes() == 1


def test_a_deleted_idea_s_words_leave_the_files_on_disk_at_once(tmp_path: Path) -> None:
    """After deleting an idea whose text names a person, neither the database file nor its write-ahead log
    holds those words any more, while the store is still open (no waiting for a checkpoint or a shutdown)."""
    path = tmp_path / "g.sqlite"
    store = EmbeddedGraphStore(path)
    store.open()
    store.upsert([Node(f"keep{i}", Label.TOPIC, {"name": f"tema {i}"}) for i in range(50)])
    store.upsert([Node("idea", Label.IDEA, {"title": "Benk", "text": "Kari Zyxwqsen på 98765432 vil ha en benk",
                                            "submitter_kind": "citizen", "contact": "kari.zyxwq@example.no"})])
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("g.sqlite"))
    assert b"Zyxwqsen" in on_disk  # the check below can see the words where they are
    assert store.delete(["idea"]) == 1
    on_disk = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("g.sqlite"))
    assert b"Zyxwqsen" not in on_disk and b"kari.zyxwq" not in on_disk
    assert store.get("keep3") is not None
    store.close()


def test_vector_topk_matches_numpy_reference(store: EmbeddedGraphStore) -> None:
    """Top-k equals a brute-force cosine ranking, respects the label filter and exclusions."""
    rng = np.random.default_rng(7)
    vecs = rng.normal(size=(60, 16)).astype(np.float32)
    labels = [Label.INITIATIVE if i % 2 else Label.IDEA for i in range(60)]
    store.upsert([Node(f"n{i}", labels[i], {"title": str(i)}, vecs[i]) for i in range(60)])
    q = rng.normal(size=16).astype(np.float32)
    unit = vecs / np.linalg.norm(vecs, axis=1, keepdims=True)
    ref = unit @ (q / np.linalg.norm(q))
    want = [f"n{i}" for i in np.argsort(-ref) if labels[i] == Label.INITIATIVE and i != 1][:5]
    got = store.vector_topk(q, 5, labels=[Label.INITIATIVE], exclude=["n1"])
    assert [i for i, _ in got] == want
    assert np.allclose([s for _, s in got], [ref[int(i[1:])] for i in want], atol=1e-5)


def test_other_process_writes_are_seen(tmp_path: Path) -> None:
    """A store picks up what another connection committed (ingest while the service runs)."""
    path = tmp_path / "g.sqlite"
    with EmbeddedGraphStore(path) as reader, EmbeddedGraphStore(path) as writer:
        assert reader.count_nodes() == 0
        writer.upsert([Node("a", Label.TOPIC, {"name": "a"})])
        time.sleep(FRESHNESS_SECONDS + 0.05)
        assert reader.get("a") is not None


def test_to_networkx_copies_labels_and_edge_types(store: EmbeddedGraphStore) -> None:
    """The networkx export carries labels, properties and relationship types."""
    store.upsert([Node("a", Label.TOPIC, {"name": "a"}), Node("b", Label.TOPIC, {"name": "b"})],
                 [Edge("a", Rel.SIMILAR_TO, "b", {"score": 0.5})])
    g = to_networkx(store)
    assert g.nodes["a"]["label"] == "Topic"
    assert g.edges["a", "b", "SIMILAR_TO"]["score"] == 0.5


def test_a_shared_export_leaves_out_hidden_ideas_and_personal_data(tmp_path: Path) -> None:
    """export_json without include_private has no hidden idea (nor its links) and no contact; with it, both, in a
    file only its owner can read (also when it replaces an older one)."""
    from graph.export import export_json

    store = EmbeddedGraphStore(tmp_path / "s.sqlite")
    store.open()
    store.upsert([Node("n1", Label.NEED, {"title": "Behov"}),
                  Node("i1", Label.IDEA, {"title": "Åpen", "text": "t", "status": "new", "contact": "ola@example.no"}),
                  Node("i2", Label.IDEA, {"title": "Skjult", "text": "t", "status": "hidden"})],
                 [Edge("i1", Rel.ADDRESSES, "n1"), Edge("i2", Rel.ADDRESSES, "n1")])
    shared = export_json(store, tmp_path / "g.json")
    assert set(shared.nodes) == {"n1", "i1"} and "contact" not in shared.nodes["i1"]
    assert list(shared.edges()) == [("i1", "n1")]
    (tmp_path / "all.json").write_text("an older export, readable by all")
    (tmp_path / "all.json").chmod(0o644)
    full = export_json(store, tmp_path / "all.json", include_private=True)
    assert "i2" in full and full.nodes["i1"]["contact"] == "ola@example.no"
    assert (tmp_path / "all.json").stat().st_mode & 0o777 == 0o600  # contact details: for its owner only
    store.close()


def test_the_store_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    """A new store file holds contact details: it is made with mode 0600, not readable by other users."""
    store = EmbeddedGraphStore(tmp_path / "s.sqlite")
    store.open()
    store.close()
    assert (tmp_path / "s.sqlite").stat().st_mode & 0o777 == 0o600
