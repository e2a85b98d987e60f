"""Stage 3: the results store, which owns every file under results/, and the cache keys.

Layout: results/<machine-id>/<feature-id>/<snippet>.json, one RunResult each (<snippet> is the
framework, or <framework>_<variant> for a variant's snippet), and
results/<machine-id>/peaks/<run-id>.json, one PeakRecord per default-mode run. CUDA results live
under <machine-id>-cuda, results at a non-default thread count under <key>-threads<N>.
Schema-versioned, sorted keys, trailing newline, written atomically. A failed re-run never
destroys a good result: the previous good one is kept beside it as <snippet>.last-ok.json.

The comparison of the two sides is not stored: it is recomputed from the results, which hold
the raw samples and the outputs (large arrays as sketches, outputs.py), so it can never disagree
with them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import FieldGuideError
from .model import (
    INSTALLED,
    Feature,
    Machine,
    ProcessRecord,
    Protocol,
    RunResult,
    Status,
)
from .outputs import sketched
from .peaks import PeakRecord

# 2: worker memory is the summed RSS of live descendants (was RUSAGE_CHILDREN, an artifact).
# 3: an output array of more than outputs.SKETCH_ABOVE elements is stored as a sketch, and every
#    file carries the digest of its content.
SCHEMA_VERSION = 3
# Version 2 files are read too: their large arrays are sketched on reading, as a run would.
READABLE_VERSIONS = (2, 3)
# The version that goes into cache keys: it changes when what a result *means* changes, not when
# only its file layout does (3 measures exactly what 2 did), so a layout change re-runs nothing.
MEASURED_VERSION = 2
# The child side's code: a change to how snippets are measured re-runs every snippet.
CHILD_SOURCES = tuple(
    Path(__file__).with_name("child") / name
    for name in ("harness.py", "adapters.py", "records.py", "sandbox.py")
)
# <key>-threads<N>: results at a thread count other than the machine's default.
THREADS_SUFFIX = "-threads"


def results_key(machine_id: str, device: str, threads: int = 0) -> str:
    """The folder of one machine's results on one device: CPU results under the machine id,
    CUDA results beside them under <machine-id>-cuda, so neither ever overwrites the other.
    Results at a thread count other than the default (`threads`, 0 for the default) live
    beside those as <key>-threads<N>: measuring the other setting never replaces a result."""
    key = machine_id if device == "cpu" else f"{machine_id}-{device}"
    return f"{key}{THREADS_SUFFIX}{threads}" if threads else key


class Store:
    """One machine's results on one device: the only code that reads or writes them."""

    def __init__(self, results_dir: Path, machine_id: str, lock: Path | None = None):
        self.root = results_dir
        self.machine_id = machine_id
        # Shared by every store of one project (`run`'s and `check`'s): see `exclusive`.
        self.lock = lock or results_dir / ".run.lock"

    @property
    def folder(self) -> Path:
        return self.root / self.machine_id

    def path(self, feature_id: str, key: str, suffix: str = "") -> Path:
        """A snippet's result; `key` is its framework, or `<framework>_<variant>`."""
        return self.folder / feature_id / f"{key}{suffix}.json"

    def load(self, feature_id: str, key: str) -> RunResult | None:
        path = self.path(feature_id, key)
        if not path.is_file():
            return None
        return decode(read_json(path, feature_id), path, feature_id)

    def load_last_ok(self, feature_id: str, key: str) -> RunResult | None:
        path = self.path(feature_id, key, ".last-ok")
        return decode(read_json(path, feature_id), path, feature_id) if path.is_file() else None

    def save(self, result: RunResult) -> Path:
        path = self.path(result.feature, result.key)
        try:
            previous = self.load(result.feature, result.key)
        except FieldGuideError:  # unreadable or another schema: nothing worth keeping
            previous = None
        if previous is not None and previous.ok and not result.ok:
            write_json(self.path(result.feature, result.key, ".last-ok"), encode(previous))
        write_json(path, encode(result))
        return path

    def peaks_path(self, run_id: str) -> Path:
        return self.folder / "peaks" / f"{run_id}.json"

    def save_peaks(self, record: PeakRecord) -> Path:
        path = self.peaks_path(record.run_id)
        write_json(path, {**record.as_json(), "schema_version": SCHEMA_VERSION})
        return path

    def load_all_peaks(self, unreadable: dict[tuple[str, str], str]) -> dict[str, PeakRecord]:
        """Every peak record; one that cannot be read goes into `unreadable`."""
        folder = self.folder / "peaks"
        records = {}
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                record = PeakRecord.from_json(read_json(path, ""))
            except FieldGuideError as exc:
                unreadable["peaks", path.stem] = self._from_project(exc)
                continue
            records[record.run_id] = record
        return records

    def _from_project(self, error: FieldGuideError) -> str:
        """An error's message with its paths named from the project, not from this machine."""
        return str(error).replace(f"{self.root.parent}/", "")

    @contextlib.contextmanager
    def exclusive(self, on_wait: Callable[[], None]) -> Iterator[None]:
        """Timed runs never overlap: a second run waits for the first (and says so through
        `on_wait`). The lock file is shared by every machine folder, and by the published
        results and `check`'s: a check measuring beside a publication run would disturb its
        timings, and could not tell the run's new results from a snippet's writes."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                on_wait()
                fcntl.flock(lock, fcntl.LOCK_EX)
            # What a run killed mid-write left: write_json's temporary files, never a result.
            for leftover in self.root.rglob(".*.json.*.tmp"):
                leftover.unlink(missing_ok=True)
            yield

    def load_machine(self, features: list[Feature]) -> MachineResults:
        """Everything stored for these features on this machine, read once. A file that cannot
        be read is recorded as unreadable, with why: it marks its own snippet, not the site."""
        results, last_ok, unreadable = {}, {}, {}
        for feature in features:
            for key in feature.keys:
                try:
                    result = self.load(feature.id, key)
                except FieldGuideError as exc:
                    unreadable[feature.id, key] = self._from_project(exc)
                    continue
                if result is None:
                    continue
                results[feature.id, key] = result
                if not result.ok:
                    previous = self.load_last_ok(feature.id, key)
                    if previous is not None:
                        last_ok[feature.id, key] = previous
        peaks = self.load_all_peaks(unreadable)
        return MachineResults(self.machine_id, results, last_ok, peaks, unreadable)


@dataclass(frozen=True)
class MachineResults:
    """What one results folder holds, read once: the input of rendering."""

    key: str  # the folder: a machine id, or <machine-id>-cuda
    results: Mapping[tuple[str, str], RunResult] = field(default_factory=dict)
    last_ok: Mapping[tuple[str, str], RunResult] = field(default_factory=dict)
    peaks: Mapping[str, PeakRecord] = field(default_factory=dict)  # run id -> record
    # (feature id, snippet key) -> why its result file could not be read
    unreadable: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def result(self, feature_id: str, key: str) -> RunResult | None:
        return self.results.get((feature_id, key))

    def last_good(self, feature_id: str, key: str) -> RunResult | None:
        return self.last_ok.get((feature_id, key))

    @property
    def latest_peaks(self) -> PeakRecord | None:
        return self.peaks[max(self.peaks)] if self.peaks else None


@dataclass(frozen=True)
class Snapshot:
    """Every results folder, read once."""

    machines: Mapping[str, MachineResults]  # sorted by key

    def machine(self, key: str) -> MachineResults:
        return self.machines.get(key) or MachineResults(key)

    def other_hardware(self, key: str) -> list[MachineResults]:
        """Every other hardware target, in key order: other machines, and this machine's other
        devices, each at its default thread count (the other counts: `other_threads`)."""
        return [
            results
            for other, results in self.machines.items()
            if other != key and THREADS_SUFFIX not in other and results.results
        ]

    def other_threads(self, key: str) -> list[MachineResults]:
        """The same machine and device measured at its other thread counts, in key order."""
        base = key.split(THREADS_SUFFIX)[0]
        return [
            results
            for other, results in self.machines.items()
            if other != key and (other == base or other.startswith(base + THREADS_SUFFIX))
        ]


def load_snapshot(results_dir: Path, features: list[Feature]) -> Snapshot:
    """All machines' results of these features. A file that cannot be read is recorded in its
    machine's `unreadable`, never raised: it marks its snippet, and the rest renders."""
    folders = (
        sorted(p.name for p in results_dir.iterdir() if p.is_dir()) if results_dir.is_dir() else []
    )
    return Snapshot({key: Store(results_dir, key).load_machine(features) for key in folders})


