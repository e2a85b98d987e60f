"""Results made elsewhere (a contributor's machine, a CI artifact, a tarball) into results/.

`collect` reads every result and peak record under the paths it is given, checks each one, and
writes what passes into its own machine's folder. A file is refused, with the reason, when it
is not a result of a schema this version reads, its digest does not match its content, its
feature or snippet is not in the repository, it was measured from other files than the
repository's (it is stale: `store.is_current`), or it lies in another machine's folder than
the one it says it was measured on. Nothing refused stops the rest.

It never writes into a folder other than the result's own machine's, so importing can never
replace another machine's numbers; and it is idempotent: a result already stored is
"unchanged", an older one than the stored one is kept out, a newer one replaces it (the store
keeps the last good result beside a failed one, as a run does).
"""

from __future__ import annotations

import contextlib
import enum
import json
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import store
from .errors import FieldGuideError
from .model import MODE_LABELS, Feature, RunResult
from .peaks import PeakRecord
from .provenance import Provenance
from .text import did_you_mean

ARCHIVES = (".tar", ".tar.gz", ".tgz", ".tar.xz", ".tar.bz2")


class Action(enum.StrEnum):
    ADDED = "added"
    REPLACED = "replaced an older result"
    UNCHANGED = "unchanged"
    KEPT_NEWER = "kept the newer stored result"


@dataclass
class Report:
    done: list[tuple[str, str, Action]] = field(default_factory=list)  # (folder, what, action)
    refused: list[str] = field(default_factory=list)  # one message per refused file

    def count(self, action: Action) -> int:
        return sum(1 for _, _, a in self.done if a is action)


def collect(paths: list[Path], results_dir: Path, features: list[Feature]) -> Report:
    """Import every result and peak record found under `paths` into `results_dir`."""
    by_id = {f.id: f for f in features}
    report = Report()
    for path in paths:
        if not path.exists():
            report.refused.append(f"{path}: no such file or folder.")
            continue
        try:
            with _unpacked(path) as (folder, shown):
                for file in sorted(folder.rglob("*.json")) if folder.is_dir() else [folder]:
                    name = shown(file)
                    try:
                        _import_file(file, name, results_dir, by_id, report)
                    except FieldGuideError as exc:
                        report.refused.append(str(exc).replace(str(file), name))
        except FieldGuideError as exc:
            report.refused.append(str(exc))
    return report


def _import_file(
    file: Path, name: str, results_dir: Path, features: dict[str, Feature], report: Report
) -> None:
    data = store.read_json(file, "")
    if "run_id" in data and "feature" not in data:  # a peak record
        _import_peaks(file, name, data, results_dir, report)
        return
    result = store.decode(data, file, data.get("feature", "<feature>"))
    feature = features.get(result.feature)
    if feature is None:
        hint = did_you_mean(result.feature, sorted(features))
        raise FieldGuideError(
            f"{name}: key 'feature': {result.feature!r} is not a feature of this repository "
            f"(no snippets/{result.feature}/feature.yml).{hint} Import it into the checkout "
            "it was measured with, or add the feature first."
        )
    if result.key not in feature.keys:
        raise FieldGuideError(
            f"{name}: snippet {result.key!r} is not one of {feature.id}'s snippets "
            f"({', '.join(feature.keys)}). Was it renamed? Measure it again with this checkout."
        )
    if not store.is_current(feature, result):
        raise FieldGuideError(
            f"{name}: key 'cache_key': it was measured from other files than the repository's "
            f"snippets/{feature.id}/ (its snippet, helpers, feature.yml or inputs) or by "
            "another version of the harness. Measure it again with this checkout "
            f"(`fieldguide run {feature.id}` on that machine), or import it into the checkout "
            "it was measured with."
        )
    key = store.folder_key(result)
    found_in = file.parent.parent.name if file.parent.name == feature.id else None
    if found_in is not None and found_in != key and _looks_like_a_folder(found_in):
        raise FieldGuideError(
            f"{name}: it says it was measured on {key!r} but lies in the folder {found_in!r}. "
            "Results of one machine never go into another's folder: put it back where it was "
            "written, or take it from the machine that measured it."
        )
    target = store.Store(results_dir, key)
    suffix = ".last-ok" if file.name.endswith(".last-ok.json") else ""
    destination = target.path(feature.id, result.key, suffix)
    what = f"{feature.id}/{destination.name}"
    if destination.is_file():
        stored = store.decode(store.read_json(destination, feature.id), destination, feature.id)
        if store.encode(stored) == store.encode(result):
            report.done.append((key, what, Action.UNCHANGED))
            return
        if stored.created >= result.created:
            report.done.append((key, what, Action.KEPT_NEWER))
            return
        action = Action.REPLACED
    else:
        action = Action.ADDED
    if suffix:
        store.write_json(destination, store.encode(result))
    else:
        target.save(result)
    report.done.append((key, what, action))


