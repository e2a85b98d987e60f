"""Shared fixtures: a factory for small projects, stdlib-only fake frameworks, a CLI runner."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.model import Project

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="Rewrite tests/golden/ from the current rendering.",
    )


# Runs "pytorch" and "tensorflow" snippets with a stdlib module in place of the framework,
# so runner edge cases take milliseconds. Real-framework runs are in test_starters.py.
FAKE_MODULES = {"pytorch": ("json", "stdlib"), "tensorflow": ("json", "stdlib")}

FEATURE_YML = """\
id: {id}
title: Fake feature
section: Core
summary: A stdlib-only feature for runner tests.
timed: Sums a list.
comparison:
  rtol: 1.0e-9
  atol: 0.0
claims:
  - text: Both sides return the same sum.
    quantity: output
    expect: same
tags: [test]
"""

INPUTS_PY = """\
import numpy as np

SEED = 7


def make_inputs(seed: int = SEED) -> dict:
    return {"x": np.random.default_rng(seed).standard_normal(64)}
"""

SNIPPET_PY = """\
def setup(inputs):
    return [float(v) for v in inputs["x"]]


def run(state):
    return {"sum": sum(state)}
"""


def feature_files(feature_id: str = "fake", **overrides: str) -> dict[str, str]:
    """Files of one fake feature; `overrides` maps a file name to new text, e.g.
    `feature_files(**{"with_pytorch.py": "..."})`."""
    files = {
        f"snippets/{feature_id}/feature.yml": FEATURE_YML.format(id=feature_id),
        f"snippets/{feature_id}/inputs.py": INPUTS_PY,
        f"snippets/{feature_id}/with_pytorch.py": SNIPPET_PY,
        f"snippets/{feature_id}/with_tensorflow.py": SNIPPET_PY,
    }
    for name, text in overrides.items():
        files[f"snippets/{feature_id}/{name}"] = textwrap.dedent(text)
    return files


@pytest.fixture
def make_project(tmp_path: Path, monkeypatch):
    """Build a small project in a temp dir from a dict of relative path -> text, and work
    inside it (messages name files relative to the project)."""

    def make(files: dict[str, str]) -> Project:
        root = tmp_path / "project"
        (root / "snippets").mkdir(parents=True, exist_ok=True)
        (root / "mkdocs.yml").write_text("site_name: test\n")
        for rel, text in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        monkeypatch.chdir(root)
        return Project(root)

    return make


@pytest.fixture
def cli_runner(monkeypatch):
    """Invoke the CLI inside a project directory; returns click's Result."""
    from generator.cli import cli

    def invoke(project: Project, *args: str):
        monkeypatch.chdir(project.root)
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """A copy of the repository, built once with `fieldguide build --quick`."""
    import os
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("built") / "project"
    root.mkdir()
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    for name, ignore in (
        ("generator", ("__pycache__",)),
        ("docs", ("features",)),
        ("snippets", ("__pycache__",)),
    ):
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns(*ignore))
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--quick"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    return Project(root), proc
