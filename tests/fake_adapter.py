"""The adapter the stand-in frameworks of tests/fakes.py run with, inside the child process.

Standard library only, like the real adapters: whatever this imports is paid by every child.
"""

from __future__ import annotations

import sys
from typing import Any


class StdlibAdapter:
    """Drives a stdlib module as if it were a framework: nothing to sync, nothing to convert."""

    def __init__(self, module: Any, device: str, threads: int) -> None:
        self.device = device

    def cuda_available(self) -> bool:
        return False

    def sync(self) -> None:
        pass

    def to_numpy(self, value: Any) -> Any:
        return value

    def gpu_peak_bytes(self) -> int | None:
        return None

    def info(self) -> dict[str, Any]:
        return {"version": sys.version.split()[0]}
