"""`fieldguide results import` and `list`: results made by a real run on "another machine" (the
same runner, with another machine id) merged into a project's results, and what is refused."""

from __future__ import annotations

import dataclasses
import json
import shutil
import tarfile

import pytest

from generator import collect, store
from generator import run as running
from generator.discover import discover
from generator.environment import current_machine
from generator.peaks import FrameworkPeaks, PeakRecord, Phase
from generator.provenance import Provenance
from generator.run import RunOptions, run_features

from .conftest import feature_files
from .fakes import FAKES

OTHER_ID = "lab-laptop-8c-32g-1a2b3c4d"


@pytest.fixture
def elsewhere(make_project, monkeypatch, tmp_path):
    """A project measured here, and the same project measured on another machine into a
    separate results folder (as a contributor's checkout or a CI runner would)."""
    project = make_project({**feature_files("one"), **feature_files("two")})
    features = discover(project.snippets)
    here = store.Store(project.results, current_machine().machine_id)
    run_features(features, RunOptions(mode="quick"), here, frameworks=FAKES)
    other = dataclasses.replace(current_machine(), machine_id=OTHER_ID, cpu_model="Lab laptop CPU")
    monkeypatch.setattr(running, "current_machine", lambda: other)
    outside = tmp_path / "contributor" / "results"
    run_features(
        features, RunOptions(mode="quick"), store.Store(outside, OTHER_ID), frameworks=FAKES
    )
    monkeypatch.undo()
    monkeypatch.chdir(project.root)
    return project, features, outside


def snapshot_bytes(folder):
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_another_machines_results_import_into_their_own_folder_and_nothing_else(elsewhere):
    project, features, outside = elsewhere
    own = project.results / current_machine().machine_id
    before = snapshot_bytes(own)
    report = collect.collect([outside], project.results, features)
    assert report.refused == []
    assert report.count(collect.Action.ADDED) == 4
    assert {folder for folder, _, _ in report.done} == {OTHER_ID}
    assert snapshot_bytes(own) == before  # this machine's results untouched
    imported = store.Store(project.results, OTHER_ID).load("one", "pytorch")
    assert imported is not None and imported.machine.cpu_model == "Lab laptop CPU"
    again = collect.collect([outside], project.results, features)
    assert again.count(collect.Action.UNCHANGED) == 4 and again.refused == []


def test_an_archive_imports_the_same_as_its_folder(elsewhere, tmp_path):
    project, features, outside = elsewhere
    archive = tmp_path / "results.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(outside, arcname="results")
    report = collect.collect([archive], project.results, features)
    assert report.refused == [] and report.count(collect.Action.ADDED) == 4


def test_a_tampered_result_is_refused_and_the_rest_imported(elsewhere):
    project, features, outside = elsewhere
    path = outside / OTHER_ID / "one" / "pytorch.json"
    data = json.loads(path.read_text())
    data["processes"][0]["samples"][0] /= 2  # a faster number than was measured
    path.write_text(json.dumps(data))
    report = collect.collect([outside], project.results, features)
    assert report.refused == [
        f"{path}: key 'digest': the file's content does not match it, so it was changed after "
        "fieldguide wrote it. Take the file again from where it was measured, or run "
        "`fieldguide run --force one` to measure again."
    ]
    assert report.count(collect.Action.ADDED) == 3
    assert not (project.results / OTHER_ID / "one" / "pytorch.json").exists()


def test_a_result_of_another_version_of_the_snippet_is_refused(elsewhere):
    project, _, outside = elsewhere
    snippet = project.snippets / "two" / "with_tensorflow.py"
    snippet.write_text(snippet.read_text() + "\n# changed after the contributor measured\n")
    report = collect.collect([outside], project.results, discover(project.snippets))
    (refused,) = report.refused
    assert refused.startswith(
        f"{outside / OTHER_ID / 'two' / 'tensorflow.json'}: key 'cache_key': it was measured "
        "from other files than the repository's snippets/two/"
    )
    assert "`fieldguide run two` on that machine" in refused


def test_unknown_feature_bad_schema_and_wrong_folder_are_refused_with_the_reason(elsewhere):
    project, features, outside = elsewhere
    only_one = [f for f in features if f.id == "one"]
    report = collect.collect([outside / OTHER_ID / "two"], project.results, only_one)
    assert len(report.refused) == 2
    assert "key 'feature': 'two' is not a feature of this repository" in report.refused[0]
    moved = outside / "intel-xeon-2c-24g-0952d4b3" / "one"
    moved.mkdir(parents=True)
    shutil.move(outside / OTHER_ID / "one" / "pytorch.json", moved / "pytorch.json")
    report = collect.collect([moved], project.results, features)
    assert report.refused == [
        f"{moved / 'pytorch.json'}: it says it was measured on '{OTHER_ID}' but lies in the "
        "folder 'intel-xeon-2c-24g-0952d4b3'. Results of one machine never go into another's "
        "folder: put it back where it was written, or take it from the machine that measured it."
    ]
    old = outside / OTHER_ID / "one" / "tensorflow.json"
    data = json.loads(old.read_text())
    data["schema_version"] = 1
    old.write_text(json.dumps(data))
    (refused,) = collect.collect([old], project.results, features).refused
    assert "key 'schema_version': expected 3, found 1" in refused


