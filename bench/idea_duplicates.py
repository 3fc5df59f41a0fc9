"""The duplicate check for ideas on real citizen proposals: Decide Madrid (CONSUL), in Spanish.

People who submit an idea should see the proposals that already ask for the same thing. This measures
``check_idea`` (``POST /ideas/check``, ``kominn check-idea``) on ``../shared/data/decide_madrid_proposals``:
the proposals of our own split (``in_holdout(id, 0.15, seed 1)``) are submitted as new ideas against a
store holding all the others, ingested through the ``decide`` adapter.

Judgments, ``bench/data/decide_duplicates_seed1.tsv`` (query id, proposal id, grade):
- 2: the same proposal. It asks for the same concrete thing (at the same place, where a place is
  named), so a moderator would merge the two;
- 1: closely related. The same kind of request, but for another place, or a different part of the
  same problem;
- 0: anything else.
They were pooled from the five best of KomInn's check (at threshold 0) and of a character TF-IDF for
the first 80 queries that have a description, and graded by AI helpers reading both texts against the
definitions above, without the scores.

Prints, for KomInn's search and the TF-IDF reference: nDCG@5 with grades 0/1/2 and P@5 counting
grade 2; and for the duplicate check at the shipped threshold (and any given with ``--thresholds``),
precision and recall among KomInn's top fives, against grade 2 and against grade 1 or 2. Then the related
list (``check_idea_and_related``) at the shipped RELATED_THRESHOLD (and any given with
``--related-thresholds``): up to five suggestions scoring from that threshold up to the duplicate threshold,
measured here on proposals (the service lists only initiatives, which this data set has none of), with its
precision against grade 1 or 2 and against grade 2. The related list can reach below the top five that were
judged; its unjudged suggestions are counted, and count as not related in the precision (which is then a
lower bound; the precision among the judged ones alone is printed too).
``--pool FILE`` writes the unjudged pairs of those top fives as JSON lines for grading instead.

    .venv/bin/python bench/idea_duplicates.py
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from duplicates import corpus_recommender  # noqa: E402  (bench/duplicates.py)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from graph.schema import Label  # noqa: E402
from ingest.adapters import DECIDE_PREFIX, decide_records  # noqa: E402
from recommend.evaluation import in_holdout  # noqa: E402
from recommend.reuse import (  # noqa: E402
    DUPLICATE_THRESHOLD,
    RELATED_THRESHOLD,
    check_idea,
    check_idea_and_related,
    precision_recall,
)
from recommend.similar import Recommender  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "decide_madrid_proposals"
JUDGED = ROOT / "bench" / "data" / "decide_duplicates_seed1.tsv"
SEED, FRACTION, QUERIES, K = 1, 0.15, 80, 5


def read_proposals() -> list[dict[str, str]]:
    import csv

    with (SHARED / "proposals.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def text_of(row: dict[str, str]) -> str:
    return f"{row['title']}\n{row['description']}".strip()


def read_judgments(path: Path) -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                q, item, grade = line.split("\t")
                judged.setdefault(q, {})[item] = int(grade)
    return judged


def ndcg_and_p(ranked: list[str], grades: dict[str, int], k: int = K) -> tuple[float, float]:
    dcg = sum(grades.get(i, 0) / math.log2(r + 2) for r, i in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(r + 2) for r, g in enumerate(ideal))
    return (dcg / idcg if idcg else 0.0), sum(1 for i in ranked[:k] if grades.get(i, 0) >= 2) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "kominn-data" / "bench")
    parser.add_argument("--thresholds", type=float, nargs="*", default=[DUPLICATE_THRESHOLD],
                        help="duplicate-check thresholds to report (default: the shipped one)")
    parser.add_argument("--related-thresholds", type=float, nargs="*", default=[RELATED_THRESHOLD],
                        help="related-list thresholds to report (default: the shipped one)")
    parser.add_argument("--pool", type=Path, help="write the unjudged top-five pairs here (JSON lines)")
    args = parser.parse_args()
    rows = read_proposals()
    by_id = {r["id"]: r for r in rows}
    corpus = [r for r in rows if not in_holdout(r["id"], FRACTION, SEED)]
    queries = [r for r in rows if in_holdout(r["id"], FRACTION, SEED) and r["description"].strip()
               and r["retired"] != "True"][:QUERIES]

    keep = {r["id"] for r in corpus}
    store, rec = corpus_recommender(args.data_dir / f"decide-seed{SEED}.sqlite",
                                    lambda: decide_records(SHARED, keep.__contains__))

    visible = [r for r in corpus if r["retired"] != "True"]
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
    matrix = tfidf.fit_transform([text_of(r) for r in visible])

    def kominn(q: dict[str, str]) -> list[tuple[str, float]]:
        result = check_idea(rec, text_of(q), k=K, threshold=0.0)
        return [(i.id.removeprefix(DECIDE_PREFIX), i.score) for i in result.items]

    def char_tfidf(q: dict[str, str]) -> list[str]:
        s = (matrix @ tfidf.transform([text_of(q)]).T).toarray().ravel()
        return [visible[i]["id"] for i in np.argsort(-s, kind="stable")[:K]]

    checked = {q["id"]: kominn(q) for q in queries}
    runs = {"KomInn duplicate check": {q: [i for i, _ in items] for q, items in checked.items()},
            "character TF-IDF 3-5 (reference)": {q["id"]: char_tfidf(q) for q in queries}}
    judged = read_judgments(JUDGED)
    if args.pool:
        with args.pool.open("w", encoding="utf-8") as out:
            pairs = {(q, i) for run in runs.values() for q, items in run.items() for i in items
                     if i not in judged.get(q, {})}
            for q, i in sorted(pairs):
                out.write(json.dumps({"query": q, "item": i, "query_text": text_of(by_id[q])[:1500],
                                      "item_text": text_of(by_id[i])[:1500]}, ensure_ascii=False) + "\n")
        print(f"wrote {len(pairs)} unjudged pairs to {args.pool}")
        return
    with_dup = [q for q in checked if any(g >= 2 for g in judged.get(q, {}).values())]
    print(f"{len(queries)} queries, {len(with_dup)} with a judged duplicate "
          f"({sum(len(g) for g in judged.values())} pairs judged)")
    for name, ranked in runs.items():
        m = np.array([ndcg_and_p(ranked[q], judged[q]) for q in with_dup]) if with_dup else np.zeros((1, 2))
        unjudged = sum(1 for q, items in ranked.items() for i in items if i not in judged.get(q, {}))
        print(f"{name:<36} nDCG@5 {m[:, 0].mean():.3f}  P@5 {m[:, 1].mean():.3f}  "
              f"(unjudged in the top 5: {unjudged} of {K * len(ranked)})")
    positives = {(q, i) for q, g in judged.items() for i, v in g.items() if v >= 2}
    found = {(q, i) for q, items in checked.items() for i, _ in items}
    print(f"KomInn's top five hold {len(found & positives)} of the {len(positives)} judged duplicates")
    for threshold in args.thresholds:
        flagged = sum(1 for items in checked.values() for _, s in items if s >= threshold)
        ideas = sum(1 for items in checked.values() if any(s >= threshold for _, s in items))
        print(f"duplicate check at {threshold:.2f}: {flagged} suggestions for {ideas} of {len(checked)} ideas")
        for least, what in ((2, "the same proposal (grade 2)"), (1, "grade 1 or 2")):
            scored = [(s, judged.get(q, {}).get(i, 0) >= least) for q, items in checked.items() for i, s in items]
            precision, recall = precision_recall(scored, threshold)
            print(f"  against {what}: precision {precision:.2f}, recall {recall:.2f}")
    related_lists(rec, queries, judged, args.related_thresholds)
    store.close()


def related_lists(rec: Recommender, queries: list[dict[str, str]], judged: dict[str, dict[str, int]],
                  thresholds: list[float]) -> None:
    """The related list's precision at each threshold: asked once at the lowest, each list is the head of that one
    with a score at or above the threshold (the list keeps the highest scores, so it is the list asked for)."""
    lowest = min(thresholds)
    lists = {}
    for q in queries:
        found = check_idea_and_related(rec, text_of(q), k=K, related_k=K, related_threshold=lowest,
                                       related_labels=(Label.IDEA,)).related.items
        lists[q["id"]] = [(i.id.removeprefix(DECIDE_PREFIX), i.score) for i in found]
    for threshold in sorted(thresholds, reverse=True):
        shown = [(q, i) for q, items in lists.items() for i, s in items if s >= threshold]
        grades = [judged.get(q, {}).get(i) for q, i in shown]
        unjudged = sum(g is None for g in grades)
        ideas = len({q for q, _ in shown})
        print(f"related list at {threshold:.2f} (up to {DUPLICATE_THRESHOLD:.2f}): {len(shown)} suggestions for "
              f"{ideas} of {len(lists)} ideas, {unjudged} of them unjudged")
        for least, what in ((1, "grade 1 or 2"), (2, "the same proposal (grade 2)")):
            hits = sum(1 for g in grades if g is not None and g >= least)
            judged_n = len(grades) - unjudged
            print(f"  against {what}: precision {hits / len(grades) if grades else 1.0:.2f} "
                  f"(among the judged alone {hits / judged_n if judged_n else 1.0:.2f})")


if __name__ == "__main__":
    main()
