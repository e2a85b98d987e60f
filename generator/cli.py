"""The command-line interface: each command parses its options and calls one function."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from . import collect, commands, editions
from .errors import FieldGuideError
from .model import DEVICES, FRAMEWORKS, SECTIONS, Mode, Project
from .report import summary_table
from .run import RunOptions, failed

# Not on a terminal (CI logs, pipes), rich would wrap at 80 columns and cut feature ids and the
# commands to run out of the summary table.
console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
F = TypeVar("F", bound=Callable[..., Any])


def run_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by the commands that measure."""
    return _run_options(func, quick=True)


def check_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options of `check`, which always measures in quick mode: no --quick to offer."""
    return _run_options(func, quick=False)


def _run_options(func: Callable[..., Any], quick: bool) -> Callable[..., Any]:
    @click.option(
        "--framework",
        "frameworks",
        multiple=True,
        type=click.Choice(FRAMEWORKS),
        help="Only this framework (repeatable). Default: both.",
    )
    @click.option(
        "--device",
        type=click.Choice(DEVICES),
        default="cpu",
        show_default=True,
        help="Where the snippets run. cuda synchronizes before every clock read.",
    )
    @click.option("--force", is_flag=True, help="Re-run even if nothing changed.")
    @click.option(
        "--threads",
        type=click.IntRange(min=1),
        default=None,
        help="Intra-op threads for both frameworks. Default: physical cores. Results at another "
        "count are stored beside the default ones (results/<machine-id>-threads<N>/) and the "
        "feature pages show where their verdicts differ.",
    )
    @functools.wraps(func)
    def wrapper(
        *args: Any,
        frameworks: tuple[str, ...],
        device: str,
        force: bool,
        threads: int | None,
        quick: bool = False,
        **kwargs: Any,
    ) -> Any:
        options = RunOptions(
            frameworks=tuple(frameworks) or FRAMEWORKS,
            device=device,
            mode=Mode.QUICK if quick else Mode.DEFAULT,
            force=force,
            threads=threads or 0,
        )
        return func(*args, options=options, **kwargs)

    if quick:
        wrapper = click.option(
            "--quick",
            is_flag=True,
            help="Few samples, one process: for tests and CI, not for publishing.",
        )(wrapper)
    return wrapper


def user_errors(func: F) -> F:
    """User errors are printed without a traceback and exit with status 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except FieldGuideError as exc:
            console.print(
                f"Error: {exc}", style="red", highlight=False, markup=False, soft_wrap=True
            )
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


@click.group()
@click.version_option(package_name="framework-field-guide")
def cli() -> None:
    """Framework Field Guide: measured PyTorch vs TensorFlow snippets, rendered into a site."""


@cli.command()
@click.argument("features", nargs=-1)
@run_options
@user_errors
def run(features: tuple[str, ...], options: RunOptions) -> None:
    """Run the snippets of FEATURES (default: all) whose inputs changed, and store results."""
    outcomes = commands.run(Project.find(), list(features), options, console)
    console.print(summary_table(outcomes))
    if failed(outcomes):
        sys.exit(1)


@cli.command()
@click.option("--machine", default=None, help="Render another machine's results (its id).")
@click.option(
    "--device",
    type=click.Choice(DEVICES),
    default="cpu",
    show_default=True,
    help="Render this machine's results on this device.",
)
@user_errors
def render(machine: str | None, device: str) -> None:
    """Render the pages from stored results, without running anything."""
    changed = commands.render(Project.find(), machine, device)
    console.print(f"Rendered pages: {len(changed)} file(s) changed under docs/features/.")


@cli.command()
@run_options
@user_errors
def build(options: RunOptions) -> None:
    """Run what is stale, render the pages, and build the site into site/."""
    project = Project.find()
    outcomes = commands.build(project, options, console)
    console.print(summary_table(outcomes))
    console.print(
        f"Site built in {project.site}. Serve it with:\n"
        f"  python -m http.server --directory {project.site} 8000\n"
        "then open http://127.0.0.1:8000/"
    )
    if failed(outcomes):
        console.print(
            "Some snippets failed; the site was built and their pages show the "
            "error. Fix them and run `fieldguide build` again.",
            style="yellow",
        )
        sys.exit(1)


