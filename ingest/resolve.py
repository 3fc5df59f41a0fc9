"""Entity resolution for organisations: the same organisation from several sources becomes one node.

Keys, strongest first: the Norwegian organisation number, then the CORDIS PIC, then the normalised
name. A new organisation is merged into a known one (in the store, or earlier in the same run) when a
key matches and no identifier contradicts; the merged id is kept as an alias on the surviving node
(``aliases``), so the same input later resolves the same way. Ids that others look up by their
identifier (``pic:<PIC>``) and nodes already in the store are never merged away: for those, and for
names that are only similar, a ``SAME_AS {score, method}`` candidate edge is recorded instead.

>>> name_key("Testvik Kommune AS") == name_key("TESTVIK KOMMUNE")
True
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from graph.schema import Edge, Label, Node, Rel
from graph.store import GraphStore
from graph.text import normalise
from ingest.records import Parsed

MERGE_THRESHOLD = 0.95  # name similarity at which new records are merged
CANDIDATE_THRESHOLD = 0.85  # name similarity at which a SAME_AS candidate is recorded
_LEGAL = frozenset("as asa sa ba da ans ks ltd limited gmbh ag bv nv srl sl spa sas oy ab aps plc inc llc".split())
_PLACEHOLDER = re.compile(r"^pic \d+$")
PROTECTED_PREFIXES = ("pic:",)


def name_key(name: str) -> str:
    """The name with case, punctuation and legal-form words removed."""
    tokens = re.findall(r"[0-9a-zæøåäöüéèàçñß]+", normalise(name))
    return " ".join(t for t in tokens if t not in _LEGAL)


def _trigrams(key: str) -> frozenset[str]:
    t = f"  {key} "
    return frozenset(t[i:i + 3] for i in range(len(t) - 2))


def similarity(a: str, b: str) -> float:
    """Trigram Jaccard similarity of two name keys (1.0 when equal)."""
    if a == b:
        return 1.0
    ta, tb = _trigrams(a), _trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


@dataclass
class Merge:
    record_id: str
    into: str
    method: str
    score: float
    file: str
    row: int


@dataclass
class Resolution:
    alias: dict[str, str] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    same_as: list[Edge] = field(default_factory=list)
    updates: list[Node] = field(default_factory=list)  # stored nodes that gain fields or aliases


class _Index:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.by_number: dict[str, str] = {}
        self.by_pic: dict[str, str] = {}
        self.by_alias: dict[str, str] = {}
        self.by_key: dict[str, str] = {}
        self.grams: dict[str, frozenset[str]] = {}
        self.postings: dict[str, list[str]] = defaultdict(list)

    def add(self, node: Node) -> None:
        self.nodes[node.id] = node
        p = node.props
        if p.get("org_number"):
            self.by_number.setdefault(str(p["org_number"]), node.id)
        pic = p.get("pic") or (node.id[4:] if node.id.startswith("pic:") else None)
        if pic:
            self.by_pic.setdefault(str(pic), node.id)
        for a in p.get("aliases") or ():
            self.by_alias[a] = node.id
        key = name_key(str(p.get("name", "")))
        if key and not _PLACEHOLDER.match(key):
            self.by_key.setdefault(key, node.id)
            for tok in set(key.split()):
                if len(tok) >= 4 and len(self.postings[tok]) < 64:
                    self.postings[tok].append(node.id)

    def similar(self, node_id: str, key: str) -> tuple[str, float] | None:
        best: tuple[str, float] | None = None
        seen: set[str] = set()
        for tok in sorted(set(key.split()), key=lambda t: len(self.postings.get(t, ())))[:2]:
            for other in self.postings.get(tok, ()):
                if other == node_id or other in seen:
                    continue
                seen.add(other)
                s = similarity(key, name_key(str(self.nodes[other].props.get("name", ""))))
                if best is None or s > best[1]:
                    best = (other, s)
        return best


def _conflict(a: Node, b: Node, parents_a: set[str], parents_b: set[str], by_name: bool) -> bool:
    """Whether something known of both says they are different organisations: their organisation numbers or
    countries differ, or (for a match by name alone) their municipalities or the organisations they are part
    of. Kinds do not count: sources describe one organisation's kind in their own ways (Tidstyver calls every
    agency a public body, CORDIS goes by its activity type)."""
    for prop in ("org_number", "country", *(("municipality",) if by_name else ())):
        va, vb = a.props.get(prop), b.props.get(prop)
        if va and vb and str(va).casefold() != str(vb).casefold():
            return True
    return by_name and bool(parents_a and parents_b and parents_a.isdisjoint(parents_b))


def _same_place(a: Node, b: Node, parents_a: set[str], parents_b: set[str]) -> bool:
    """Whether both are known to be in the same municipality or part of the same organisation."""
    ma, mb = a.props.get("municipality"), b.props.get("municipality")
    return bool((ma and mb and str(ma).casefold() == str(mb).casefold()) or (parents_a & parents_b))


def resolve_organisations(parsed: list[Parsed], store: GraphStore) -> tuple[list[Parsed], Resolution]:
    """Merge organisation records into known organisations; rewrite links; return what was done."""
    orgs = [p for p in parsed if p.node.label == Label.ORGANISATION]
    res = Resolution()
    if not orgs:
        return _stored_aliases(parsed, store), res
    index = _Index()
    stored = {n.id: n for n in store.iter_nodes(Label.ORGANISATION)}
    for node in stored.values():
        index.add(node)
    in_run: dict[str, Parsed] = {}
    kept: list[Parsed] = []

    def parents(node_id: str, record: Parsed | None = None) -> set[str]:
        """The organisations it is part of: from its record in this run, else from the store."""
        record = record if record is not None else in_run.get(node_id)
        if record is not None:
            return {e.dst for _, e, _ in record.links if e.rel == Rel.PART_OF}
        return {n.id for _, n in store.neighbours(node_id, Rel.PART_OF)} if node_id in stored else set()
    for p in parsed:
        if p.node.label != Label.ORGANISATION:
            kept.append(p)
            continue
        node = p.node
        if node.id in stored:  # known: its merges and candidates were settled when it arrived
            in_run[node.id] = p
            kept.append(p)
            continue
        target, method, score = None, "", 0.0
        protected = node.id in stored or node.id in in_run or node.id.startswith(PROTECTED_PREFIXES)
        if node.id in index.by_alias and node.id not in stored:
            target, method, score = index.by_alias[node.id], "alias", 1.0
        else:
            number = node.props.get("org_number")
            pic = node.props.get("pic")
            key = name_key(str(node.props.get("name", "")))
            if number and index.by_number.get(number) not in (None, node.id):
                target, method, score = index.by_number[number], "org_number", 1.0
            elif pic and index.by_pic.get(pic) not in (None, node.id):
                target, method, score = index.by_pic[pic], "pic", 1.0
            elif key and not _PLACEHOLDER.match(key):
                if index.by_key.get(key) not in (None, node.id):
                    target, method, score = index.by_key[key], "name", 1.0
                else:
                    best = index.similar(node.id, key)
                    if best is not None and best[1] >= CANDIDATE_THRESHOLD:
                        target, method, score = best[0], "name", round(best[1], 3)
            if target is not None:
                mine, theirs = parents(node.id, p), parents(target)
                if _conflict(node, index.nodes[target], mine, theirs, method == "name"):
                    target = None
                elif (method == "name" and "unit" in (node.props.get("kind"), index.nodes[target].props.get("kind"))
                      and not _same_place(node, index.nodes[target], mine, theirs)):
                    # every municipality has its "Helse og omsorg": units with one name are only candidates
                    # unless they are known to be in the same place
                    protected = True
        if target is None:
            in_run[node.id] = p
            index.add(node)
            kept.append(p)
            continue
        if protected or (method == "name" and score < MERGE_THRESHOLD):
            if node.id not in in_run:
                in_run[node.id] = p
                index.add(node)
                kept.append(p)
            a, b = sorted((node.id, target))  # one direction, whichever side arrives first
            res.same_as.append(Edge(a, Rel.SAME_AS, b, {"score": score, "method": method}))
            continue
        res.alias[node.id] = target
        res.merges.append(Merge(node.id, target, method, score, p.record.file, p.record.row))
        survivor = in_run[target].node if target in in_run else None
        base = survivor if survivor is not None else next((u for u in res.updates if u.id == target), None)
        if base is None:
            old = stored[target]
            base = Node(old.id, old.label, dict(old.props))
            res.updates.append(base)
        for k, v in node.props.items():
            base.props.setdefault(k, v)
        aliases = list(base.props.get("aliases") or [])
        if node.id not in aliases:
            base.props["aliases"] = sorted([*aliases, node.id])
        index.by_alias[node.id] = target
        if target in in_run:  # the merged record's own links now start at the survivor
            in_run[target].links += [(lname, Edge(target, e.rel, e.dst, e.props), lab)
                                     for lname, e, lab in p.links if e.dst != target]
    if res.alias:
        for p in kept:
            p.links = [(f, Edge(e.src, e.rel, res.alias.get(e.dst, e.dst), e.props), lab) for f, e, lab in p.links]
    return _stored_aliases(kept, store, index.by_alias), res


def _stored_aliases(parsed: list[Parsed], store: GraphStore, known: dict[str, str] | None = None) -> list[Parsed]:
    """Links to the id of an organisation merged away in an earlier run lead to the organisation it was merged
    into (its ``aliases`` keep the id), so the same input resolves the same way next time."""
    in_run = {p.node.id for p in parsed}
    missing = {e.dst for p in parsed for _, e, lab in p.links if lab == Label.ORGANISATION} - in_run
    if not missing:
        return parsed
    missing -= {n.id for n in store.get_many(sorted(missing))}
    if not missing:
        return parsed
    if known is None:  # not indexed yet in this run: read the stored organisations' aliases
        known = {a: n.id for n in store.iter_nodes(Label.ORGANISATION) for a in n.props.get("aliases") or ()}
    alias = {a: known[a] for a in missing if a in known}
    if alias:
        for p in parsed:
            p.links = [(f, Edge(e.src, e.rel, alias.get(e.dst, e.dst), e.props), lab) for f, e, lab in p.links]
    return parsed

