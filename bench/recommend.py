"""Latency of the recommenders with the model loaded, at the corpus sizes of EVALUATION.md.

    .venv/bin/python bench/recommend.py [--data-dir kominn-data] [--queries 200]

Prints p50/p95 per operation, and each as a ratio to the model's own encode of the same query text
measured in the same run (the machines are shared and noisy; ratios travel better than seconds).
Goals: similar search p95 < 50 ms, partner recommendation p95 < 200 ms on a 2-core machine.
Stores are built once through the normal ingest path and reused on later runs.
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

from graph.embedded import EmbeddedGraphStore  # noqa: E402
from graph.schema import Label, node_text  # noqa: E402
from ingest.adapters import cordis_records, tidstyver_records  # noqa: E402
from ingest.demo import load_demo  # noqa: E402
from ingest.embedder import SentenceTransformerEmbedder  # noqa: E402
from ingest.pipeline import ingest_records  # noqa: E402
from recommend.partners import PartnerQuery, PartnerRecommender, learn_and_store  # noqa: E402
from recommend.similar import Recommender  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def timed(fn, items) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append(time.perf_counter() - t0)
    return out


def report(name: str, times: list[float], encode: list[float]) -> None:
    p50, p95, e50 = pct(times, 0.5), pct(times, 0.95), pct(encode, 0.5)
    print(f"{name:<44} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  = {p50 / e50:4.1f}x / {p95 / e50:4.1f}x the encode p50 "
          f"({e50:.1f} ms), n={len(times)}")


def store_for(path: Path, fill) -> EmbeddedGraphStore:  # type: ignore[no-untyped-def]
    store = EmbeddedGraphStore(path)
    store.open()
    if store.count_nodes() == 0:
        t0 = time.perf_counter()
        fill(store)
        print(f"  (built {path.name} in {time.perf_counter() - t0:.0f} s)")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "kominn-data" / "bench")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    n = args.queries

    demo = store_for(args.data_dir / "demo.sqlite", lambda s: load_demo(s, embedder))
    rec = Recommender(demo, embedder)
    items = sorted(i.id for i in demo.iter_nodes(Label.INITIATIVE))[:n]
    texts = [node_text(demo.get(i)) for i in items]
    rec.similar(items[0])
    encode = timed(lambda t: embedder.encode([t], kind="query"), texts)
    report("demo: similar(initiative id)", timed(lambda i: rec.similar(i, k=10), items), encode)
    report("demo: similar(free text), encode included", timed(lambda t: rec.similar_to_text(t, k=10), texts), encode)

    tid = store_for(args.data_dir / "tidstyver.sqlite",
                    lambda s: ingest_records(s, embedder, tidstyver_records(SHARED / "difi_tidstyver_2014")))
    rec = Recommender(tid, embedder)
    needs = sorted(tid.iter_nodes(Label.NEED), key=lambda x: x.id)[:n]
    texts = [f"{x.props['title']}\n{x.props.get('description', '')}" for x in needs]
    rec.similar_to_text(texts[0], labels=(Label.NEED,))
    encode = timed(lambda t: embedder.encode([t], kind="query"), texts)
    report(f"tidstyver ({tid.count_nodes(Label.NEED)} needs): similar text",
           timed(lambda t: rec.similar_to_text(t, k=10, labels=(Label.NEED,)), texts), encode)

    cordis = store_for(args.data_dir / "cordis.sqlite",
                       lambda s: ingest_records(s, embedder, cordis_records(SHARED / "cordis_h2020")))
    rec = Recommender(cordis, embedder)
    partner_rec = PartnerRecommender(cordis, rec)
    if not partner_rec.model.trained_on:  # none learned yet, or one of an older feature set
        learn_and_store(cordis, rec, max_queries=300)
        partner_rec = PartnerRecommender(cordis, rec)
    projects = sorted(cordis.iter_nodes(Label.INITIATIVE), key=lambda x: x.id)[::25][:n]
    queries = []
    for p in projects:
        q = partner_rec.query_for(p.id)
        queries.append(PartnerQuery(q.text, q.known[:1], q.topics, p.id))
    texts = [q.text for q in queries]
    partner_rec.partners(queries[0])
    encode = timed(lambda t: embedder.encode([t], kind="query"), texts)
    report(f"cordis ({cordis.count_nodes(Label.INITIATIVE)} projects): similar text",
           timed(lambda t: rec.similar_to_text(t, k=10), texts), encode)
    report("cordis: partners(text, coordinator, topics)", timed(lambda q: partner_rec.partners(q, k=20), queries),
           encode)
    print(f"load average during the run: {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} cores")
    for s in (demo, tid, cordis):
        s.close()


if __name__ == "__main__":
    main()
