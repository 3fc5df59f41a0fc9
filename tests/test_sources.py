"""Ingest sources: what --sync compares with, named sources, moved files, and forgetting a source."""

from __future__ import annotations

import json
import shutil
from dataclasses import asdict
from pathlib import Path

import pytest

from graph.copy import copy_graph
from graph.embedded import EmbeddedGraphStore
from graph.errors import NotFoundError, ValidationError
from ingest.pipeline import ingest
from ingest.sources import close_keys, forget, list_sources, name_problem, plan_forget, source_key
from ingest.testing import HashingEmbedder

IDEAS = ["i-1,Benker,Flere benker langs turveien", "i-2,Lys,Mer lys i parken", "i-3,Sykkel,Sykkelstativ ved skolen"]


def _folder(path: Path, rows: list[str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "ideas.csv").write_text("id,title,text,submitter_kind\n" + "".join(f"{r},citizen\n" for r in rows),
                                    encoding="utf-8")
    return path


def _drop_row(folder: Path, idea_id: str) -> None:
    csv = folder / "ideas.csv"
    csv.write_text("".join(line for line in csv.read_text(encoding="utf-8").splitlines(keepends=True)
                           if not line.startswith(idea_id + ",")), encoding="utf-8")


def test_sync_of_moved_files_says_the_source_is_new_and_forgetting_the_old_one_lets_sync_retire(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """After the data folder moves, --sync from the new place retires nothing and says the source is new, naming
    the old place; once the old source is forgotten, a row removed at the new place is retired."""
    a = _folder(tmp_path / "a", IDEAS)
    assert not ingest(store, fake_embedder, [a], sync=True).new_source  # an empty store: nothing to say
    b = tmp_path / "b"
    shutil.copytree(a, b)
    shutil.rmtree(a)
    _drop_row(b, "i-3")
    moved = ingest(store, fake_embedder, [b], sync=True)
    old = source_key("files", [a])
    assert moved.new_source and moved.gone_sources == [old]
    assert moved.retired == 0 and store.get("i-3") is not None
    again = ingest(store, fake_embedder, [b], sync=True, recheck=True)
    assert not again.new_source and again.retired == 0  # the old source still claims i-3
    forgotten = forget(store, old)
    assert forgotten.unclaimed == ["i-3"]  # B never delivered it: no --sync will retire it
    assert old not in [s.key for s in list_sources(store)] and store.get_meta(f"ingest:members:{old}") is None
    assert store.get("i-1") is not None  # forgetting keeps the items
    _drop_row(b, "i-2")
    synced = ingest(store, fake_embedder, [b], sync=True)
    assert synced.retired == 1 and store.get("i-2") is None and store.get("i-1") is not None


def test_a_named_source_keeps_its_identity_across_folders(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """With the same --source NAME, --sync from another folder compares with what the first folder delivered
    and retires the row that is gone; the name's key is not one made from paths."""
    ingest(store, fake_embedder, [_folder(tmp_path / "a", IDEAS)], source="kommune")
    summary = ingest(store, fake_embedder, [_folder(tmp_path / "b", IDEAS[:2])], source=" kommune ", sync=True)
    assert not summary.new_source and summary.retired == 1 and store.get("i-3") is None
    (listed,) = list_sources(store)
    assert listed.key == "name:kommune" and listed.name == "kommune" and listed.format == "files"
    assert listed.paths == [str((tmp_path / "b").resolve())] and listed.items == 2 and listed.files_exist
    assert listed.last_run and listed.finished is True


def test_a_bad_source_name_is_refused_naming_the_option(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """An empty, over-long or multi-line --source is refused before anything is read, naming --source."""
    folder = _folder(tmp_path / "a", IDEAS)
    for name, message in [("  ", "must not be empty"), ("x" * 101, "has at most 100 characters, not 101"),
                          ("a\nb", "must not contain control characters (it has a line break)"),
                          ("a\x07b", "must not contain control characters (it has U+0007)")]:
        with pytest.raises(ValidationError) as err:
            ingest(store, fake_embedder, [folder], source=name)
        assert f"--source: a source name {message}" in str(err.value), name
    assert store.count_nodes() == 0
    assert name_problem("x" * 100) is None and name_problem("Kommune – CRM") is None


def test_forgetting_an_unknown_source_is_refused_with_close_keys(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A KEY that names no source raises NotFoundError and changes nothing; a folder's path or a near miss finds
    the keys it may have meant."""
    a = _folder(tmp_path / "a", IDEAS)
    ingest(store, fake_embedder, [a])
    before = store.get_meta("ingest:sources")
    with pytest.raises(NotFoundError):
        plan_forget(store, "files:/nowhere")
    assert store.get_meta("ingest:sources") == before
    key = source_key("files", [a])
    assert close_keys(store, str(a.resolve())) == [key]
    assert close_keys(store, key[:-1] + "x") == [key]
    assert close_keys(store, "something else entirely") == []


def test_sources_of_a_store_from_before_names_were_kept_are_read_from_their_keys(
    store: EmbeddedGraphStore, tmp_path: Path
) -> None:
    """A source recorded before runs kept their paths (only a key and members) is still listed with its format,
    its paths (also one with a comma in it) and which of them are gone."""
    there = tmp_path / "a,b"
    there.mkdir()
    key = f"cordis:{there},{tmp_path / 'gone'}"
    store.set_meta("ingest:sources", json.dumps([key]))
    store.set_meta(f"ingest:members:{key}", json.dumps(["x", "y"]))
    (listed,) = list_sources(store)
    assert listed.format == "cordis" and listed.paths == [str(there), str(tmp_path / "gone")]
    assert listed.missing == [str(tmp_path / "gone")] and listed.files_exist is False
    assert listed.items == 2 and listed.last_run is None and listed.finished is None



def test_a_copied_store_keeps_each_sources_last_run_so_the_same_files_are_not_read_again(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, demo_dir: Path, tmp_path: Path
) -> None:
    """A copy lists the same sources as its original (items, format, paths, last run), and ingesting the same
    files under the same --source name into it reads and writes nothing, as in the original."""
    first = ingest(store, fake_embedder, [demo_dir], source="demo", sync=True)
    assert first.created > 0 and not first.problems
    with EmbeddedGraphStore(tmp_path / "copy.sqlite") as copied:
        copy_graph(store, copied, batch_size=50)
        (listed,) = list_sources(copied)
        assert list_sources(copied) == list_sources(store)
        assert listed.key == "name:demo" and listed.items > 0 and listed.last_run and listed.finished is True
        revision = copied.revision()
        again = ingest(copied, fake_embedder, [demo_dir], source="demo", sync=True)
        assert again.files_unchanged and (again.read, again.created, again.updated, again.embedded) == (0, 0, 0, 0)
        assert copied.revision() == revision  # not a node or edge written
        there = ingest(store, fake_embedder, [demo_dir], source="demo", sync=True)
        assert {**asdict(again), "seconds": 0} == {**asdict(there), "seconds": 0}


def test_a_copy_takes_no_run_of_the_destinations_for_a_source_of_the_original(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """Where the original has no last run for a source (a store from before runs were kept) and the destination
    has one for the same key, the copy drops the destination's: it lists the source as the original does."""
    folder = _folder(tmp_path / "a", IDEAS)
    key = source_key("files", [folder])
    store.set_meta("ingest:sources", json.dumps([key]))
    store.set_meta(f"ingest:members:{key}", json.dumps(["i-1"]))
    with EmbeddedGraphStore(tmp_path / "copy.sqlite") as copied:
        ingest(copied, fake_embedder, [folder])
        copy_graph(store, copied)
        assert list_sources(copied) == list_sources(store)
        assert copied.get_meta(f"ingest:state:{key}") is None
        assert ingest(copied, fake_embedder, [folder]).read == 3  # no last run: every row is read again


def test_a_setting_that_is_not_json_is_listed_as_unknown_but_stops_an_ingest(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """A source's state or member list that is not JSON is listed as not recorded (and can be forgotten), while
    ingest raises ValueError on it before writing anything, rather than guess what the source delivered."""
    folder = _folder(tmp_path / "a", IDEAS)
    ingest(store, fake_embedder, [folder])
    key = source_key("files", [folder])
    nodes = store.count_nodes()
    store.set_meta(f"ingest:state:{key}", "{not json")
    store.set_meta(f"ingest:members:{key}", "")
    (listed,) = list_sources(store)
    assert (listed.items, listed.last_run, listed.finished) == (0, None, None)
    _drop_row(folder, "i-3")
    with pytest.raises(ValueError):
        ingest(store, fake_embedder, [folder], sync=True)
    assert store.count_nodes() == nodes and store.get("i-3") is not None
    assert forget(store, key).unclaimed == [] and list_sources(store) == []


def test_a_copy_into_a_store_with_sources_of_its_own_keeps_them_and_what_they_claim(
    store: EmbeddedGraphStore, fake_embedder: HashingEmbedder, tmp_path: Path
) -> None:
    """Copying a graph into a store that has its own source keeps that source listed after the original's, so a
    --sync of the original's source there still leaves the destination's items alone, and the ids the destination
    still had due stay due."""
    ours = _folder(tmp_path / "ours", IDEAS)
    ingest(store, fake_embedder, [ours], source="ours")
    theirs = _folder(tmp_path / "theirs", ["j-1,Benk,En benk til", "j-2,Lampe,En lampe til"])
    with EmbeddedGraphStore(tmp_path / "copy.sqlite") as dest:
        ingest(dest, fake_embedder, [theirs], source="theirs")
        dest.set_meta("ingest:pending", json.dumps(["j-2"]))
        store.set_meta("ingest:pending", json.dumps(["i-1"]))
        copy_graph(store, dest)
        assert [s.key for s in list_sources(dest)] == ["name:ours", "name:theirs"]
        assert json.loads(dest.get_meta("ingest:pending") or "[]") == ["i-1", "j-2"]
        _drop_row(ours, "i-3")
        synced = ingest(dest, fake_embedder, [ours], source="ours", sync=True)
        assert synced.retired == 1 and dest.get("i-3") is None
        assert dest.get("j-1") is not None and dest.get("j-2") is not None
