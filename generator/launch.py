"""The parent side of every child process: one place that starts a child, enforces its timeout,
memory limit and output limit, and ends every process it started (its process group, and every
descendant seen while it ran, which may have left the group).

A child is `python -m generator.child.<entry> REQUEST.json`: it reads a typed request
(`generator.child.records`), and writes its report to the path the request names. Its output
goes to a log file, of which the tail is kept for the message when it dies without a report.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from .child import records
from .child.harness import LOG_NAME

LOG_TAIL_LINES = 30
POLL_S = 0.1  # how often the progress display learns the child's phase
GENERATOR_PARENT = Path(__file__).resolve().parent.parent
# A child printing more than this is stopped: its output would become the result, the page and
# the search index (50 MB of output once made a 114 MB page).
LOG_LIMIT_BYTES = 64 * 2**20
# After a child exits, its descendants get this long to exit on their own before they count as
# left behind (a pool's workers notice their parent is gone).
GRACE_S = 1.0
# Every process of a run carries this variable (descendants inherit it): "<pid>:<owner>", the
# runner's pid and what it ran for (a results folder), so that a later run for the same owner
# can find what an earlier one left behind when it was killed before it could clean up.
RUN_MARKER = "FIELDGUIDE_RUN_PID"
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


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
    # Processes still running after the child ended (and its grace period), each "pid (name)":
    # they were killed, and the snippet fails for leaving them.
    left_behind: tuple[str, ...] = ()
    # The child and its descendants' RSS when they were stopped for exceeding the memory limit.
    memory_exceeded_bytes: int | None = None
    flooded: bool = False  # stopped for printing more than LOG_LIMIT_BYTES


def child_env(
    threads: int, workdir: Path, extra: Mapping[str, str], owner: str = ""
) -> dict[str, str]:
    """The environment of a child: threads fixed before the first op, hashing fixed, no output
    buffering (a crash keeps its last lines), the generator importable, caches per process."""
    env = dict(os.environ)
    env.update(thread_env(threads))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TF's C++ log noise; oneDNN stays as shipped
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONUNBUFFERED"] = "1"
    env["PYTHONIOENCODING"] = "utf-8:backslashreplace"  # printing any str works, as in a shell
    env["PYTHONPATH"] = os.pathsep.join([str(GENERATOR_PARENT), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep
    )
    env[RUN_MARKER] = f"{os.getpid()}:{owner}"  # this process, and whose run it is
    env["TORCHINDUCTOR_CACHE_DIR"] = str(workdir / "inductor-cache")
    env["TRITON_CACHE_DIR"] = str(workdir / "triton-cache")
    # Temporary files in the scratch folder too: the only place a snippet may write.
    (workdir / "tmp").mkdir(exist_ok=True)
    env["TMPDIR"] = str(workdir / "tmp")
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
    memory_limit_bytes: int | None = None,
) -> Exited:
    """Run `generator.child.<entry>` on `request` in `workdir`; `request.report_path` is where
    the child writes its report. `on_poll` is called while it runs (progress display). The child
    is stopped past `timeout_s`, past `memory_limit_bytes` (its RSS and its descendants'), or
    when it prints more than LOG_LIMIT_BYTES; when it ends, every process it started ends too,
    in its process group or not. SIGTERM and SIGHUP of this process end the child as Ctrl-C
    does, then raise KeyboardInterrupt."""
    request_path = workdir / "request.json"
    records.write(request, request_path)
    log_path = workdir / LOG_NAME
    timed_out = flooded = False
    exceeded = None
    become_subreaper()
    seen: dict[int, psutil.Process] = {}  # every descendant observed, by pid
    with open(log_path, "wb") as log, _signals_interrupt():
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
        left: tuple[str, ...] = ()
        try:
            while True:
                on_poll()
                own, workers = _memory(proc.pid, seen)
                descendants = max(descendants, workers)
                if memory_limit_bytes is not None and own + workers > memory_limit_bytes:
                    exceeded = own + workers
                    break
                if log_path.stat().st_size > LOG_LIMIT_BYTES:
                    flooded = True
                    break
                left_s = deadline - time.monotonic()
                try:
                    proc.wait(timeout=max(min(POLL_S, left_s), 0.001))
                    break
                except subprocess.TimeoutExpired:
                    if left_s <= 0:
                        timed_out = True
                        break
            if proc.poll() is not None:  # ended on its own: did it leave anything running?
                _memory(proc.pid, seen)  # orphans handed to us before a poll could see them
                flooded = log_path.stat().st_size > LOG_LIMIT_BYTES
                left = _left_behind(seen, time.monotonic() + GRACE_S)
        finally:
            # On timeout, Ctrl-C (the child's own session does not get the terminal's SIGINT)
            # and normal exit alike: no process outlives its child, in its group or not.
            _memory(proc.pid, seen)  # what started since the last poll
            _kill_group(proc)
            _memory(proc.pid, seen)  # what the group's end orphaned
            _kill(list(seen.values()))
    report_path = Path(request.report_path)
    report = None
    stopped = timed_out or flooded or exceeded is not None
    if not stopped and report_path.is_file():
        report = records.read(report_type, report_path)
    returncode = None if timed_out else proc.returncode
    return Exited(
        report, returncode, timed_out, _tail(log_path), descendants, left, exceeded, flooded
    )


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP raise KeyboardInterrupt while a child runs, so that the `finally`
    that ends the child runs for them as for Ctrl-C (signals can only be set in the main
    thread; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _memory(pid: int, seen: dict[int, psutil.Process]) -> tuple[int, int]:
    """The RSS of `pid` and the summed RSS of its live descendants, which join `seen`: those
    in its tree (while it lives), and those orphaned and handed to this process as their
    subreaper."""
    own, children = 0, []
    with contextlib.suppress(psutil.Error):
        root = psutil.Process(pid)
        own = root.memory_info().rss
        children = root.children(recursive=True)
    children += _adopted(pid)
    total = 0
    for child in children:
        seen.setdefault(child.pid, child)
        with contextlib.suppress(psutil.Error):
            total += child.memory_info().rss
    return own, total


def _adopted(pid: int) -> list[psutil.Process]:
    """Processes of this run that were orphaned (a snippet double-forked, or started a process
    in a session of its own and exited) and reparented to this process, with their children."""
    adopted = []
    for child in psutil.Process().children():
        with contextlib.suppress(psutil.Error):
            marker = child.environ().get(RUN_MARKER, "")
            if child.pid != pid and marker.split(":", 1)[0] == str(os.getpid()):
                adopted += [child, *child.children(recursive=True)]
    return adopted


def become_subreaper() -> None:
    """Orphaned descendants are handed to this process instead of to init (Linux
    PR_SET_CHILD_SUBREAPER), so none can escape by double-forking; elsewhere, a no-op."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _alive(process: psutil.Process) -> bool:
    """Still running: the same process (psutil checks its start time), and not a zombie."""
    try:
        return bool(process.is_running() and process.status() != psutil.STATUS_ZOMBIE)
    except psutil.Error:
        return False


def _left_behind(seen: dict[int, psutil.Process], until: float) -> tuple[str, ...]:
    """Descendants still running at `until`, as "pid (name)"."""
    while True:
        alive = [p for p in seen.values() if _alive(p)]
        if not alive or time.monotonic() >= until:
            break
        time.sleep(0.05)
    return tuple(_named(alive))


def _named(processes: list[psutil.Process]) -> list[str]:
    """Processes as "pid (name)", those that are already gone left out."""
    named = []
    for process in processes:
        with contextlib.suppress(psutil.Error):
            named.append(f"{process.pid} ({process.name()})")
    return named


def _kill(processes: list[psutil.Process]) -> None:
    for process in processes:
        if _alive(process):
            with contextlib.suppress(psutil.Error):
                process.kill()
    psutil.wait_procs(processes, timeout=5)


def leftovers_of_earlier_runs(owner: str) -> list[psutil.Process]:
    """Processes started by a run for `owner` whose runner is gone: what a run killed with
    SIGKILL (which no handler sees) left running."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            pid, _, of = process.environ().get(RUN_MARKER, "").partition(":")
            if of == owner and pid.isdigit() and not psutil.pid_exists(int(pid)):
                found.append(process)
    return found


def end_processes(processes: list[psutil.Process]) -> list[str]:
    """Kill these processes; returns them as "pid (name)"."""
    named = _named(processes)
    _kill(processes)
    return named


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _tail(path: Path, limit: int = 8192) -> str:
    """The last lines of the log, at most `limit` characters (a flood has megabyte lines)."""
    with open(path, "rb") as log:
        log.seek(max(path.stat().st_size - 4 * limit, 0))
        text = log.read().decode("utf-8", errors="replace")
    tail = "\n".join(text.rstrip().splitlines()[-LOG_TAIL_LINES:])
    return (tail if len(tail) <= limit else "…" + tail[-limit:]) or "(no output)"
