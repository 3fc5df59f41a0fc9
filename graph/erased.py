"""The ids of ideas an admin erased, so that ingesting a file again does not bring them back.

An erased idea leaves no trace but this: a salted hash of its id in the store's settings
(``erased:ideas``), which ingest checks its rows against. The ids themselves are not kept, so the list
does not say which ideas were erased; an id that is erased stays erased for ingest (an item created
through the API with that id is a new item, and is not refused).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

from graph.store import GraphStore

ERASED_KEY = "erased:ideas"
MAX_ERASED = 1_000_000  # 33 bytes each: a list this long is 33 MB in one setting


def _digest(node_id: str) -> str:
    return hashlib.sha256(b"kominn-erased\0" + node_id.encode("utf-8")).hexdigest()[:32]


def _load(store: GraphStore) -> set[str]:
    raw = store.get_meta(ERASED_KEY)
    if not raw:
        return set()
    try:
        value = json.loads(raw)
    except ValueError:
        raise ValueError(f"the store's setting '{ERASED_KEY}' is not a JSON list; restore it from a backup "
                         "before ingesting, or erased ideas could come back") from None
    if not isinstance(value, list):
        raise ValueError(f"the store's setting '{ERASED_KEY}' is not a JSON list")
    return {str(v) for v in value}


def record_erased(store: GraphStore, node_ids: Iterable[str]) -> None:
    """Remember that these ids were erased (call before deleting them: a crash in between leaves an id
    remembered whose item is still there, which a repeated deletion completes, never the other way)."""
    have = _load(store)
    new = {_digest(i) for i in node_ids} - have
    if not new:
        return
    if len(have) + len(new) > MAX_ERASED:
        raise ValueError(f"more than {MAX_ERASED} erased ids to remember; the store's '{ERASED_KEY}' is full")
    store.set_meta(ERASED_KEY, json.dumps(sorted(have | new), separators=(",", ":")))


def erased_among(store: GraphStore, node_ids: Iterable[str]) -> set[str]:
    """Those of ``node_ids`` that were erased."""
    have = _load(store)
    if not have:
        return set()
    return {i for i in node_ids if _digest(i) in have}
