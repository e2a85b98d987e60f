"""The framework adapters the child processes use: threads, device sync, conversion to NumPy,
build info. Imported inside a child, after the framework itself; standard library otherwise.

A request names its adapter as "module:Class", so tests can drive the harness with an adapter
of their own (tests/fakes.py) without a branch for them here.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any


def load(path: str, module: Any, device: str, threads: int) -> Any:
    """The adapter named "package.module:Class", constructed for `module` (the framework)."""
    module_name, _, class_name = path.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(module, device, threads)


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

    def __init__(self, torch: Any, device: str, threads: int) -> None:
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

    def __init__(self, tf: Any, device: str, threads: int) -> None:
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


class StdlibAdapter(Adapter):
    """Drives a standard-library module as if it were a framework: nothing to sync, nothing to
    convert. For runs that measure the pipeline rather than a framework (the runner's tests,
    benchmarks/pipeline.py)."""

    def __init__(self, module: Any, device: str, threads: int) -> None:
        self.device = device

    def cuda_available(self) -> bool:
        return False

    def sync(self) -> None:
        pass

    def gpu_peak_bytes(self) -> int | None:
        return None

    def info(self) -> dict[str, Any]:
        return {"version": sys.version.split()[0]}


def _version_of(module: str) -> str | None:
    try:
        version: str = importlib.import_module(module).__version__
        return version
    except ImportError:
        return None
