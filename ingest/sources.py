"""Ingest sources: what ``kominn ingest`` remembers of each set of files it read, so that ``--sync`` knows what
that source delivered before.

A source is its format and its files' full paths (``files:/data/kommune``), or the name given with
``--source NAME`` (``name:kommune``), which stays the same when the files move. The store keeps (the names are
those of ``graph.meta``, where ``kominn copy`` finds them too):

- ``ingest:sources``: the JSON list of every source's key;
- ``ingest:members:{key}``: the ids it delivered (its claim: a ``--sync`` of another source keeps these);
- ``ingest:state:{key}``: its last completed run (fingerprint of the files, counts, format, paths, when it
  finished).

Forgetting a source removes its claim and its state; its items stay in the graph. A setting that is not JSON (a
store edited by hand) is read here as not set, so that the sources can still be listed and forgotten.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from graph.errors import NotFoundError
from graph.meta import SOURCES_KEY, members_key, read_json, source_keys, source_settings, state_key
from graph.store import GraphStore

NAME_PREFIX = "name:"  # no format is called "name", so a named source's key never equals one made from paths
MAX_NAME = 100
# The paths in a key are absolute and joined with commas: a comma starts a new path only before "/" or "C:\"
_NEXT_PATH = re.compile(r",(?=/|[A-Za-z]:[\\/]|\\\\)")


def name_problem(name: str) -> str | None:
    """What is wrong with a source name (None when it is fine): 1 to 100 characters, none of them control
    characters (a line break or tab in a name would break the lists that show it)."""
    text = name.strip()
    if not text:
        return "a source name must not be empty"
    if len(text) > MAX_NAME:
        return f"a source name has at most {MAX_NAME} characters, not {len(text)}"
    bad = next((c for c in text if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        what = {"\n": "a line break", "\r": "a line break", "\t": "a tab"}.get(bad, f"U+{ord(bad):04X}")
        return f"a source name must not contain control characters (it has {what})"
    return None


def source_key(fmt: str, paths: list[Path], name: str | None = None) -> str:
    """The key a source is remembered by: ``name:NAME`` for a named one, else its format and the sorted full
    paths of what was given (``files:/data/a,/data/b``)."""
    if name is not None:
        return NAME_PREFIX + name.strip()
    return fmt + ":" + ",".join(sorted(str(p.resolve()) for p in paths))


@dataclass
class Source:
    """One remembered source, as ``kominn sources`` shows it."""

    key: str
    name: str | None  # the --source NAME, for a named source
    format: str | None  # None where neither the key nor the last run says
    paths: list[str]  # the files and folders given (full paths); a named source's from its last run
    items: int  # how many ids it claims (delivered and not retired)
    last_run: str | None  # when its last run finished (UTC), where known
    finished: bool | None  # False while a run is under way or when the last did not finish; None: not recorded
    missing: list[str] = field(default_factory=list)  # paths that no longer exist

    @property
    def files_exist(self) -> bool | None:
        """Whether every path still exists (None when its paths are not known)."""
        return None if not self.paths else not self.missing

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "files_exist": self.files_exist}


def describe(store: GraphStore, key: str) -> Source:
    """What the store knows of the source ``key`` (listed or not)."""
    state = read_json(store, state_key(key), on_broken="none")
    state = state if isinstance(state, dict) else None
    members = read_json(store, members_key(key), on_broken="none")
    name = key[len(NAME_PREFIX):] if key.startswith(NAME_PREFIX) else None
    fmt = (state or {}).get("format") or (None if name is not None else key.partition(":")[0])
    paths = (state or {}).get("paths")
    if not isinstance(paths, list):
        rest = key.partition(":")[2]
        paths = [] if name is not None or not rest else _NEXT_PATH.split(rest)
    paths = [str(p) for p in paths]
    return Source(key=key, name=name, format=fmt, paths=paths,
                  items=len(members) if isinstance(members, list) else 0,
                  last_run=(state or {}).get("finished"), finished=None if state is None else bool(state),
                  missing=[p for p in paths if not Path(p).exists()])


def list_sources(store: GraphStore) -> list[Source]:
    """Every source the store remembers, oldest first."""
    return [describe(store, key) for key in source_keys(store)]


def gone_sources(store: GraphStore, fmt: str, but: str) -> list[Source]:
    """Sources of the format ``fmt`` (other than ``but``) whose files are not all there any more: where files
    that were moved were ingested from before."""
    return [s for s in list_sources(store) if s.key != but and s.format == fmt and s.missing]


def close_keys(store: GraphStore, text: str) -> list[str]:
    """Keys a mistyped KEY may have meant: those containing it (a folder's path, a name), then similar ones."""
    keys = source_keys(store)
    wanted = text.strip()
    found = [k for k in keys if wanted and wanted in k]
    return (found or difflib.get_close_matches(wanted, keys, n=3, cutoff=0.6))[:5]


@dataclass
class Forgotten:
    """What forgetting a source does (or would do)."""

    source: Source
    unclaimed: list[str]  # its items that no other source claims: no --sync will retire them


def plan_forget(store: GraphStore, key: str) -> Forgotten:
    """What ``forget(key)`` would do; NotFoundError when the store remembers no source ``key``."""
    keys = source_keys(store)
    if key not in keys:
        raise NotFoundError(f"no source '{key}'")
    members = read_json(store, members_key(key), on_broken="none")
    mine = {str(i) for i in members} if isinstance(members, list) else set()
    others: set[str] = set()
    for other in keys:
        if other != key:
            found = read_json(store, members_key(other), on_broken="none")
            if isinstance(found, list):
                others.update(str(i) for i in found)
    unclaimed = sorted(i for i in mine - others if not i.startswith("topic:"))
    return Forgotten(describe(store, key), unclaimed)


def forget(store: GraphStore, key: str) -> Forgotten:
    """Remove the source ``key``'s claim: its entry in the list of sources, its members and its state. Its
    items stay in the graph. NotFoundError when there is no such source."""
    plan = plan_forget(store, key)
    store.set_meta(SOURCES_KEY, json.dumps([k for k in source_keys(store) if k != key]))
    store.delete_meta(source_settings(key))
    return plan


__all__ = ["Forgotten", "Source", "close_keys", "describe", "forget", "gone_sources", "list_sources",
           "name_problem", "plan_forget", "source_key", "source_keys"]
