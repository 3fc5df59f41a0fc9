"""A person's data: `kominn person find|erase` and `kominn retention`, on real stores and ingested files."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import Result

from graph.embedded import EmbeddedGraphStore
from graph.schema import Label
from ingest.pipeline import ingest
from ingest.testing import HashingEmbedder
from service.items import create_item
from service.personal import (
    LINKED,
    Done,
    apply_retention,
    erase_person,
    find_person,
    parse_days,
    parse_statuses,
    plan_erase,
    plan_retention,
)

TODAY = dt.date(2025, 6, 1)

ORGANISATIONS = "id,name,kind\norg-test,Testvik kommune,municipality\n"
INITIATIVES = (
    "id,title,description,status,owner,topics,contact\n"
    "ini-1,Biogass av matavfall,Matavfall blir biogass,completed,org-test,biogass,Kari Nordmann <kari@testvik.no>\n"
    "ini-2,Digitalt tilsyn,Sensorer om natten,ongoing,org-test,,Per Hansen\n"
)


def _idea(idea_id: str, *, created: dt.date | None = None, status: str | None = None,
          contact: str | None = None, title: str | None = None, **more: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"id": idea_id, "title": title or f"Forslag {idea_id}", "text": "Et forslag til kommunen",
                           "submitter_kind": "citizen"}
    if created is not None:
        row["created"] = created.isoformat()
    if status is not None:
        row["status"] = status
    if contact is not None:
        row["contact"] = contact
    return {**row, **more}


def _write(folder: Path, ideas: list[dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "organisations.csv").write_text(ORGANISATIONS, encoding="utf-8")
    (folder / "initiatives.csv").write_text(INITIATIVES, encoding="utf-8")
    (folder / "ideas.jsonl").write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in ideas) + "\n",
                                        encoding="utf-8")
    return folder


def _kari_ideas(today: dt.date) -> list[dict[str, Any]]:
    """Kari's ideas (one merged into another of hers), one of hers another person's idea is merged into, and an
    idea about Kari that is not hers."""
    return [
        _idea("idea-k1", created=today, contact="KARI@testvik.no"),
        _idea("idea-k2", created=today, status="merged", contact="kari@TESTVIK.no", duplicate_of="idea-k1"),
        _idea("idea-k3", created=today, status="reviewing", contact="  Kari Nordmann  "),
        _idea("idea-o1", created=today, status="merged", contact="ola@example.no", duplicate_of="idea-k3"),
        _idea("idea-about", created=today, title="Kari sitt forslag", text="Kari@testvik.no skrev dette",
              contact="per@example.no"),
    ]


def _retention_ideas(today: dt.date) -> list[dict[str, Any]]:
    """Old and recent ideas of several statuses, one without a created date, one old declined idea that a recent
    merged idea still points to."""
    old, older, recent = today - dt.timedelta(days=400), today - dt.timedelta(days=800), today - dt.timedelta(days=30)
    return [
        _idea("idea-old-declined", created=old, status="declined", contact="a@example.no"),
        _idea("idea-old-merged", created=old, status="merged", duplicate_of="idea-old-target"),
        _idea("idea-old-target", created=old, status="declined"),
        _idea("idea-old-new", created=older, status="new", contact="b@example.no"),
        _idea("idea-older-reviewing", created=old, status="reviewing", contact="c@example.no"),
        _idea("idea-recent-declined", created=recent, status="declined", contact="d@example.no"),
        _idea("idea-undated", status="declined", contact="e@example.no"),
        _idea("idea-kept", created=older, status="declined", contact="f@example.no"),
        _idea("idea-recent-merged", created=recent, status="merged", duplicate_of="idea-kept"),
    ]


def _snapshot(store: EmbeddedGraphStore) -> tuple[dict, set]:
    nodes = {n.id: (n.label, n.props, n.text_hash) for n in store.iter_nodes()}
    edges = {(e.src, e.rel, e.dst, tuple(sorted(e.props.items()))) for e in store.iter_edges()}
    return nodes, edges


@pytest.fixture
def kari(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> Path:
    folder = _write(tmp_path / "kari", _kari_ideas(TODAY))
    assert ingest(store, fake_embedder, [folder]).complete
    return folder


# --- finding ------------------------------------------------------------------------------------------------


def test_find_matches_contact_details_without_case_and_only_them(store: EmbeddedGraphStore, kari: Path) -> None:
    """A search for part of someone's contact details finds their ideas and initiatives whatever the case and the
    surrounding spaces, and never an item that only mentions them in its title or text."""
    found = find_person(store, "  kari@TESTVIK ")
    assert [(i.label, i.id) for i in found.items] == [(Label.IDEA, "idea-k1"), (Label.IDEA, "idea-k2"),
                                                      (Label.INITIATIVE, "ini-1")]
    assert found.total == 3 and found.complete
    by_name = find_person(store, "kari   nordmann")
    assert {i.id for i in by_name.items} == {"idea-k3", "ini-1"}
    k1 = next(i for i in found.items if i.id == "idea-k1")
    assert k1.as_dict() == {"label": "idea", "id": "idea-k1", "status": "new", "created": "2025-06-01",
                            "title": "Forslag idea-k1", "contact": "KARI@testvik.no"}


def test_find_refuses_a_text_too_short_to_name_one_person(store: EmbeddedGraphStore, kari: Path) -> None:
    """A text of fewer than three characters (after trimming) is refused, so that a search cannot list everyone."""
    with pytest.raises(ValueError, match="at least 3 characters"):
        find_person(store, " ka ")
    assert len(find_person(store, "kar").items) == 4


def test_find_counts_all_matches_and_keeps_a_bounded_number(store: EmbeddedGraphStore, kari: Path) -> None:
    """When more items match than a search keeps, all are counted and the answer says it is not complete."""
    found = find_person(store, "example.no", limit=1)
    assert found.total == 2 and len(found.items) == 1 and not found.complete


# --- erasing ------------------------------------------------------------------------------------------------


def test_erasing_deletes_the_persons_ideas_and_only_the_contact_of_initiatives(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, kari: Path) -> None:
    """Erasing someone deletes their ideas (also one merged into another of theirs), removes just the contact from
    their initiative (its text, embedding and links stay), leaves their idea that someone else's idea is merged
    into with the reason but without the contact, and an ingest of the same files brings back neither the deleted
    ideas nor the erased contacts."""
    before = store.get("ini-1")
    edges_before = {e.key for e in store.iter_edges() if "ini-1" in (e.src, e.dst)}
    done = erase_person(store, plan_erase(store, "kari"))
    assert sorted(i.id for i in done.deleted) == ["idea-k1", "idea-k2"]
    assert [i.id for i in done.cleared] == ["ini-1", "idea-k3"]
    assert [(i.id, "idea-o1" in why) for i, why in done.left] == [("idea-k3", True)] and not done.complete
    assert done.summary() == "deleted 2 ideas, cleared contact on 2, left 1 (linked from others)"
    assert "contact" not in store.get("idea-k3").props  # type: ignore[union-attr]
    after = store.get("ini-1")
    assert after is not None and before is not None
    assert after.props == {k: v for k, v in before.props.items() if k != "contact"}
    assert after.text_hash == before.text_hash and np.array_equal(after.embedding, before.embedding)
    assert {e.key for e in store.iter_edges() if "ini-1" in (e.src, e.dst)} == edges_before
    assert store.get("idea-k1") is None and store.get("idea-k3") is not None and store.get("idea-about") is not None

    summary = ingest(store, fake_embedder, [kari], recheck=True)
    assert summary.erased == 2
    assert store.get("idea-k1") is None and store.get("idea-k2") is None
    assert find_person(store, "kari").items == []  # the erased contacts are left out of the rows again
    left_out = [(p.row, p.field) for p in summary.warning_list if p.message.startswith("left out: an admin erased")]
    assert left_out == [(2, "contact"), (3, "contact")]  # ini-1 in initiatives.csv, idea-k3 in ideas.jsonl
    # a new contact in the source is someone's new consent, not the erased one: it is read
    ideas = kari / "ideas.jsonl"
    ideas.write_text(ideas.read_text(encoding="utf-8").replace("  Kari Nordmann  ", "kontor@testvik.no"),
                     encoding="utf-8")
    ingest(store, fake_embedder, [kari])
    assert store.get("idea-k3").props["contact"] == "kontor@testvik.no"  # type: ignore[union-attr]


def test_a_contact_changed_after_planning_is_not_cleared(store: EmbeddedGraphStore, kari: Path) -> None:
    """If an initiative's contact is changed between planning and erasing, the new contact is kept and the
    initiative is reported as left."""
    plan = plan_erase(store, "kari nordmann")
    node = store.get("ini-1")
    assert node is not None
    node.props["contact"] = "Ny kontakt"
    store.upsert([node])
    done = erase_person(store, plan)
    assert store.get("ini-1").props["contact"] == "Ny kontakt"  # type: ignore[union-attr]
    assert {i.id for i, _ in done.left} == {"idea-k3", "ini-1"} and [i.id for i in done.cleared] == ["idea-k3"]
    assert done.summary() == "deleted 0 ideas, cleared contact on 1, left 2 (1 linked from others, 1 changed meanwhile)"


# --- retention ----------------------------------------------------------------------------------------------


@pytest.fixture
def aged(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> Path:
    folder = _write(tmp_path / "aged", _retention_ideas(TODAY))
    assert ingest(store, fake_embedder, [folder]).complete
    return folder


def test_retention_deletes_only_old_ideas_of_the_given_statuses(store: EmbeddedGraphStore, aged: Path) -> None:
    """Only ideas older than the limit whose status is one of those given are deleted (an idea merged into another
    due one first, so both go); a due idea another idea still points to is left and named; an idea without a
    created date is counted, never deleted."""
    plan = plan_retention(store, older_than_days=365, today=TODAY)
    assert sorted(i.id for i in plan.delete) == ["idea-kept", "idea-old-declined", "idea-old-merged",
                                                 "idea-old-target"]
    assert plan.clear == [] and plan.undated == 1 and plan.delete_before == dt.date(2024, 6, 1)
    done = apply_retention(store, plan)
    assert sorted(i.id for i in done.deleted) == ["idea-old-declined", "idea-old-merged", "idea-old-target"]
    assert [(i.id, "idea-recent-merged" in why) for i, why in done.left] == [("idea-kept", True)]
    assert done.summary() == "deleted 3 ideas, cleared contact on 0, left 1 (linked from others)"
    assert {n.id for n in store.iter_nodes(Label.IDEA)} == {"idea-old-new", "idea-older-reviewing",
                                                           "idea-recent-declined", "idea-undated", "idea-kept",
                                                           "idea-recent-merged"}
    only_new = plan_retention(store, older_than_days=365, statuses=["new"], today=TODAY)
    assert [i.id for i in only_new.delete] == ["idea-old-new"] and only_new.undated == 0


def test_retention_clears_old_contact_details_of_any_status(store: EmbeddedGraphStore, aged: Path) -> None:
    """With a contact limit, old ideas of any status lose their contact and keep everything else; an old idea that
    is due for deletion but is left because another points to it still loses its contact."""
    before = store.get("idea-old-new")
    plan = plan_retention(store, older_than_days=365, clear_contact_days=365, today=TODAY)
    assert sorted(i.id for i in plan.clear) == ["idea-old-new", "idea-older-reviewing"]
    assert plan.undated == 1
    done = apply_retention(store, plan)
    assert sorted(i.id for i in done.cleared) == ["idea-kept", "idea-old-new", "idea-older-reviewing"]
    after = store.get("idea-old-new")
    assert before is not None and after is not None and "contact" not in after.props
    assert after.props == {k: v for k, v in before.props.items() if k != "contact"}
    assert store.get("idea-recent-declined").props["contact"] == "d@example.no"  # type: ignore[union-attr]
    assert store.get("idea-undated").props["contact"] == "e@example.no"  # type: ignore[union-attr]


def test_retention_does_at_most_its_limit_oldest_first(store: EmbeddedGraphStore, aged: Path) -> None:
    """A run makes a bounded number of changes, the oldest ideas first, and counts what is left for the next."""
    plan = plan_retention(store, older_than_days=365, today=TODAY, limit=1)
    assert [i.id for i in plan.delete] == ["idea-kept"] and plan.more_due == 3


def test_durations_and_statuses_are_checked_and_name_the_option() -> None:
    """Durations are whole positive days up to 36500 written like 365d, statuses are idea statuses; a wrong one
    is refused naming the option and the value."""
    assert parse_days(" 30D ", "--x") == 30 and parse_days("36500d", "--x") == 36500
    for bad in ("365", "0d", "-5d", "12m", "36501d", "d", "1.5d", "１d"):
        with pytest.raises(ValueError, match=f"--x: '{bad}'"):
            parse_days(bad, "--x")
    assert parse_statuses("declined,declined, merged", "--status") == ("declined", "merged")
    with pytest.raises(ValueError, match="--status: 'rejected' is not an idea status"):
        parse_statuses("declined,rejected", "--status")
    with pytest.raises(ValueError, match="--status: name at least one"):
        parse_statuses(" , ", "--status")


# --- what a plan says will be left -----------------------------------------------------------------------


def _outcome(done: Done) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """What was (or will be) deleted and cleared, by id, and what left, with the reason."""
    return (sorted(i.id for i in done.deleted), sorted(i.id for i in done.cleared),
            [(i.id, why) for i, why in done.left])


def _merge_late(store: EmbeddedGraphStore, embedder: HashingEmbedder, into: str) -> None:
    """Someone merges a new idea into ``into``, as happens between planning and the real run."""
    create_item(store, embedder, "ideas", {"id": "idea-late", "title": "Sent forslag", "text": "Det samme igjen",
                                           "submitter_kind": "citizen", "status": "merged", "duplicate_of": into})


def test_an_erasure_plan_names_the_idea_it_will_leave_and_why(store: EmbeddedGraphStore, kari: Path) -> None:
    """Planning an erasure says that the person's idea another person's idea is merged into will be left, names
    that idea and the kind of link, does not count it among the deletions, and counts its contact as cleared."""
    plan = plan_erase(store, "kari")
    assert {item_id: why.short() for item_id, why in plan.left.items()} == {
        "idea-k3": "linked from idea-o1 (merged into it)"}
    expected = plan.expected()
    assert _outcome(expected) == (["idea-k1", "idea-k2"], ["idea-k3", "ini-1"],
                                  [("idea-k3", LINKED + "linked from idea-o1 (merged into it)")])
    assert expected.summary(planned=True) == "would delete 2 ideas, clear contact on 2, leave 1 (linked from others)"


def test_erasing_does_what_its_plan_said(store: EmbeddedGraphStore, kari: Path) -> None:
    """The real erasure deletes, clears and leaves exactly the items its plan listed, with the same reasons."""
    plan = plan_erase(store, "kari")
    done = erase_person(store, plan)
    assert _outcome(done) == _outcome(plan.expected()) and done.summary() == plan.expected().summary()


def test_a_retention_plan_names_the_ideas_it_will_leave_and_the_run_matches(
        store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path) -> None:
    """A retention plan lists each due idea that will be left with the idea that links to it (also when that idea
    is due but left itself, and not when it is deleted first, even through a chain of merges), counts a due
    contact on it as still cleared, and the run then deletes, clears and leaves exactly those."""
    old, recent = TODAY - dt.timedelta(days=800), TODAY - dt.timedelta(days=30)
    chain = [_idea("idea-chain-a", created=old, status="declined", contact="g@example.no"),
             _idea("idea-chain-b", created=old, status="merged", duplicate_of="idea-chain-a"),
             _idea("idea-chain-c", created=recent, status="merged", duplicate_of="idea-chain-b"),
             _idea("idea-gone-a", created=old, status="declined"),
             _idea("idea-gone-b", created=old, status="merged", duplicate_of="idea-gone-a"),
             _idea("idea-gone-c", created=old, status="merged", duplicate_of="idea-gone-b")]
    assert ingest(store, fake_embedder, [_write(tmp_path / "aged", _retention_ideas(TODAY) + chain)]).complete
    plan = plan_retention(store, older_than_days=365, clear_contact_days=365, today=TODAY)
    assert {item_id: why.short() for item_id, why in plan.left.items()} == {
        "idea-chain-a": "linked from idea-chain-b (merged into it)",
        "idea-chain-b": "linked from idea-chain-c (merged into it)",
        "idea-kept": "linked from idea-recent-merged (merged into it)"}
    expected = plan.expected()
    assert _outcome(expected)[:2] == (["idea-gone-a", "idea-gone-b", "idea-gone-c", "idea-old-declined",
                                       "idea-old-merged", "idea-old-target"],
                                      ["idea-chain-a", "idea-kept", "idea-old-new", "idea-older-reviewing"])
    assert expected.summary(planned=True) == "would delete 6 ideas, clear contact on 4, leave 3 (linked from others)"
    done = apply_retention(store, plan)
    assert _outcome(done) == _outcome(expected) and done.summary() == expected.summary()
    assert all(store.get(i) is not None for i in plan.left)


def test_an_idea_linked_after_planning_is_still_left(store: EmbeddedGraphStore, fake_embedder: HashingEmbedder,
                                                     kari: Path) -> None:
    """If someone merges an idea into one of the person's ideas after the plan was made, erasing leaves that idea,
    named with the new link, instead of breaking the merge, and still removes the person's contact from it."""
    plan = plan_erase(store, "kari")
    assert "idea-k1" not in plan.left
    _merge_late(store, fake_embedder, "idea-k1")
    done = erase_person(store, plan)
    assert [(i.id, why) for i, why in done.left] == [("idea-k1", LINKED + "linked from idea-late (merged into it)"),
                                                     ("idea-k3", LINKED + "linked from idea-o1 (merged into it)")]
    assert [i.id for i in done.deleted] == ["idea-k2"] and not done.complete
    k1 = store.get("idea-k1")
    assert k1 is not None and "contact" not in k1.props


