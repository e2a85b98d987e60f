"""Measured effects bound to results: which results, and the points and words they give."""

from __future__ import annotations

from dataclasses import replace

import pytest

from generator import store
from generator.discover import discover
from generator.model import Gpu, Status
from generator.questionnaire import EITHER, evaluate, resolve
from generator.store import MachineResults, Snapshot

from ..conftest import MACHINE, MACHINE_ID, feature_files, recorded
from .conftest import RULES, answers, loaded, measure, rules_of


@pytest.mark.parametrize(
    ("pytorch", "tensorflow", "to", "points", "says"),
    [
        (1.0, 3.0, "pytorch", 2, "PyTorch is 3× faster, so 2 points to PyTorch."),
        (3.0, 1.0, "tensorflow", 2, "TensorFlow is 3× faster, so 2 points to TensorFlow."),
        (1.0, 1.3, "pytorch", 1, "PyTorch is 1.3× faster, so 1 point to PyTorch."),
        (1.0, 1.0, None, 0, "no measurable difference, so no points."),
    ],
)
def test_a_measured_effect_gives_its_points_to_the_side_the_numbers_favour(
    project, pytorch, tensorflow, to, points, says
):
    measure(project, pytorch, tensorflow)
    effect = rules_of(project).effects[4]
    assert (effect.to, effect.points) == (to, points)
    assert effect.reason.startswith("You need speed. Steady state, per call: PyTorch ")
    assert effect.reason.endswith(says)


def test_the_reason_shows_the_numbers_and_the_ratio_with_its_interval(project):
    measure(project, 1.0, 3.0)
    assert rules_of(project).effects[4].reason == (
        "You need speed. Steady state, per call: PyTorch 4.08 ms, TensorFlow 12.2 ms; "
        "PyTorch ÷ TensorFlow 0.33 (95% CI 0.33–0.34): PyTorch is 3× faster, so 2 points to "
        "PyTorch."
    )


def test_the_recommendation_changes_when_the_evidence_changes(project):
    given = answers(code="keras", needs="speed")  # Keras 3 +3; speed +2 to the faster side
    measure(project, 1.0, 3.0)
    assert evaluate(rules_of(project), given).outcome == EITHER  # Keras 3 3, PyTorch 2
    measure(project, 1.0, 1.0)
    assert evaluate(rules_of(project), given).outcome == "keras3"  # no difference: 3 to 0
    measure(project, 3.0, 1.0)
    rules = rules_of(project)
    result = evaluate(rules, given)
    assert result.outcome == EITHER and result.candidates == ("keras3", "tensorflow")
    speed = rules.evidence["speed"]
    assert speed.badge == "Measured here" and speed.date == "2026-11-25"
    assert speed.detail == (
        "Measured on Test CPU, 4 logical cores (machine test-machine, device cpu), 2026-11-25."
    )


def test_without_results_a_measured_effect_gives_nothing_and_says_so(project):
    results = store.Store(project.results, MACHINE_ID)
    results.save(recorded("pytorch", 1.0))
    results.save(recorded("tensorflow", 1.0, status=Status.FAILED, message="boom"))
    rules = rules_of(project)  # one side failed: no comparison
    assert (rules.effects[4].to, rules.effects[4].points) == (None, 0)
    assert rules.effects[4].reason == (
        "You need speed. Steady state of the fake feature: not measured yet on a CPU on this "
        "site, so this answer adds no points."
    )
    speed = rules.evidence["speed"]
    assert (speed.badge, speed.date, speed.detail) == (
        "Not measured yet",
        None,
        "Not measured yet on a CPU.",
    )


def test_gpu_evidence_comes_from_a_machine_that_measured_on_a_gpu(project):
    rules_text = (project.docs / "questionnaire.yml").read_text()
    (project.docs / "questionnaire.yml").write_text(
        rules_text.replace("quantity: steady", "quantity: steady\n    device: cuda")
    )
    measure(project, 1.0, 3.0)  # CPU results on this machine do not count for a GPU
    assert rules_of(project).evidence["speed"].detail == "Not measured yet on an NVIDIA GPU."
    gpu = store.Store(project.results, "gpu-box")
    gpu.save(recorded("pytorch", 3.0, device="cuda"))
    gpu.save(recorded("tensorflow", 1.0, device="cuda"))
    rules = rules_of(project)
    assert rules.effects[4].to == "tensorflow"
    assert "(machine gpu-box, device cuda)" in (rules.evidence["speed"].detail or "")


