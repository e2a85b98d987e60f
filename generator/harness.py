"""The measuring harness. Runs INSIDE the child process, one snippet of one framework.

Started by `run.py` as `python -m generator.harness REQUEST.json`. It imports only the
standard library, NumPy and the one framework under test, and reports through files:
the result JSON at `request["result_path"]`, the current phase at `request["progress_path"]`.
Stdout is never parsed.

Phases, each timed on its own and never mixed: import of the framework, setup(), the first
call of run() (tracing and compilation land here), warm-up, loop calibration, steady samples.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import importlib.util
import inspect
import io
import json
import math
import os
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

MAX_OUTPUT_ELEMENTS = 1_000_000
TRACEBACK_LINES = 40


class SnippetError(Exception):
    """The snippet broke the contract in a way its author must fix."""


def main(request_path: str) -> int:
    request = json.loads(Path(request_path).read_text(encoding="utf-8"))
    report = Reporter(request)
    try:
        result = measure(request, report)
    except SnippetError as exc:
        result = {"status": "failed", "message": str(exc)}
    except BaseException:  # any failure of the snippet is data, not a crash
        result = {"status": "failed", "message": _traceback_tail(report.phase)}
    result.setdefault("phase", report.phase)
    _write_json(Path(request["result_path"]), result)
    return 0


class Reporter:
    """Writes the current phase to a small file the parent polls for its progress display."""

    def __init__(self, request: dict):
        self.path = Path(request["progress_path"])
        self.phase = "start"

    def __call__(self, phase: str) -> None:
        self.phase = phase
        self.path.write_text(phase, encoding="utf-8")


def measure(request: dict, report: Reporter) -> dict:
    device = request["device"]
    protocol = request["protocol"]

    report("import")
    start = time.perf_counter()
    fw = importlib.import_module(request["module"])
    import_s = time.perf_counter() - start
    adapter = ADAPTERS[request["adapter"]](fw, device, protocol["threads"])
    info = adapter.info()
    if device == "cuda" and not adapter.cuda_available():
        return {
            "status": "skipped",
            "framework_info": info,
            "import_s": import_s,
            "message": f"--device cuda was asked for, but {request['module']} sees no CUDA "
            "device on this machine. Run with --device cpu, or on a GPU machine.",
        }

    snippet = _load_snippet(Path(request["snippet_path"]), request.get("shared_dir"))
    inputs = _load_inputs(request.get("inputs_path"))
    kwargs = _setup_kwargs(snippet.setup, device=device, workdir=request["workdir"])
    captured = io.StringIO()

    report("setup")
    with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
        adapter.sync()
        start = time.perf_counter()
        state = snippet.setup(inputs, **kwargs)
        adapter.sync()
        setup_s = time.perf_counter() - start

        report("first call")
        start = time.perf_counter()
        first = snippet.run(state)
        adapter.sync()
        first_call_s = time.perf_counter() - start
    output = encode_output(adapter.to_numpy(first))
    del first

    warmup_calls, loops, samples = 0, 0, []
    eager_loops, eager_samples = 0, []
    # An optional eager(state) is the same work without compilation: its steady state is
    # sampled alternately with run()'s, so the page can say when compiling pays off.
    eager = getattr(snippet, "eager", None)
    if request["measure"] == "steady":
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            report("warm-up")
            warmup_calls, last = _warm_up(snippet.run, state, adapter, protocol)
            report("calibrate")
            loops = _calibrate(snippet.run, state, adapter, protocol["min_sample_s"], last)
            if eager is not None:
                report("eager warm-up")
                _, last = _warm_up(eager, state, adapter, protocol)
                eager_loops = _calibrate(eager, state, adapter, protocol["min_sample_s"], last)
            report("samples")
            with _gc_paused():
                for _ in range(protocol["samples"]):
                    samples.append(_sample(snippet.run, state, adapter, loops))
                    if eager is not None:
                        eager_samples.append(_sample(eager, state, adapter, eager_loops))

    report("metrics")
    metrics = _metrics(snippet, state)
    return {
        "status": "ok",
        "import_s": import_s,
        "setup_s": setup_s,
        "first_call_s": first_call_s,
        "warmup_calls": warmup_calls,
        "loops": loops,
        "samples": samples,
        "eager_loops": eager_loops,
        "eager_samples": eager_samples,
        "metrics": metrics,
        "peak_rss_bytes": _max_rss(resource.RUSAGE_SELF),
        "children_peak_rss_bytes": _max_rss(resource.RUSAGE_CHILDREN),
        "gpu_peak_bytes": adapter.gpu_peak_bytes(),
        "output": output,
        "output_text": captured.getvalue(),
        "framework_info": info,
    }


def _warm_up(run, state, adapter, protocol: dict) -> tuple[int, float]:
    """At least `warmup_calls` calls and at least `warmup_s` seconds. Returns the call count
    and the duration of the last call (a first estimate for calibration)."""
    calls, began, last = 0, time.perf_counter(), 0.0
    while calls < protocol["warmup_calls"] or time.perf_counter() - began < protocol["warmup_s"]:
        start = time.perf_counter()
        run(state)
        adapter.sync()
        last = time.perf_counter() - start
        calls += 1
    return calls, last


def _calibrate(run, state, adapter, min_sample_s: float, estimate_s: float) -> int:
    """Calls per sample so that one sample lasts at least `min_sample_s` (asv-style)."""
    loops = max(1, math.ceil(min_sample_s / estimate_s)) if estimate_s > 0 else 1
    while _sample(run, state, adapter, loops) * loops < min_sample_s:
        loops *= 2
    return loops


def _sample(run, state, adapter, loops: int) -> float:
    """One steady-state sample: seconds per call over `loops` back-to-back calls."""
    adapter.sync()
    start = time.perf_counter()
    for _ in range(loops):
        run(state)
    adapter.sync()
    return (time.perf_counter() - start) / loops


@contextlib.contextmanager
def _gc_paused():
    """Collect once, then keep the collector out of the samples (as timeit does). Collecting
    before every sample instead walks the whole heap of a framework and evicts the snippet's
    data from the caches: the next calls then run measurably slower than in steady state."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _metrics(snippet, state) -> dict[str, float]:
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


