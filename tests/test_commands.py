"""`check` on stdlib-only fake snippets: what makes it fail, and what it leaves alone."""

from __future__ import annotations

from generator import commands
from generator.environment import current_machine
from generator.run import RunOptions

from .conftest import feature_files
from .fakes import FAKES

QUICK = RunOptions(mode="quick")


def test_check_fails_on_outputs_that_differ(make_project):
    other = "def setup(inputs):\n    return None\n\n\ndef run(state):\n    return {'sum': 1.5}\n"
    project = make_project(feature_files("fake", **{"with_tensorflow.py": other}))
    _, problems = commands.check(project, [], QUICK, frameworks=FAKES)
    (problem,) = problems
    assert problem.feature == "fake"
    assert problem.text.startswith(
        "outputs differ (pytorch vs tensorflow): Outside rtol=1e-09, atol=0. sum: PyTorch "
    )
    assert problem.text.endswith("Fix the snippets, or the tolerance in feature.yml.")


def test_check_fails_on_a_failing_snippet_and_passes_a_good_one(make_project):
    broken = "def setup(inputs):\n    return None\n\n\ndef run(state):\n    1 / 0\n"
    project = make_project(
        {**feature_files("good"), **feature_files("bad", **{"with_pytorch.py": broken})}
    )
    _, problems = commands.check(project, [], QUICK, frameworks=FAKES)
    assert [(p.feature, p.text) for p in problems] == [
        (
            "bad",
            "pytorch failed: The snippet raised ZeroDivisionError: division by zero during "
            "first call at with_pytorch.py, line 6: 1 / 0 The whole message, traceback "
            "included, is under 'message' in .fieldguide/check-results/"
            f"{current_machine().machine_id}/bad/pytorch.json.",
        )
    ]


def test_check_never_writes_over_published_results(make_project):
    project = make_project(feature_files("fake"))
    commands.check(project, [], QUICK, frameworks=FAKES)
    assert not project.results.exists()
    assert (project.root / commands.CHECK_RESULTS).is_dir()


def test_check_fails_when_a_must_be_zero_metric_is_not(make_project):
    from .conftest import FEATURE_YML

    yml = FEATURE_YML.format(id="fake") + (
        "metrics:\n  - id: retraces\n    label: Retraces\n    unit: count\n"
        "    better: lower\n    must_be_zero: true\n"
    )
    snippet = (
        "def setup(inputs):\n    return {'calls': 0}\n\n\n"
        "def run(state):\n    state['calls'] += 1\n    return 1.0\n\n\n"
        "def metrics(state):\n    return {'retraces': 2}\n"
    )
    project = make_project(
        feature_files(
            "fake",
            **{"feature.yml": yml, "with_pytorch.py": snippet, "with_tensorflow.py": snippet},
        )
    )
    _, problems = commands.check(project, [], QUICK, frameworks=FAKES)
    assert [p.text for p in problems] == [
        f"{fw}: retraces = 2 in steady state, must be 0 (its steady-state numbers are "
        "invalid). Make the inputs of run() stable so nothing is traced or compiled again."
        for fw in ("pytorch", "tensorflow")
    ]


def test_check_validates_the_questionnaire_rules(make_project):
    import pytest

    from generator.questionnaire import RulesError

    project = make_project({**feature_files("fake"), "docs/questionnaire.yml": "version: [\n"})
    with pytest.raises(RulesError) as info:
        commands.check(project, [], QUICK, frameworks=FAKES)
    assert str(info.value).startswith(
        "Invalid questionnaire rules (1 problem):\n  - docs/questionnaire.yml: expected valid YAML"
    )
    assert str(info.value).endswith(
        "Fix docs/questionnaire.yml, then run `fieldguide check` again."
    )


def test_check_waits_while_a_run_of_the_project_measures(make_project):
    """`check` and `run` share the project's lock: a check beside a publication run would
    disturb its timings, and its results guard could not tell the run's writes from a
    snippet's."""
    import fcntl
    import io
    import threading
    import time

    from rich.console import Console

    project = make_project(feature_files("fake"))
    lock = project.root / commands.RUN_LOCK
    lock.parent.mkdir(parents=True)
    buffer = io.StringIO()
    with open(lock, "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # `fieldguide run` is measuring
        checking = threading.Thread(
            target=commands.check,
            args=(project, [], QUICK, Console(file=buffer)),
            kwargs={"frameworks": FAKES},
        )
        checking.start()
        deadline = time.monotonic() + 30
        while "waiting" not in buffer.getvalue() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert "Another fieldguide run is measuring on this machine; waiting" in buffer.getvalue()
        assert checking.is_alive()
    checking.join(timeout=60)
    assert not checking.is_alive()
