"""Stage 2: run each snippet in its own fresh subprocess and store what it measured.

One framework per process, never both. Threads are set identically for both frameworks through
the environment (before the first op) and inside the child. Processes of the two frameworks
are interleaved (PT, TF, TF, PT, ...) so slow drift of a shared machine hits both alike.
Failures become statuses; a run never crashes because a snippet did.
"""

from __future__ import annotations

import functools
import hashlib
import os
import runpy
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psutil
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from . import peaks
from .child import sandbox
from .child.records import Sampling, SnippetReport, SnippetRequest
from .environment import current_machine, load_average
from .launch import (
    GENERATOR_PARENT,
    LOG_LIMIT_BYTES,
    Exited,
    child_env,
    end_processes,
    launch,
    leftovers_of_earlier_runs,
    thread_env,
)
from .model import (
    FRAMEWORKS,
    INSTALLED,
    Feature,
    Framework,
    Mode,
    ProcessRecord,
    Protocol,
    RunResult,
    Status,
)
from .outputs import Agreement, compare_outputs, sketched
from .store import Store, cache_key
from .text import without_local_paths

# The time limit of a snippet process when its feature.yml declares none: quick mode is for
# checks and CI, where a hang should not cost a quarter of an hour.
DEFAULT_TIMEOUT_S: dict[str, float] = {Mode.DEFAULT: 900.0, Mode.QUICK: 180.0}
# Printed output kept in a result (and shown on the page); the rest is cut, and says so.
OUTPUT_TEXT_LIMIT = 64 * 2**10
# Snippets write only beneath their scratch folder where the kernel allows (tests turn it off
# to exercise the ResultsGuard that stands where it does not).
CONFINE_WRITES = True
# A timeout may be the machine's fault, so a timed-out result is measured again next time.
REUSABLE = (Status.OK, Status.FAILED, Status.UNSUPPORTED, Status.SKIPPED)


@dataclass(frozen=True)
class RunOptions:
    frameworks: tuple[str, ...] = FRAMEWORKS
    device: str = "cpu"
    mode: str = Mode.DEFAULT
    force: bool = False
    threads: int = 0  # 0: the machine's physical cores
    processes: int = 0  # 0: the mode's own (check runs quick mode twice, to compare the two)

    def protocol(self) -> Protocol:
        threads = self.threads or current_machine().physical_cores
        protocol = Protocol.for_mode(self.mode, threads)
        return replace(protocol, processes=self.processes) if self.processes else protocol


@dataclass(frozen=True)
class Outcome:
    """What happened to one snippet in this run: executed now, or taken from the cache."""

    result: RunResult
    executed: bool


@dataclass
class Plan:
    """Which snippets of one feature must execute, and the cache key each result will carry."""

    feature: Feature
    keys: dict[str, str] = field(default_factory=dict)
    versions: dict[str, str | None] = field(default_factory=dict)  # in the keys, per snippet
    stale: list[str] = field(default_factory=list)
    cached: list[RunResult] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    """What every snippet process of one run shares."""

    options: RunOptions
    protocol: Protocol
    frameworks: Mapping[str, Framework]
    run_id: str
    base: dict[str, Any]  # the RunResult fields every result of this run has
    owner: str = ""  # the results folder, which every process of the run is marked with
    watched: tuple[Path, ...] = ()  # results folders no snippet may change
    confined: bool = False  # snippets' writes are confined to their scratch folders


