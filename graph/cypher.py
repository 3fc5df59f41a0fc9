"""Every Cypher statement of the Neo4j adapter, in one place, always parameterised.

Values travel only as parameters. The only names put into a statement's text are node labels and
relationship types, and they come from :class:`~graph.schema.Label` / :class:`~graph.schema.Rel` (or
the adapter's own bookkeeping labels below) through :func:`label` and :func:`rel_type`, which refuse
anything else. Statements are built from those enums on first use and cached; nothing runs at import.

Node ids are unique across labels, but Neo4j indexes are per label: a node whose label is not known
is found by one ``OPTIONAL MATCH`` per label (each an index seek on that label's unique constraint),
merged with ``coalesce`` — see :func:`find_any`. This works the same on Neo4j 5 and on ArcadeDB
(where a second, common label would turn into a combined type).

>>> label(Label.IDEA)
'`Idea`'
>>> "MERGE (n:`Topic` {id: r.id})" in merge_nodes(Label.TOPIC)
True
"""

from __future__ import annotations

import re
from functools import cache

from graph.schema import Label, Rel
from graph.store import SORT_FOLDS, sorted_as

# Bookkeeping labels of the adapter (never data): store settings, applied migrations, the revision.
META = "KomInnMeta"
MIGRATION = "KomInnMigration"
STATE = "KomInnState"
_BOOKKEEPING = frozenset({META, MIGRATION, STATE})
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# The property that holds a node's embedding (the vector index is on it), and the one that holds its
# lexical vector (graph.lexical; searched by exact scans on the server).
EMBEDDING = "embedding"
LEXICAL = "_lexical"


def label(value: Label | str) -> str:
    """A label for a statement's text: a :class:`Label` or a bookkeeping label, back-quoted."""
    name = value.value if isinstance(value, Label) else value
    if not (isinstance(value, Label) or name in _BOOKKEEPING) or not _NAME.match(name):
        raise ValueError(f"not a KomInn label: {value!r}")
    return f"`{name}`"


def rel_type(value: Rel) -> str:
    """A relationship type for a statement's text: only a :class:`Rel`, back-quoted."""
    if not isinstance(value, Rel) or not _NAME.match(value.value):
        raise ValueError(f"not a KomInn relationship type: {value!r}")
    return f"`{value.value}`"


def _rel_pattern(rel: Rel | None, var: str = "e") -> str:
    return f"[{var}]" if rel is None else f"[{var}:{rel_type(rel)}]"


# --- finding a node whose label is not known -------------------------------------------------------


def find_any(var: str, key: str, carry: str) -> str:
    """Clauses binding ``var`` to the node whose id is the expression ``key``, whatever its label.

    ``carry`` names the variables to keep (for instance ``"r"`` inside an ``UNWIND``). Rows whose
    id matches no node are dropped.
    """
    parts = [f"OPTIONAL MATCH ({var}{i}:{label(lab)} {{id: {key}}})" for i, lab in enumerate(Label)]
    found = ", ".join(f"{var}{i}" for i in range(len(Label)))
    keep = f"{carry}, " if carry else ""
    return "\n".join(parts) + f"\nWITH {keep}coalesce({found}) AS {var}\nWHERE {var} IS NOT NULL"


# What a node read returns: id, labels, properties (with or without the embedding; never the lexical
# vector, which only the server's searches read).
_NODE_FIELDS = "{v}.id AS id, labels({v}) AS labels, {v} {{.*, " + LEXICAL + ": null}} AS props"
_NODE_FIELDS_NO_EMB = ("{v}.id AS id, labels({v}) AS labels, {v} {{.*, " + EMBEDDING + ": null, "
                       + LEXICAL + ": null}} AS props")


@cache
def get_nodes(with_embedding: bool = True) -> str:
    """Nodes by id, any label, with their embeddings or without any vector; ``$ids``."""
    fields = _NODE_FIELDS if with_embedding else _NODE_FIELDS_NO_EMB
    return f"UNWIND $ids AS key\n{find_any('n', 'key', 'key')}\nRETURN {fields.format(v='n')}"


@cache
def node_labels() -> str:
    """The label of each existing node among ``$ids``."""
    return f"UNWIND $ids AS key\n{find_any('n', 'key', 'key')}\nRETURN n.id AS id, labels(n) AS labels"


