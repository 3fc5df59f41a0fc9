"""``kominn eval``: the evaluation protocols of EVALUATION.md on real data sets."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated

import typer

from graph.errors import ConfigurationError, KomInnError
from graph.store import GraphStore
from service.settings import Settings

EVAL_META_KEY = "eval:corpus"


def _corpus_name(task: str, corpus_ids: list[str]) -> str:
    from recommend.evaluation import TASKS

    digest = hashlib.sha256("\n".join(sorted(corpus_ids)).encode()).hexdigest()[:12]
    return f"{TASKS[task][0]}-{digest}"


def _store_for(settings: Settings, task: str, corpus_ids: list[str]) -> tuple[object, str]:
    """The configured store; for the embedded default, a file of its own per corpus, so that the
    user's graph is never mixed with evaluation data and a second run reuses the ingested corpus.
    On Neo4j the configured database is used (see :func:`_claim`)."""
    if settings.store == "neo4j":
        return settings.build_store(), settings.describe_store()
    from graph.embedded import EmbeddedGraphStore

    path = settings.data_dir / "eval" / f"{_corpus_name(task, corpus_ids)}.sqlite"
    return EmbeddedGraphStore(path), f"embedded store at {path}"


def _claim(store: GraphStore, where: str, name: str) -> None:
    """Evaluate only in an empty database or one that holds this very corpus: never mixed with a real
    graph (that would pollute it, and its items would compete with the corpus in the rankings)."""
    held = store.get_meta(EVAL_META_KEY)
    if held == name:
        return
    nodes = store.count_nodes()
    if nodes:
        what = f"the evaluation corpus {held}" if held else "a graph that is not an evaluation corpus"
        raise ConfigurationError(
            f"{where} holds {nodes} nodes ({what}): kominn eval needs an empty database of its own "
            f"for {name}; point KOMINN_NEO4J_DATABASE at one")
    store.set_meta(EVAL_META_KEY, name)


def eval_command(
    task: Annotated[str, typer.Argument(metavar="TASK",
                                        help="t1 (similar needs, Tidstyver), t2 (similar projects), t3 (partners)")],
    corpus: Annotated[Path, typer.Option(metavar="DIR",
                                         help="Folder of the data set (layout of ../shared/data/<dataset>)")],
    queries: Annotated[Path | None, typer.Option(metavar="DIR", help="Folder with the query items, same layout")
                       ] = None,
    holdout_fraction: Annotated[
        float | None, typer.Option(metavar="F", min=0.01, max=0.9,
                                   help="Split the corpus folder: this share becomes queries")
    ] = None,
    seed: Annotated[int, typer.Option(metavar="S", help="Seed of the hash-based split")] = 0,
    limit: Annotated[int | None, typer.Option(metavar="N", min=1, help="Score only the first N queries (smoke runs)")
                     ] = None,
    run: Annotated[Path | None, typer.Option("--run", metavar="FILE",
                                             help="Write every query's ranking to this TSV file")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON line of the metrics")] = False,
    references: Annotated[bool, typer.Option(
        help="Also score the simple reference methods of the published table on the same queries")] = True,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", metavar="DIR", help="Where evaluation stores live")
                        ] = None,
) -> None:
    """Run an evaluation protocol and print its metrics (nDCG@10, Recall@20, MRR) and latency."""
    from recommend import evaluation as ev
    from service.cli import _Bar, _fail, _settings

    task = task.lower()
    if task not in ev.TASKS:
        raise _fail(f"unknown task '{task}': use t1, t2 or t3", 2)
    if (queries is None) == (holdout_fraction is None):
        raise _fail("give either --queries DIR or --holdout-fraction F (with --seed S)", 2)
    if run is not None and run.is_dir():  # found before the scoring, not after it
        raise _fail(f"--run {run} is a folder: give a file name, e.g. {run / (task + '.run')}", 2)
    settings = _settings(data_dir)
    try:
        key = ev.TASKS[task][2]
        corpus_rows = ev.read_rows(corpus, task)
        if queries is not None:
            query_rows = ev.read_rows(queries, task)
        else:
            assert holdout_fraction is not None
            query_rows = [r for r in corpus_rows if ev.in_holdout(r[key], holdout_fraction, seed)]
            corpus_rows = [r for r in corpus_rows if not ev.in_holdout(r[key], holdout_fraction, seed)]
        if limit is not None:
            query_rows = query_rows[:limit]
        if not corpus_rows or not query_rows:
            raise _fail(f"{len(corpus_rows)} corpus items and {len(query_rows)} queries: "
                        "both need at least one (check the folders and --holdout-fraction)", 2)
        if task in ("t2", "t3"):  # the files are checked before anything is ingested, so a missing one fails fast
            ev.check_cordis_corpus(corpus, task)
        if task == "t3":
            ev.check_participants(corpus)
            if queries is not None:
                ev.check_participants(queries)
        keep = {r[key] for r in corpus_rows}
        store, where = _store_for(settings, task, sorted(keep))
        embedder = settings.build_embedder()
        store.open()  # type: ignore[attr-defined]
        try:
            if settings.store == "neo4j":
                _claim(store, where, _corpus_name(task, sorted(keep)))  # type: ignore[arg-type]
            typer.echo(f"{task}: {len(corpus_rows)} corpus items, {len(query_rows)} queries; {where}", err=True)
            ev.prepare(task, store, embedder, corpus, keep.__contains__, progress=_Bar)  # type: ignore[arg-type]
            result = ev.run_task(task, store, embedder, corpus, corpus_rows, query_rows,  # type: ignore[arg-type]
                                 queries_dir=queries or corpus, references=references, progress=_Bar)
        finally:
            store.close()  # type: ignore[attr-defined]
    except KomInnError as e:
        raise _fail(str(e)) from None
    if run is not None:  # a missing folder is made (a folder given as the file was refused at the start)
        run.parent.mkdir(parents=True, exist_ok=True)
        result.write_run(run)
        typer.echo(f"every query's ranking: {run}", err=True)
    typer.echo(ev.format_table(result))
    if as_json:
        typer.echo(json.dumps(result.summary(), ensure_ascii=False))
