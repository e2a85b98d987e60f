"""Stage 2: run each snippet in its own fresh subprocess and store what it measured.

One framework per process, never both. Threads are set identically for both frameworks through
the environment (before the first op) and inside the child. Processes of the two frameworks
are interleaved (PT, TF, TF, PT, ...) so slow drift of a shared machine hits both alike.
Failures become statuses; a run never crashes because a snippet did.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import psutil
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import compare, peaks, store
from .environment import current_machine, load_average
from .model import (
    FRAMEWORK_LABELS,
    FRAMEWORK_MODULES,
    FRAMEWORKS,
    Feature,
    ProcessRecord,
    Project,
    Protocol,
    RunResult,
    Status,
)

LOG_TAIL_LINES = 30
PEAKS_TIMEOUT_S = 300
POLL_S = 0.1


@dataclass(frozen=True)
class RunOptions:
    frameworks: tuple[str, ...] = FRAMEWORKS
    device: str = "cpu"
    mode: str = "default"
    force: bool = False
    threads: int = 0  # 0: the machine's physical cores
    peaks: bool = True  # bracket default-mode runs with the peak suite

    def protocol(self) -> Protocol:
        threads = self.threads or current_machine().physical_cores
        return Protocol.for_mode(self.mode, threads)


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
    stale: list[str] = field(default_factory=list)
    cached: list[RunResult] = field(default_factory=list)


# Test seam: which module a framework's child imports and which harness adapter drives it.
# Tests point a framework at a stdlib module to exercise runner edge cases in milliseconds.
DEFAULT_MODULES = {fw: (FRAMEWORK_MODULES[fw], fw) for fw in FRAMEWORKS}


def run_features(
    project: Project,
    features: list[Feature],
    options: RunOptions,
    console: Console | None = None,
    modules: dict[str, tuple[str, str]] | None = None,
) -> list[Outcome]:
    """Run what is stale (or everything with --force), store each result, return all outcomes."""
    console = console or Console(stderr=True)
    modules = modules or DEFAULT_MODULES
    machine = current_machine()
    results = store.Store(project.results, store.results_key(machine.machine_id, options.device))
    protocol = options.protocol()
    plans = [_plan(project, f, options, protocol, results, modules) for f in features]
    outcomes: list[Outcome] = []
    for plan in plans:
        outcomes += [Outcome(r, executed=False) for r in plan.cached]
    pending = [p for p in plans if p.stale]
    if not pending:
        return outcomes
    run_id = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    # The peak suite brackets default-mode runs of real frameworks (not quick runs or tests).
    measured = sorted(
        {
            fw
            for p in pending
            for fw in p.stale
            if modules[fw][1] != "stdlib" and _version(fw, modules) is not None
        }
    )
    peak_frameworks = measured if protocol.mode == "default" and options.peaks else []
    with _exclusive(project.results, console), _progress(console) as progress:
        total = sum(len(p.stale) * protocol.processes for p in pending)
        overall = progress.add_task("snippet processes", total=total)
        suite = {fw: {"start": _peaks(fw, options, protocol, progress)} for fw in peak_frameworks}
        for plan in pending:
            fresh = _run_feature(
                plan, project, options, protocol, results, modules, progress, overall, run_id
            )
            outcomes += [Outcome(r, executed=True) for r in fresh]
            compare.save_comparison(plan.feature, results)
        for fw in peak_frameworks:
            suite[fw]["end"] = _peaks(fw, options, protocol, progress)
    if suite:
        record = {"run_id": run_id, **peaks.summarize_run(suite)}
        store.write_json(
            results.peaks_path(run_id), {**record, "schema_version": store.SCHEMA_VERSION}
        )
    return outcomes


def _peaks(framework: str, options: RunOptions, protocol: Protocol, progress: Progress) -> dict:
    """One framework's peak suite in a fresh process; a failure is recorded, never raised."""
    task = progress.add_task(f"peak suite · {FRAMEWORK_LABELS[framework]}", total=None)
    with tempfile.TemporaryDirectory(prefix="fieldguide-peaks-") as tmp:
        request = Path(tmp) / "request.json"
        result = Path(tmp) / "result.json"
        request.write_text(
            json.dumps(
                {
                    "framework": framework,
                    "module": FRAMEWORK_MODULES[framework],
                    "device": options.device,
                    "threads": protocol.threads,
                    "result_path": str(result),
                }
            ),
            encoding="utf-8",
        )
        env = _child_env(framework, protocol.threads, Path(tmp))
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "generator.peaks", str(request)],
                cwd=tmp,
                env=env,
                capture_output=True,
                text=True,
                timeout=PEAKS_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return {"status": "timeout", "message": f"peak suite ran past {PEAKS_TIMEOUT_S} s"}
        finally:
            progress.remove_task(task)
        if not result.is_file():
            tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-LOG_TAIL_LINES:])
            return {"status": "failed", "message": tail}
        return json.loads(result.read_text(encoding="utf-8"))


