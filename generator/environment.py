"""The machine fingerprint stored with every result, and the stable machine id that keys them.

Collected in the parent process, cheaply (no framework import): the build's "nothing changed"
path computes it on every invocation. Framework versions and build info are read inside each
child by the harness, where the framework is imported anyway.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import psutil

from .model import Gpu, Machine

# The instruction-set extensions that decide deep-learning kernel speed on CPUs.
ISA_FLAGS = (
    "sse4_2",
    "avx",
    "avx2",
    "fma",
    "f16c",
    "avx512f",
    "avx512bw",
    "avx512vl",
    "avx512_vnni",
    "avx512_bf16",
    "avx512_fp16",
    "amx_bf16",
    "amx_int8",
    "amx_tile",
    "avx_vnni",
    "asimd",
    "sve",
    "sve2",
    "bf16",
    "i8mm",  # Arm
)


@cache
def current_machine() -> Machine:
    cpu_model, flags = _cpu()
    memory = psutil.virtual_memory().total
    physical = psutil.cpu_count(logical=False) or os.cpu_count() or 1
    logical = psutil.cpu_count(logical=True) or physical
    gpus = _nvidia_gpus()
    # The id names the hardware class, not the box: results from two identical machines are
    # comparable and share a folder. Memory is rounded to GiB so a kernel reserve doesn't matter.
    hardware = {
        "cpu": cpu_model,
        "isa": flags,
        "cores": [physical, logical],
        "memory_gib": round(memory / 2**30),
        "gpus": [[g.name, round(g.memory_bytes / 2**30)] for g in gpus],
        "arch": platform.machine(),
    }
    digest = hashlib.sha256(json.dumps(hardware, sort_keys=True).encode()).hexdigest()[:8]
    name = _slug(cpu_model) or platform.machine()
    gpu_part = "-" + _slug(gpus[0].name) if gpus else ""
    machine_id = f"{name}-{logical}c-{hardware['memory_gib']}g{gpu_part}-{digest}"
    return Machine(
        machine_id=machine_id,
        cpu_model=cpu_model,
        isa_flags=tuple(flags),
        physical_cores=physical,
        logical_cores=logical,
        memory_bytes=memory,
        os=f"{platform.system()} {platform.release()}",
        python=f"{platform.python_implementation()} {platform.python_version()}",
        gpus=tuple(gpus),
    )


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # not available on every platform
        return []


def _cpu() -> tuple[str, list[str]]:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
        model = _first(r"^(?:model name|Model|Hardware)\s*:\s*(.+)$", text) or platform.processor()
        flags = set((_first(r"^(?:flags|Features)\s*:\s*(.+)$", text) or "").split())
        return model.strip(), [f for f in ISA_FLAGS if f in flags]
    if sys.platform == "darwin":
        model = _command(["sysctl", "-n", "machdep.cpu.brand_string"]) or platform.processor()
        return model, []
    return platform.processor() or platform.machine(), []


def _nvidia_gpus() -> list[Gpu]:
    if not shutil.which("nvidia-smi"):
        return []
    out = _command(
        [
            "nvidia-smi",
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader,nounits",
        ]
    )
    gpus = []
    for line in (out or "").splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) == 3 and parts[1].isdigit():
            gpus.append(Gpu(parts[0], int(parts[1]) * 2**20, parts[2]))
    return gpus


def _command(args: list[str]) -> str | None:
    try:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=10, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def _first(pattern: str, text: str) -> str | None:
    match = re.search(pattern, text, re.MULTILINE)
    return match.group(1) if match else None


def _slug(text: str) -> str:
    words = re.sub(r"\(.*?\)|processor|cpu|\bwith\b.*|@.*", "", text, flags=re.I)
    return "-".join(re.findall(r"[a-z0-9]+", words.lower()))[:40].strip("-")
