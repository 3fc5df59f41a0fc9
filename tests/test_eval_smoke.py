"""`kominn eval` end to end on small slices of the real data sets (the full runs are commands, not tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app
from tests.conftest import SHARED_DATA

pytestmark = pytest.mark.slow
runner = CliRunner()


def _small_copy(src: Path, dst: Path, keep: int) -> Path:
    """The first ``keep`` data rows of every CSV of a data set (multi-line fields kept whole)."""
    import csv

    dst.mkdir()
    for f in src.glob("*.csv"):
        target = dst / f.name
        with f.open(encoding="utf-8-sig", newline="") as fh, target.open("w", encoding="utf-8", newline="") as out:
            reader = csv.DictReader(fh)
            writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
            writer.writeheader()
            for n, row in enumerate(reader):
                if f.name == "items.csv" and n >= keep:
                    break
                writer.writerow(row)
    return dst


def test_t1_on_a_slice_prints_a_table_a_run_file_and_json(tmp_path: Path) -> None:
    """T1 on 300 Tidstyver reports prints the table with the reference methods scored on the same
    queries, writes the run file and ends with one JSON line."""
    corpus = _small_copy(SHARED_DATA / "difi_tidstyver_2014", tmp_path / "tidstyver", 300)
    run = tmp_path / "t1.tsv"
    result = runner.invoke(app, ["eval", "t1", "--corpus", str(corpus), "--holdout-fraction", "0.1", "--seed", "1",
                                 "--json", "--run", str(run), "--data-dir", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["task"] == "t1" and summary["queries"] > 10
    assert 0.0 < summary["ndcg@10"] <= 1.0
    assert "TF-IDF character 3-5-grams" in result.stdout
    assert set(summary["references"]) == {"TF-IDF character 3-5-grams", "all-MiniLM-L6-v2 dense",
                                          "character TF-IDF + MiniLM, equal weights"}
    assert all(0.0 < v["ndcg@10"] <= 1.0 for v in summary["references"].values())
    rows = [line.split("\t") for line in run.read_text(encoding="utf-8").splitlines()]
    assert rows and all(len(r) == 4 for r in rows)
    corpus_ids = {line.split(",")[0] for line in (corpus / "items.csv").read_text(encoding="utf-8").splitlines()}
    assert {r[2] for r in rows} <= corpus_ids  # the data set's own ids, not graph ids


def test_eval_needs_queries_or_a_split(tmp_path: Path) -> None:
    """Without --queries or --holdout-fraction, eval says what to give and exits 2."""
    result = runner.invoke(app, ["eval", "t1", "--corpus", str(SHARED_DATA / "difi_tidstyver_2014")])
    assert result.exit_code == 2 and "--holdout-fraction" in result.output


def test_eval_on_neo4j_refuses_a_database_holding_another_graph() -> None:
    """On Neo4j, kominn eval claims an empty database for its corpus and refuses one that holds a real
    graph or another corpus, saying which database and what to do."""
    from graph.embedded import EmbeddedGraphStore
    from graph.errors import ConfigurationError
    from graph.schema import Label, Node
    from service.cli_eval import _claim

    with EmbeddedGraphStore(":memory:") as store:
        _claim(store, "Neo4j at bolt://x", "cordis_h2020-abc")
        store.upsert([Node("cordis:1", Label.INITIATIVE, {"title": "x"})])
        _claim(store, "Neo4j at bolt://x", "cordis_h2020-abc")  # the same corpus again: fine
        wanted = r"bolt://x holds 1 nodes .*cordis_h2020-abc.*KOMINN_NEO4J_DATABASE"
        with pytest.raises(ConfigurationError, match=wanted):
            _claim(store, "Neo4j at bolt://x", "difi_tidstyver_2014-def")
    with EmbeddedGraphStore(":memory:") as store:
        store.upsert([Node("ini-1", Label.INITIATIVE, {"title": "x"})])
        with pytest.raises(ConfigurationError, match="not an evaluation corpus"):
            _claim(store, "Neo4j at bolt://x", "cordis_h2020-abc")