def _plan(
    project: Project,
    feature: Feature,
    options: RunOptions,
    protocol: Protocol,
    results: store.Store,
    modules: dict[str, tuple[str, str]],
) -> Plan:
    plan = Plan(feature)
    for framework in options.frameworks:
        version = _version(framework, modules)
        key = store.cache_key(
            feature,
            framework,
            project.snippets,
            machine_id=results.machine_id,
            device=options.device,
            protocol=protocol,
            framework_version=version,
        )
        plan.keys[framework] = key
        # --force never reads the old file: it may be of another schema version.
        previous = None if options.force else results.load(feature.id, framework)
        # A timeout may be the machine's fault, so only ok/failed/unsupported results are reused.
        if (
            previous is not None
            and previous.cache_key == key
            and previous.status in (Status.OK, Status.FAILED, Status.UNSUPPORTED, Status.SKIPPED)
        ):
            plan.cached.append(previous)
        else:
            plan.stale.append(framework)
    return plan


def _version(framework: str, modules: dict[str, tuple[str, str]]) -> str | None:
    if modules[framework][1] == "stdlib":
        return sys.version.split()[0]
    return store.installed_version(framework)


def _run_feature(
    plan: Plan,
    project: Project,
    options: RunOptions,
    protocol: Protocol,
    results: store.Store,
    modules: dict[str, tuple[str, str]],
    progress: Progress,
    overall,
    run_id: str,
) -> list[RunResult]:
    feature = plan.feature
    task = progress.add_task(feature.id, total=None)
    base = _base_fields(options, protocol, run_id)
    done: dict[str, RunResult] = {}
    runnable = []
    for framework in plan.stale:
        key = plan.keys[framework]
        if framework in feature.unsupported:
            done[framework] = RunResult(
                feature.id,
                framework,
                Status.UNSUPPORTED,
                key,
                message=feature.unsupported[framework],
                **base,
            )
        elif _version(framework, modules) is None:
            done[framework] = RunResult(
                feature.id,
                framework,
                Status.SKIPPED,
                key,
                **base,
                message=f"{FRAMEWORK_LABELS[framework]} is not installed in this environment. "
                "Install the project with `pip install -e '.[frameworks]'`.",
            )
        else:
            runnable.append(framework)
    progress.advance(overall, len(done) * protocol.processes)

    with tempfile.TemporaryDirectory(prefix=f"fieldguide-{feature.id}-") as tmp:
        workdir = Path(tmp)
        try:
            inputs_path, inputs_sha = _write_inputs(feature, workdir)
        except Exception as exc:  # a broken inputs.py is the snippet's failure
            message = (
                f"{feature.inputs_path}: make_inputs() raised {type(exc).__name__}: "
                f"{exc}. Run `python {feature.inputs_path}` to debug it."
            )
            for framework in runnable:
                done[framework] = RunResult(
                    feature.id,
                    framework,
                    Status.FAILED,
                    plan.keys[framework],
                    message=message,
                    **base,
                )
            runnable = []
        records: dict[str, list[dict]] = {fw: [] for fw in runnable}
        failures: dict[str, dict] = {}  # framework -> the failing child's report
        load_start = load_average()
        watch = CpuWatch()
        for index in range(protocol.processes):
            # Alternate which framework goes first in each round.
            order = runnable if index % 2 == 0 else list(reversed(runnable))
            for framework in order:
                if framework in failures:
                    progress.advance(overall)
                    continue
                label = (
                    f"{feature.id} · {FRAMEWORK_LABELS.get(framework, framework)} · "
                    f"process {index + 1}/{protocol.processes}"
                )
                child = _run_child(
                    feature,
                    framework,
                    index,
                    workdir,
                    inputs_path,
                    options,
                    protocol,
                    project,
                    modules[framework],
                    lambda phase, label=label: progress.update(
                        task, description=f"{label} · {phase}"
                    ),
                )
                progress.advance(overall)
                if child.get("status") == "ok":
                    records[framework].append(child)
                else:
                    failures[framework] = child
        runtime = {
            **base["runtime"],
            "load_avg_start": load_start,
            "load_avg_end": load_average(),
            **watch.report(),
        }
        measured = {**base, "runtime": runtime}
        for framework in runnable:
            if framework in failures:
                child = failures[framework]
                done[framework] = RunResult(
                    feature.id,
                    framework,
                    Status(child["status"]),
                    plan.keys[framework],
                    message=child.get("message", ""),
                    framework_info=child.get("framework_info", {}),
                    **measured,
                )
                continue
            children = records[framework]
            first = children[0]
            undeclared = _metric_problems(feature, first["metrics"])
            status, message = (Status.FAILED, undeclared) if undeclared else (Status.OK, "")
            done[framework] = RunResult(
                feature.id,
                framework,
                status,
                plan.keys[framework],
                message=message,
                framework_info=first["framework_info"],
                processes=tuple(ProcessRecord.from_dict(c) for c in children),
                output=first["output"],
                output_text=first["output_text"],
                inputs_sha256=inputs_sha,
                **measured,
            )
    progress.remove_task(task)
    for result in done.values():
        results.save(result)
    return [done[fw] for fw in plan.stale]


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


