"""Stage 5: results -> Markdown pages and SVG charts under docs/features/ (git-ignored).

Everything is read and every page computed before the first file is written. Files are written
only when their bytes change, and generated files that no longer belong are removed, so
rendering the same inputs twice leaves the tree byte-identical (and untouched).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from . import charts, compare, peaks, questionnaire, store
from .environment import current_machine
from .model import FRAMEWORK_LABELS, FRAMEWORKS, QUANTITIES, Feature, Project, RunResult

SCOREBOARD = "_scoreboard.md"
# The instruction sets named in a page's stamp (the full list is in the result files).
STAMP_ISA = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "asimd", "sve")
SCOREBOARD_QUANTITIES = ("steady", "first_call", "import", "peak_rss", "loc")


@dataclass(frozen=True)
class Side:
    """One framework's tab on a feature page."""

    framework: str
    label: str
    code: str
    result: RunResult | None
    last_ok: RunResult | None  # shown, marked stale, when the latest run failed
    returned: str  # the first call's return value, printed
    loc: int | None
    marks: tuple[str, ...] = ()  # why its numbers deserve less trust (noise, busy machine)
    compilation: compare.Compilation | None = None  # when the snippet has an eager baseline
    roofline: compare.Roofline | None = None  # when the feature declares its work


@dataclass(frozen=True)
class Row:
    """One line of a numbers table: a quantity for both frameworks and their ratio."""

    quantity: str
    label: str
    unit: str
    better: str
    pytorch: compare.Summary | None
    tensorflow: compare.Summary | None
    ratio: compare.Ratio | None


@dataclass(frozen=True)
class ClaimCheck:
    text: str
    source: str | None
    verdict: str  # "supported", "contradicted", "not measured", ...
    evidence: str


@dataclass(frozen=True)
class FeaturePage:
    feature: Feature
    path: str  # relative to docs/features/
    sides: tuple[Side, ...]
    rows: tuple[Row, ...]
    equivalence: compare.Equivalence
    claims: tuple[ClaimCheck, ...]
    chart: str | None  # file name of the SVG beside the page
    chart_alt: str
    stamp: str


def render(project: Project, machine_id: str | None = None, device: str = "cpu") -> list[Path]:
    """Render every page for one machine's results on one device. Returns the files that
    changed. `machine_id` may also name a results folder directly (e.g. <id>-cuda)."""
    from .discover import discover

    features = discover(project.snippets)
    results = store.Store(
        project.results, machine_id or store.results_key(current_machine().machine_id, device)
    )
    pages = [_feature_page(f, results) for f in features]  # all reading happens here
    hardware = _hardware_page(pages, results)
    files = _render_files(pages, hardware)
    files.update(questionnaire.render_files(project, features, results, _environment()))
    return _sync(project.generated, files)


@dataclass(frozen=True)
class RooflinePoint:
    title: str
    link: str  # relative to docs/features/
    framework: str
    roofline: compare.Roofline


@dataclass(frozen=True)
class HardwarePage:
    machine_id: str
    record: dict | None  # the latest peak suite, or None before any default-mode run
    points: tuple[RooflinePoint, ...]


def _hardware_page(pages: list[FeaturePage], results: store.Store) -> HardwarePage:
    points = tuple(
        RooflinePoint(page.feature.title, page.path, side.framework, side.roofline)
        for page in pages
        for side in page.sides
        if side.roofline
    )
    return HardwarePage(results.machine_id, results.load_peaks(), points)


def _feature_page(feature: Feature, results: store.Store) -> FeaturePage:
    loaded = {fw: results.load(feature.id, fw) for fw in FRAMEWORKS}
    failed = {fw for fw, r in loaded.items() if r is not None and not r.ok}
    last_ok = {
        fw: results.load_last_ok(feature.id, fw) if fw in failed else None for fw in FRAMEWORKS
    }
    shown = {fw: last_ok[fw] if fw in failed else loaded[fw] for fw in FRAMEWORKS}
    sides = tuple(_side(feature, fw, loaded[fw], last_ok[fw], results) for fw in FRAMEWORKS)
    rows = tuple(_rows(feature, shown, {s.framework: s.loc for s in sides}))
    equivalence = compare.equivalence(feature, loaded["pytorch"], loaded["tensorflow"])
    claims = tuple(_claim_check(c, rows, equivalence) for c in feature.claims)
    slug = _slug(feature.section)
    measured = [r for r in shown.values() if r is not None and r.ok]
    chart_name = (
        f"{feature.id}.svg"
        if any(r.quantity == "steady" and (r.pytorch or r.tensorflow) for r in rows)
        else None
    )
    return FeaturePage(
        feature=feature,
        path=f"{slug}/{feature.id}.md",
        sides=sides,
        rows=rows,
        equivalence=equivalence,
        claims=claims,
        chart=chart_name,
        chart_alt=charts.alt_text(feature, rows),
        stamp=_stamp(measured),
    )


