"""Writes confined to the snippet's scratch folder, with Linux Landlock. Runs INSIDE the child.

A snippet is code from a stranger's pull request. Once `confine_writes` has run, the child and
every process it starts can create, change or delete files only beneath the folders it was
given (its scratch folder, and /dev for /dev/null, /dev/shm and device files); everywhere else,
the project's results and sources included, the kernel refuses with EACCES. Reading is not
restricted, and neither is the network: see the security page for what that leaves open.

Landlock needs no privileges and cannot be undone by the process it confines. Where the kernel
lacks it (before Linux 5.13, or not Linux), nothing is confined and the runner's check of the
results folder after each process is what stands (see run.py, `ResultsGuard`).
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

# include/uapi/linux/landlock.h; the syscall numbers are the same on every architecture.
CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1 << 0
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38
WRITE_FILE = 1 << 1
REMOVE_DIR, REMOVE_FILE = 1 << 4, 1 << 5
MAKE = sum(1 << bit for bit in range(6, 13))  # char, dir, reg, sock, fifo, block, sym
REFER = 1 << 13  # ABI 2: moving and linking files between folders
TRUNCATE = 1 << 14  # ABI 3


def abi_version() -> int:
    """The kernel's Landlock ABI version, or 0 where there is none."""
    if not sys.platform.startswith("linux"):
        return 0
    libc = ctypes.CDLL(None, use_errno=True)
    version = libc.syscall(CREATE_RULESET, None, ctypes.c_size_t(0), CREATE_RULESET_VERSION)
    return max(int(version), 0)


def confine_writes(writable: tuple[str, ...]) -> str:
    """Allow writes only beneath `writable`, for this process and all it starts. Returns how
    writes are confined, for the record ("" when the kernel cannot: nothing was changed)."""
    abi = abi_version()
    if not writable or abi < 1:
        return ""
    handled = WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE
    handled |= REFER if abi >= 2 else 0
    handled |= TRUNCATE if abi >= 3 else 0
    libc = ctypes.CDLL(None, use_errno=True)
    attr = ctypes.create_string_buffer(struct.pack("=Q", handled))
    ruleset = libc.syscall(CREATE_RULESET, attr, ctypes.c_size_t(len(attr.raw)), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    try:
        for path in writable:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC | os.O_DIRECTORY)
            try:
                rule = ctypes.create_string_buffer(struct.pack("=Qi", handled, fd))
                if libc.syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, rule, 0) < 0:
                    raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
            finally:
                os.close(fd)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        if libc.syscall(RESTRICT_SELF, ruleset, 0) < 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    finally:
        os.close(ruleset)
    return f"Landlock ABI {abi}: writes only beneath {', '.join(writable)}"


def works() -> bool:
    """Whether confinement works here, end to end: a fresh process confined to a new folder
    must be refused a write beside it. A kernel may have Landlock while a container's seccomp
    profile refuses one of its calls; then nothing is confined, rather than every snippet
    failing."""
    if abi_version() < 1:
        return False
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="fieldguide-landlock-") as tmp:
        inside = os.path.join(tmp, "inside")
        os.mkdir(inside)
        probe = (
            "import sys\n"
            f"sys.path.insert(0, {os.path.dirname(os.path.dirname(os.path.dirname(__file__)))!r})\n"
            "from generator.child import sandbox\n"
            f"sandbox.confine_writes(({inside!r},))\n"
            f"open({os.path.join(inside, 'allowed')!r}, 'w').close()\n"
            "try:\n"
            f"    open({os.path.join(tmp, 'refused')!r}, 'w').close()\n"
            "except PermissionError:\n"
            "    sys.exit(0)\n"
            "sys.exit(1)\n"
        )
        try:
            done = subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return False
        return done.returncode == 0
