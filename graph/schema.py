"""Domain types: node labels, relationship types, property specifications, nodes and edges.

No I/O here. Labels and relationship types are enums: adapters only ever put these values into
queries, never strings that come from data.

>>> Label("Initiative") is Label.INITIATIVE
True
>>> node_text(Node("ini-1", Label.INITIATIVE, {"title": "LED-lys", "description": "Gatelys"}))
'LED-lys\\nGatelys'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np


class Label(StrEnum):
    INITIATIVE = "Initiative"
    IDEA = "Idea"
    NEED = "Need"
    ORGANISATION = "Organisation"
    FOCUS_AREA = "FocusArea"
    TOPIC = "Topic"


class Rel(StrEnum):
    OWNED_BY = "OWNED_BY"
    INVOLVES = "INVOLVES"
    PART_OF = "PART_OF"
    ADDRESSES = "ADDRESSES"
    SUPPORTS = "SUPPORTS"
    BECAME = "BECAME"
    DUPLICATE_OF = "DUPLICATE_OF"
    BUILDS_ON = "BUILDS_ON"
    TAGGED = "TAGGED"
    SIMILAR_TO = "SIMILAR_TO"
    SAME_AS = "SAME_AS"


class Direction(StrEnum):
    OUT = "out"
    IN = "in"
    BOTH = "both"


# Which labels each relationship may connect (source labels, target labels).
_ANY = frozenset(Label)
REL_ENDPOINTS: dict[Rel, tuple[frozenset[Label], frozenset[Label]]] = {
    Rel.OWNED_BY: (frozenset({Label.INITIATIVE, Label.NEED}), frozenset({Label.ORGANISATION})),
    Rel.INVOLVES: (frozenset({Label.INITIATIVE}), frozenset({Label.ORGANISATION})),
    Rel.PART_OF: (frozenset({Label.ORGANISATION}), frozenset({Label.ORGANISATION})),
    Rel.ADDRESSES: (frozenset({Label.INITIATIVE, Label.IDEA}), frozenset({Label.NEED})),
    Rel.SUPPORTS: (
        frozenset({Label.INITIATIVE, Label.IDEA, Label.NEED}),
        frozenset({Label.FOCUS_AREA}),
    ),
    Rel.BECAME: (frozenset({Label.IDEA}), frozenset({Label.INITIATIVE})),
    Rel.DUPLICATE_OF: (frozenset({Label.IDEA}), frozenset({Label.IDEA})),
    Rel.BUILDS_ON: (frozenset({Label.INITIATIVE}), frozenset({Label.INITIATIVE})),
    Rel.TAGGED: (_ANY - {Label.TOPIC}, frozenset({Label.TOPIC})),
    Rel.SIMILAR_TO: (_ANY, _ANY),
    Rel.SAME_AS: (frozenset({Label.ORGANISATION}), frozenset({Label.ORGANISATION})),
}

# Property values a node or edge may carry; every adapter round-trips exactly these.
PropValue = str | int | float | bool | dt.date | dt.datetime | list[str] | list[int] | list[float] | None


@dataclass(frozen=True)
class FieldSpec:
    """One property of a label: its type, whether it is required, allowed values and bounds."""

    name: str
    kind: str = "str"  # str | text | date | int | float | bool
    required: bool = False
    choices: tuple[str, ...] | None = None
    max_length: int = 300
    private: bool = False  # personal data, never returned publicly


TITLE = 300
TEXT = 20_000

INITIATIVE_STATUS = ("idea", "planned", "ongoing", "completed", "stopped")
IDEA_STATUS = ("new", "reviewing", "adopted", "declined", "merged", "hidden")
# An idea with one of these statuses is seen by admins only: no answer to anyone else may show or name it.
PRIVATE_IDEA_STATUS = frozenset({"hidden"})
ORG_KINDS = (
    "municipality",
    "unit",
    "business",
    "ngo",
    "research",
    "public_body",
    "social_enterprise",
    "other",
)
PARTNER_ROLES = ("coordinator", "partner", "supplier", "funder")
SUBMITTER_KINDS = ("citizen", "employee", "volunteer", "business")

FIELDS: dict[Label, tuple[FieldSpec, ...]] = {
    Label.FOCUS_AREA: (
        FieldSpec("name", required=True, max_length=TITLE),
        FieldSpec("description", "text", max_length=TEXT),
    ),
    Label.TOPIC: (FieldSpec("name", required=True, max_length=TITLE),),
    Label.ORGANISATION: (
        FieldSpec("name", required=True, max_length=TITLE),
        FieldSpec("kind", required=True, choices=ORG_KINDS),
        FieldSpec("org_number", max_length=9),
        FieldSpec("country", max_length=2),
        FieldSpec("municipality", max_length=100),
        FieldSpec("description", "text", max_length=TEXT),
    ),
    Label.NEED: (
        FieldSpec("title", required=True, max_length=TITLE),
        FieldSpec("description", "text", max_length=TEXT),
        FieldSpec("proposed_measures", "text", max_length=TEXT),
    ),
    Label.INITIATIVE: (
        FieldSpec("title", required=True, max_length=TITLE),
        FieldSpec("description", "text", max_length=TEXT),
        FieldSpec("status", required=True, choices=INITIATIVE_STATUS),
        FieldSpec("start_date", "date"),
        FieldSpec("end_date", "date"),
        FieldSpec("scale", choices=("improvement", "radical")),
        FieldSpec("mode", choices=("first", "copy", "share")),
        FieldSpec("results", "text", max_length=TEXT),
        FieldSpec("contact", max_length=300, private=True),
    ),
    Label.IDEA: (
        FieldSpec("title", required=True, max_length=TITLE),
        FieldSpec("text", "text", required=True, max_length=TEXT),
        FieldSpec("submitter_kind", required=True, choices=SUBMITTER_KINDS),
        FieldSpec("status", choices=IDEA_STATUS),
        FieldSpec("created", "date"),
        FieldSpec("contact", max_length=300, private=True),
    ),
}

# Text that is embedded and indexed for each label, in order.
TEXT_FIELDS: dict[Label, tuple[str, ...]] = {
    Label.INITIATIVE: ("title", "description", "results"),
    Label.IDEA: ("title", "text"),
    Label.NEED: ("title", "description", "proposed_measures"),
    Label.ORGANISATION: ("description",),
    Label.FOCUS_AREA: ("name", "description"),
}

PRIVATE_FIELDS: frozenset[str] = frozenset(
    spec.name for specs in FIELDS.values() for spec in specs if spec.private
)


@dataclass
class Node:
    """A node of the graph: id (unique across labels), label, properties and optional embedding."""

    id: str
    label: Label
    props: dict[str, Any] = field(default_factory=dict)
    embedding: np.ndarray | None = None
    model: str | None = None
    text_hash: str | None = None

    @property
    def title(self) -> str:
        return str(self.props.get("title") or self.props.get("name") or self.id)


@dataclass(frozen=True)
class Edge:
    """A directed, typed relationship; (src, rel, dst) is its identity."""

    src: str
    rel: Rel
    dst: str
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.src, self.rel.value, self.dst)


def is_private(node: Node) -> bool:
    """Whether the node is a hidden idea, which only admins may see (or learn exists)."""
    return node.label == Label.IDEA and node.props.get("status") in PRIVATE_IDEA_STATUS


def node_text(node: Node) -> str:
    """The text of a node that is embedded and indexed (empty for labels without text)."""
    parts = [str(node.props[f]).strip() for f in TEXT_FIELDS.get(node.label, ()) if node.props.get(f)]
    return "\n".join(p for p in parts if p)


def text_hash(text: str, model: str) -> str:
    """Content hash of a text under a model: equal hashes mean the stored embedding is still right."""
    return hashlib.sha256(f"{model}\x00{text}".encode()).hexdigest()[:32]


def public_props(props: dict[str, Any]) -> dict[str, Any]:
    """Properties without personal data."""
    return {k: v for k, v in props.items() if k not in PRIVATE_FIELDS}
