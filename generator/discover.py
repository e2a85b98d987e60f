"""Stage 1: find the features under snippets/ and validate them, reporting every problem at once.

Validation reads files and parses Python with `ast`; it never imports a snippet, so it is fast
and safe to run before anything executes. Each snippet is read here, once: later stages get its
code, its line count and the project files it imports from the Feature.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import schema
from .errors import FieldGuideError, Problem, ValidationError
from .model import (
    FRAMEWORKS,
    INSTALLED,
    QUANTITIES,
    SECTIONS,
    Claim,
    Feature,
    Metric,
    Snippet,
    Tolerance,
    Variant,
    Work,
    snippet_file,
    snippet_key,
)
from .text import did_you_mean, self_contained, statements

TOLERANCE_HINT = "Or write `none: <reason>` if outputs are not comparable."
METRIC_ID = schema.Pattern("lowercase words joined by '_' or '-'", re.compile(r"^[a-z0-9_-]+$"))


class _MetricField(schema.Mapping):
    """A metric; its id must not shadow a built-in quantity."""

    def check(self, value: Any, key: str, checker: schema.Checker) -> Any:
        values = super().check(value, key, checker)
        if values is schema.INVALID:
            return values
        if values["id"] in QUANTITIES:
            checker.problem(
                f"{key}.id",
                "a name other than the built-in quantities (" + ", ".join(QUANTITIES) + ")",
                values["id"],
            )
            return schema.INVALID
        if not schema.valid(*values.values()):
            return schema.INVALID
        return Metric(
            values["id"], values["label"], values["unit"], values["better"], values["must_be_zero"]
        )


class _ClaimField(schema.Mapping):
    """A claim; the output can only be claimed to be the same on both sides."""

    def check(self, value: Any, key: str, checker: schema.Checker) -> Any:
        values = super().check(value, key, checker)
        if values is schema.INVALID:
            return values
        if values["quantity"] == "output" and values["expect"] not in (schema.INVALID, "same"):
            checker.problem(f"{key}.expect", "'same' for quantity 'output'", values["expect"])
            return schema.INVALID
        if not schema.valid(values["text"], values["quantity"], values["expect"]):
            return schema.INVALID
        return Claim(
            values["text"],
            values["quantity"],
            values["expect"],
            values["source"],
            values["margin"],
            values["variant"],
            values["article"],
        )


class _VariantField(schema.Mapping):
    """A variant: another snippet of one framework, in with_<framework>_<id>.py."""

    def check(self, value: Any, key: str, checker: schema.Checker) -> Any:
        values = super().check(value, key, checker)
        if values is schema.INVALID or not schema.valid(*values.values()):
            return schema.INVALID
        return Variant(values["id"], values["framework"], values["label"], values["timed"])


VARIANT = _VariantField(
    {
        "id": schema.Pattern(
            "lowercase words joined by '_' (the file is with_<framework>_<id>.py)",
            re.compile(r"^[a-z0-9]+(_[a-z0-9]+)*$"),
        ),
        "framework": schema.Choice(FRAMEWORKS),
        "label": schema.Text(
            "a short label saying what this variant is (e.g. Keras Model.fit)", plain=True
        ),
        "timed": schema.Text("one sentence on what one run() call of this variant does"),
    },
    "a mapping (id, framework, label, timed)",
)
METRIC = _MetricField(
    {
        "id": METRIC_ID,
        "label": schema.Text("a label"),
        "unit": schema.Text("a unit (e.g. bytes, count, items/s)"),
        "better": schema.Choice(("lower", "higher"), "'lower' or 'higher'"),
        "must_be_zero": schema.Flag(required=False, default=False),
    },
    "a mapping (id, label, unit, better)",
)
DOC_LINK = schema.Mapping(
    {
        "label": schema.Text("the API's name, e.g. torch.func.vmap", plain=True),
        "url": schema.Link(),
    },
    "a mapping (label, url)",
)
TOLERANCE = schema.Mapping(
    {
        "rtol": schema.Number("a number >= 0 (e.g. 1.0e-5)", required=False, hint=TOLERANCE_HINT),
        "atol": schema.Number("a number >= 0 (e.g. 1.0e-5)", required=False, hint=TOLERANCE_HINT),
        "none": schema.Text("the reason the outputs cannot be compared", required=False),
    },
    "a mapping with rtol/atol, or with none: <reason>",
)
WORK = schema.Check(
    "a mapping with flops and bytes, both positive numbers per run() call (YAML reads "
    "4.0e6 as text: write 4.0e+6 or 4000000)",
    lambda v: (
        isinstance(v, dict)
        and set(v) == {"flops", "bytes"}
        and all(schema.is_number(x) and x > 0 for x in v.values())
    ),
    required=False,
)


def feature_schema(metric_ids: list[str]) -> schema.Mapping:
    """feature.yml. Claims may name the file's own metrics, so the schema depends on them."""
    quantities = list(QUANTITIES) + sorted(metric_ids)
    claim = _ClaimField(
        {
            "text": schema.Text("the claim, as people make it"),
            "quantity": schema.Choice(quantities),
            "expect": schema.Choice(
                ("same", "pytorch", "tensorflow"), "'same', 'pytorch' or 'tensorflow'"
            ),
            "source": schema.Pattern(
                "a URL (https://...)",
                re.compile(r"^https?://"),
                required=False,
            ),
            "margin": schema.Number(
                "the relative difference that still counts as the same, e.g. 0.1 for 10%",
                above=True,
                required=False,
            ),
            "variant": schema.Text(
                "the id of a variant under `variants` that stands in for its framework",
                required=False,
            ),
            "article": schema.Identifier(
                "the id of a claim on the claims page (docs/claims.yml) that this claim "
                "tests, in that claim's own direction",
                required=False,
            ),
        },
        "a mapping (text, quantity, expect)",
    )
    return schema.Mapping(
        {
            "id": schema.Identifier("the folder name (lowercase words joined by '-')"),
            "title": schema.Text("a non-empty title", plain=True),
            "section": schema.Choice(SECTIONS),
            "summary": schema.Text("a one-paragraph summary"),
            "timed": schema.Text("one sentence on what one timed run() call does"),
            "comparison": TOLERANCE,
            "claims": schema.ListOf(claim, "a list of claims (text, quantity, expect)"),
            "metrics": schema.ListOf(
                METRIC, "a list of metrics (id, label, unit, better)", required=False, default=[]
            ),
            "unsupported": schema.Check(
                "a mapping of framework (pytorch/tensorflow) to the reason it cannot do this",
                lambda v: (
                    isinstance(v, dict)
                    and all(
                        k in FRAMEWORKS and isinstance(r, str) and r.strip() for k, r in v.items()
                    )
                ),
                required=False,
                default={},
            ),
            "measure": schema.Choice(
                ("steady", "once"), "'steady' (default) or 'once'", required=False, default="steady"
            ),
            "timeout_s": schema.Number(
                "a positive number of seconds", above=True, required=False, default=None
            ),
            "memory_limit_mib": schema.Number(
                "a positive number of MiB", above=True, required=False, default=8192.0
            ),
            "work": WORK,
            "variants": schema.ListOf(
                VARIANT,
                "a list of variants (id, framework, label, timed)",
                required=False,
                default=[],
            ),
            "limits": schema.ListOf(
                schema.Text("one sentence on what the comparison does not show"),
                "a list of sentences on what the comparison does not show",
                required=False,
                default=[],
            ),
            "matters": schema.Text(
                "a short paragraph: when this matters to a reader choosing a framework",
                required=False,
            ),
            "pitfalls": schema.ListOf(
                schema.Text("one sentence on a pitfall met while writing the pair"),
                "a list of sentences on the pitfalls met while writing the pair",
                required=False,
                default=[],
            ),
            "docs": schema.ListOf(
                DOC_LINK,
                "a list of links to the official documentation (label, url)",
                required=False,
                default=[],
            ),
        },
        "a mapping of keys",
    )


