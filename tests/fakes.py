"""Stand-ins for the frameworks, so that runner edge cases take milliseconds.

The runner starts each framework's children as its `Framework` record says; these records point
both "pytorch" and "tensorflow" at a stdlib module and at the adapter that drives one.
Real-framework runs are in test_starters.py.
"""

from __future__ import annotations

from generator.model import Framework

ADAPTER = "generator.child.adapters:StdlibAdapter"


def fake(name: str, distributions: tuple[str, ...] = ("pytest",)) -> Framework:
    """`name` run on the json module; its version is that of an installed distribution."""
    return Framework(name, "json", ADAPTER, distributions, peaks=False)


FAKES = {"pytorch": fake("pytorch"), "tensorflow": fake("tensorflow")}
