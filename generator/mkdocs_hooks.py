"""MkDocs hooks: generated Markdown put into hand-written pages at marker comments, and the
edition named in every page of a published edition.

The home page (docs/index.md) and the questionnaire page (docs/choose.md) are hand-written;
the scoreboard and the questionnaire are generated into docs/features/ by `fieldguide render`.
Each marker comment is replaced with its generated file at build time. (pymdownx.snippets could
include them too, but it would also expand `--8<--` lines inside untrusted snippet output, so
it stays off.)
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any

MARKER = "<!-- fieldguide:scoreboard -->"
MISSING = (
    '!!! warning "No results rendered yet"\n'
    "    Run `fieldguide build` to measure the snippets on this machine and fill this table.\n"
)
# marker -> (generated file under docs/features/, what to show when it is missing)
INSERTS = {
    MARKER: ("_scoreboard.md", MISSING),
    "<!-- fieldguide:questionnaire -->": (
        "_questionnaire.md",
        '!!! warning "The questionnaire has not been generated yet"\n'
        "    Run `fieldguide render` (or `fieldguide build`) to generate it from "
        "docs/questionnaire.yml.\n",
    ),
}


def on_post_page(output: str, page: Any, config: Any) -> str:
    """In an edition built by mike (MIKE_DOCS_VERSION set), name the edition in a meta tag:
    the questionnaire's share links carry it, so a link opened in another edition says so."""
    edition = os.environ.get("MIKE_DOCS_VERSION")
    if not edition:
        return output
    meta = f'<meta name="fieldguide-edition" content="{html.escape(edition)}">'
    return output.replace("</head>", meta + "\n</head>", 1)


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    for marker, (name, missing) in INSERTS.items():
        if marker not in markdown:
            continue
        generated = Path(config["docs_dir"]) / "features" / name
        text = generated.read_text(encoding="utf-8") if generated.is_file() else missing
        markdown = markdown.replace(marker, text)
    return markdown
