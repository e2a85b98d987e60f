"""The runner on stdlib-only fake snippets: statuses, caching, never losing a good result."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from generator import compare, outputs, store
from generator.discover import discover
from generator.environment import current_machine
from generator.errors import FieldGuideError
from generator.model import Status
from generator.run import RunOptions, run_features

from .conftest import FEATURE_YML, feature_files, inputs_feature_files
from .fakes import FAKES, fake

QUICK = RunOptions(mode="quick")


def results_of(project, device: str = "cpu") -> store.Store:
    return store.Store(project.results, store.results_key(current_machine().machine_id, device))


def run(project, options: RunOptions = QUICK, only=None, frameworks=FAKES):
    features = discover(project.snippets, only)
    outcomes = run_features(
        features, options, results_of(project, options.device), frameworks=frameworks
    )
    return {(o.result.feature, o.result.framework): o for o in outcomes}


def stored(project, feature="fake", framework="pytorch"):
    return results_of(project).load(feature, framework)


def test_ok_run_records_every_phase_and_the_output(make_project):
    project = make_project(
        inputs_feature_files(
            "fake",
            **{
                "with_pytorch.py": """\
        def setup(inputs):
            print("building the state")
            return [float(v) for v in inputs["x"]]


        def run(state):
            return {"sum": sum(state)}
        """
            },
        )
    )
    outcomes = run(project)
    result = outcomes["fake", "pytorch"].result
    assert outcomes["fake", "pytorch"].executed
    assert result.status is Status.OK
    (process,) = result.processes
    assert process.import_s > 0 and process.setup_s > 0 and process.first_call_s > 0
    assert process.load_s is not None and process.load_s > 0
    # Time to first result spans the whole process: interpreter start and every phase.
    phases = process.import_s + process.load_s + process.setup_s + process.first_call_s
    assert process.first_result_s is not None and process.first_result_s > phases
    assert process.import_rss_bytes is not None
    assert 0 < process.import_rss_bytes <= process.peak_rss_bytes
    assert set(process.modules) == {"import", "load", "setup", "first_call"}
    assert len(process.samples) == 3
    assert process.peak_rss_bytes > 1_000_000
    assert result.output_text == "building the state\n"
    assert result.output["sum"]["__array__"]["shape"] == []
    assert result.inputs_sha256 == outcomes["fake", "tensorflow"].result.inputs_sha256
    assert result.runtime["env"] == {
        "OMP_NUM_THREADS": str(result.protocol.threads),
        "MKL_NUM_THREADS": str(result.protocol.threads),
    }
    (feature,) = discover(project.snippets)
    pair = (result, outcomes["fake", "tensorflow"].result)
    assert compare.equivalence(feature, *pair).verdict == outputs.Agreement.MATCH
    # Nothing reads a stored comparison back, so none is written: it is recomputed.
    assert sorted(
        p.name for p in (project.results / result.machine.machine_id / "fake").iterdir()
    ) == ["pytorch.json", "tensorflow.json"]


BIG_SNIPPET = """\
import numpy as np


def setup(inputs):
    return np.random.default_rng(3).standard_normal((200, 100))


def run(state):
    return {"weights": state, "total": float(state.sum())}
