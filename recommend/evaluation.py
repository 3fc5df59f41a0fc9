"""The evaluation protocols of EVALUATION.md (T1, T2, T3), run through the normal ingest path.

The corpus is ingested into a store with the source adapters; queries are answered by the same
recommenders the service uses; metrics come from :mod:`recommend.metrics`.
"""

from __future__ import annotations

import csv
import hashlib
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graph.errors import Problem, ValidationError
from graph.schema import Label
from graph.store import GraphStore
from ingest.adapters import CORDIS_PREFIX, TIDSTYVER_PREFIX, records_for, slug
from ingest.embedder import Embedder
from ingest.pipeline import IngestSummary, ProgressFactory, _silent, ingest_records
from recommend.metrics import jaccard, ndcg_at_k
from recommend.similar import Recommender

TASKS = {
    "t1": ("difi_tidstyver_2014", "tidstyver", "id", "items.csv"),
    "t2": ("cordis_h2020", "cordis", "project_id", "projects.csv"),
    "t3": ("cordis_h2020", "cordis", "project_id", "projects.csv"),
}


@dataclass
class EvalResult:
    """Metrics of one task, the number of queries scored, and every query's ranked results."""

    task: str
    metrics: dict[str, float]
    queries: int
    skipped: int
    seconds: float
    latency_ms: dict[str, float] = field(default_factory=dict)
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)
    run: list[tuple[str, int, str, float]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {"task": self.task, **self.metrics, "queries": self.queries, "skipped": self.skipped,
                "seconds": round(self.seconds, 1), "latency_ms": self.latency_ms, "breakdown": self.breakdown}

    def write_run(self, path: Path) -> None:
        """Tab-separated: query id, rank, item id, score — with the datasets' own ids."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            for qid, rank, item, score in self.run:
                fh.write(f"{qid}\t{rank}\t{item}\t{score:.6f}\n")


def in_holdout(item_id: str, fraction: float, seed: int | str) -> bool:
    """Deterministic, hash-based split: True for about ``fraction`` of ids."""
    h = int(hashlib.sha256(f"kominn-eval:{seed}:{item_id}".encode()).hexdigest(), 16)
    return (h % 100_000) < fraction * 100_000


def read_rows(folder: Path, task: str) -> list[dict[str, str]]:
    _, _, _, filename = TASKS[task]
    path = folder / filename
    if not path.exists():
        raise ValidationError([Problem(str(path), None, None, f"{task} needs {filename} in this folder")])
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def read_participants(folder: Path) -> dict[str, list[dict[str, str]]]:
    by_project: dict[str, list[dict[str, str]]] = defaultdict(list)
    with (folder / "participants.csv").open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            by_project[row["project_id"]].append(row)
    return by_project


def prepare(
    task: str,
    store: GraphStore,
    embedder: Embedder,
    corpus_dir: Path,
    keep: Callable[[str], bool],
    *,
    progress: ProgressFactory = _silent,
) -> IngestSummary:
    """Ingest the task's corpus (the ids ``keep`` accepts) into ``store`` through the adapters."""
    _, source, _, _ = TASKS[task]
    return ingest_records(store, embedder, records_for(source, corpus_dir, keep), progress=progress)


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _latency(times: list[float]) -> dict[str, float]:
    return {"p50": round(1000 * _p(times, 0.5), 1), "p95": round(1000 * _p(times, 0.95), 1)}


def _labels_t1(row: dict[str, str]) -> set[str]:
    return {f"p:{t}" for t in row["problem_types"].split(";") if t} | \
           {f"m:{t}" for t in row["measure_types"].split(";") if t}


def eval_t1(
    recommender: Recommender,
    corpus: list[dict[str, str]],
    queries: Iterable[dict[str, str]],
    *,
    k: int = 10,
    progress: ProgressFactory = _silent,
) -> EvalResult:
    """T1: similar needs from other ministries; graded gain = Jaccard of label sets; nDCG@k."""
    started = time.perf_counter()
    queries = list(queries)
    agencies_of: dict[str, set[str]] = defaultdict(set)
    for row in corpus:
        agencies_of[row["ministry"]].add("agency:" + slug(row["organisation"]))
    labels = {TIDSTYVER_PREFIX + r["id"]: (_labels_t1(r), r["ministry"]) for r in corpus}
    scores, times, run = [], [], []
    bar = progress("T1 queries", len(queries))
    for q in queries:
        qlabels = _labels_t1(q)
        qid = TIDSTYVER_PREFIX + q["id"]
        t0 = time.perf_counter()
        result = recommender.similar_to_text(
            f"{q['title']}\n{q['problem_description']}", k=k, labels=(Label.NEED,),
            exclude_owners=agencies_of.get(q["ministry"], set()), exclude_ids={qid})
        times.append(time.perf_counter() - t0)
        gains = [jaccard(qlabels, labels[i.id][0]) for i in result.items if i.id in labels]
        ideal = [jaccard(qlabels, lab) for iid, (lab, ministry) in labels.items()
                 if ministry != q["ministry"] and iid != qid]
        scores.append(ndcg_at_k(gains, ideal, k))
        run.extend((q["id"], r, i.id.removeprefix(TIDSTYVER_PREFIX), i.score) for r, i in enumerate(result.items, 1))
        bar.update()
    bar.close()
    return EvalResult("t1", {"ndcg@10": round(statistics.fmean(scores), 4) if scores else 0.0}, len(scores), 0,
                      time.perf_counter() - started, _latency(times), run=run)


def eval_t2(
    recommender: Recommender,
    corpus: list[dict[str, str]],
    queries: Iterable[dict[str, str]],
    *,
    k: int = 10,
    progress: ProgressFactory = _silent,
) -> EvalResult:
    """T2: similar projects from the title only; relevant = same topic code; nDCG@k (binary)."""
    started = time.perf_counter()
    queries = list(queries)
    topic = {CORDIS_PREFIX + r["project_id"]: r["topic_code"] for r in corpus}
    per_topic: dict[str, int] = defaultdict(int)
    for t in topic.values():
        per_topic[t] += 1
    scores, times, run, skipped = [], [], [], 0
    bar = progress("T2 queries", len(queries))
    for q in queries:
        bar.update()
        qid = CORDIS_PREFIX + q["project_id"]
        n_relevant = per_topic.get(q["topic_code"], 0) - (1 if topic.get(qid) == q["topic_code"] else 0)
        if n_relevant <= 0 or not q["title"].strip():
            skipped += 1
            continue
        t0 = time.perf_counter()
        result = recommender.similar_to_text(q["title"], k=k, labels=(Label.INITIATIVE,), exclude_ids={qid})
        times.append(time.perf_counter() - t0)
        gains = [1.0 if topic.get(i.id) == q["topic_code"] else 0.0 for i in result.items]
        scores.append(ndcg_at_k(gains, [1.0] * n_relevant, k))
        run.extend((q["project_id"], r, i.id.removeprefix(CORDIS_PREFIX), i.score)
                   for r, i in enumerate(result.items, 1))
    bar.close()
    return EvalResult("t2", {"ndcg@10": round(statistics.fmean(scores), 4) if scores else 0.0}, len(scores),
                      skipped, time.perf_counter() - started, _latency(times), run=run)
