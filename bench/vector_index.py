"""How exact a Bolt server's vector index is: ``vector_topk`` on the server against the embedded store's exact one.

    .venv/bin/python bench/vector_index.py [--data-dir kominn-data/bench] [--queries 200] [--k 10 50 100]

Starts ArcadeDB from the dev dependencies (``tests/arcadedb.py``), copies the demo, Tidstyver and CORDIS
stores of ``bench/recommend.py`` into it (built through the normal ingest path where missing), and asks the
same query vectors of each store three ways: the embedded store (an exact numpy ranking, the reference),
the server through its vector indexes (ArcadeDB's LSM_VECTOR, made through its HTTP API) and the server
without them (a database opened without the HTTP address: exact ``vector.similarity.cosine`` scans, a
control whose recall must be 1.0).

The queries are the items' own texts encoded as queries (half), their titles alone (a quarter), and texts
of another corpus (a quarter: nothing stored is close to them). Prints per path and k the recall@k (the
share of the exact top k the server returns; a node tied in score with the exact k-th counts), how often
the top-1 agrees, and p50/p95 of the calls at the first k with the ratio of p50 to the embedded store's,
measured in the same run. ``--lexical`` does the same for the lexical vectors (hashed character n-grams).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.recommend import SHARED, pct, store_for  # noqa: E402
from graph.copy import copy_graph  # noqa: E402
from graph.embedded import EmbeddedGraphStore  # noqa: E402
from graph.lexical import lexical_vector, weighted_query  # noqa: E402
from graph.neo4j_store import Neo4jGraphStore  # noqa: E402
from graph.schema import Label, node_text  # noqa: E402
from graph.store import EMBEDDING, LEXICAL, GraphStore, ScoredId  # noqa: E402
from ingest.adapters import cordis_records, tidstyver_records  # noqa: E402
from ingest.demo import load_demo  # noqa: E402
from ingest.embedder import SentenceTransformerEmbedder  # noqa: E402
from ingest.pipeline import ingest_records  # noqa: E402
from recommend.similar import Recommender  # noqa: E402
from tests.arcadedb import ArcadeServer  # noqa: E402

TIE = 1e-6  # cosines this close to the exact k-th count as tied with it


@dataclass
class Query:
    kind: str  # "own", "title" or "other"
    text: str
    vector: np.ndarray


@dataclass
class Corpus:
    name: str
    store: EmbeddedGraphStore
    label: Label


def recall(found: list[ScoredId], exact: list[ScoredId], exact_scores: dict[str, float], k: int) -> float:
    """Share of the exact top k in ``found``; a found node whose exact cosine ties the k-th counts as a hit."""
    if not exact:
        return 1.0
    floor = exact[min(k, len(exact)) - 1][1] - TIE
    hits = sum(1 for i, _ in found[:k] if exact_scores.get(i, -2.0) >= floor)
    return min(1.0, hits / min(k, len(exact)))


def top1_agrees(found: list[ScoredId], exact: list[ScoredId], exact_scores: dict[str, float]) -> bool:
    if not exact:
        return not found
    return bool(found) and exact_scores.get(found[0][0], -2.0) >= exact[0][1] - TIE


def queries_for(corpus: Corpus, other_texts: list[str], n: int, embedder: SentenceTransformerEmbedder,
                space: str) -> list[Query]:
    nodes = sorted(corpus.store.iter_nodes(corpus.label), key=lambda x: x.id)
    step = max(1, len(nodes) // n)
    sample = nodes[::step]
    if len(sample) < n:  # a small corpus: the titles are those of the same items
        own, titles = [node_text(x) for x in sample[: n // 2]], [x.title for x in sample[: n // 4]]
    else:
        own = [node_text(x) for x in sample[: n // 2]]
        titles = [x.title for x in sample[n // 2: n // 2 + n // 4]]
    other = other_texts[: n - len(own) - len(titles)]
    texts = [("own", t) for t in own] + [("title", t) for t in titles] + [("other", t) for t in other]
    if space == EMBEDDING:
        vectors = list(embedder.encode([t for _, t in texts], kind="query"))
    else:
        idf = corpus.store.lexical_idf()
        vectors = [weighted_query(lexical_vector(t), idf) for _, t in texts]
    return [Query(kind, text, np.asarray(v, dtype=np.float32)) for (kind, text), v in zip(texts, vectors, strict=True)]


Search = Callable[[np.ndarray, int], list[ScoredId]]


def searcher(store: Neo4jGraphStore, label: Label, space: str, fetch: int = 1) -> Search:
    """``store.vector_topk`` over one label; with ``fetch`` > 1 it asks for ``fetch`` times k and keeps the best k."""
    return lambda v, k: store.vector_topk(v, fetch * k, labels=(label,), space=space)[:k]


def measure(corpus: Corpus, paths: dict[str, Search], queries: list[Query], ks: list[int], space: str) -> None:
    """Recall, top-1 agreement and latency of each path against the embedded store, at each k."""
    ref = corpus.store
    labels = (corpus.label,)
    searches: dict[str, Search] = {
        "embedded": lambda v, k: ref.vector_topk(v, k, labels=labels, space=space), **paths}
    times: dict[tuple[str, int], list[float]] = {}
    rows: dict[tuple[str, int], list[tuple[str, float, bool]]] = {}
    for q in queries:
        for k in ks:
            exact: list[ScoredId] = []
            for name, search in searches.items():
                t0 = time.perf_counter()
                found = search(q.vector, k)
                times.setdefault((name, k), []).append(time.perf_counter() - t0)
                if name == "embedded":
                    exact = found
                    continue
                scores = ref.vector_scores(q.vector, [i for i, _ in found] + [i for i, _ in exact], space=space)
                rows.setdefault((name, k), []).append(
                    (q.kind, recall(found, exact, scores, k), top1_agrees(found, exact, scores)))
    for k in ks:
        e50 = pct(times[("embedded", k)], 0.5)
        print(f"  {'embedded':<18} k={k:<3} (exact){' ' * 55}p50 {e50:6.1f} / p95 "
              f"{pct(times[('embedded', k)], 0.95):6.1f} ms")
        for name in paths:
            got = rows[(name, k)]
            mean = float(np.mean([r for _, r, _ in got]))
            worst = min(r for _, r, _ in got)
            top1 = float(np.mean([t for _, _, t in got]))
            kinds = " ".join(f"{np.mean([r for qk, r, _ in got if qk == kind]):.3f}"
                             for kind in dict.fromkeys(qk for qk, _, _ in got))
            s50 = pct(times[(name, k)], 0.5)
            print(f"  {name:<18} recall@{k:<3} {mean:.3f} (by kind {kinds}; worst {worst:.2f}) top-1 {top1:.3f}  "
                  f"p50 {s50:6.1f} / p95 {pct(times[(name, k)], 0.95):6.1f} ms = {s50 / e50:5.1f}x")


def compare_similar(corpus: Corpus, stores: dict[str, Neo4jGraphStore], queries: list[Query],
                    embedder: SentenceTransformerEmbedder, scan_share: int) -> None:
    """What a user sees: the recommender's top 10 for a text on each server path against the embedded store's."""
    labels = (corpus.label,)

    def top10(store: GraphStore, q: Query) -> list[str]:
        rec = recommenders.setdefault(id(store), Recommender(store, embedder))
        return [r.id for r in rec.similar_to_text(q.text, k=10, labels=labels, vector=q.vector).items]

    recommenders: dict[int, Recommender] = {}
    for name, store in stores.items():
        subset = queries if name == "server index" else queries[::scan_share]
        shared, same_top = [], []
        for q in subset:
            want, got = top10(corpus.store, q), top10(store, q)
            shared.append(len(set(want) & set(got)) / max(1, len(want)))
            same_top.append(want[:1] == got[:1])
        print(f"  similar_to_text top 10, {name:<12} ({len(subset)} queries): {np.mean(shared):.3f} shared with "
              f"the embedded store's (worst {min(shared):.1f}), same first {np.mean(same_top):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "kominn-data" / "bench")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--overfetch", type=int, nargs="*", default=[],
                        help="also the index path asked for this many times k, cut to k")
    parser.add_argument("--similar", action="store_true",
                        help="also compare the recommender's similar_to_text top 10 (the scan path on a quarter)")
    parser.add_argument("--skip-scan", action="store_true", help="leave out the exact-scan control (slow on CORDIS)")
    parser.add_argument("--lexical", action="store_true", help="also the lexical vectors")
    parser.add_argument("--only", nargs="+", choices=["demo", "tidstyver", "cordis"],
                        default=["demo", "tidstyver", "cordis"])
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    builders: dict[str, tuple[Label, Callable[[EmbeddedGraphStore], object]]] = {
        "demo": (Label.INITIATIVE, lambda s: load_demo(s, embedder)),
        "tidstyver": (Label.NEED, lambda s: ingest_records(s, embedder,
                                                           tidstyver_records(SHARED / "difi_tidstyver_2014"))),
        "cordis": (Label.INITIATIVE, lambda s: ingest_records(s, embedder, cordis_records(SHARED / "cordis_h2020"))),
    }
    corpora = [Corpus(name, store_for(args.data_dir / f"{name}.sqlite", fill), label)
               for name, (label, fill) in builders.items()]
    texts = {c.name: [node_text(x) for x in sorted(c.store.iter_nodes(c.label), key=lambda x: x.id)]
             for c in corpora}
    spaces = [EMBEDDING, LEXICAL] if args.lexical else [EMBEDDING]

    with ArcadeServer(heap="2g") as server:
        for corpus in (c for c in corpora if c.name in args.only):  # the others still give held-out texts
            stores: dict[str, Neo4jGraphStore] = {}
            for path, http in (("server index", server.http_url), ("server scan", None))[: 1 if args.skip_scan else 2]:
                database = f"{corpus.name}_{'index' if http else 'scan'}"
                server.create_database(database)
                store = Neo4jGraphStore.from_uri(server.bolt_uri, server.user, server.password, database=database,
                                                 arcadedb_http=http)
                store.open()
                t0 = time.perf_counter()
                copy_graph(corpus.store, store, batch_size=200)
                print(f"{corpus.name}: {corpus.store.count_nodes(corpus.label)} {corpus.label.value} nodes "
                      f"({corpus.store.count_nodes()} in all) copied in {time.perf_counter() - t0:.0f} s; "
                      f"{path}: {store.search_paths()[0]}")
                stores[path] = store
            others = [t for c in corpora if c.name != corpus.name for t in texts[c.name][::7]]
            for space in spaces:
                queries = queries_for(corpus, others, args.queries, embedder, space)
                print(f" {space} vectors, {len(queries)} queries (recall by kind: own texts, titles, other corpora):")
                paths = {name: searcher(store, corpus.label, space) for name, store in stores.items()}
                for m in args.overfetch:
                    paths[f"index, asks {m}k"] = searcher(stores["server index"], corpus.label, space, m)
                measure(corpus, paths, queries, args.k, space)
                if space == EMBEDDING and args.similar:
                    compare_similar(corpus, stores, queries, embedder, 4)
            for store in stores.values():
                store.close()
    print(f"load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for c in corpora:
        c.store.close()


if __name__ == "__main__":
    main()
