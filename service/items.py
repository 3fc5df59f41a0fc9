"""Items of the API (initiatives, ideas, needs, organisations): reading them with their links, listing them
with filters and paging, and writing them through ingest's validation and ``ingest_records``."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import Any

from graph.erased import record_erased
from graph.errors import ConflictError, NotFoundError, Problem, ValidationError
from graph.schema import PRIVATE_IDEA_STATUS, Direction, Label, Node, Rel, is_private, public_props
from graph.store import GraphStore
from ingest.embedder import Embedder
from ingest.pipeline import ingest_records
from ingest.readers import Record
from ingest.records import LINKS, OWNED_RELS, TOPIC_KINDS

KIND_OF_LABEL = {
    Label.INITIATIVE: "initiatives",
    Label.IDEA: "ideas",
    Label.NEED: "needs",
    Label.ORGANISATION: "organisations",
}
ID_PREFIX = {"initiatives": "ini", "ideas": "idea", "needs": "need", "organisations": "org"}
SINGLE_LINKS = frozenset({"owner", "part_of", "became", "duplicate_of"})
# Writes through the API read an item, change it and write it back: one at a time in this process, so that two
# changes to one item at once both land and two creations of one id cannot both succeed.
_WRITES = threading.RLock()


def plain(value: Any) -> Any:
    """A property value as JSON can carry it."""
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def visible(node: Node, admin: bool) -> bool:
    """Hidden ideas are seen by admins only."""
    return admin or not is_private(node)


def get_item(store: GraphStore, label: Label, item_id: str, *, admin: bool = False) -> Node:
    node = store.get(item_id)
    if node is None or node.label != label or not visible(node, admin):
        raise NotFoundError(f"no {KIND_OF_LABEL[label][:-1]} with id '{item_id}'")
    return node


def links_of(store: GraphStore, node: Node, *, admin: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The item's outgoing links by the field name of the ingest format, each as ``{id, name, role}``;
    links to items the caller may not see (hidden ideas, unless ``admin``) are left out."""
    kind = KIND_OF_LABEL[node.label]
    by_rel = {rel: name for name, (rel, _) in LINKS[kind].items()}
    if kind in TOPIC_KINDS:
        by_rel[Rel.TAGGED] = "topics"
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in by_rel.values()}
    for edge, other in store.neighbours(node.id, direction=Direction.OUT):
        name = by_rel.get(edge.rel)
        if name is not None and visible(other, admin):
            out[name].append({"id": other.id, "name": other.title, "role": edge.props.get("role")})
    for refs in out.values():
        refs.sort(key=lambda r: r["id"])
    return out


def public_item(store: GraphStore, node: Node, *, admin: bool = False) -> dict[str, Any]:
    """The item as the API returns it: personal data only for admins."""
    props = node.props if admin else public_props(node.props)
    links = links_of(store, node, admin=admin)
    body: dict[str, Any] = {"id": node.id, "title": node.title,
                            "properties": {k: plain(v) for k, v in props.items()}}
    for name, refs in links.items():
        body[name] = (refs[0] if refs else None) if name in SINGLE_LINKS else refs
    return body


def record_data(store: GraphStore, node: Node) -> dict[str, Any]:
    """The item in the ingest format, as it is stored: the base that an update changes."""
    data: dict[str, Any] = {"id": node.id, **node.props}
    for name, refs in links_of(store, node).items():
        if name == "partners":
            data[name] = [{"org": r["id"], "role": r["role"] or "partner"} for r in refs]
        elif name == "topics":
            data[name] = [r["name"] for r in refs]
        elif name in SINGLE_LINKS:
            data[name] = refs[0]["id"] if refs else None
        else:
            data[name] = [r["id"] for r in refs]
    return data


def _write(store: GraphStore, embedder: Embedder, kind: str, data: dict[str, Any]) -> Node:
    clean = {k: (plain(v) if not isinstance(v, list) else v) for k, v in data.items() if v is not None}
    ingest_records(store, embedder, [Record("request", 1, kind, clean)])
    node = store.get(str(data["id"]))
    assert node is not None
    return node


def new_id(kind: str) -> str:
    return f"{ID_PREFIX[kind]}-{secrets.token_hex(5)}"