def _busy_s(cpu) -> float:
    idle = sum(
        getattr(cpu, name, 0.0) for name in ("idle", "iowait", "steal", "guest", "guest_nice")
    )
    return sum(cpu) - idle


def _own_cpu_s() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _base_fields(options: RunOptions, protocol: Protocol, run_id: str) -> dict:
    machine = current_machine()
    return {
        "protocol": protocol,
        "device": options.device,
        "machine": machine.as_dict(),
        "created": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "runtime": {
            "threads": {"intra_op": protocol.threads, "inter_op": 1},
            "env": _thread_env(protocol.threads),
            "compile_caches": "cold: a fresh Inductor/Triton cache directory per process",
            "run_id": run_id,  # the peak suite of this run: results/<machine>/peaks/<run_id>.json
        },
    }


def _thread_env(threads: int) -> dict[str, str]:
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def _child_env(framework: str, threads: int, workdir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(_thread_env(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ log noise; oneDNN stays as shipped
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent.parent), env.get("PYTHONPATH", "")]
    ).rstrip(os.pathsep)
    env["TORCHINDUCTOR_CACHE_DIR"] = str(workdir / "inductor-cache")
    env["TRITON_CACHE_DIR"] = str(workdir / "triton-cache")
    if framework == "tensorflow":
        env["KERAS_BACKEND"] = "tensorflow"
    return env


