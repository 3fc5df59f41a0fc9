"""`kominn eval t3` is reproducible: the partner features, the learned model and every ranking come out the
same in another process (another hash seed for Python's sets) and from a store that keeps its rows in
another order (a store written over several runs, or Neo4j)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT, SHARED_DATA

pytestmark = pytest.mark.slow

PROJECTS = 600  # the first projects of CORDIS: enough shared partners for ties, small enough to be quick

# Run in a fresh interpreter: ingest the slice (fake embedder), optionally rewrite the store file with
# every table's rows in reverse order, then print the T3 evaluation's figures and digests of its run (every
# ranking with its exact scores), of a partner model learned on the store (its features' means and scales
# and its weights: a last bit changed in any training feature changes it) and of the popularity order that
# fills each ranking after the recommender's candidates (beyond the run's top 100 here).
_WORKER = r"""
import hashlib, json, sqlite3, sys
from pathlib import Path
from graph.embedded import _SCHEMA, EmbeddedGraphStore
from ingest.testing import HashingEmbedder
from recommend import evaluation as ev
from recommend.partners import PartnerRecommender, fit_partner_model
from recommend.similar import Recommender

corpus_dir, work, reverse = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "reverse"
rows = ev.read_rows(corpus_dir, "t3")
queries = [r for r in rows if ev.in_holdout(r["project_id"], 0.15, 2)]
corpus = [r for r in rows if not ev.in_holdout(r["project_id"], 0.15, 2)]
keep = {r["project_id"] for r in corpus}
embedder = HashingEmbedder()
path = work / "written.sqlite"
with EmbeddedGraphStore(path) as store:
    ev.prepare("t3", store, embedder, corpus_dir, keep.__contains__)
if reverse:  # the same rows, written in the opposite order
    src, path = sqlite3.connect(work / "written.sqlite"), work / "reversed.sqlite"
    dst = sqlite3.connect(path)
    dst.executescript(_SCHEMA)
    for table in ("meta", "nodes", "edges"):
        found = src.execute(f"SELECT * FROM {table} ORDER BY rowid DESC").fetchall()
        dst.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(found[0]))})", found)
    dst.commit()
    src.close()
    dst.close()
digest = lambda data: hashlib.sha256(data).hexdigest()
with EmbeddedGraphStore(path) as store:
    result = ev.eval_t3(store, embedder, corpus_dir, corpus, queries, references=False, train_queries=1)
    model = fit_partner_model(PartnerRecommender(store, Recommender(store, embedder)), max_queries=40, min_queries=10,
                              boosted=False)
filler = ev.popular_organisations(corpus, ev.read_participants(corpus_dir))
print(json.dumps({"metrics": result.metrics, "queries": result.queries, "run": digest(repr(result.run).encode()),
                  "model": digest(model.to_json().encode()), "trained_on": model.trained_on,
                  "filler": digest("\n".join(filler).encode())}))
"""


def _slice(dst: Path) -> Path:
    """The first PROJECTS projects of CORDIS with their participants and organisations."""
    src = SHARED_DATA / "cordis_h2020"
    dst.mkdir()
    kept: dict[str, set[str]] = {"project_id": set(), "organisation_id": set()}
    for name, key in (("projects.csv", "project_id"), ("participants.csv", "project_id"),
                      ("organisations.csv", "organisation_id")):
        with (src / name).open(encoding="utf-8-sig", newline="") as fh, \
                (dst / name).open("w", encoding="utf-8", newline="") as out:
            reader = csv.DictReader(fh)
            writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for row in reader:
                if name == "projects.csv" and len(kept[key]) < PROJECTS:
                    kept[key].add(row[key])
                if row[key] in kept[key]:
                    writer.writerow(row)
                    if name == "participants.csv":
                        kept["organisation_id"].add(row["organisation_id"])
    return dst


def _run(corpus: Path, work: Path, hash_seed: str, order: str) -> subprocess.Popen[str]:
    work.mkdir()
    env = {**os.environ, "PYTHONHASHSEED": hash_seed, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", _WORKER, str(corpus), str(work), order], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_t3_is_the_same_in_another_process_and_from_a_store_with_its_rows_in_another_order(tmp_path: Path) -> None:
    """Two processes with other hash seeds (other orders of every set of ids), one on the store as written and one
    on the same rows in reverse order (as a data folder written over several runs, or Neo4j, returns them), give
    the same T3 figures, the same run and the same learned partner model."""
    corpus = _slice(tmp_path / "cordis")
    started = [_run(corpus, tmp_path / "a", "1", "written"), _run(corpus, tmp_path / "b", "2", "reverse")]
    out = []
    for proc in started:
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
        out.append(json.loads(stdout.strip().splitlines()[-1]))
    assert out[0]["queries"] > 20 and out[0]["trained_on"] == 40  # a real run, and a model learned on 40 projects
    assert out[1] == out[0]