def create_item(store: GraphStore, embedder: Embedder, kind: str, data: dict[str, Any]) -> Node:
    """Validate and write a new item (an id is made when none is given). Raises ValidationError."""
    data = dict(data)
    if not data.get("id"):
        data["id"] = new_id(kind)
    with _WRITES:
        if store.get(str(data["id"])) is not None:
            raise ConflictError(f"'{data['id']}' already exists; use PATCH to change it")
        return _write(store, embedder, kind, data)


def update_item(store: GraphStore, embedder: Embedder, node: Node, changes: dict[str, Any],
                check: Callable[[Node], None] | None = None) -> Node:
    """Apply the given fields to a stored item (``None`` clears a field) and write it through validation. The
    item is read again under the write lock, so a change made meanwhile by someone else is kept; ``check``
    (which raises to refuse) sees that fresh item, under the same lock."""
    with _WRITES:
        current = store.get(node.id)
        if current is None or current.label != node.label:
            raise NotFoundError(f"no {KIND_OF_LABEL[node.label][:-1]} with id '{node.id}'")
        if check is not None:
            check(current)
        data = record_data(store, current)
        data.update(changes)
        data["id"] = node.id
        return _write(store, embedder, KIND_OF_LABEL[node.label], data)


def _linked(store: GraphStore, target: str, rel: Rel) -> set[str]:
    return {n.id for _, n in store.neighbours(target, rel, Direction.IN)}


def list_items(
    store: GraphStore,
    label: Label,
    *,
    props: dict[str, str | None] | None = None,
    linked: Iterable[tuple[Rel, str | None]] = (),
    admin: bool = False,
    offset: int = 0,
    limit: int = 20,
    order_by: str | None = None,
) -> tuple[list[Node], int]:
    """Items of a label that have the given property values and links, sorted by id or by ``order_by`` (a field,
    ``-`` in front for descending; see GraphStore.find_nodes): one page and the total."""
    wanted = {k: v for k, v in (props or {}).items() if v is not None}
    allowed: set[str] | None = None
    for rel, target in linked:
        if target is None:
            continue
        ids = _linked(store, target, rel)
        allowed = ids if allowed is None else allowed & ids
    hidden = {"status": sorted(PRIVATE_IDEA_STATUS)} if label == Label.IDEA and not admin else None
    return store.find_nodes(label, equal=wanted, not_in=hidden, ids=allowed, offset=offset, limit=limit,
                            order_by=order_by)


# How an incoming link reads in the message that refuses a deletion ("... still owns 3 initiatives").
_LINKED_AS = {Rel.OWNED_BY: "owns", Rel.INVOLVES: "is a partner in", Rel.PART_OF: "has as a part",
              Rel.ADDRESSES: "is addressed by", Rel.BUILDS_ON: "is built on by", Rel.BECAME: "is what became of",
              Rel.DUPLICATE_OF: "has as a duplicate", Rel.SUPPORTS: "is supported by"}
# The same link seen from the item that links ("linked from idea-2 (merged into it)"), for plans and reports.
_LINKS_IT = {Rel.OWNED_BY: "owned by it", Rel.INVOLVES: "has it as a partner", Rel.PART_OF: "part of it",
             Rel.ADDRESSES: "addresses it", Rel.BUILDS_ON: "builds on it", Rel.BECAME: "became it",
             Rel.DUPLICATE_OF: "merged into it", Rel.SUPPORTS: "supports it"}
HIDDEN_IDEA = "(a hidden idea)"  # a hidden idea that links is counted, never named


@dataclass(frozen=True)
class Linked:
    """Why an item cannot be deleted: the other items that link to it, each as (relationship, the linking item's
    id, whether the public sees it), sorted."""

    item_id: str
    links: tuple[tuple[Rel, str, bool], ...]

    def _by_rel(self) -> dict[Rel, list[str]]:
        by_rel: dict[Rel, list[str]] = {}
        for rel, other, shown in self.links:
            by_rel.setdefault(rel, []).append(other if shown else HIDDEN_IDEA)
        return {rel: sorted(names) for rel, names in sorted(by_rel.items())}

    def without(self, ids: Collection[str]) -> Linked | None:
        """What still keeps the item once the items ``ids`` are deleted before it; None when nothing does."""
        rest = tuple(link for link in self.links if link[1] not in ids)
        return Linked(self.item_id, rest) if rest else None

    def message(self) -> str:
        """The refusal, as a 409 gives it: the links by kind, at most 5 named of each."""
        what = "; ".join(f"{_LINKED_AS.get(rel, rel.value)} {len(names)} item(s): {', '.join(names[:5])}"
                         + (" ..." if len(names) > 5 else "") for rel, names in self._by_rel().items())
        return f"'{self.item_id}' is still linked from other items ({what}); change or delete those links first"

    def short(self) -> str:
        """The reason in a plan or a report: ``linked from idea-2 (merged into it)``, at most 5 named of each kind.

        >>> Linked("idea-1", ((Rel.DUPLICATE_OF, "idea-2", True), (Rel.DUPLICATE_OF, "idea-3", False))).short()
        'linked from (a hidden idea), idea-2 (merged into it)'
        """
        parts = [", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
                 + f" ({_LINKS_IT.get(rel, rel.value)})" for rel, names in self._by_rel().items()]
        return "linked from " + "; ".join(parts)