def _load_snippet(path: Path, shared_dir: str | None):
    # The snippet's folder comes first so `from inputs import ...` and helper modules resolve
    # exactly as when the file is run on its own.
    sys.path.insert(0, str(path.parent))
    if shared_dir:
        sys.path.insert(1, shared_dir)
    spec = importlib.util.spec_from_file_location(f"snippet_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise SnippetError(f"{path}: cannot be imported as a Python module.")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _load_inputs(path: str | None) -> dict[str, Any]:
    if not path:
        return {}
    import numpy as np

    with np.load(path, allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def _setup_kwargs(setup, **available: Any) -> dict[str, Any]:
    """Pass only what setup() asks for, so the simplest snippet is `def setup(inputs):`."""
    params = inspect.signature(setup).parameters
    return {name: value for name, value in available.items() if name in params}


def encode_output(value: Any) -> Any:
    """A JSON-safe form of a run() result: arrays become {"__array__": {dtype, shape, data}}."""
    import numpy as np

    count = [0]

    def encode(v: Any) -> Any:
        if isinstance(v, dict):
            return {str(k): encode(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)):
            return [encode(x) for x in v]
        if isinstance(v, (str, bool)) or v is None:
            return v
        if isinstance(v, (int, float, np.generic, np.ndarray)):
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


def _max_rss(who: int) -> int:
    rss = resource.getrusage(who).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # Linux reports KiB


def _traceback_tail(phase: str) -> str:
    lines = traceback.format_exc().rstrip().splitlines()
    tail = "\n".join(lines[-TRACEBACK_LINES:])
    return f"The snippet raised during {phase}:\n{tail}"


def _write_json(path: Path, data: dict) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


class Adapter:
    """What the harness needs from a framework. Subclasses convert single values."""

    def leaf_to_numpy(self, value: Any) -> Any:
        return value

    def to_numpy(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.to_numpy(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.to_numpy(v) for v in value]
        return self.leaf_to_numpy(value)


class TorchAdapter(Adapter):
    """PyTorch specifics: threads, device sync, conversion to NumPy, build info."""

    def __init__(self, torch, device: str, threads: int):
        self.torch, self.device = torch, device
        torch.set_num_threads(threads)
        torch.set_num_interop_threads(1)
        if device == "cuda" and torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def cuda_available(self) -> bool:
        return bool(self.torch.cuda.is_available())

    def sync(self) -> None:
        if self.device == "cuda":
            self.torch.cuda.synchronize()

    def leaf_to_numpy(self, value: Any) -> Any:
        if isinstance(value, self.torch.Tensor):
            return value.detach().cpu().numpy()
        return value

    def gpu_peak_bytes(self) -> int | None:
        if self.device != "cuda":
            return None
        return int(self.torch.cuda.max_memory_allocated())

    def info(self) -> dict[str, Any]:
        torch = self.torch
        info: dict[str, Any] = {
            "version": torch.__version__,
            "git_version": getattr(torch.version, "git_version", None),
            "cuda": torch.version.cuda,
            "cudnn": torch.backends.cudnn.version()
            if torch.backends.cudnn.is_available()
            else None,
            "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "mkldnn": torch.backends.mkldnn.is_available(),
            "intra_op_threads": torch.get_num_threads(),
            "inter_op_threads": torch.get_num_interop_threads(),
        }
        if self.device == "cuda" and torch.cuda.is_available():
            props = torch.cuda.get_device_properties(0)
            info["gpu"] = {
                "name": props.name,
                "memory_bytes": props.total_memory,
                "capability": f"{props.major}.{props.minor}",
            }
        return info


class TensorFlowAdapter(Adapter):
    """TensorFlow specifics. oneDNN is left as shipped and recorded."""

    def __init__(self, tf, device: str, threads: int):
        self.tf, self.device = tf, device
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
        if device == "cuda":
            for gpu in tf.config.list_physical_devices("GPU"):
                # Without this TF reserves nearly all GPU memory and the peak means nothing.
                tf.config.experimental.set_memory_growth(gpu, True)

    def cuda_available(self) -> bool:
        return bool(self.tf.config.list_physical_devices("GPU"))

    def sync(self) -> None:
        if self.device == "cuda":
            self.tf.test.experimental.sync_devices()

    def leaf_to_numpy(self, value: Any) -> Any:
        if hasattr(value, "numpy") and callable(value.numpy):
            return value.numpy()
        return value

    def gpu_peak_bytes(self) -> int | None:
        if self.device != "cuda":
            return None
        return int(self.tf.config.experimental.get_memory_info("GPU:0")["peak"])

    def info(self) -> dict[str, Any]:
        tf = self.tf
        build = dict(tf.sysconfig.get_build_info())
        info: dict[str, Any] = {
            "version": tf.__version__,
            "git_version": tf.version.GIT_VERSION,
            "keras": _version_of("keras"),
            "cuda": build.get("cuda_version"),
            "cudnn": build.get("cudnn_version"),
            "onednn_opts": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset (shipped default)"),
            "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
        }
        if self.device == "cuda":
            gpus = tf.config.list_physical_devices("GPU")
            if gpus:
                details = tf.config.experimental.get_device_details(gpus[0])
                info["gpu"] = {
                    "name": details.get("device_name"),
                    "capability": ".".join(map(str, details.get("compute_capability", ()))),
                }
        return info


def _version_of(module: str) -> str | None:
    try:
        return importlib.import_module(module).__version__
    except ImportError:
        return None


class StdlibAdapter(Adapter):
    """For stdlib-only test snippets: no framework, nothing to sync."""

    def __init__(self, module, device: str, threads: int):
        self.device = device

    def cuda_available(self) -> bool:
        return False

    def sync(self) -> None:
        pass

    def gpu_peak_bytes(self) -> int | None:
        return None

    def info(self) -> dict[str, Any]:
        return {"version": sys.version.split()[0]}


ADAPTERS: dict[str, type[Any]] = {
    "pytorch": TorchAdapter,
    "tensorflow": TensorFlowAdapter,
    "stdlib": StdlibAdapter,
}

if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
