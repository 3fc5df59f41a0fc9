"""``kominn partners``, ``kominn reuse`` and ``kominn check-idea``: recommendations from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DataDir = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR", help="Where the embedded store lives")]


def partners_command(
    query: Annotated[str, typer.Argument(metavar="QUERY",
                                         help="An initiative id, or a description of the project in quotes")],
    known: Annotated[
        list[str] | None, typer.Option("--known", metavar="ORG",
                                       help="An organisation id already involved (repeatable)")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", metavar="KIND",
                                       help="Only this kind (repeatable): business, ngo, research, ...")
    ] = None,
    k: Annotated[int, typer.Option("-k", "--k", metavar="N", min=1, max=100, help="How many organisations")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Recommend partner organisations for an initiative or a described project, with reasons."""
    from graph.schema import Label
    from recommend.partners import PartnerRecommender
    from recommend.similar import Recommender
    from service.cli import _fail, _print_items, _settings, opened_store, unknown_id_note

    settings = _settings(data_dir)
    with opened_store(settings, "QUERY") as store:
        asked = store.get(query) if len(query) <= 128 else None
        if asked is not None and asked.label == Label.ORGANISATION:
            raise _fail(f"'{query}' is an organisation: name it with --known and describe the project, e.g. "
                        f"kominn partners \"what the project does\" --known {query}", 2)
        notes = [n for n in [unknown_id_note(store, query)] if n]
        recommender = PartnerRecommender(store, Recommender(store, settings.build_embedder()))
        # the similar search's notes too, e.g. that nothing matches a text (or a mistyped id) closely
        items = recommender.partners(query, known=known or [], k=k, kinds=kind or None, notes=notes)
        node = store.get(query) if len(query) <= 128 else None
    query_id = node.id if node is not None and node.label == Label.INITIATIVE else None
    if as_json:  # the shape of kominn similar --json
        typer.echo(json.dumps({"query": node.title if query_id and node else query, "query_id": query_id,
                               "items": [i.as_dict() for i in items], "notes": notes}, ensure_ascii=False, indent=1))
        return
    heading = f"Partners for: {node.title} ({query_id})" if query_id and node else f"Partners for: {query[:80]}"
    _print_items(heading, notes, items)


def reuse_command(
    item_id: Annotated[str, typer.Argument(metavar="ID", help="A need or initiative id")],
    k: Annotated[int, typer.Option("-k", "--k", metavar="N", min=1, max=100, help="How many candidates")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Completed initiatives of other units that addressed a similar need: solutions to reuse, with reasons."""
    from graph.errors import NotFoundError
    from recommend.reuse import reuse
    from recommend.similar import Recommender
    from service.cli import _fail, _print_items, _settings, opened_store

    settings = _settings(data_dir)
    with opened_store(settings, "ID") as store:
        try:
            result = reuse(Recommender(store, settings.build_embedder()), item_id, k=k)
        except NotFoundError as e:  # the only id it is given is the argument's
            raise _fail(f"ID: {e}", 2) from None
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    _print_items(f"Reuse candidates for: {result.query} ({item_id})", result.notes, result.items)


def check_idea_command(
    text: Annotated[str, typer.Argument(metavar="TEXT",
                                        help="The idea, in quotes (or - to read it from standard input)")],
    k: Annotated[int, typer.Option("-k", "--k", metavar="N", min=1, max=100,
                                   help="How many possible duplicates at most, and as many related items")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Has this idea been had already? Existing ideas and initiatives whose text is close enough to be
    a possible duplicate (the same calibrated threshold as POST /ideas/check), with reasons; then, under a
    heading of its own, related existing work: initiatives under way or done that come close without being
    the same idea (as `related` of POST /ideas/check)."""
    import sys

    from recommend.reuse import check_idea_and_related
    from recommend.similar import Recommender
    from service.cli import _print_items, _settings, opened_store

    if text == "-":
        text = sys.stdin.read()
    settings = _settings(data_dir)
    with opened_store(settings, "TEXT") as store:
        found = check_idea_and_related(Recommender(store, settings.build_embedder()), text, k=k)
    result, related = found.duplicates, found.related
    if as_json:  # the shape of kominn similar --json, with the related list beside the items
        typer.echo(json.dumps({**result.as_dict(), "related": related.as_dict()["items"],
                               "related_notes": related.notes}, ensure_ascii=False, indent=1))
        return
    _print_items(f"Possible duplicates of: {result.query[:80]}", result.notes, result.items)
    typer.echo()
    _print_items("Related existing work (not duplicates): initiatives under way or done", related.notes,
                 related.items)


def learn_partners_command(
    queries: Annotated[int, typer.Option("--queries", metavar="N", min=10, max=100_000,
                                         help="How many of the store's initiatives to learn from")] = 800,
    min_initiatives: Annotated[int, typer.Option(
        "--min-initiatives", metavar="N", min=10, max=100_000,
        help="Learn only from at least this many initiatives with an owner and partners; with fewer, the "
             "prior weights stay (on CORDIS samples they did better below about 300)")] = 300,
    seed: Annotated[int, typer.Option("--seed", metavar="N", help="Which initiatives are drawn")] = 0,
    data_dir: DataDir = None,
) -> None:
    """Learn the partner recommender's weights from the store's own initiatives and keep them in the store.

    Each drawn initiative with an owner and partners has its partners hidden and found again from its
    text, topics and owner; a scikit-learn model learns from those answers. Run it again after large
    imports. Until it has run, and on stores with too few initiatives to learn from, partner
    recommendations use simple prior weights (exit code 1 says that the prior weights stay)."""
    from recommend.partners import learn_and_store
    from recommend.similar import Recommender
    from service.cli import _Bar, _fail, _settings, opened_store, partner_weights_line

    if queries < min_initiatives:
        raise _fail(f"--queries ({queries}) is below --min-initiatives ({min_initiatives}): weights are learned from "
                    f"at least {min_initiatives} initiatives (below that the prior weights do better); give "
                    f"--queries {min_initiatives} or more, or lower --min-initiatives too", 2)
    settings = _settings(data_dir)
    with opened_store(settings) as store:
        typer.echo(f"learning partner weights from up to {queries} initiatives in {settings.describe_store()} ...")
        bars: list[_Bar] = []  # shown from the first training query on: a store with too few says so at once

        def step(n: int) -> None:
            if not bars:
                bars.append(_Bar("training queries", queries))
            bars[0].update(n)

        model = learn_and_store(store, Recommender(store, settings.build_embedder()), max_queries=queries, seed=seed,
                                min_queries=min_initiatives, progress=step)
        for bar in bars:
            bar.close()
    if not model.trained_on:
        raise _fail(partner_weights_line(model, min_initiatives), 1)
    typer.echo(partner_weights_line(model, min_initiatives))