def discover(snippets_dir: Path, only: list[str] | None = None) -> list[Feature]:
    """All valid features, sorted by id; raises ValidationError listing every problem found."""
    found = discover_all(snippets_dir, only)
    if found.problems:
        raise ValidationError(list(found.problems))
    return found.features


@dataclass(frozen=True)
class Discovered:
    """The features that are valid, and the folders that are not (with their problems): what
    publishing uses, so that one broken feature.yml marks its feature, not the whole site."""

    features: list[Feature]
    invalid: tuple[str, ...] = ()  # feature ids (their folder names)
    problems: tuple[Problem, ...] = ()


def discover_all(snippets_dir: Path, only: list[str] | None = None) -> Discovered:
    """Every feature folder: the valid ones, and the invalid ones with every problem found."""
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
    features, invalid = [], []
    for folder in folders:
        before = len(problems)
        feature = load_feature(folder, snippets_dir, problems)
        if feature is not None and len(problems) == before:
            features.append(feature)
        else:
            invalid.append(folder.name)
    return Discovered(features, tuple(invalid), tuple(problems))


def _unknown_features_message(unknown: list[str], known: list[str]) -> str:
    lines = []
    for name in unknown:
        hint = did_you_mean(name, known)
        lines.append(f"No feature '{name}' under snippets/." + (f" {hint}" if hint else ""))
    lines.append("Known features: " + (", ".join(known) or "none") + ".")
    return "\n".join(lines)


