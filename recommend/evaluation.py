"""The evaluation protocols of EVALUATION.md (T1, T2, T3), run through the normal ingest path.

The corpus is ingested into a store with the source adapters; queries are answered by the same
recommenders the service uses; metrics come from :mod:`recommend.metrics`.
"""

from __future__ import annotations

import csv
import hashlib
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from graph.errors import Problem, ValidationError
from graph.schema import Label
from graph.store import GraphStore
from ingest.adapters import CORDIS_PREFIX, PIC_PREFIX, TIDSTYVER_PREFIX, records_for, slug
from ingest.embedder import Embedder
from ingest.pipeline import IngestSummary, ProgressFactory, _silent, ingest_records
from recommend import references as refs
from recommend.metrics import jaccard, ndcg_at_k, recall_at_k, reciprocal_rank
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
    # The reference methods of recommend.references on the same queries: method -> metric -> value.
    references: dict[str, dict[str, float]] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        return {"task": self.task, **self.metrics, "queries": self.queries, "skipped": self.skipped,
                "seconds": round(self.seconds, 1), "latency_ms": self.latency_ms, "breakdown": self.breakdown,
                "references": self.references}

    def write_run(self, path: Path) -> None:
        """Tab-separated: query id, rank, item id, score — with the datasets' own ids."""
        with path.open("w", encoding="utf-8", newline="") as fh:
            for qid, rank, item, score in self.run:
                fh.write(f"{qid}\t{rank}\t{item}\t{score:.6f}\n")


def in_holdout(item_id: str, fraction: float, seed: int | str) -> bool:
    """Deterministic, hash-based split: True for about ``fraction`` of ids."""
    h = int(hashlib.sha256(f"kominn-eval:{seed}:{item_id}".encode()).hexdigest(), 16)
    return (h % 100_000) < fraction * 100_000


# The columns each task reads, by file.
COLUMNS = {
    "t1": ("id", "ministry", "organisation", "title", "problem_description", "problem_types", "measure_types"),
    "t2": ("project_id", "title", "topic_code"),
    "t3": ("project_id", "title", "topic_code", "topic_description", "programme_parts"),
    "participants.csv": ("project_id", "organisation_id", "role", "activity_type"),
}


def _read_csv(path: Path, columns: Iterable[str], why: str, *, header_only: bool = False) -> list[dict[str, str]]:
    """The rows of ``path`` once its header has every one of ``columns`` (none with ``header_only``)."""
    if not path.exists():
        raise ValidationError([Problem(str(path), None, None, f"{why} needs {path.name} in this folder")])
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            if reader.fieldnames is None:
                raise ValidationError([Problem(str(path), None, None, f"{why} needs {path.name}, and it is empty")])
            missing = [c for c in columns if c not in reader.fieldnames]
            if missing:
                raise ValidationError([Problem(str(path), 1, None, f"{why} needs the column(s) "
                                               + ", ".join(f"'{c}'" for c in missing)
                                               + f"; the file has: {', '.join(reader.fieldnames[:12])}")])
            return [] if header_only else list(reader)
    except UnicodeDecodeError as e:
        raise ValidationError([Problem(str(path), None, None, f"is not UTF-8 text ({e.reason} at byte {e.start}): "
                                       "save it as UTF-8, as the data sets of ../shared/data are")]) from None


def read_rows(folder: Path, task: str) -> list[dict[str, str]]:
    """The task's items (Tidstyver reports or CORDIS projects) of a data set folder."""
    return _read_csv(folder / TASKS[task][3], COLUMNS[task], task)


def check_participants(folder: Path) -> None:
    """Fail now, naming the file and column, if ``folder`` has no usable ``participants.csv``."""
    _read_csv(folder / "participants.csv", COLUMNS["participants.csv"], "t3", header_only=True)


def check_cordis_corpus(folder: Path, task: str) -> None:
    """Fail now, before anything is ingested, if a CORDIS corpus folder lacks a file its ingest reads."""
    from ingest.adapters import CORDIS_ORGANISATION_COLUMNS, CORDIS_PARTICIPANT_COLUMNS

    _read_csv(folder / "participants.csv", CORDIS_PARTICIPANT_COLUMNS, task, header_only=True)
    _read_csv(folder / "organisations.csv", CORDIS_ORGANISATION_COLUMNS, task, header_only=True)


def read_participants(folder: Path) -> dict[str, list[dict[str, str]]]:
    """CORDIS participations of a data set folder, by project id."""
    by_project: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _read_csv(folder / "participants.csv", COLUMNS["participants.csv"], "t3"):
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


