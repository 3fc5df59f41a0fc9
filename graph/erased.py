"""The ids of ideas an admin erased, so that ingesting a file again does not bring them back.

An erased idea leaves no trace but this: a store setting ``erased:idea:<hash>`` per erased idea, the hash being
a salted SHA-256 of its id, with the day it was erased as its value. The ids themselves are not kept, so the
settings do not say which ideas were erased. One setting per idea, written once and never changed, so that two
processes erasing at the same time cannot lose each other's (a shared list could). An id that is erased stays
erased for ingest and for ``kominn copy``; an item created through the API with that id is a new item, and is
not refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable

from graph.store import GraphStore

PREFIX = "erased:idea:"


def erased_key(node_id: str) -> str:
    """The setting that marks ``node_id`` as erased."""
    return PREFIX + hashlib.sha256(b"kominn-erased\0" + node_id.encode("utf-8")).hexdigest()[:32]


def record_erased(store: GraphStore, node_ids: Iterable[str]) -> None:
    """Remember that these ids were erased (call before deleting them: a crash in between leaves an id
    remembered whose item is still there, which a repeated deletion completes, never the other way)."""
    today = dt.date.today().isoformat()
    keys = {erased_key(i) for i in node_ids}
    have = store.get_meta_many(sorted(keys))
    for key in sorted(keys - set(have)):
        store.set_meta(key, today)


def erased_among(store: GraphStore, node_ids: Iterable[str]) -> set[str]:
    """Those of ``node_ids`` that were erased (one read of the store's settings, or a few for many ids)."""
    by_key = {erased_key(i): i for i in node_ids}
    if not by_key:
        return set()
    return {by_key[k] for k in store.get_meta_many(sorted(by_key))}