def _side(
    feature: Feature,
    framework: str,
    result: RunResult | None,
    last_ok: RunResult | None,
    results: store.Store,
) -> Side:
    path = feature.snippet_path(framework)
    code = path.read_text(encoding="utf-8") if path.is_file() else ""
    source = result if result and result.ok else last_ok
    returned = _format_output(compare.decode_output(source.output)) if source else ""
    marks = tuple(compare.noise_marks(source)) if source else ()
    if source and source.protocol.mode == "quick":
        marks += ("quick mode: one process and few samples, not for publishing",)
    for metric, value in compare.nonzero_required(feature, source) if source else ():
        marks += (f"invalid steady state: {metric.label.lower()} = {value:g} (must be 0)",)
    # Only the peaks of the result's own run: quick runs and older results have none.
    run_id = source.runtime.get("run_id") if source else None
    run_peaks = results.load_peaks(run_id) if run_id else None
    roof = compare.roofline(feature, source, run_peaks) if source else None
    if run_peaks and framework in run_peaks["frameworks"]:
        change = run_peaks["frameworks"][framework]["drift"]
        if run_peaks["frameworks"][framework]["degraded"]:
            drifted = f"{change:.0%}" if change is not None else "an unknown amount"
            marks += (f"degraded run: the machine's peaks changed by {drifted} during it",)
    return Side(
        framework,
        FRAMEWORK_LABELS[framework],
        code,
        result,
        last_ok,
        returned,
        logical_lines(code) if code else None,
        marks,
        compare.compilation(source) if source else None,
        roof,
    )


def _rows(
    feature: Feature, shown: dict[str, RunResult | None], loc: dict[str, int | None]
) -> list[Row]:
    rows = []
    quantities = [q for q in QUANTITIES if q not in ("output", "loc")]
    if feature.measure == "once":
        quantities.remove("steady")
    # Only snippets that start worker processes (e.g. data-parallel training) get this row.
    if any(p.children_peak_rss_bytes for r in shown.values() if r for p in r.processes):
        quantities.append("children_peak_rss")
    for quantity in quantities + [m.id for m in feature.metrics]:
        groups = {fw: compare.per_process(r, quantity) if r else [] for fw, r in shown.items()}
        metric = feature.metric(quantity)
        label, unit = compare.QUANTITY_LABELS.get(quantity, ("", ""))
        if metric:
            label, unit = metric.label, metric.unit
        rows.append(
            Row(
                quantity,
                label,
                unit,
                metric.better if metric else "lower",
                compare.summarize(groups["pytorch"]),
                compare.summarize(groups["tensorflow"]),
                compare.ratio(groups["pytorch"], groups["tensorflow"]),
            )
        )
    if loc["pytorch"] and loc["tensorflow"]:
        ratio = loc["pytorch"] / loc["tensorflow"]
        verdict = (
            "same"
            if loc["pytorch"] == loc["tensorflow"]
            else ("pytorch" if ratio < 1 else "tensorflow")
        )
        rows.append(
            Row(
                "loc",
                "Lines of code (logical, without imports)",
                "lines",
                "lower",
                _exact(loc["pytorch"]),
                _exact(loc["tensorflow"]),
                compare.Ratio(ratio, ratio, ratio, verdict),
            )
        )
    return rows


def _exact(value: float) -> compare.Summary:
    return compare.Summary(value, value, value, value, value, value, 1, 0)


def _claim_check(claim, rows: tuple[Row, ...], equivalence: compare.Equivalence) -> ClaimCheck:
    if claim.quantity == "output":
        verdict = {"match": "supported", "mismatch": "contradicted"}.get(
            equivalence.verdict, "not measured"
        )
        return ClaimCheck(claim.text, claim.source, verdict, equivalence.detail)
    row = next((r for r in rows if r.quantity == claim.quantity), None)
    if row is None or row.ratio is None:
        return ClaimCheck(
            claim.text,
            claim.source,
            "not measured",
            "Both frameworks must have a result for this quantity.",
        )
    observed = row.ratio.verdict  # the side that is lower, "same" or "unknown"
    if observed == "unknown":
        verdict = "not enough samples"
    elif claim.expect == "same":
        verdict = "supported" if observed == "same" else "contradicted"
    elif observed == "same":
        verdict = "no measurable difference"
    else:
        verdict = "supported" if observed == claim.expect else "contradicted"
    evidence = (
        f"{row.label}: PyTorch/TensorFlow = {row.ratio.value:.2f} "
        f"(95% CI {row.ratio.ci_low:.2f}–{row.ratio.ci_high:.2f})."
    )
    return ClaimCheck(claim.text, claim.source, verdict, evidence)