def run_features(
    features: list[Feature],
    options: RunOptions,
    store: Store,
    console: Console | None = None,
    frameworks: Mapping[str, Framework] = INSTALLED,
) -> list[Outcome]:
    """Run what is stale (or everything with --force), store each result, return all outcomes.
    `frameworks` says how to start each framework's children (tests pass stdlib stand-ins)."""
    console = console or Console(stderr=True)
    protocol = options.protocol()
    plans = [_plan(f, options, protocol, store, frameworks) for f in features]
    outcomes = [Outcome(r, executed=False) for p in plans for r in p.cached]
    pending = [p for p in plans if p.stale]
    owner = str(store.folder.resolve())
    # A run killed with SIGKILL cannot end its snippet; the next one does, before measuring
    # (and even when it has nothing to measure: an orphan has no runner to time it out).
    ended = end_processes(leftovers_of_earlier_runs(owner))
    if ended:
        console.print(
            f"Ended {len(ended)} process(es) that an earlier run left running: "
            f"{', '.join(ended)}. They would have disturbed the timings."
        )
    if not pending:
        return outcomes
    run_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    # The store's folders and, when that is a scratch store (`check`), the project's own.
    watched = {
        store.root.resolve(),
        *(f.directory.parent.parent.resolve() / "results" for f in features),
    }
    confined = CONFINE_WRITES and sandbox.works()
    context = Context(
        options,
        protocol,
        frameworks,
        run_id,
        _base_fields(options, protocol, run_id, confined),
        owner,
        tuple(sorted(watched)),
        confined,
    )
    # The peak suite brackets default-mode runs of the frameworks that have one.
    suite = sorted(
        {
            fw
            for p in pending
            for fw in map(p.feature.framework_of, p.stale)
            if frameworks[fw].peaks and frameworks[fw].installed_version() is not None
        }
        if protocol.mode == Mode.DEFAULT
        else ()
    )
    with store.exclusive(lambda: console.print(WAITING)), _progress(console) as progress:
        total = sum(len(p.stale) * protocol.processes for p in pending)
        overall = progress.add_task("snippet processes", total=total)
        start = {fw: _peak_phase(fw, context, progress) for fw in suite}
        for plan in pending:
            task = progress.add_task(plan.feature.id, total=None)
            for result in _run_feature(plan, context, progress, task, overall):
                store.save(result)
                outcomes.append(Outcome(result, executed=True))
            progress.remove_task(task)
        end = {fw: _peak_phase(fw, context, progress) for fw in suite}
    if suite:
        judged = {fw: peaks.FrameworkPeaks.judge(start[fw], end[fw]) for fw in suite}
        store.save_peaks(peaks.PeakRecord(run_id, judged))
    return outcomes


WAITING = (
    "Another fieldguide run is measuring on this machine; waiting for it "
    "to finish so the two don't disturb each other's timings..."
)


def _peak_phase(framework: str, context: Context, progress: Progress) -> peaks.Phase:
    spec = context.frameworks[framework]
    task = progress.add_task(f"peak suite · {spec.label}", total=None)
    try:
        return peaks.measure(spec, context.options.device, context.protocol.threads)
    finally:
        progress.remove_task(task)


def _plan(
    feature: Feature,
    options: RunOptions,
    protocol: Protocol,
    store: Store,
    frameworks: Mapping[str, Framework],
) -> Plan:
    plan = Plan(feature)
    for snippet in feature.keys:
        framework = feature.framework_of(snippet)
        if framework not in options.frameworks:
            continue
        version = frameworks[framework].installed_version()
        key = cache_key(
            feature,
            snippet,
            machine_id=store.machine_id,
            device=options.device,
            protocol=protocol,
            framework_version=version,
        )
        plan.keys[snippet], plan.versions[snippet] = key, version
        # --force never reads the old file: it may be of another schema version.
        previous = None if options.force else store.load(feature.id, snippet)
        if previous is not None and previous.cache_key == key and previous.status in REUSABLE:
            plan.cached.append(previous)
        else:
            plan.stale.append(snippet)
    return plan


