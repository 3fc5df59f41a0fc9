"""Validation: raw records become nodes and edges, or problems that name file, row and field."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

from graph.errors import Problem
from graph.schema import FIELDS, PARTNER_ROLES, PRIVATE_IDEA_STATUS, Edge, FieldSpec, Label, Node, Rel
from graph.text import IDENTITY_NUMBER, contact_details, normalise, strip_html, visible, without_controls
from ingest.readers import Record

LABEL_OF_KIND = {
    "focus_areas": Label.FOCUS_AREA,
    "organisations": Label.ORGANISATION,
    "needs": Label.NEED,
    "initiatives": Label.INITIATIVE,
    "ideas": Label.IDEA,
}

# Link fields of each kind: field -> (relationship, label the target must have).
LINKS: dict[str, dict[str, tuple[Rel, Label]]] = {
    "focus_areas": {},
    "organisations": {"part_of": (Rel.PART_OF, Label.ORGANISATION)},
    "needs": {"owner": (Rel.OWNED_BY, Label.ORGANISATION), "focus_areas": (Rel.SUPPORTS, Label.FOCUS_AREA)},
    "initiatives": {
        "owner": (Rel.OWNED_BY, Label.ORGANISATION),
        "partners": (Rel.INVOLVES, Label.ORGANISATION),
        "needs": (Rel.ADDRESSES, Label.NEED),
        "focus_areas": (Rel.SUPPORTS, Label.FOCUS_AREA),
        "builds_on": (Rel.BUILDS_ON, Label.INITIATIVE),
    },
    "ideas": {
        "needs": (Rel.ADDRESSES, Label.NEED),
        "focus_areas": (Rel.SUPPORTS, Label.FOCUS_AREA),
        "became": (Rel.BECAME, Label.INITIATIVE),
        "duplicate_of": (Rel.DUPLICATE_OF, Label.IDEA),
    },
}
TOPIC_KINDS = {"needs", "initiatives", "ideas"}
# Relationship types whose edges a record owns: re-ingesting the record replaces them.
OWNED_RELS = frozenset({Rel.PART_OF, Rel.SUPPORTS, Rel.OWNED_BY, Rel.INVOLVES, Rel.ADDRESSES, Rel.BUILDS_ON,
                        Rel.BECAME, Rel.DUPLICATE_OF, Rel.TAGGED})

# A label as a sentence names it: "'x' is an idea, expected an initiative".
LABEL_NAMES = {Label.INITIATIVE: "an initiative", Label.IDEA: "an idea", Label.NEED: "a need",
               Label.ORGANISATION: "an organisation", Label.FOCUS_AREA: "a focus area", Label.TOPIC: "a topic"}

ID_PATTERN = re.compile(r"^[^\W_][\w.:\-]{0,127}$")  # starts with a letter or digit
MAX_LIST = 200
# C1 control characters: in a text they are nearly always Windows-1252 punctuation read as Latin-1
_C1 = re.compile(r"[\x80-\x9f]")
# The years a date may have: far around any initiative's or idea's, and within what every reader of dates handles
# (pandas' datetimes in graph.frames, the partner recommender's recency weight); year 1 or 9999 is a typing error.
FIRST_YEAR, LAST_YEAR = 1900, 2100

# The fields of an idea that are published: its free text, not its choices, dates or (private) `contact`. Contact
# details or a national identity number in them are someone's, published with the idea: the idea form and the
# editors' changes refuse them (service.schemas) and ingest warns of them (``contact_warnings``), all by
# ``graph.text.contact_details``. An initiative's or a need's texts are not checked: they are the municipality's
# own published records, in which a contact person with a work phone number and e-mail address is normal and
# meant to be public, and warning of each would bury the warnings that matter under them.
PUBLISHED_IDEA_TEXT = tuple(s.name for s in FIELDS[Label.IDEA]
                            if s.kind in ("str", "text") and s.choices is None and not s.private)


@dataclass
class Parsed:
    """A valid record: its node, its outgoing links (targets not yet checked) and topics."""

    record: Record
    node: Node
    links: list[tuple[str, Edge, Label]] = field(default_factory=list)  # (field, edge, target label)
    topics: list[Node] = field(default_factory=list)


def a_label(label: Label) -> str:
    """The label with its article, in lower case: ``an initiative``, ``a focus area``."""
    return LABEL_NAMES.get(label, f"a {label.value.lower()}")


def allowed_fields(kind: str) -> set[str]:
    """Every field (column) a record of this kind may have."""
    label = LABEL_OF_KIND[kind]
    return {"id", *(s.name for s in FIELDS[label]), *LINKS[kind], *(["topics"] if kind in TOPIC_KINDS else [])}


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def topic_id(keyword: str) -> str:
    return "topic:" + re.sub(r"\s+", "-", normalise(keyword))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):  # "a; b" or "a, b" (ids and topics never hold either)
        return [v.strip() for v in re.split(r"[;,]", value) if v.strip()]
    return [value]


def _date(value: Any) -> dt.date:
    """A date written YYYY-MM-DD, or raise ValueError saying so."""
    text = str(value).strip()
    try:  # only YYYY-MM-DD: fromisoformat also takes 20261123 and 2026-W47-1, which no one means
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"'{value}' is not a date in the form YYYY-MM-DD") from None


def _field_value(spec: FieldSpec, value: Any) -> Any:
    """The typed value of one field, or raise ValueError with a message a person can act on."""
    if spec.kind == "date":
        day = value if isinstance(value, dt.date) else _date(value)
        if isinstance(day, dt.datetime):  # a TOML mapping's datetime constant, as Excel's dates are: its day
            day = day.date()
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(f"'{day.isoformat()}' is not a date from the years {FIRST_YEAR} to {LAST_YEAR}")
        return day
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError(f"expected text, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"expected text, got the number {value}")
    text = str(value)
    if (c1 := _C1.search(text)) is not None:
        raise ValueError(f"holds the control character U+{ord(c1.group()):04X}, which is Windows-1252 punctuation "
                         "read as Latin-1 (a file: read it with --encoding cp1252)")
    if spec.kind in ("str", "text"):
        text = without_controls(strip_html(text) if "<" in text else text).strip()
        text = re.sub(r"\s+", " ", text) if spec.kind == "str" else re.sub(r"[ \t]+", " ", text)
    if len(text) > spec.max_length:
        raise ValueError(f"{len(text)} characters, at most {spec.max_length} allowed")
    if spec.choices is not None and text not in spec.choices:
        raise ValueError(f"'{text}' is not one of {', '.join(spec.choices)}")
    return text


def contact_warnings(item: Parsed) -> list[Problem]:
    """A warning for each published field of an idea that holds what looks like a phone number, an e-mail address
    or a national identity number: the row is read as it is (an import does not lose data), and whoever runs it
    moves contact details to `contact` and takes an identity number out of the source."""
    if item.node.label != Label.IDEA:
        return []
    hidden = item.node.props.get("status") in PRIVATE_IDEA_STATUS
    when = "if the idea is shown again" if hidden else "with the idea"
    warnings = []
    for name in PUBLISHED_IDEA_TEXT:
        value = item.node.props.get(name)
        found = contact_details(value) if isinstance(value, str) else []
        if not found:
            continue
        contacts = [f for f in found if f != IDENTITY_NUMBER]
        advice = []
        if contacts:
            advice.append(f"move {'them' if len(contacts) > 1 else 'it'} to `contact`, which only admins see"
                          if len(contacts) == len(found) else "move the contact details to `contact`, which only "
                          "admins see")
        if IDENTITY_NUMBER in found:
            advice.append("take the identity number out of the source")
        warnings.append(Problem(item.record.file, item.record.row, name, f"looks like {' and '.join(found)}, "
                                f"which will be published {when}; {', and '.join(advice)}"))
    return warnings


def parse(record: Record) -> tuple[Parsed | None, list[Problem]]:
    """Validate one record. Returns the parsed record or the problems found (all of them)."""
    kind, data = record.kind, record.data
    label = LABEL_OF_KIND[kind]
    problems: list[Problem] = []

    def problem(fieldname: str | None, message: str) -> None:
        problems.append(Problem(record.file, record.row, fieldname, message))

    specs = {s.name: s for s in FIELDS[label]}
    links = LINKS[kind]
    allowed = allowed_fields(kind)
    for name in data:
        if name not in allowed:
            problem(name, f"unknown field; the fields of {kind} are {', '.join(sorted(allowed))}")

    raw_id = data.get("id", "")
    node_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else ""
    if raw_id not in ("", None) and not node_id:
        problem("id", f"expected text, got {type(raw_id).__name__}")
    elif not node_id:
        problem("id", "required field is missing")
    elif not ID_PATTERN.match(node_id):
        problem("id", f"'{node_id[:60]}' is not a valid id (letters, digits and _ . : -, at most 128 characters)")

    if kind == "organisations" and isinstance(data.get("org_number"), str):  # "987 654 321" as often written
        data = {**data, "org_number": re.sub(r"\s", "", data["org_number"])}
    props: dict[str, Any] = {}
    for name, spec in specs.items():
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if spec.required:
                problem(name, "required field is missing")
            continue
        try:
            typed = _field_value(spec, value)
        except ValueError as e:
            problem(name, str(e))
            continue
        if isinstance(typed, str) and not visible(typed).strip():  # only markup, control or invisible characters
            if spec.required:
                problem(name, "required field is missing: nothing is left of it once its HTML tags and control "
                              "and invisible characters are removed")
            continue  # an optional one is left out, not stored empty
        props[name] = typed
    if kind == "organisations":
        number = props.get("org_number")
        if number is not None and not re.fullmatch(r"\d{9}", number):
            problem("org_number", f"'{number}' is not a Norwegian organisation number (9 digits)")
        if "country" in props:
            props["country"] = props["country"].upper()
            if not re.fullmatch(r"[A-Z]{2}", props["country"]):
                problem("country", f"'{props['country']}' is not a country code of two letters (ISO 3166, e.g. NO)")
    if kind == "ideas":
        props.setdefault("status", "new")
    if "start_date" in props and "end_date" in props and props["end_date"] < props["start_date"]:
        problem("end_date", f"ends ({props['end_date']}) before it starts ({props['start_date']})")

    parsed_links: list[tuple[str, Edge, Label]] = []
    linked: dict[tuple[str, str], str] = {}  # (field, target) -> its role: a target given twice is linked once
    for name, (rel, target_label) in links.items():
        values = _as_list(data.get(name))
        if len(values) > MAX_LIST:
            problem(name, f"{len(values)} entries, at most {MAX_LIST} allowed")
            continue
        if name == "owner" and len(values) != 1 and (values or kind == "initiatives"):
            if values:
                problem(name, "an initiative has exactly one owner")
            else:
                problem(name, "required field is missing")
            continue
        if name in ("part_of", "became", "duplicate_of") and len(values) > 1:
            problem(name, "at most one id")
            continue
        for value in values:
            props_e: dict[str, Any] = {}
            if name == "partners":
                if isinstance(value, dict):
                    target, role = str(value.get("org", "")).strip(), str(value.get("role", "partner")).strip()
                else:  # "org-id" or "org-id:role"; ids may hold colons (pic:999), so only a known role splits
                    target, _, role = str(value).strip().rpartition(":")
                    if role.strip() not in PARTNER_ROLES:
                        target, role = str(value), ""
                    target, role = target.strip(), (role.strip() or "partner")
                if role not in PARTNER_ROLES:
                    problem(name, f"role '{role}' of '{target}' is not one of {', '.join(PARTNER_ROLES)}")
                    continue
                props_e["role"] = role
            elif _is_scalar(value):
                target = str(value).strip()
            else:
                problem(name, f"expected an id, got {type(value).__name__}")
                continue
            if not ID_PATTERN.match(target):
                problem(name, f"'{target[:60]}' is not a valid id")
                continue
            if target == node_id:
                problem(name, "an item cannot link to itself")
                continue
            role = props_e.get("role", "")
            if (name, target) in linked:  # the same link again is the same; with another role, one would be lost
                if linked[name, target] != role:
                    problem(name, f"'{target[:60]}' is given twice, as {linked[name, target]} and as {role}; give "
                                  "it once, with its role")
                continue
            linked[name, target] = role
            parsed_links.append((name, Edge(node_id, rel, target, props_e), target_label))

    topics: list[Node] = []
    if kind in TOPIC_KINDS:
        keywords = _as_list(data.get("topics"))
        for kw in keywords[:MAX_LIST]:
            if not _is_scalar(kw):
                problem("topics", f"each topic must be text, got {type(kw).__name__}")
                continue
            kw_text = normalise(without_controls(str(kw)))
            if not kw_text or len(kw_text) > 80:
                problem("topics", f"topic '{str(kw)[:60]}' must be 1 to 80 characters")
                continue
            topics.append(Node(topic_id(kw_text), Label.TOPIC, {"name": kw_text}))
            parsed_links.append(("topics", Edge(node_id, Rel.TAGGED, topic_id(kw_text)), Label.TOPIC))
        if len(keywords) > MAX_LIST:
            problem("topics", f"{len(keywords)} topics, at most {MAX_LIST} allowed")

    if problems:
        return None, problems
    return Parsed(record, Node(node_id, label, props), parsed_links, topics), []
