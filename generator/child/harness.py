"""The measuring harness. Runs INSIDE the child process, one snippet of one framework.

Started by the runner (through `launch`) as `python -m generator.child.harness REQUEST.json`.
It imports only the standard library, NumPy, the one framework under test and the other
modules of `generator.child`, and reports through files: a `records.SnippetReport` at
`request.report_path`, the current phase at `request.progress_path`. Stdout is never parsed.

Phases, each timed on its own and never mixed: import of the framework, setup(), the first
call of run() (tracing and compilation land here), warm-up, loop calibration, steady samples.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import inspect
import math
import os
import resource
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from . import adapters, records, sandbox
from .records import Measured, Sampling, SnippetReport, SnippetRequest

MAX_OUTPUT_ELEMENTS = 1_000_000
LOG_NAME = "output.log"  # in the workdir: the child's stdout and stderr, written by the parent
MAX_PRINTED_BYTES = 1 << 20  # of setup's and the first call's output, read back for the result
TRACEBACK_LINES = 40


class SnippetError(Exception):
    """The snippet broke the contract in a way its author must fix."""


def main(request_path: str) -> int:
    request = records.read(SnippetRequest, Path(request_path))
    phase = Phase(Path(request.progress_path))
    try:
        # First, before a thread exists: Landlock confines the calling thread and what it
        # starts from then on.
        sandbox.confine_writes(request.writable)
        report = measure(request, phase)
    except SnippetError as exc:
        report = SnippetReport("failed", phase.name, str(exc))
    except BaseException as exc:  # any failure of the snippet is data, not a crash
        report = SnippetReport(
            "failed", phase.name, _traceback_tail(exc, phase.name, request.snippet_path)
        )
    records.write(report, Path(request.report_path))
    return 0


class Phase:
    """The current phase, also written to a small file the parent polls for its progress."""

    def __init__(self, path: Path):
        self.path = path
        self.name = "start"

    def __call__(self, name: str) -> None:
        self.name = name
        partial = self.path.with_suffix(".partial")
        partial.write_text(name, encoding="utf-8")
        os.replace(partial, self.path)  # the parent never reads a half-written phase


def measure(request: SnippetRequest, phase: Phase) -> SnippetReport:
    device, sampling = request.device, request.sampling
    modules = Modules()

    phase("import")
    start = time.perf_counter()
    fw = importlib.import_module(request.module)
    import_s = time.perf_counter() - start
    adapter = adapters.load(request.adapter, fw, device, sampling.threads)
    info = adapter.info()
    modules.count("import")
    import_rss = _current_rss()
    if device == "cuda" and not adapter.cuda_available():
        return SnippetReport(
            "skipped",
            phase.name,
            f"--device cuda was asked for, but {request.module} sees no CUDA "
            "device on this machine. Run with --device cpu, or on a GPU machine.",
            framework_info=info,
        )

    # Loading the snippet runs its module-level imports, which can be costly (a library's
    # submodules): timed as its own phase, so that no cost falls between phases.
    # What the harness and the framework imported themselves is not the snippet's doing.
    before = {m for m in request.forbidden if m in sys.modules}
    phase("load")
    start = time.perf_counter()
    snippet = _load_snippet(Path(request.snippet_path), request.shared_dir)
    load_s = time.perf_counter() - start
    modules.count("load")
    inputs = _load_inputs(request.inputs_path)
    kwargs = _setup_kwargs(snippet.setup, device=device, workdir=request.workdir)
    log = Path(request.workdir) / LOG_NAME

    _refuse_forbidden(request, before, "load")
    phase("setup")
    with _printed(log) as printed:
        adapter.sync()
        start = time.perf_counter()
        state = snippet.setup(inputs, **kwargs)
        adapter.sync()
        setup_s = time.perf_counter() - start
        modules.count("setup")

        phase("first call")
        start = time.perf_counter()
        first = snippet.run(state)
        adapter.sync()
        first_call_s = time.perf_counter() - start
        first_result_at = time.time()
        modules.count("first_call")
    _refuse_forbidden(request, before, "setup or the first call")
    output = encode_output(adapter.to_numpy(first))
    del first

    warmup_calls, loops, samples = 0, 0, []
    eager_loops, eager_samples = 0, []
    # An optional eager(state) is the same work without compilation: its steady state is
    # sampled alternately with run()'s, so the page can say when compiling pays off.
    eager = getattr(snippet, "eager", None)
    if request.measure == "steady":
        with _silenced():
            phase("warm-up")
            warmup_calls, last = _warm_up(snippet.run, state, adapter, sampling)
            if eager is not None:
                phase("eager warm-up")
                _, eager_last = _warm_up(eager, state, adapter, sampling)
            # Collect once, before calibrating: the calls right after a collection run slower
            # (its walk of the heap evicts the caches), and calibration absorbs them, not the
            # first sample.
            with _gc_paused():
                phase("calibrate")
                loops = _calibrate(snippet.run, state, adapter, sampling.min_sample_s, last)
                if eager is not None:
                    eager_loops = _calibrate(
                        eager, state, adapter, sampling.min_sample_s, eager_last
                    )
                phase("samples")
                for _ in range(sampling.samples):
                    samples.append(_sample(snippet.run, state, adapter, loops))
                    if eager is not None:
                        eager_samples.append(_sample(eager, state, adapter, eager_loops))

    phase("metrics")
    metrics = _metrics(snippet, state)
    _refuse_forbidden(request, before, "the steady state or metrics()")
    measured = Measured(
        import_s=import_s,
        setup_s=setup_s,
        first_call_s=first_call_s,
        warmup_calls=warmup_calls,
        loops=loops,
        samples=tuple(samples),
        peak_rss_bytes=_max_rss(resource.RUSAGE_SELF),
        gpu_peak_bytes=adapter.gpu_peak_bytes(),
        metrics=metrics,
        eager_loops=eager_loops,
        eager_samples=tuple(eager_samples),
        load_s=load_s,
        first_result_s=first_result_at - request.launched_at if request.launched_at else None,
        import_rss_bytes=import_rss,
        modules=modules.imported,
    )
    return SnippetReport(
        "ok",
        phase.name,
        framework_info=info,
        measured=measured,
        output=output,
        output_text=printed.text,
    )


class Printed:
    """What the process printed inside a `_printed` block, once it has ended."""

    text = ""


@contextlib.contextmanager
def _printed(log: Path) -> Iterator[Printed]:
    """What setup and the first call print, at the file-descriptor level: the bytes that reach
    stdout and stderr (Python's, C extensions', subprocesses'), read back from the log file
    the parent gave the child, decoded with replacement. sys.stdout stays a real file, so
    `sys.stdout.buffer` and `fileno()` work as when the snippet runs alone; and a crash keeps
    the output in the log, for the message."""
    printed = Printed()
    _flush()
    start = os.lseek(1, 0, os.SEEK_CUR)
    try:
        yield printed
    finally:
        _flush()
        end = os.lseek(1, 0, os.SEEK_CUR)
        with open(log, "rb") as file:
            file.seek(start)
            data = file.read(min(end - start, MAX_PRINTED_BYTES))
        printed.text = data.decode("utf-8", errors="replace")
        if end - start > MAX_PRINTED_BYTES:
            printed.text += f"\n[… {end - start - MAX_PRINTED_BYTES:,} more bytes of output cut]"


@contextlib.contextmanager
def _silenced() -> Iterator[None]:
    """stdout and stderr to /dev/null at the file-descriptor level, for the timed calls."""
    _flush()
    saved = os.dup(1), os.dup(2)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        os.dup2(null, 2)
        yield
    finally:
        _flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in (null, *saved):
            os.close(fd)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


def _refuse_forbidden(request: SnippetRequest, before: set[str], where: str) -> None:
    imported = [m for m in request.forbidden if m in sys.modules and m not in before]
    if imported:
        raise SnippetError(
            f"The snippet imported {', '.join(imported)} in {where}: a {request.framework} "
            "snippet must not use the other framework (its import and memory would be "
            "charged to this side). Remove the import, however it is written."
        )


def _warm_up(run: Any, state: Any, adapter: Any, sampling: Sampling) -> tuple[int, float]:
    """At least `warmup_calls` calls and at least `warmup_s` seconds. Returns the call count
    and the duration of the last call (a first estimate for calibration)."""
    calls, began, last = 0, time.perf_counter(), 0.0
    while calls < sampling.warmup_calls or time.perf_counter() - began < sampling.warmup_s:
        start = time.perf_counter()
        run(state)
        adapter.sync()
        last = time.perf_counter() - start
        calls += 1
    return calls, last


def _calibrate(run: Any, state: Any, adapter: Any, min_sample_s: float, estimate_s: float) -> int:
    """Calls per sample so that one sample lasts at least `min_sample_s` (asv-style)."""
    loops = max(1, math.ceil(min_sample_s / estimate_s)) if estimate_s > 0 else 1
    while _sample(run, state, adapter, loops) * loops < min_sample_s:
        loops *= 2
    return loops


def _sample(run: Any, state: Any, adapter: Any, loops: int) -> float:
    """One steady-state sample: seconds per call over `loops` back-to-back calls."""
    adapter.sync()
    start = time.perf_counter()
    for _ in range(loops):
        run(state)
    adapter.sync()
    return (time.perf_counter() - start) / loops


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Collect once, then keep the collector out of the samples (as timeit does). Collecting
    before every sample instead walks the whole heap of a framework and evicts the snippet's
    data from the caches: the next calls then run measurably slower than in steady state."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _metrics(snippet: Any, state: Any) -> dict[str, float]:
    if not hasattr(snippet, "metrics"):
        return {}
    values = snippet.metrics(state)
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, (int, float)) and not isinstance(v, bool)
        for k, v in values.items()
    ):
        raise SnippetError(
            f"metrics(state) must return a dict of metric id -> number, "
            f"got {values!r}. Fix metrics() in the snippet."
        )
    return {k: float(v) for k, v in values.items()}


def _load_snippet(path: Path, shared_dir: str | None) -> Any:
    # The snippet's folder comes first so `from inputs import ...` and helper modules resolve
    # exactly as when the file is run on its own.
    sys.path.insert(0, str(path.parent))
    if shared_dir:
        sys.path.insert(1, shared_dir)
    spec = importlib.util.spec_from_file_location(f"snippet_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SnippetError(f"{path}: cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    # Registered by name, as an import would: torch.compile looks a traced function's module
    # up in sys.modules to read its globals.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _load_inputs(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _setup_kwargs(setup: Any, **available: Any) -> dict[str, Any]:
    """Pass only what setup() asks for, so the simplest snippet is `def setup(inputs):`."""
    params = inspect.signature(setup).parameters
    return {name: value for name, value in available.items() if name in params}


def encode_output(value: Any) -> Any:
    """A JSON-safe form of a run() result: arrays become {"__array__": {dtype, shape, data}}.

    NumPy is used only if something already imported it (every framework does): a value cannot
    be a NumPy array otherwise, and a plain number is encoded as NumPy would encode it."""
    np = sys.modules.get("numpy")
    count = [0]

    def encode(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): encode(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [encode(x) for x in v]
        if isinstance(v, (str, bool)) or v is None:
            return v
        if np is None and isinstance(v, (int, float)):
            count[0] += 1
            dtype = "int64" if isinstance(v, int) else "float64"
            return {"__array__": {"dtype": dtype, "shape": [], "data": [v]}}
        if np is not None and isinstance(v, (int, float, np.generic, np.ndarray)):
            array = np.asarray(v)
            count[0] += array.size
            if count[0] > MAX_OUTPUT_ELEMENTS:
                raise SnippetError(
                    f"run() returned more than {MAX_OUTPUT_ELEMENTS:,} numbers. Return a "
                    "smaller result (e.g. a slice, a norm, or summary statistics) to compare."
                )
            if array.dtype.kind not in "biuf":
                array = array.astype(np.float64)
            return {
                "__array__": {
                    "dtype": str(array.dtype),
                    "shape": list(array.shape),
                    "data": array.ravel().tolist(),
                }
            }
        raise SnippetError(
            f"run() returned a {type(v).__name__}; return tensors, NumPy arrays, numbers, "
            "strings, or a dict/list of those."
        )

    return encode(value)


class Modules:
    """How many modules each phase imported: a library that defers its imports moves their
    cost into whichever phase first touches them, and the count says so."""

    def __init__(self) -> None:
        self.seen = len(sys.modules)
        self.imported: dict[str, int] = {}

    def count(self, phase: str) -> None:
        now = len(sys.modules)
        self.imported[phase] = now - self.seen
        self.seen = now


def _current_rss() -> int | None:
    """Resident memory now (Linux), or None where /proc is not there."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


def _max_rss(who: int) -> int:
    """This process's peak resident memory. On Linux, VmHWM: getrusage's ru_maxrss survives
    exec, so a child started from a 500 MiB parent reports 500 MiB however little it uses."""
    if who == resource.RUSAGE_SELF:
        with contextlib.suppress(OSError, ValueError, IndexError):
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    rss = resource.getrusage(who).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB


def _traceback_tail(exc: BaseException, phase: str, snippet_path: str) -> str:
    """The exception's own first line and the snippet line it came from, first (a library's
    long message can bury both), then the end of the traceback."""
    first = (str(exc).strip().splitlines() or [""])[0]
    headline = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == snippet_path]
    where = (
        f" at {Path(snippet_path).name}, line {frames[-1].lineno}: {frames[-1].line}"
        if frames and frames[-1].line
        else ""
    )
    lines = traceback.format_exc().rstrip().splitlines()
    tail = "\n".join(lines[-TRACEBACK_LINES:])
    hint = (
        " (a snippet may write only beneath its scratch folder: the `workdir` that setup() "
        "can ask for)"
        if isinstance(exc, PermissionError)
        else ""
    )
    return (
        f"The snippet raised {headline} during {phase}{where}{hint}\nTraceback (its end):\n{tail}"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