class StillLinkedError(ConflictError):
    """A deletion refused because other items link to the item; ``linked`` says which and how."""

    def __init__(self, linked: Linked):
        super().__init__(linked.message())
        self.linked = linked


def why_not_deletable(store: GraphStore, item_id: str) -> Linked | None:
    """The links that keep an item from being deleted as the store stands, or None when nothing does: every link
    another item has to it as owner, partner, part, need, merged idea, ...; derived links (similarity, topics)
    do not count. The one rule of :func:`delete_item`, also used to plan erasures and retention."""
    links = {(edge.rel, other.id, visible(other, False))
             for edge, other in store.neighbours(item_id, direction=Direction.IN)
             if edge.rel in OWNED_RELS and edge.rel != Rel.TAGGED}
    return Linked(item_id, tuple(sorted(links))) if links else None


def delete_item(store: GraphStore, label: Label, item_id: str) -> None:
    """Delete an item that no other item links to (see :func:`why_not_deletable`). Items still linked are refused
    with the links named (:class:`StillLinkedError`, a ConflictError), so that deleting never leaves an
    initiative without its owner or silently drops someone else's links."""
    with _WRITES:
        _delete_item(store, label, item_id)


def _delete_item(store: GraphStore, label: Label, item_id: str) -> None:
    get_item(store, label, item_id, admin=True)
    linked = why_not_deletable(store, item_id)
    if linked is not None:
        raise StillLinkedError(linked)
    if label == Label.IDEA:  # a person's idea erased: ingesting its file again must not bring it back
        record_erased(store, [item_id])
    store.delete([item_id])


def clear_contact(store: GraphStore, label: Label, item_id: str, expected: str) -> bool:
    """Remove an item's ``contact`` if it is still ``expected`` (as read when the change was planned); False when
    the item is gone or its contact is another by now. Only that property changes: the item's text, and so its
    text hash and stored embedding, stay as they are (``upsert`` keeps the embedding of an unchanged hash), and
    its links are not touched, unlike a write through ingest (PATCH), which writes the whole record again."""
    with _WRITES:
        current = store.get(item_id)
        if current is None or current.label != label or current.props.get("contact") != expected:
            return False
        props = {k: v for k, v in current.props.items() if k != "contact"}
        store.upsert([Node(current.id, current.label, props, None, current.model, current.text_hash)])
        return True


def merge_idea(store: GraphStore, embedder: Embedder, idea: Node, into: str) -> Node:
    """Mark an idea as merged into another: it keeps all its links and gains DUPLICATE_OF to the other."""
    return update_item(store, embedder, idea, {"status": "merged", "duplicate_of": into},
                       check=lambda current: check_merge(store, current, into))


def check_merge(store: GraphStore, idea: Node, into: str, field: str = "into") -> None:
    """Refuse (422 naming ``field``) merging ``idea`` into ``into``: itself, no idea, a hidden or a merged one."""
    def refuse(message: str) -> ValidationError:
        return ValidationError([Problem("request", None, field, message)])

    if into == idea.id:
        raise refuse("an idea cannot be merged into itself")
    target = store.get(into)
    if target is None or target.label != Label.IDEA:
        raise refuse(f"no idea with id '{into}'" if target is None else f"'{into}' is not an idea")
    if not visible(target, admin=False):
        raise refuse(f"'{into}' is hidden; an idea can only be merged into an idea the public can see")
    if target.props.get("status") == "merged":
        raise refuse(f"'{into}' is itself merged; merge into the idea it was merged into")
