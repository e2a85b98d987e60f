"""A framework-free counter both sides of breakpoints-in-compiled-code use: what Python-level
debugging hooks do while a function runs, without blocking on a debugger's prompt."""

import contextlib
import io
import sys
from dataclasses import dataclass, field

N_CALLS = 5  # calls of a fresh function for the counts reported as metrics


@dataclass
class Seen:
    breakpoints: int = 0
    printed: list[str] = field(default_factory=list)


@contextlib.contextmanager
def counting():
    """Inside: `breakpoint()` counts instead of opening pdb (`sys.breakpointhook` is what
    `breakpoint()` calls; `PYTHONBREAKPOINT` only chooses the default hook), and `print`
    goes to a buffer. Both are restored on the way out."""
    seen = Seen()

    def hook(*args, **kwargs):
        seen.breakpoints += 1

    before, buffer = sys.breakpointhook, io.StringIO()
    sys.breakpointhook = hook
    try:
        with contextlib.redirect_stdout(buffer):
            yield seen
    finally:
        sys.breakpointhook = before
        seen.printed = buffer.getvalue().splitlines()
