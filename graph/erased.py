"""The ids of ideas an admin erased, and the contact details erased from items, so that ingesting a file again does
not bring them back.

An erased idea leaves no trace but this: a store setting ``erased:idea:<hash>`` per erased idea, the hash being
a salted SHA-256 of its id, with the day it was erased as its value. A contact removed by ``kominn person erase``
or ``retention`` leaves ``erased:contact:<hash>``, hashed from the item's id with that contact (so the same
contact in the source is left out again, and a new one is not). The ids themselves are not kept, so the
settings do not say which ideas were erased. One setting per idea, written once and never changed, so that two
processes erasing at the same time cannot lose each other's (a shared list could). An id that is erased stays
erased for ingest and for ``kominn copy``; an item created through the API with that id is a new item, and is
not refused.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from typing import TypeVar

from graph.schema import Node
from graph.store import GraphStore

T = TypeVar("T")

MARKS = "erased:"  # the prefix of every mark (kominn copy carries them all)
PREFIX = "erased:idea:"
CONTACT_PREFIX = "erased:contact:"


def _digest(*parts: str) -> str:
    return hashlib.sha256(b"kominn-erased\0" + "\0".join(parts).encode("utf-8")).hexdigest()[:32]


def erased_key(node_id: str) -> str:
    """The setting that marks ``node_id`` as erased."""
    return PREFIX + _digest(node_id)


def contact_key(node_id: str, contact: str) -> str:
    """The setting that marks ``contact`` as erased from ``node_id`` (compared without case or extra spaces)."""
    return CONTACT_PREFIX + _digest(node_id, " ".join(contact.split()).casefold())


def _mark(store: GraphStore, keys: Iterable[str]) -> None:
    """Set these marks, with today as their value, where they are not set yet (a mark is written once)."""
    wanted = set(keys)
    for key in sorted(wanted - set(store.get_meta_many(sorted(wanted)))):
        store.set_meta(key, dt.date.today().isoformat())


def _marked(store: GraphStore, by_key: Mapping[str, T]) -> set[T]:
    """The values of ``by_key`` whose key is set (one read of the store's settings, or a few for many keys)."""
    if not by_key:
        return set()
    return {by_key[k] for k in store.get_meta_many(sorted(by_key))}


def record_erased(store: GraphStore, node_ids: Iterable[str]) -> None:
    """Remember that these ids were erased (call before deleting them: a crash in between leaves an id
    remembered whose item is still there, which a repeated deletion completes, never the other way)."""
    _mark(store, (erased_key(i) for i in node_ids))


def record_erased_contact(store: GraphStore, node_id: str, contact: str) -> None:
    """Remember that ``contact`` was erased from ``node_id`` (call before removing it, as for ideas)."""
    _mark(store, [contact_key(node_id, contact)])


def erased_among(store: GraphStore, node_ids: Iterable[str]) -> set[str]:
    """Those of ``node_ids`` that were erased."""
    return _marked(store, {erased_key(i): i for i in node_ids})


def strip_erased_contacts(store: GraphStore, nodes: Iterable[Node]) -> list[Node]:
    """Remove from these nodes (in place) a contact that was erased from that item; returns the nodes changed, in
    the order given."""
    having = {n.id: n for n in nodes if n.props.get("contact")}
    gone = _marked(store, {contact_key(i, str(n.props["contact"])): i for i, n in having.items()})
    changed = [n for i, n in having.items() if i in gone]
    for node in changed:
        del node.props["contact"]
    return changed