def test_a_retention_run_leaves_an_idea_linked_after_planning(store: EmbeddedGraphStore,
                                                             fake_embedder: HashingEmbedder, aged: Path) -> None:
    """A due idea that someone merges another idea into after retention was planned is left, with that link."""
    plan = plan_retention(store, older_than_days=365, today=TODAY)
    assert set(plan.left) == {"idea-kept"}
    _merge_late(store, fake_embedder, "idea-old-declined")
    done = apply_retention(store, plan)
    assert {i.id for i, _ in done.left} == {"idea-kept", "idea-old-declined"}
    assert done.summary() == "deleted 2 ideas, cleared contact on 0, left 2 (linked from others)"
    assert store.get("idea-old-declined") is not None


# --- the commands -------------------------------------------------------------------------------------------


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., Result]:
    """Run `kominn` with a private data folder and the hashing embedder (no model to load)."""
    from typer.testing import CliRunner

    from service.cli import app
    from service.settings import Settings

    monkeypatch.setattr(Settings, "build_embedder", lambda self: HashingEmbedder())
    runner = CliRunner()
    return lambda *args: runner.invoke(app, [*map(str, args), "--data-dir", str(tmp_path / "data")])


def _open(tmp_path: Path) -> EmbeddedGraphStore:
    return EmbeddedGraphStore(tmp_path / "data" / "kominn.sqlite")


