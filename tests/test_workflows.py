"""The GitHub Actions workflows (.github/workflows/): they parse, actionlint finds nothing, and
the properties the project relies on hold in the files themselves: actions pinned by commit,
a timeout on every job, write access only where a job publishes, no pull_request_target and no
self-hosted runner for pull requests, the scripts and `fieldguide` commands they run exist, and
CPU installs take PyTorch's CPU wheels (a plain torch==2.13.0 from PyPI is the CUDA build)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from generator.cli import cli

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
CPU_INDEX = "https://download.pytorch.org/whl/cpu"
PYPI = "https://pypi.org/simple"
# A step that installs the project's Python packages, directly or through a script that does.
INSTALLS = re.compile(r"\bpip\b|\bscripts/(?:setup|test|build-site)\b|\.ci/run\b")
FIELDGUIDE = re.compile(r"(?:^|[\s;&|(])(?:[\w./-]*/)?fieldguide(?=\s|$)(?P<rest>[^;&|\n]*)")
MATRIX_VALUE = re.compile(r"^\$\{\{\s*matrix\.([\w-]+)\s*\}\}$")


def load(path: Path) -> dict[str, Any]:
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(workflow, dict), f"{path.name}: not a mapping"
    return workflow


def events(workflow: dict[str, Any]) -> set[str]:
    triggers = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on` as True
    if isinstance(triggers, str):
        return {triggers}
    return set(triggers or ())


def entries(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The job's matrix rows (its `include` entries), or one empty row without a matrix."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    include = matrix.get("include") if isinstance(matrix, dict) else None
    return list(include) if include else [{}]


def resolve(value: Any, row: dict[str, Any]) -> Any:
    """`${{ matrix.KEY }}` as that row has it ("" where the row has no KEY, as GitHub does)."""
    if isinstance(value, str) and (found := MATRIX_VALUE.match(value.strip())):
        return row.get(found[1], "")
    return value


def labels(job: dict[str, Any], row: dict[str, Any]) -> list[str]:
    runs_on = resolve(job.get("runs-on"), row)
    return [runs_on] if isinstance(runs_on, str) else list(runs_on or ())


def runs(job: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """Each `run:` step with its script, line continuations joined."""
    return [
        (step, step["run"].replace("\\\n", " "))
        for step in job.get("steps", ())
        if isinstance(step.get("run"), str)
    ]


def all_jobs() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path.name, name, job) for path in WORKFLOWS for name, job in load(path)["jobs"].items()
    ]


JOBS = [pytest.param(*job, id=f"{job[0]}:{job[1]}") for job in all_jobs()]


def publishes(job: dict[str, Any]) -> bool:
    return any(
        invocation[0] == ["publish"] for _, script in runs(job) for invocation in calls(script)
    )


def calls(script: str) -> list[tuple[list[str], list[str], click.Command | None]]:
    """Each `fieldguide …` in a script: its command path, its --options and the click command
    (None when the path names no command)."""
    found = []
    for match in FIELDGUIDE.finditer(script):
        rest = match["rest"]
        command: click.Command | None = cli
        path: list[str] = []
        for word in rest.split():
            if not isinstance(command, click.Group) or word.startswith(("-", "$", '"')):
                break
            command = command.commands.get(word)
            path.append(word)
        options = re.findall(r"(?<![\w-])--[A-Za-z][\w-]*", rest)
        found.append((path, options, command))
    return found


def test_the_workflows_are_found():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "benchmark.yml", "release.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_each_workflow_parses_with_triggers_and_jobs(path):
    workflow = load(path)
    assert events(workflow), f"{path.name}: no `on:`"
    assert workflow.get("jobs"), f"{path.name}: no jobs"
    for name, job in workflow["jobs"].items():
        assert job.get("runs-on") and job.get("steps"), f"{path.name}: job {name}"


def test_actionlint_finds_nothing(tmp_path):
    """actionlint on every workflow (it runs shellcheck on `run:` scripts where shellcheck is
    on PATH, and skips that check where it is not). The labels of self-hosted runners are
    custom by nature: those that stand beside `self-hosted` are declared to it."""
    actionlint = Path(sys.executable).with_name("actionlint")
    assert actionlint.exists(), (
        f"{actionlint} is missing: install the test extra (scripts/setup --test)"
    )
    custom = sorted(
        {
            label
            for _, _, job in all_jobs()
            for row in entries(job)
            if "self-hosted" in (found := labels(job, row))
            for label in found
        }
        - {"self-hosted", "linux", "x64", "arm64", "arm", "macos", "windows"}
    )
    config = tmp_path / "actionlint.yaml"
    config.write_text(yaml.safe_dump({"self-hosted-runner": {"labels": custom}}))
    done = subprocess.run(
        [str(actionlint), "-no-color", "-config-file", str(config), *map(str, WORKFLOWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit_with_its_version(path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        found = re.match(r"\s*(?:-\s+)?uses:\s*(\S+)(.*)", line)
        if not found or found[1].startswith("./"):
            continue
        action, comment = found[1], found[2]
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", action), (
            f"{path.name}:{number}: {action} is not pinned to a 40-hex commit"
        )
        assert re.search(r"#\s*v\d+(\.\d+)*", comment), (
            f"{path.name}:{number}: say which release the commit is (`# vX.Y.Z`)"
        )


@pytest.mark.parametrize(("workflow", "name", "job"), JOBS)
def test_every_job_has_a_timeout(workflow, name, job):
    assert "timeout-minutes" in job, f"{workflow}: job {name} has no timeout-minutes"


def grants_write(permissions: Any) -> bool:
    if isinstance(permissions, str):
        return permissions == "write-all"
    return any(level == "write" for level in (permissions or {}).values())


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_only_publishing_jobs_may_write(path):
    workflow = load(path)
    assert "permissions" in workflow, f"{path.name}: no top-level permissions"
    assert not grants_write(workflow["permissions"]), f"{path.name}: the top level grants write"
    for name, job in workflow["jobs"].items():
        if grants_write(job.get("permissions")):
            assert publishes(job), f"{path.name}: job {name} may write but publishes nothing"
            assert set(job["permissions"]) == {"contents"}, f"{path.name}: job {name}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_pull_requests_are_unprivileged(path):
    """Never pull_request_target; a workflow that pull requests trigger runs no job on a
    self-hosted runner (contributed snippets run there: docs/security.md)."""
    workflow = load(path)
    assert "pull_request_target" not in events(workflow), path.name
    if "pull_request" in events(workflow):
        for name, job in workflow["jobs"].items():
            for row in entries(job):
                assert "self-hosted" not in labels(job, row), f"{path.name}: job {name}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_scripts_the_steps_run_exist(path):
    for name, job in load(path)["jobs"].items():
        for _, script in runs(job):
            for found in re.findall(r"(?<![\w./-])((?:scripts|\.ci)/[\w./-]*\w)", script):
                assert (ROOT / found).is_file(), f"{path.name}: job {name} runs {found}, missing"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_the_fieldguide_commands_and_options_exist(path):
    for name, job in load(path)["jobs"].items():
        for _, script in runs(job):
            for command_path, options, command in calls(script):
                shown = f"{path.name}: job {name}: `fieldguide {' '.join(command_path)}`"
                if command is None:
                    parent: Any = cli
                    for word in command_path[:-1]:
                        parent = parent.commands[word]
                    pytest.fail(
                        f"{shown}: no such command (CLI commands: "
                        f"`fieldguide {' '.join(command_path[:-1])}` has {sorted(parent.commands)})"
                    )
                assert not isinstance(command, click.Group), f"{shown}: which subcommand?"
                known = {"--help"} | {
                    opt for param in command.params for opt in (*param.opts, *param.secondary_opts)
                }
                for option in options:
                    assert option in known, f"{shown} has no {option} (it has {sorted(known)})"
        devices = cli.commands["run"].params
        choices = next(p.type.choices for p in devices if p.name == "device")
        for row in entries(job):
            if "device" in row:
                assert row["device"] in choices, f"{path.name}: job {name}: {row['device']}"


@pytest.mark.parametrize(("workflow", "name", "job"), JOBS)
def test_cpu_installs_take_pytorchs_cpu_wheels(workflow, name, job):
    """Every step that installs packages sees PyTorch's CPU index (with PyPI for the rest) on a
    CPU target, and no CPU index on a CUDA one (the CUDA build of torch comes from PyPI)."""
    top = load(ROOT / ".github" / "workflows" / workflow).get("env") or {}
    for row in entries(job):
        for step, script in runs(job):
            if not INSTALLS.search(script):
                continue
            env = {**top, **(job.get("env") or {}), **(step.get("env") or {})}
            env = {key: resolve(value, row) for key, value in env.items()}
            shown = f"{workflow}: job {name} {row.get('name', '')}: `{script.strip()[:60]}`"
            if row.get("device", "cpu") == "cpu":
                assert env.get("PIP_INDEX_URL") == CPU_INDEX, f"{shown}: PIP_INDEX_URL"
                assert env.get("PIP_EXTRA_INDEX_URL") == PYPI, f"{shown}: PIP_EXTRA_INDEX_URL"
            else:
                assert not env.get("PIP_INDEX_URL"), f"{shown}: a CPU index on a CUDA target"