T = TypeVar("T")


def _with_bar(progress: ProgressFactory, desc: str, total: int, work: Callable[[Callable[[int], None]], T]) -> T:
    """Run ``work`` with a progress bar's update function, closing the bar after it."""
    bar = progress(desc, total)
    try:
        return work(bar.update)
    finally:
        bar.close()


def _latency(times: list[float]) -> dict[str, float]:
    return {"p50": round(1000 * _p(times, 0.5), 1), "p95": round(1000 * _p(times, 0.95), 1)}


def _means(values: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, float]]:
    return {method: {metric: round(statistics.fmean(v), 4) if v else 0.0 for metric, v in metrics.items()}
            for method, metrics in values.items()}


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
    references: bool = True,
) -> EvalResult:
    """T1: similar needs from other ministries; graded gain = Jaccard of label sets; nDCG@k.
    With ``references``, the reference methods are scored on the same queries."""
    started = time.perf_counter()
    queries = list(queries)
    reference = _with_bar(progress, "references: encoding the corpus", len(corpus),
                          lambda bar: refs.t1_references(corpus, recommender.embedder, k=k, progress=bar)) \
        if references else None
    ref_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    agencies_of: dict[str, set[str]] = defaultdict(set)
    for row in corpus:
        agencies_of[row["ministry"]].add("agency:" + slug(row["organisation"]))
    labels = {TIDSTYVER_PREFIX + r["id"]: (_labels_t1(r), r["ministry"]) for r in corpus}
    scores: list[float] = []
    times: list[float] = []
    run: list[tuple[str, int, str, float]] = []
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
        if reference is not None:
            for method, ranked in reference(q).items():
                ref_gains = [jaccard(qlabels, labels[TIDSTYVER_PREFIX + i][0]) for i in ranked]
                ref_scores[method]["ndcg@10"].append(ndcg_at_k(ref_gains, ideal, k))
        bar.update()
    bar.close()
    return EvalResult("t1", {"ndcg@10": round(statistics.fmean(scores), 4) if scores else 0.0}, len(scores), 0,
                      time.perf_counter() - started, _latency(times), run=run, references=_means(ref_scores))


def eval_t2(
    recommender: Recommender,
    corpus: list[dict[str, str]],
    queries: Iterable[dict[str, str]],
    *,
    k: int = 10,
    progress: ProgressFactory = _silent,
    references: bool = True,
) -> EvalResult:
    """T2: similar projects from the title only; relevant = same topic code; nDCG@k (binary).
    With ``references``, the reference methods are scored on the same queries."""
    started = time.perf_counter()
    queries = list(queries)
    reference = _with_bar(progress, "references: encoding the corpus", len(corpus),
                          lambda bar: refs.t2_references(corpus, recommender.embedder, k=k, progress=bar)) \
        if references else None
    ref_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    topic = {CORDIS_PREFIX + r["project_id"]: r["topic_code"] for r in corpus}
    per_topic: dict[str, int] = defaultdict(int)
    for t in topic.values():
        per_topic[t] += 1
    scores: list[float] = []
    times: list[float] = []
    run: list[tuple[str, int, str, float]] = []
    skipped = 0
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
        if reference is not None:
            for method, ranked in reference(q).items():
                ref_gains = [1.0 if topic.get(CORDIS_PREFIX + i) == q["topic_code"] else 0.0 for i in ranked]
                ref_scores[method]["ndcg@10"].append(ndcg_at_k(ref_gains, [1.0] * n_relevant, k))
    bar.close()
    return EvalResult("t2", {"ndcg@10": round(statistics.fmean(scores), 4) if scores else 0.0}, len(scores),
                      skipped, time.perf_counter() - started, _latency(times), run=run,
                      references=_means(ref_scores))


def run_task(
    task: str,
    store: GraphStore,
    embedder: Embedder,
    corpus_dir: Path,
    corpus: list[dict[str, str]],
    queries: list[dict[str, str]],
    *,
    queries_dir: Path | None = None,
    references: bool = True,
    progress: ProgressFactory = _silent,
) -> EvalResult:
    """Answer the task's queries with the recommenders over ``store`` and score them, and with
    ``references`` the reference methods too. ``queries_dir`` is the folder the query rows came from
    (T3 reads their consortia there), the corpus folder when the queries were split off it."""
    recommender = Recommender(store, embedder)
    if task == "t1":
        return eval_t1(recommender, corpus, queries, progress=progress, references=references)
    if task == "t2":
        return eval_t2(recommender, corpus, queries, progress=progress, references=references)
    return eval_t3(store, embedder, corpus_dir, corpus, queries, queries_dir=queries_dir, progress=progress,
                   references=references)


