"""The data the pipeline stages pass to each other: small frozen dataclasses and enums."""

from __future__ import annotations

import enum
import importlib.metadata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .text import slug

FRAMEWORKS = ("pytorch", "tensorflow")
FRAMEWORK_LABELS = {"pytorch": "PyTorch", "tensorflow": "TensorFlow"}

SECTIONS = (
    "Core",
    "Training",
    "Performance",
    "Deployment",
    "Distributed",
    "Ecosystem",
    "Developer experience",
)
# Quantities every run measures; a feature may add its own metrics beside them.
QUANTITIES = (
    "output",
    "first_result",
    "import",
    "load",
    "setup",
    "first_call",
    "steady",
    "import_rss",
    "growth_rss",
    "peak_rss",
    "loc",
)


class Device(enum.StrEnum):
    CPU = "cpu"
    CUDA = "cuda"


class Mode(enum.StrEnum):
    DEFAULT = "default"  # several processes, calibrated samples: for publishing
    QUICK = "quick"  # one process, few samples: for checks and tests


# How the pages name each mode: "default" is the mode results are published from.
MODE_LABELS: dict[str, str] = {Mode.DEFAULT: "publication", Mode.QUICK: "quick"}


DEVICES = tuple(d.value for d in Device)


class Status(enum.StrEnum):
    OK = "ok"
    FAILED = "failed"  # the snippet raised; the message holds the traceback tail
    TIMEOUT = "timeout"  # the snippet ran past its time limit
    SKIPPED = "skipped"  # the framework (or the device) is not available here
    UNSUPPORTED = "unsupported"  # declared in feature.yml: the framework cannot do this


@dataclass(frozen=True)
class Framework:
    """How the runner starts one framework: the module its child imports, the harness adapter
    that drives it (`module:Class`), the distributions that carry its version, and whether the
    peak suite can measure with it. Tests pass their own (a stdlib module in place of torch)."""

    name: str
    module: str
    adapter: str
    distributions: tuple[str, ...]
    peaks: bool = True
    env: Mapping[str, str] = field(default_factory=dict)  # set in its child processes

    @property
    def label(self) -> str:
        return FRAMEWORK_LABELS.get(self.name, self.name)

    def installed_version(self) -> str | None:
        """The installed version, read from package metadata without importing the module."""
        for distribution in self.distributions:
            try:
                return importlib.metadata.version(distribution)
            except importlib.metadata.PackageNotFoundError:
                continue
        return None


ADAPTERS = "generator.child.adapters"
INSTALLED: Mapping[str, Framework] = {
    "pytorch": Framework("pytorch", "torch", f"{ADAPTERS}:TorchAdapter", ("torch",)),
    "tensorflow": Framework(
        "tensorflow",
        "tensorflow",
        f"{ADAPTERS}:TensorFlowAdapter",
        ("tensorflow-cpu", "tensorflow"),
        env={"KERAS_BACKEND": "tensorflow"},
    ),
}


def snippet_key(framework: str, variant: str = "") -> str:
    """What names one snippet of a feature: its framework, or `<framework>_<variant>`."""
    return f"{framework}_{variant}" if variant else framework


def snippet_file(folder: Path, key: str) -> Path:
    """snippets/<id>/with_<key>.py. Not "tensorflow.py": run as a script, a file of that
    name heads sys.path and shadows the real tensorflow package."""
    return folder / f"with_{key}.py"


@dataclass(frozen=True)
class Project:
    """Where things live. Found by walking up from the working directory to mkdocs.yml."""

    root: Path
    results_dir: Path | None = None  # default: <root>/results

    @classmethod
    def find(cls, start: Path | None = None) -> Project:
        from .errors import FieldGuideError

        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / "mkdocs.yml").is_file() and (folder / "snippets").is_dir():
                return cls(folder)
        raise FieldGuideError(
            f"{here}: not inside a Field Guide project (no mkdocs.yml with a snippets/ folder "
            "beside it here or above). Run fieldguide from the project root."
        )

    @property
    def snippets(self) -> Path:
        return self.root / "snippets"

    @property
    def results(self) -> Path:
        return self.results_dir or self.root / "results"

    @property
    def docs(self) -> Path:
        return self.root / "docs"

    @property
    def generated(self) -> Path:
        """Generated pages only; git-ignored and rewritten by `fieldguide render`."""
        return self.docs / "features"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def rules(self) -> Path:
        """The questionnaire's rules: project content, like snippets/."""
        return self.docs / "questionnaire.yml"


@dataclass(frozen=True)
class Tolerance:
    """How the two sides' results are compared: np.allclose(rtol, atol), or not at all."""

    rtol: float = 0.0
    atol: float = 0.0
    none_reason: str | None = None  # set when the outputs are not comparable, with the reason


