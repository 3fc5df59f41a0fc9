"""Latency of the recommenders on a Bolt server next to the embedded store, on the same graphs.

    .venv/bin/python bench/bolt_server.py [--data-dir kominn-data/bench] [--queries 40]

Starts ArcadeDB from the dev dependencies (``tests/arcadedb.py``; a Neo4j server would be faster at
the vector functions, but cannot be installed here), copies the demo store and the Tidstyver store
that ``bench/recommend.py`` builds into it, and times the same queries on both stores. Prints p50/p95
and the ratio of the server's p50 to the embedded store's, measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.recommend import pct, timed  # noqa: E402
from graph.copy import copy_graph  # noqa: E402
from graph.embedded import EmbeddedGraphStore  # noqa: E402
from graph.neo4j_store import Neo4jGraphStore  # noqa: E402
from graph.schema import Label, node_text  # noqa: E402
from graph.store import GraphStore  # noqa: E402
from ingest.demo import load_demo  # noqa: E402
from ingest.embedder import SentenceTransformerEmbedder  # noqa: E402
from recommend.partners import PartnerRecommender  # noqa: E402
from recommend.similar import Recommender  # noqa: E402
from tests.arcadedb import ArcadeServer  # noqa: E402


def compare(name: str, embedded: list[float], server: list[float]) -> None:
    e50, s50 = pct(embedded, 0.5), pct(server, 0.5)
    print(f"{name:<40} embedded p50 {e50:7.1f} / p95 {pct(embedded, 0.95):7.1f} ms   "
          f"server p50 {s50:7.1f} / p95 {pct(server, 0.95):7.1f} ms   = {s50 / e50:5.1f}x")


def measure_demo(store: GraphStore, embedder: SentenceTransformerEmbedder, items: list[str], texts: list[str],
                 vectors: dict[str, np.ndarray]) -> dict[str, list[float]]:
    rec = Recommender(store, embedder)
    partners = PartnerRecommender(store, rec)
    rec.similar(items[0])
    return {
        "similar(initiative id), cross-silo": timed(lambda i: rec.similar(i, k=10, cross_silo=True), items),
        "similar(free text), encode excluded": timed(lambda t: rec.similar_to_text(t, k=10, vector=vectors[t]),
                                                     texts),
        "partners(initiative id)": timed(lambda i: partners.partners(i, k=10), items),
    }


def measure_needs(store: GraphStore, embedder: SentenceTransformerEmbedder, texts: list[str],
                  vectors: dict[str, np.ndarray]) -> list[float]:
    rec = Recommender(store, embedder)
    rec.similar_to_text(texts[0], labels=(Label.NEED,), vector=vectors[texts[0]])
    return timed(lambda t: rec.similar_to_text(t, k=10, labels=(Label.NEED,), vector=vectors[t]), texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "kominn-data" / "bench")
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    n = args.queries
    demo = EmbeddedGraphStore(args.data_dir / "demo.sqlite")
    demo.open()
    if demo.count_nodes() == 0:
        load_demo(demo, embedder)

    with ArcadeServer(heap="2g") as server:
        def neo4j(database: str) -> Neo4jGraphStore:
            server.create_database(database)
            store = Neo4jGraphStore.from_uri(server.bolt_uri, server.user, server.password, database=database,
                                             arcadedb_http=server.http_url)
            store.open()
            return store

        target = neo4j("demo")
        t0 = time.perf_counter()
        copy_graph(demo, target, batch_size=200)
        print(f"copied the demo graph ({demo.count_nodes()} nodes) into ArcadeDB in {time.perf_counter() - t0:.0f} s")
        stores: dict[str, GraphStore] = {"embedded": demo, "server": target}
        items = sorted(i.id for i in demo.iter_nodes(Label.INITIATIVE))[:n]
        texts = [node_text(n) for n in demo.get_many(items)]
        vectors = dict(zip(texts, embedder.encode(texts, kind="query"), strict=True))
        runs = {kind: measure_demo(store, embedder, items, texts, vectors) for kind, store in stores.items()}
        for name in runs["embedded"]:
            compare(f"demo: {name}", runs["embedded"][name], runs["server"][name])

        tid_path = args.data_dir / "tidstyver.sqlite"
        if tid_path.exists():
            tid = EmbeddedGraphStore(tid_path)
            tid.open()
            target = neo4j("tidstyver")
            t0 = time.perf_counter()
            copy_graph(tid, target, batch_size=200)
            print(f"copied Tidstyver ({tid.count_nodes()} nodes) into ArcadeDB in {time.perf_counter() - t0:.0f} s")
            needs = sorted(tid.iter_nodes(Label.NEED), key=lambda x: x.id)[:n]
            texts = [node_text(x) for x in needs]
            vectors = dict(zip(texts, embedder.encode(texts, kind="query"), strict=True))
            times = {kind: measure_needs(store, embedder, texts, vectors)
                     for kind, store in {"embedded": tid, "server": target}.items()}
            compare(f"tidstyver ({len(needs)} queries): similar text", times["embedded"], times["server"])
        else:
            print(f"no {tid_path}: run bench/recommend.py first for the Tidstyver comparison")


if __name__ == "__main__":
    main()
