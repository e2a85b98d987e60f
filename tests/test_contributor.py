"""The contributor's path: scaffold a feature, fill it, check it, build its page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import commands
from generator.discover import discover
from generator.errors import FieldGuideError
from generator.model import Project
from generator.run import RunOptions

ROOT = Path(__file__).resolve().parent.parent


def project_with_template(tmp_path: Path) -> Project:
    root = tmp_path / "project"
    (root / "snippets").mkdir(parents=True)
    shutil.copytree(ROOT / "snippets" / "_template", root / "snippets" / "_template")
    (root / "mkdocs.yml").write_text("site_name: test\n")
    return Project(root)


def test_new_scaffolds_a_feature_that_validates(tmp_path):
    project = project_with_template(tmp_path)
    folder = commands.new(project, "mixed-precision", 'Mixed "precision" #1', "Training")
    assert sorted(p.name for p in folder.iterdir()) == [
        "feature.yml",
        "inputs.py",
        "with_pytorch.py",
        "with_tensorflow.py",
    ]
    (feature,) = discover(project.snippets, ["mixed-precision"])
    assert (feature.id, feature.title, feature.section) == (
        "mixed-precision",
        'Mixed "precision" #1',
        "Training",
    )


def test_new_refuses_a_taken_or_malformed_id_and_an_unknown_section(tmp_path):
    project = project_with_template(tmp_path)
    commands.new(project, "taken", "Taken", "Core")
    with pytest.raises(FieldGuideError, match="snippets/taken/ exists already"):
        commands.new(project, "taken", "Again", "Core")
    with pytest.raises(FieldGuideError, match="a feature id is lowercase words joined by '-'"):
        commands.new(project, "Mixed_Precision", "X", "Core")
    with pytest.raises(FieldGuideError, match="Did you mean 'Training'"):
        commands.new(project, "other", "X", "Trainig")


@pytest.mark.slow  # real PyTorch and TensorFlow, quick mode
def test_a_contributor_scaffolds_fills_checks_and_finds_the_page(tmp_path):
    project = project_with_template(tmp_path)
    folder = commands.new(project, "column-max", "Column maximum", "Core")
    # Fill it: the template sums columns; this feature takes their maximum on both sides.
    for name, old, new in (
        ("with_pytorch.py", 'state["x"].sum(dim=0)', 'state["x"].amax(dim=0)'),
        (
            "with_tensorflow.py",
            'tf.reduce_sum(state["x"], axis=0)',
            'tf.reduce_max(state["x"], axis=0)',
        ),
    ):
        path = folder / name
        assert old in path.read_text(), f"the template's {name} changed: update this test"
        path.write_text(path.read_text().replace(old, new))
    outcomes, problems = commands.check(project, ["column-max"], RunOptions(mode="quick"))
    assert problems == [] and {o.result.status.value for o in outcomes} == {"ok"}
    commands.run(project, ["column-max"], RunOptions(mode="quick"))
    commands.render(project)
    page = (project.generated / "core" / "column-max.md").read_text()
    assert "# Column maximum" in page and '!!! success "Same result? Yes"' in page
    assert "| Steady state, per call | " in page


def git(root: Path, *args: str) -> None:
    import subprocess

    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_check_changed_finds_what_a_branch_changed_committed_or_not(make_project):
    from .conftest import feature_files

    files = {**feature_files("one"), **feature_files("two"), **feature_files("three")}
    project = make_project(files)
    git(project.root, "init", "-q", "-b", "main")
    git(project.root, "add", "-A")
    git(project.root, "commit", "-q", "-m", "base")
    git(project.root, "checkout", "-q", "-b", "feature")
    assert commands.changed_features(project, "main") == []
    two = project.snippets / "two" / "with_pytorch.py"
    two.write_text(two.read_text() + "\n# committed edit\n")
    git(project.root, "commit", "-q", "-am", "edit two")
    three = project.snippets / "three" / "feature.yml"
    three.write_text(three.read_text() + "# not committed yet\n")
    assert sorted(commands.changed_features(project, "main")) == ["three", "two"]
    (project.root / "generator").mkdir()
    (project.root / "generator" / "new.py").write_text("")  # what every snippet uses
    assert sorted(commands.changed_features(project, "main")) == ["one", "three", "two"]


def test_check_changed_outside_git_says_what_to_do(make_project):
    from .conftest import feature_files

    project = make_project(feature_files("one"))
    with pytest.raises(FieldGuideError, match="Run check inside a git checkout, with --base"):
        commands.changed_features(project, "no-such-ref")


def test_the_workflows_pass_zizmor_and_keep_pull_requests_unprivileged(tmp_path):
    """Contributed snippets run in CI: zizmor (offline audits, default persona) finds nothing,
    and the properties the security page promises hold in the file itself. (zizmor does flag
    the workflow a careless contributor might propose: checked first, so the test can fail.)"""
    import subprocess
    import sys

    import yaml

    zizmor = Path(sys.executable).with_name("zizmor")
    careless = tmp_path / ".github" / "workflows" / "ci.yml"
    careless.parent.mkdir(parents=True)
    careless.write_text(
        "on: pull_request_target\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n"
        "      - uses: actions/checkout@v4\n        with:\n"
        "          ref: ${{ github.event.pull_request.head.sha }}\n      - run: bash .ci/run\n"
    )
    flagged = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", ".github/"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert flagged.returncode != 0 and "dangerous-triggers" in flagged.stdout
    done = subprocess.run(
        [str(zizmor), "--offline", "--no-progress", ".github/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No findings to report" in done.stdout + done.stderr
    for path in sorted((ROOT / ".github" / "workflows").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        workflow = yaml.safe_load(text)
        triggers = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on` as True
        assert "pull_request_target" not in triggers, path.name
        assert workflow["permissions"] == {"contents": "read"}, path.name
        assert "secrets." not in text, path.name
        for job in workflow["jobs"].values():
            assert "self-hosted" not in str(job.get("runs-on")), path.name