@dataclass(frozen=True)
class Claim:
    text: str
    quantity: str  # one of QUANTITIES or a declared metric id
    expect: str  # "same", "pytorch" or "tensorflow": the side the claim says is better (lower,
    # or higher for a metric declared `better: higher`)
    source: str | None = None
    # For `expect: same` on a measured quantity: the relative difference that still counts as
    # the same (0.1: within 10%). Without it, "same" cannot be shown, only failed to refute.
    margin: float | None = None
    # A variant id: the claim is about that variant standing in for its framework (e.g. Keras
    # fit's code size), not about the headline pair.
    variant: str | None = None
    # The id of a claim on the claims page (docs/claims.yml) this claim tests, in its direction.
    article: str | None = None


# The unit of a yes/no metric: a snippet reports 1 (yes) or 0 (no); pages say yes or no.
FLAG = "flag"


@dataclass(frozen=True)
class Metric:
    """A metric a snippet reports itself through `metrics(state)`, e.g. artifact bytes."""

    id: str
    label: str
    unit: str
    better: str  # "lower" or "higher"
    must_be_zero: bool = False  # e.g. recompiles in steady state: non-zero fails `check`


@dataclass(frozen=True)
class Work:
    """What one run() call must do at least: floating-point operations and bytes moved."""

    flops: float
    bytes: float

    @property
    def intensity(self) -> float:
        return self.flops / self.bytes


@dataclass(frozen=True)
class Variant:
    """Another way to write one framework's side, at another API level (Keras `fit` beside a
    hand-written loop). The headline pair, with_pytorch.py and with_tensorflow.py, is the like-
    for-like comparison every verdict and the scoreboard use; a variant is measured in the same
    run and shown beside it, labelled with what it times."""

    id: str
    framework: str
    label: str  # e.g. "Keras Model.fit on NumPy arrays"
    timed: str  # what one run() call of this variant does, including any per-call set-up

    @property
    def key(self) -> str:
        return snippet_key(self.framework, self.id)


@dataclass(frozen=True)
class Snippet:
    """One snippet file, read once by discover."""

    framework: str
    path: Path
    code: str
    lines: int  # statements, without imports and plumbing (text.statements)
    helpers: tuple[Path, ...]  # project files it imports: editing one re-runs it
    variant: str = ""  # "" for the headline snippet of its framework
    # The code with the project files it imports inlined (text.self_contained): what a reader
    # copies to run it outside the project; None where it cannot be inlined faithfully.
    standalone: str | None = None

    @property
    def key(self) -> str:
        return snippet_key(self.framework, self.variant)


@dataclass(frozen=True)
class Feature:
    id: str
    title: str
    section: str
    summary: str
    timed: str
    comparison: Tolerance
    claims: tuple[Claim, ...]
    directory: Path
    metrics: tuple[Metric, ...] = ()
    unsupported: dict[str, str] = field(default_factory=dict)  # framework -> reason
    measure: str = "steady"  # "steady": warm-up + samples; "once": only the first call
    timeout_s: float | None = None  # declared; None: DEFAULT_TIMEOUT_S of the mode
    memory_limit_mib: float = 8192.0  # the child and its descendants together
    work: Work | None = None  # declared work of one run() call, for the roofline
    snippets: Mapping[str, Snippet] = field(default_factory=dict)  # snippet key -> snippet
    limits: tuple[str, ...] = ()  # what the comparison does not show, said on the page
    variants: tuple[Variant, ...] = ()
    matters: str | None = None  # "when this matters to you"
    pitfalls: tuple[str, ...] = ()  # met while writing the pair
    docs: tuple[tuple[str, str], ...] = ()  # (label, url) of the official documentation

    @property
    def keys(self) -> tuple[str, ...]:
        """Every snippet the feature has or declares unsupported: the headline pair first."""
        return FRAMEWORKS + tuple(v.key for v in self.variants)

    def framework_of(self, key: str) -> str:
        return next((v.framework for v in self.variants if v.key == key), key)

    def variant(self, key: str) -> Variant | None:
        return next((v for v in self.variants if v.key == key), None)

    @property
    def metadata_path(self) -> Path:
        return self.directory / "feature.yml"

    @property
    def inputs_path(self) -> Path:
        return self.directory / "inputs.py"

    @property
    def page_path(self) -> str:
        """The feature's page, relative to docs/features/."""
        return f"{slug(self.section)}/{self.id}.md"

    def snippet_path(self, key: str) -> Path:
        return snippet_file(self.directory, key)

    def metric(self, metric_id: str) -> Metric | None:
        return next((m for m in self.metrics if m.id == metric_id), None)


