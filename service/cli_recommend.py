"""``kominn partners``, ``kominn reuse`` and ``kominn check-idea``: recommendations from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def partners_command(
    query: Annotated[str, typer.Argument(help="An initiative id, or a description of the project in quotes")],
    known: Annotated[
        list[str] | None, typer.Option("--known", help="An organisation id already involved (repeatable)")
    ] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="Only this kind (repeatable): business, ngo, research, ...")
    ] = None,
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many organisations")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded store lives")] = None,
) -> None:
    """Recommend partner organisations for an initiative or a described project, with reasons."""
    from recommend.partners import PartnerRecommender
    from recommend.similar import Recommender
    from service.cli import _print_items, _settings, opened_store, unknown_id_note

    settings = _settings(data_dir)
    with opened_store(settings) as store:
        note = unknown_id_note(store, query)
        recommender = PartnerRecommender(store, Recommender(store, settings.build_embedder()))
        items = recommender.partners(query, known=known or [], k=k, kinds=kind or None)
    if as_json:
        if note:
            typer.echo(note, err=True)
        typer.echo(json.dumps([i.as_dict() for i in items], ensure_ascii=False, indent=1))
        return
    _print_items(f"Partners for: {query[:80]}", [note] if note else [], items)


def reuse_command(
    item_id: Annotated[str, typer.Argument(help="A need or initiative id")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many candidates")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded store lives")] = None,
) -> None:
    """Completed initiatives of other units that addressed a similar need: solutions to reuse, with reasons."""
    from recommend.reuse import reuse
    from recommend.similar import Recommender
    from service.cli import _print_items, _settings, opened_store

    settings = _settings(data_dir)
    with opened_store(settings) as store:
        result = reuse(Recommender(store, settings.build_embedder()), item_id, k=k)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    _print_items(f"Reuse candidates for: {result.query} ({item_id})", result.notes, result.items)


def check_idea_command(
    text: Annotated[str, typer.Argument(help="The idea, in quotes (or - to read it from standard input)")],
    k: Annotated[int, typer.Option("-k", "--k", min=1, max=100, help="How many possible duplicates at most")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded store lives")] = None,
) -> None:
    """Has this idea been had already? Existing ideas and initiatives whose text is close enough to be
    a possible duplicate (the same calibrated threshold as POST /ideas/check), with reasons."""
    import sys

    from recommend.reuse import check_idea
    from recommend.similar import Recommender
    from service.cli import _print_items, _settings, opened_store

    if text == "-":
        text = sys.stdin.read()
    settings = _settings(data_dir)
    with opened_store(settings) as store:
        result = check_idea(Recommender(store, settings.build_embedder()), text, k=k)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
    else:
        _print_items(f"Possible duplicates of: {result.query[:80]}", result.notes, result.items)


def learn_partners_command(
    queries: Annotated[int, typer.Option("--queries", min=10, max=100_000,
                                         help="How many of the store's initiatives to learn from")] = 800,
    seed: Annotated[int, typer.Option("--seed", help="Which initiatives are drawn")] = 0,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the embedded store lives")] = None,
) -> None:
    """Learn the partner recommender's weights from the store's own initiatives and keep them in the store.

    Each drawn initiative with an owner and partners has its partners hidden and found again from its
    text, topics and owner; a scikit-learn model learns from those answers. Run it again after large
    imports. Until it has run, partner recommendations use simple prior weights."""
    from recommend.partners import learn_and_store
    from recommend.similar import Recommender
    from service.cli import _fail, _settings, opened_store

    settings = _settings(data_dir)
    with opened_store(settings) as store:
        typer.echo(f"learning partner weights from up to {queries} initiatives in {settings.describe_store()} ...")
        model = learn_and_store(store, Recommender(store, settings.build_embedder()), max_queries=queries, seed=seed)
    if not model.trained_on:
        raise _fail("too few initiatives with an owner and partners to learn from (10 are needed); "
                    "the prior weights stay in use", 1)
    typer.echo(f"learned from {model.trained_on} initiatives; the weights are kept in the store")
