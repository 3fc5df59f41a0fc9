"""Ingest: read and validate, resolve organisations, embed only what changed, write in batches.

- ``strict``: any bad row or file fails the run and nothing is written; every problem is listed, those
  found against the store (links, ids of another kind) with the rest. Otherwise bad rows are skipped,
  each listed (file, row, field, message) in the summary's problems and the report file; a file that
  cannot be read at all (empty, a header with no rows, undecodable, a bad header, an unclosed quote) is
  skipped whole, with how many rows it has. Warnings (rows read, but changed) are listed apart.
- An id the store already holds as another kind (an organisation row with an initiative's id) is
  refused: ingest never turns one kind of item into another.
- Incremental and idempotent: unchanged rows are not written or embedded; a changed row updates its
  node and only it is re-embedded; when every source file is byte-identical to the last completed
  run of the same source (and the store still has what that run left), nothing is read at all.
- ``sync``: nodes that the same source delivered last time and no longer delivers are deleted. A source is its
  format and its files' full paths, or the name given as ``source`` (see ``ingest.sources``); a --sync of a
  source the store has not seen retires nothing, and the summary says so, naming earlier sources of the same
  format whose files are gone (where moved files came from).
- Crash safety: every batch is one store transaction; the ids whose derived edges must be redone are
  recorded in the store before the first write and cleared after the last, so a re-run after a kill
  completes the work.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import functools
import hashlib
import json
import os
import re
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from graph.erased import erased_among, strip_erased_contacts
from graph.errors import Problem, ValidationError
from graph.meta import PENDING_KEY, SIMILAR_KEY, SOURCES_KEY, members_key, read_json, source_keys, state_key
from graph.schema import PARTNER_ROLES, Direction, Edge, Label, Node, Rel, node_text, text_hash
from graph.store import GraphStore
from ingest.derived import SIMILAR_LABELS, VERSION, update_similar
from ingest.embedder import Embedder
from ingest.readers import Record, count_rows, discover, kind_problem, read, suffix
from ingest.records import ID_PATTERN, OWNED_RELS, Parsed, a_label, contact_warnings, parse
from ingest.sources import gone_sources, name_problem, source_key

ProgressFactory = Callable[[str, int], "Progress"]
FORMATS = ("files", "cordis", "decide", "nfr", "tidstyver", "table")
SOURCE_FORMATS = ("cordis", "decide", "nfr", "tidstyver")  # published exports, read as their publishers write them
_TAG = re.compile(r"<[a-zA-Z/][^>]{0,200}>")


class Progress:
    """A minimal progress sink; the CLI passes a tqdm-backed one."""

    def update(self, n: int = 1) -> None:  # pragma: no cover - trivial
        pass

    def close(self) -> None:  # pragma: no cover - trivial
        pass


def _silent(_desc: str, _total: int) -> Progress:
    return Progress()


@dataclass
class IngestSummary:
    """What an ingest run did."""

    read: int = 0
    rows: int = 0  # source rows the records came from, where a row gave several records (else 0)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows not read: bad rows, and the rows of files skipped whole
    erased: int = 0  # rows of ideas an admin erased, left out (not bad rows: the run is complete)
    embedded: int = 0
    merged: int = 0
    same_as: int = 0
    retired: int = 0
    warnings: int = 0
    edges_written: int = 0
    edges_removed: int = 0
    similar_written: int = 0
    similar_removed: int = 0
    seconds: float = 0.0
    encode_seconds: float = 0.0
    files_unchanged: bool = False
    last_read: int = 0  # files_unchanged: how many rows the last completed run read
    report: str | None = None
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # why rows and files were skipped
    warning_list: list[Problem] = field(default_factory=list)  # rows read, with something changed or dropped
    erased_list: list[Problem] = field(default_factory=list)  # the rows of erased ideas, left out
    skipped_files: dict[str, int | None] = field(default_factory=dict)  # file skipped whole -> its rows
    merges: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # what a --sync did not retire, and why
    new_source: bool = False  # a --sync of a source the store had not seen (but others): nothing could be retired
    gone_sources: list[str] = field(default_factory=list)  # new_source: earlier sources of its format, files gone
    report_error: str | None = None  # why the report could not be written (the data was)
    pending: set[str] = field(default_factory=set, repr=False)  # ids whose SIMILAR_TO lists are due
    members: list[str] = field(default_factory=list, repr=False)  # ids this run delivered

    def as_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["problems"] = [str(p) for p in self.problems]
        d["warning_list"] = [str(p) for p in self.warning_list]
        d["erased_list"] = [str(p) for p in self.erased_list]
        del d["pending"], d["members"]
        return d

    @property
    def complete(self) -> bool:
        """Whether every row of every file was read (warnings aside): what the exit code tells."""
        return not self.skipped and not self.skipped_files and not self.problems

    def count_skipped(self) -> None:
        """Set ``skipped``: each bad row once, plus the rows of the files skipped whole."""
        rows = {(p.file, p.row) for p in self.problems if p.file not in self.skipped_files}
        self.skipped = len(rows) + sum(n or 0 for n in self.skipped_files.values())


# --- validation ------------------------------------------------------------------------------------


def _html_warnings(record: Record) -> list[Problem]:
    return [Problem(record.file, record.row, k, "HTML tags removed from the text")
            for k, v in record.data.items() if isinstance(v, str) and _TAG.search(v)]


Refused = dict[str, tuple[str, int]]  # id of a row that was skipped -> (file, row), for link messages


def parse_records(records: Iterable[Record], problems: list[Problem] | None = None, *, strict: bool = True,
                  skipped: list[Problem] | None = None, warnings: list[Problem] | None = None,
                  refused: Refused | None = None) -> list[Parsed]:
    """Validate records. Strict: raise ValidationError listing every problem (also those passed in).
    Otherwise bad records are left out, their problems appended to ``skipped`` and their ids (where
    they have one) noted in ``refused``."""
    problems = list(problems or [])
    parsed: list[Parsed] = []
    seen: dict[str, tuple[str, int]] = {}
    for record in records:
        item, found = parse(record)
        problems.extend(found)
        if item is None:
            if refused is not None and isinstance(record.data.get("id"), str | int):
                refused.setdefault(str(record.data["id"]).strip(), (record.file, record.row))
            continue
        first = seen.get(item.node.id)
        if first is not None:
            problems.append(Problem(record.file, record.row, "id",
                                    f"duplicate id '{item.node.id}', first seen in {first[0]}, row {first[1]}"))
            continue
        if warnings is not None:
            warnings.extend(_html_warnings(record))
            warnings.extend(contact_warnings(item))
        seen[item.node.id] = (record.file, record.row)
        parsed.append(item)
    if problems and strict:
        raise ValidationError(problems)
    if skipped is not None:
        skipped.extend(problems)
    return parsed


def load_records(paths: Sequence[Path | str], kind: str | None = None) -> list[Parsed]:
    """Read and validate every file; raise ValidationError listing every problem found."""
    problems: list[Problem] = []
    records = _read_files([Path(p) for p in paths], kind, None, problems, {})
    return parse_records(records, problems)


def _read_files(paths: list[Path], kind: str | None, encoding: str | None, problems: list[Problem],
                lost: dict[str, int | None]) -> list[Record]:
    records: list[Record] = []
    for path, k in discover(paths, kind):
        records += read_whole(path, functools.partial(read, path, k, encoding=encoding), problems, lost)
    return records


def read_whole(path: Path, rows: Callable[..., Iterable[Record]], problems: list[Problem],
               lost: dict[str, int | None]) -> list[Record]:
    """Every record of one file, or none: a problem that spoils the file (ValidationError from the
    reader) skips it whole; its reasons and a line saying how many rows were lost go to ``problems``,
    and ``lost`` maps the file to that number (None where it cannot be counted)."""
    found: list[Problem] = []
    try:
        records = list(rows(problems=found))
    except ValidationError as e:
        n = count_rows(path)
        unit = {".jsonl": "line", ".json": "item"}.get(suffix(path), "row")
        lost[str(path)] = n
        what = "" if not n else f": none of its {n} {unit}{'' if n == 1 else 's'} were read"  # not "none of its 0"
        problems.extend([*e.problems, Problem(str(path), None, None, f"the whole file was skipped{what}")])
        return []
    problems.extend(found)
    return records


def check_kinds(parsed: list[Parsed], store: GraphStore, *, skipped: list[Problem],
                refused: Refused | None = None) -> list[Parsed]:
    """Rows whose id the store holds as another kind are left out, their problems appended to ``skipped``:
    an organisation row must not silently turn an initiative into an organisation."""
    stored = {n.id: n.label for n in store.get_many(sorted({p.node.id for p in parsed}))}
    kept: list[Parsed] = []
    for p in parsed:
        have = stored.get(p.node.id)
        if have is not None and have != p.node.label:
            skipped.append(Problem(p.record.file, p.record.row, "id",
                                   f"'{p.node.id}' is already {a_label(have)} in the store"))
            if refused is not None:
                refused.setdefault(p.node.id, (p.record.file, p.record.row))
            continue
        kept.append(p)
    return kept


def leave_out_erased(parsed: list[Parsed], store: GraphStore, summary: IngestSummary) -> list[Parsed]:
    """Rows of ideas an admin erased (``graph.erased``) are left out, each listed in ``summary.erased_list``; links
    from other rows to such ideas are dropped, each with a warning, and those rows are kept. A contact that was
    erased from an item (``kominn person erase``, ``retention``) is left out of its row, with a warning."""
    rows = {p.node.id: p.record for p in parsed}
    for node in strip_erased_contacts(store, [p.node for p in parsed]):
        summary.warning_list.append(Problem(rows[node.id].file, rows[node.id].row, "contact", "left out: an admin "
                                            "erased this contact from this item; take it out of the source"))
    erased = erased_among(store, {p.node.id for p in parsed if p.node.label == Label.IDEA}
                          | {e.dst for p in parsed for _, e, want in p.links if want == Label.IDEA})
    if not erased:
        return parsed
    kept: list[Parsed] = []
    for p in parsed:
        if p.node.id in erased and p.node.label == Label.IDEA:
            summary.erased_list.append(Problem(p.record.file, p.record.row, "id", f"idea '{p.node.id}' was erased "
                                               "by an admin and is not ingested again; take it out of the source"))
            continue
        dropped = [(name, e) for name, e, want in p.links if e.dst in erased and want == Label.IDEA]
        for name, e in dropped:
            summary.warning_list.append(Problem(p.record.file, p.record.row, name, f"the link to '{e.dst}' is left "
                                                "out: an admin erased that idea"))
        if dropped:
            p = replace(p, links=[link for link in p.links if not (link[1].dst in erased and link[2] == Label.IDEA)])
        kept.append(p)
    summary.erased += len(parsed) - len(kept)
    return kept


def check_cycles(parsed: list[Parsed], store: GraphStore, *, skipped: list[Problem]) -> list[Parsed]:
    """Organisations that would become part of themselves (``part_of`` leading back to them, through
    this run's rows and the store's links) are left out, each with its chain in ``skipped``."""
    in_run = {p.node.id: p for p in parsed if p.node.label == Label.ORGANISATION}
    run_parent = {oid: next((e.dst for name, e, _ in p.links if name == "part_of"), None)
                  for oid, p in in_run.items()}
    stored: dict[str, str | None] = {}

    def parent(org: str) -> str | None:
        if org in run_parent:  # a row of this run replaces the stored link
            return run_parent[org]
        if org not in stored:
            up = store.neighbours(org, Rel.PART_OF, Direction.OUT)
            stored[org] = up[0][1].id if up else None
        return stored[org]

    bad: set[str] = set()
    for org, first in run_parent.items():
        chain, node = [org], first
        while node is not None and node not in chain and len(chain) <= 100:
            chain.append(node)
            node = parent(node)
        if node == org:
            p = in_run[org]
            skipped.append(Problem(p.record.file, p.record.row, "part_of", "would make it part of itself: "
                                   + " -> ".join([*chain, org])))
            bad.add(org)
    return [p for p in parsed if p.node.id not in bad]


def _missing_target(target: str, file: str, refused: Refused) -> str:
    where = refused.get(target)
    if where is None:
        return f"links to '{target}', which is neither in this ingest nor in the store"
    place = f"row {where[1]}" if where[0] == file else f"{where[0]}, row {where[1]}"
    return f"links to '{target}', which was skipped ({place})"


def check_links(parsed: list[Parsed], store: GraphStore, *, strict: bool = True,
                skipped: list[Problem] | None = None, refused: Refused | None = None) -> list[Parsed]:
    """Every link must reach an id of the right label, in this run or already in the store.

    Strict: raise ValidationError. Otherwise rows with a bad link are left out (and then rows that
    linked to those, until nothing changes) and their problems appended to ``skipped``. A link to a row
    that was itself skipped (``refused``) says so."""
    refused = {} if refused is None else refused
    stored: dict[str, Label] = {}
    wanted = {e.dst for p in parsed for _, e, _ in p.links}
    # "org-x:leverandør" may be a known organisation with a role that is not one: looked up for the message
    wanted |= {e.dst.rpartition(":")[0] for p in parsed for f, e, _ in p.links if f == "partners" and ":" in e.dst}
    in_run = {p.node.id for p in parsed} | {t.id for p in parsed for t in p.topics}
    for node in store.get_many(sorted(wanted - in_run)):
        stored[node.id] = node.label
    while True:
        labels = dict(stored)
        for p in parsed:
            labels[p.node.id] = p.node.label
            for t in p.topics:
                labels[t.id] = Label.TOPIC
        problems: list[Problem] = []
        bad: set[int] = set()
        for n, p in enumerate(parsed):
            for fieldname, edge, want in p.links:
                have = labels.get(edge.dst)
                if have is None:
                    message = _missing_target(edge.dst, p.record.file, refused)
                    head, _, tail = edge.dst.rpartition(":")
                    if fieldname == "partners" and head and tail.isalpha() and head in labels:
                        message += (f"; if '{tail}' is meant as the role of '{head}', the roles are "
                                    f"{', '.join(PARTNER_ROLES)}")
                    problems.append(Problem(p.record.file, p.record.row, fieldname, message))
                    bad.add(n)
                elif have != want:
                    problems.append(Problem(p.record.file, p.record.row, fieldname,
                                            f"'{edge.dst}' is {a_label(have)}, expected {a_label(want)}"))
                    bad.add(n)
        if problems and strict:
            raise ValidationError(problems)
        if skipped is not None:
            skipped.extend(problems)
        if not bad:
            return parsed
        for n in bad:
            refused.setdefault(parsed[n].node.id, (parsed[n].record.file, parsed[n].record.row))
        parsed = [p for n, p in enumerate(parsed) if n not in bad]


# --- embedding and writing -------------------------------------------------------------------------


def embed_changed(
    nodes: list[Node], store: GraphStore, embedder: Embedder, *, progress: ProgressFactory = _silent,
    batch_size: int = 64,
) -> int:
    """Set model, text hash and (only where the text or model changed) embedding on text nodes."""
    stored = store.hashes()
    todo = [n for n in nodes if _set_hash(n, embedder.name) and stored.get(n.id) != (n.text_hash, n.model)]
    bar = progress("embedding", len(todo))
    _encode(todo, embedder, batch_size, bar)
    bar.close()
    return len(todo)


def _set_hash(node: Node, model: str) -> bool:
    text = node_text(node)
    if not text:
        return False
    node.model, node.text_hash = model, text_hash(text, model)
    return True


def _encode(nodes: list[Node], embedder: Embedder, batch_size: int, bar: Progress) -> float:
    spent = 0.0
    for start in range(0, len(nodes), batch_size):
        chunk = nodes[start:start + batch_size]
        t = time.perf_counter()
        vectors = embedder.encode([node_text(n) for n in chunk], kind="passage", batch_size=batch_size)
        spent += time.perf_counter() - t
        for node, vec in zip(chunk, vectors, strict=True):
            node.embedding = np.asarray(vec, dtype=np.float32)
        bar.update(len(chunk))
    return spent


def _batches(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The order in which an ingest writes its nodes: what others link to first.
_WRITE_ORDER = {Label.ORGANISATION: 0, Label.FOCUS_AREA: 1, Label.TOPIC: 2, Label.NEED: 3, Label.INITIATIVE: 4,
                Label.IDEA: 5}


def _after_batch(n: int) -> None:
    """Test hook for crash tests: with KOMINN_INGEST_TEST_HOOK set to a file, note each committed
    batch there and pause, so a test can kill the process between batches. Unset: nothing."""
    hook = os.environ.get("KOMINN_INGEST_TEST_HOOK")
    if hook:
        with open(hook, "a", encoding="utf-8") as fh:
            fh.write(f"{n}\n")
        time.sleep(float(os.environ.get("KOMINN_INGEST_TEST_PAUSE", "0.3")))


def write_parsed(
    store: GraphStore,
    embedder: Embedder,
    parsed: list[Parsed],
    *,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
    strict: bool = True,
    resolve: bool = False,
    similar: bool = True,
    summary: IngestSummary | None = None,
    refused: Refused | None = None,
    skip_erased: bool = False,
) -> IngestSummary:
    """Check ids and links against the store, resolve organisations, embed what changed and write.

    Strict: a problem found here or already in ``summary.problems`` raises ValidationError listing them
    all, before anything is written. ``refused``: ids of rows skipped earlier, for link messages.
    ``skip_erased``: leave out ideas an admin erased, and links to them (:func:`leave_out_erased`)."""
    started = time.perf_counter()
    summary = summary or IngestSummary()
    if skip_erased:
        parsed = leave_out_erased(parsed, store, summary)
    skipped: list[Problem] = []
    extra: list[Node] = []
    same_as: list[Edge] = []
    refused = {} if refused is None else refused
    parsed = check_kinds(parsed, store, skipped=skipped, refused=refused)
    if resolve:
        from ingest.resolve import resolve_organisations

        parsed, res = resolve_organisations(parsed, store)
        extra = res.updates
        same_as = res.same_as
        summary.merged, summary.same_as = len(res.merges), len(res.same_as)
        summary.merges = [f"{m.file}, row {m.row}: '{m.record_id}' merged into '{m.into}' "
                          f"(by {m.method}, score {m.score})" for m in res.merges]
        summary.merges += [f"'{e.src}' may be the same as '{e.dst}' (by {e.props['method']}, score "
                           f"{e.props['score']}): recorded as SAME_AS, not merged" for e in res.same_as]
    parsed = check_links(parsed, store, strict=False, skipped=skipped, refused=refused)
    parsed = check_cycles(parsed, store, skipped=skipped)
    if strict and (skipped or summary.problems):
        raise ValidationError([*summary.problems, *skipped])
    summary.problems.extend(skipped)
    summary.read += len(parsed)

    topics = {t.id: t for p in parsed for t in p.topics}
    fill = {p.node.id for p in parsed if p.record.mode == "fill"}
    parsed_ids = {p.node.id for p in parsed}
    nodes = [p.node for p in parsed] + extra + [t for i, t in topics.items() if i not in parsed_ids]
    existing = {n.id: n for n in store.get_many([n.id for n in nodes])}
    for node in nodes:
        old = existing.get(node.id)
        if node.id in fill and old is not None:
            node.props = {**node.props, **old.props}
        elif old is not None and old.props.get("aliases"):  # fed by several sources: keep what merges added
            node.props = {**old.props, **node.props}
    changed: list[Node] = []
    for node in nodes:
        old = existing.get(node.id)
        _set_hash(node, embedder.name)
        if old is None:
            summary.created += 1
            changed.append(node)
        elif old.props != node.props or old.label != node.label or (old.text_hash, old.model) != (
                node.text_hash, node.model):
            summary.updated += 1
            changed.append(node)
        else:
            summary.unchanged += 1
    to_embed = [n for n in changed if n.text_hash and (existing.get(n.id) is None or
                (existing[n.id].text_hash, existing[n.id].model) != (n.text_hash, n.model))]
    text_changed = {n.id for n in to_embed if n.label in SIMILAR_LABELS}

    wanted: dict[tuple[str, str, str], Edge] = {}
    for p in parsed:
        for _, e, _ in p.links:
            wanted[e.key] = Edge(e.src, e.rel, e.dst, {**e.props, "source": "fill"}) if p.node.id in fill else e
    for e in same_as:
        wanted.setdefault(e.key, e)
    stale: list[Edge] = []
    new_edges: list[Edge] = []
    have: dict[tuple[str, str, str], Edge] = {}
    for p in parsed:
        if p.node.id not in existing:
            continue
        for edge, _ in store.neighbours(p.node.id):
            have[edge.key] = edge
            if p.node.id not in fill and edge.rel in OWNED_RELS and edge.key not in wanted \
                    and "source" not in edge.props:
                stale.append(edge)
    for key, edge in wanted.items():
        old_edge = have.get(key)
        if old_edge is None or (old_edge.props != edge.props and "source" not in edge.props):
            new_edges.append(edge)

    pending = set(read_json(store, PENDING_KEY, on_broken="raise") or [])  # left by a run that was killed
    if text_changed - pending:
        store.set_meta(PENDING_KEY, json.dumps(sorted(pending | text_changed)))
    if to_embed:
        store.set_meta("embedding_model", embedder.name)
        store.set_meta("embedding_dimension", str(embedder.dimension))

    bar = progress("writing", len(changed) + len(new_edges) + len(stale))
    embed_bar = progress("embedding", len(to_embed))
    embed = {n.id for n in to_embed}
    batches = 0
    # Each batch of nodes is written with their links in one transaction, link targets first (organisations,
    # focus areas, topics and needs before the initiatives and ideas that name them): a run stopped between
    # batches (Ctrl-C, kill -9) leaves no initiative without its owner. A link whose target comes in a later
    # batch is written with that batch.
    changed.sort(key=lambda n: _WRITE_ORDER.get(n.label, len(_WRITE_ORDER)))
    unwritten = {n.id for n in changed}
    outgoing: dict[str, list[Edge]] = defaultdict(list)
    waiting: dict[str, list[Edge]] = defaultdict(list)  # links by the unwritten target they wait for
    ready: list[Edge] = []  # links between nodes already in the store
    for edge in new_edges:
        if edge.src in unwritten:
            outgoing[edge.src].append(edge)
        elif edge.dst in unwritten:
            waiting[edge.dst].append(edge)
        else:
            ready.append(edge)
    for chunk in _batches(changed, batch_size):  # embed a batch, then write it: a kill loses one batch
        summary.encode_seconds += _encode([n for n in chunk if n.id in embed], embedder,
                                          min(batch_size, 64), embed_bar)
        unwritten -= {n.id for n in chunk}
        links: list[Edge] = []
        for node in chunk:
            links += waiting.pop(node.id, [])
            for edge in outgoing.pop(node.id, []):
                (waiting[edge.dst] if edge.dst in unwritten else links).append(edge)
        store.upsert(nodes=chunk, edges=links)
        bar.update(len(chunk) + len(links))
        batches += 1
        _after_batch(batches)
    embed_bar.close()
    for chunk in _batches(ready, batch_size):
        store.upsert(edges=chunk)
        bar.update(len(chunk))
        batches += 1
        _after_batch(batches)
    if stale:
        store.delete_edges(stale)
        bar.update(len(stale))
    bar.close()
    if skip_erased:  # an idea erased while this run was embedding and writing: it goes again, now
        late = erased_among(store, [n.id for n in changed if n.label == Label.IDEA])
        if late:
            store.delete(sorted(late))
            rows = {p.node.id: p.record for p in parsed}
            summary.erased_list += [Problem(rows[i].file, rows[i].row, "id", f"idea '{i}' was erased by an admin "
                                            "while this ingest ran, and was deleted again; take it out of the source")
                                    for i in sorted(late) if i in rows]
            summary.erased += len(late)
    summary.embedded += len(to_embed)
    summary.edges_written += len(new_edges)
    summary.edges_removed += len(stale)
    summary.encode_seconds = round(summary.encode_seconds, 3)
    summary.pending |= pending | text_changed
    summary.members = sorted({n.id for n in nodes})
    if similar:
        finish_similar(store, summary, batch_size=batch_size)
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def finish_similar(store: GraphStore, summary: IngestSummary, *, batch_size: int = 500) -> None:
    """Recompute SIMILAR_TO around what changed (and what a killed run left pending), then clear."""
    earlier_rule = store.get_meta(SIMILAR_KEY) != VERSION
    if earlier_rule:  # links scored by an earlier rule (or none yet): all are redone
        summary.pending |= {n.id for label in SIMILAR_LABELS for n in store.iter_nodes(label)}
    if summary.pending:
        w, r = update_similar(store, summary.pending, batch_size=batch_size)
        summary.similar_written += w
        summary.similar_removed += r
    if earlier_rule:
        store.set_meta(SIMILAR_KEY, VERSION)
    if store.get_meta(PENDING_KEY) not in (None, "[]"):
        store.set_meta(PENDING_KEY, "[]")


# --- whole runs --------------------------------------------------------------------------------------


def _source_files(fmt: str, paths: list[Path], kind: str | None, mapping: Path | None) -> list[Path]:
    if fmt == "files":
        return [p for p, _ in discover(paths, kind)]
    files: list[Path] = []
    for p in paths:
        files += sorted(p.glob("*.csv")) if p.is_dir() else [p]
    return files + ([mapping] if mapping else [])


def _fingerprint(files: list[Path], options: dict[str, object]) -> str:
    h = hashlib.sha256(json.dumps(options, sort_keys=True, default=str).encode())
    for f in files:
        h.update(str(f.resolve()).encode())
        with f.open("rb") as fh:
            while block := fh.read(1 << 20):
                h.update(block)
    return h.hexdigest()


def ingest(
    store: GraphStore,
    embedder: Embedder,
    paths: Sequence[Path | str],
    *,
    kind: str | None = None,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
    fmt: str = "files",
    mapping: Path | str | None = None,
    encoding: str | None = None,
    strict: bool = True,
    sync: bool = False,
    resolve: bool = True,
    source: str | None = None,
    report: Path | str | None = None,
    recheck: bool = False,
) -> IngestSummary:
    """Ingest files or folders of a format (the KomInn ingest format by default) into ``store``.

    ``strict``: a bad row raises ValidationError and nothing is written. Otherwise bad rows are
    skipped and listed in the summary (and in ``report`` when given). ``recheck`` reads and compares
    every row even when the files are unchanged since the last run. ``source``: a name that the source is
    remembered by instead of its format and paths, so that ``sync`` still knows what it delivered after its
    files move (the first run from the new place reads every row: the fingerprint holds the files' paths).
    """
    started = time.perf_counter()
    path_list = [Path(p) for p in paths]
    mapping_path = Path(mapping) if mapping else None
    bad_options = option_problems(fmt=fmt, kind=kind, encoding=encoding, mapping=mapping_path, source=source)
    if bad_options:
        raise ValidationError(bad_options)
    missing = [Problem(str(p), None, None, "no such file or directory") for p in path_list if not p.exists()]
    if missing:
        raise ValidationError(missing)
    table_mapping = None
    if fmt == "table":
        from ingest.table import Mapping

        table_mapping = Mapping.load(mapping_path)  # type: ignore[arg-type]  # option_problems: it is given
    key = source_key(fmt, path_list, source)
    state_at, members_at = state_key(key), members_key(key)
    files = _source_files(fmt, path_list, kind, mapping_path)
    fingerprint = _fingerprint(files, {"fmt": fmt, "kind": kind, "encoding": encoding, "strict": strict,
                                       "resolve": resolve, "model": embedder.name, "sync": sync})
    state = read_json(store, state_at, on_broken="raise")
    if (not recheck and isinstance(state, dict) and state.get("fingerprint") == fingerprint
            and store.get_meta(PENDING_KEY) in (None, "[]") and store.get_meta(SIMILAR_KEY) == VERSION
            and store.count_nodes() == state.get("nodes") and store.count_edges() == state.get("edges")):
        summary = _unchanged_summary(state, paths)
        store.set_meta(state_at, json.dumps({**state, "finished": _now()}))  # when it last ran, for `kominn sources`
        summary.seconds = round(time.perf_counter() - started, 3)
        return summary

    problems: list[Problem] = []
    warnings: list[Problem] = []
    lost: dict[str, int | None] = {}
    if fmt == "files":
        records = _read_files(path_list, kind, encoding, problems, lost)
    elif fmt == "table":
        from ingest.table import read_table

        assert table_mapping is not None
        records = []
        for p in path_list:
            records += read_whole(p, functools.partial(read_table, p, table_mapping, encoding=encoding), problems, lost)
    else:
        from ingest.adapters import records_for

        records = []
        for p in path_list:
            records.extend(records_for(fmt, p))
    skipped: list[Problem] = []
    refused: Refused = {}
    # not strict here: under --strict, write_parsed raises with these and the link problems together
    parsed = parse_records(records, problems, strict=False, skipped=skipped, warnings=warnings, refused=refused)
    summary = IngestSummary(files=[str(p) for p in paths], skipped_files=lost)
    if fmt in ROW_SOURCES:  # one report a row, plus its agency and ministry where they first appear
        rows = len({(r.file, r.row) for r in records})
        summary.rows = rows if rows != len(records) else 0
    summary.problems = skipped
    store.set_meta(state_at, "{}")  # a run that does not finish leaves no claim that the files are in
    summary = write_parsed(store, embedder, parsed, batch_size=batch_size, progress=progress, strict=strict,
                           resolve=resolve, similar=False, summary=summary, refused=refused, skip_erased=True)
    members = summary.members
    before = read_json(store, members_at, on_broken="raise") or []
    if not sync:  # what vanished from the source stays a member until a --sync retires it
        members = sorted(set(members) | set(before))
    else:
        known = source_keys(store)
        if known and key not in known:  # nothing to compare with: say so, and where moved files may have come from
            summary.new_source = True
            summary.gone_sources = [s.key for s in gone_sources(store, fmt, key)]
        others: set[str] = set()
        for other_key in known:
            if other_key != key:
                others.update(read_json(store, members_key(other_key), on_broken="raise") or [])
        keep = set(members) | others
        gone = [i for i in before if i not in keep and not i.startswith("topic:")]
        row_ids: dict[tuple[str, int | None], str] = {
            (r.file, r.row): str(r.data["id"]).strip() for r in records
            if isinstance(r.data.get("id"), str | int) and not isinstance(r.data.get("id"), bool)
            and ID_PATTERN.match(str(r.data["id"]).strip())}
        held = _held_from_retiring(store, gone, summary, row_ids)
        if held:
            gone = [i for i in gone if i not in held]
            members = sorted(set(members) | set(held))  # still this source's: a later --sync looks again
            summary.held = [f"'{i}' {why}" for i, why in sorted(held.items())]
        if gone:
            pending = set(read_json(store, PENDING_KEY, on_broken="raise") or []) | set(gone)
            store.set_meta(PENDING_KEY, json.dumps(sorted(pending)))
            summary.pending |= set(gone)
            summary.retired = store.delete(gone)
    finish_similar(store, summary, batch_size=batch_size)
    summary.count_skipped()
    bad_rows = {(p.file, p.row) for p in summary.problems}
    summary.warning_list = [w for w in [*warnings, *summary.warning_list] if (w.file, w.row) not in bad_rows]
    summary.warnings = len(summary.warning_list)
    if report is not None and (summary.problems or summary.warning_list or summary.merges or summary.held
                               or summary.erased_list):
        try:
            summary.report = str(write_report(Path(report), summary))
        except OSError as e:  # everything is written by now: say so, and that only the report is missing
            summary.report_error = f"{e.filename or report}: {e.strerror or e}"
    sources = source_keys(store)
    if key not in sources:
        store.set_meta(SOURCES_KEY, json.dumps([*sources, key]))
    store.set_meta(members_at, json.dumps(members))
    store.set_meta(state_at, json.dumps({
        "fingerprint": fingerprint, "format": fmt, "paths": sorted(str(p.resolve()) for p in path_list),
        "finished": _now(), "nodes": store.count_nodes(), "edges": store.count_edges(),
        "read": summary.read, "delivered": len(members), "skipped": summary.skipped, "report": summary.report,
        "erased": summary.erased,
        "warnings": summary.warnings, "skipped_files": summary.skipped_files,
        "problems": [[p.file, p.row, p.field, p.message] for p in summary.problems[:KEPT_PROBLEMS]]}))
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


def _held_from_retiring(store: GraphStore, gone: list[str], summary: IngestSummary,
                        row_ids: dict[tuple[str, int | None], str]) -> dict[str, str]:
    """The items a --sync must not retire, with why: all of them when a file could not be read or a row was
    skipped before its id was known (the source may still have them); those whose row was skipped; those that
    items staying in the store still link to (as owner, partner, need...), also through items held: retiring
    them would break those links. ``row_ids``: the id each record's row gave, by (file, row)."""
    if not gone:
        return {}
    bad_rows = {(p.file, p.row) for p in summary.problems}
    unknown = sorted(((f, r) for f, r in bad_rows if not row_ids.get((f, r))), key=lambda fr: (fr[0], fr[1] or 0))
    if summary.skipped_files or unknown:
        why = (f"not retired: {next(iter(summary.skipped_files))} could not be read" if summary.skipped_files
               else f"not retired: {unknown[0][0]}, row {unknown[0][1]} was skipped before its id was known")
        return {i: why for i in gone}
    skipped_at = {row_ids[fr]: fr for fr in sorted(bad_rows, key=lambda fr: (fr[0], fr[1] or 0)) if fr in row_ids}
    held = {i: f"not retired: its row was skipped ({skipped_at[i][0]}, row {skipped_at[i][1]})"
            for i in gone if i in skipped_at}
    users_of = {node_id: {n.id for e, n in links if e.rel in OWNED_RELS and e.rel != Rel.TAGGED}
                for node_id, links in store.neighbours_many(gone, direction=Direction.IN).items()}
    while True:  # an item held keeps what it links to, which may keep more
        leaving = set(gone) - set(held)
        more = {}
        for node_id in sorted(leaving):
            users = sorted(u for u in users_of.get(node_id, ()) if u not in leaving)
            if users:
                more[node_id] = (f"not retired: still linked from {', '.join(users[:3])}"
                                 + (f" and {len(users) - 3} more" if len(users) > 3 else ""))
        if not more:
            return held
        held.update(more)


KEPT_PROBLEMS = 50  # problems of a run remembered for an unchanged re-run to show again
# Source formats in which every row of the file gives a record of its own (and some rows more than one), so
# that "read N records from M rows" counts the file's rows. In the other sources a project spans rows.
ROW_SOURCES = frozenset({"tidstyver"})


def option_problems(*, fmt: str, kind: str | None, encoding: str | None, mapping: Path | None,
                    source: str | None = None) -> list[Problem]:
    """What is wrong with the options of an ingest, before any file is read (each names its option)."""
    found: list[Problem] = []
    if source is not None and (bad_name := name_problem(source)) is not None:
        found.append(Problem("--source", None, None, bad_name))
    if fmt not in FORMATS:
        found.append(Problem("--format", None, None, f"unknown format '{fmt}'; use one of {', '.join(FORMATS)}"))
    if fmt == "table" and mapping is None:
        found.append(Problem("--format", None, None, "--format table needs --mapping"))
    if mapping is not None and not mapping.is_file():
        found.append(Problem("--mapping", None, None, f"no such file: {mapping}"))
    if mapping is not None and fmt != "table":
        found.append(Problem("--mapping", None, None, f"a mapping is only read with --format table, not '{fmt}'"))
    if kind is not None and fmt != "files":
        found.append(Problem("--kind", None, None, f"--kind is for the KomInn ingest format; --format {fmt} "
                             "knows what its files hold" + (" (a mapping names its kind)" if fmt == "table" else "")))
    elif (bad_kind := kind_problem(kind)) is not None:
        found.append(Problem("--kind", None, None, bad_kind))
    if encoding is not None and fmt in SOURCE_FORMATS:
        found.append(Problem("--encoding", None, None, f"--encoding is for your own files (--format files or "
                             f"table); --format {fmt} reads its publisher's export, which is UTF-8"))
    elif encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            found.append(Problem("--encoding", None, None, f"unknown encoding '{encoding}'; e.g. utf-8, latin-1, "
                                 "cp1252"))
    return found


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _unchanged_summary(state: dict[str, Any], paths: Sequence[Path | str]) -> IngestSummary:
    """The summary of a run that read nothing because the files are those of the last completed run:
    what that run delivered is unchanged, and what it skipped is still left out."""
    summary = IngestSummary(unchanged=int(state.get("delivered", 0)), skipped=int(state.get("skipped", 0)),
                            warnings=int(state.get("warnings", 0)), erased=int(state.get("erased", 0)),
                            files_unchanged=True,
                            files=[str(p) for p in paths], report=state.get("report"),
                            skipped_files=dict(state.get("skipped_files") or {}))
    summary.problems = [Problem(*p) for p in state.get("problems") or []]
    summary.last_read = int(state.get("read", 0))
    return summary


def write_report(path: Path, summary: IngestSummary) -> Path:
    """A CSV of every skipped file and row, warning, erased idea and merge: action, file, row, field, message."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["action", "file", "row", "field", "message"])
        for p in summary.problems:
            action = "file skipped" if p.file in summary.skipped_files else "skipped"
            w.writerow([action, p.file, p.row or "", p.field or "", p.message])
        for p in summary.warning_list:
            w.writerow(["warning", p.file, p.row or "", p.field or "", p.message])
        for p in summary.erased_list:
            w.writerow(["not ingested (erased)", p.file, p.row or "", p.field or "", p.message])
        for m in summary.merges:
            w.writerow(["merged" if "merged into" in m else "same_as", "", "", "", m])
        for h in summary.held:
            w.writerow(["kept by --sync", "", "", "", h])
    return path


def ingest_records(
    store: GraphStore,
    embedder: Embedder,
    records: Iterable[Record],
    *,
    batch_size: int = 500,
    progress: ProgressFactory = _silent,
    strict: bool = True,
    resolve: bool = False,
) -> IngestSummary:
    """Ingest records made by a source adapter (or one API write), through the same validation and
    writing. Strict by default: a bad record raises ValidationError and nothing is written."""
    started = time.perf_counter()
    skipped: list[Problem] = []
    parsed = parse_records(records, strict=strict, skipped=skipped)
    summary = IngestSummary(problems=skipped)
    summary = write_parsed(store, embedder, parsed, batch_size=batch_size, progress=progress, strict=strict,
                           resolve=resolve, summary=summary)
    summary.count_skipped()
    summary.seconds = round(time.perf_counter() - started, 3)
    return summary


__all__ = ["IngestSummary", "Progress", "ingest", "ingest_records", "parse_records"]
