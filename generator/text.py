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
        if _is_main_block(top):
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


def self_contained(code: str, helpers: dict[str, str]) -> str | None:
    """`code` with the project modules it imports (`helpers`: module name -> source, their own
    helpers included) inlined above it, so that one file runs anywhere the framework is
    installed; None when that cannot be done faithfully (a helper imported as a module, `import
    x`, whose names would then collide, or a result that does not parse)."""

    def imports_of(tree: ast.Module) -> list[ast.ImportFrom | ast.Import]:
        found: list[ast.ImportFrom | ast.Import] = []
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                if node.module in helpers and not node.level:
                    found.append(node)
            elif isinstance(node, ast.Import) and any(a.name in helpers for a in node.names):
                found.append(node)
        return found

    def without(source: str, tree: ast.Module, drop_main: bool) -> tuple[str, list[str]]:
        """The source without its helper imports and __future__ imports (and, for a helper, its
        `if __name__ == "__main__":` block); the __future__ lines it had."""
        cut: set[int] = set()
        future: list[str] = []
        lines = source.splitlines()
        nodes: list[ast.stmt] = list(imports_of(tree))
        for node in tree.body:
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                future.append(ast.get_source_segment(source, node) or "")
                nodes.append(node)
            elif drop_main and _is_main_block(node):
                nodes.append(node)
        for node in nodes:
            cut.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        kept: list[str] = []
        for number, line in enumerate(lines, 1):
            after_cut_block = kept and kept[-1].rstrip().endswith(":") and number - 1 in cut
            if number not in cut and not (after_cut_block and not line.strip()):
                kept.append(line)
        return "\n".join(kept).strip("\n"), future

    order: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> bool:
        if name in order:
            return True
        if name in seen:  # an import cycle: leave it to Python, not to inlining
            return False
        tree = ast.parse(helpers[name])
        for node in imports_of(tree):
            if isinstance(node, ast.Import):
                return False
            if not visit(str(node.module), (*seen, name)):
                return False
        order.append(name)
        return True

    try:
        tree = ast.parse(code)
        direct = imports_of(tree)
        if not all(isinstance(n, ast.ImportFrom) and visit(str(n.module), ()) for n in direct):
            return None
        futures: list[str] = []
        parts = []
        for name in order:
            body, future = without(helpers[name], ast.parse(helpers[name]), drop_main=True)
            futures += future
            parts.append(f"# --- {name}.py, a project file it imports, inlined ---\n{body}")
        body, future = without(code, tree, drop_main=False)
        futures += future
        parts.append(f"# --- the snippet ---\n{body}")
        joined = "\n\n\n".join([*dict.fromkeys(futures), *parts]) + "\n"
        ast.parse(joined)
    except SyntaxError:
        return None
    return joined


def _is_main_block(node: ast.stmt) -> bool:
    """`if __name__ == "__main__":` (the block a snippet runs from the command line)."""
    return isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