def test_cli_person_find_lists_the_items_and_counts_them(cli: Callable[..., Result], tmp_path: Path) -> None:
    """`kominn person find` prints one line per item (label, id, status, created, title, contact) after a count,
    says so when nothing matches, prints one JSON object with --json, and refuses a short text with exit code 2."""
    assert cli("ingest", _write(tmp_path / "in", _kari_ideas(TODAY))).exit_code == 0
    result = cli("person", "find", "Kari@testvik")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "3 items with contact details containing 'Kari@testvik':"
    assert lines[1].split() == ["idea", "idea-k1", "new", "2025-06-01", "Forslag", "idea-k1", "contact:",
                                "KARI@testvik.no"]
    assert lines[3].split()[:4] == ["initiative", "ini-1", "completed", "-"] and "Kari Nordmann" in lines[3]
    none = cli("person", "find", "nobody@x")
    assert none.exit_code == 0 and none.output.strip() == "no item has contact details containing 'nobody@x'"
    as_json = json.loads(cli("person", "find", "kari@testvik", "--json").output)
    assert as_json["total"] == 3 and [i["id"] for i in as_json["items"]] == ["idea-k1", "idea-k2", "ini-1"]
    assert as_json["items"][2] == {"label": "initiative", "id": "ini-1", "status": "completed", "created": None,
                                   "title": "Biogass av matavfall", "contact": "Kari Nordmann <kari@testvik.no>"}
    short = cli("person", "find", " a ")
    assert short.exit_code == 2 and "at least 3 characters" in short.output


