"""The parent side of every child process: one place that starts a child, enforces its timeout
and kills its whole process group.

A child is `python -m generator.child.<entry> REQUEST.json`: it reads a typed request
(`generator.child.records`), and writes its report to the path the request names. Its output
goes to a log file, of which the tail is kept for the message when it dies without a report.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from .child import records

LOG_TAIL_LINES = 30
POLL_S = 0.1  # how often the progress display learns the child's phase
GENERATOR_PARENT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Exited:
    """How a child ended: its report, or why there is none."""

    report: Any | None  # the typed report the child wrote, if it wrote one
    returncode: int | None  # None when it was killed for running past its timeout
    timed_out: bool
    log_tail: str
    # The most memory the child's own descendants held at once (their summed RSS), sampled
    # while it ran. Short-lived helpers (`uname -p` at import) are not workers and barely show.
    descendants_peak_rss_bytes: int = 0


def child_env(threads: int, workdir: Path, extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child: threads fixed before the first op, hashing fixed, no output
    buffering (a crash keeps its last lines), the generator importable, caches per process."""
    env = dict(os.environ)
    env.update(thread_env(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ log noise; oneDNN stays as shipped
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(GENERATOR_PARENT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env["TORCHINDUCTOR_CACHE_DIR"] = str(workdir / "inductor-cache")
    env["TRITON_CACHE_DIR"] = str(workdir / "triton-cache")
    env.update(extra)
    return env


def thread_env(threads: int) -> dict[str, str]:
    return {"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


def launch(
    entry: str,
    request: Any,
    report_type: type[Any],
    workdir: Path,
    env: dict[str, str],
    timeout_s: float,
    on_poll: Callable[[], None] = lambda: None,
) -> Exited:
    """Run `generator.child.<entry>` on `request` in `workdir`; `request.report_path` is where
    the child writes its report. `on_poll` is called while it runs (progress display)."""
    request_path = workdir / "request.json"
    records.write(request, request_path)
    log_path = workdir / "output.log"
    timed_out = False
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", f"generator.child.{entry}", str(request_path)],
            cwd=workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )  # its own process group, so its worker processes can be killed with it
        deadline = time.monotonic() + timeout_s
        descendants = 0
        try:
            while True:
                on_poll()
                descendants = max(descendants, _descendants_rss(proc.pid))
                left = deadline - time.monotonic()
                try:
                    proc.wait(timeout=max(min(POLL_S, left), 0.001))
                    break
                except subprocess.TimeoutExpired:
                    if left <= 0:
                        timed_out = True
                        break
        finally:
            # On timeout, Ctrl-C (the child's own session does not get the terminal's SIGINT)
            # and normal exit alike: no worker process outlives its child.
            _kill_group(proc)
    report_path = Path(request.report_path)
    report = None
    if not timed_out and report_path.is_file():
        report = records.read(report_type, report_path)
    returncode = None if timed_out else proc.returncode
    return Exited(report, returncode, timed_out, _tail(log_path), descendants)


def _descendants_rss(pid: int) -> int:
    """The summed resident memory of every live descendant of `pid` (not `pid` itself)."""
    total = 0
    try:
        children = psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return 0
    for child in children:
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return total


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return "\n".join(lines[-LOG_TAIL_LINES:]) or "(no output)"
