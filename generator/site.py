"""Stage 6: the static site, built by MkDocs in this process (strict: any warning fails the build).

In-process rather than `mkdocs build` in a subprocess: that saves a Python start and a second
import of what the generator has imported already. It behaves as `mkdocs build --strict --clean
--site-dir SITE` run in the project root: MkDocs resolves every path in mkdocs.yml against the
file's folder, so the working directory is not changed. MkDocs' log records are collected
instead of printed, and a failed build raises FieldGuideError with its warnings and errors.

Given a `template_cache` folder, the theme's Jinja templates are compiled once and their
bytecode kept there (Jinja's FileSystemBytecodeCache: an entry is used only while its template's
source is unchanged), which saves about a third of a warm MkDocs build; the pages are the same
bytes. Entries are never pruned; the folder can be deleted at any time.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .errors import FieldGuideError

OUTPUT_TAIL_LINES = 40
FIX = "Fix the page or template named above, then run `fieldguide build` again."


def build_site(root: Path, site_dir: Path, *, template_cache: Path | None = None) -> None:
    """Build the site of the mkdocs.yml in `root` into `site_dir` (emptied first)."""
    config_file = Path(root).resolve() / "mkdocs.yml"
    site_dir = Path(site_dir).resolve()
    cache = Path(template_cache).resolve() if template_cache is not None else None
    records = _Records()
    with _isolated(), _collecting(records):
        try:
            _build(config_file, site_dir, cache)
        except Exception as error:
            raise FieldGuideError(_failure(error, records.lines())) from error


def _build(config_file: Path, site_dir: Path, template_cache: Path | None) -> None:
    """What `mkdocs build --strict --clean --site-dir` does (mkdocs/__main__.py, 1.6.1)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    config = load_config(str(config_file), strict=True, site_dir=str(site_dir))
    if template_cache is not None:
        _cache_templates(config.theme, template_cache)
    config.plugins.on_startup(command="build", dirty=False)
    try:
        build(config, dirty=False)
    finally:
        config.plugins.on_shutdown()


def _cache_templates(theme: Any, folder: Path) -> None:
    """Give the Jinja environments of this build's theme a bytecode cache in `folder`, in a
    subfolder per Jinja version and environment settings: compiled code depends on them, while
    Jinja checks only each template's source."""
    import jinja2

    make_env = theme.get_env

    def get_env() -> jinja2.Environment:
        env: jinja2.Environment = make_env()
        settings = (
            getattr(jinja2, "__version__", ""),
            sorted(env.extensions),
            env.autoescape,
            env.optimized,
            env.trim_blocks,
            env.lstrip_blocks,
            env.keep_trailing_newline,
            env.newline_sequence,
            env.block_start_string,
            env.block_end_string,
            env.variable_start_string,
            env.variable_end_string,
            env.comment_start_string,
            env.comment_end_string,
            env.line_statement_prefix,
            env.line_comment_prefix,
        )
        subfolder = folder / hashlib.sha256(repr(settings).encode()).hexdigest()[:16]
        subfolder.mkdir(parents=True, exist_ok=True)
        env.bytecode_cache = jinja2.FileSystemBytecodeCache(str(subfolder))
        return env

    theme.get_env = get_env


def _failure(error: Exception, logged: list[str]) -> str:
    from mkdocs.exceptions import MkDocsException

    if isinstance(error, MkDocsException):  # Abort, ConfigurationError: the log says why
        detail = [*logged, str(error)]
    else:  # a plugin, hook or template raised: its traceback says where
        detail = [*logged, *"".join(traceback.format_exception(error)).rstrip().splitlines()]
    tail = "\n".join(detail[-OUTPUT_TAIL_LINES:])
    return f"mkdocs build --strict failed:\n{tail}\n{FIX}"


class _Records(logging.Handler):
    """Keeps MkDocs' warnings and errors, to show them only when the build fails."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        """As the mkdocs command prints them ("WARNING -  ..."), repeats left out."""
        seen: dict[str, None] = {}
        for record in self.records:
            seen.setdefault(f"{record.levelname:<8}-  {record.getMessage()}", None)
        return [line for text in seen for line in text.splitlines()]


@contextlib.contextmanager
def _collecting(records: _Records) -> Iterator[None]:
    """Route the "mkdocs" logger to `records` alone for the build, then put it back. Its level
    is lowered to WARNING if it is higher: strict mode counts the warnings that reach it."""
    logger = logging.getLogger("mkdocs")
    level, propagate = logger.level, logger.propagate
    if logger.getEffectiveLevel() > logging.WARNING:
        logger.setLevel(logging.WARNING)
    logger.propagate = False
    logger.addHandler(records)
    try:
        yield
    finally:
        logger.removeHandler(records)
        logger.propagate = propagate
        logger.setLevel(level)


@contextlib.contextmanager
def _isolated() -> Iterator[None]:
    """The working directory, sys.path and the environment as they were, whatever a plugin or
    hook does; NO_MKDOCS_2_WARNING=1 during the build quiets mkdocs-material's banner."""
    cwd, path = os.getcwd(), sys.path[:]
    banner = os.environ.get("NO_MKDOCS_2_WARNING")
    os.environ["NO_MKDOCS_2_WARNING"] = "1"
    try:
        yield
    finally:
        if banner is None:
            os.environ.pop("NO_MKDOCS_2_WARNING", None)
        else:
            os.environ["NO_MKDOCS_2_WARNING"] = banner
        sys.path[:] = path
        if os.getcwd() != cwd:
            os.chdir(cwd)
