"""The commands as plain functions, each a pipeline of named stages that reads every input once:

    discover -> run -> load the results snapshot -> load the rules -> render -> sync -> site

Stages get data, not the Project: the Project only says where things live.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from . import articles, collect, compare, editions, outputs, questionnaire, store
from . import render as rendering  # `render` is the command below
from .discover import Discovered, discover, discover_all
from .environment import current_machine
from .errors import FieldGuideError, Problem, ValidationError
from .model import FRAMEWORKS, INSTALLED, SECTIONS, Feature, Framework, Mode, Project, Status
from .provenance import Provenance, load_reference
from .run import Outcome, RunOptions, run_features
from .schema import is_identifier
from .site import build_site
from .text import did_you_mean, first_line

# `check` measures in quick mode into its own store, so it never replaces published numbers.
CHECK_RESULTS = Path(".fieldguide") / "check-results"
# Caches that only save time: charts by the hash of their data, MkDocs' compiled templates.
CHART_CACHE = Path(".fieldguide") / "charts"
TEMPLATE_CACHE = Path(".fieldguide") / "templates"
RULES_SOURCE = "docs/questionnaire.yml"  # how messages name the rules file
RUN_LOCK = Path(".fieldguide") / "run.lock"  # held while a run or a check measures


def build(project: Project, options: RunOptions, console: Console) -> list[Outcome]:
    """Validate, run what is stale, render every page, then build the site with MkDocs. A
    feature whose feature.yml is invalid, or a result that cannot be read, marks its own
    feature: the rest is built, then the command fails naming each."""
    found = discover_all(project.snippets)
    results = _store(project, project.results, options.device, options.threads)
    outcomes = run_features(found.features, options, results, console)
    files, unreadable = _pages(project, found, results.machine_id)
    rendering.sync(project.generated, files)
    build_site(project.root, project.site, template_cache=project.root / TEMPLATE_CACHE)
    _refuse_what_was_left_out(found, unreadable, "built")
    return outcomes


def run(
    project: Project,
    feature_ids: list[str],
    options: RunOptions,
    console: Console | None = None,
    frameworks: Mapping[str, Framework] = INSTALLED,
) -> list[Outcome]:
    """Run what is stale; a feature whose feature.yml is invalid is left out, and named after
    the others ran."""
    found = discover_all(project.snippets, feature_ids)
    results = _store(project, project.results, options.device, options.threads)
    outcomes = run_features(found.features, options, results, console, frameworks)
    _refuse_what_was_left_out(found, [], "run")
    return outcomes


def render(project: Project, machine_id: str | None = None, device: str = "cpu") -> list[Path]:
    """Render every page from stored results (no running). Returns the files that changed.
    `machine_id` may also name a results folder directly (e.g. <id>-cuda)."""
    found = discover_all(project.snippets)
    key = machine_id or store.results_key(current_machine().machine_id, device)
    files, unreadable = _pages(project, found, key)
    changed = rendering.sync(project.generated, files)
    _refuse_what_was_left_out(found, unreadable, "rendered")
    return changed


def _pages(project: Project, found: Discovered, key: str) -> tuple[dict[str, bytes], list[str]]:
    """Load the results snapshot and the rules, render the pages of results folder `key` (its
    other thread counts beside it). Also returns why any of its result files was unreadable:
    such a file marks its snippet's tab, and every other page still renders."""
    features = found.features
    snapshot = store.load_snapshot(project.results, features)
    rules = _rules(project, found, snapshot, key)
    machine = snapshot.machine(key)
    files = rendering.pages(
        features,
        machine,
        rules,
        project.root / CHART_CACHE,
        others=snapshot.other_threads(key),
        claims=_articles(project, features, rules),
        hardware=snapshot.other_hardware(key),
        provenance=Provenance(
            load_reference(project.results), snapshot, {f.id: f for f in features}
        ),
    )
    return files, sorted(machine.unreadable.values())


@dataclass(frozen=True)
class Published:
    edition: str
    alias: str
    previous: str | None
    changes: int  # timings that changed measurably
    mike: list[str]
    carried: list[str]  # machines' results kept from the edition republished


