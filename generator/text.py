"""Text helpers every stage may use: numbers with units, ratios, safe Markdown, slugs, lines.

This module imports nothing of the project's, so any stage can import it without reaching
back up the pipeline.
"""

from __future__ import annotations

import ast
import difflib
import math
import re
from collections.abc import Iterable
from typing import Protocol

import yaml


class Interval(Protocol):
    """A ratio with its confidence interval (compare.Ratio is one)."""

    @property
    def value(self) -> float: ...
    @property
    def ci_low(self) -> float: ...
    @property
    def ci_high(self) -> float: ...


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    value = float(f"{value:.3g}")  # round first, so 0.000999999 s shows as 1 ms, not 1e+03 µs
    if unit == "s":
        for scale, suffix in ((1, "s"), (1e-3, "ms"), (1e-6, "µs")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value * 1e9:.3g} ns"
    if unit == "bytes":
        for scale, suffix in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {suffix}"
        return f"{value:.0f} B"
    if unit == "count":
        return f"{value:g}"
    if unit == "flag":  # a yes/no metric (model.FLAG): text imports nothing of ours
        return {1.0: "yes", 0.0: "no"}.get(value, f"{value:g} (not 0 or 1)")
    if float(value).is_integer():
        return f"{value:.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def format_ratio(ratio: Interval | None) -> str:
    if ratio is None or math.isnan(ratio.value):
        return "—"
    if ratio.ci_low == ratio.ci_high:
        return f"{ratio.value:.2f}"
    return f"{ratio.value:.2f} ({ratio.ci_low:.2f}–{ratio.ci_high:.2f})"


def fence(text: str, language: str = "text") -> str:
    """A code fence that the text cannot break out of: longer than any backtick run inside.
    Code blocks are shown verbatim and HTML-escaped by the highlighter, so untrusted snippet
    output is safe here."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    return f"{ticks}{language}\n{text.rstrip()}\n{ticks}"


def table_cell(text: object) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def link_text(text: object) -> str:
    """Text made safe for the text of one Markdown link."""
    return re.sub(r"([\\`*_\[\]<|])", r"\\\1", " ".join(str(text).split()))


def quoted(text: object) -> str:
    """Text made safe inside a double-quoted Markdown title (a content tab's, an admonition's)."""
    return link_text(text).replace('"', "&quot;")


def front_matter(values: dict[str, object]) -> str:
    """YAML front matter lines, written by the YAML serialiser (never by string formatting, so
    a quote or a backslash in a title cannot break it)."""
    return yaml.safe_dump(values, allow_unicode=True, sort_keys=False, width=1 << 30).rstrip("\n")


ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07")


def without_local_paths(text: str, places: dict[str, str]) -> str:
    """Terminal colour codes removed, and each local path in `places` (path -> its name, e.g.
    the virtualenv -> "<venv>") replaced, longest first: a message bound for a page must not
    show this machine's layout."""
    text = ANSI_ESCAPE.sub("", text)
    for path in sorted(places, key=len, reverse=True):
        if path:
            text = text.replace(path, places[path])
    return text


def slug(text: str) -> str:
    """Lowercase words joined by '-': 'Developer experience' -> 'developer-experience'."""
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def one_line(text: str) -> str:
    """Runs of whitespace, newlines included, as single spaces."""
    return " ".join(text.split())


def first_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[0] if lines else ""


def last_line(message: str) -> str:
    lines = message.strip().splitlines()
    return lines[-1] if lines else ""


def did_you_mean(value: object, choices: Iterable[object]) -> str:
    """ "Did you mean 'x'?" for the closest choice, or "" when none is close."""
    close = difflib.get_close_matches(str(value), [str(c) for c in choices], n=1)
    return f"Did you mean '{close[0]}'?" if close else ""


PLUMBING = "# plumbing"  # ends a line whose statement is the harness's business, not the API's


def statements(source: str) -> int:
    """Statements a reader would write: every statement node of the module, without imports at
    the top, docstrings, the `if __name__ == "__main__":` block and statements whose line ends
    with `# plumbing` (device placement, copying the shared weights into a layout). Unlike a
    line count, it does not depend on how a formatter wraps the code."""
    tree = ast.parse(source)
    lines = source.splitlines()
    count = 0
    for top in tree.body:
        if isinstance(top, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(top, ast.If) and "__main__" in ast.unparse(top.test):
            continue
        for node in ast.walk(top):
            if not isinstance(node, ast.stmt) or _is_docstring(node):
                continue
            if lines[node.lineno - 1].rstrip().endswith(PLUMBING):
                continue
            count += 1
    return count


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
