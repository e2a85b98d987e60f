"""Personas: realistic readers, and the answer a careful engineer would give each of them.

Every persona answers the published questionnaire (docs/questionnaire.yml). The measured
effects are resolved against no results at all here, so these outcomes do not depend on
the machine that runs the tests; the last persona records results on purpose, because for it
the numbers are the point. If a rules change breaks a persona, either the change is wrong or
the persona's reasoning is: fix one of them, and say which in the commit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from generator import store
from generator.model import Project
from generator.questionnaire import evaluate, parse_answers, resolve

from ..conftest import MACHINE_ID, ROOT, recorded


@dataclass(frozen=True)
class Persona:
    name: str
    answers: str  # as for `fieldguide ask --answers`
    outcome: str
    reasoning: str  # why a careful engineer gives this answer
    mentions: tuple[str, ...] = ()  # reasons the result must give (starts of reason texts)


PERSONAS = [
    Persona(
        "PhD student fine-tuning open LLMs from Hugging Face on a lab GPU server",
        "existing=none,team=pytorch,goal=research,model=llm,deploy=batch,hardware=nvidia-gpu,"
        "scale=multi-gpu,onnx=no,api=loops,pretrained=huggingface",
        "pytorch",
        "Transformers v5 is PyTorch-only, the lab knows PyTorch, and research code for new "
        "models is published for PyTorch first. Nothing in the answers pulls the other way.",
        ("Transformers v5 and Diffusers are PyTorch libraries.",),
    ),
    Persona(
        "App team shipping an on-device image classifier, with a tf.keras codebase",
        "existing=tensorflow,team=tensorflow,goal=product,model=vision,deploy=mobile,"
        "hardware=nvidia-gpu,scale=single,onnx=no,api=fit,pretrained=none,"
        "maintenance=keep-running",
        "tensorflow",
        "Working Keras 2 code and a team that knows it, plus LiteRT's direct TensorFlow path to "
        "phones: porting to anything else buys nothing they asked for. Keras 3 is the runner-up "
        "(tf.keras is Keras 3 from TF 2.16), which is why it is not a strong recommendation.",
        ("Your TensorFlow code keeps working",),
    ),
    Persona(
        "Enterprise team with TensorFlow models behind TF Serving, training on a CPU cluster",
        "existing=tensorflow,team=tensorflow,goal=product,deploy=server,hardware=cpu-only,"
        "scale=multi-node,maintenance=keep-running,api=fit",
        "tensorflow",
        "Their serving stack is maintained TensorFlow Serving and their models are TensorFlow; "
        "multi-node training favours PyTorch's FSDP2 but does not outweigh a rewrite.",
        ("TF Serving is maintained",),
    ),
    Persona(
        "Self-taught beginner on a laptop CPU, learning with small tabular models",
        "existing=none,team=mixed,goal=learning,model=tabular,hardware=cpu-only,scale=single,"
        "onnx=no,api=fit,pretrained=none",
        "keras3",
        "Model.fit keeps first programs short, and Keras 3 skills carry over to TensorFlow, JAX "
        "or PyTorch later, so nothing is lost by deferring the framework choice.",
        ("Model.fit keeps the first programs short",),
    ),
    Persona(
        "Keras team that must ship GPU inference inside a native Windows desktop app",
        "existing=none,team=tensorflow,goal=product,model=vision,deploy=windows-gpu,"
        "hardware=nvidia-gpu,scale=single,api=fit",
        "keras3",
        "TensorFlow has had no GPU on native Windows since 2.10, which rules it out; Keras 3 on "
        "the PyTorch backend keeps the team's Keras skills and runs on Windows GPUs. PyTorch "
        "itself is the close alternative, so confidence is weak.",
        ("TensorFlow 2.10 was the last release with GPU support on native Windows",),
    ),
    Persona(
        "Web start-up that must run a small vision model in the browser, wary of stale tools",
        "existing=none,goal=product,model=vision,deploy=browser,maintenance=avoid-stale",
        "either",
        "TensorFlow.js is the direct route to the browser, but its converter has not been "
        "released since 2024; PyTorch via ONNX Runtime Web is maintained but indirect. Neither "
        "clearly wins: an honest answer is a tie with the trade-off spelled out.",
        ("TensorFlow.js runs converted TensorFlow and Keras models", "The TensorFlow.js converter"),
    ),
    Persona(
        "Team fine-tuning Gemma from KerasHub on Cloud TPUs for a product",
        "existing=none,goal=product,model=llm,hardware=tpu,api=fit,pretrained=keras-hub",
        "keras3",
        "KerasHub presets and Keras on the JAX backend are the best-trodden TPU route; "
        "TensorFlow's TPUStrategy is the alternative, PyTorch on TPUs is mid-transition.",
        ("Keras 3 on the JAX backend is the best-trodden route to TPUs",),
    ),
    Persona(
        "Team deploying vision models to NVIDIA servers through ONNX and TensorRT",
        "existing=none,goal=product,model=vision,deploy=server,hardware=nvidia-gpu,onnx=yes",
        "pytorch",
        "ONNX export is built into PyTorch and maintained with it, while tf2onnx fails on Keras 3 "
        "models; the ONNX requirement decides it.",
        ("torch.onnx.export ships with PyTorch",),
    ),
    Persona(
        "Manager asking before the project has any requirements",
        "",
        "either",
        "With nothing known, any recommendation would be invented; the honest answer is that "
        "all three fit, with the questions that would decide it.",
    ),
    Persona(
        "Team with a PyTorch model that now also has to run on Android",
        "existing=pytorch,team=pytorch,goal=product,deploy=mobile",
        "pytorch",
        "LiteRT is the more common mobile runtime, but ExecuTorch and LiteRT's PyTorch converter "
        "reach phones without rewriting working PyTorch code in another framework.",
        ("Your PyTorch code keeps working", "LiteRT (formerly TensorFlow Lite) converts"),
    ),
    Persona(
        "Scientist on an Apple silicon Mac writing custom higher-order derivatives",
        "existing=none,goal=research,model=scientific,hardware=apple,api=loops",
        "pytorch",
        "torch.func composes higher-order derivatives, PyTorch's MPS backend uses the Mac's GPU "
        "while TensorFlow has no official GPU support on macOS.",
        ("PyTorch's MPS backend trains on Apple silicon GPUs.",),
    ),
    Persona(
        "Maintainer of a TensorFlow app built on old TensorFlow Hub models",
        "existing=tensorflow,pretrained=tf-hub,maintenance=avoid-stale",
        "tensorflow",
        "The models load as TensorFlow SavedModels and hub.KerasLayer needs Keras 2, so "
        "TensorFlow stays; the result warns that tfhub.dev is gone and a migration is due.",
        ("tfhub.dev redirects to Kaggle Models",),
    ),
]


@pytest.fixture(scope="module")
def unmeasured_rules(repository):
    features, rules = repository
    return resolve(rules, features, store.Snapshot({}), MACHINE_ID)  # no results at all


@pytest.mark.parametrize("persona", PERSONAS, ids=lambda p: p.name)
def test_persona_gets_the_careful_engineers_answer(persona, unmeasured_rules):
    rules = unmeasured_rules
    answers, _ = parse_answers(rules, persona.answers)
    result = evaluate(rules, answers)
    assert result.outcome == persona.outcome, (
        f"{persona.name}: expected {persona.outcome}, got {result.outcome} "
        f"({result.scores}). Reasoning: {persona.reasoning}"
    )
    shown = [rules.effects[i].reason for i in result.reasons_for + result.reasons_against]
    for start in persona.mentions:
        assert any(reason.startswith(start) for reason in shown), start


def test_serverless_persona_follows_the_measurements(tmp_path, repository):
    """A CPU-only serverless inference function: cold starts and memory are what the team pays
    for, and nothing else constrains it. The careful engineer looks at the numbers: whichever
    framework imports faster and uses less memory on their CPU wins; with no numbers, the
    honest answer is a tie."""
    project = replace(Project(ROOT), results_dir=tmp_path / "results")
    features, loaded = repository
    given = "hardware=cpu-only,deploy=server,fast=startup,memory"

    def outcome(pytorch: float | None, tensorflow: float | None) -> str:
        results = store.Store(project.results, MACHINE_ID)
        for feature in ("training-loop", "graph-compilation"):  # import; peak memory
            if pytorch is not None and tensorflow is not None:
                results.save(recorded("pytorch", pytorch, feature))
                results.save(recorded("tensorflow", tensorflow, feature))
        snapshot = store.load_snapshot(project.results, features)
        rules = resolve(loaded, features, snapshot, MACHINE_ID)
        return evaluate(rules, parse_answers(rules, given)[0]).outcome

    assert outcome(None, None) == "either"  # TensorFlow +1 for TF Serving, nothing measured
    assert outcome(1.0, 2.5) == "pytorch"  # 2.5x faster import, 2.5x less memory: +4
    assert outcome(2.5, 1.0) == "tensorflow"  # the same, the other way round: +5
