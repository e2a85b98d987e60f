"""The site stage: real MkDocs, in this process. Strict failures become one FieldGuideError that
names the problem; a build leaves the process (directory, sys.path, logging, environment) as it
found it, so that building twice in one process works."""

from __future__ import annotations

import logging
import os
import sys
import textwrap
from pathlib import Path

import pytest

from generator.errors import FieldGuideError
from generator.site import FIX, build_site

ROOT = Path(__file__).resolve().parent.parent
# The project's own hook: it reads docs/features/ at build time.
HOOK = (ROOT / "generator" / "mkdocs_hooks.py").read_text(encoding="utf-8")


def make_site(root: Path, pages: dict[str, str], config: str = "") -> Path:
    """A small MkDocs project: mkdocs.yml (not strict itself: build_site makes it strict), the
    project's hook, and `pages` under docs/."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mkdocs.yml").write_text(
        "site_name: Test site\nsite_url: http://127.0.0.1:8000/\nstrict: false\n"
        "hooks:\n  - hooks/fieldguide.py\nexclude_docs: |\n  features/_*.md\n"
        + textwrap.dedent(config)
    )
    (root / "hooks").mkdir(exist_ok=True)
    (root / "hooks" / "fieldguide.py").write_text(HOOK)
    for name, text in pages.items():
        path = root / "docs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


GOOD = {
    "index.md": "# Home\n\n<!-- fieldguide:scoreboard -->\n\nSee [the feature](features/one.md).\n",
    "features/one.md": "# One feature\n",
    "features/_scoreboard.md": "| feature | verdict |\n| --- | --- |\n| one | inserted-by-hook |\n",
}
BROKEN_LINK = {**GOOD, "features/one.md": "# One feature\n\nA [broken link](missing.md).\n"}


def process_state() -> tuple:
    logger = logging.getLogger("mkdocs")
    return (
        os.getcwd(),
        list(sys.path),
        list(logger.handlers),
        logger.level,
        logger.propagate,
        os.environ.get("NO_MKDOCS_2_WARNING"),
    )


def test_a_good_project_builds_into_the_site_dir(tmp_path):
    root = make_site(tmp_path / "project", GOOD)
    site = tmp_path / "elsewhere" / "site"
    build_site(root, site)
    home = (site / "index.html").read_text()
    assert "inserted-by-hook" in home  # the hook ran
    assert (site / "features" / "one" / "index.html").is_file()
    assert not (site / "features" / "_scoreboard").exists()  # excluded, as configured


def test_a_strict_warning_fails_naming_the_problem(tmp_path):
    root = make_site(tmp_path, BROKEN_LINK)
    with pytest.raises(FieldGuideError) as raised:
        build_site(root, tmp_path / "site")
    message = str(raised.value)
    assert message.startswith("mkdocs build --strict failed:\n")
    assert (
        "WARNING -  Doc file 'features/one.md' contains a link 'missing.md', but the target "
        "'features/missing.md' is not found among documentation files." in message
    )
    assert "Aborted with 1 warnings in strict mode!" in message
    assert message.endswith(FIX)
    assert "Traceback" not in message


def test_warnings_count_even_when_the_mkdocs_logger_is_turned_down(tmp_path, monkeypatch):
    logger = logging.getLogger("mkdocs")
    monkeypatch.setattr(logger, "level", logging.ERROR)
    with pytest.raises(FieldGuideError, match=r"missing\.md"):
        build_site(make_site(tmp_path, BROKEN_LINK), tmp_path / "site")
    assert logger.level == logging.ERROR


def test_a_configuration_error_is_a_field_guide_error(tmp_path):
    root = make_site(tmp_path, GOOD, config="theme:\n  name: no-such-theme\n")
    with pytest.raises(FieldGuideError) as raised:
        build_site(root, tmp_path / "site")
    message = str(raised.value)
    assert "no-such-theme" in message and "Aborted with a configuration error!" in message
    assert message.endswith(FIX)


def test_a_hook_that_raises_fails_with_its_traceback_tail(tmp_path):
    root = make_site(tmp_path, GOOD)
    (root / "hooks" / "fieldguide.py").write_text(
        "def on_page_markdown(markdown, page, config, files):\n"
        "    raise RuntimeError('the hook broke on ' + page.file.src_uri)\n"
    )
    with pytest.raises(FieldGuideError) as raised:
        build_site(root, tmp_path / "site")
    message = str(raised.value)
    assert "RuntimeError: the hook broke on " in message and "fieldguide.py" in message
    assert message.endswith(FIX)


def test_building_twice_in_one_process_works_and_leaves_the_process_as_it_was(tmp_path):
    before = process_state()
    root = make_site(tmp_path / "project", GOOD)
    build_site(root, root / "site")
    (root / "docs" / "features" / "_scoreboard.md").write_text("| changed-on-disk |\n")
    build_site(root, root / "site")  # same project, same process: the hook runs again
    assert "changed-on-disk" in (root / "site" / "index.html").read_text()
    # A failure after a success, then a success again: nothing of one build leaks into the next.
    broken = make_site(tmp_path / "broken", BROKEN_LINK)
    for _ in range(2):  # the same warning twice: the second build must report it too
        with pytest.raises(FieldGuideError, match=r"missing\.md"):
            build_site(broken, broken / "site")
    build_site(root, root / "site")
    assert process_state() == before


@pytest.mark.slow
def test_the_projects_theme_and_plugins_build_twice_in_one_process(tmp_path):
    """mkdocs-material with its search plugin, as in the project's mkdocs.yml."""
    config = """\
        theme:
          name: material
          font: false
          features: [content.tabs.link, content.code.copy, navigation.sections]
        plugins:
          - search
        markdown_extensions:
          - admonition
          - toc:
              permalink: true
          - pymdownx.superfences
          - pymdownx.tabbed:
              alternate_style: true
        """
    before = process_state()
    root = make_site(tmp_path / "project", GOOD, config)
    for _ in range(2):
        build_site(root, root / "site")
        assert "inserted-by-hook" in (root / "site" / "index.html").read_text()
        assert (root / "site" / "search" / "search_index.json").is_file()
    broken = make_site(tmp_path / "broken", BROKEN_LINK, config)
    with pytest.raises(FieldGuideError, match=r"missing\.md"):
        build_site(broken, broken / "site")
    build_site(root, root / "site")
    assert process_state() == before


def test_a_template_cache_gives_the_same_site_and_sees_template_edits(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1764547200")  # the theme stamps the build date
    config = "theme:\n  name: mkdocs\n  custom_dir: overrides\n"
    root = make_site(tmp_path / "project", GOOD, config)
    overrides = root / "overrides"
    overrides.mkdir()
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}\n{% block footer %}<p>footer one</p>{% endblock %}\n'
    )
    build_site(root, tmp_path / "plain")
    cache = tmp_path / "templates"
    for _ in range(2):  # compiled and stored, then loaded from the cache
        build_site(root, tmp_path / "cached", template_cache=cache)
        assert site_files(tmp_path / "cached") == site_files(tmp_path / "plain")
    assert list(cache.rglob("*.cache"))
    (overrides / "main.html").write_text(
        '{% extends "base.html" %}\n{% block footer %}<p>footer two</p>{% endblock %}\n'
    )
    build_site(root, tmp_path / "cached", template_cache=cache)
    assert "footer two" in (tmp_path / "cached" / "index.html").read_text()


def site_files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}
