"""Crash safety: a real `kominn ingest` process killed with SIGKILL between batches leaves a consistent
store, and a re-run gives the same graph as a clean run, on the embedded store and on Neo4j (ArcadeDB)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.embedded import EmbeddedGraphStore
from graph.neo4j_store import Neo4jGraphStore
from graph.schema import Label, Rel
from graph.store import GraphStore
from ingest.pipeline import ingest
from tests.conftest import ROOT, TEST_DATA

pytestmark = [pytest.mark.slow]
BATCH = 4
KILL_AFTER = (1, 3)  # after the first batch (of 4 nodes with their links), and after the third of four


def _snapshot(store: GraphStore) -> tuple[dict, set]:
    nodes = {n.id: (n.label, n.props, n.text_hash, n.model) for n in store.iter_nodes()}
    edges = {(e.src, e.rel, e.dst, tuple(sorted(e.props.items()))) for e in store.iter_edges()}
    return nodes, edges


class _Backend:
    def __init__(self, kind: str, tmp: Path, server: object | None) -> None:
        self.kind, self.tmp, self.server, self.databases = kind, tmp, server, []

    def env(self, name: str) -> dict[str, str]:
        env = {**os.environ, "KOMINN_INGEST_BATCH_SIZE": str(BATCH), "KOMINN_DATA_DIR": str(self.tmp / name)}
        if self.kind == "neo4j":
            env.update({"KOMINN_STORE": "neo4j", "KOMINN_NEO4J_URI": self.server.bolt_uri,  # type: ignore[attr-defined]
                        "KOMINN_NEO4J_USER": self.server.user, "KOMINN_NEO4J_PASSWORD": self.server.password,  # type: ignore[attr-defined]
                        "KOMINN_NEO4J_DATABASE": name})
        return env

    def store(self, name: str) -> GraphStore:
        if self.kind == "embedded":
            return EmbeddedGraphStore(self.tmp / name / "kominn.sqlite")
        if name not in self.databases:
            self.server.create_database(name)  # type: ignore[attr-defined]
            self.databases.append(name)
        s = self.server  # type: ignore[assignment]
        return Neo4jGraphStore.from_uri(s.bolt_uri, s.user, s.password, database=name)  # type: ignore[attr-defined]

    def cleanup(self) -> None:
        for name in self.databases:
            self.server.drop_database(name)  # type: ignore[attr-defined]


@pytest.fixture(params=["embedded", "neo4j"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[_Backend]:
    server = request.getfixturevalue("arcadedb") if request.param == "neo4j" else None
    b = _Backend(request.param, tmp_path, server)
    yield b
    b.cleanup()


def _run(env: dict[str, str], data: Path, hook: Path | None = None, kill_after: int | None = None) -> int:
    """Run `python -m service.cli ingest`; with ``kill_after`` SIGKILL it once that many batches are in."""
    if hook is not None:
        env = {**env, "KOMINN_INGEST_TEST_HOOK": str(hook), "KOMINN_INGEST_TEST_PAUSE": "0.5"}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "ingest", str(data)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if kill_after is None:
        out, _ = proc.communicate(timeout=240)
        assert proc.returncode == 0, out.decode()
        return 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if hook is not None and hook.exists() and len(hook.read_text().split()) >= kill_after:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the ingest finished before it could be killed"
    return len(hook.read_text().split()) if hook else 0


def test_kill_9_between_batches_then_rerun_equals_a_clean_run(backend: _Backend, tmp_path: Path,
                                                            real_embedder: object) -> None:
    """Killed after the first batch or amid the later ones, the store holds whole batches only (every edge has
    both ends, every initiative its owner) and a re-run ends with exactly the graph of an uninterrupted run."""
    data = tmp_path / "data"
    shutil.copytree(TEST_DATA / "small", data)
    clean = backend.store("clean")
    clean.open()
    try:
        ingest(clean, real_embedder, [data], batch_size=BATCH)  # type: ignore[arg-type]
        expected = _snapshot(clean)
    finally:
        clean.close()
    for n, kill_after in enumerate(KILL_AFTER):
        name = f"killed{n}"
        store = backend.store(name)
        store.open()
        store.close()
        batches = _run(backend.env(name), data, tmp_path / f"hook{n}", kill_after)
        assert batches == kill_after
        store.open()
        try:
            nodes, edges = _snapshot(store)
            assert 0 < len(nodes) < len(expected[0]) + 1 and len(edges) < len(expected[1])
            assert all(src in nodes and dst in nodes for src, _, dst, _ in edges)  # no half batch
            # each node came with its links: no initiative in the store lacks its owner
            owned = {src for src, rel, _, _ in edges if rel == Rel.OWNED_BY}
            assert all(i in owned for i, (label, *_) in nodes.items() if label == Label.INITIATIVE)
        finally:
            store.close()
        _run(backend.env(name), data)
        store.open()
        try:
            assert _snapshot(store) == expected
        finally:
            store.close()