def publish(
    project: Project,
    edition: str | None = None,
    alias: str = "latest",
    *,
    push: bool = False,
    branch: str = "gh-pages",
    remote: str = "origin",
) -> Published:
    """Render the pages from stored results (no running), add the edition's data and its
    changes page, and have mike build and commit it into `branch` (pushed only with `push`)."""
    found = discover_all(project.snippets)
    key = store.results_key(current_machine().machine_id, "cpu")
    snapshot = store.load_snapshot(project.results, found.features)
    primary = snapshot.machine(key)
    if not primary.results and snapshot.machines:  # published from a machine that measured none
        key, primary = next((k, m) for k, m in snapshot.machines.items() if m.results)
    versions = editions.versions_of(list(primary.results.values()))
    name = editions.check_name(edition or editions.default_name(versions))
    carried = _carry_over(project, found.features, name, branch)
    if carried:
        snapshot = store.load_snapshot(project.results, found.features)
    loaded = _articles(project, found.features)
    current = editions.Edition(
        name,
        versions,
        editions.head_commit(project.root),
        dt.datetime.now(dt.UTC).date().isoformat(),
        {folder: m.results for folder, m in snapshot.machines.items() if m.results},
        loaded.facts if loaded else (),
    )
    problem, changes = "", None
    try:
        before = editions.previous(project.root, branch, name, alias)
    except FieldGuideError as exc:
        before, problem = None, str(exc)
    if before is not None:
        changes = editions.changes(before, current, found.features)
    files, unreadable = _pages(project, found, key)
    files[editions.DATA_FILE] = current.encode()
    files[editions.CHANGES_PAGE] = editions.changes_page(changes, name, problem)
    rendering.sync(project.generated, files)
    said = editions.deploy(
        project.root,
        name,
        editions.title(versions),
        alias,
        push=push,
        branch=branch,
        remote=remote,
    )
    _refuse_what_was_left_out(found, unreadable, "published")
    return Published(
        name,
        alias,
        before.name if before else None,
        len(changes.timings) if changes else 0,
        said,
        carried,
    )


def _carry_over(project: Project, features: list[Feature], edition: str, branch: str) -> list[str]:
    """Republishing an edition keeps the machines it has and this checkout lacks (the
    benchmark workflow's other runners, say): their results are imported from the edition's
    data into results/, through the same checks as `results import` (a stale one stays out).
    A machine folder this checkout has is never touched. Returns the folders carried over."""
    published = editions.read(project.root, branch, edition)
    if published is None:
        return []
    here = [p.name for p in project.results.iterdir()] if project.results.is_dir() else []
    with tempfile.TemporaryDirectory(prefix="fieldguide-edition-") as folder:
        editions.write_results(published, Path(folder), here)
        report = collect.collect([Path(folder)], project.results, features)
    return sorted({key for key, _, a in report.done if a is collect.Action.ADDED})


def import_results(project: Project, paths: list[Path]) -> collect.Report:
    """Merge results made elsewhere into results/ (collect.py says what is refused)."""
    found = discover_all(project.snippets)
    with _store(project, project.results, "cpu", 0).exclusive(lambda: None):
        return collect.collect(paths, project.results, found.features)


def list_results(project: Project) -> list[collect.Listed]:
    features = discover_all(project.snippets).features
    snapshot = store.load_snapshot(project.results, features)
    provenance = Provenance(load_reference(project.results), snapshot, {f.id: f for f in features})
    return collect.listing(snapshot, provenance)


def _refuse_what_was_left_out(found: Discovered, unreadable: list[str], done: str) -> None:
    """After everything else was done: a non-zero exit that names each invalid feature.yml
    (its feature was left out) and each unreadable result file (its tab says so)."""
    parts = []
    if found.problems:
        parts.append(
            str(
                ValidationError(
                    list(found.problems),
                    next_step=f"The other features were {done}; "
                    f"{', '.join(found.invalid)} {'was' if len(found.invalid) == 1 else 'were'} "
                    "left out. Fix the files above, then run `fieldguide check` again.",
                )
            )
        )
    if unreadable:
        parts.append(
            f"{len(unreadable)} result file(s) could not be read; the other pages were "
            "rendered and these snippets' tabs say so:\n" + "\n".join(f"- {u}" for u in unreadable)
        )
    if parts:
        raise FieldGuideError("\n\n".join(parts))


def _rules(
    project: Project, found: Discovered, snapshot: store.Snapshot, key: str
) -> questionnaire.Rules | None:
    """The questionnaire's rules bound to the measurements; None when the project has none."""
    if not project.rules.is_file():
        return None
    rules = questionnaire.load_rules(project.rules, RULES_SOURCE, found.features, found.invalid)
    return questionnaire.resolve(rules, found.features, snapshot, key)