def _run_feature(
    plan: Plan, context: Context, progress: Progress, task: Any, overall: Any
) -> list[RunResult]:
    """Every stale snippet of one feature: declared statuses first, then the processes,
    interleaved across snippets (so across frameworks). Returns the results in the plan's
    order. Snippets are named by their key: the framework, or `<framework>_<variant>`."""
    feature, processes = plan.feature, context.protocol.processes
    done: dict[str, RunResult] = {}
    runnable = []
    for snippet in plan.stale:
        status, message = _declared(feature, context.frameworks[feature.framework_of(snippet)])
        if status is None:
            runnable.append(snippet)
        else:
            done[snippet] = _result(plan, snippet, context.base, status, message)
    progress.advance(overall, len(done) * processes)

    with tempfile.TemporaryDirectory(prefix=f"fieldguide-{feature.id}-") as tmp:
        workdir = Path(tmp)
        try:
            inputs_path, inputs_sha = _write_inputs(feature, workdir)
        except Exception as exc:  # a broken inputs.py is the snippet's failure
            message = (
                f"{feature.inputs_path}: make_inputs() raised {type(exc).__name__}: "
                f"{exc}. Run `python {feature.inputs_path}` to debug it."
            )
            for snippet in runnable:
                done[snippet] = _result(plan, snippet, context.base, Status.FAILED, message)
            runnable = []
        reports: dict[str, list[tuple[SnippetReport, int]]] = {fw: [] for fw in runnable}
        failures: dict[str, SnippetReport] = {}
        guard = ResultsGuard(context.watched)
        load_start = load_average()
        watch = CpuWatch()
        for index in range(processes):
            # Alternate which framework goes first in each round.
            order = runnable if index % 2 == 0 else list(reversed(runnable))
            for snippet in order:
                if snippet not in failures:
                    label = f"{feature.id} · {snippet} · process {index + 1}/{processes}"
                    report, descendants = _run_child(
                        feature,
                        snippet,
                        context.frameworks[feature.framework_of(snippet)],
                        workdir / f"{snippet}-{index}",
                        inputs_path,
                        context,
                        functools.partial(_show_phase, progress, task, label),
                        guard,
                    )
                    if report.status == "ok":
                        reports[snippet].append((report, descendants))
                    else:
                        failures[snippet] = report
                progress.advance(overall)
        runtime = {
            **context.base["runtime"],
            "load_avg_start": load_start,
            "load_avg_end": load_average(),
            **watch.report(),
        }
    measured = {**context.base, "runtime": runtime}
    for snippet in runnable:
        done[snippet] = _measured_result(
            plan, snippet, measured, failures.get(snippet), reports[snippet], inputs_sha
        )
    return [done[key] for key in plan.stale]


def _declared(feature: Feature, framework: Framework) -> tuple[Status | None, str]:
    """The status a snippet gets without running, or None when it must run."""
    if framework.name in feature.unsupported:
        return Status.UNSUPPORTED, feature.unsupported[framework.name]
    if framework.installed_version() is None:
        return Status.SKIPPED, (
            f"{framework.label} is not installed in this environment. "
            "Install the project with `pip install -e '.[frameworks]'`."
        )
    return None, ""


def _result(
    plan: Plan, snippet: str, base: dict[str, Any], status: Status, message: str, **more: Any
) -> RunResult:
    feature = plan.feature
    variant = feature.variant(snippet)
    return RunResult(
        feature.id,
        feature.framework_of(snippet),
        status,
        plan.keys[snippet],
        message=_for_a_page(message, feature),
        variant=variant.id if variant else "",
        framework_version=plan.versions[snippet],
        **base,
        **more,
    )


def _measured_result(
    plan: Plan,
    snippet: str,
    base: dict[str, Any],
    failure: SnippetReport | None,
    reports: list[tuple[SnippetReport, int]],
    inputs_sha: str,
) -> RunResult:
    if failure is not None:
        info = failure.framework_info
        return _result(
            plan, snippet, base, Status(failure.status), failure.message, framework_info=info
        )
    first = reports[0][0]
    records = [ProcessRecord.from_measured(r.measured, d) for r, d in reports if r.measured]
    problem = _metric_problems(plan.feature, records[0].metrics) or _changing(
        plan.feature, [r.output for r, _ in reports]
    )
    return _result(
        plan,
        snippet,
        base,
        Status.FAILED if problem else Status.OK,
        problem,
        framework_info=first.framework_info,
        processes=tuple(records),
        output=sketched(first.output),
        output_text=_capped(first.output_text),
        inputs_sha256=inputs_sha,
    )