# --- writes ----------------------------------------------------------------------------------------


@cache
def merge_nodes(lab: Label) -> str:
    """Create or replace nodes of one label; ``$rows`` of {id, props, embedding, lexical, model, text_hash}.

    Properties are replaced as a whole. A row without an embedding keeps the stored one only when
    its text hash and model are unchanged. The lexical vector is always the row's (computed from
    the text by the adapter).
    """
    return (
        f"UNWIND $rows AS r\n"
        f"MERGE (n:{label(lab)} {{id: r.id}})\n"
        f"WITH n, r, CASE WHEN r.embedding IS NULL AND r.text_hash IS NOT NULL\n"
        f"  AND n._text_hash = r.text_hash AND coalesce(n._model, '') = coalesce(r.model, '')\n"
        f"  THEN n.{EMBEDDING} ELSE r.embedding END AS emb\n"
        f"SET n = r.props\n"
        f"SET n.{EMBEDDING} = emb, n.{LEXICAL} = r.lexical\n"
        f"RETURN count(n) AS written"
    )


@cache
def merge_edges(src: Label, rel: Rel, dst: Label) -> str:
    """Create or replace edges of one type between two labels; ``$rows`` of {src, dst, props}."""
    return (
        f"UNWIND $rows AS r\n"
        f"MATCH (a:{label(src)} {{id: r.src}})\n"
        f"MATCH (b:{label(dst)} {{id: r.dst}})\n"
        f"MERGE (a)-[e:{rel_type(rel)}]->(b)\n"
        f"SET e = r.props\n"
        f"RETURN count(e) AS written"
    )


@cache
def edges_at() -> str:
    """Every edge at the nodes ``$ids`` (both directions), to re-create them after a label change."""
    return (
        f"UNWIND $ids AS key\n{find_any('n', 'key', 'key')}\n"
        f"MATCH (n)-[e]-(b)\n"
        f"RETURN DISTINCT startNode(e).id AS src, type(e) AS rel, endNode(e).id AS dst, properties(e) AS props"
    )


@cache
def delete_nodes() -> str:
    """Delete the nodes ``$ids`` with their edges; returns how many there were."""
    return f"UNWIND $ids AS key\n{find_any('n', 'key', 'key')}\nWITH n\nDETACH DELETE n\nRETURN count(*) AS deleted"


@cache
def delete_edges(rel: Rel) -> str:
    """Delete edges of one type; ``$rows`` of {src, dst}; returns how many existed."""
    return (
        f"UNWIND $rows AS r\n{find_any('a', 'r.src', 'r')}\n"
        f"MATCH (a)-[e:{rel_type(rel)}]->(b)\nWHERE b.id = r.dst\n"
        f"WITH DISTINCT e\nDELETE e\nRETURN count(*) AS deleted"
    )


@cache
def bump_revision() -> str:
    """Count one more change of the graph, in the writing transaction (``$epoch`` names a new store)."""
    return (
        f"MERGE (s:{label(STATE)} {{id: 'state'}})\n"
        f"ON CREATE SET s.epoch = $epoch, s.revision = 0\n"
        f"SET s.revision = s.revision + 1\n"
        f"RETURN s.epoch AS epoch, s.revision AS revision"
    )


@cache
def revision() -> str:
    return f"MATCH (s:{label(STATE)} {{id: 'state'}}) RETURN s.epoch AS epoch, s.revision AS revision"


@cache
def set_meta() -> str:
    return f"MERGE (m:{label(META)} {{key: $key}}) SET m.value = $value"


@cache
def get_meta() -> str:
    return f"MATCH (m:{label(META)} {{key: $key}}) RETURN m.value AS value"


@cache
def get_meta_many() -> str:
    return f"UNWIND $keys AS k MATCH (m:{label(META)} {{key: k}}) RETURN m.key AS key, m.value AS value"


@cache
def delete_meta() -> str:
    """Delete the settings ``$keys``; returns how many were set."""
    return (f"UNWIND $keys AS k\nMATCH (m:{label(META)} {{key: k}})\nWITH DISTINCT m\nDELETE m\n"
            "RETURN count(*) AS deleted")


@cache
def meta_keys() -> str:
    return f"MATCH (m:{label(META)}) WHERE m.key STARTS WITH $prefix RETURN m.key AS key"