def test_gpu_evidence_prefers_this_machines_own_cuda_results(project):
    rules_text = (project.docs / "questionnaire.yml").read_text()
    (project.docs / "questionnaire.yml").write_text(
        rules_text.replace("quantity: steady", "quantity: steady\n    device: cuda")
    )
    for key, (pytorch, tensorflow, date) in {
        store.results_key(MACHINE_ID, "cuda"): (1.0, 3.0, "2026-01-01"),
        "gpu-box": (3.0, 1.0, "2026-06-01"),  # newer, but another machine's
    }.items():
        results = store.Store(project.results, key)
        for fw, scale in (("pytorch", pytorch), ("tensorflow", tensorflow)):
            created = f"{date}T12:00:00+00:00"
            results.save(replace(recorded(fw, scale, device="cuda"), created=created))
    rules = rules_of(project)  # rendering this machine's CPU pages
    assert rules.effects[4].to == "pytorch"
    assert f"(machine {MACHINE_ID}-cuda, device cuda)" in (rules.evidence["speed"].detail or "")


def snapshot(**machines: tuple[float, float, str]) -> Snapshot:
    """Results held in memory, as load_snapshot would give them: machine key -> (PyTorch
    scale, TensorFlow scale, date)."""
    held = {}
    for key, (pytorch, tensorflow, date) in sorted(machines.items()):
        pair = {
            ("fake", fw): replace(recorded(fw, scale), created=f"{date}T12:00:00+00:00")
            for fw, scale in (("pytorch", pytorch), ("tensorflow", tensorflow))
        }
        held[key] = MachineResults(key, pair)
    return Snapshot(held)


def test_cpu_evidence_is_this_machines_else_the_most_recent_machines(project):
    """resolve reads nothing but the snapshot: no results folder exists here."""
    rules, features = loaded(project), discover(project.snippets)
    held = snapshot(mine=(1.0, 3.0, "2026-01-01"), newer=(3.0, 1.0, "2026-06-01"))
    resolved = resolve(rules, features, held, "mine")
    assert resolved.effects[4].to == "pytorch"  # its own results, though older
    assert "(machine mine, device cpu), 2026-01-01." in (resolved.evidence["speed"].detail or "")
    resolved = resolve(rules, features, held, "elsewhere")  # a machine without results
    assert resolved.effects[4].to == "tensorflow"
    assert "(machine newer, device cpu), 2026-06-01." in (resolved.evidence["speed"].detail or "")
    assert not project.results.exists()


def test_the_hardware_and_a_quick_run_are_named(project):
    rules, features = loaded(project), discover(project.snippets)
    gpu = Gpu("NVIDIA Test", 16 * 2**30, "555.0")
    quick = {
        ("fake", fw): replace(
            recorded(fw, scale),
            machine=replace(MACHINE, gpus=(gpu,)),
            protocol=replace(recorded(fw, scale).protocol, mode="quick"),
        )
        for fw, scale in (("pytorch", 1.0), ("tensorflow", 3.0))
    }
    held = Snapshot({MACHINE_ID: MachineResults(MACHINE_ID, quick)})
    detail = resolve(rules, features, held, MACHINE_ID).evidence["speed"].detail
    assert detail == (
        "Measured on Test CPU, 4 logical cores, NVIDIA Test (machine test-machine, device cpu) "
        "(quick mode: few samples), 2026-11-25."
    )