@dataclass(frozen=True)
class Protocol:
    """How a run measures: fixed per mode, recorded with every result."""

    mode: str
    processes: int
    samples: int  # steady-state samples per process
    min_sample_s: float  # loop run() within one sample until it takes at least this long
    warmup_calls: int
    warmup_s: float
    threads: int  # intra-op threads, identical for both frameworks; inter-op is always 1

    @classmethod
    def for_mode(cls, mode: str, threads: int) -> Protocol:
        if mode == "quick":
            return cls(
                mode,
                processes=1,
                samples=3,
                min_sample_s=0.005,
                warmup_calls=1,
                warmup_s=0.0,
                threads=threads,
            )
        # 20 processes x 3 samples, as pyperf: the spread between processes dominates on a
        # shared machine, and only enough processes make the interval cover (benchmarks/README).
        return cls(
            mode,
            processes=20,
            samples=3,
            min_sample_s=0.010,
            warmup_calls=3,
            warmup_s=0.2,
            threads=threads,
        )


@dataclass(frozen=True)
class ProcessRecord:
    """What one child process measured. Times in seconds; steady samples are per call."""

    import_s: float
    setup_s: float
    first_call_s: float
    warmup_calls: int
    loops: int  # calls per steady sample, from calibration
    samples: tuple[float, ...]
    peak_rss_bytes: int
    # The most the snippet's worker processes held at once (summed RSS of live descendants,
    # sampled by the parent). Not RUSAGE_CHILDREN: that is the largest child's peak, and a
    # fork+exec'd helper counts its parent's memory at the fork.
    children_peak_rss_bytes: int
    gpu_peak_bytes: int | None
    metrics: dict[str, float]
    eager_loops: int = 0
    eager_samples: tuple[float, ...] = ()  # the uncompiled baseline, if the snippet has eager()
    # Added in schema 2; None in older results.
    load_s: float | None = None  # executing the snippet module (its own imports land here)
    first_result_s: float | None = None  # process start -> the first call returned
    import_rss_bytes: int | None = None  # resident memory once the framework is imported
    modules: dict[str, int] = field(default_factory=dict)  # phase -> modules it imported

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProcessRecord:
        """From a child's report or a stored result; unknown keys are ignored, and fields added
        later within the same schema version (eager_*) take their defaults."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for name in ("samples", "eager_samples"):
            values[name] = tuple(values.get(name, ()))
        return cls(**values)

    @classmethod
    def from_measured(cls, measured: Any, children_peak_rss_bytes: int) -> ProcessRecord:
        """From a child's `records.Measured` and what the parent saw of its descendants."""
        names = {f.name for f in fields(cls)} - {"children_peak_rss_bytes"}
        values = {name: getattr(measured, name) for name in names}
        return cls(**values, children_peak_rss_bytes=children_peak_rss_bytes)


@dataclass(frozen=True)
class Gpu:
    name: str
    memory_bytes: int
    driver: str


@dataclass(frozen=True)
class Machine:
    """The hardware class a result was measured on (environment.current_machine)."""

    machine_id: str
    cpu_model: str
    isa_flags: tuple[str, ...]
    physical_cores: int
    logical_cores: int
    memory_bytes: int
    os: str
    python: str
    gpus: tuple[Gpu, ...]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Machine:
        values = {**data, "isa_flags": tuple(data["isa_flags"])}
        values["gpus"] = tuple(Gpu(**g) for g in data["gpus"])
        return cls(**values)


@dataclass(frozen=True)
class RunResult:
    """One snippet of one framework on one machine: the unit the results store holds."""

    feature: str
    framework: str
    status: Status
    cache_key: str
    protocol: Protocol
    device: str
    machine: Machine  # frozen at run time
    runtime: dict[str, Any]  # thread settings, env vars, load average at start and end
    created: str  # UTC, ISO 8601
    message: str = ""  # why the status is not ok (traceback tail, timeout, reason)
    framework_info: dict[str, Any] = field(default_factory=dict)  # read inside the child
    processes: tuple[ProcessRecord, ...] = ()
    output: Any = None  # the first call's return value, encoded by the harness
    output_text: str = ""  # what setup and the first call printed
    inputs_sha256: str = ""
    variant: str = ""  # "" for the framework's headline snippet
    # The installed version the cache key was computed with (None in files before schema 3).
    framework_version: str | None = None

    @property
    def key(self) -> str:
        return snippet_key(self.framework, self.variant)

    @property
    def ok(self) -> bool:
        return self.status is Status.OK