def _articles(
    project: Project, features: list[Feature], rules: questionnaire.Rules | None = None
) -> articles.Articles | None:
    """The claims page's claims and the ecosystem facts, checked against the claims that the
    features and the questionnaire's sources name; None when the project has neither file."""
    paths = project.docs / "claims.yml", project.docs / "ecosystem.yml"
    if not any(p.is_file() for p in paths):
        return None
    loaded = articles.load(*paths, features)
    ids = [c.id for c in loaded.claims]
    sources = rules.evidence.values() if rules else ()
    cited = [e for e in sources if e.claim and e.claim not in ids]
    if cited:
        raise ValidationError(
            [
                Problem(
                    RULES_SOURCE,
                    f"evidence.{e.id}.claim",
                    f"the id of a claim in {articles.CLAIMS_SOURCE} (" + ", ".join(ids) + ")",
                    repr(e.claim),
                    "Fix the id, or remove the key.",
                )
                for e in cited
            ],
            "questionnaire rules",
        )
    return loaded


def ask(
    project: Project,
    answers_text: str | None,
    machine_id: str | None = None,
    prompt: Callable[..., Any] = click.prompt,
) -> str:
    """Answer the questionnaire (from `answers_text`, or by prompting) and explain the result."""
    features = discover(project.snippets)
    key = machine_id or current_machine().machine_id
    snapshot = store.load_snapshot(project.results, features)
    rules = questionnaire.resolve(
        questionnaire.load_rules(project.rules, RULES_SOURCE, features), features, snapshot, key
    )
    return questionnaire.ask(rules, answers_text, prompt)


TEMPLATE_FEATURE = "_template"  # snippets/_template: a feature that runs, to copy and change


def new(project: Project, feature_id: str, title: str, section: str) -> Path:
    """A new feature folder from snippets/_template, with its id, title and section filled
    in. Returns the folder; refuses an id that is not an identifier, or already taken."""
    if not is_identifier(feature_id):
        raise FieldGuideError(
            f"'{feature_id}': a feature id is lowercase words joined by '-' (e.g. "
            "'mixed-precision'). Choose another id."
        )
    if section not in SECTIONS:
        raise FieldGuideError(
            f"--section '{section}': expected one of {', '.join(SECTIONS)}. "
            f"{did_you_mean(section, SECTIONS)}".rstrip()
        )
    folder = project.snippets / feature_id
    if folder.exists():
        raise FieldGuideError(
            f"snippets/{feature_id}/ exists already. Choose another id, or edit that feature."
        )
    template = project.snippets / TEMPLATE_FEATURE
    if not (template / "feature.yml").is_file():
        raise FieldGuideError(
            f"snippets/{TEMPLATE_FEATURE}/feature.yml is missing: restore it from the repository."
        )
    shutil.copytree(template, folder)
    metadata = folder / "feature.yml"
    lines = metadata.read_text(encoding="utf-8").splitlines(keepends=True)
    values = {"id": feature_id, "title": title, "section": section}
    filled = []
    for line in lines:
        key = line.split(":", 1)[0]
        if key in values and not line.startswith("#"):
            comment = line.split("#", 1)[1] if "#" in line else ""
            line = (
                f"{key}: {json.dumps(values.pop(key))}"
                + (f"  # {comment.strip()}" if comment else "")
                + "\n"
            )
        filled.append(line)
    metadata.write_text("".join(filled), encoding="utf-8")
    return folder


def changed_features(project: Project, base: str) -> list[str]:
    """The features a branch changed against `base` (a git ref), committed or not: those with
    a file changed under snippets/<id>/. A change to what every snippet uses (snippets/_shared,
    the generator) means all of them."""

    def git(*args: str) -> list[str]:
        try:
            done = subprocess.run(
                ["git", *args], cwd=project.root, capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError) as exc:
            said = getattr(exc, "stderr", "") or str(exc)
            raise FieldGuideError(
                f"--changed: `git {' '.join(args)}` failed ({said.strip()}). Run check inside "
                "a git checkout, with --base naming a branch or commit it has (e.g. "
                "--base origin/main after `git fetch`)."
            ) from exc
        return [line for line in done.stdout.splitlines() if line]

    files = set(git("diff", "--name-only", f"{base}...HEAD"))
    files |= set(git("diff", "--name-only", "HEAD"))  # not committed yet
    files |= set(git("ls-files", "--others", "--exclude-standard"))  # new files
    every = [f.id for f in discover(project.snippets)]
    if any(f.startswith(("generator/", "snippets/_shared/")) for f in files):
        return every
    touched = {
        Path(f).parts[1] for f in files if f.startswith("snippets/") and len(Path(f).parts) > 2
    }
    return [feature for feature in every if feature in touched]


