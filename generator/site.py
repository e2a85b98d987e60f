"""Stage 6: the static site, built by MkDocs (strict: any warning fails the build)."""

from __future__ import annotations

import os
import subprocess
import sys

from .errors import FieldGuideError
from .model import Project

OUTPUT_TAIL_LINES = 40


def build_site(project: Project) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}  # quiets mkdocs-material's banner
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--clean",
            "--site-dir",
            str(project.site),
        ],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-OUTPUT_TAIL_LINES:])
        raise FieldGuideError(
            f"mkdocs build --strict failed (exit {proc.returncode}):\n{tail}\n"
            "Fix the page or template named above, then run `fieldguide build` again."
        )
