"""Editions: the guide for one pair of framework versions, published with mike, and what
changed since the previous one.

An edition is named from the versions its primary machine measured (`tf2.21-pt2.13`), unless
named explicitly. `fieldguide publish` renders the pages, adds two files, then has mike build
the site with mkdocs.edition.yml (mkdocs.yml plus mike and the version selector) and commit it
into the gh-pages branch:

- features/edition.json.gz, the edition's data: its name, versions and commit, every stored
  result of every machine, and the ecosystem facts. It is what the next edition compares with,
  read back from the branch, and anyone can download it.
- features/changes.md, "What changed since <previous edition>": per machine and feature, what
  got measurably faster or slower, by the rule the pages use for PyTorch against TensorFlow
  (`compare.row`, here new against old: a hierarchical bootstrap interval and the noise floor,
  so noise is not reported as change; quick-mode and busy results are not judged), the
  equivalence checks whose verdict changed, and the ecosystem facts added, removed or changed.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import compare, store
from .articles import Fact
from .errors import FieldGuideError
from .model import FRAMEWORK_LABELS, FRAMEWORKS, INSTALLED, Feature, RunResult
from .outputs import Agreement
from .render import environment  # the pages' Jinja environment and filters

DATA_FILE = "edition.json.gz"  # under docs/features/
CHANGES_PAGE = "changes.md"
CONFIG = "mkdocs.edition.yml"
DATA_VERSION = 1
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# What the changes page compares, per snippet: the timed quantities the pages lead with.
QUANTITIES = ("steady", "first_call", "first_result")
CHANGED = (compare.Verdict.PYTORCH, compare.Verdict.TENSORFLOW)  # new lower, new higher


@dataclass(frozen=True)
class Edition:
    """One edition's data, as features/edition.json.gz holds it."""

    name: str
    versions: Mapping[str, str]  # framework -> version, as measured on the primary machine
    commit: str
    published: str  # YYYY-MM-DD
    results: Mapping[str, Mapping[tuple[str, str], RunResult]]  # folder -> (feature, key)
    facts: tuple[Fact, ...] = ()

    def encode(self) -> bytes:
        data = {
            "data_version": DATA_VERSION,
            "name": self.name,
            "versions": dict(self.versions),
            "commit": self.commit,
            "published": self.published,
            "results": {
                folder: [store.encode(r) for _, r in sorted(results.items())]
                for folder, results in sorted(self.results.items())
            },
            "facts": [dataclasses.asdict(f) for f in self.facts],
        }
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return gzip.compress(text.encode(), mtime=0)

    @classmethod
    def decode(cls, raw: bytes, where: str) -> Edition:
        try:
            data = json.loads(gzip.decompress(raw))
            if data.get("data_version") != DATA_VERSION:
                raise ValueError(f"data_version {data.get('data_version')!r}")
            results = {
                folder: {
                    (r.feature, r.key): r
                    for r in (store.decode(item, Path(where), item["feature"]) for item in items)
                }
                for folder, items in data["results"].items()
            }
            return cls(
                data["name"],
                data["versions"],
                data["commit"],
                data["published"],
                results,
                tuple(Fact(**f) for f in data["facts"]),
            )
        except (OSError, ValueError, KeyError, TypeError, FieldGuideError) as exc:
            raise FieldGuideError(
                f"{where}: not an edition's data ({exc}). The changes page needs the previous "
                "edition's features/edition.json.gz as `fieldguide publish` wrote it; publish "
                "with --no-changes to leave the page out."
            ) from exc


def versions_of(results: Sequence[RunResult]) -> dict[str, str]:
    """Each framework's version as its results recorded it, the most common one; the installed
    version where no result says."""
    found: dict[str, str] = {}
    for framework in FRAMEWORKS:
        said = [
            r.framework_version or r.framework_info.get("version") or ""
            for r in results
            if r.framework == framework
        ]
        said = [v for v in said if v]
        found[framework] = (
            max(set(said), key=said.count)
            if said
            else INSTALLED[framework].installed_version() or "unknown"
        )
    return found


def default_name(versions: Mapping[str, str]) -> str:
    """`tf2.21-pt2.13`: the major.minor of each framework."""

    def short(version: str) -> str:
        return ".".join(version.split("+")[0].split(".")[:2])

    return f"tf{short(versions['tensorflow'])}-pt{short(versions['pytorch'])}"


