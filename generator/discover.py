"""Stage 1: find the features under snippets/ and validate them, reporting every problem at once.

Validation reads files and parses Python with `ast`; it never imports a snippet, so it is fast
and safe to run before anything executes.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .errors import FieldGuideError, Problem, ValidationError
from .model import (
    FRAMEWORK_MODULES,
    FRAMEWORKS,
    QUANTITIES,
    SECTIONS,
    Claim,
    Feature,
    Metric,
    Tolerance,
    Work,
    snippet_file,
)

ID_PATTERN = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Key:
    """One allowed key of feature.yml: whether it is required and how to check its value."""

    required: bool
    expected: str
    check: Callable[[Any], bool]


def _text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _identifier(value: Any) -> bool:
    return isinstance(value, str) and bool(ID_PATTERN.match(value))


def _word_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(_identifier(v) for v in value)


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


FEATURE_KEYS: dict[str, Key] = {
    "id": Key(True, "the folder name (lowercase words joined by '-')", _identifier),
    "title": Key(True, "a non-empty title", _text),
    "section": Key(True, "one of " + ", ".join(SECTIONS), lambda v: v in SECTIONS),
    "summary": Key(True, "a one-paragraph summary", _text),
    "timed": Key(True, "one sentence on what one timed run() call does", _text),
    "comparison": Key(True, "a mapping with rtol/atol, or with none: <reason>", lambda v: True),
    "claims": Key(True, "a list of claims (text, quantity, expect)", lambda v: True),
    "tags": Key(True, "a non-empty list of lowercase words", _word_list),
    "metrics": Key(False, "a list of metrics (id, label, unit, better)", lambda v: True),
    "unsupported": Key(
        False,
        "a mapping of framework (pytorch/tensorflow) to the reason it cannot do this",
        lambda v: isinstance(v, dict) and all(k in FRAMEWORKS and _text(r) for k, r in v.items()),
    ),
    "measure": Key(False, "'steady' (default) or 'once'", lambda v: v in ("steady", "once")),
    "timeout_s": Key(False, "a positive number of seconds", lambda v: _number(v) and v > 0),
    "work": Key(
        False,
        "a mapping with flops and bytes, both positive numbers per run() call (YAML reads "
        "4.0e6 as text: write 4.0e+6 or 4000000)",
        lambda v: (
            isinstance(v, dict)
            and set(v) == {"flops", "bytes"}
            and all(_number(x) and x > 0 for x in v.values())
        ),
    ),
}
CLAIM_KEYS = ("text", "quantity", "expect", "source")
METRIC_KEYS = ("id", "label", "unit", "better")
TOLERANCE_KEYS = ("rtol", "atol", "none")


def discover(snippets_dir: Path, only: list[str] | None = None) -> list[Feature]:
    """All valid features, sorted by id; raises ValidationError listing every problem found."""
    if not snippets_dir.is_dir():
        raise FieldGuideError(
            f"{snippets_dir}: no snippets folder. Run fieldguide from the project root "
            "(the folder holding mkdocs.yml and snippets/)."
        )
    folders = sorted(
        p for p in snippets_dir.iterdir() if p.is_dir() and not p.name.startswith(("_", "."))
    )
    known = [p.name for p in folders]
    if only:
        unknown = [name for name in only if name not in known]
        if unknown:
            raise FieldGuideError(_unknown_features_message(unknown, known))
        folders = [p for p in folders if p.name in only]
    problems: list[Problem] = []
    features = []
    for folder in folders:
        feature = load_feature(folder, problems)
        if feature is not None:
            features.append(feature)
    if problems:
        raise ValidationError(problems)
    return features


def _unknown_features_message(unknown: list[str], known: list[str]) -> str:
    lines = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        lines.append(f"No feature '{name}' under snippets/.{hint}")
    lines.append("Known features: " + (", ".join(known) or "none") + ".")
    return "\n".join(lines)


def load_feature(folder: Path, problems: list[Problem]) -> Feature | None:
    """Parse and validate one feature folder, appending problems; None when it is unusable."""
    path = folder / "feature.yml"
    where = _display(path)
    if not path.is_file():
        problems.append(
            Problem(
                where,
                "(file)",
                "a feature.yml file",
                "no such file",
                "Copy snippets/_template/feature.yml and fill it in.",
            )
        )
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else "unknown position"
        problems.append(
            Problem(
                where, "(file)", "valid YAML", f"a syntax error at {at}", "Fix the YAML syntax."
            )
        )
        return None
    if not isinstance(data, dict):
        problems.append(Problem(where, "(file)", "a mapping of keys", type(data).__name__))
        return None

    before = len(problems)
    _check_keys(data, FEATURE_KEYS, where, "", problems)
    if "id" in data and data["id"] != folder.name:
        problems.append(
            Problem(
                where,
                "id",
                f"'{folder.name}' (the folder name)",
                f"'{data['id']}'",
                "Rename the folder or fix the id.",
            )
        )
    metrics = _metrics(data.get("metrics", []), where, problems)
    comparison = _tolerance(data.get("comparison"), where, problems)
    claims = _claims(data.get("claims"), {m.id for m in metrics}, where, problems)
    unsupported = data.get("unsupported") or {}
    if isinstance(unsupported, dict):
        _check_sources(folder, unsupported, where, problems)
    if len(problems) > before:
        return None
    return Feature(
        id=data["id"],
        title=data["title"].strip(),
        section=data["section"],
        summary=" ".join(data["summary"].split()),
        timed=" ".join(data["timed"].split()),
        comparison=comparison,
        claims=tuple(claims),
        tags=tuple(data["tags"]),
        directory=folder,
        metrics=tuple(metrics),
        unsupported=dict(unsupported),
        measure=data.get("measure", "steady"),
        timeout_s=float(data.get("timeout_s", 900.0)),
        work=Work(float(data["work"]["flops"]), float(data["work"]["bytes"]))
        if "work" in data
        else None,
    )


def _check_keys(
    data: dict, keys: dict[str, Key], where: str, prefix: str, problems: list[Problem]
) -> None:
    for name in data:
        if name not in keys:
            close = difflib.get_close_matches(str(name), list(keys), n=1)
            hint = f"Did you mean '{close[0]}'?" if close else "Remove it."
            problems.append(
                Problem(
                    where,
                    prefix + str(name),
                    "one of the known keys (" + ", ".join(keys) + ")",
                    "an unknown key",
                    hint,
                )
            )
    for name, key in keys.items():
        if name not in data:
            if key.required:
                problems.append(
                    Problem(where, prefix + name, key.expected, "nothing", "Add the key.")
                )
        elif not key.check(data[name]):
            problems.append(Problem(where, prefix + name, key.expected, repr(data[name])))


def _tolerance(value: Any, where: str, problems: list[Problem]) -> Tolerance:
    if not isinstance(value, dict):
        if value is not None:
            problems.append(
                Problem(
                    where,
                    "comparison",
                    "a mapping with rtol/atol, or with none: <reason>",
                    repr(value),
                )
            )
        return Tolerance()
    _check_keys(
        value,
        {k: Key(False, "", lambda v: True) for k in TOLERANCE_KEYS},
        where,
        "comparison.",
        problems,
    )
    if "none" in value:
        if not _text(value["none"]):
            problems.append(
                Problem(
                    where,
                    "comparison.none",
                    "the reason the outputs cannot be compared",
                    repr(value["none"]),
                )
            )
        return Tolerance(none_reason=str(value["none"]))
    for name in ("rtol", "atol"):
        if not _number(value.get(name)):
            problems.append(
                Problem(
                    where,
                    f"comparison.{name}",
                    "a number >= 0 (e.g. 1.0e-5)",
                    repr(value.get(name)),
                    "Or write `none: <reason>` if outputs are not comparable.",
                )
            )
    rtol, atol = (value[k] if _number(value.get(k)) else 0.0 for k in ("rtol", "atol"))
    return Tolerance(rtol=float(rtol), atol=float(atol))


def _metrics(value: Any, where: str, problems: list[Problem]) -> list[Metric]:
    if not isinstance(value, list):
        problems.append(Problem(where, "metrics", "a list", repr(value)))
        return []
    metrics = []
    for i, item in enumerate(value):
        key = f"metrics[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, key, "a mapping (id, label, unit, better)", repr(item)))
            continue
        checks = {
            "id": Key(
                True,
                "lowercase words joined by '_' or '-'",
                lambda v: isinstance(v, str) and bool(re.match(r"^[a-z0-9_-]+$", v)),
            ),
            "label": Key(True, "a label", _text),
            "unit": Key(True, "a unit (e.g. bytes, count, items/s)", _text),
            "better": Key(True, "'lower' or 'higher'", lambda v: v in ("lower", "higher")),
            "must_be_zero": Key(False, "true or false", lambda v: isinstance(v, bool)),
        }
        before = len(problems)
        _check_keys(item, checks, where, key + ".", problems)
        if item.get("id") in QUANTITIES:
            problems.append(
                Problem(
                    where,
                    key + ".id",
                    "a name other than the built-in quantities (" + ", ".join(QUANTITIES) + ")",
                    repr(item["id"]),
                )
            )
        if len(problems) == before:
            metrics.append(
                Metric(
                    item["id"],
                    item["label"],
                    item["unit"],
                    item["better"],
                    item.get("must_be_zero", False),
                )
            )
    return metrics


def _claims(value: Any, metric_ids: set[str], where: str, problems: list[Problem]) -> list[Claim]:
    if not isinstance(value, list):
        if value is not None:
            problems.append(Problem(where, "claims", "a list of claims", repr(value)))
        return []
    quantities = list(QUANTITIES) + sorted(metric_ids)
    claims = []
    for i, item in enumerate(value):
        key = f"claims[{i}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, key, "a mapping (text, quantity, expect)", repr(item)))
            continue
        checks = {
            "text": Key(True, "the claim, as people make it", _text),
            "quantity": Key(True, "one of " + ", ".join(quantities), lambda v: v in quantities),
            "expect": Key(
                True,
                "'same', 'pytorch' or 'tensorflow'",
                lambda v: v in ("same", "pytorch", "tensorflow"),
            ),
            "source": Key(
                False,
                "a URL (https://...)",
                lambda v: isinstance(v, str) and v.startswith(("https://", "http://")),
            ),
        }
        before = len(problems)
        _check_keys(item, checks, where, key + ".", problems)
        if item.get("quantity") == "output" and item.get("expect") not in (None, "same"):
            problems.append(
                Problem(
                    where, key + ".expect", "'same' for quantity 'output'", repr(item.get("expect"))
                )
            )
        if len(problems) == before:
            claims.append(
                Claim(
                    " ".join(item["text"].split()),
                    item["quantity"],
                    item["expect"],
                    item.get("source"),
                )
            )
    return claims


def _check_sources(folder: Path, unsupported: dict, where: str, problems: list[Problem]) -> None:
    """Both snippet files exist (unless declared unsupported) and follow the contract."""
    inputs = folder / "inputs.py"
    if inputs.is_file():
        _check_defines(inputs, ("make_inputs",), problems)
    for framework in FRAMEWORKS:
        path = snippet_file(folder, framework)
        if framework in unsupported:
            continue
        if not path.is_file():
            problems.append(
                Problem(
                    _display(path),
                    "(file)",
                    f"a {framework} snippet",
                    "no such file",
                    f"Write it, or declare `unsupported: "
                    f"{{{framework}: <reason>}}` in feature.yml.",
                )
            )
            continue
        tree = _check_defines(path, ("setup", "run"), problems)
        if tree is not None:
            other = next(f for f in FRAMEWORKS if f != framework)
            if FRAMEWORK_MODULES[other] in _imported_modules(tree):
                problems.append(
                    Problem(
                        _display(path),
                        "import",
                        f"only {framework} imports",
                        f"an import of {FRAMEWORK_MODULES[other]}",
                        "One framework per snippet: never import both.",
                    )
                )


def _check_defines(
    path: Path, names: tuple[str, ...], problems: list[Problem]
) -> ast.Module | None:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as exc:
        problems.append(
            Problem(
                _display(path),
                "(file)",
                "valid Python",
                f"a syntax error at line {exc.lineno}: {exc.msg}",
            )
        )
        return None
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    for name in names:
        if name not in defined:
            problems.append(
                Problem(
                    _display(path),
                    name,
                    f"a top-level function `{name}`",
                    "none",
                    "See CONTRIBUTING.md, 'The snippet contract'.",
                )
            )
    return tree


def _imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def local_imports(path: Path, snippets_dir: Path) -> list[Path]:
    """The project files a snippet imports (its feature's helpers and snippets/_shared),
    so that editing one of them invalidates the cached result."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = [path.parent, snippets_dir / "_shared"]
    found = []
    for module in sorted(_imported_modules(tree)):
        for root in roots:
            candidate = root / f"{module}.py"
            if candidate.is_file() and candidate != path:
                found.append(candidate)
    return found


def _display(path: Path) -> str:
    """Paths in messages are relative to the project when possible."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
