"""Store settings that the packages above ``graph`` keep as JSON, and how they are read.

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


__all__ = ["OnBroken", "read_json"]