def _run_child(
    feature: Feature,
    framework: str,
    index: int,
    workdir: Path,
    inputs_path: Path | None,
    options: RunOptions,
    protocol: Protocol,
    project: Project,
    module: tuple[str, str],
    on_phase,
) -> dict:
    """One child process; returns what it reported, or a failed/timeout status."""
    child_dir = workdir / f"{framework}-{index}"
    child_dir.mkdir()
    request = {
        "framework": framework,
        "module": module[0],
        "adapter": module[1],
        "device": options.device,
        "measure": feature.measure,
        "protocol": {
            "threads": protocol.threads,
            "samples": protocol.samples,
            "min_sample_s": protocol.min_sample_s,
            "warmup_calls": protocol.warmup_calls,
            "warmup_s": protocol.warmup_s,
        },
        "snippet_path": str(feature.snippet_path(framework).resolve()),
        "shared_dir": str((project.snippets / "_shared").resolve()),
        "inputs_path": str(inputs_path) if inputs_path else None,
        "workdir": str(child_dir),
        "result_path": str(child_dir / "result.json"),
        "progress_path": str(child_dir / "phase"),
    }
    request_path = child_dir / "request.json"
    request_path.write_text(json.dumps(request), encoding="utf-8")
    log_path = child_dir / "output.log"
    env = _child_env(framework, protocol.threads, child_dir)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "generator.harness", str(request_path)],
            cwd=child_dir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # its own process group, so its worker processes can be killed with it
        began = time.monotonic()
        try:
            while proc.poll() is None:
                if time.monotonic() - began > feature.timeout_s:
                    return {
                        "status": "timeout",
                        "message": f"Killed after {feature.timeout_s:g} s (timeout_s in "
                        f"{feature.metadata_path.name}). Make run() faster, or raise "
                        "timeout_s if the work is meant to take this long.",
                    }
                with contextlib.suppress(OSError):
                    on_phase((child_dir / "phase").read_text(encoding="utf-8"))
                time.sleep(POLL_S)
        finally:
            # On timeout, Ctrl-C (the child's own session does not get the terminal's SIGINT)
            # and normal exit alike: no worker process outlives its snippet.
            _kill_group(proc)
    result_path = child_dir / "result.json"
    if not result_path.is_file():
        tail = _tail(log_path)
        return {
            "status": "failed",
            "message": f"The child process exited with code {proc.returncode} before "
            f"writing a result. Last output:\n{tail}",
        }
    return json.loads(result_path.read_text(encoding="utf-8"))


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"


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


@contextlib.contextmanager
def _exclusive(results_dir: Path, console: Console) -> Iterator[None]:
    """Timed runs never overlap: a second run waits for the first and says so."""
    results_dir.mkdir(parents=True, exist_ok=True)
    with open(results_dir / ".run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            console.print(
                "Another fieldguide run is measuring on this machine; waiting for it "
                "to finish so the two don't disturb each other's timings..."
            )
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _progress(console: Console) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def summary_table(outcomes: list[Outcome]) -> Table:
    """The end-of-run summary: one row per snippet, with the fix for anything that failed."""
    table = Table(title="fieldguide run", show_lines=False)
    for column in ("Feature", "Framework", "Status", "Steady median", "First call", "Note"):
        table.add_column(column)
    styles = {
        Status.OK: "green",
        Status.FAILED: "red",
        Status.TIMEOUT: "red",
        Status.SKIPPED: "yellow",
        Status.UNSUPPORTED: "cyan",
    }
    for outcome in sorted(outcomes, key=lambda o: (o.result.feature, o.result.framework)):
        r = outcome.result
        steady = compare.summarize(compare.per_process(r, "steady"))
        first = compare.summarize(compare.per_process(r, "first_call"))
        note = "cached" if not outcome.executed else ""
        if r.message:
            lines = r.message.strip().splitlines()
            note = (note + "; " if note else "") + (lines[-1] if lines else "")
            if r.status in (Status.FAILED, Status.TIMEOUT):
                note += f" → fix, then `fieldguide run {r.feature}`"
        table.add_row(
            r.feature,
            FRAMEWORK_LABELS.get(r.framework, r.framework),
            f"[{styles[r.status]}]{r.status.value}[/]",
            _seconds(steady.median) if steady else "—",
            _seconds(first.median) if first else "—",
            note,
        )
    return table


def failed(outcomes: list[Outcome]) -> bool:
    """Something went wrong that the user did not declare (unsupported/skipped are fine)."""
    return any(o.result.status in (Status.FAILED, Status.TIMEOUT) for o in outcomes)


def _seconds(value: float) -> str:
    from .render import format_value

    return format_value(value, "s")