def test_cli_person_erase_lists_first_and_changes_only_with_yes(cli: Callable[..., Result], tmp_path: Path) -> None:
    """Without --yes, `kominn person erase` lists what it would do and changes nothing; --yes on a text that matches
    differently written contacts stops and lists them unless --several is given; then it says per item what it
    did, names the idea it left and why, and exits 3 because not everything was erased."""
    folder = _write(tmp_path / "in", _kari_ideas(TODAY))
    assert cli("ingest", folder).exit_code == 0
    with _open(tmp_path) as s:
        before = _snapshot(s)
    dry = cli("person", "erase", "kari")
    assert dry.exit_code == 0, dry.output
    assert "would delete idea idea-k1" in dry.output
    assert "would clear the contact of initiative ini-1" in dry.output
    assert "Nothing was changed." in dry.output
    # the three ways "kari" is written are pointed out, and the command it suggests is one that will go ahead
    assert "'kari' matches 3 different contact details; check" in dry.output
    assert dry.output.rstrip().endswith("kominn person erase kari --yes --several")
    one = cli("person", "erase", "ola@example")  # one person's contact: --yes alone will do
    assert one.exit_code == 0 and one.output.rstrip().endswith("kominn person erase ola@example --yes"), one.output
    assert "would delete idea idea-k3" not in dry.output and "will be left: idea idea-k3" in dry.output
    with _open(tmp_path) as s:
        assert _snapshot(s) == before
    assert cli("person", "erase", "ka", "--yes").exit_code == 2
    # "kari" matches contacts written three ways: --yes alone stops and lists them, --several goes ahead
    broad = cli("person", "erase", "kari", "--yes")
    assert broad.exit_code == 2 and "'kari' matches 3 different contact details:" in broad.output
    assert "kari@testvik.no" in broad.output and "add --several" in broad.output
    with _open(tmp_path) as s:
        assert _snapshot(s) == before

    done = cli("person", "erase", "kari", "--yes", "--several")
    assert done.exit_code == 3, done.output
    assert "deleted idea idea-k1  new  2025-06-01  Forslag idea-k1" in done.output
    assert "cleared the contact of initiative ini-1  completed  Biogass av matavfall" in done.output
    assert "left idea idea-k3  reviewing  2025-06-01  Forslag idea-k3: linked from idea-o1 (merged into it)" \
        in done.output
    assert done.output.splitlines()[-1] == "erased: deleted 2 ideas, cleared contact on 2, left 1 (linked from " \
                                           "others)"
    again = cli("ingest", "--recheck", folder)
    assert again.exit_code == 0 and "erased ideas left out 2" in again.output
    assert "idea-k1" not in cli("person", "find", "kari").output