def load_feature(folder: Path, snippets_dir: Path, problems: list[Problem]) -> Feature | None:
    """Parse and validate one feature folder, appending problems; None when it is unusable."""
    path = folder / "feature.yml"
    checker = schema.Checker(_display(path))
    try:
        if not path.is_file():
            checker.problem(
                "(file)",
                "a feature.yml file",
                schema.Said("no such file"),
                "Copy snippets/_template/feature.yml and fill it in.",
            )
            return None
        data = schema.read_yaml(path, checker)
        if data is schema.INVALID:
            return None
        if not isinstance(data, dict):
            checker.problem("(file)", "a mapping of keys", schema.Said(type(data).__name__))
            return None
        return _feature(folder, snippets_dir, data, checker)
    finally:
        problems.extend(checker.problems)


def _feature(
    folder: Path, snippets_dir: Path, data: dict[str, Any], checker: schema.Checker
) -> Feature | None:
    raw_metrics = data.get("metrics")
    metric_ids = [
        str(m["id"])
        for m in (raw_metrics if isinstance(raw_metrics, list) else [])
        if isinstance(m, dict) and isinstance(m.get("id"), str)
    ]
    values = feature_schema(metric_ids).check(data, "", checker)
    if values["id"] not in (schema.INVALID, folder.name):
        checker.problem(
            "id",
            f"'{folder.name}' (the folder name)",
            values["id"],
            "Rename the folder or fix the id.",
        )
    comparison = _tolerance(values["comparison"], checker)
    unsupported = values["unsupported"] if isinstance(values["unsupported"], dict) else {}
    variants = _variants(values["variants"], unsupported, checker)
    ids = [v.id for v in variants]
    for index, claim in enumerate(values["claims"] if isinstance(values["claims"], list) else []):
        if isinstance(claim, Claim) and claim.variant is not None and claim.variant not in ids:
            checker.problem(
                f"claims[{index}].variant",
                "one of the ids under `variants` (" + (", ".join(ids) or "none declared") + ")",
                claim.variant,
            )
    snippets = _snippets(folder, snippets_dir, unsupported, variants, checker)
    if checker.problems:
        return None
    work = values["work"]
    return Feature(
        id=values["id"],
        title=values["title"],
        section=values["section"],
        summary=values["summary"],
        timed=values["timed"],
        comparison=comparison,
        claims=tuple(values["claims"]),
        directory=folder,
        metrics=tuple(values["metrics"]),
        unsupported={k: str(v) for k, v in unsupported.items()},
        measure=values["measure"],
        timeout_s=None if values["timeout_s"] is None else float(values["timeout_s"]),
        memory_limit_mib=float(values["memory_limit_mib"]),
        work=Work(float(work["flops"]), float(work["bytes"])) if work else None,
        snippets=snippets,
        limits=tuple(values["limits"]),
        variants=variants,
        matters=values["matters"],
        pitfalls=tuple(values["pitfalls"]),
        docs=tuple((d["label"], d["url"]) for d in values["docs"]),
    )


def _variants(
    values: Any, unsupported: dict[str, Any], checker: schema.Checker
) -> tuple[Variant, ...]:
    """Valid variants: unique per framework, and not of a framework declared unsupported."""
    found: list[Variant] = []
    for index, variant in enumerate(values if isinstance(values, list) else []):
        if not isinstance(variant, Variant):
            continue
        if variant.framework in unsupported:
            checker.problem(
                f"variants[{index}].framework",
                "a framework not declared unsupported",
                variant.framework,
                "Remove the variant or the `unsupported` entry.",
            )
        elif any(v.id == variant.id for v in found):
            checker.problem(f"variants[{index}].id", "an id no other variant has", variant.id)
        else:
            found.append(variant)
    return tuple(found)


