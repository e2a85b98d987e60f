"""The top-level commands as plain functions: each calls the named stages in order."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from . import compare, questionnaire, store
from .discover import discover
from .environment import current_machine
from .model import FRAMEWORKS, Project, Status
from .render import render
from .run import Outcome, RunOptions, run_features
from .site import build_site

# `check` measures in quick mode into its own store, so it never replaces published numbers.
CHECK_RESULTS = Path(".fieldguide") / "check-results"


def run(
    project: Project, feature_ids: list[str], options: RunOptions, console: Console
) -> list[Outcome]:
    features = discover(project.snippets, feature_ids)
    return run_features(project, features, options, console)


def build(project: Project, options: RunOptions, console: Console) -> list[Outcome]:
    """Validate, run what is stale, render every page, then build the site with MkDocs."""
    features = discover(project.snippets)
    outcomes = run_features(project, features, options, console)
    render(project, device=options.device)
    build_site(project)
    return outcomes


@dataclass(frozen=True)
class CheckProblem:
    feature: str
    text: str


def check(
    project: Project,
    feature_ids: list[str],
    options: RunOptions,
    console: Console | None = None,
    modules: dict[str, tuple[str, str]] | None = None,
) -> tuple[list[Outcome], list[CheckProblem]]:
    """Validate metadata (and the questionnaire's rules), quick-run, and compare outputs.
    Returns outcomes and problems."""
    features = discover(project.snippets, feature_ids)
    if questionnaire.rules_path(project).is_file():
        # The rules cite features: validate against all of them, not just those checked now.
        questionnaire.load_rules(project, discover(project.snippets))
    scratch = replace(project, results_dir=project.root / CHECK_RESULTS)
    outcomes = run_features(scratch, features, options, console, modules)
    problems = [
        CheckProblem(
            o.result.feature,
            f"{o.result.framework} {o.result.status.value}: "
            f"{_last_line(o.result.message)} Run `fieldguide run --force "
            f"{o.result.feature}` to see the whole message.",
        )
        for o in outcomes
        if o.result.status in (Status.FAILED, Status.TIMEOUT)
    ]
    key = store.results_key(current_machine().machine_id, options.device)
    results = store.Store(scratch.results, key)
    for feature in features:
        loaded = {fw: results.load(feature.id, fw) for fw in FRAMEWORKS}
        for fw, result in loaded.items():
            if result is None:
                continue
            for metric, value in compare.nonzero_required(feature, result):
                problems.append(
                    CheckProblem(
                        feature.id,
                        f"{fw}: {metric.id} = {value:g} in steady state, must be 0 "
                        f"(its steady-state numbers are invalid). Make the inputs of "
                        f"run() stable so nothing is traced or compiled again.",
                    )
                )
        verdict = compare.equivalence(feature, loaded["pytorch"], loaded["tensorflow"])
        if verdict.verdict == "mismatch":
            problems.append(
                CheckProblem(
                    feature.id,
                    f"outputs differ: {verdict.detail} Fix "
                    "the snippets, or the tolerance in feature.yml.",
                )
            )
    return outcomes, problems


def _last_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[-1] if lines else ""
