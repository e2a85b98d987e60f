"""The catalog end to end, with real PyTorch, TensorFlow and MkDocs: the three starter features
in detail, and every feature's quick run and equivalence.

One quick build of the whole catalog in a copy of the repository is shared by the tests of this
module (and by the browser tests).
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from generator import store
from generator.discover import discover
from generator.environment import current_machine
from generator.model import Status
from generator.run import RunOptions, run_features

pytestmark = pytest.mark.slow
STARTERS = ("autodiff", "graph-compilation", "training-loop")


def fieldguide(project, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "generator", *args],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_build_produces_the_starter_pages(built_site):
    project, proc = built_site
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for section, feature in (
        ("core", "autodiff"),
        ("performance", "graph-compilation"),
        ("training", "training-loop"),
    ):
        html = (project.site / "features" / section / feature / "index.html").read_text()
        # Both content tabs, with the code of each side.
        assert ">PyTorch</label>" in html and ">TensorFlow</label>" in html
        assert "torch" in html and "tensorflow" in html
        # The equivalence verdict and the numbers table.
        assert "Same result? Yes" in html
        for row in (
            "Time to first result",
            "Import",
            "Loading the snippet module",
            "Setup",
            "First call",
            "Steady state, per call",
            "Memory after import (RSS)",
            "Memory the snippet adds",
            "Code size",
        ):
            assert f"<td>{row}" in html, f"{feature}: no '{row}' row"
        assert "Modules imported in each phase (first process): PyTorch: import " in html
        assert "What this does not show" in html
        assert f'src="../{feature}.svg#only-light"' in html
        assert f'src="../{feature}-dark.svg#only-dark"' in html
        for name in (f"{feature}.svg", f"{feature}-dark.svg"):
            assert (project.site / "features" / section / name).is_file()
    home = (project.site / "index.html").read_text()
    assert 'href="features/core/autodiff/"' in home
    assert "No results rendered yet" not in home


def test_every_starter_result_is_ok_and_equivalent(built_site):
    project, _ = built_site
    results = store.Store(project.results, current_machine().machine_id)
    for feature in STARTERS:
        for framework in ("pytorch", "tensorflow"):
            result = results.load(feature, framework)
            assert result.status is Status.OK, result.message
            assert result.protocol.mode == "quick"
            assert result.framework_info["intra_op_threads"] == result.protocol.threads
            assert result.framework_info["inter_op_threads"] == 1
            (process,) = result.processes
            assert process.import_s > 0.1  # a real framework import, in a fresh process
            assert len(process.samples) == result.protocol.samples


def test_every_catalog_feature_runs_and_both_sides_agree(built_site):
    """The whole catalog in quick mode: every snippet, variants included, ran (or its side is
    declared unsupported), and each pair's outputs agree within the feature's tolerance, or the
    feature declares why they cannot be compared."""
    from generator import compare
    from generator.outputs import Agreement

    project, _ = built_site
    results = store.Store(project.results, current_machine().machine_id)
    failures = []
    for feature in discover(project.snippets):
        loaded = {key: results.load(feature.id, key) for key in feature.keys}
        for key, result in loaded.items():
            declared = feature.framework_of(key) in feature.unsupported
            wanted = Status.UNSUPPORTED if declared else Status.OK
            if result is None or result.status is not wanted:
                failures.append(f"{feature.id} {key}: {result and result.message}")
        for key in ("pytorch", *(v.key for v in feature.variants)):
            pair, keys = compare.standing_in(feature, key, loaded)
            verdict = compare.equivalence(feature, pair["pytorch"], pair["tensorflow"])
            expected = Agreement.MATCH
            if feature.unsupported:  # one side has no result to compare
                expected = Agreement.NOT_AVAILABLE
            elif feature.comparison.none_reason:
                expected = Agreement.NOT_COMPARED
            if verdict.verdict is not expected:
                failures.append(f"{feature.id} {' vs '.join(keys)}: {verdict.detail}")
    assert not failures, "\n".join(failures)


def test_compile_time_is_kept_apart_from_steady_state(built_site):
    project, _ = built_site
    results = store.Store(project.results, current_machine().machine_id)
    for framework in ("pytorch", "tensorflow"):
        (process,) = results.load("graph-compilation", framework).processes
        assert process.first_call_s > 5 * max(process.samples)
        assert process.metrics == {"retraces": 0.0}


def test_rerun_with_nothing_changed_executes_nothing_then_one_edit_reruns_one(built_site):
    project, _ = built_site
    features = discover(project.snippets)
    quick = RunOptions(mode="quick")
    results = store.Store(project.results, current_machine().machine_id)
    assert not any(o.executed for o in run_features(features, quick, results))
    snippet = project.snippets / "autodiff" / "with_pytorch.py"
    snippet.write_text(snippet.read_text() + "\n# an edit\n")
    executed = [
        (o.result.feature, o.result.framework)
        for o in run_features(discover(project.snippets), quick, results)
        if o.executed
    ]
    assert executed == [("autodiff", "pytorch")]


def test_check_passes_on_the_starters(built_site):
    project, _ = built_site
    proc = fieldguide(project, "check", "autodiff")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All checks passed." in proc.stderr


@pytest.mark.parametrize("feature", ["autodiff", "training-loop"])
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow"])
def test_snippet_runs_on_its_own(feature, framework):
    """The contract: `python snippets/<id>/with_<framework>.py` prints its result."""
    from .conftest import ROOT

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "snippets" / feature / f"with_{framework}.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip()


def test_rendering_real_results_twice_changes_nothing(built_site):
    from generator.commands import render

    project, _ = built_site
    render(project)
    assert render(project) == []