def test_cli_retention_dry_run_then_done_with_a_summary_line(cli: Callable[..., Result], tmp_path: Path) -> None:
    """`kominn retention` lists what is due without changing anything, then with --yes does it and ends with one
    summary line; it reports the ideas without a created date and exits 3 when an idea had to be left, 0 when
    everything due was done."""
    today = dt.date.today()
    assert cli("ingest", _write(tmp_path / "in", _retention_ideas(today))).exit_code == 0
    with _open(tmp_path) as s:
        before = _snapshot(s)
    dry = cli("retention", "--clear-contact-older-than", "730d")
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0].startswith(f"Retention on {today}: ideas created before {today - dt.timedelta(days=365)} "
                               "with status declined or merged are deleted; contact details of ideas created "
                               f"before {today - dt.timedelta(days=730)} are removed")
    assert "would delete idea idea-old-declined" in dry.output
    assert "would clear the contact of idea idea-old-new" in dry.output
    assert "1 idea has no created date and will be left" in lines
    assert lines[-1] == ("Nothing was changed (add --yes to do it): would delete 3 ideas, clear contact on 2, leave "
                         "1 (linked from others)")
    with _open(tmp_path) as s:
        assert _snapshot(s) == before

    done = cli("retention", "--clear-contact-older-than", "730d", "--yes")
    assert done.exit_code == 3, done.output
    assert "deleted idea idea-old-merged" in done.output and "left idea idea-kept" in done.output
    assert "1 idea has no created date and was left" in done.output.splitlines()
    assert done.output.splitlines()[-1] == "deleted 3 ideas, cleared contact on 2, left 1 (linked from others)"
    clean = cli("retention", "--status", "declined", "--yes")
    assert clean.exit_code == 3 and clean.output.splitlines()[-1].startswith("deleted 0 ideas")
    nothing = cli("retention", "--status", "adopted", "--yes")
    assert nothing.exit_code == 0, nothing.output
    assert nothing.output.splitlines()[-1] == "deleted 0 ideas, cleared contact on 0, left 0"