# --- reads -----------------------------------------------------------------------------------------


@cache
def neighbours(rel: Rel | None, outgoing: bool) -> str:
    """Edges at the node ``$id`` in one direction, with the node at their other end (no embedding)."""
    arrow = f"-{_rel_pattern(rel)}->" if outgoing else f"<-{_rel_pattern(rel)}-"
    return (
        f"{find_any('a', '$id', '')}\n"
        f"MATCH (a){arrow}(b)\n"
        f"RETURN type(e) AS rel, properties(e) AS rprops, {_NODE_FIELDS_NO_EMB.format(v='b')}"
    )


@cache
def neighbours_many(rels: tuple[Rel, ...] | None, outgoing: bool) -> str:
    """Edges (of any of ``rels``, or of any type) at each of the nodes ``$ids`` in one direction, with the
    node at their other end."""
    pattern = "[e]" if not rels else "[e:" + "|".join(rel_type(r) for r in rels) + "]"
    arrow = f"-{pattern}->" if outgoing else f"<-{pattern}-"
    return (
        f"UNWIND $ids AS key\n{find_any('a', 'key', 'key')}\n"
        f"MATCH (a){arrow}(b)\n"
        f"RETURN a.id AS key, type(e) AS rel, properties(e) AS rprops, {_NODE_FIELDS_NO_EMB.format(v='b')}"
    )


@cache
def linked(rel: Rel, inbound: bool) -> str:
    """Nodes one ``rel`` edge from any of ``$ids`` (pointing at them when ``inbound``), each with the
    ids it is linked to and its own count of ``rel`` edges in the other direction."""
    rt = rel_type(rel)
    near, back = (f"<-[:{rt}]-", f"-[:{rt}]->") if inbound else (f"-[:{rt}]->", f"<-[:{rt}]-")
    return (
        f"UNWIND $ids AS key\n{find_any('a', 'key', 'key')}\n"
        f"MATCH (a){near}(b)\n"
        f"WITH b, collect(DISTINCT a.id) AS hits\n"
        f"RETURN b.id AS id, labels(b) AS labels, hits, COUNT {{ (b){back}() }} AS degree"
    )


@cache
def page_nodes(lab: Label) -> str:
    """Nodes of one label after ``$after`` in id order, ``$limit`` at a time (no embeddings)."""
    return (
        f"MATCH (n:{label(lab)}) WHERE n.id > $after\n"
        f"RETURN {_NODE_FIELDS_NO_EMB.format(v='n')}\nORDER BY n.id LIMIT $limit"
    )


def _prop(name: str) -> str:
    """A property name for a statement's text; the adapter passes only schema field names."""
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a property name")
    return f"`{name}`"


@cache
def find_nodes(lab: Label, equal: tuple[str, ...], not_in: tuple[str, ...], with_ids: bool,
               with_prefix: bool = False, order: tuple[str, bool, str] | None = None) -> tuple[str, str]:
    """A page of one label's nodes by property filters (``$eq<i>``, ``$ni<i>``, ``$ids``, ``$prefix``,
    ``$offset``, ``$limit``), and the statement counting them all. Sorted by id, or by ``order`` (property,
    descending, the field's kind) as ``graph.store.sort_key`` sorts: nodes without the property last, ties by
    id."""
    where = [f"n.{_prop(p)} = $eq{i}" for i, p in enumerate(equal)]
    where += [f"NOT coalesce(n.{_prop(p)} IN $ni{i}, false)" for i, p in enumerate(not_in)]
    if with_ids:
        where.append("n.id IN $ids")
    if with_prefix:
        where.append("n.id STARTS WITH $prefix")
    match = f"MATCH (n:{label(lab)})" + (f" WHERE {' AND '.join(where)}" if where else "")
    by = "n.id"
    if order is not None:
        name, descending, kind = order
        value = f"n.{_prop(name)}"
        how = sorted_as(kind)
        if how == "text":  # the letters folded as sort_key folds them (constants, not input)
            value = f"toLower(toString({value}))"
            for letter, folded in SORT_FOLDS:
                value = f"replace({value}, '{letter}', '{folded}')"
        elif how == "date":  # dates, datetimes and dates kept as text alike
            value = f"toString({value})"
        by = f"n.{_prop(name)} IS NULL, {value}{' DESC' if descending else ''}, n.id"
    return (f"{match}\nRETURN {_NODE_FIELDS_NO_EMB.format(v='n')}\nORDER BY {by} SKIP $offset LIMIT $limit",
            f"{match}\nRETURN count(n) AS n")