def _stamp(results: list[RunResult]) -> str:
    if not results:
        return "Not measured yet on this machine."
    first = results[0]
    m = first.machine
    isa = (
        ", ".join(f.upper().replace("_", "-") for f in m["isa_flags"] if f in STAMP_ISA)
        or "no SIMD flags read"
    )
    gpus = "; GPU: " + ", ".join(g["name"] for g in m["gpus"]) if m["gpus"] else ""
    latest = {r.framework: r for r in results}  # one version per framework
    versions = "; ".join(
        f"{FRAMEWORK_LABELS[r.framework]} {r.framework_info.get('version', '?')}"
        + (f" (Keras {r.framework_info['keras']})" if r.framework_info.get("keras") else "")
        for _, r in sorted(latest.items())
    )
    p = first.protocol
    samples = f"{p.processes} process{'es' if p.processes > 1 else ''} × {p.samples} samples"
    return (
        f"Measured on `{m['machine_id']}`: {m['cpu_model']} ({isa}), {m['physical_cores']} "
        f"physical / {m['logical_cores']} logical cores, {m['memory_bytes'] / 2**30:.0f} GiB"
        f"{gpus}; {m['os']}; {m['python']}. {versions}. Device `{first.device}`, "
        f"{p.threads} intra-op thread{'s' if p.threads > 1 else ''} and 1 inter-op thread; "
        f"{p.mode} mode ({samples}); {first.created[:10]}."
    )


def _format_output(value) -> str:
    with np.printoptions(precision=6, threshold=20, edgeitems=3, suppress=False):
        if isinstance(value, dict):
            return "\n".join(f"{k}: {_format_output(v)}" for k, v in value.items())
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return repr(value.item())
        return str(value)


def logical_lines(source: str) -> int:
    """Lines that carry code, without imports, docstrings, comments, blank lines and the
    `if __name__ == "__main__":` block: what a reader would copy into their own program."""
    tree = ast.parse(source)
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            skipped.update(range(body[0].lineno, (body[0].end_lineno or body[0].lineno) + 1))
    for node in tree.body:
        is_main = isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)
        if is_main or isinstance(node, (ast.Import, ast.ImportFrom)):
            skipped.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    ignored = {
        tokenize.COMMENT,
        tokenize.NL,
        tokenize.NEWLINE,
        tokenize.INDENT,
        tokenize.DEDENT,
        tokenize.ENDMARKER,
    }
    lines = {
        tok.start[0]
        for tok in tokenize.generate_tokens(io.StringIO(source).readline)
        if tok.type not in ignored
    }
    return len(lines - skipped)


def _render_files(pages: list[FeaturePage], hardware: HardwarePage) -> dict[str, bytes]:
    env = _environment()
    files: dict[str, bytes] = {}
    record = hardware.record
    frameworks = [fw for fw in FRAMEWORKS if record and fw in record["frameworks"]]
    chart = bool(record and hardware.points)
    files["hardware.md"] = (
        env.get_template("pages/hardware.md.j2")
        .render(
            record=record,
            machine_id=hardware.machine_id,
            frameworks=frameworks,
            points=hardware.points,
            chart=chart,
            chart_alt=charts.roofline_alt(hardware.points) if chart else "",
            peak_keys=peaks.PEAK_KEYS,
            gemm_n=peaks.GEMM_N,
            stream_bytes=peaks.STREAM_ELEMENTS * 4,
            repeats=peaks.REPEATS,
            drift_limit=peaks.DRIFT_LIMIT,
        )
        .encode("utf-8")
    )
    if chart and record:
        files["hardware.svg"] = charts.roofline_chart(record, hardware.points)
    for page in pages:
        text = env.get_template("pages/feature.md.j2").render(page=page)
        files[page.path] = text.encode("utf-8")
        if page.chart:
            svg_path = str(Path(page.path).with_name(page.chart))
            files[svg_path] = charts.steady_chart(page.feature, page.rows)
    measured = [s.result for p in pages for s in p.sides if s.result and s.result.ok]
    scoreboard = env.get_template("pages/scoreboard.md.j2").render(
        pages=pages, quantities=SCOREBOARD_QUANTITIES, stamp=_stamp(measured)
    )
    files[SCOREBOARD] = scoreboard.encode("utf-8")
    return files


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )  # Markdown, not HTML: untrusted text goes through `fence`
    env.filters.update(value=format_value, fence=fence, ratio=format_ratio, cell=table_cell)
    env.globals["labels"] = FRAMEWORK_LABELS
    return env


def _sync(root: Path, files: dict[str, bytes]) -> list[Path]:
    changed = []
    for rel, content in sorted(files.items()):
        path = root / rel
        if not path.is_file() or path.read_bytes() != content:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            changed.append(path)
    if root.is_dir():
        for path in sorted(root.rglob("*"), reverse=True):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and rel not in files:
                path.unlink()
                changed.append(path)
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    return changed


# Filters ------------------------------------------------------------------------------------


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
    if float(value).is_integer():
        return f"{value:.0f} {unit}".strip()
    return f"{value:.3g} {unit}".strip()


def format_ratio(ratio: compare.Ratio | None) -> str:
    if ratio is None or np.isnan(ratio.value):
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


def table_cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|").replace("<", "&lt;")


def _slug(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))
