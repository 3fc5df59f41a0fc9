"""The same concrete problem across ministries: the stricter T1 test of EVALUATION.md, on judged pairs
of our own split, and the duplicate check's precision and recall on real reports.

    .venv/bin/python bench/duplicates.py [--data-dir kominn-data]

``bench/data/tidstyver_duplicates_seed1.tsv`` grades 1,762 (query report, other report) pairs of
``difi_tidstyver_2014`` (tab-separated: query id, report id, grade; the data set's own ids):

- the queries are 60 reports drawn at random from the held-out side of
  ``kominn eval t1 --holdout-fraction 0.15 --seed 1``;
- the reports judged for each were pooled in two rounds, each listed in id order so that no judge saw
  which search found what: first (1,288 pairs) the union of the 8 best other-ministry reports of four
  searches (KomInn as of 2026-11-22 with and without topics, a character TF-IDF and
  all-MiniLM-L6-v2 alone); then (474 pairs) the reports not judged yet among the 10 best of the
  searches tried on 2026-11-23 (KomInn with word stems at three blends, with and without topics, and
  a TF-IDF of word stems alone);
- grades follow EVALUATION.md: 2 = the same concrete problem (same system, form, rule or reporting
  duty, and the same complaint about it), 1 = the same concrete object with another complaint, or the
  same complaint about an equivalent object, 0 = a shared category at most;
- they were given by AI assistants of the team who read every pair. A sample, pooled from the
  searches of those days: reports none of them found count as 0, so a new search that finds
  unjudged reports should have them judged before its figures are compared.

Printed, over the queries with at least one report graded 1 or more (28): nDCG@10 (the grades as gains)
and P@5 (grade >= 1) of KomInn's similar search and of a character TF-IDF (3-5-grams, fitted on the
corpus in this run: the reference); then precision and recall of the duplicate check's rule
(``score >= DUPLICATE_THRESHOLD`` among each query's best 5, text only) against grade 2 and grade >= 1; and of
the related list's rule (up to 5 reports scoring from RELATED_THRESHOLD, or each of ``--related-thresholds``,
up to the duplicate threshold, among each query's best 10 by text), against grade >= 1, with how many of its
suggestions are unjudged (counted as not related).
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from graph.embedded import EmbeddedGraphStore  # noqa: E402
from graph.schema import Label  # noqa: E402
from ingest.adapters import TIDSTYVER_PREFIX, slug, tidstyver_records  # noqa: E402
from ingest.embedder import SentenceTransformerEmbedder  # noqa: E402
from ingest.pipeline import ingest_records  # noqa: E402
from ingest.readers import Record  # noqa: E402
from recommend.evaluation import in_holdout, read_rows  # noqa: E402
from recommend.reuse import DUPLICATE_THRESHOLD, RELATED_THRESHOLD, precision_recall  # noqa: E402
from recommend.similar import Recommender  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "difi_tidstyver_2014"
JUDGED = ROOT / "bench" / "data" / "tidstyver_duplicates_seed1.tsv"
FRACTION, SEED = 0.15, 1


def read_judgments(path: Path) -> dict[str, dict[str, int]]:
    grades: dict[str, dict[str, int]] = defaultdict(dict)
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[2] not in {"0", "1", "2"}:
            raise SystemExit(f"{path}, line {n}: expected 'query id<TAB>report id<TAB>grade 0/1/2'")
        grades[fields[0]][fields[1]] = int(fields[2])
    return grades


def ndcg_and_p5(ranked: list[str], grades: dict[str, int]) -> tuple[float, float]:
    dcg = sum(grades.get(r, 0) / math.log2(i + 2) for i, r in enumerate(ranked[:10]))
    ideal = sorted(grades.values(), reverse=True)[:10]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return (dcg / idcg if idcg else 0.0), sum(1 for r in ranked[:5] if grades.get(r, 0) >= 1) / 5


def corpus_recommender(path: Path,
                       records: Callable[[], Iterable[Record]]) -> tuple[EmbeddedGraphStore, Recommender]:
    """An embedded store at ``path`` (filled with ``records()`` through the ingest path the first time)
    and a recommender over it with the real model."""
    embedder = SentenceTransformerEmbedder()
    embedder.load()
    path.parent.mkdir(parents=True, exist_ok=True)
    store = EmbeddedGraphStore(path)
    store.open()
    if store.count_nodes() == 0:
        t0 = time.perf_counter()
        ingest_records(store, embedder, records())
        print(f"  (built the corpus store {path.name} in {time.perf_counter() - t0:.0f} s)")
    return store, Recommender(store, embedder)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "kominn-data" / "bench")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[DUPLICATE_THRESHOLD],
                        help="duplicate-check thresholds to report (default: the shipped one)")
    parser.add_argument("--related-thresholds", type=float, nargs="*", default=[RELATED_THRESHOLD],
                        help="related-list thresholds to report (default: the shipped one)")
    args = parser.parse_args()
    rows = read_rows(SHARED, "t1")
    corpus = [r for r in rows if not in_holdout(r["id"], FRACTION, SEED)]
    by_id = {r["id"]: r for r in rows}
    judged = read_judgments(JUDGED)
    queries = [by_id[q] for q in judged if any(g >= 1 for g in judged[q].values())]

    corpus_ids = {r["id"] for r in corpus}
    store, rec = corpus_recommender(args.data_dir / f"tidstyver-seed{SEED}.sqlite",
                                    lambda: tidstyver_records(SHARED, corpus_ids.__contains__))
    agencies: dict[str, set[str]] = defaultdict(set)
    for r in corpus:
        agencies[r["ministry"]].add("agency:" + slug(r["organisation"]))

    def text(r: dict[str, str]) -> str:
        return f"{r['title']}\n{r['problem_description']}"

    def kominn(q: dict[str, str], *, k: int = 10, use_topics: bool = True) -> list[tuple[str, float]]:
        result = rec.similar_to_text(text(q), k=k, labels=(Label.NEED,), exclude_owners=agencies[q["ministry"]],
                                     exclude_ids={TIDSTYVER_PREFIX + q["id"]}, use_topics=use_topics)
        return [(i.id.removeprefix(TIDSTYVER_PREFIX), i.score) for i in result.items]

    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix = tfidf.fit_transform([text(r) for r in corpus])
    ministries = np.array([r["ministry"] for r in corpus])

    def char_tfidf(q: dict[str, str]) -> list[str]:
        s = (matrix @ tfidf.transform([text(q)]).T).toarray().ravel()
        s[ministries == q["ministry"]] = -1.0
        return [corpus[i]["id"] for i in np.argsort(-s, kind="stable")[:10]]

    print(f"{len(queries)} judged queries with a relevant report ({sum(len(g) for g in judged.values())} pairs)")
    runs = {"KomInn similar search": [[i for i, _ in kominn(q)] for q in queries],
            "character TF-IDF 3-5 (reference)": [char_tfidf(q) for q in queries]}
    results = {}
    for name, ranked in runs.items():
        m = np.array([ndcg_and_p5(r, judged[q["id"]]) for r, q in zip(ranked, queries, strict=True)])
        results[name] = m.mean(axis=0)
        unjudged = sum(1 for r, q in zip(ranked, queries, strict=True) for i in r if i not in judged[q["id"]])
        print(f"{name:<36} nDCG@10 {m[:, 0].mean():.3f}  P@5 {m[:, 1].mean():.3f}  "
              f"(unjudged in the top 10: {unjudged} of {10 * len(queries)})")
    mine, ref = results["KomInn similar search"], results["character TF-IDF 3-5 (reference)"]
    print(f"{'ratio to the reference':<36} nDCG@10 {mine[0] / ref[0]:.2f}x  P@5 {mine[1] / ref[1]:.2f}x")

    all_queries = [by_id[q] for q in judged]
    top5 = {q["id"]: kominn(q, k=5, use_topics=False) for q in all_queries}
    for threshold in args.thresholds:
        for least, what in ((2, "the same problem (grade 2)"), (1, "grade 1 or 2")):
            scored = [(s, judged[q].get(i, 0) >= least) for q, items in top5.items() for i, s in items]
            precision, recall = precision_recall(scored, threshold)
            flagged = sum(1 for s, _ in scored if s >= threshold)
            print(f"duplicate check at {threshold:.2f}, against {what}: precision {precision:.2f}, "
                  f"recall {recall:.2f} ({flagged} of {len(scored)} flagged)")
    top10 = {q["id"]: kominn(q, k=10, use_topics=False) for q in all_queries}
    for threshold in sorted(args.related_thresholds, reverse=True):
        lists = {q: [i for i, s in items if threshold <= s < DUPLICATE_THRESHOLD][:5] for q, items in top10.items()}
        grades = [judged[q].get(i) for q, items in lists.items() for i in items]
        unjudged = sum(g is None for g in grades)
        related = sum(1 for g in grades if g is not None and g >= 1)
        print(f"related list at {threshold:.2f} (up to {DUPLICATE_THRESHOLD:.2f}), against grade 1 or 2: precision "
              f"{related / len(grades) if grades else 1.0:.2f} ({len(grades)} suggestions for "
              f"{sum(1 for items in lists.values() if items)} of {len(lists)} reports, {unjudged} unjudged)")
    store.close()


if __name__ == "__main__":
    main()