def title(versions: Mapping[str, str]) -> str:
    return (
        f"TensorFlow {versions['tensorflow'].split('+')[0]} · "
        f"PyTorch {versions['pytorch'].split('+')[0]}"
    )


def check_name(name: str) -> str:
    if not NAME.fullmatch(name) or name == "latest":
        raise FieldGuideError(
            f"--edition: {name!r} is not an edition name: expected letters, digits, '.', '_' "
            "or '-' (up to 64), not 'latest' (that is the alias), for example tf2.21-pt2.13."
        )
    return name


# The changes between two editions.


@dataclass(frozen=True)
class Change:
    folder: str
    feature: Feature
    label: str  # the snippet's label ("PyTorch", "TensorFlow: tf.function")
    quantity: str  # its label, as the pages say it
    old: compare.Summary
    new: compare.Summary
    ratio: compare.Ratio  # new / old

    @property
    def slower(self) -> bool:
        return self.ratio.verdict == compare.Verdict.TENSORFLOW

    def describe(self) -> str:
        factor = self.ratio.value if self.slower else 1 / self.ratio.value
        word = "slower" if self.slower else "faster"
        return (
            f"{factor:.2f}× {word} (new/old {self.ratio.value:.3f}, 95% CI "
            f"{self.ratio.ci_low:.3f}–{self.ratio.ci_high:.3f})"
        )


@dataclass(frozen=True)
class EquivalenceChange:
    folder: str
    feature: Feature
    old: str
    new: str
    detail: str


@dataclass(frozen=True)
class FactChange:
    fact_id: str
    topic: str
    what: str  # "added", "removed", "changed"
    old: Fact | None
    new: Fact | None


@dataclass(frozen=True)
class Changes:
    previous: str
    current: str
    previous_versions: Mapping[str, str]
    current_versions: Mapping[str, str]
    timings: tuple[Change, ...]
    equivalence: tuple[EquivalenceChange, ...]
    facts: tuple[FactChange, ...]
    compared: int  # (snippet, quantity) pairs judged
    not_judged: int  # pairs where either side was quick mode or on a busy machine
    machines: tuple[str, ...]  # folders in both editions
    only_new: tuple[str, ...]  # folders measured in the new edition only


def changes(old: Edition, new: Edition, features: Sequence[Feature]) -> Changes:
    timings, equivalence = [], []
    compared = not_judged = 0
    shared = tuple(sorted(set(old.results) & set(new.results)))
    for folder in shared:
        before, after = old.results[folder], new.results[folder]
        for feature in features:
            for key in feature.keys:
                was, now = before.get((feature.id, key)), after.get((feature.id, key))
                if was is None or now is None or not (was.ok and now.ok):
                    continue
                for quantity in QUANTITIES:
                    row = compare.row(feature, quantity, now, was)  # "pytorch" = new
                    ratio = row.ratio
                    if ratio is None or row.pytorch is None or row.tensorflow is None:
                        continue
                    if ratio.verdict == compare.Verdict.NOT_JUDGED:
                        not_judged += 1
                        continue
                    compared += 1
                    if ratio.verdict in CHANGED:
                        label = FRAMEWORK_LABELS[feature.framework_of(key)]
                        variant = feature.variant(key)
                        label += f": {variant.label}" if variant else ""
                        timings.append(
                            Change(
                                folder,
                                feature,
                                label,
                                row.label,
                                row.tensorflow,
                                row.pytorch,
                                ratio,
                            )
                        )
            pair = [
                compare.equivalence(
                    feature, r.get((feature.id, "pytorch")), r.get((feature.id, "tensorflow"))
                )
                for r in (before, after)
            ]
            if pair[0].verdict != pair[1].verdict and Agreement.NOT_AVAILABLE not in (
                pair[0].verdict,
                pair[1].verdict,
            ):
                equivalence.append(
                    EquivalenceChange(
                        folder, feature, pair[0].verdict, pair[1].verdict, pair[1].detail
                    )
                )
    return Changes(
        old.name,
        new.name,
        old.versions,
        new.versions,
        tuple(sorted(timings, key=lambda c: (c.folder, c.feature.id, -abs(c.ratio.value - 1)))),
        tuple(equivalence),
        _fact_changes(old.facts, new.facts),
        compared,
        not_judged,
        shared,
        tuple(sorted(set(new.results) - set(old.results))),
    )


