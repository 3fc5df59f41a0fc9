"""The reference methods `kominn eval` scores next to KomInn on the same queries."""

from __future__ import annotations

from ingest.testing import HashingEmbedder
from recommend.evaluation import EvalResult, format_table
from recommend.references import (
    T1_CHAR,
    T1_DENSE,
    T1_SUM,
    T3_COPARTNERS,
    T3_POPULAR,
    T3_SIMILAR,
    T3_SUM,
    T3_TOPIC,
    PartnerReferences,
    t1_references,
)


def _project(pid: str, title: str, topic: str) -> dict[str, str]:
    return {"project_id": pid, "title": title, "topic_code": topic, "topic_description": ""}


CORPUS = [_project("p1", "solar panels on school roofs", "A"), _project("p2", "solar roof heating", "A"),
          _project("p3", "ocean fish farming", "B"), _project("p4", "salmon fish farming", "B")]
MEMBERS = {"p1": ["coord", "x", "y"], "p2": ["coord", "x"], "p3": ["z", "w"], "p4": ["z", "y"]}
PARTICIPANTS = {p: [{"organisation_id": o} for o in orgs] for p, orgs in MEMBERS.items()}


def test_partner_references_rank_every_organisation_but_the_coordinator_by_their_own_evidence() -> None:
    """Each T3 reference puts its own evidence first (co-partners, topic, similar projects), then every
    other corpus organisation by popularity; the coordinator is never proposed to itself."""
    refs = PartnerReferences(CORPUS, PARTICIPANTS, similar=2)
    query = _project("q", "solar panels for roofs", "A")
    ranked = refs.rank(query, "coord")
    assert set(ranked) == {T3_POPULAR, T3_TOPIC, T3_COPARTNERS, T3_SIMILAR, T3_SUM}
    for order in ranked.values():
        assert sorted(order) == ["w", "x", "y", "z"]  # all of them once, coordinator left out
    assert ranked[T3_COPARTNERS][:2] == ["x", "y"]  # two shared projects, then one
    assert ranked[T3_TOPIC][:2] == ["x", "y"]  # topic A's organisations
    assert ranked[T3_SIMILAR][0] == "x"  # in both solar projects
    assert ranked[T3_SUM][:2] == ["x", "y"]
    assert ranked[T3_POPULAR][-1] == "w"  # in one project only


def test_partner_references_for_an_unknown_coordinator_fall_back_to_similar_projects() -> None:
    """A coordinator with no corpus projects has no co-partners: that reference is popularity order,
    and the sum is the similar projects' partners."""
    refs = PartnerReferences(CORPUS, PARTICIPANTS, similar=2)
    ranked = refs.rank(_project("q", "fish farming at sea", "B"), "newcomer")
    assert ranked[T3_COPARTNERS] == ranked[T3_POPULAR]
    assert ranked[T3_SUM][0] == "z" and ranked[T3_SIMILAR][0] == "z"


def test_t1_references_return_only_reports_of_other_ministries() -> None:
    """The T1 references rank reports of other ministries only, never the query itself, with character
    TF-IDF putting the near-identical report first."""
    rows = [{"id": "1", "ministry": "KD", "title": "Reiseregning på papir", "problem_description": "Skjema"},
            {"id": "2", "ministry": "FIN", "title": "Reiseregning på papir og skjema", "problem_description": ""},
            {"id": "3", "ministry": "FIN", "title": "Lønnssystem", "problem_description": "Manuell lønn"},
            {"id": "4", "ministry": "KD", "title": "Reiseregning", "problem_description": "papir"}]
    ranked = t1_references(rows, HashingEmbedder(), k=10)(rows[0])
    assert set(ranked) == {T1_CHAR, T1_DENSE, T1_SUM}
    for order in ranked.values():
        assert set(order) == {"2", "3"}
    assert ranked[T1_CHAR][0] == "2"


def test_the_table_shows_each_reference_with_its_published_figure_and_kominns_multiple() -> None:
    """The eval table gives each reference's score in this run, its published figure, KomInn's score as a
    multiple of it, and KomInn scaled by the published figure as a rough guide."""
    result = EvalResult("t1", {"ndcg@10": 0.5}, 10, 0, 1.0, {"p50": 1.0, "p95": 2.0},
                        references={T1_CHAR: {"ndcg@10": 0.4}})
    table = format_table(result)
    line = next(x for x in table.splitlines() if x.startswith(T1_CHAR))
    assert "0.400" in line and "0.380" in line and "1.25x" in line
    assert "ndcg@10 0.475" in table  # 0.5 * 0.380 / 0.4
    assert "TF-IDF words" in table  # published figures without a reference in this run are listed too