def _said(result: Result, verb: str) -> dict[str, str]:
    """The ideas a command's lines give with ``verb`` (such as "would delete" or "will be left:"), by id, each with
    the reason it gives ("linked from ..."), or ""."""
    said = {}
    for line in result.output.splitlines():
        if line.startswith(f"{verb} idea "):
            reason = re.search(r"linked from [^;]*", line)
            said[line.split()[len(verb.split()) + 1]] = reason.group(0) if reason else ""
    return said


def test_cli_erase_dry_run_names_what_will_be_left_and_the_run_matches(cli: Callable[..., Result],
                                                                       tmp_path: Path) -> None:
    """The list `kominn person erase` prints without --yes gives an idea that will be left on a line of its own,
    with the idea that links to it, the kind of link and that its contact is still cleared, counts it as left,
    not deleted, in its last line; --yes then deletes and leaves exactly those, for the same reason."""
    assert cli("ingest", _write(tmp_path / "in", _kari_ideas(TODAY))).exit_code == 0
    dry = cli("person", "erase", "kari")
    assert dry.exit_code == 0, dry.output
    assert ("will be left: idea idea-k3  reviewing  2025-06-01  Forslag idea-k3: linked from idea-o1 (merged into "
            "it); its contact (Kari Nordmann) will still be cleared") in dry.output.splitlines()
    assert set(_said(dry, "would delete")) == {"idea-k1", "idea-k2"}
    assert dry.output.splitlines()[-1] == ("Nothing was changed. With --yes this would delete 2 ideas, clear contact "
                                           "on 2, leave 1 (linked from others); to do it, run: kominn person erase "
                                           "kari --yes --several")
    done = cli("person", "erase", "kari", "--yes", "--several")
    assert done.exit_code == 3, done.output
    assert set(_said(done, "deleted")) == set(_said(dry, "would delete"))
    assert _said(done, "left") == _said(dry, "will be left:") == {"idea-k3": "linked from idea-o1 (merged into it)"}