@pytest.mark.parametrize(
    ("extra", "to", "points", "says"),
    [
        (
            4,  # 4 statements against 8
            "pytorch",
            2,
            "PyTorch 4 statements, TensorFlow 8 statements; PyTorch ÷ TensorFlow 0.50: PyTorch "
            "is 2× shorter, so 2 points to PyTorch.",
        ),
        (
            1,  # 4 against 5: under the stated threshold
            None,
            0,
            "PyTorch 4 statements, TensorFlow 5 statements; PyTorch ÷ TensorFlow 0.80: a "
            "difference under the stated threshold (20% and 3 statements), so no points.",
        ),
    ],
)
def test_code_size_is_counted_in_the_snippets_and_judged_with_a_threshold(
    make_project, extra, to, points, says
):
    longer = "def setup(inputs):\n" + "".join(f"    x{i} = {i}\n" for i in range(extra))
    longer += "    return [0.5, 0.25, 0.5]\n\n\ndef run(state):\n    return {'sum': sum(state)}\n"
    rules_text = RULES.replace("quantity: steady", "quantity: loc")
    project = make_project(
        {
            **feature_files("fake", **{"with_tensorflow.py": longer}),
            "docs/questionnaire.yml": rules_text,
        }
    )
    rules = rules_of(project)
    loc = rules.evidence["speed"]
    assert (loc.badge, loc.date, loc.detail) == (
        "Counted here",
        None,
        "Counted in the snippets of this site.",
    )
    assert loc.measurement and loc.measurement.machine_id is None
    effect = rules.effects[4]
    assert (effect.to, effect.points) == (to, points)
    assert effect.reason == (
        "You need speed. Code size (statements, without imports and marked plumbing): " + says
    )


def test_higher_is_better_metrics_give_the_points_to_the_higher_side(make_project):
    metric = "metrics:\n  - {id: throughput, label: Throughput, unit: items/s, better: higher}\n"
    files = feature_files("fake")
    files["snippets/fake/feature.yml"] += metric
    rules_text = RULES.replace("quantity: steady", "quantity: throughput")
    project = make_project({**files, "docs/questionnaire.yml": rules_text})
    results = store.Store(project.results, MACHINE_ID)
    for fw, value in (("pytorch", 100.0), ("tensorflow", 400.0)):
        result = recorded(fw, 1.0)
        processes = tuple(
            replace(p, metrics={"throughput": value + i}) for i, p in enumerate(result.processes)
        )
        results.save(replace(result, processes=processes))
    effect = rules_of(project).effects[4]
    assert (effect.to, effect.points) == ("tensorflow", 2)
    assert effect.reason.startswith("You need speed. Throughput: PyTorch 101 items/s, ")
    assert effect.reason.endswith("TensorFlow is 3.97× higher, so 2 points to TensorFlow.")


def test_the_rules_version_changes_only_when_a_result_could_change(project):
    measure(project, 1.0, 3.0)
    first = rules_of(project).version
    measure(project, 1.0, 3.1)  # other numbers, same verdict and points
    assert rules_of(project).version == first
    measure(project, 3.0, 1.0)  # the verdict flips
    assert rules_of(project).version != first


def test_a_measurement_without_a_measurable_difference_backs_no_preference(project):
    measure(project, 1.0, 1.0)
    rules = rules_of(project)
    result = evaluate(rules, answers(code="keras", needs="speed"))
    assert result.neutral == (4,)  # listed as considered, for no points
    assert 4 not in result.reasons_for + result.reasons_related + result.reasons_against
    assert rules.effects[4].reason.endswith("no measurable difference, so no points.")


def test_no_published_reason_rests_on_a_measurement_that_shows_no_difference(repository):
    features, loaded = repository
    rules = resolve(loaded, features, Snapshot({}), MACHINE_ID)  # code size is counted anyway
    judged = 0
    for effect in rules.effects:
        for evidence_id in effect.evidence:
            m = rules.evidence[evidence_id].measurement
            if m is None:
                continue
            judged += 1
            if m.ratio.verdict in ("same", "unknown", "not judged"):
                assert (effect.measured, effect.to, effect.points) == (evidence_id, None, 0), (
                    effect.reason
                )
    assert judged  # the training loop's code size, at least, is counted from the snippets