@dataclass(frozen=True)
class CheckProblem:
    feature: str
    text: str


def check(
    project: Project,
    feature_ids: list[str],
    options: RunOptions,
    console: Console | None = None,
    frameworks: Mapping[str, Framework] = INSTALLED,
) -> tuple[list[Outcome], list[CheckProblem]]:
    """Validate metadata (and the questionnaire's rules), quick-run, and compare outputs.
    Returns outcomes and problems."""
    features = discover(project.snippets, feature_ids)
    rules = None
    if project.rules.is_file():
        # The rules cite features: validate against all of them, not just those checked now.
        rules = questionnaire.load_rules(project.rules, RULES_SOURCE, discover(project.snippets))
    # The `article:` ids the checked features' claims name, and those of the rules' sources.
    _articles(project, features, rules)
    scratch = _store(project, project.root / CHECK_RESULTS, options.device, options.threads)
    # Two processes of each snippet: their results must agree, or the snippet is not
    # deterministic (a publication run compares all its processes the same way).
    quick = RunOptions(
        options.frameworks, options.device, Mode.QUICK, options.force, options.threads, 2
    )
    outcomes = run_features(features, quick, scratch, console, frameworks)
    problems = [
        CheckProblem(
            o.result.feature,
            f"{o.result.key} {o.result.status.value}: {first_line(o.result.message)} The whole "
            f"message, traceback included, is under 'message' in "
            f"{scratch.path(o.result.feature, o.result.key).relative_to(project.root)}.",
        )
        for o in outcomes
        if o.result.status in (Status.FAILED, Status.TIMEOUT)
    ]
    latest = {(o.result.feature, o.result.key): o.result for o in outcomes}
    for feature in features:
        results = {key: latest.get((feature.id, key)) for key in feature.keys}
        for key, result in results.items():
            for metric, value in compare.nonzero_required(feature, result) if result else ():
                problems.append(
                    CheckProblem(
                        feature.id,
                        f"{key}: {metric.id} = {value:g} in steady state, must be 0 "
                        f"(its steady-state numbers are invalid). Make the inputs of "
                        f"run() stable so nothing is traced or compiled again.",
                    )
                )
            for metric, value in compare.not_flags(feature, result) if result else ():
                problems.append(
                    CheckProblem(
                        feature.id,
                        f"{key}: {metric.id} = {value:g}, but it is declared `unit: flag`: "
                        "report 1 (yes) or 0 (no) from metrics(state).",
                    )
                )
        # The headline pair, then each variant against the other framework's headline.
        for key in FRAMEWORKS[:1] + tuple(v.key for v in feature.variants):
            pair, keys = compare.standing_in(feature, key, results)
            verdict = compare.equivalence(feature, pair["pytorch"], pair["tensorflow"])
            if verdict.verdict == outputs.Agreement.MISMATCH:
                problems.append(
                    CheckProblem(
                        feature.id,
                        f"outputs differ ({' vs '.join(keys)}): {verdict.detail} "
                        + (
                            "Fix the snippets."
                            if verdict.structural
                            else "Fix the snippets, or the tolerance in feature.yml."
                        ),
                    )
                )
    return outcomes, problems


def check_notes(project: Project, outcomes: list[Outcome]) -> list[str]:
    """What a quick run cannot show, said rather than left out silently."""
    checked = sorted({o.result.feature for o in outcomes})
    if not checked:
        return []
    return [
        f"{feature.id}: declares `work:`, but check runs no peak suite, so it shows no "
        f"roofline; a publication run (`fieldguide run {feature.id}`) measures the peaks."
        for feature in discover(project.snippets, checked)
        if feature.work is not None
    ]


def _store(project: Project, results_dir: Path, device: str, threads: int = 0) -> store.Store:
    """The store of this machine and device; results at a thread count other than the default
    (the physical cores) go to a folder of their own. Every store of a project shares one
    lock: no two of its runs or checks measure at once."""
    machine = current_machine()
    other = threads if threads and threads != machine.physical_cores else 0
    key = store.results_key(machine.machine_id, device, other)
    return store.Store(results_dir, key, lock=project.root / RUN_LOCK)
