"""``kominn sources [list|forget]``: the sources ``kominn ingest`` remembers, and ending one's claim on its items.

The work is in :mod:`ingest.sources`; these commands read the options, print and choose the exit code.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, cast

import typer

from ingest.sources import Forgotten, Source
from service.cli_help import App

SHOWN = 10  # unclaimed ids named after a forget; the count says how many there are

sources_app = App(help="The sources `kominn ingest` remembers: what --sync compares with. A source is its format and "
                       "its files' full paths, or its --source NAME. Without a command: the list.",
                  no_args_is_help=False, invoke_without_command=True, rich_markup_mode=None)

DataDir = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR",
                                              help="Where the embedded store lives (default: KOMINN_DATA_DIR)")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the sources as a JSON list")]


def _line(source: Source) -> str:
    """How a source is shown: its format, how many items it claims, when it last ran and whether its files are
    still there (a named source's files too)."""
    parts = [f"format {source.format or 'unknown'}", f"{source.items} item(s)"]
    if source.finished is False:
        parts.append("its last run did not finish (or is running now)")
    else:
        parts.append(f"last run {source.last_run}" if source.last_run else "last run not recorded")
    if source.name is not None and source.paths:
        parts.append("files " + ", ".join(source.paths))
    if source.files_exist is None:
        parts.append("files unknown")
    elif source.missing:
        parts.append("gone: " + ", ".join(source.missing))
    else:
        parts.append("files there")
    return "; ".join(parts)


def _list(data_dir: Path | None, as_json: bool) -> None:
    from ingest.sources import list_sources
    from service.cli import _settings, opened_store

    with opened_store(_settings(data_dir)) as store:
        sources = list_sources(store)
    if as_json:
        typer.echo(json.dumps([s.as_dict() for s in sources], ensure_ascii=False, indent=1))
        return
    if not sources:
        typer.echo("No sources yet: each `kominn ingest` remembers the files it read (or its --source NAME) as one.")
        return
    for source in sources:
        typer.echo(source.key)
        typer.secho(f"    {_line(source)}", fg="yellow" if source.missing else None)


@sources_app.callback()
def sources_main(ctx: typer.Context, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """The sources `kominn ingest` remembers (what --sync compares with); `kominn sources` alone lists them."""
    if ctx.invoked_subcommand is None:
        _list(data_dir, as_json)
    ctx.obj = {"data_dir": data_dir, "json": as_json}  # `sources --data-dir DIR forget KEY` means that DIR too


def _given(ctx: typer.Context, name: str, value: object) -> object:
    """An option of the command, or else the one given before its name (``kominn sources --json list``)."""
    parent = ctx.parent.obj if ctx.parent is not None and isinstance(ctx.parent.obj, dict) else {}
    return value if value else parent.get(name, value)


@sources_app.command("list")
def sources_list(ctx: typer.Context, as_json: AsJson = False, data_dir: DataDir = None) -> None:
    """List each source: its key (format and files, or name:NAME), how many items it claims, when its last run
    finished (UTC), and whether its files are still there (a source whose files are gone is where moved files
    were read from before)."""
    _list(cast("Path | None", _given(ctx, "data_dir", data_dir)), bool(_given(ctx, "json", as_json)))


def _unclaimed(plan: Forgotten, done: bool) -> None:
    if not plan.unclaimed:
        return
    n = len(plan.unclaimed)
    shown = ", ".join(plan.unclaimed[:SHOWN]) + (f" and {n - SHOWN} more" if n > SHOWN else "")
    verb = "is" if done else "would be"
    typer.secho(f"{n} of them {verb} delivered by no other source, so no --sync will retire "
                f"{'it' if n == 1 else 'them'}; delete {'it' if n == 1 else 'them'} through the API if "
                f"{'it' if n == 1 else 'they'} should go: {shown}", fg="yellow")


@sources_app.command("forget")
def sources_forget(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(metavar="KEY", help="The source's key, as `kominn sources` shows it")],
    yes: Annotated[bool, typer.Option("--yes", help="Do it; without --yes nothing is changed, and what would be "
                                      "done is said")] = False,
    data_dir: DataDir = None,
) -> None:
    """Forget a source: remove its claim on the items it delivered (its entry in the list of sources, its member
    list and the state of its last run). Its items stay in the graph; they just no longer count as delivered by
    it, so the --sync of a source that delivers them now can retire them. Use it after moving or copying the
    files of a source: forget the old place's key once the new place has been ingested.

    Exit code: 0 when it was forgotten, and without --yes; 2 for a KEY that names no source.
    """
    from graph.errors import NotFoundError
    from ingest.sources import close_keys, forget, plan_forget
    from service.cli import _fail, _settings, audit, opened_store

    settings = _settings(cast("Path | None", _given(ctx, "data_dir", data_dir)))
    with opened_store(settings, "KEY") as store:
        try:
            plan = forget(store, key) if yes else plan_forget(store, key)
        except NotFoundError:
            near = close_keys(store, key)
            hint = ("did you mean " + " or ".join(repr(k) for k in near) + "?" if near
                    else "`kominn sources` lists the keys")
            raise _fail(f"KEY: no source has the key '{key}'; {hint}", 2) from None
    source = plan.source
    if not yes:
        typer.echo(f"Would forget the source {source.key} ({_line(source)}).")
        typer.echo(f"Its {source.items} item(s) would stay in the graph; they would just no longer count as delivered "
                   "by it, so the --sync of a source that delivers them can retire them.")
        _unclaimed(plan, done=False)
        typer.echo(f"Nothing was changed; to do it, run: kominn sources forget {shlex.quote(key)} --yes")
        return
    audit(settings, "sources forget", source=key, items=source.items, unclaimed=len(plan.unclaimed))
    typer.echo(f"Forgot the source {source.key}: its {source.items} item(s) stay in the graph and no longer count "
               "as delivered by it.")
    _unclaimed(plan, done=True)