def test_cli_retention_dry_run_names_what_will_be_left_and_the_run_matches(cli: Callable[..., Result],
                                                                           tmp_path: Path) -> None:
    """The list `kominn retention` prints without --yes gives a due idea that will be left with the idea that
    links to it and whether its contact is still cleared; --yes then deletes and leaves exactly those."""
    assert cli("ingest", _write(tmp_path / "in", _retention_ideas(dt.date.today()))).exit_code == 0
    dry = cli("retention")
    assert dry.exit_code == 0, dry.output
    assert ("will be left: idea idea-kept  declined  " in dry.output
            and ": linked from idea-recent-merged (merged into it); nothing on it changes" in dry.output)
    cleared = cli("retention", "--clear-contact-older-than", "730d")
    assert "(merged into it); its contact will still be cleared" in cleared.output
    done = cli("retention", "--yes")
    assert done.exit_code == 3, done.output
    assert set(_said(done, "deleted")) == set(_said(dry, "would delete")) == {
        "idea-old-declined", "idea-old-merged", "idea-old-target"}
    assert _said(done, "left") == _said(dry, "will be left:") == {
        "idea-kept": "linked from idea-recent-merged (merged into it)"}


def test_cli_erase_reports_an_idea_linked_after_the_plan_as_left(cli: Callable[..., Result], tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """When an idea is merged into one of the person's ideas between the plan and the changes, `kominn person
    erase --yes` leaves that idea, names the new link and exits 3."""
    import service.personal

    assert cli("ingest", _write(tmp_path / "in", _kari_ideas(TODAY))).exit_code == 0
    plan_erase = service.personal.plan_erase

    def plan_then_merge(store: EmbeddedGraphStore, text: str) -> service.personal.ErasePlan:
        plan = plan_erase(store, text)
        _merge_late(store, HashingEmbedder(), "idea-k1")
        return plan

    monkeypatch.setattr(service.personal, "plan_erase", plan_then_merge)
    done = cli("person", "erase", "kari@testvik", "--yes", "--several")
    assert done.exit_code == 3, done.output
    assert _said(done, "left") == {"idea-k1": "linked from idea-late (merged into it)"}
    assert done.output.splitlines()[-1] == "erased: deleted 1 idea, cleared contact on 2, left 1 (linked from others)"


@pytest.mark.parametrize(("args", "message"), [
    (["--ideas-older-than", "12m"], "--ideas-older-than: '12m' is not a number of days"),
    (["--ideas-older-than", "0d"], "--ideas-older-than: '0d'"),
    (["--clear-contact-older-than", "99999d"], "--clear-contact-older-than: '99999d'"),
    (["--status", "declined,gone"], "--status: 'gone' is not an idea status"),
])
def test_cli_retention_refuses_a_wrong_option_by_name(cli: Callable[..., Result], tmp_path: Path,
                                                     args: list[str], message: str) -> None:
    """A wrong duration or status ends `kominn retention` with exit code 2 and a message naming the option."""
    assert cli("ingest", _write(tmp_path / "in", _retention_ideas(TODAY))).exit_code == 0
    result = cli("retention", *args, "--yes")
    assert result.exit_code == 2 and message in result.output, result.output


# --- any store ----------------------------------------------------------------------------------------------


@pytest.mark.conformance
def test_finding_and_erasing_work_alike_on_the_neo4j_store(arcadedb: Any, fake_embedder: HashingEmbedder,
                                                          tmp_path: Path) -> None:
    """On the Neo4j adapter (a real Bolt server), finding and erasing a person give what they give on the embedded
    store: the scan goes through the store protocol only, and clearing a contact keeps the embedding."""
    import uuid

    from graph.neo4j_store import Neo4jGraphStore

    database = f"t{uuid.uuid4().hex[:12]}"
    arcadedb.create_database(database)
    gs = Neo4jGraphStore.from_uri(arcadedb.bolt_uri, arcadedb.user, arcadedb.password, database=database,
                                  batch_size=2, arcadedb_http=arcadedb.http_url)
    gs.open()
    try:
        assert ingest(gs, fake_embedder, [_write(tmp_path / "kari", _kari_ideas(TODAY))]).complete
        assert [i.id for i in find_person(gs, "KARI@testvik").items] == ["idea-k1", "idea-k2", "ini-1"]
        before = gs.get("ini-1")
        done = erase_person(gs, plan_erase(gs, "kari"))
        assert done.summary() == "deleted 2 ideas, cleared contact on 2, left 1 (linked from others)"
        after = gs.get("ini-1")
        assert before is not None and after is not None and "contact" not in after.props
        assert before.embedding is not None and np.allclose(after.embedding, before.embedding)
        assert gs.get("idea-k1") is None and gs.get("idea-k3") is not None
    finally:
        gs.close()
        arcadedb.drop_database(database)