def cache_key(
    feature: Feature,
    key: str,
    *,
    machine_id: str,
    device: str,
    protocol: Protocol,
    framework_version: str | None,
) -> str:
    """Everything that can change a result. A run re-executes a snippet only when this changes."""
    digest = hashlib.sha256()
    snippet = feature.snippets.get(key)
    files = [feature.metadata_path, feature.snippet_path(key), *CHILD_SOURCES]
    if feature.inputs_path.is_file():
        files.append(feature.inputs_path)
    if snippet is not None:
        files += snippet.helpers
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    context = {
        "framework_version": framework_version,
        "machine_id": machine_id,
        "device": device,
        "protocol": dataclasses.asdict(protocol),
        "schema_version": MEASURED_VERSION,
    }
    digest.update(json.dumps(context, sort_keys=True).encode())
    return digest.hexdigest()


def folder_key(result: RunResult) -> str:
    """The results folder a result belongs in, from what it says about itself."""
    threads = result.protocol.threads
    other = threads if threads != result.machine.physical_cores else 0
    return results_key(result.machine.machine_id, result.device, other)


def is_current(feature: Feature, result: RunResult) -> bool:
    """Whether `result` was measured from the feature's files as they are now (its snippet,
    helpers, feature.yml, inputs) by this version of the harness: its cache key, recomputed
    from those files and the result's own machine, device, protocol and framework version.
    A result that is not current is *stale*: pages show it marked so, never as current."""
    versions: list[str | None]
    if result.framework_version is not None:
        versions = [result.framework_version]
    else:  # written before schema 3: the version the child reported, or the one installed here
        framework = INSTALLED.get(result.framework)
        versions = [
            result.framework_info.get("version"),
            framework.installed_version() if framework else None,
        ]
    return any(
        result.cache_key
        == cache_key(
            feature,
            result.key,
            machine_id=folder_key(result),
            device=result.device,
            protocol=result.protocol,
            framework_version=version,
        )
        for version in dict.fromkeys(versions)
    )


