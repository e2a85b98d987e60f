"""Stage 3: the results store and its cache keys.

Layout: results/<machine-id>/<feature-id>/<framework>.json, one RunResult each, schema-versioned,
sorted keys, trailing newline, written atomically. A failed re-run never destroys a good
result: the previous good one is kept beside it as <framework>.last-ok.json.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from . import discover
from .errors import FieldGuideError
from .model import (
    FRAMEWORK_DISTRIBUTIONS,
    Feature,
    ProcessRecord,
    Protocol,
    RunResult,
    Status,
)

SCHEMA_VERSION = 1
HARNESS_SOURCE = Path(__file__).with_name("harness.py")


def results_key(machine_id: str, device: str) -> str:
    """The folder of one machine's results on one device: CPU results under the machine id,
    CUDA results beside them under <machine-id>-cuda, so neither ever overwrites the other."""
    return machine_id if device == "cpu" else f"{machine_id}-{device}"


class Store:
    def __init__(self, results_dir: Path, machine_id: str):
        self.root = results_dir
        self.machine_id = machine_id

    def path(self, feature_id: str, framework: str, suffix: str = "") -> Path:
        return self.root / self.machine_id / feature_id / f"{framework}{suffix}.json"

    def load(self, feature_id: str, framework: str) -> RunResult | None:
        path = self.path(feature_id, framework)
        if not path.is_file():
            return None
        return decode(read_json(path, feature_id), path, feature_id)

    def peaks_path(self, run_id: str) -> Path:
        return self.root / self.machine_id / "peaks" / f"{run_id}.json"

    def load_peaks(self, run_id: str | None = None) -> dict[str, Any] | None:
        """The peak suite of one run, or of the latest run when run_id is None."""
        folder = self.root / self.machine_id / "peaks"
        if run_id is None:
            files = sorted(folder.glob("*.json")) if folder.is_dir() else []
            path = files[-1] if files else None
        else:
            path = self.peaks_path(run_id)
        if path is None or not path.is_file():
            return None
        return read_json(path, "")

    def load_last_ok(self, feature_id: str, framework: str) -> RunResult | None:
        path = self.path(feature_id, framework, ".last-ok")
        return decode(read_json(path, feature_id), path, feature_id) if path.is_file() else None

    def save(self, result: RunResult) -> Path:
        path = self.path(result.feature, result.framework)
        try:
            previous = self.load(result.feature, result.framework)
        except FieldGuideError:  # unreadable or another schema: nothing worth keeping
            previous = None
        if previous is not None and previous.ok and not result.ok:
            write_json(self.path(result.feature, result.framework, ".last-ok"), encode(previous))
        write_json(path, encode(result))
        return path


def cache_key(
    feature: Feature,
    framework: str,
    snippets_dir: Path,
    *,
    machine_id: str,
    device: str,
    protocol: Protocol,
    framework_version: str | None,
) -> str:
    """Everything that can change a result. A run re-executes a snippet only when this changes."""
    digest = hashlib.sha256()
    snippet = feature.snippet_path(framework)
    files = [feature.metadata_path, snippet, HARNESS_SOURCE]
    if feature.inputs_path.is_file():
        files.append(feature.inputs_path)
    if snippet.is_file():
        files += discover.local_imports(snippet, snippets_dir)
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    context = {
        "framework_version": framework_version,
        "machine_id": machine_id,
        "device": device,
        "protocol": dataclasses.asdict(protocol),
        "schema_version": SCHEMA_VERSION,
    }
    digest.update(json.dumps(context, sort_keys=True).encode())
    return digest.hexdigest()


def installed_version(framework: str) -> str | None:
    """The framework's installed version, read from package metadata without importing it."""
    for distribution in FRAMEWORK_DISTRIBUTIONS.get(framework, ()):
        try:
            return importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return None


def encode(result: RunResult) -> dict[str, Any]:
    data = dataclasses.asdict(result)
    data["status"] = result.status.value
    data["schema_version"] = SCHEMA_VERSION
    return data


def decode(data: dict[str, Any], path: Path, feature_id: str) -> RunResult:
    try:
        fields = {k: v for k, v in data.items() if k != "schema_version"}
        fields["status"] = Status(fields["status"])
        fields["protocol"] = Protocol(**fields["protocol"])
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
    if version != SCHEMA_VERSION:
        raise FieldGuideError(
            f"{path}: key 'schema_version': expected {SCHEMA_VERSION}, found {version!r}. "
            f"This file was written by another version of fieldguide. Run "
            f"`fieldguide run --force {feature_id}` to measure again with this version."
        )
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