def _t3(method: str, recall: float, mrr: float) -> list[tuple[str, str, float]]:
    return [(method, "recall@20", recall), (method, "mrr", mrr)]


# EVALUATION.md's figures to beat, measured by the organisers on the hidden slice; the methods that
# recommend.references runs on the same queries carry the same names.
BASELINES = {
    "t1": [("random", "ndcg@10", 0.215), ("Decidim's rule on pg_trgm (threshold 0.25)", "ndcg@10", 0.275),
           ("pg_trgm similarity, ranked, no threshold", "ndcg@10", 0.334), ("TF-IDF words", "ndcg@10", 0.339),
           (refs.T1_DENSE, "ndcg@10", 0.346), (refs.T1_CHAR, "ndcg@10", 0.380), (refs.T1_SUM, "ndcg@10", 0.387),
           ("target", "ndcg@10", 0.45)],
    "t2": [("TF-IDF words", "ndcg@10", 0.160), (refs.T2_CHAR, "ndcg@10", 0.167), (refs.T2_DENSE, "ndcg@10", 0.235),
           ("target", "ndcg@10", 0.30)],
    "t3": [*_t3(refs.T3_POPULAR, 0.063, 0.135), *_t3(refs.T3_TOPIC, 0.085, 0.164),
           *_t3(refs.T3_COPARTNERS, 0.204, 0.300), *_t3(refs.T3_SIMILAR, 0.196, 0.288),
           *_t3(refs.T3_SUM, 0.242, 0.343), *_t3("target", 0.35, 0.45)],
}
# The reference whose published figure KomInn's is scaled by in the table's projection.
PROJECT_BY = {"t1": refs.T1_CHAR, "t2": refs.T2_DENSE, "t3": refs.T3_SUM}


def format_table(result: EvalResult) -> str:
    """A readable table: KomInn, the reference methods on the same queries next to their published
    figures (measured by the organisers on the hidden slice) with KomInn's score as a multiple of this
    run's, then the rest of the published table."""
    published = {(m, metric): v for m, metric, v in BASELINES.get(result.task, [])}
    lines = [f"{result.task.upper()}: {result.queries} queries scored, {result.skipped} skipped, "
             f"{result.seconds:.0f} s; latency p50 {result.latency_ms.get('p50', 0)} ms, "
             f"p95 {result.latency_ms.get('p95', 0)} ms", "",
             f"{'method':<52} {'metric':<10} {'this run':>8} {'published':>9} {'KomInn is':>9}"]
    for name, value in result.metrics.items():
        lines.append(f"{'KomInn':<52} {name:<10} {value:>8.3f}")
    for group, values in result.breakdown.items():
        lines.append(f"  {group}: " + ", ".join(f"{k} {v:.3f}" for k, v in values.items()))
    shown = set()
    for method, values in result.references.items():
        for name, value in values.items():
            mine, pub = result.metrics.get(name), published.get((method, name))
            shown.add((method, name))
            lines.append(f"{method:<52} {name:<10} {value:>8.3f} "
                         f"{'' if pub is None else f'{pub:.3f}':>9} "
                         f"{f'{mine / value:.2f}x' if mine is not None and value > 0 else '':>9}")
    for (method, name), pub in published.items():
        if (method, name) not in shown:
            lines.append(f"{method:<52} {name:<10} {'':>8} {pub:>9.3f}")
    basis = PROJECT_BY.get(result.task)
    if basis in result.references:
        projected = [f"{name} {value * published[(basis, name)] / result.references[basis][name]:.3f}"
                     for name, value in result.metrics.items()
                     if (basis, name) in published and result.references[basis].get(name, 0) > 0]
        lines += ["", f"KomInn scaled by {basis} (published / this run): " + ", ".join(projected)
                  + " (a rough guide to the hidden slice, not a measurement)"]
    return "\n".join(lines)


def popular_organisations(corpus: Iterable[dict[str, str]], participants: dict[str, list[dict[str, str]]]) -> list[str]:
    """The organisations in the corpus projects' consortia, most participations first, equal counts in id order
    (not in the order of a set of ids, which changes from one process to the next): T3 ranks them after the
    recommender's candidates."""
    counts: Counter[str] = Counter()
    for pid in dict.fromkeys(r["project_id"] for r in corpus):
        for p in participants.get(pid, []):
            counts[p["organisation_id"]] += 1
    return sorted(counts, key=lambda o: (-counts[o], o))