def encode(result: RunResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["status"] = result.status.value
    data["schema_version"] = SCHEMA_VERSION
    data["digest"] = digest(data)
    return data


def digest(data: Mapping[str, Any]) -> str:
    """The SHA-256 of a result's content (every key but "digest"), as canonical JSON. It
    catches a file changed after fieldguide wrote it (an edited number, a merge gone wrong);
    it is a checksum, not a signature: whoever edits a file can recompute it."""
    content = {k: v for k, v in data.items() if k != "digest"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def decode(data: dict[str, Any], path: Path, feature_id: str) -> RunResult:
    if data.get("schema_version") != 2 and data.get("digest") != digest(data):
        raise FieldGuideError(
            f"{path}: key 'digest': the file's content does not match it, so it was changed "
            "after fieldguide wrote it. Take the file again from where it was measured, or run "
            f"`fieldguide run --force {feature_id}` to measure again."
        )
    try:
        fields = {k: v for k, v in data.items() if k not in ("schema_version", "digest")}
        if data.get("schema_version") == 2:
            fields["output"] = sketched(fields["output"])
        fields["status"] = Status(fields["status"])
        fields["protocol"] = Protocol(**fields["protocol"])
        fields["machine"] = Machine.from_dict(fields["machine"])
        fields["processes"] = tuple(ProcessRecord.from_dict(p) for p in fields["processes"])
        return RunResult(**fields)
    except (KeyError, TypeError, ValueError) as exc:
        raise FieldGuideError(
            f"{path}: not a valid result file ({exc}). Delete it or run "
            f"`fieldguide run --force {feature_id}` to measure again."
        ) from exc


def read_json(path: Path, feature_id: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FieldGuideError(
            f"{path}: cannot be read as JSON ({exc}). Run `fieldguide run --force {feature_id}` "
            "to measure again."
        ) from exc
    version = data.get("schema_version") if isinstance(data, dict) else None
    feature_id = feature_id or "<feature>"
    if version not in READABLE_VERSIONS:
        raise FieldGuideError(
            f"{path}: key 'schema_version': expected {SCHEMA_VERSION}, found {version!r}. "
            f"This file was written by another version of fieldguide. Run "
            f"`fieldguide run --force {feature_id}` to measure again with this version."
        )
    assert isinstance(data, dict)
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Sorted keys, trailing newline, atomic: a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, sort_keys=True, indent=1) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
