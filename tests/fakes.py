"""Stand-ins for the frameworks, so that runner edge cases take milliseconds.

The runner starts each framework's children as its `Framework` record says; these records point
both "pytorch" and "tensorflow" at a stdlib module and at the adapter below. Real-framework runs
are in test_starters.py.
"""

from __future__ import annotations

import sys
from typing import Any

from generator.model import Framework

ADAPTER = "tests.fakes:StdlibAdapter"


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


def fake(name: str, distributions: tuple[str, ...] = ("pytest",)) -> Framework:
    """`name` run on the json module; its version is that of an installed distribution."""
    return Framework(name, "json", ADAPTER, distributions, peaks=False)


FAKES = {"pytorch": fake("pytorch"), "tensorflow": fake("tensorflow")}
