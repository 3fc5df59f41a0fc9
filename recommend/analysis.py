"""Analyses for the strategy's questions: silos and bridges, connecting organisations, communities of
initiatives, focus-area coverage over time, unaddressed needs and suggested focus areas.

Plain functions with the store first and keyword options after; each answers with a pandas DataFrame
(or a small dataclass of them). Where a fast version is not obviously right, a slow reference
(``*_reference``) sits next to it and the tests check that both agree.

>>> from graph.embedded import EmbeddedGraphStore
>>> from graph.schema import Edge, Label, Node, Rel
>>> store = EmbeddedGraphStore(":memory:"); store.open()
>>> store.upsert([Node("n1", Label.NEED, {"title": "Ensomhet"}), Node("n2", Label.NEED, {"title": "Støy"}),
...               Node("i1", Label.INITIATIVE, {"title": "Besøksvenn", "status": "ongoing"})],
...              [Edge("i1", Rel.ADDRESSES, "n1")])
>>> unaddressed_needs(store)["id"].tolist()
['n2']
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pandas as pd
from scipy import sparse

from graph.frames import as_date, filter_values
from graph.schema import FIELDS, ORG_KINDS, Label, Node, Rel
from graph.store import GraphStore

# --- shared helpers ------------------------------------------------------------------------------


def _whole(value: object, name: str, *, low: int = 1, none: bool = False) -> int | None:
    """An argument that counts something: a whole number of at least ``low`` (or None where ``none``);
    anything else is a ValueError naming it."""
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise ValueError(f"{name} must be a whole number of at least {low}{' or None' if none else ''}, got {value!r}")
    return int(value)


def _number(value: object, name: str, *, low: float, high: float | None = None, none: bool = False,
            above: bool = False) -> float | None:
    """An argument that is a number from ``low`` (excluded where ``above``) to ``high``, or None where
    ``none``; anything else is a ValueError naming it."""
    if value is None and none:
        return None
    ok = isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool) \
        and (value > low if above else value >= low) and (high is None or value <= high)
    if not ok:
        span = f"above {low}" if above else (f"from {low} to {high}" if high is not None else f"at least {low}")
        raise ValueError(f"{name} must be a number {span}{' or None' if none else ''}, got {value!r}")
    return float(value)  # type: ignore[arg-type]


def _groups(value: object) -> tuple[Mapping[str, str], Mapping[str, str]] | None:
    """``groups`` as :func:`owner_groups` returns it (or None)."""
    if value is None:
        return None
    if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(m, Mapping) for m in value)):
        raise ValueError("groups must be the pair (initiative -> group, organisation -> group) that owner_groups "
                         f"returns, got {type(value).__name__}")
    return value


def embedding_matrix(store: GraphStore, ids: Sequence[str], *, batch: int = 500) -> np.ndarray:
    """Unit-normalised embeddings of ``ids`` as rows (zeros where a node has none), via the protocol."""
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(ids), batch):
        for node in store.get_many(list(ids[start : start + batch])):
            if node.embedding is not None:
                found[node.id] = np.asarray(node.embedding, dtype=np.float32)
    if not found:
        return np.zeros((len(ids), 0), dtype=np.float32)
    dim = next(iter(found.values())).shape[0]
    out = np.zeros((len(ids), dim), dtype=np.float32)
    for row, i in enumerate(ids):
        v = found.get(i)
        if v is not None:
            norm = float(np.linalg.norm(v))
            out[row] = v / norm if norm > 0 else v
    return out


def _names(store: GraphStore, label: Label) -> dict[str, str]:
    return {n.id: n.title for n in store.iter_nodes(label)}


def owner_groups(
    store: GraphStore, *, kinds: Iterable[str] | None = ("unit",), attribute: str | None = None
) -> tuple[dict[str, str], dict[str, str]]:
    """Silo of every initiative and of every organisation: ``(initiative -> group, organisation -> group)``.

    By default the silo is the owning organisation, for owners of the given ``kinds`` (``unit``: the
    municipality's own units; ``None``: any owner). With ``attribute`` (``"country"``, say) the silo
    is that property of the owner, and an organisation's group is its own value of it.
    """
    fields = sorted(f.name for f in FIELDS[Label.ORGANISATION])
    if attribute is not None and attribute not in fields:
        raise ValueError(f"attribute: organisations have no field {attribute!r}; they have {', '.join(fields)}")
    orgs = {n.id: n for n in store.iter_nodes(Label.ORGANISATION)}
    wanted = None if kinds is None else set(filter_values(kinds, "kinds", ORG_KINDS))
    item_group: dict[str, str] = {}
    for e in store.iter_edges(Rel.OWNED_BY):
        org = orgs.get(e.dst)
        if org is None or (wanted is not None and org.props.get("kind") not in wanted):
            continue
        group = org.id if attribute is None else org.props.get(attribute)
        if group:
            item_group[e.src] = str(group)
    if attribute is None:
        org_group = {g: g for g in set(item_group.values())}
    else:
        org_group = {o.id: str(o.props[attribute]) for o in orgs.values() if o.props.get(attribute)}
    return item_group, org_group


# --- silo map --------------------------------------------------------------------------------------


@dataclass
class SiloMap:
    """Unit × unit: how similar their work is, and how much they work together.

    ``pairs`` has one row per pair of units; ``bridge`` marks pairs whose work is similar (at least
    the ``bridge_quantile`` of all pairs' similarity: the top quarter by default, since units' similarities
    lie close together) but who never work together (collaboration 0). Outside partners the two share are
    in ``shared_partners``: a go-between, not collaboration unless ``count_shared_partners``.
    """

    similarity: pd.DataFrame
    collaboration: pd.DataFrame
    pairs: pd.DataFrame

    @property
    def bridges(self) -> pd.DataFrame:
        """The bridges to build, most similar first."""
        return self.pairs[self.pairs["bridge"]].sort_values("similarity", ascending=False).reset_index(drop=True)


def group_similarity(vectors: np.ndarray, groups: Sequence[str], order: Sequence[str], *,
                     method: str = "mean") -> np.ndarray:
    """Similarity of every two groups' rows of unit vectors.

    ``mean``: mean cosine over all cross pairs, which equals the dot product of the two groups'
    mean vectors. ``max``: for each item the best match in the other group, averaged, both ways.
    The diagonal compares a group with itself (pairs of different items for ``max``).
    """
    index = {g: [i for i, x in enumerate(groups) if x == g] for g in order}
    n = len(order)
    out = np.zeros((n, n))
    if method == "mean":
        centroids = np.stack([vectors[index[g]].mean(axis=0) if index[g] else np.zeros(vectors.shape[1])
                              for g in order])
        return centroids @ centroids.T
    if method != "max":
        raise ValueError(f"method must be 'mean' or 'max', got {method!r}")
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    for a, b in itertools.product(range(n), range(n)):
        ia, ib = index[order[a]], index[order[b]]
        if not ia or not ib or (a == b and len(ia) < 2):
            continue
        block = sims[np.ix_(ia, ib)]
        out[a, b] = (block.max(axis=1).mean() + block.max(axis=0).mean()) / 2
    return out


def group_similarity_reference(vectors: np.ndarray, groups: Sequence[str], order: Sequence[str], *,
                               method: str = "mean") -> np.ndarray:
    """Slow, obviously correct :func:`group_similarity`: explicit loops over item pairs."""
    members = {g: [vectors[i] for i, x in enumerate(groups) if x == g] for g in order}
    out = np.zeros((len(order), len(order)))
    for a, ga in enumerate(order):
        for b, gb in enumerate(order):
            if method == "mean":
                cos = [float(u @ v) for u in members[ga] for v in members[gb]]
                out[a, b] = sum(cos) / len(cos) if cos else 0.0
                continue
            def best(xs: list[np.ndarray], ys: list[np.ndarray], same: bool) -> list[float]:
                return [max(float(x @ y) for j, y in enumerate(ys) if not (same and i == j))
                        for i, x in enumerate(xs)]
            same = a == b
            if not members[ga] or not members[gb] or (same and len(members[ga]) < 2):
                continue
            there = best(members[ga], members[gb], same)
            back = best(members[gb], members[ga], same)
            out[a, b] = (sum(there) / len(there) + sum(back) / len(back)) / 2
    return out


def silo_map(
    store: GraphStore,
    *,
    groups: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
    method: str = "max",
    min_items: int = 1,
    bridge_quantile: float = 0.75,
    count_shared_partners: bool = False,
    collaboration_quantile: float | None = None,
) -> SiloMap:
    """How similar the units' work is against how much they work together.

    Similarity of two units is computed from their initiatives' embeddings (see
    :func:`group_similarity`). Collaboration counts ``builds_on`` (an initiative of one builds on one
    of the other) and ``co_involved`` (an initiative of one involves the other unit, or an
    organisation of its group). ``shared_partners`` (external organisations involved by both) is
    reported and, with ``count_shared_partners``, added to collaboration. ``groups`` is the pair of
    maps that :func:`owner_groups` returns (the default: the municipality's units); groups with
    fewer than ``min_items`` initiatives are left out. Each pair carries its most similar
    initiative pair as an example. Where every pair works together (consortia across countries),
    ``collaboration_quantile`` relaxes "never together" to "in that lowest share of collaboration".
    """
    if method not in ("max", "mean"):
        raise ValueError(f"method must be 'max' or 'mean', got {method!r}")
    _whole(min_items, "min_items")
    _number(bridge_quantile, "bridge_quantile", low=0.0, high=1.0)
    _number(collaboration_quantile, "collaboration_quantile", low=0.0, high=1.0, none=True)
    item_group, org_group = _groups(groups) or owner_groups(store)
    sizes = Counter(item_group.values())
    order = sorted(g for g, c in sizes.items() if c >= min_items)
    kept = set(order)
    items = sorted(i for i, g in item_group.items() if g in kept)
    vectors = embedding_matrix(store, items)
    has = np.linalg.norm(vectors, axis=1) > 0 if vectors.size else np.zeros(len(items), bool)
    items = [i for i, h in zip(items, has, strict=True) if h]
    vectors = vectors[has] if vectors.size else vectors
    labels = [item_group[i] for i in items]
    sim = group_similarity(vectors, labels, order, method=method) if items else np.zeros((len(order),) * 2)

    partners: dict[str, set[str]] = defaultdict(set)
    co: Counter[frozenset[str]] = Counter()
    for e in store.iter_edges(Rel.INVOLVES):
        ga = item_group.get(e.src)
        if ga not in kept:
            continue
        gb = org_group.get(e.dst)
        if gb in kept and gb != ga:
            co[frozenset((ga, gb))] += 1
        elif gb is None:
            partners[ga].add(e.dst)
    builds: Counter[frozenset[str]] = Counter()
    for e in store.iter_edges(Rel.BUILDS_ON):
        ga, gb = item_group.get(e.src), item_group.get(e.dst)
        if ga in kept and gb in kept and ga != gb:
            builds[frozenset((ga, gb))] += 1

    names = _names(store, Label.ORGANISATION)
    pos = {g: k for k, g in enumerate(order)}
    full = vectors @ vectors.T if items else np.zeros((0, 0))
    by_group = {g: [k for k, x in enumerate(labels) if x == g] for g in order}
    rows = []
    collab = np.zeros((len(order), len(order)))
    for a, b in itertools.combinations(order, 2):
        key = frozenset((a, b))
        shared = len(partners[a] & partners[b])
        together = builds[key] + co[key] + (shared if count_shared_partners else 0)
        collab[pos[a], pos[b]] = collab[pos[b], pos[a]] = together
        example: tuple[str | None, str | None, float] = (None, None, float("nan"))
        ia, ib = by_group[a], by_group[b]
        if ia and ib:
            block = full[np.ix_(ia, ib)]
            r, c = np.unravel_index(int(np.argmax(block)), block.shape)
            example = (items[ia[r]], items[ib[c]], float(block[r, c]))
        rows.append({"unit_a": a, "name_a": names.get(a, a), "unit_b": b, "name_b": names.get(b, b),
                     "similarity": float(sim[pos[a], pos[b]]), "builds_on": builds[key], "co_involved": co[key],
                     "shared_partners": shared, "collaboration": together, "example_a": example[0],
                     "example_b": example[1], "example_similarity": example[2]})
    pairs = pd.DataFrame(rows, columns=["unit_a", "name_a", "unit_b", "name_b", "similarity", "builds_on",
                                        "co_involved", "shared_partners", "collaboration", "example_a",
                                        "example_b", "example_similarity"])
    threshold = pairs["similarity"].quantile(bridge_quantile) if len(pairs) else 0.0
    most = 0.0 if collaboration_quantile is None or not len(pairs) else \
        float(pairs["collaboration"].quantile(collaboration_quantile))
    pairs["bridge"] = (pairs["collaboration"] <= most) & (pairs["similarity"] >= threshold)
    labels_ = [names.get(g, g) for g in order]
    return SiloMap(pd.DataFrame(sim, index=labels_, columns=labels_),
                   pd.DataFrame(collab, index=labels_, columns=labels_).astype(int), pairs)


# --- organisations that connect others ------------------------------------------------------------


def organisation_projection(store: GraphStore) -> nx.Graph:
    """Organisations linked when they own or are involved in the same initiative; ``weight`` counts
    the initiatives they share."""
    members: dict[str, set[str]] = defaultdict(set)
    for rel in (Rel.OWNED_BY, Rel.INVOLVES):
        for e in store.iter_edges(rel):
            members[e.src].add(e.dst)
    orgs = {n.id: n for n in store.iter_nodes(Label.ORGANISATION)}
    g = nx.Graph()
    for org in orgs.values():
        g.add_node(org.id, name=org.title, kind=org.props.get("kind"))
    for item, group in members.items():
        if item in orgs:
            continue
        for a, b in itertools.combinations(sorted(group), 2):
            w = g[a][b]["weight"] + 1 if g.has_edge(a, b) else 1
            g.add_edge(a, b, weight=w)
    return g


def connectors(store: GraphStore, *, k: int | None = 20, samples: int | None = None, seed: int = 0,
               groups: tuple[Mapping[str, str], Mapping[str, str]] | None = None,
               kinds: Iterable[str] | None = None) -> pd.DataFrame:
    """The organisations that connect others: betweenness centrality on :func:`organisation_projection`.

    ``initiatives`` counts those it owns or takes part in; ``units_reached`` counts the silos (see
    :func:`owner_groups`) whose initiatives it owns or takes part in: an organisation in many of them
    carries knowledge across silos. ``samples`` estimates betweenness from that many source nodes (for
    large graphs); ``kinds`` ranks only organisations of those kinds (a unit is the hub of its own
    initiatives, so ``kinds=["business", "ngo", "research", "public_body"]`` shows the outside
    partners that connect units); ``k`` keeps the top rows.
    """
    k = _whole(k, "k", none=True)
    samples = _whole(samples, "samples", none=True)
    wanted = None if kinds is None else set(filter_values(kinds, "kinds", ORG_KINDS))
    g = organisation_projection(store)
    if samples is not None:
        samples = min(samples, g.number_of_nodes())
    between = nx.betweenness_centrality(g, k=samples, seed=seed) if g.number_of_nodes() else {}
    item_group, _ = _groups(groups) or owner_groups(store)
    reached: dict[str, set[str]] = defaultdict(set)
    count: Counter[str] = Counter()
    for rel in (Rel.OWNED_BY, Rel.INVOLVES):
        for e in store.iter_edges(rel):
            count[e.dst] += 1
            if e.src in item_group:
                reached[e.dst].add(item_group[e.src])
    rows = [{"id": n, "name": d["name"], "kind": d["kind"], "betweenness": between.get(n, 0.0),
             "degree": g.degree(n), "initiatives": count[n], "units_reached": len(reached[n])}
            for n, d in g.nodes(data=True) if wanted is None or d["kind"] in wanted]
    df = pd.DataFrame(rows, columns=["id", "name", "kind", "betweenness", "degree", "initiatives", "units_reached"])
    df = df.sort_values(["betweenness", "units_reached", "id"], ascending=[False, False, True]).reset_index(drop=True)
    return df if k is None else df.head(k)


# --- communities of initiatives -------------------------------------------------------------------

_VIA = {"partners": Rel.INVOLVES, "needs": Rel.ADDRESSES, "topics": Rel.TAGGED, "focus_areas": Rel.SUPPORTS}


def initiative_links(store: GraphStore, *, via: Iterable[str] = ("partners", "needs", "topics"),
                     max_degree: int | None = 50) -> dict[tuple[str, str], int]:
    """Pairs of initiatives (``a < b``) with the number of partners, needs or topics they share.

    Context nodes linked to more than ``max_degree`` initiatives (a partner in everything, a topic
    as broad as a programme) say little and are skipped. Uses a sparse incidence product.
    """
    initiatives = sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))
    row = {i: k for k, i in enumerate(initiatives)}
    edges = _context_edges(store, via, row, max_degree)
    contexts = sorted({c for _, c in edges})
    col = {c: k for k, c in enumerate(contexts)}
    m = sparse.csr_matrix((np.ones(len(edges)), ([row[i] for i, _ in edges], [col[c] for _, c in edges])),
                          shape=(len(initiatives), len(contexts)))
    shared = sparse.triu(m @ m.T, k=1).tocoo()
    return {(initiatives[a], initiatives[b]): int(w)
            for a, b, w in zip(shared.row, shared.col, shared.data, strict=True) if w > 0}


def initiative_links_reference(store: GraphStore, *, via: Iterable[str] = ("partners", "needs", "topics"),
                               max_degree: int | None = 50) -> dict[tuple[str, str], int]:
    """Slow, obviously correct :func:`initiative_links`: compare every two initiatives' context sets."""
    initiatives = sorted(n.id for n in store.iter_nodes(Label.INITIATIVE))
    row = {i: k for k, i in enumerate(initiatives)}
    context: dict[str, set[str]] = defaultdict(set)
    for i, c in _context_edges(store, via, row, max_degree):
        context[i].add(c)
    out = {}
    for a, b in itertools.combinations(initiatives, 2):
        n = len(context[a] & context[b])
        if n:
            out[(a, b)] = n
    return out


def _context_edges(store: GraphStore, via: Iterable[str], row: Mapping[str, int],
                   max_degree: int | None) -> list[tuple[str, str]]:
    pairs = {(e.src, e.dst) for v in filter_values(via, "via", _VIA) for e in store.iter_edges(_VIA[v])
             if e.src in row}
    degree = Counter(c for _, c in pairs)
    return sorted((i, c) for i, c in pairs if max_degree is None or degree[c] <= max_degree)


def communities(store: GraphStore, *, via: Iterable[str] = ("partners", "needs", "topics"),
                similarity: float | None = None, resolution: float = 1.0, seed: int = 0,
                max_degree: int | None = 50) -> pd.DataFrame:
    """Communities of initiatives (Louvain modularity) in the graph of shared partners, needs and
    topics; with ``similarity``, pairs whose embeddings' cosine is at least that are linked too.

    One row per initiative: ``community`` (0 is the largest), ``size``, ``title`` and ``owner``.
    Initiatives linked to no other form communities of their own.
    """
    _number(resolution, "resolution", low=0.0, above=True)
    _number(similarity, "similarity", low=-1.0, high=1.0, none=True)
    _whole(max_degree, "max_degree", none=True)
    g = nx.Graph()
    nodes = {n.id: n for n in store.iter_nodes(Label.INITIATIVE)}
    g.add_nodes_from(sorted(nodes))
    for (a, b), w in initiative_links(store, via=via, max_degree=max_degree).items():
        g.add_edge(a, b, weight=float(w))
    if similarity is not None and nodes:
        ids = sorted(nodes)
        v = embedding_matrix(store, ids)
        if v.size:
            sims = np.triu(v @ v.T, k=1)
            for a, b in zip(*np.nonzero(sims >= similarity), strict=True):
                prev = g[ids[a]][ids[b]]["weight"] if g.has_edge(ids[a], ids[b]) else 0.0
                g.add_edge(ids[a], ids[b], weight=prev + 1.0)
    found = nx.community.louvain_communities(g, weight="weight", resolution=resolution, seed=seed)
    found = sorted(found, key=lambda c: (-len(c), min(c)))
    owner = {e.src: e.dst for e in store.iter_edges(Rel.OWNED_BY)}
    rows = [{"id": i, "community": k, "size": len(c), "title": nodes[i].title, "owner": owner.get(i)}
            for k, c in enumerate(found) for i in sorted(c)]
    return pd.DataFrame(rows, columns=["id", "community", "size", "title", "owner"])


# --- focus-area coverage --------------------------------------------------------------------------


def coverage(store: GraphStore) -> pd.DataFrame:
    """Initiatives per focus area per start year, split into small (``improvement``) and ``radical``.

    One row per (focus area, year) with ``initiatives``, ``improvement``, ``radical`` and
    ``unknown_scale``. An initiative supporting two focus areas counts in both; one with no start
    date is left out.
    """
    fa = _names(store, Label.FOCUS_AREA)
    starts = {n.id: (n.props.get("start_date"), n.props.get("scale")) for n in store.iter_nodes(Label.INITIATIVE)}
    counts: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    for e in store.iter_edges(Rel.SUPPORTS):
        if e.src not in starts or e.dst not in fa:
            continue
        start, scale = starts[e.src]
        if start is None:
            continue
        year = start.year if hasattr(start, "year") else int(str(start)[:4])
        c = counts[(e.dst, year)]
        c["initiatives"] += 1
        c[scale if scale in ("improvement", "radical") else "unknown_scale"] += 1
    rows = [{"focus_area": f, "name": fa[f], "year": y, "initiatives": c["initiatives"],
             "improvement": c["improvement"], "radical": c["radical"], "unknown_scale": c["unknown_scale"]}
            for (f, y), c in sorted(counts.items())]
    return pd.DataFrame(rows, columns=["focus_area", "name", "year", "initiatives", "improvement", "radical",
                                       "unknown_scale"])


def coverage_summary(store: GraphStore, *, since: int | str | dt.date | None = None) -> pd.DataFrame:
    """Per focus area (from the year ``since`` on: a year, or a date as ``frames`` takes it, whose year
    counts): initiatives, small and radical ones, the share of small ones, the needs that support it and
    how many of them an initiative addresses — where many small initiatives add up, and where there
    are few."""
    cov = coverage(store)
    if since is not None:
        if isinstance(since, str) and since.isdigit():  # "2021" as well as 2021
            since = int(since)
        year = since if isinstance(since, int) and not isinstance(since, bool) else \
            (as_date(since, "since") or dt.date.min).year
        cov = cov[cov["year"] >= year]
    fa = _names(store, Label.FOCUS_AREA)
    initiatives = {n.id for n in store.iter_nodes(Label.INITIATIVE)}
    need_ids = {n.id for n in store.iter_nodes(Label.NEED)}
    addressed = {e.dst for e in store.iter_edges(Rel.ADDRESSES) if e.src in initiatives}
    needs: dict[str, set[str]] = defaultdict(set)
    for e in store.iter_edges(Rel.SUPPORTS):
        if e.dst in fa and e.src in need_ids:
            needs[e.dst].add(e.src)
    totals = cov.groupby("focus_area")[["initiatives", "improvement", "radical"]].sum()
    rows = []
    for f in sorted(fa):
        t = totals.loc[f] if f in totals.index else pd.Series({"initiatives": 0, "improvement": 0, "radical": 0})
        n = int(t["initiatives"])
        rows.append({"focus_area": f, "name": fa[f], "initiatives": n, "improvement": int(t["improvement"]),
                     "radical": int(t["radical"]), "small_share": (t["improvement"] / n) if n else float("nan"),
                     "needs": len(needs[f]), "needs_addressed": len(needs[f] & addressed)})
    columns = ["focus_area", "name", "initiatives", "improvement", "radical", "small_share", "needs",
               "needs_addressed"]
    return pd.DataFrame(rows, columns=columns).sort_values(["initiatives", "focus_area"], ascending=[False, True]
                                                           ).reset_index(drop=True)


# --- needs and focus areas ------------------------------------------------------------------------


# Ideas that are not demand of their own: a merged one repeats another, a hidden one is kept out of sight, a
# declined one was answered.
NOT_DEMAND = frozenset({"merged", "hidden", "declined"})


def unaddressed_needs(store: GraphStore, *, counting: Callable[[Node], bool] | None = None) -> pd.DataFrame:
    """Needs that no initiative addresses, with ``ideas`` (how many ideas address them: demand with
    no answer yet; merged, hidden and declined ideas are not counted), ``owner`` and ``focus_areas``.
    ``counting`` decides which initiatives count (all by default; ``lambda n: n.props.get("status") !=
    "stopped"`` ignores stopped ones)."""
    labels = {n.id: n for n in store.iter_nodes(Label.INITIATIVE)} | {n.id: n for n in store.iter_nodes(Label.IDEA)}
    addressed: set[str] = set()
    ideas: Counter[str] = Counter()
    for e in store.iter_edges(Rel.ADDRESSES):
        src = labels.get(e.src)
        if src is None:
            continue
        if src.label == Label.IDEA:
            if src.props.get("status") not in NOT_DEMAND:
                ideas[e.dst] += 1
        elif counting is None or counting(src):
            addressed.add(e.dst)
    owner = {e.src: e.dst for e in store.iter_edges(Rel.OWNED_BY)}
    fas: dict[str, list[str]] = defaultdict(list)
    for e in store.iter_edges(Rel.SUPPORTS):
        fas[e.src].append(e.dst)
    rows = [{"id": n.id, "title": n.title, "owner": owner.get(n.id), "focus_areas": sorted(fas[n.id]),
             "ideas": ideas[n.id]} for n in sorted(store.iter_nodes(Label.NEED), key=lambda n: n.id)
            if n.id not in addressed]
    return pd.DataFrame(rows, columns=["id", "title", "owner", "focus_areas", "ideas"])


def suggest_focus_areas(store: GraphStore, *, k: int = 2, only_missing: bool = True,
                        min_score: float | None = None, initiatives: Iterable[str] | None = None) -> pd.DataFrame:
    """Focus areas for initiatives, from the cosine between the initiative's embedding and each focus
    area's (name and description). With ``only_missing`` only initiatives that support no focus area
    are considered. One row per suggestion: ``id``, ``title``, ``rank``, ``focus_area``, ``name``,
    ``score``; the top ``k`` per initiative with at least ``min_score``."""
    _whole(k, "k")
    _number(min_score, "min_score", low=-1.0, high=1.0, none=True)
    fa_ids = sorted(n.id for n in store.iter_nodes(Label.FOCUS_AREA))
    titles = {n.id: n.title for n in store.iter_nodes(Label.INITIATIVE)}
    wanted = sorted(titles) if initiatives is None else filter_values(initiatives, "initiatives")
    unknown = [i for i in wanted if i not in titles]
    if unknown:
        raise ValueError(f"initiatives: no initiative with the id {', '.join(map(repr, unknown))}")
    if only_missing:
        has = {e.src for e in store.iter_edges(Rel.SUPPORTS)}
        wanted = [i for i in wanted if i not in has]
    columns = ["id", "title", "rank", "focus_area", "name", "score"]
    fv, iv = embedding_matrix(store, fa_ids), embedding_matrix(store, wanted)
    if not fa_ids or not wanted or fv.size == 0 or iv.size == 0:
        return pd.DataFrame([], columns=columns)
    scores = iv @ fv.T
    fa_names = _names(store, Label.FOCUS_AREA)
    rows = []
    for r, i in enumerate(wanted):
        if not np.any(iv[r]):
            continue
        order = sorted(range(len(fa_ids)), key=lambda c: (-scores[r, c], fa_ids[c]))[:k]
        for rank, c in enumerate(order, 1):
            if min_score is None or scores[r, c] >= min_score:
                rows.append({"id": i, "title": titles[i], "rank": rank, "focus_area": fa_ids[c],
                             "name": fa_names[fa_ids[c]], "score": float(scores[r, c])})
    return pd.DataFrame(rows, columns=columns)


def suggest_focus_areas_reference(store: GraphStore, initiative: str, *, k: int = 2) -> list[tuple[str, float]]:
    """Slow, obviously correct suggestion for one initiative: cosine with each focus area in turn."""
    node = store.get(initiative)
    if node is None or node.embedding is None:
        return []
    scored = []
    for fa in store.iter_nodes(Label.FOCUS_AREA):
        full = store.get(fa.id)
        if full is None or full.embedding is None:
            continue
        a, b = node.embedding, full.embedding
        scored.append((fa.id, float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))))
    return sorted(scored, key=lambda t: (-t[1], t[0]))[:k]
