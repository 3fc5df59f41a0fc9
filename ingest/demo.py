"""The demo data set shipped with KomInn: a fictional municipality, written by the KomInn team."""

from __future__ import annotations

from pathlib import Path

from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.pipeline import IngestSummary, ProgressFactory, ingest

DEMO_DIR = Path(__file__).resolve().parent / "demo_data"


def load_demo(store: GraphStore, embedder: Embedder, **options: ProgressFactory) -> IngestSummary:
    """Ingest the demo data set (illustrative and fictional) into ``store``."""
    return ingest(store, embedder, [DEMO_DIR], **options)  # type: ignore[arg-type]