@cache
def page_ids(lab: Label) -> str:
    """Ids of one label after ``$after`` in id order, ``$limit`` at a time."""
    return f"MATCH (n:{label(lab)}) WHERE n.id > $after\nRETURN n.id AS id ORDER BY n.id LIMIT $limit"


@cache
def out_edges(src: Label, rel: Rel | None) -> str:
    """Outgoing edges (of one type or all) of the nodes ``$ids`` of one label."""
    return (
        f"UNWIND $ids AS key\n"
        f"MATCH (a:{label(src)} {{id: key}})-{_rel_pattern(rel)}->(b)\n"
        f"RETURN a.id AS src, type(e) AS rel, b.id AS dst, properties(e) AS props"
    )


@cache
def hashes(lab: Label) -> str:
    return f"MATCH (n:{label(lab)}) RETURN n.id AS id, n._text_hash AS text_hash, n._model AS model"


@cache
def count_nodes(lab: Label | None) -> str:
    if lab is not None:
        return f"MATCH (n:{label(lab)}) RETURN count(n) AS n"
    calls = "\n".join(f"CALL {{ MATCH (n:{label(x)}) RETURN count(n) AS c{i} }}" for i, x in enumerate(Label))
    return f"{calls}\nRETURN " + " + ".join(f"c{i}" for i in range(len(Label))) + " AS n"


@cache
def count_edges(rel: Rel | None) -> str:
    return f"MATCH ()-{_rel_pattern(rel)}->() RETURN count(e) AS n"


PING = "RETURN 1 AS ok"


# --- vectors ---------------------------------------------------------------------------------------

VECTOR_QUERY = (
    "CALL db.index.vector.queryNodes($index, $k, $vector) YIELD node, score\n"
    "WHERE NOT node.id IN $exclude\n"
    "RETURN node.id AS id, score"
)


def _vector_property(prop: str) -> str:
    if prop not in (EMBEDDING, LEXICAL):
        raise ValueError(f"{prop!r} is not a vector property")
    return prop


def _similarity(prop: str, function: str) -> str:
    """Cosine of ``n.<prop>`` with ``$vector``. ``function`` is ``"cosine"`` (``vector.similarity.cosine``)
    or ``"dot"`` (a dot product in plain Cypher: stored vectors are unit length, so with a unit query
    it is the cosine)."""
    prop = _vector_property(prop)
    if function == "cosine":
        return f"vector.similarity.cosine(n.{prop}, $vector)"
    if function == "dot":
        return f"reduce(s = 0.0, i IN range(0, size($vector) - 1) | s + n.{prop}[i] * $vector[i])"
    raise ValueError(f"unknown similarity function {function!r}")


@cache
def vector_scan(lab: Label, function: str, prop: str = EMBEDDING) -> str:
    """Exact top-k over one label's vectors in ``prop``."""
    return (
        f"MATCH (n:{label(lab)}) WHERE n.{_vector_property(prop)} IS NOT NULL AND NOT n.id IN $exclude\n"
        f"WITH n, {_similarity(prop, function)} AS score\n"
        f"ORDER BY score DESC, n.id LIMIT $k\n"
        f"RETURN n.id AS id, score"
    )


@cache
def vector_scores(function: str, prop: str) -> str:
    """The similarity of ``$vector`` to the vector in ``prop`` of each of the nodes ``$ids``."""
    return (
        f"UNWIND $ids AS key\n{find_any('n', 'key', 'key')}\n"
        f"WITH n WHERE n.{_vector_property(prop)} IS NOT NULL\n"
        f"RETURN n.id AS id, {_similarity(prop, function)} AS score"
    )


@cache
def missing_lexical(lab: Label) -> str:
    """Nodes of one label after ``$after`` that have no lexical vector yet (their text properties)."""
    return (
        f"MATCH (n:{label(lab)}) WHERE n.id > $after AND n.{LEXICAL} IS NULL\n"
        f"RETURN {_NODE_FIELDS_NO_EMB.format(v='n')}\nORDER BY n.id LIMIT $limit"
    )


