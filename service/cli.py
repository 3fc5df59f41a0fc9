"""The ``kominn`` command line: each command is a thin call into the library."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, ClassVar

import typer
from tqdm import tqdm

from graph.errors import KomInnError, NotFoundError, StoreUnavailableError, ValidationError
from graph.schema import Label
from graph.store import GraphStore
from ingest.pipeline import IngestSummary, Progress
from service.audit import command_user, record
from service.cli_help import App
from service.settings import Settings, get_settings

if TYPE_CHECKING:
    from recommend.partners import PartnerModel

app = App(
    help="KomInn: find, link and reuse innovation work. Settings come from KOMINN_* environment variables.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,  # plain help: flags without a '<bool>' value, one option per line, no boxes
)


class _Bar(Progress):
    showing: ClassVar[set[_Bar]] = set()  # bars not closed yet: a failure closes them before its message

    def __init__(self, desc: str, total: int) -> None:
        # tqdm shows the rate and the time left (ETA) once it knows the total
        self.bar = tqdm(total=total, desc=desc, unit="item", disable=total == 0, file=sys.stderr,
                        dynamic_ncols=True, mininterval=0.5)
        _Bar.showing.add(self)

    def update(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
        _Bar.showing.discard(self)

    @classmethod
    def close_all(cls) -> None:
        for bar in list(cls.showing):
            bar.close()


def _fail(message: str, code: int = 1) -> typer.Exit:
    _Bar.close_all()  # the message goes below the bars, not onto a bar's line
    typer.secho(message, fg=typer.colors.RED, err=True)
    return typer.Exit(code)


@contextmanager
def opened_store(settings: Settings, argument: str | None = None) -> Iterator[GraphStore]:
    """The configured store, open for the block; a KomInn error ends the command with its message, and input the
    library refuses with exit code 2, naming the option or the command's ``argument`` (QUERY, TEXT) it is about.
    An embedded store that does not exist yet is not created (a mistyped --data-dir would read as an empty
    answer): the command ends saying where it looked."""
    if settings.store == "embedded" and not settings.embedded_path.exists():
        raise _fail(f"There is no store at {settings.embedded_path}: load data with `kominn ingest` (or start "
                    "`kominn serve`, which loads the demo data), or give the right --data-dir / KOMINN_DATA_DIR.")
    store = settings.build_store()
    try:
        store.open()
        yield store
    except ValidationError as e:
        raise _fail(_problems_text(e, argument), 2 if _about_input(e) else 1) from None
    except KomInnError as e:
        raise _fail(str(e)) from None
    finally:
        store.close()


# The command-line option behind each field a recommender can refuse; its text ("q", "text") is the argument.
_OPTION_OF = {"known": "--known", "kind": "--kind", "k": "-k", "unit": "--unit", "label": "--label"}
_INPUT = ("query", "idea")  # what the recommenders call the input they were given, where a file's problems name it


def _about_input(e: ValidationError) -> bool:
    return all(p.file in _INPUT for p in e.problems)


def _problems_text(e: ValidationError, argument: str | None = None) -> str:
    """A refused input as a person reads it: each message with the option or argument it is about (a file's
    problems keep file, row, field)."""
    if _about_input(e):
        names = {**_OPTION_OF, **({"q": argument, "text": argument} if argument else {})}
        return "; ".join(f"{names[p.field]}: {p.message}" if p.field in names else p.message for p in e.problems)
    return str(e)


def audit(settings: Settings, what: str, **details: object) -> None:
    """Record a command's change in the audit log; a log that cannot be written is said on stderr (the change
    is made by then, and the command still tells what it did)."""
    try:
        record(settings.data_dir, command_user(), what, rotation=settings.audit_rotation, **details)
    except OSError as e:
        typer.secho(f"The audit log could not be written ({_os_error(e)}): this {what} is not recorded in it.",
                    fg="yellow", err=True)


def _settings(data_dir: Path | None) -> Settings:
    """The settings from the KOMINN_* variables (a bad value ends the command naming the variable)."""
    import pydantic

    try:
        settings = get_settings()
    except pydantic.ValidationError as e:
        # a section's settings are checked by their own model, whose errors do not carry the section's name
        prefix = {"Neo4jSettings": "KOMINN_NEO4J_", "ModelSettings": "KOMINN_MODEL_"}.get(e.title, "KOMINN_")
        wrong = "; ".join(f"{prefix}{'_'.join(str(x) for x in err['loc']).upper()}: {err['msg']}" for err in e.errors())
        raise _fail(f"A setting is not valid: {wrong}", 2) from None
    if data_dir is not None:
        settings = settings.model_copy(update={"data_dir": data_dir})
    return settings


DataDir = Annotated[
    Path | None, typer.Option("--data-dir", metavar="DIR",
                              help="Where the embedded store lives (default: KOMINN_DATA_DIR)")
]


def _print_summary(summary: IngestSummary) -> None:
    if summary.files_unchanged:
        typer.echo(f"The files are unchanged since the last completed ingest (which read {summary.last_read} "
                   "row(s)), so nothing was read now (use --recheck to compare row by row).")
    read = f"{summary.read}"
    if summary.rows:  # a source's row gave several records (a report, its agency and its ministry)
        read = f"{summary.read} record(s) from {summary.rows} row(s)"
    line = (f"read {read}, created {summary.created}, updated {summary.updated}, "
            f"unchanged {summary.unchanged}, skipped {summary.skipped}, embedded {summary.embedded}, "
            f"edges written {summary.edges_written}, edges removed {summary.edges_removed}")
    if summary.skipped_files:
        line += f", files skipped {len(summary.skipped_files)}"
    if summary.merged or summary.same_as:
        line += f", merged {summary.merged}, same-as candidates {summary.same_as}"
    if summary.retired:
        line += f", retired {summary.retired}"
    if summary.erased:
        line += f", erased ideas left out {summary.erased}"
    if summary.similar_written or summary.similar_removed:
        line += f", similar edges +{summary.similar_written}/-{summary.similar_removed}"
    typer.echo(line + f" in {summary.seconds:.1f} s")
    if summary.problems or summary.skipped:
        typer.secho(f"{_skipped_what(summary)} (use --strict to write nothing instead):", fg="yellow")
        _print_problems(summary.problems, not summary.problems)
    if summary.warnings:
        typer.echo(f"{summary.warnings} warning(s); these rows were read:")
        _print_problems(summary.warning_list, not summary.warning_list)
    if summary.erased_list:
        typer.secho(f"Left out {len(summary.erased_list)} idea(s) an admin erased (take them out of the source):",
                    fg="yellow")
        _print_problems(summary.erased_list, False)
    if summary.new_source:
        _print_new_source(summary)
    if summary.held:
        typer.secho(f"--sync did not retire {len(summary.held)} item(s) gone from the source:", fg="yellow")
        _print_problems(summary.held, False)
    for m in summary.merges[:5]:
        typer.echo(f"  {m}")
    if len(summary.merges) > 5:
        typer.echo(f"  ... and {len(summary.merges) - 5} more merges or candidates")
    if summary.report:
        typer.echo(f"Report of every skipped file and row, warning, erased idea and merge: {summary.report}")
    if summary.report_error:
        typer.secho(f"The data was written, but its report could not be: {summary.report_error}", fg="yellow")


def _print_new_source(summary: IngestSummary) -> None:
    """Why a --sync retired nothing: the store had not seen this source; and where moved files were read before."""
    typer.secho("--sync retired nothing: this source was not ingested before. A source is its format and its files' "
                "full paths, or its --source NAME; `kominn sources` lists the earlier ones.", fg="yellow")
    if summary.gone_sources:
        typer.secho("Earlier sources of this format whose files are gone (moved files were read from there?):",
                    fg="yellow")
        for key in summary.gone_sources:
            typer.echo(f"  - {key}")
        typer.echo("  If these files moved here, `kominn sources forget KEY --yes` ends the old source's claim on "
                   "its items, so that the next --sync from here retires what is gone.")


def _skipped_what(summary: IngestSummary) -> str:
    """``Skipped 3 bad row(s) and 1 file that could not be read (300 rows)``."""
    in_files = sum(n or 0 for n in summary.skipped_files.values())
    parts = []
    if summary.skipped - in_files or not summary.skipped_files:
        parts.append(f"{summary.skipped - in_files} bad row(s)")
    if summary.skipped_files:
        n = len(summary.skipped_files)
        parts.append(f"{n} file{'' if n == 1 else 's'} that could not be read at all, with {in_files} row(s)")
    return "Skipped " + " and ".join(parts)


def _print_problems(problems: list, see_report: bool, shown: int = 10) -> None:
    for p in problems[:shown]:
        typer.echo(f"  - {p}")
    if len(problems) > shown:
        typer.echo(f"  ... and {len(problems) - shown} more (all in the report)")
    elif see_report:
        typer.echo("  (listed in the report of the last run)")


def _os_error(e: OSError) -> str:
    """An operating-system error as one line naming the path."""
    return f"{e.filename}: {e.strerror}" if e.filename else str(e)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(metavar="PATH", help="Files or folders to read")],
    fmt: Annotated[str | None, typer.Option("--format", metavar="FORMAT", help=(
        "files (the KomInn ingest format, the default), cordis, nfr, tidstyver, decide (Decide Madrid proposals), "
        "or table (a CSV or .xlsx with --mapping)"))] = None,
    mapping: Annotated[Path | None, typer.Option(metavar="FILE", help="Column mapping (.toml or .json) of a table; "
                                                 "implies --format table")] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="What the files hold when their names do not say: "
                                             "initiatives, ideas, ...")] = None,
    encoding: Annotated[str | None, typer.Option(metavar="ENCODING", help="Text encoding of CSV/JSON files, e.g. "
                                                 "latin-1 (default UTF-8, with or without BOM); not for the "
                                                 "source formats, whose exports are UTF-8")] = None,
    strict: Annotated[bool, typer.Option("--strict", help="If any row or file has a problem, write nothing and "
                                         "list every problem found")] = False,
    sync: Annotated[bool, typer.Option("--sync", help="Delete items this source delivered before but no longer "
                                       "does")] = False,
    report: Annotated[Path | None, typer.Option(metavar="FILE", help="Where to write the report of skipped rows, "
                                                "warnings and merges (default: DATA_DIR/reports/ingest-TIME.csv)")
                      ] = None,
    recheck: Annotated[bool, typer.Option("--recheck", help="Compare every row even if the files are unchanged "
                                          "since the last ingest")] = False,
    source: Annotated[str | None, typer.Option("--source", metavar="NAME", help=(
        "A name for this source (1 to 100 characters), so that --sync still knows what it delivered after its "
        "files move; without it a source is its format and its files' full paths (kominn sources lists them)"))
                      ] = None,
    data_dir: DataDir = None,
) -> None:
    """Validate, resolve, embed and write data into the store. Bad rows, and files that cannot be read
    at all, are skipped and reported (--strict: nothing is written); unchanged rows cost nothing; --sync
    retires what disappeared.

    Exit code: 0 when every row was read; 3 when rows or files were skipped (the rest was written);
    1 when nothing was written (an error, or --strict with a problem); 2 for a wrong option.
    """
    import datetime as dt

    from ingest.pipeline import ingest as run_ingest
    from ingest.pipeline import option_problems

    fmt = fmt or ("table" if mapping is not None else "files")
    wrong = option_problems(fmt=fmt, kind=kind, encoding=encoding, mapping=mapping, source=source)
    if wrong:
        raise _fail("\n".join(f"Invalid option {p}" for p in wrong), 2)
    if report is not None and report.is_dir():
        raise _fail(f"Invalid option --report: {report} is a folder; name a file, in a folder you do not ingest "
                    f"(the default is a new file under DATA_DIR/reports/)", 2)
    settings = _settings(data_dir)
    if report is None:
        report = settings.data_dir / "reports" / f"ingest-{dt.datetime.now():%Y%m%d-%H%M%S}.csv"
    store = settings.build_store()
    try:
        store.open()
        summary = run_ingest(store, settings.build_embedder(), paths, kind=kind, fmt=fmt, mapping=mapping,
                             encoding=encoding, strict=strict, sync=sync, report=report, recheck=recheck,
                             source=source, batch_size=settings.ingest_batch_size, progress=_Bar)
        advice = store.search_paths()[1]
    except ValidationError as e:
        raise _fail(f"Nothing was written. {e}") from None
    except KomInnError as e:
        raise _fail(str(e)) from None
    except OSError as e:
        raise _fail(f"Nothing was written. {_os_error(e)}") from None
    except KeyboardInterrupt:
        raise _fail("Stopped. What was written so far is whole (each batch of items with its links); run the same "
                    "command again to finish: it goes on from there.", 130) from None
    finally:
        store.close()
    typer.echo(f"Into {settings.describe_store()}:")
    _print_summary(summary)
    if advice:
        typer.secho(f"Searches: {advice}.", fg="yellow", err=True)
    audit(settings, "ingest", files=[str(p) for p in paths], created=summary.created, updated=summary.updated,
          retired=summary.retired, skipped=summary.skipped, erased=summary.erased,
          unchanged_files=summary.files_unchanged, **({"source": source.strip()} if source is not None else {}))
    if not summary.complete:
        raise typer.Exit(3)


@app.command()
def similar(
    query: Annotated[str, typer.Argument(metavar="QUERY", help="An item id, or free text in quotes")],
    k: Annotated[int, typer.Option("-k", "--k", metavar="N", min=1, max=100, help="How many results")] = 10,
    cross_silo: Annotated[bool, typer.Option("--cross-silo", help="Only items of other units")] = False,
    unit: Annotated[str | None, typer.Option(metavar="ID", help="The asking unit, whose items --cross-silo leaves out "
                                             "of a free text's results (not used otherwise, as a note says)")] = None,
    label: Annotated[str, typer.Option(metavar="LABEL", help="What to search: initiative, idea, need or all")
                     ] = "initiative",
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON")] = False,
    data_dir: DataDir = None,
) -> None:
    """Find initiatives (or ideas, needs) similar to an item or a text, with reasons."""
    from recommend.similar import Recommender

    labels = {"initiative": (Label.INITIATIVE,), "idea": (Label.IDEA,), "need": (Label.NEED,),
              "all": (Label.INITIATIVE, Label.IDEA, Label.NEED)}.get(label)
    if labels is None:
        raise _fail(f"--label must be initiative, idea, need or all, not '{label}'", 2)
    settings = _settings(data_dir)
    with opened_store(settings, "QUERY") as store:
        note = unknown_id_note(store, query)
        result = Recommender(store, settings.build_embedder()).similar(
            query, k=k, cross_silo=cross_silo, unit=unit, labels=labels)
    if note:
        result.notes.insert(0, note)
    if as_json:
        typer.echo(json.dumps(result.as_dict(), ensure_ascii=False, indent=1))
        return
    _print_items(f"Similar to: {result.query}" + (f" ({result.query_id})" if result.query_id else ""),
                 result.notes, result.items)


def unknown_id_note(store: GraphStore, query: str) -> str | None:
    """A note for a query that looks like an id (one word with a dash or colon and a digit, such as
    ini-0001) but names no item: it is searched as text, which is rarely what was meant."""
    text = query.strip()
    if re.fullmatch(r"[^\s]*[-:][^\s]*", text) and any(c.isdigit() for c in text) and store.get(text) is None:
        return f"no item has the id '{text}', so it was searched as text"
    return None


def partner_weights_line(model: PartnerModel, needed: int | None = None) -> str:
    """What learning the partner weights did, in a line (``needed``: the fewest initiatives asked for)."""
    from recommend.partners import MIN_TRAINING

    if model.trained_on:
        return f"learned the partner weights from {model.trained_on} initiatives; they are kept in the store"
    return (f"kept the prior partner weights: {model.usable} initiatives with an owner and partners were found, "
            f"fewer than the {needed or MIN_TRAINING} needed to learn from (kominn learn-partners --help)")


def _print_items(heading: str, notes: list[str], items: list) -> None:
    """Ranked recommendations as a person reads them: score, id, title, the parts and the reasons."""
    typer.secho(heading, bold=True)
    for note in notes:
        typer.echo(f"  note: {note}")
    if not items:
        typer.echo("  nothing found")
    for n, item in enumerate(items, start=1):
        owner = f" [{item.owner['name']}]" if item.owner else ""
        kind = f" ({item.status})" if item.status else ""
        loose = "  [weak link: only in initiatives near this, none close]" if item.loose else ""
        typer.echo(f"{n:>2}. {item.score:.3f}  {item.id}  {item.title}{owner}{kind}{loose}")
        parts = [(k, v) for k, v in item.parts.items() if v]
        if len(parts) > 5:  # a partner's many features: the largest few (all are in --json)
            parts = sorted(parts, key=lambda kv: -abs(kv[1]))[:4]
        typer.echo("      " + ", ".join(f"{k} {v:.3f}" for k, v in parts))
        for reason in item.reasons:
            if reason.kind != "owner":
                typer.echo(f"      - {reason.text}")


@app.command()
def stats(data_dir: DataDir = None) -> None:
    """Count nodes per label and edges per relationship type."""
    from graph.schema import Rel

    settings = _settings(data_dir)
    with opened_store(settings) as store:
        typer.echo(f"Store: {settings.describe_store()}")
        typer.echo(f"Embedding model: {store.get_meta('embedding_model') or '-'}")
        how, advice = store.search_paths()
        typer.echo(f"Vector search: {how}")
        if advice:
            typer.secho(f"  {advice}.", fg="yellow")
        for label in Label:
            typer.echo(f"  {label.value:<14} {store.count_nodes(label):>7}")
        for rel in Rel:
            n = store.count_edges(rel)
            if n:
                typer.echo(f"  {rel.value:<14} {n:>7}")


@app.command()
def export(
    output: Annotated[Path, typer.Argument(metavar="FILE", help="File to write (.graphml or .json)")],
    fmt: Annotated[str | None, typer.Option("--format", metavar="FORMAT",
                                            help="graphml or json (default: from the file name)")] = None,
    include_private: Annotated[bool, typer.Option(help="Include personal data such as contacts")] = False,
    data_dir: DataDir = None,
) -> None:
    """Export the graph to GraphML or node-link JSON (without personal data unless asked). A missing
    folder in the output path is created."""
    from graph.export import export_graphml, export_json

    if fmt is not None and fmt not in ("graphml", "json"):
        raise _fail(f"--format must be graphml or json, not '{fmt}'", 2)
    fmt = fmt or output.suffix.lstrip(".").lower()
    if fmt not in ("graphml", "json"):
        ending = f"ends in '{output.suffix}'" if output.suffix else "has no ending"
        raise _fail(f"FILE: {output.name} {ending}, which does not say the format: name it {output.stem}.graphml or "
                    f"{output.stem}.json, or give --format graphml or --format json", 2)
    settings = _settings(data_dir)
    with opened_store(settings) as store:
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            g = (export_graphml if fmt == "graphml" else export_json)(store, output,
                                                                      include_private=include_private)
        except OSError as e:
            raise _fail(f"Nothing was exported: cannot write {output}: {e.strerror or e}") from None
    typer.echo(f"wrote {g.number_of_nodes()} nodes and {g.number_of_edges()} edges to {output}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(metavar="HOST", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on")] = 8000,
    no_demo: Annotated[bool, typer.Option("--no-demo", help="Do not load the demo data into an empty store")] = False,
    data_dir: DataDir = None,
) -> None:
    """Run the web service. An empty store gets the demo data first (unless --no-demo)."""
    import uvicorn

    from ingest.demo import load_demo
    from recommend.partners import learn_and_store
    from recommend.similar import Recommender
    from service.app import create_app

    settings = _settings(data_dir)
    store = settings.build_store()
    try:
        store.open()
        advice = store.search_paths()[1]
        if advice:
            typer.secho(f"Searches: {advice}.", fg="yellow", err=True)
        if not no_demo and store.count_nodes() == 0:
            typer.echo(f"The store is empty: loading the illustrative demo data into {settings.describe_store()} ...")
            embedder = settings.build_embedder()
            _print_summary(load_demo(store, embedder, progress=_Bar))
            model = learn_and_store(store, Recommender(store, embedder))
            typer.echo(partner_weights_line(model))
    except StoreUnavailableError as e:
        typer.secho(f"{e}\nStarting anyway: /health answers 503 until the store is reachable.", fg="yellow", err=True)
    except KomInnError as e:
        raise _fail(str(e)) from None
    finally:
        store.close()
    typer.echo(f"KomInn on http://{host}:{port} (API docs at /docs), {settings.describe_store()}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


@app.command("copy")
def copy_store(
    source: Annotated[str, typer.Option("--from", metavar="STORE", help="The store to copy from: embedded or neo4j")
                      ] = "embedded",
    target: Annotated[str, typer.Option("--to", metavar="STORE", help="The store to copy into: neo4j or embedded")
                      ] = "neo4j",
    data_dir: DataDir = None,
) -> None:
    """Copy the whole graph (nodes with embeddings, edges, settings) between the embedded store and Neo4j."""
    from graph.copy import copy_graph

    if {source, target} != {"embedded", "neo4j"}:
        raise _fail("--from and --to must be embedded and neo4j, one each", 2)
    settings = _settings(data_dir)
    src = settings.model_copy(update={"store": source})
    dst = settings.model_copy(update={"store": target})
    if source == "embedded" and not src.embedded_path.exists():  # opening it would make an empty one
        raise _fail(f"There is no store at {src.embedded_path} to copy from: give the right --data-dir or "
                    "KOMINN_DATA_DIR.")
    src_store, dst_store = src.build_store(), dst.build_store()
    try:
        src_store.open()
        dst_store.open()
        bars = {"nodes": _Bar("nodes", src_store.count_nodes()), "edges": _Bar("edges", src_store.count_edges())}
        summary = copy_graph(src_store, dst_store, batch_size=settings.ingest_batch_size,
                             progress=lambda what, n: bars[what].update(n))
        for bar in bars.values():
            bar.close()
    except KomInnError as e:
        raise _fail(str(e)) from None
    finally:
        src_store.close()
        dst_store.close()
    typer.echo(f"copied {summary.nodes} nodes and {summary.edges} edges "
               f"from {src.describe_store()} to {dst.describe_store()}")
    if summary.erased:
        typer.echo(f"left out {summary.erased} idea(s) that were erased in {dst.describe_store()}")


token_app = App(help="API tokens for the roles reader, editor and admin (stored hashed).",
                        no_args_is_help=True, rich_markup_mode=None)
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    role: Annotated[str, typer.Option(metavar="ROLE", help="reader, editor or admin")],
    name: Annotated[str, typer.Option(metavar="NAME", help="Who or what the token is for")] = "",
    expires_in: Annotated[str, typer.Option(metavar="DURATION", help="How long it lasts: days or hours (90d, 12h), "
                                            "at most 3650d, or never")] = "365d",
    data_dir: DataDir = None,
) -> None:
    """Make a token and print it once; only its salted hash is kept. It lasts a year unless --expires-in says
    otherwise; `kominn token revoke` ends it sooner."""
    from service.auth import TokenStore, parse_lifetime, token_path

    settings = _settings(data_dir)
    try:
        token, info = TokenStore(token_path(settings.data_dir)).create(role, name, parse_lifetime(expires_in))
    except ValidationError as e:  # a role or lifetime that is not one: the option and its message
        raise _fail("; ".join(f"--{str(p.field).replace('_', '-')}: {p.message}" for p in e.problems), 2) from None
    until = f"valid until {info.expires}" if info.expires else "never expires"
    typer.echo(f"{info.role.name.lower()} token '{info.name}' (id {info.id}, {until}); it is shown only this "
               "once:")
    typer.echo(token)
    audit(settings, "token create", token=info.id, role=info.role.name.lower(), expires=info.expires)


@token_app.command("list")
def token_list(data_dir: DataDir = None) -> None:
    """List tokens: id, role, name, created, and until when they last or since when they are revoked (never the
    tokens themselves)."""
    from service.auth import TokenStore, token_path

    tokens = TokenStore(token_path(_settings(data_dir).data_dir)).list()
    if not tokens:
        typer.echo("No tokens yet: make one with `kominn token create --role reader|editor|admin`.")
    for info in tokens:
        state = (f"revoked {info.revoked}" if info.revoked else f"expired {info.expires}" if info.expired()
                 else f"active until {info.expires}" if info.expires else "active, never expires")
        typer.echo(f"{info.id}  {info.role.name.lower():<7} {info.name}  created {info.created}  {state}")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[str, typer.Argument(metavar="ID",
                                                        help="The token's id (from `kominn token list`)")],
                 data_dir: DataDir = None) -> None:
    """Revoke a token: requests with it get 401 from then on."""
    from service.auth import TokenStore, token_path

    settings = _settings(data_dir)
    try:
        TokenStore(token_path(settings.data_dir)).revoke(token_id)
    except NotFoundError as e:  # an id that names no token (or none still active): the argument is wrong
        raise _fail(f"ID: {e} (kominn token list shows them)", 2) from None
    except KomInnError as e:
        raise _fail(str(e)) from None
    typer.echo(f"revoked {token_id}")
    audit(settings, "token revoke", token=token_id)


@app.command("audit")
def audit_command(
    item: Annotated[str | None, typer.Option(metavar="ID", help="Only the events about this item id")] = None,
    since: Annotated[str | None, typer.Option(metavar="DAY", help="Only the events from this day on (YYYY-MM-DD)")
                     ] = None,
    last: Annotated[int, typer.Option(metavar="N", min=1, max=1_000_000, help="At most this many, the newest")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="The events as they are kept: one JSON object a line")
                       ] = False,
    data_dir: DataDir = None,
) -> None:
    """Who changed what, and when: the audit log of changes made through the API and the pages, ingest runs,
    erasures, retention runs and tokens made or revoked (ids and counts; no texts, no contact details), oldest
    first."""
    import collections
    import datetime as dt
    import json

    from service.audit import audit_files, audit_path, read

    day = None
    if since is not None:
        try:
            day = dt.date.fromisoformat(since)
        except ValueError:
            raise _fail(f"--since: '{since}' is not a day such as 2026-01-31", 2) from None
    settings = _settings(data_dir)
    events = collections.deque(read(settings.data_dir, item=item, since=day), maxlen=last)
    if not events:
        where, files = audit_path(settings.data_dir), audit_files(settings.data_dir)
        rotated = len([f for f in files if f != where])
        older = f" or the {rotated} older file(s) beside it" if rotated else ""
        typer.echo(f"No events{' about ' + repr(item) if item else ''}{' since ' + since if since else ''} in "
                   f"{where}{older}" + ("" if files else " (nothing has been changed yet)"))
        return
    for event in events:
        if as_json:
            typer.echo(json.dumps(event, ensure_ascii=False))
            continue
        rest = {k: v for k, v in event.items() if k not in ("time", "who", "what", "path", "status")}
        what = f"{event.get('what')} {event['path']} {event.get('status', '')}" if "path" in event \
            else str(event.get("what"))
        extra = "  ".join(f"{k}={','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in rest.items())
        typer.echo(f"{event.get('time')}  {event.get('who')}  {what}" + (f"  {extra}" if extra else ""))


from service.cli_eval import eval_command  # noqa: E402  (registered here, defined apart)
from service.cli_personal import person_app, retention_command  # noqa: E402
from service.cli_recommend import (  # noqa: E402
    check_idea_command,
    learn_partners_command,
    partners_command,
    reuse_command,
)
from service.cli_sources import sources_app  # noqa: E402

app.command("eval")(eval_command)
app.command("partners")(partners_command)
app.command("reuse")(reuse_command)
app.command("check-idea")(check_idea_command)
app.command("learn-partners")(learn_partners_command)
app.add_typer(person_app, name="person")
app.add_typer(sources_app, name="sources")
app.command("retention")(retention_command)


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
