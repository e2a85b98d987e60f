"""What the questionnaire's tests share: a small complete rules file, a project around it,
recorded results, and the published rules made decisive."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest

from generator import store
from generator.discover import discover
from generator.model import Feature, Project
from generator.questionnaire import DONT_KNOW, Rules, load_rules, resolve

from ..conftest import MACHINE_ID, ROOT, feature_files, recorded

SOURCE = "docs/questionnaire.yml"

# A small, complete rules file for a project whose only feature is "fake" (section Core).
RULES = """\
schema: 2
updated: 2026-11-25
tie_band: 1
confidence:
  moderate: {margin: 3, flips: 3}
  strong: {margin: 5, flips: 1}
outcomes:
  pytorch: {label: PyTorch, summary: Use PyTorch.}
  tensorflow: {label: TensorFlow, summary: Use TensorFlow.}
  keras3: {label: Keras 3, summary: Use Keras 3.}
  either: {label: Either, summary: Either will do.}
questions:
  - id: code
    text: What code do you have?
    why: Porting costs more than anything measured.
    type: single
    options:
      - {id: pytorch, label: PyTorch code}
      - {id: tensorflow, label: TensorFlow code}
      - {id: keras, label: Keras code}
      - {id: none, label: None yet, neutral: Nothing to port.}
      - {id: dont-know, label: Don't know}
  - id: needs
    text: What do you need?
    why: Some needs favour one side.
    type: multi
    options:
      - {id: speed, label: Speed}
      - {id: phones, label: Phones}
      - {id: dont-know, label: Don't know}
evidence:
  docs:
    kind: documented
    title: A documented fact
    url: https://example.org/fact
    date: 2026-01-02
    supports:
      pytorch: {code: pytorch}
      tensorflow: {code: tensorflow, needs: phones}
      keras3: {code: keras}
  speed:
    kind: measured
    title: Steady state of the fake feature
    feature: fake
    quantity: steady
effects:
  - when: {code: pytorch}
    to: pytorch
    points: 4
    reason: You have PyTorch code.
    evidence: [docs]
  - when: {code: tensorflow}
    to: tensorflow
    points: 4
    reason: You have TensorFlow code.
    evidence: [docs]
  - when: {code: keras}
    to: keras3
    points: 3
    reason: Keras code runs on any backend.
    evidence: [docs]
  - when: {needs: phones}
    to: tensorflow
    points: 2
    reason: LiteRT runs TensorFlow models on phones.
    evidence: [docs]
  - when: {needs: speed}
    measured: speed
    points: 2
    reason: You need speed.
"""


@pytest.fixture
def project(make_project):
    return make_project(
        {**feature_files("fake"), "docs/index.md": "# Home\n", "docs/questionnaire.yml": RULES}
    )


def loaded(project: Project) -> Rules:
    """The project's rules as loaded, before any measurement is bound to them."""
    return load_rules(project.rules, SOURCE, discover(project.snippets))


def measure(project: Project, pytorch: float, tensorflow: float, feature: str = "fake") -> None:
    results = store.Store(project.results, MACHINE_ID)
    results.save(recorded("pytorch", pytorch, feature))
    results.save(recorded("tensorflow", tensorflow, feature))


def rules_of(project: Project, machine_key: str = MACHINE_ID) -> Rules:
    """The project's rules bound to its stored results, as `fieldguide render` binds them."""
    features = discover(project.snippets)
    snapshot = store.load_snapshot(project.results, features)
    return resolve(load_rules(project.rules, SOURCE, features), features, snapshot, machine_key)


def answers(**given: str) -> dict[str, tuple[str, ...]]:
    return {q: tuple(v.split("+")) for q, v in given.items()}


@pytest.fixture(scope="session")
def repository() -> tuple[list[Feature], Rules]:
    """This repository's features and its rules (docs/questionnaire.yml), loaded once."""
    project = Project(ROOT)
    features = discover(project.snippets)
    return features, load_rules(project.rules, SOURCE, features)


@pytest.fixture(scope="session")
def published(repository) -> Rules:
    """The published rules as if every measurement were decisive (for PyTorch: the side does
    not matter here), so that the measured questions count too."""
    _, rules = repository
    return replace(
        rules,
        effects=tuple(replace(e, to="pytorch") if e.measured else e for e in rules.effects),
    )


def random_answers(rules: Rules, rng: random.Random) -> dict[str, tuple[str, ...]]:
    given = {}
    for question in rules.questions:
        ids = [o.id for o in question.options]
        if question.multiple:
            picked = tuple(o for o in ids if o != DONT_KNOW and rng.random() < 0.3)
        else:
            picked = (rng.choice(ids),)
        if picked and rng.random() < 0.9:
            given[question.id] = picked
    return given
