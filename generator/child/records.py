"""The typed records that cross the process boundary: what the parent asks, what a child reports.

The parent writes a request as JSON, starts `python -m generator.child.<entry> REQUEST.json`, and
reads the report the child wrote to `request.report_path`. Standard library only: the child
imports this before the framework it measures.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Sampling:
    """How the child measures steady state (model.Protocol without what only the parent needs)."""

    threads: int
    samples: int
    min_sample_s: float
    warmup_calls: int
    warmup_s: float


@dataclass(frozen=True)
class SnippetRequest:
    framework: str
    module: str  # what the child imports and times as "import"
    adapter: str  # "package.module:Class" driving the framework (threads, sync, conversion)
    device: str
    measure: str  # "steady" or "once"
    sampling: Sampling
    snippet_path: str
    shared_dir: str  # snippets/_shared, importable by the snippet
    inputs_path: str | None  # the NumPy inputs as .npz, or None
    workdir: str  # where the snippet may write artifacts
    report_path: str
    progress_path: str  # the child writes its current phase here
    launched_at: float = 0.0  # time.time() when the parent started the child
    # The other frameworks' top-level modules: importing one (even by a computed name) fails
    # the snippet, since this process's numbers would then be charged for both.
    forbidden: tuple[str, ...] = ()
    # The folders the child may write beneath (child/sandbox.py); empty: not confined.
    writable: tuple[str, ...] = ()


@dataclass(frozen=True)
class Measured:
    """What a successful child measured (the parent stores it as a model.ProcessRecord)."""

    import_s: float
    setup_s: float
    first_call_s: float
    warmup_calls: int
    loops: int
    samples: tuple[float, ...]
    peak_rss_bytes: int
    gpu_peak_bytes: int | None
    metrics: dict[str, float]
    eager_loops: int = 0
    eager_samples: tuple[float, ...] = ()
    load_s: float | None = None  # executing the snippet module (its own imports land here)
    first_result_s: float | None = None  # process start -> the first call returned
    import_rss_bytes: int | None = None  # resident memory once the framework is imported
    modules: dict[str, int] = field(default_factory=dict)  # phase -> modules it imported


@dataclass(frozen=True)
class SnippetReport:
    status: str  # "ok", "failed" or "skipped" (the parent adds "timeout" itself)
    phase: str  # the phase the child was in when it stopped
    message: str = ""
    framework_info: dict[str, Any] = field(default_factory=dict)
    measured: Measured | None = None
    output: Any = None  # the first call's return value, encoded (harness.encode_output)
    output_text: str = ""


@dataclass(frozen=True)
class PeaksRequest:
    framework: str
    module: str
    adapter: str
    device: str
    threads: int
    report_path: str


@dataclass(frozen=True)
class PeaksReport:
    status: str  # "ok" or "failed"
    message: str = ""
    peaks: dict[str, float] = field(default_factory=dict)


def write(record: Any, path: Path) -> None:
    """A record as JSON, atomically: a child killed mid-write never leaves half a report."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(asdict(record), sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read(cls: type[T], path: Path) -> T:
    return from_dict(cls, json.loads(path.read_text(encoding="utf-8")))


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """A record from its JSON form; nested records and tuples are rebuilt."""
    values = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name not in data:
            continue
        value = data[f.name]
        kind = NESTED.get((cls.__name__, f.name))
        if kind is not None and value is not None:
            value = from_dict(kind, value)
        elif isinstance(value, list) and str(f.type).startswith("tuple"):
            value = tuple(value)
        values[f.name] = value
    return cls(**values)


NESTED: dict[tuple[str, str], type[Any]] = {
    ("SnippetRequest", "sampling"): Sampling,
    ("SnippetReport", "measured"): Measured,
}