@cli.command()
@click.argument("features", nargs=-1)
@click.option(
    "--changed",
    is_flag=True,
    help="Only the features this branch changed against --base (committed or not).",
)
@click.option(
    "--base", default="main", show_default=True, help="The git ref --changed compares with."
)
@check_options
@user_errors
def check(features: tuple[str, ...], changed: bool, base: str, options: RunOptions) -> None:
    """Validate metadata, quick-run FEATURES (default: all) twice, and check that both sides
    agree and each gives the same result every time. It measures in quick mode, into
    .fieldguide/, never into results/."""
    project = Project.find()
    if changed:
        features = tuple(commands.changed_features(project, base))
        if not features:
            console.print(f"No feature changed against {base}: nothing to check.")
            return
        console.print(f"Checking what changed against {base}: {', '.join(features)}")
    outcomes, problems = commands.check(project, list(features), options, console)
    console.print(summary_table(outcomes, again="check"))
    for note in commands.check_notes(project, outcomes):
        console.print(note, highlight=False, markup=False, soft_wrap=True)
    for problem in problems:
        console.print(
            f"{problem.feature}: {problem.text}",
            style="red",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
    if problems:
        sys.exit(1)
    console.print("All checks passed.", style="green")


@cli.command()
@click.argument("feature_id")
@click.option("--title", required=True, help="The page's title, e.g. 'Mixed precision'.")
@click.option(
    "--section",
    type=click.Choice(SECTIONS),
    default="Core",
    show_default=True,
    help="The site section the page goes in.",
)
@user_errors
def new(feature_id: str, title: str, section: str) -> None:
    """Start a feature: snippets/FEATURE_ID/ from the template, with both snippets."""
    project = Project.find()
    folder = commands.new(project, feature_id, title, section)
    rel = folder.relative_to(project.root)
    console.print(
        f"Created {rel}/ (feature.yml, inputs.py, with_pytorch.py, with_tensorflow.py): a feature "
        "that runs as it is. Fill in every key of feature.yml and write both snippets "
        f"(CONTRIBUTING.md says how), then run `fieldguide check {feature_id}`.",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


@cli.command()
@click.option(
    "--answers",
    default=None,
    metavar="ID=VALUE,...",
    help="Answer without prompts, e.g. existing=pytorch,deploy=server,browser "
    "(a share link's query string works too). Default: ask each question.",
)
@click.option("--machine", default=None, help="Use another machine's measurements (its id).")
@user_errors
def ask(answers: str | None, machine: str | None) -> None:
    """Answer the framework questionnaire and print the recommendation, reasons and evidence."""
    click.echo(commands.ask(Project.find(), answers, machine))


@cli.command()
@click.option(
    "--edition",
    default=None,
    help="The edition's name. Default: from the measured versions, e.g. tf2.21-pt2.13.",
)
@click.option("--alias", default="latest", show_default=True, help="The alias it moves.")
@click.option("--push", is_flag=True, help="Push the gh-pages branch (default: commit only).")
@click.option("--branch", default="gh-pages", show_default=True, help="The branch mike writes.")
@click.option("--remote", default="origin", show_default=True, help="The remote --push uses.")
@user_errors
def publish(edition: str | None, alias: str, push: bool, branch: str, remote: str) -> None:
    """Render the stored results into an edition and commit it with mike into the gh-pages
    branch, with a page of what changed since the previous edition. Runs no snippet."""
    done = commands.publish(Project.find(), edition, alias, push=push, branch=branch, remote=remote)
    since = (
        f"; {done.changes} measurable timing change(s) since {done.previous}"
        if done.previous
        else "; the first edition"
    )
    where = f"pushed to {remote}/{branch}" if push else f"committed to {branch} (not pushed)"
    console.print(f"Published {done.edition} as {done.alias}, {where}{since}.", highlight=False)
    if not push:
        console.print(
            f"Look at it with: mike serve --config-file {editions.CONFIG} -a 127.0.0.1:8000",
            highlight=False,
        )


@cli.group()
def results() -> None:
    """The stored results of every machine: list them, or import results made elsewhere."""


@results.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@user_errors
def import_(paths: tuple[Path, ...]) -> None:
    """Import the results under PATHS (result files, results folders, .tar.gz archives) into
    results/, each into its own machine's folder. Refused files are named with the reason."""
    report = commands.import_results(Project.find(), list(paths))
    for action in collect.Action:
        if count := report.count(action):
            console.print(f"{action.value}: {count} file(s)", highlight=False)
    folders = sorted({folder for folder, _, a in report.done if a is not collect.Action.UNCHANGED})
    if folders:
        console.print(f"Changed folders: {', '.join(folders)}", highlight=False)
    if report.refused:
        for message in report.refused:
            console.print(message, style="red", highlight=False, markup=False, soft_wrap=True)
        console.print(
            f"{len(report.refused)} file(s) refused; the others were imported.", style="red"
        )
        sys.exit(1)


@results.command("list")
@user_errors
def list_() -> None:
    """What is stored per machine and feature: modes, dates, stale and failed results."""
    rows = commands.list_results(Project.find())
    if not rows:
        console.print("No results stored yet: `fieldguide run` measures this machine.")
        return
    table = Table("Machine", "Feature", "Snippets", "Mode", "Measured", "Current", "Verified")
    for row in rows:
        current = "yes" if not row.stale else f"{row.stale} stale"
        failed = f", {row.failed} failed" if row.failed else ""
        table.add_row(
            row.folder,
            row.feature,
            f"{row.snippets}{failed}",
            ", ".join(row.modes),
            row.measured,
            current,
            "yes" if row.verified else "unverified",
        )
    console.print(table)


def main() -> None:
    cli(prog_name="fieldguide")