def _tolerance(values: Any, checker: schema.Checker) -> Tolerance:
    if not isinstance(values, dict):
        return Tolerance()
    if values["none"] is schema.INVALID:  # reported by the schema
        return Tolerance()
    if values["none"] is not None:
        return Tolerance(none_reason=values["none"])
    for name in ("rtol", "atol"):
        if values[name] is None:  # absent: reported here, since `none` would do instead
            checker.problem(
                f"comparison.{name}", "a number >= 0 (e.g. 1.0e-5)", None, TOLERANCE_HINT
            )
    rtol, atol = (v if isinstance(v, float) else 0.0 for v in (values["rtol"], values["atol"]))
    return Tolerance(rtol=rtol, atol=atol)


def _snippets(
    folder: Path,
    snippets_dir: Path,
    unsupported: dict[str, Any],
    variants: tuple[Variant, ...],
    checker: schema.Checker,
) -> dict[str, Snippet]:
    """Both snippet files exist (unless declared unsupported), so does each variant's, and all
    follow the contract."""
    inputs = folder / "inputs.py"
    if inputs.is_file():
        _parse(inputs, ("make_inputs",), checker.problems)
    sides = [(fw, "") for fw in FRAMEWORKS if fw not in unsupported]
    snippets = {}
    for framework, variant in sides + [(v.framework, v.id) for v in variants]:
        key = snippet_key(framework, variant)
        path = snippet_file(folder, key)
        if not path.is_file():
            fix = (
                f"Write it, or remove variant '{variant}' from feature.yml."
                if variant
                else f"Write it, or declare `unsupported: {{{framework}: <reason>}}` in "
                "feature.yml."
            )
            checker.problems.append(
                Problem(_display(path), "(file)", f"a {framework} snippet", "no such file", fix)
            )
            continue
        parsed = _parse(path, ("setup", "run"), checker.problems)
        if parsed is None:
            continue
        code, tree = parsed
        other = INSTALLED[next(f for f in FRAMEWORKS if f != framework)].module
        imported = imported_modules(tree)
        if other in imported:
            checker.problems.append(
                Problem(
                    _display(path),
                    "import",
                    f"only {framework} imports",
                    f"an import of {other}",
                    "One framework per snippet: never import both.",
                )
            )
        helpers = _local_imports(path, imported, snippets_dir)
        standalone = (
            None  # it imports another snippet (a variant building on its headline)
            if any(m.startswith("with_") for m in imported)
            else self_contained(code, _helper_sources(path, snippets_dir))
        )
        snippet = Snippet(framework, path, code, statements(code), helpers, variant, standalone)
        snippets[snippet.key] = snippet
    return snippets


def _parse(
    path: Path, names: tuple[str, ...], problems: list[Problem]
) -> tuple[str, ast.Module] | None:
    code = path.read_text(encoding="utf-8")
    try:
        tree = ast.parse(code, filename=str(path))
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
    return code, tree


def imported_modules(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def _local_imports(path: Path, imported: set[str], snippets_dir: Path) -> tuple[Path, ...]:
    """The project files a snippet imports (its feature's helpers and snippets/_shared),
    so that editing one of them invalidates the cached result."""
    roots = [path.parent, snippets_dir / "_shared"]
    found = []
    for module in sorted(imported):
        for root in roots:
            candidate = root / f"{module}.py"
            if candidate.is_file() and candidate != path:
                found.append(candidate)
    return tuple(found)


def _helper_sources(path: Path, snippets_dir: Path) -> dict[str, str]:
    """Module name -> source of every project module a snippet may import: its feature's helper
    files and snippets/_shared. Snippet files (with_*.py) are not helpers: a variant that
    imports its headline snippet is not made self-contained."""
    roots = [snippets_dir / "_shared", path.parent]  # the feature's own file wins a name clash
    return {
        p.stem: p.read_text(encoding="utf-8")
        for root in roots
        if root.is_dir()
        for p in sorted(root.glob("*.py"))
        if not p.name.startswith("with_")
    }


def _display(path: Path) -> str:
    """Paths in messages are relative to the project when possible."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