def test_a_newer_result_replaces_an_older_one_never_the_reverse(elsewhere):
    project, features, outside = elsewhere
    collect.collect([outside], project.results, features)
    path = outside / OTHER_ID / "one" / "pytorch.json"
    newer = store.decode(json.loads(path.read_text()), path, "one")
    newer = dataclasses.replace(newer, created="2999-01-01T00:00:00+00:00")
    store.write_json(path, store.encode(newer))
    report = collect.collect([path], project.results, features)
    assert report.done == [(OTHER_ID, "one/pytorch.json", collect.Action.REPLACED)]
    older = dataclasses.replace(newer, created="2000-01-01T00:00:00+00:00")
    store.write_json(path, store.encode(older))
    report = collect.collect([path], project.results, features)
    assert report.done == [(OTHER_ID, "one/pytorch.json", collect.Action.KEPT_NEWER)]
    kept = store.Store(project.results, OTHER_ID).load("one", "pytorch")
    assert kept is not None and kept.created.startswith("2999")


def test_peak_records_import_beside_their_machines_results(elsewhere):
    project, features, outside = elsewhere
    phase = Phase("ok", values={"gemm_fp32_gflops": 100.0, "copy_gbs": 20.0})
    record = PeakRecord("20261203T000000Z", {"pytorch": FrameworkPeaks.judge(phase, phase)})
    store.Store(outside, OTHER_ID).save_peaks(record)
    report = collect.collect([outside], project.results, features)
    assert (OTHER_ID, "peaks/20261203T000000Z.json", collect.Action.ADDED) in report.done
    loaded = store.Store(project.results, OTHER_ID).load_all_peaks({})
    assert list(loaded) == ["20261203T000000Z"]
    lone = outside / "stray.json"
    shutil.copy(outside / OTHER_ID / "peaks" / "20261203T000000Z.json", lone)
    (refused,) = collect.collect([lone], project.results, features).refused
    assert refused == (
        f"{lone}: a peak record must lie in <machine-id>/peaks/ to say whose it is. Import the "
        "machine's whole results folder."
    )


def test_the_listing_says_what_each_machine_holds_and_what_is_stale(elsewhere):
    project, features, outside = elsewhere
    collect.collect([outside], project.results, features)
    snippet = project.snippets / "one" / "with_pytorch.py"
    snippet.write_text(snippet.read_text() + "\n# edited, not re-run\n")
    features = discover(project.snippets)
    snapshot = store.load_snapshot(project.results, features)
    reference = frozenset({current_machine().machine_id})
    rows = collect.listing(snapshot, Provenance(reference, snapshot, {f.id: f for f in features}))
    by = {(r.folder, r.feature): r for r in rows}
    assert set(by) == {
        (current_machine().machine_id, "one"),
        (current_machine().machine_id, "two"),
        (OTHER_ID, "one"),
        (OTHER_ID, "two"),
    }
    here_one = by[current_machine().machine_id, "one"]
    assert (here_one.snippets, here_one.stale, here_one.modes) == (2, 1, ("quick",))
    assert here_one.verified  # a reference machine: verified even when stale
    assert by[OTHER_ID, "two"].verified  # the reference machine measured the same snippets
    assert not by[OTHER_ID, "one"].verified  # its stale pytorch result verifies nothing
    assert by[OTHER_ID, "one"].stale == 1


def test_republishing_an_edition_carries_over_the_machines_this_checkout_lacks(elsewhere):
    """The benchmark workflow published an edition with another runner's results; a later
    publication of the same edition from a checkout without them keeps them."""
    import subprocess

    from generator import commands, editions

    project, features, outside = elsewhere
    theirs = store.Store(outside, OTHER_ID).load_machine(features)
    data = editions.Edition("tf9.9-pt9.9", {}, "abc", "2026-12-03", {OTHER_ID: theirs.results})
    root = project.root

    def git(*args):
        subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)

    git("init", "-q", "-b", "gh-pages")
    git("config", "user.name", "t")
    git("config", "user.email", "t@example.invalid")
    target = root / "edition" / "tf9.9-pt9.9" / "features" / editions.DATA_FILE
    target.parent.mkdir(parents=True)
    target.write_bytes(data.encode())
    # The branch holds the editions at its root, as mike writes them.
    git("--work-tree", str(root / "edition"), "add", "-A", ".")
    git("--work-tree", str(root / "edition"), "commit", "-qm", "published")
    own = project.results / current_machine().machine_id
    before = snapshot_bytes(own)
    carried = commands._carry_over(project, features, "tf9.9-pt9.9", "gh-pages")
    assert carried == [OTHER_ID]
    assert store.Store(project.results, OTHER_ID).load("two", "tensorflow") is not None
    assert snapshot_bytes(own) == before
    assert commands._carry_over(project, features, "tf9.9-pt9.9", "gh-pages") == []
    assert commands._carry_over(project, features, "never-published", "gh-pages") == []


def test_imported_results_appear_on_the_pages_they_belong_to(elsewhere):
    from generator import commands
    from generator.discover import discover_all

    project, features, outside = elsewhere
    (project.results / "reference-machines.yml").write_text(
        f"reference:\n  - {current_machine().machine_id}\n"
    )
    key = current_machine().machine_id
    alone, _ = commands._pages(project, discover_all(project.snippets), key)
    assert not any("unverified" in alone[f.page_path].decode() for f in features)
    collect.collect([outside], project.results, features)
    # The reference machine never measured "one": the laptop's "one" is its word alone.
    shutil.rmtree(project.results / key / "one")
    files, unreadable = commands._pages(project, discover_all(project.snippets), key)
    assert unreadable == []
    for feature in features:
        page = files[feature.page_path].decode()
        assert "## On each machine" in page and "Lab laptop CPU" in page, feature.id
        # Verified where the reference machine measured the same snippets ("two").
        assert ("**unverified**:" in page) == (feature.id == "one"), feature.id
    assert "Lab laptop CPU" in files["hardware.md"].decode()
    assert "Lab laptop CPU" in files["_scoreboard.md"].decode()