def _changing(feature: Feature, results: list[Any]) -> str:
    """Why the snippet is not deterministic, or "": every process starts from the same inputs,
    so each first call must return the same result (within the feature's tolerance, as the two
    frameworks are compared). A result seeded from the clock or the process would otherwise
    match the other side only by luck, and the cache would keep that luck."""
    if feature.comparison.none_reason:
        return ""
    for index, other in enumerate(results[1:], start=2):
        same = compare_outputs(
            results[0], other, feature.comparison, ("process 1", f"process {index}")
        )
        if same.verdict != Agreement.MATCH:
            return (
                f"Not deterministic: two processes given the same inputs returned different "
                f"results. {same.detail} Derive every random value from the inputs or a fixed "
                "seed, never from the clock, the process id or an unseeded generator."
            )
    return ""


def _for_a_page(message: str, feature: Feature) -> str:
    """A message as a page may show it: no colour codes, no paths of this machine."""
    project = feature.directory.parent.parent
    places = {
        str(project.resolve()): "<project>",
        str(GENERATOR_PARENT): "<project>",
        sys.prefix: "<venv>",
        sys.base_prefix: "<python>",
        tempfile.gettempdir(): "<tmp>",
        str(Path.home()): "~",
    }
    return without_local_paths(message, places)


def _capped(text: str) -> str:
    if len(text) <= OUTPUT_TEXT_LIMIT:
        return text
    cut = len(text) - OUTPUT_TEXT_LIMIT
    return (
        text[:OUTPUT_TEXT_LIMIT]
        + f"\n[… {cut:,} more characters of output cut: kept the first {OUTPUT_TEXT_LIMIT:,}]"
    )


def _show_phase(progress: Progress, task: Any, label: str, phase: str) -> None:
    progress.update(task, description=f"{label} · {phase}")


class ResultsGuard:
    """The results as they were before a snippet ran, to find and undo what it changed.
    Snippets cannot write outside their scratch folder where the kernel has Landlock
    (child/sandbox.py); this is what stands where it has not, and a second line where it has.
    Files are compared by their stat first and by their bytes only when that changed."""

    def __init__(self, folders: tuple[Path, ...]):
        self.folders = folders
        self.files = {path: (_signature(path), path.read_bytes()) for path in self._paths()}

    def _paths(self) -> list[Path]:
        return [
            path
            for folder in self.folders
            if folder.is_dir()
            for path in sorted(folder.rglob("*"))
            if path.is_file() and path.name not in (".run.lock", "run.lock")
        ]

    def restore(self) -> list[str]:
        """Put back every file a snippet changed, added or removed; returns them, named from
        the project."""
        changed = []
        now = self._paths()
        for path in now:
            if path not in self.files:
                path.unlink(missing_ok=True)
                changed.append(path)
        for path, (signature, data) in self.files.items():
            if path in now and _signature(path) == signature:
                continue
            if path.is_file() and path.read_bytes() == data:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.files[path] = (_signature(path), data)
            changed.append(path)
        return sorted(map(self._name, changed))

    def _name(self, path: Path) -> str:
        folder = next(f for f in self.folders if path.is_relative_to(f))
        return f"{folder.name}/{path.relative_to(folder)}"


def _signature(path: Path) -> tuple[int, int, int]:
    stat = path.stat()
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


class CpuWatch:
    """How much CPU others used while we measured: all busy CPU time on the machine, minus
    this process's and its children's. The load average alone cannot tell our own load from
    someone else's. Also the time the hypervisor stole from this VM."""

    def __init__(self) -> None:
        self.began = time.monotonic()
        self.cpu = psutil.cpu_times()
        self.own = _own_cpu_s()

    def report(self) -> dict[str, float]:
        wall = max(time.monotonic() - self.began, 1e-9)
        cpu = psutil.cpu_times()
        busy = _busy_s(cpu) - _busy_s(self.cpu)
        own = _own_cpu_s() - self.own
        steal = getattr(cpu, "steal", 0.0) - getattr(self.cpu, "steal", 0.0)
        return {
            "other_cpu_cores": round(max(busy - own, 0.0) / wall, 3),
            "steal_cpu_cores": round(steal / wall, 3),
        }