def eval_t3(
    store: GraphStore,
    embedder: Embedder,
    corpus_dir: Path,
    corpus: list[dict[str, str]],
    queries: Iterable[dict[str, str]],
    *,
    queries_dir: Path | None = None,
    k: int = 20,
    progress: ProgressFactory = _silent,
    train_queries: int = 800,
    references: bool = True,
) -> EvalResult:
    """T3: partners for a project from its title, topic, programme parts and coordinator.

    The partner model is first learned on the corpus alone (each corpus project's partners hidden in
    turn), never on the queries. Every organisation of the corpus participants is ranked: the
    recommender's candidates by score, then all others by popularity. A query's consortium (its
    coordinator and the targets) is read from ``participants.csv`` in ``queries_dir`` (by default
    the corpus folder, where split-off queries come from). With ``references``, the reference
    methods are scored on the same queries.
    """
    from ingest.records import topic_id
    from recommend.partners import MODEL_META_KEY, PartnerQuery, PartnerRecommender, fit_partner_model

    started = time.perf_counter()
    queries = list(queries)
    participants = read_participants(corpus_dir)
    consortia = participants if queries_dir is None or queries_dir == corpus_dir else read_participants(queries_dir)
    by_popularity = popular_organisations(corpus, participants)
    corpus_orgs = set(by_popularity)
    reference = refs.PartnerReferences(corpus, participants) if references else None
    ref_scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))

    recommender = Recommender(store, embedder)
    partner_rec = PartnerRecommender(store, recommender)
    bar = progress("T3 training queries", train_queries)  # then the trees are fitted (seconds)
    model = fit_partner_model(partner_rec, max_queries=train_queries, progress=bar.update)
    store.set_meta(MODEL_META_KEY, model.to_json())
    partner_rec = PartnerRecommender(store, recommender, model)
    bar.close()

    recalls: list[float] = []
    rrs: list[float] = []
    times: list[float] = []
    run: list[tuple[str, int, str, float]] = []
    skipped = 0
    per_type: dict[str, list[float]] = defaultdict(list)
    bar = progress("T3 queries", len(queries))
    for q in queries:
        bar.update()
        rows = consortia.get(q["project_id"], [])
        coordinators = [r["organisation_id"] for r in rows if r["role"] == "coordinator"]
        if not coordinators or coordinators[0] not in corpus_orgs:
            skipped += 1
            continue
        coordinator = coordinators[0]
        targets = {r["organisation_id"]: r["activity_type"] for r in rows
                   if r["role"] != "coordinator" and r["organisation_id"] in corpus_orgs
                   and r["organisation_id"] != coordinator}
        if not targets:
            skipped += 1
            continue
        topics = [topic_id(t) for t in [q["topic_code"], *q["programme_parts"].split(";")] if t]
        pq = PartnerQuery(f"{q['title']}\n{q['topic_description']}", [PIC_PREFIX + coordinator],
                          [t for t in topics if store.get(t) is not None], CORDIS_PREFIX + q["project_id"])
        t0 = time.perf_counter()
        found = partner_rec.partners(pq, k=100)
        times.append(time.perf_counter() - t0)
        ranked = [r.id.removeprefix(PIC_PREFIX) for r in found]
        seen = set(ranked) | {coordinator}
        full = ranked + [o for o in by_popularity if o not in seen]
        # the recommender's own scores; the popularity filler after them scores 0 (it is not the recommender's)
        scores = [r.score for r in found] + [0.0] * (len(full) - len(found))
        recalls.append(recall_at_k(full, set(targets), k))
        rrs.append(reciprocal_rank(full, set(targets)))
        top = set(full[:k])
        for activity in sorted(set(targets.values())):
            group = {o for o, a in targets.items() if a == activity}
            per_type[activity].append(len(group & top) / len(group))
        run.extend((q["project_id"], r, o, scores[r - 1]) for r, o in enumerate(full[:100], 1))
        if reference is not None:
            for method, ranked in reference.rank(q, coordinator).items():
                ref_scores[method]["recall@20"].append(recall_at_k(ranked, set(targets), k))
                ref_scores[method]["mrr"].append(reciprocal_rank(ranked, set(targets)))
    bar.close()
    metrics = {"recall@20": round(statistics.fmean(recalls), 4) if recalls else 0.0,
               "mrr": round(statistics.fmean(rrs), 4) if rrs else 0.0}
    breakdown = {"recall@20 by activity type": {a: round(statistics.fmean(v), 4) for a, v in sorted(per_type.items())}}
    return EvalResult("t3", metrics, len(recalls), skipped, time.perf_counter() - started, _latency(times),
                      breakdown, run, _means(ref_scores))
