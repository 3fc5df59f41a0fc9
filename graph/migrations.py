"""Schema migrations and capability detection for the Neo4j adapter.

Migrations (uniqueness constraints, vector indexes) are applied idempotently (``IF NOT EXISTS``) and
recorded as ``(:KomInnMigration {id, applied_at, statement, ...})`` nodes in the database itself, so
a second process, or a second ingest, against the same server applies nothing.

What a server can do is found out when connecting, never at import:

- the flavour (Neo4j, or ArcadeDB speaking Bolt) and version, from the Bolt agent string;
- how ``vector.similarity.cosine`` scales its result (Neo4j 5 returns (1+cos)/2, ArcadeDB the raw
  cosine), by asking it for two opposite vectors; where the function is missing, exact top-k falls
  back to a dot product in plain Cypher;
- whether vector indexes can be created: Neo4j 5.15+ (``CREATE VECTOR INDEX``), Neo4j 5.11-5.14 (the
  procedure), ArcadeDB only through its HTTP SQL API (when its address is given);
- which vector indexes exist already (``SHOW INDEXES``), whoever made them.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any

import neo4j
from neo4j.exceptions import ClientError, DatabaseError

from graph import cypher
from graph.errors import ConfigurationError
from graph.lexical import LEXICAL_VERSION
from graph.schema import Label

# Applied on every open, in this order; each is recorded once applied.
BASE_MIGRATIONS: tuple[tuple[str, str], ...] = (
    (f"constraint:{cypher.MIGRATION}.id", cypher.unique_constraint(cypher.MIGRATION, "id")),
    (f"constraint:{cypher.META}.key", cypher.unique_constraint(cypher.META, "key")),
    (f"constraint:{cypher.STATE}.id", cypher.unique_constraint(cypher.STATE, "id")),
    *((f"constraint:{lab.value}.id", cypher.unique_constraint(lab, "id")) for lab in Label),
)


# Recorded once the lexical vectors of every node written before them have been computed.
LEXICAL_MIGRATION = f"lexical:{LEXICAL_VERSION}"


def vector_migration_id(lab: Label, prop: str = cypher.EMBEDDING) -> str:
    return f"vector:{lab.value}.{prop}"


@dataclass(frozen=True)
class Capabilities:
    """What the connected server can do."""

    agent: str
    flavour: str  # "neo4j" or "arcadedb"
    version: tuple[int, int]
    cosine: str | None  # "normalised" ((1+cos)/2), "raw" (cos), or None (no such function)
    vector_ddl: str | None  # "cypher", "procedure", "arcadedb-sql", or None (exact scans only)
    vector_indexes: dict[Label, str] = field(default_factory=dict)  # existing index per label

    @property
    def scan_function(self) -> str:
        return "dot" if self.cosine is None else "cosine"

    @property
    def scan_scale(self) -> str:
        """How exact scans score: ``"half"`` ((1+cos)/2) or ``"raw"`` (see neo4j_store.raw_cosine)."""
        return "half" if self.cosine == "normalised" else "raw"


@dataclass
class VectorInfo:
    """The embeddings of one label: their dimension, and the vector index over them (if any)."""

    dimensions: int
    index: str | None


def parse_agent(agent: str) -> tuple[str, tuple[int, int]]:
    """Flavour and version from a Bolt agent string.

    >>> parse_agent("Neo4j/5.26.0 compatible (ArcadeDB 26.10.2)")
    ('arcadedb', (5, 26))
    >>> parse_agent("Neo4j/5.15.0")
    ('neo4j', (5, 15))
    """
    flavour = "arcadedb" if "arcadedb" in agent.lower() else "neo4j"
    m = re.search(r"Neo4j/(\d+)\.(\d+)", agent)
    version = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
    return flavour, version


def detect(driver: neo4j.Driver, database: str | None, *, arcadedb_http: str | None) -> Capabilities:
    """Ask the server what it can do (a few small reads)."""
    agent = driver.get_server_info().agent
    flavour, version = parse_agent(agent)
    try:
        records = driver.execute_query(cypher.PROBE_COSINE, database_=database,
                                       routing_=neo4j.RoutingControl.READ).records
        s = float(records[0]["s"])
        cosine: str | None = "normalised" if abs(s) < 1e-6 else "raw"
    except (ClientError, DatabaseError):
        cosine = None
    if flavour == "arcadedb":
        ddl = "arcadedb-sql" if arcadedb_http else None
    elif version >= (5, 15):
        ddl = "cypher"
    elif version >= (5, 11):
        ddl = "procedure"
    else:
        ddl = None
    return Capabilities(agent, flavour, version, cosine, ddl, vector_indexes(driver, database))


def vector_indexes(driver: neo4j.Driver, database: str | None, prop: str = cypher.EMBEDDING) -> dict[Label, str]:
    """The vector indexes on ``prop`` that the server has, by label (whoever made them)."""
    indexes: dict[Label, str] = {}
    try:
        for rec in driver.execute_query(cypher.SHOW_VECTOR_INDEXES, database_=database,
                                        routing_=neo4j.RoutingControl.READ).records:
            labels, props = rec["labelsOrTypes"] or [], rec["properties"] or []
            if len(labels) == 1 and labels[0] in Label._value2member_map_ and list(props) == [prop]:
                indexes[Label(labels[0])] = rec["name"]
    except (ClientError, DatabaseError):
        pass  # no SHOW INDEXES: no vector indexes to use
    return indexes


def applied(driver: neo4j.Driver, database: str | None) -> dict[str, dict[str, Any]]:
    """The migrations recorded in the database, by id."""
    records = driver.execute_query(cypher.applied_migrations(), database_=database,
                                   routing_=neo4j.RoutingControl.READ).records
    return {r["id"]: r.data() for r in records}


def record(driver: neo4j.Driver, database: str | None, migration_id: str, statement: str, *,
           lab: Label | None = None, dimensions: int | None = None, index: str | None = None) -> None:
    driver.execute_query(cypher.record_migration(), database_=database, id=migration_id, statement=statement,
                         label=None if lab is None else lab.value, dimensions=dimensions, index=index)


def apply_base(driver: neo4j.Driver, database: str | None) -> list[str]:
    """Apply the constraints not yet recorded; returns the ids of those applied now."""
    done = applied(driver, database)
    now: list[str] = []
    for migration_id, statement in BASE_MIGRATIONS:
        if migration_id in done:
            continue
        driver.execute_query(statement, database_=database)
        record(driver, database, migration_id, statement)
        now.append(migration_id)
    return now


def vector_infos(driver: neo4j.Driver, database: str | None, caps: Capabilities) -> dict[Label, VectorInfo]:
    """Dimension and index of every label that has had embeddings written (from the records), checked
    against the indexes the server has (``caps.vector_indexes``, refreshed here)."""
    caps.vector_indexes.clear()
    caps.vector_indexes.update(vector_indexes(driver, database))
    infos: dict[Label, VectorInfo] = {}
    for rec in applied(driver, database).values():
        name = rec.get("label")
        if isinstance(name, str) and name in Label._value2member_map_ and rec.get("dimensions") \
                and rec["id"] == vector_migration_id(Label(name)):
            lab = Label(name)
            index = rec.get("index")
            existing = caps.vector_indexes.get(lab)
            # the server's word wins: a recorded index it lacks (dropped) is not used, and is made
            # again on open where the server allows it
            if index is not None and existing != index:
                index = existing
            infos[lab] = VectorInfo(int(rec["dimensions"]), index)
    for lab, name in caps.vector_indexes.items():  # an index someone made by hand: record it when written
        if lab in infos and infos[lab].index is None:
            infos[lab].index = name
    return infos


def create_vector_index(driver: neo4j.Driver, database: str | None, caps: Capabilities, lab: Label,
                        dimensions: int, *, arcadedb_http: str | None, auth: tuple[str, str] | None,
                        prop: str = cypher.EMBEDDING) -> str | None:
    """Create the vector index on ``prop`` of a label the way this server wants it; its name, or None
    if it cannot."""
    if caps.vector_ddl == "cypher":
        name = cypher.neo4j_vector_index_name(lab, prop)
        driver.execute_query(cypher.neo4j_vector_index(lab, dimensions, prop), database_=database)
    elif caps.vector_ddl == "procedure":
        name = cypher.neo4j_vector_index_name(lab, prop)
        if name not in vector_indexes(driver, database, prop).values():
            driver.execute_query(cypher.NEO4J_CREATE_VECTOR_INDEX_PROC, database_=database, name=name,
                                 label=lab.value, prop=prop, dimensions=int(dimensions))
    elif caps.vector_ddl == "arcadedb-sql" and arcadedb_http:
        for statement in cypher.arcadedb_vector_index(lab, dimensions, prop):
            arcadedb_sql(arcadedb_http, database, auth, statement)
        return cypher.arcadedb_vector_index_name(lab, prop)
    else:
        return None
    driver.execute_query(cypher.NEO4J_AWAIT_INDEX, database_=database, name=name, seconds=300)
    return name


def vector_index_statement(caps: Capabilities, lab: Label, dimensions: int, prop: str = cypher.EMBEDDING) -> str:
    """The DDL that makes (made) the vector index on ``prop`` of a label on this server, as recorded."""
    if caps.vector_ddl == "arcadedb-sql":
        return "; ".join(cypher.arcadedb_vector_index(lab, dimensions, prop))
    return cypher.neo4j_vector_index(lab, dimensions, prop)


def arcadedb_sql(base_url: str, database: str | None, auth: tuple[str, str] | None, command: str) -> Any:
    """Run one SQL command through ArcadeDB's HTTP API (its DDL for vector indexes)."""
    if not database:
        raise ConfigurationError("ArcadeDB needs the database name (KOMINN_NEO4J_DATABASE) to create indexes")
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
    req = urllib.request.Request(f"{base_url.rstrip('/')}/api/v1/command/{database}",
                                 data=json.dumps({"language": "sql", "command": command}).encode(),
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        detail = e.read().decode(errors="replace")[:300]
        raise ConfigurationError(f"ArcadeDB at {base_url} refused '{command}': HTTP {e.code} {detail}") from e
    except (urllib.error.URLError, OSError) as e:
        raise ConfigurationError(f"cannot reach ArcadeDB's HTTP API at {base_url} "
                                 f"(check KOMINN_NEO4J_ARCADEDB_HTTP): {e}") from e
