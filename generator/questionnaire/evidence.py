"""Binding the measured effects to results: `resolve`.

A measured effect names a measured evidence (a feature, a quantity, a device) instead of an
outcome. `resolve` finds the results that evidence stands for in a store.Snapshot (it reads no
files), lets compare.row summarize them as the feature page does, and turns the comparison
into the outcome and points the effect gives, with the sentence that says why.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from .. import compare
from ..model import FRAMEWORK_LABELS, Feature, RunResult
from ..store import Snapshot, results_key
from ..text import format_ratio, format_value
from .rules import Effect, Evidence, Measurement, Rules

# A measured effect gets all its points when the confidence interval shows at least this factor.
LARGE_FACTOR = 2.0
# What "lower is better" means in words, per unit.
BETTER_WORDS = {"s": "faster", "bytes": "smaller", "statements": "shorter"}


UNAVAILABLE = "Not shown: the feature '{}' has an invalid feature.yml, so it has no numbers."


def resolve(
    rules: Rules, features: Sequence[Feature], snapshot: Snapshot, machine_key: str
) -> Rules:
    """Rules whose measured effects carry the outcome and points that the measurements give.

    CPU evidence comes from `machine_key` (the results folder whose pages are rendered);
    evidence for another device comes from that folder if it measured on it, else from the one
    that measured it most recently. Without a result the effect gives no points and says so.
    """
    by_id = {f.id: f for f in features}
    evidence = dict(rules.evidence)
    for evidence_id, item in rules.evidence.items():
        if item.kind != "measured":
            continue
        feature = by_id.get(item.feature or "")
        if feature is None:  # its feature.yml is invalid: the site is published without it
            evidence[evidence_id] = replace(item, detail=UNAVAILABLE.format(item.feature))
            continue
        measurement = _measure(feature, item, snapshot, machine_key)
        evidence[evidence_id] = replace(
            item,
            measurement=measurement,
            date=measurement.date if measurement else None,
            detail=_detail(measurement, item),
        )
    effects = tuple(
        _resolved(effect, evidence[effect.measured]) if effect.measured else effect
        for effect in rules.effects
    )
    return replace(rules, evidence=evidence, effects=effects)


def _measure(
    feature: Feature, item: Evidence, snapshot: Snapshot, machine_key: str
) -> Measurement | None:
    quantity = item.quantity or ""
    if quantity == "loc":
        return _measurement(compare.loc_row(feature), feature, "any")
    found = _results(feature.id, item.device, snapshot, machine_key)
    if found is None:
        return None
    key, pytorch, tensorflow = found
    m = pytorch.machine
    gpus = ", ".join(g.name for g in m.gpus)
    return _measurement(
        compare.row(feature, quantity, pytorch, tensorflow),
        feature,
        item.device,
        machine_id=key,
        hardware=f"{m.cpu_model}, {m.logical_cores} logical cores" + (f", {gpus}" if gpus else ""),
        date=max(pytorch.created, tensorflow.created)[:10],
        mode=pytorch.protocol.mode,
    )


def _results(
    feature_id: str, device: str, snapshot: Snapshot, machine_key: str
) -> tuple[str, RunResult, RunResult] | None:
    """Both frameworks' good results on the device: from this machine's folder for the device
    (`machine_key`, or `<machine_key>-cuda` for CUDA evidence) when it has them, else from the
    results folder that measured them most recently."""
    if device != "cpu" and not machine_key.endswith(f"-{device}"):
        machine_key = results_key(machine_key, device)
    found = []
    for key in [machine_key, *(k for k in snapshot.machines if k != machine_key)]:
        machine = snapshot.machine(key)
        pytorch = machine.result(feature_id, "pytorch")
        tensorflow = machine.result(feature_id, "tensorflow")
        if not (pytorch and tensorflow and pytorch.ok and tensorflow.ok):
            continue
        if pytorch.device != device or tensorflow.device != device:
            continue
        if key == machine_key:
            return key, pytorch, tensorflow
        found.append((max(pytorch.created, tensorflow.created), key, pytorch, tensorflow))
    if not found:
        return None
    _, key, pytorch, tensorflow = max(found, key=lambda f: (f[0], f[1]))
    return key, pytorch, tensorflow


def _measurement(
    row: compare.Row | None,
    feature: Feature,
    device: str,
    machine_id: str | None = None,
    hardware: str = "counted in the snippets",
    date: str | None = None,
    mode: str | None = None,
) -> Measurement | None:
    if row is None or row.ratio is None or row.pytorch is None or row.tensorflow is None:
        return None
    return Measurement(
        feature=feature.id,
        quantity=row.quantity,
        label=row.label,
        unit=row.unit,
        better=row.better,
        device=device,
        pytorch=row.pytorch.median,
        tensorflow=row.tensorflow.median,
        ratio=row.ratio,
        machine_id=machine_id,
        hardware=hardware,
        date=date,
        mode=mode,
    )


def _device(device: str) -> str:
    return "an NVIDIA GPU" if device == "cuda" else "a CPU"


def _detail(measurement: Measurement | None, item: Evidence) -> str:
    """Where and when the evidence was measured, in one sentence."""
    if measurement is None:
        return f"Not measured yet on {_device(item.device)}."
    if measurement.machine_id is None:
        return "Counted in the snippets of this site."
    mode = " (quick mode: few samples)" if measurement.mode == "quick" else ""
    return (
        f"Measured on {measurement.hardware} (machine {measurement.machine_id}, device "
        f"{measurement.device}){mode}, {measurement.date}."
    )


def _resolved(effect: Effect, evidence: Evidence) -> Effect:
    """The outcome and points a measurement gives, and the sentence that says why."""
    m = evidence.measurement
    if m is None:
        return replace(
            effect,
            to=None,
            points=0,
            reason=f"{effect.reason} {evidence.title}: not measured yet on "
            f"{_device(evidence.device)} on this site, so this answer adds no points.",
        )
    values = (
        f"{m.label}: PyTorch {format_value(m.pytorch, m.unit)}, "
        f"TensorFlow {format_value(m.tensorflow, m.unit)}"
    )
    ratio = f"PyTorch ÷ TensorFlow {format_ratio(m.ratio)}"
    if m.ratio.ci_low != m.ratio.ci_high:
        ratio = ratio.replace(" (", " (95% CI ")
    lower = m.ratio.verdict
    if lower in ("same", "unknown", "not judged"):
        why = {
            "same": "no measurable difference",
            "unknown": "too few samples to tell",
            "not judged": f"not judged ({m.ratio.why})",
        }[lower]
        if lower == "same" and m.quantity == "loc":
            why = (
                f"a difference under the stated threshold ({compare.LOC_RELATIVE:.0%} and "
                f"{compare.LOC_ABSOLUTE} statements)"
            )
        return replace(
            effect,
            to=None,
            points=0,
            reason=f"{effect.reason} {values}; {ratio}: {why}, so no points.",
        )
    winner = lower if m.better == "lower" else ("tensorflow" if lower == "pytorch" else "pytorch")
    near = 1 / m.ratio.ci_high if lower == "pytorch" else m.ratio.ci_low  # the cautious factor
    factor = 1 / m.ratio.value if lower == "pytorch" else m.ratio.value
    # A ratio is undefined when one side is zero (a count): the order alone is then decisive.
    large = not math.isfinite(near) or near >= LARGE_FACTOR
    points = effect.points if large else max(1, effect.points // 2)
    word = BETTER_WORDS.get(m.unit, "lower") if m.better == "lower" else "higher"
    size = f"{factor:.3g}× {word}" if math.isfinite(factor) else word
    plural = "s" if points != 1 else ""
    return replace(
        effect,
        to=winner,
        points=points,
        reason=f"{effect.reason} {values}; {ratio}: {FRAMEWORK_LABELS[winner]} is {size}, "
        f"so {points} point{plural} to {FRAMEWORK_LABELS[winner]}.",
    )