"""


def test_a_large_returned_array_is_stored_as_a_sketch_and_a_version_2_file_still_reads(
    make_project,
):
    yml = FEATURE_YML.format(id="fake").replace("rtol: 1.0e-9", "rtol: 1.0e-6")
    project = make_project(
        feature_files(
            "fake",
            **{
                "feature.yml": yml,
                "with_pytorch.py": BIG_SNIPPET,
                "with_tensorflow.py": BIG_SNIPPET,
            },
        )
    )
    outcomes = run(project)
    path = results_of(project).path("fake", "pytorch")
    data = json.loads(path.read_text())
    assert set(data["output"]["weights"]) == {"__sketch__"}
    assert len(data["output"]["weights"]["__sketch__"]["sample"]) == outputs.SKETCH_SAMPLES
    assert set(data["output"]["total"]) == {"__array__"}
    (feature,) = discover(project.snippets)
    pair = (outcomes["fake", "pytorch"].result, outcomes["fake", "tensorflow"].result)
    check = compare.equivalence(feature, *pair)
    assert check.verdict == outputs.Agreement.MATCH and check.sampled
    # A version-2 file held the whole array; it is read, sketched as a run would store it,
    # and its cache key still holds (the file layout changed, not what was measured).
    whole = np.random.default_rng(3).standard_normal((200, 100))
    data["schema_version"] = 2
    data["output"]["weights"] = {
        "__array__": {"dtype": "float64", "shape": [200, 100], "data": whole.ravel().tolist()}
    }
    path.write_text(json.dumps(data))
    assert stored(project).output == outcomes["fake", "pytorch"].result.output
    assert not any(o.executed for o in run(project).values())


def test_what_loading_the_snippet_costs_is_timed_and_lands_in_no_other_phase(make_project):
    """A module-level import that takes long (torch._dynamo's took ~0.85 s) was in no phase."""
    slow_import = """\
        import time

        time.sleep(0.3)  # as an expensive import at the top of a snippet


        def setup(inputs):
            import http.server  # a module imported only by setup

            return [0.5, 0.75]


        def run(state):
            return {"sum": sum(state)}
        """
    project = make_project(feature_files("fake", **{"with_pytorch.py": slow_import}))
    (process,) = run(project)["fake", "pytorch"].result.processes
    assert process.load_s is not None and process.load_s >= 0.3
    assert process.setup_s < 0.3 and process.import_s < 0.3
    assert process.modules["setup"] >= 1  # http.server and what it imports


def test_result_file_is_versioned_sorted_and_ends_with_newline(make_project):
    project = make_project(feature_files("fake"))
    run(project)
    path = results_of(project).path("fake", "pytorch")
    text = path.read_text()
    data = json.loads(text)
    assert data["schema_version"] == store.SCHEMA_VERSION
    assert text.endswith("\n")
    assert list(data) == sorted(data)
    assert path.parent.parent.name == current_machine().machine_id


def test_second_run_with_nothing_changed_executes_nothing(make_project):
    project = make_project(feature_files("fake"))
    first = run(project)
    path = results_of(project).path("fake", "pytorch")
    before = path.read_bytes()
    second = run(project)
    assert all(o.executed for o in first.values())
    assert not any(o.executed for o in second.values())
    assert path.read_bytes() == before


def test_editing_one_snippet_reruns_only_that_snippet(make_project):
    project = make_project({**feature_files("one"), **feature_files("two")})
    run(project)
    snippet = project.snippets / "two" / "with_tensorflow.py"
    snippet.write_text(snippet.read_text() + "\n# edited\n")
    executed = {key for key, o in run(project).items() if o.executed}
    assert executed == {("two", "tensorflow")}


def test_editing_inputs_or_metadata_reruns_both_sides(make_project):
    project = make_project({**inputs_feature_files("one"), **feature_files("two")})
    run(project)
    inputs = project.snippets / "one" / "inputs.py"
    inputs.write_text(inputs.read_text().replace("SEED = 7", "SEED = 8"))
    executed = {key for key, o in run(project).items() if o.executed}
    assert executed == {("one", "pytorch"), ("one", "tensorflow")}


def test_editing_an_imported_helper_reruns_the_snippet(make_project):
    files = feature_files(
        "fake",
        **{
            "helpers.py": "SCALE = 2.0\n",
            "with_pytorch.py": """\
            from helpers import SCALE


            def setup(inputs):
                return [SCALE / 2, 0.25]


            def run(state):
                return {"sum": sum(state)}
            """,
        },
    )
    project = make_project(files)
    run(project)
    (project.snippets / "fake" / "helpers.py").write_text("SCALE = 2.0  # same value\n")
    executed = {key for key, o in run(project).items() if o.executed}
    assert executed == {("fake", "pytorch")}


def test_force_reruns_everything(make_project):
    project = make_project(feature_files("fake"))
    run(project)
    forced = run(project, RunOptions(mode="quick", force=True))
    assert all(o.executed for o in forced.values())


def test_failing_snippet_is_a_status_with_the_traceback_tail(make_project):
    project = make_project(
        feature_files(
            "fake",
            **{
                "with_pytorch.py": """\
        def setup(inputs):
            return inputs


        def run(state):
            raise ValueError("shapes (3,) and (4,) not aligned")
        """
            },
        )
    )
    outcomes = run(project)
    failed = outcomes["fake", "pytorch"].result
    assert failed.status is Status.FAILED
    assert failed.message.startswith(
        "The snippet raised ValueError: shapes (3,) and (4,) not aligned during first call at "
        'with_pytorch.py, line 6: raise ValueError("shapes (3,) and (4,) not aligned")\n'
        "Traceback (its end):\n"
    )
    assert failed.message.endswith("ValueError: shapes (3,) and (4,) not aligned")
    # No path of this machine reaches the page: the project, the virtualenv, the temp folder.
    assert str(project.root) not in failed.message and sys.prefix not in failed.message
    assert '"<project>/generator/child/harness.py"' in failed.message
    assert outcomes["fake", "tensorflow"].result.status is Status.OK


def test_timeout_kills_the_child_and_is_a_status(make_project):
    yml = FEATURE_YML.format(id="fake") + "timeout_s: 0.5\n"
    project = make_project(
        feature_files(
            "fake",
            **{
                "feature.yml": yml,
                "with_pytorch.py": """\
        import time


        def setup(inputs):
            return None


        def run(state):
            time.sleep(60)
        """,
            },
        )
    )
    result = run(project)["fake", "pytorch"].result
    assert result.status is Status.TIMEOUT
    assert result.message.startswith("Killed after 0.5 s (timeout_s in feature.yml) in first call.")


def test_child_that_dies_without_a_result_is_failed_with_its_output(make_project):
    project = make_project(
        feature_files(
            "fake",
            **{
                "with_pytorch.py": """\
        import os


        def setup(inputs):
            print("about to crash", flush=True)
            os._exit(3)


        def run(state):
            pass
        """
            },
        )
    )
    result = run(project)["fake", "pytorch"].result
    assert result.status is Status.FAILED
    assert result.message.startswith(
        "The child process exited with code 3 in setup, before writing a result. Last output:"
    )


def test_declared_unsupported_side_runs_no_process(make_project):
    yml = FEATURE_YML.format(id="fake") + "unsupported:\n  tensorflow: Only PyTorch has this.\n"
    files = feature_files("fake", **{"feature.yml": yml})
    del files["snippets/fake/with_tensorflow.py"]
    result = run(make_project(files))["fake", "tensorflow"].result
    assert result.status is Status.UNSUPPORTED
    assert result.message == "Only PyTorch has this."
    assert result.processes == ()


def test_missing_framework_is_skipped(make_project):
    project = make_project(feature_files("fake"))
    # TensorFlow as if not installed: its version comes from a distribution that does not exist.
    absent = {**FAKES, "tensorflow": fake("tensorflow", ("no-such-distribution",))}
    result = run(project, frameworks=absent)["fake", "tensorflow"].result
    assert result.status is Status.SKIPPED
    assert "TensorFlow is not installed" in result.message


def test_failed_rerun_keeps_the_last_good_result(make_project):
    project = make_project(feature_files("fake"))
    run(project)
    good = stored(project)
    (project.snippets / "fake" / "with_pytorch.py").write_text(
        "def setup(inputs):\n    return None\n\n\ndef run(state):\n    raise RuntimeError('x')\n"
    )
    run(project)
    results = results_of(project)
    assert results.load("fake", "pytorch").status is Status.FAILED
    assert results.load_last_ok("fake", "pytorch") == good


def test_declared_metric_must_be_reported(make_project):
    yml = FEATURE_YML.format(id="fake") + (
        "metrics:\n  - id: retraces\n    label: Retraces\n    unit: count\n    better: lower\n"
    )
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    result = run(project)["fake", "pytorch"].result
    assert result.status is Status.FAILED
    assert result.message == (
        "metrics(state) did not report retraces, declared under 'metrics' "
        "in feature.yml. Make the two agree."
    )


def test_snippet_metrics_are_stored_per_process(make_project):
    yml = FEATURE_YML.format(id="fake") + (
        "metrics:\n  - id: artifact_bytes\n    label: Artifact\n    unit: bytes\n"
        "    better: lower\n"
    )
    snippet = (
        "def setup(inputs):\n    return [1.0]\n\n\ndef run(state):\n    return 1.0\n\n\n"
        "def metrics(state):\n    return {'artifact_bytes': 2048}\n"
    )
    project = make_project(
        feature_files(
            "fake",
            **{"feature.yml": yml, "with_pytorch.py": snippet, "with_tensorflow.py": snippet},
        )
    )
    result = run(project)["fake", "pytorch"].result
    assert result.status is Status.OK
    assert result.processes[0].metrics == {"artifact_bytes": 2048.0}


@pytest.mark.slow  # the default protocol's warm-up and samples take seconds by design
def test_default_mode_runs_several_processes_alternating(make_project):
    project = make_project(feature_files("fake"))
    result = run(project, RunOptions(mode="default"))["fake", "pytorch"].result
    assert (result.protocol.processes, result.protocol.samples) == (20, 3)
    assert len(result.processes) == 20
    assert all(len(p.samples) == 3 for p in result.processes)


def test_result_of_another_schema_version_is_refused_with_the_fix(make_project):
    project = make_project(feature_files("fake"))
    run(project)
    path = results_of(project).path("fake", "pytorch")
    data = json.loads(path.read_text())
    data["schema_version"] = 0
    path.write_text(json.dumps(data))
    with pytest.raises(FieldGuideError) as info:
        run(project)
    assert str(info.value) == (
        f"{path}: key 'schema_version': expected {store.SCHEMA_VERSION}, found 0. This file was "
        "written by another version of fieldguide. Run `fieldguide run --force fake` to measure "
        "again with this version."
    )
    forced = run(project, RunOptions(mode="quick", force=True))
    assert forced["fake", "pytorch"].result.status is Status.OK


def test_measure_once_times_only_the_first_call(make_project):
    yml = FEATURE_YML.format(id="fake") + "measure: once\n"
    project = make_project(feature_files("fake", **{"feature.yml": yml}))
    (process,) = run(project)["fake", "pytorch"].result.processes
    assert process.first_call_s > 0
    assert (process.samples, process.warmup_calls, process.loops) == ((), 0, 0)


def test_artifacts_go_to_workdir_and_their_size_is_a_metric(make_project):
    yml = FEATURE_YML.format(id="fake").replace("rtol: 1.0e-9", "rtol: 0") + (
        "metrics:\n  - id: artifact_bytes\n    label: Saved file\n    unit: bytes\n"
        "    better: lower\n"
    )
    snippet = """\
        from pathlib import Path


        def setup(inputs, workdir):
            return {"path": Path(workdir) / "model.bin", "x": inputs["x"]}


        def run(state):
            state["path"].write_bytes(state["x"].tobytes())
            return float(state["x"].sum())


        def metrics(state):
            return {"artifact_bytes": state["path"].stat().st_size}
        """
    project = make_project(
        inputs_feature_files(
            "fake",
            **{"feature.yml": yml, "with_pytorch.py": snippet, "with_tensorflow.py": snippet},
        )
    )
    result = run(project)["fake", "pytorch"].result
    assert result.status is Status.OK, result.message
    assert result.processes[0].metrics == {"artifact_bytes": 64 * 8.0}


def test_worker_processes_peak_memory_is_recorded(make_project):
    snippet = """\
        import subprocess
        import sys


        def setup(inputs):
            return None


        def run(state):
            code = "import time; x = bytearray(50 * 2**20); time.sleep(0.5)"
            return float(subprocess.run([sys.executable, "-c", code], check=True).returncode)
        """
    project = make_project(
        feature_files("fake", **{"with_pytorch.py": snippet, "with_tensorflow.py": snippet})
    )
    (process,) = run(project)["fake", "pytorch"].result.processes
    assert process.children_peak_rss_bytes > 50 * 2**20


def test_a_short_helper_of_a_large_process_is_not_a_worker(make_project):
    """A fork+exec'd helper (TensorFlow's import runs `uname -p`) was counted with its parent's
    memory at the fork, so every TensorFlow snippet showed ~450 MiB of "workers"."""
    snippet = """\
        import subprocess

        BALLAST = bytearray(300 * 2**20)  # a large process, as one that imported a framework


        def setup(inputs):
            subprocess.run(["uname", "-p"], check=True, capture_output=True)
            return None


        def run(state):
            return 1.0
        """
    project = make_project(
        feature_files("fake", **{"with_pytorch.py": snippet, "with_tensorflow.py": snippet})
    )
    result = run(project)["fake", "pytorch"].result
    (process,) = result.processes
    assert process.peak_rss_bytes > 300 * 2**20
    assert process.children_peak_rss_bytes < 20 * 2**20


def test_the_garbage_collection_comes_before_calibration_not_before_the_first_sample(
    make_project,
):
    """The calls right after a collection run slow; in 18 of 18 processes the first sample sat
    1-64% above the others when the one collection came just before it."""
    yml = FEATURE_YML.format(id="fake") + (
        "metrics:\n  - id: calls_after_gc\n    label: Calls after the last collection\n"
        "    unit: count\n    better: lower\n"
    )
    snippet = """\
        import gc


        def setup(inputs):
            state = {"calls": 0, "collected_at": None}

            def seen(phase, info):
                if phase == "start":
                    state["collected_at"] = state["calls"]

            gc.callbacks.append(seen)
            return state


        def run(state):
            state["calls"] += 1
            return 1.0


        def metrics(state):
            return {"calls_after_gc": state["calls"] - state["collected_at"]}
        """
    project = make_project(
        feature_files(
            "fake",
            **{"feature.yml": yml, "with_pytorch.py": snippet, "with_tensorflow.py": snippet},
        )
    )
    (process,) = run(project)["fake", "pytorch"].result.processes
    sampled = len(process.samples) * process.loops
    # Calibration (at least one sample's worth of calls) ran between the collection and the
    # samples.
    assert process.metrics["calls_after_gc"] >= sampled + process.loops


def test_calibration_loops_short_calls_up_to_the_minimum_sample_length(make_project):
    # time.sleep never returns early, so every sample must reach the minimum length.
    snippet = """\
        import time


        def setup(inputs):
            return None


        def run(state):
            time.sleep(0.001)
            return 1.0
        """
    project = make_project(
        feature_files("fake", **{"with_pytorch.py": snippet, "with_tensorflow.py": snippet})
    )
    (process,) = run(project)["fake", "pytorch"].result.processes
    min_sample_s = QUICK.protocol().min_sample_s
    assert process.loops >= 2
    assert all(s * process.loops >= min_sample_s for s in process.samples)
    assert all(s >= 0.001 for s in process.samples)


def test_other_cpu_load_during_the_run_is_recorded(make_project):
    import subprocess
    import sys

    slow = (
        "import time\n\n\ndef setup(inputs):\n    time.sleep(0.4)\n\n\n"
        "def run(state):\n    return 1.0\n"
    )
    project = make_project(
        feature_files("fake", **{"with_pytorch.py": slow, "with_tensorflow.py": slow})
    )
    # Another process keeps a core busy for the whole run; it is not ours, so it counts.
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        runtime = run(project)["fake", "pytorch"].result.runtime
    finally:
        burner.kill()
        burner.wait()
    assert runtime["other_cpu_cores"] > 0.3
    assert len(runtime["load_avg_start"]) == 3


def test_eager_baseline_is_sampled_alongside_the_compiled_path(make_project):
    snippet = """\
        import time


        def setup(inputs):
            return None


        def run(state):
            time.sleep(0.001)
            return 1.0


        def eager(state):
            time.sleep(0.003)
            return 1.0
        """
    project = make_project(
        feature_files("fake", **{"with_pytorch.py": snippet, "with_tensorflow.py": snippet})
    )
    result = run(project)["fake", "pytorch"].result
    (process,) = result.processes
    assert len(process.eager_samples) == len(process.samples) == 3
    assert min(process.eager_samples) >= 0.003  # sleep never returns early
    from generator.compare import compilation

    stats = compilation(result)
    assert stats.speedup > 1.5
    # run()'s first call costs what a steady call costs (no compilation to pay off), and each
    # call saves ~2 ms against eager(): compiling "pays off" within a few calls.
    assert stats.breakeven_calls is not None and stats.breakeven_calls < 10


def test_a_second_run_waits_for_the_first_and_says_so(make_project):
    import fcntl
    import io
    import threading
    import time

    from rich.console import Console

    project = make_project(feature_files("fake"))
    project.results.mkdir()
    buffer = io.StringIO()
    with open(project.results / ".run.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another run is measuring
        waiting = threading.Thread(
            target=run_features,
            args=(discover(project.snippets), QUICK, results_of(project), Console(file=buffer)),
            kwargs={"frameworks": FAKES},
        )
        waiting.start()
        deadline = time.monotonic() + 30
        while "waiting" not in buffer.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "Another fieldguide run is measuring on this machine; waiting" in buffer.getvalue()
        time.sleep(0.2)
        assert waiting.is_alive(), "the second run must wait while the lock is held"
        assert not results_of(project).path("fake", "pytorch").exists()
    waiting.join(timeout=60)
    assert not waiting.is_alive()
    assert stored(project).status is Status.OK


def test_cuda_results_live_beside_cpu_results_never_over_them(make_project):
    project = make_project(feature_files("fake"))
    run(project)
    cuda = run(project, RunOptions(mode="quick", device="cuda"))["fake", "pytorch"].result
    assert cuda.status is Status.SKIPPED
    assert cuda.message.startswith("--device cuda was asked for, but json sees no CUDA device")
    machine = current_machine().machine_id
    assert stored(project).status is Status.OK  # the CPU result is untouched
    assert results_of(project, "cuda").load("fake", "pytorch").status is Status.SKIPPED
    assert (project.results / f"{machine}-cuda").is_dir()