def _busy_s(cpu: Any) -> float:
    idle = sum(
        getattr(cpu, name, 0.0) for name in ("idle", "iowait", "steal", "guest", "guest_nice")
    )
    return float(sum(cpu)) - idle


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _base_fields(
    options: RunOptions, protocol: Protocol, run_id: str, confined: bool
) -> dict[str, Any]:
    return {
        "protocol": protocol,
        "device": options.device,
        "machine": current_machine(),
        "created": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "runtime": {
            "threads": {"intra_op": protocol.threads, "inter_op": 1},
            "env": thread_env(protocol.threads),
            "compile_caches": "cold: a fresh Inductor/Triton cache directory per process",
            "writes": (
                f"scratch folder and /dev only (Landlock ABI {sandbox.abi_version()})"
                if confined
                else "not confined (no working Landlock here): changes to the results are "
                "found and undone after each process"
            ),
            "run_id": run_id,  # the peak suite of this run: results/<machine>/peaks/<run_id>.json
        },
    }


def _run_child(
    feature: Feature,
    snippet: str,
    framework: Framework,
    workdir: Path,
    inputs_path: Path | None,
    context: Context,
    on_phase: Callable[[str], None],
    guard: ResultsGuard,
) -> tuple[SnippetReport, int]:
    """One child process: what it reported (or a failed/timeout report), and the most memory
    its worker processes held at once. A child that changed the results (possible only where
    the kernel cannot confine its writes) has them restored, and fails."""
    workdir.mkdir()
    protocol = context.protocol
    request = SnippetRequest(
        framework=framework.name,
        module=framework.module,
        adapter=framework.adapter,
        device=context.options.device,
        measure=feature.measure,
        sampling=Sampling(
            protocol.threads,
            protocol.samples,
            protocol.min_sample_s,
            protocol.warmup_calls,
            protocol.warmup_s,
        ),
        snippet_path=str(feature.snippet_path(snippet).resolve()),
        shared_dir=str((feature.directory.parent / "_shared").resolve()),
        inputs_path=str(inputs_path) if inputs_path else None,
        workdir=str(workdir),
        report_path=str(workdir / "report.json"),
        progress_path=str(workdir / "phase"),
        launched_at=time.time(),  # launch() writes the request and starts the child right away
        forbidden=tuple(
            sorted({f.module for f in context.frameworks.values()} - {framework.module})
        ),
        writable=(str(workdir), "/dev") if context.confined else (),
    )

    def poll() -> None:
        phase = workdir / "phase"
        if phase.is_file():
            on_phase(phase.read_text(encoding="utf-8"))

    env = child_env(protocol.threads, workdir, framework.env, context.owner)
    timeout_s = feature.timeout_s or DEFAULT_TIMEOUT_S[protocol.mode]
    limit = int(feature.memory_limit_mib * 2**20)
    exited = launch("harness", request, SnippetReport, workdir, env, timeout_s, poll, limit)
    report = _judge(feature, exited, timeout_s, _phase_of(workdir))
    changed = guard.restore()
    if changed:
        report = SnippetReport(
            "failed",
            report.phase,
            f"It changed {len(changed)} file(s) outside its scratch folder, among the "
            f"project's results: {', '.join(changed[:5])}{' and more' if len(changed) > 5 else ''}"
            ". They were restored. A snippet may write only beneath its scratch folder (the "
            "`workdir` that setup() can ask for).",
            framework_info=report.framework_info,
        )
    return report, exited.descendants_peak_rss_bytes


def _phase_of(workdir: Path) -> str:
    """The phase the child last reported (import, load, setup, first call, steady state)."""
    phase = workdir / "phase"
    text = phase.read_text(encoding="utf-8").strip() if phase.is_file() else ""
    return text.replace("_", " ") or "start-up"


