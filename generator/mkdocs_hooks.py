"""MkDocs hook: puts the generated scoreboard into the hand-written home page.

The home page (docs/index.md) is hand-written; the scoreboard is generated into
docs/features/_scoreboard.md by `fieldguide render`. A marker comment on the home page is
replaced with it at build time. (pymdownx.snippets could include it too, but it would also
expand `--8<--` lines inside untrusted snippet output, so it stays off.)
"""

from __future__ import annotations

from pathlib import Path

MARKER = "<!-- fieldguide:scoreboard -->"
MISSING = (
    '!!! warning "No results rendered yet"\n'
    "    Run `fieldguide build` to measure the snippets on this machine and fill this table.\n"
)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER not in markdown:
        return markdown
    scoreboard = Path(config["docs_dir"]) / "features" / "_scoreboard.md"
    text = scoreboard.read_text(encoding="utf-8") if scoreboard.is_file() else MISSING
    return markdown.replace(MARKER, text)
