"""Store settings that the packages above ``graph`` keep, named here so that ``kominn copy`` (``graph.copy``) can
carry them without importing those packages, and how their JSON values are read.

Ingest keeps, besides the list of sources and the ids whose derived edges are still due, a few settings for each
source (``ingest.sources`` says what is in them). Every one of them is named by a prefix in ``PER_SOURCE``: a
setting added there is forgotten with its source and copied with it.

A setting is a string (``GraphStore.get_meta``); ingest keeps lists and records in some as JSON. Whoever reads
one says what a value that is not JSON means: ``"raise"`` where acting on a guess could do harm (ingest deciding
what to skip or retire), ``"none"`` where the value only informs (``kominn sources`` listing what it can).

>>> from graph.embedded import EmbeddedGraphStore
>>> s = EmbeddedGraphStore(); s.open()
>>> s.set_meta("a", '["x"]'); s.set_meta("b", "[broken")
>>> read_json(s, "a", on_broken="raise"), read_json(s, "b", on_broken="none"), read_json(s, "c", on_broken="raise")
(['x'], None, None)
"""

from __future__ import annotations

import json
from typing import Any, Literal

from graph.store import GraphStore

OnBroken = Literal["raise", "none"]

SOURCES_KEY = "ingest:sources"  # the JSON list of every source's key, in the order they were first ingested
PENDING_KEY = "ingest:pending"  # the JSON list of ids whose derived edges a run has still to redo
MEMBERS_PREFIX = "ingest:members:"  # + a source's key: the JSON list of the ids it delivered
STATE_PREFIX = "ingest:state:"  # + a source's key: its last run (fingerprint, counts, paths, when it finished)
PER_SOURCE = (MEMBERS_PREFIX, STATE_PREFIX)  # every setting kept for each source
SIMILAR_KEY = "ingest:similar"  # how the SIMILAR_TO links were scored (ingest.derived.VERSION); another is redone


def read_json(store: GraphStore, key: str, *, on_broken: OnBroken) -> Any:
    """The value of the setting ``key`` read as JSON; None when it is not set. A value that is not JSON (an empty
    one included) raises ``ValueError`` with ``on_broken="raise"``, and is None with ``on_broken="none"``."""
    raw = store.get_meta(key)
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        if on_broken == "raise":
            raise
        return None


def members_key(key: str) -> str:
    """The setting with the ids the source ``key`` delivered."""
    return MEMBERS_PREFIX + key


def state_key(key: str) -> str:
    """The setting with the last run of the source ``key``."""
    return STATE_PREFIX + key


def source_settings(key: str) -> list[str]:
    """Every setting kept for the source ``key``.

    >>> source_settings("name:kommune")
    ['ingest:members:name:kommune', 'ingest:state:name:kommune']
    """
    return [prefix + key for prefix in PER_SOURCE]


def source_keys(store: GraphStore) -> list[str]:
    """The keys of every source the store remembers, in the order they were first ingested (none when the list is
    not JSON)."""
    keys = read_json(store, SOURCES_KEY, on_broken="none")
    return [str(k) for k in keys] if isinstance(keys, list) else []


__all__ = ["MEMBERS_PREFIX", "PENDING_KEY", "PER_SOURCE", "SIMILAR_KEY", "SOURCES_KEY", "STATE_PREFIX", "OnBroken",
           "members_key", "read_json", "source_keys", "source_settings", "state_key"]