def _judge(feature: Feature, exited: Exited, timeout_s: float, phase: str) -> SnippetReport:
    """The child's report, or the failure that replaces it: every way a child can be stopped
    or misbehave, named, with the phase it happened in and what to do."""
    yml = feature.metadata_path.name
    declared = (
        "timeout_s in " + yml if feature.timeout_s else "the default; set timeout_s in " + yml
    )
    if exited.timed_out:
        return SnippetReport(
            "timeout",
            phase,
            f"Killed after {timeout_s:g} s ({declared}) in {phase}. Make run() faster, or "
            "raise timeout_s if the work is meant to take this long.",
        )
    if exited.memory_exceeded_bytes is not None:
        return SnippetReport(
            "failed",
            phase,
            f"Stopped in {phase}: the process and its children held "
            f"{exited.memory_exceeded_bytes / 2**20:.0f} MiB, over the limit of "
            f"{feature.memory_limit_mib:g} MiB (memory_limit_mib in {yml}). Use less memory, "
            "or raise memory_limit_mib if the work needs it.",
        )
    if exited.flooded:
        return SnippetReport(
            "failed",
            phase,
            f"Stopped: it printed more than {LOG_LIMIT_BYTES // 2**20} MiB while loading, in "
            "setup or in the first call (what the timed calls print is discarded). Print a "
            "summary instead of the data.",
        )
    if exited.report is None:
        code = exited.returncode
        how = (
            f"was killed by {signal.Signals(-code).name}"
            if code is not None and code < 0 and -code in signal.Signals._value2member_map_
            else f"exited with code {code}"
        )
        return SnippetReport(
            "failed",
            phase,
            f"The child process {how} in {phase}, before writing a result. Last output:\n"
            f"{exited.log_tail}",
        )
    report: SnippetReport = exited.report
    peak = report.measured.peak_rss_bytes if report.measured else 0
    if peak > feature.memory_limit_mib * 2**20:  # a spike shorter than the watch's 0.1 s
        return replace(
            report,
            status="failed",
            message=(
                f"Its peak memory was {peak / 2**20:.0f} MiB, over the limit of "
                f"{feature.memory_limit_mib:g} MiB (memory_limit_mib in {yml}), in a spike "
                "shorter than the runner's 0.1 s watch. Use less memory, or raise "
                "memory_limit_mib if the work needs it."
            ),
        )
    if exited.left_behind and report.status == "ok":
        return replace(
            report,
            status="failed",
            message=(
                f"It left {len(exited.left_behind)} process(es) running after it ended: "
                f"{', '.join(exited.left_behind[:5])}"
                f"{' and more' if len(exited.left_behind) > 5 else ''}. They were killed. "
                "A snippet must end every process it starts (join its workers, close its "
                "pools), in its process group or not."
            ),
        )
    return report


def _write_inputs(feature: Feature, workdir: Path) -> tuple[Path | None, str]:
    """Generate the feature's inputs once, in NumPy, for both frameworks. Returns the file and
    a digest of the arrays, which both results record: equal digests prove equal inputs."""
    if not feature.inputs_path.is_file():
        return None, ""
    namespace = runpy.run_path(str(feature.inputs_path))
    arrays = namespace["make_inputs"]()
    if not isinstance(arrays, dict) or not all(isinstance(v, np.ndarray) for v in arrays.values()):
        raise TypeError("make_inputs() must return a dict of name -> NumPy array")
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}:{array.dtype}:{array.shape}".encode())
        digest.update(array.tobytes())
    path = workdir / "inputs.npz"
    np.savez(path, **arrays)
    return path, digest.hexdigest()


def _metric_problems(feature: Feature, reported: dict[str, float]) -> str:
    declared = {m.id for m in feature.metrics}
    missing = sorted(declared - set(reported))
    extra = sorted(set(reported) - declared)
    problems = []
    if missing:
        problems.append(
            f"metrics(state) did not report {', '.join(missing)}, declared under "
            f"'metrics' in {feature.metadata_path.name}"
        )
    if extra:
        problems.append(
            f"metrics(state) reported {', '.join(extra)}, which "
            f"{feature.metadata_path.name} does not declare under 'metrics'"
        )
    return "; ".join(problems) + (". Make the two agree." if problems else "")


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def failed(outcomes: list[Outcome]) -> bool:
    """Something went wrong that the user did not declare (unsupported/skipped are fine)."""
    return any(o.result.status in (Status.FAILED, Status.TIMEOUT) for o in outcomes)