def _import_peaks(
    file: Path, name: str, data: dict[str, Any], results_dir: Path, report: Report
) -> None:
    """A peak record has no machine id of its own: it goes where it was found,
    <machine-key>/peaks/<run-id>.json, and only there."""
    key = file.parent.parent.name
    if file.parent.name != "peaks" or not _looks_like_a_folder(key):
        raise FieldGuideError(
            f"{name}: a peak record must lie in <machine-id>/peaks/ to say whose it is. "
            "Import the machine's whole results folder."
        )
    try:
        record = PeakRecord.from_json(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise FieldGuideError(f"{name}: not a valid peak record ({exc}).") from exc
    target = store.Store(results_dir, key)
    destination = target.peaks_path(record.run_id)
    what = f"peaks/{destination.name}"
    if destination.is_file():
        if json.loads(destination.read_text(encoding="utf-8")) == data:
            report.done.append((key, what, Action.UNCHANGED))
            return
        raise FieldGuideError(
            f"{name}: differs from the stored peak record of the same run "
            f"({key}/peaks/{destination.name}). A run's record never changes: keep the stored "
            "one, or delete it first if you know it is wrong."
        )
    target.save_peaks(record)
    report.done.append((key, what, Action.ADDED))


def _looks_like_a_folder(name: str) -> bool:
    """A machine's results folder: <slug>-<8 hex>, maybe with -cuda and -threads<N>."""
    base = name.split(store.THREADS_SUFFIX)[0].removesuffix("-cuda")
    tail = base.rsplit("-", 1)[-1]
    return len(tail) == 8 and all(c in "0123456789abcdef" for c in tail)


@contextlib.contextmanager
def _unpacked(path: Path) -> Iterator[tuple[Path, Callable[[Path], str]]]:
    """A folder or a file as it is, or an archive extracted into a temporary folder (with
    tarfile's "data" filter: no links outside it, no devices, no absolute paths). Yields the
    path and how to name a file inside it in messages."""
    if not (path.is_file() and path.name.endswith(ARCHIVES)):
        yield path, str
        return
    with tempfile.TemporaryDirectory(prefix="fieldguide-import-") as folder:
        root = Path(folder)
        try:
            with tarfile.open(path) as archive:
                archive.extractall(root, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise FieldGuideError(f"{path}: cannot be read as a tar archive ({exc}).") from exc
        yield root, lambda file: f"{path}:{file.relative_to(root)}"


@dataclass(frozen=True)
class Listed:
    """What one results folder holds of one feature."""

    folder: str
    feature: str
    snippets: int
    modes: tuple[str, ...]
    measured: str  # the newest result's date
    stale: int
    failed: int
    verified: bool  # every result verified (provenance.Provenance.verified)


def listing(snapshot: store.Snapshot, provenance: Provenance) -> list[Listed]:
    """Per results folder and feature, in that order: what is stored, and how current."""
    rows = []
    for folder, machine in snapshot.machines.items():
        by_feature: dict[str, list[RunResult]] = {}
        for (feature_id, _), result in sorted(machine.results.items()):
            by_feature.setdefault(feature_id, []).append(result)
        for feature_id, results in by_feature.items():
            rows.append(
                Listed(
                    folder,
                    feature_id,
                    len(results),
                    tuple(sorted({MODE_LABELS[r.protocol.mode] for r in results})),
                    max(r.created for r in results)[:10],
                    sum(provenance.stale(r) for r in results),
                    sum(not r.ok for r in results),
                    all(provenance.verified(r) for r in results),
                )
            )
    return rows