def _fact_changes(old: Sequence[Fact], new: Sequence[Fact]) -> tuple[FactChange, ...]:
    before, after = {f.id: f for f in old}, {f.id: f for f in new}
    found = []
    for fact_id in sorted(set(before) | set(after)):
        was, now = before.get(fact_id), after.get(fact_id)
        if was == now:
            continue
        what = "added" if was is None else "removed" if now is None else "changed"
        topic = (now or was).topic  # type: ignore[union-attr]
        found.append(FactChange(fact_id, topic, what, was, now))
    return tuple(found)


def changes_page(changes: Changes | None, current: str, problem: str = "") -> bytes:
    page = environment().get_template("pages/changes.md.j2")
    return page.render(changes=changes, current=current, problem=problem).encode()


# Reading the published editions from the branch, and deploying with mike.


def git(root: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", *args], cwd=root, capture_output=True, check=check)


def published(root: Path, branch: str) -> list[dict[str, Any]]:
    """mike's versions.json on `branch`, newest first; [] when nothing is published yet."""
    shown = git(root, "show", f"{branch}:versions.json", check=False)
    if shown.returncode != 0:
        return []
    try:
        entries = json.loads(shown.stdout)
    except json.JSONDecodeError as exc:
        raise FieldGuideError(
            f"{branch}:versions.json is not JSON ({exc}): the branch was not written by mike."
        ) from exc
    return list(entries)


def previous(root: Path, branch: str, name: str, alias: str) -> Edition | None:
    """The edition this one follows: the one holding `alias` now, unless that is this one
    (a re-publication), then the newest other edition. None for a first edition, or when
    the previous one predates edition data."""
    entries = [e for e in published(root, branch) if e.get("version") != name]
    if not entries:
        return None
    holding = [e for e in entries if alias in e.get("aliases", [])]
    return read(root, branch, (holding or entries)[0]["version"])


def read(root: Path, branch: str, name: str) -> Edition | None:
    """A published edition's data; None when it is not published, or predates edition data."""
    path = f"{name}/features/{DATA_FILE}"
    shown = git(root, "show", f"{branch}:{path}", check=False)
    if shown.returncode != 0:
        return None
    return Edition.decode(shown.stdout, f"{branch}:{path}")


def write_results(edition: Edition, folder: Path, skip: Sequence[str]) -> None:
    """The edition's results in the store's layout under `folder` (to import them), except
    the results folders named in `skip`."""
    for key, results in edition.results.items():
        if key in skip:
            continue
        for (feature_id, snippet), result in results.items():
            path = store.Store(folder, key).path(feature_id, snippet)
            store.write_json(path, store.encode(result))


def head_commit(root: Path) -> str:
    shown = git(root, "rev-parse", "--short=12", "HEAD", check=False)
    return shown.stdout.decode().strip() if shown.returncode == 0 else "unknown"


def deploy(
    root: Path, name: str, label: str, alias: str, *, push: bool, branch: str, remote: str
) -> list[str]:
    """`mike deploy` the built edition and make `alias` the default; returns mike's output.
    mike runs `mkdocs` by name, so this Python's bin folder goes first on PATH; mike has no
    --strict, which mkdocs.yml's `strict: true` stands in for."""
    bin_dir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "")}
    env["NO_MKDOCS_2_WARNING"] = "1"
    mike = [str(Path(bin_dir) / "mike")]
    common = ["--config-file", CONFIG, "--branch", branch, "--remote", remote]
    common += ["--push"] if push else []
    steps = [
        [*mike, "deploy", *common, "--update-aliases", "--title", label, name, alias],
        [*mike, "set-default", *common, alias],
    ]
    said = []
    for step in steps:
        done = subprocess.run(step, cwd=root, env=env, capture_output=True, text=True)
        said.append((done.stdout + done.stderr).strip())
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-30:])
            raise FieldGuideError(
                f"`{' '.join(step[1:3])}` failed (exit {done.returncode}):\n{tail}\n"
                "Fix what it names (a strict-build warning, git identity, an unfetched "
                f"{branch} branch: `git fetch {remote} {branch}`), then publish again."
            )
    return said