@cache
def set_lexical(lab: Label) -> str:
    """Write lexical vectors; ``$rows`` of {id, lexical}."""
    return f"UNWIND $rows AS r\nMATCH (n:{label(lab)} {{id: r.id}})\nSET n.{LEXICAL} = r.lexical"


# Capability probes, run once when connecting.
PROBE_COSINE = "RETURN vector.similarity.cosine([1.0, 0.0], [-1.0, 0.0]) AS s"
SHOW_VECTOR_INDEXES = (
    "SHOW INDEXES YIELD name, type, labelsOrTypes, properties\n"
    "WHERE type = 'VECTOR'\n"
    "RETURN name, labelsOrTypes, properties"
)

# --- migrations ------------------------------------------------------------------------------------


def unique_constraint(lab: Label | str, prop: str = "id") -> str:
    """A uniqueness constraint (Neo4j 5 syntax, also accepted by ArcadeDB); idempotent."""
    if prop not in ("id", "key"):
        raise ValueError(f"no constraint on {prop!r}")
    name = label(lab).strip("`")
    return (
        f"CREATE CONSTRAINT kominn_{name.lower()}_{prop} IF NOT EXISTS "
        f"FOR (n:{label(lab)}) REQUIRE n.{prop} IS UNIQUE"
    )


@cache
def applied_migrations() -> str:
    return (
        f"MATCH (m:{label(MIGRATION)})\n"
        f"RETURN m.id AS id, m.label AS label, m.dimensions AS dimensions, m.index AS index"
    )


@cache
def record_migration() -> str:
    return (
        f"MERGE (m:{label(MIGRATION)} {{id: $id}})\n"
        f"ON CREATE SET m.applied_at = datetime()\n"
        f"SET m.label = $label, m.dimensions = $dimensions, m.index = $index, m.statement = $statement"
    )


def neo4j_vector_index_name(lab: Label, prop: str = EMBEDDING) -> str:
    return f"kominn_{lab.value.lower()}_{_vector_property(prop).lstrip('_')}"


def neo4j_vector_index(lab: Label, dimensions: int, prop: str = EMBEDDING) -> str:
    """Neo4j 5.15+ vector index DDL. Index options cannot be parameters: the dimension is an int
    checked here, the name and label come from the enum."""
    dims = int(dimensions)
    if not 1 <= dims <= 4096:
        raise ValueError(f"a vector index needs 1 to 4096 dimensions, not {dimensions}")
    return (
        f"CREATE VECTOR INDEX {neo4j_vector_index_name(lab, prop)} IF NOT EXISTS "
        f"FOR (n:{label(lab)}) ON (n.{_vector_property(prop)}) "
        f"OPTIONS {{indexConfig: {{`vector.dimensions`: {dims}, `vector.similarity_function`: 'cosine'}}}}"
    )


# Neo4j 5.11-5.14: the procedure form (no IF NOT EXISTS: checked with SHOW INDEXES first).
NEO4J_CREATE_VECTOR_INDEX_PROC = "CALL db.index.vector.createNodeIndex($name, $label, $prop, $dimensions, 'cosine')"
NEO4J_AWAIT_INDEX = "CALL db.awaitIndex($name, $seconds)"


def arcadedb_vector_index(lab: Label, dimensions: int, prop: str = EMBEDDING) -> list[str]:
    """ArcadeDB SQL (sent over its HTTP API): its Cypher rejects ``CREATE VECTOR INDEX``."""
    dims = int(dimensions)
    if not 1 <= dims <= 4096:
        raise ValueError(f"a vector index needs 1 to 4096 dimensions, not {dimensions}")
    name = label(lab).strip("`")
    prop = _vector_property(prop)
    return [
        f"CREATE VERTEX TYPE {name} IF NOT EXISTS",
        f"CREATE PROPERTY {name}.{prop} IF NOT EXISTS ARRAY_OF_FLOATS",
        f"CREATE INDEX IF NOT EXISTS ON {name} ({prop}) LSM_VECTOR "
        f"METADATA {{dimensions: {dims}, similarity: 'COSINE'}}",
    ]


def arcadedb_vector_index_name(lab: Label, prop: str = EMBEDDING) -> str:
    return f"{lab.value}[{_vector_property(prop)}]"
