"""Stage 5: features, one machine's results and the questionnaire's rules -> generated files.

Pure: `pages()` takes data and returns {path under docs/features/: bytes}; it reads no results
and writes nothing (only the chart cache, when given one, which is an optimisation). `sync()`
then writes the files whose bytes changed and removes generated files that no longer belong,
so rendering the same inputs twice leaves the tree byte-identical (and untouched).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment, PackageLoader, StrictUndefined

from . import articles, charts, compare, outputs, peaks, questionnaire
from .model import FRAMEWORK_LABELS, FRAMEWORKS, MODE_LABELS, Claim, Feature, RunResult, Variant
from .provenance import Provenance
from .store import MachineResults
from .text import fence, format_ratio, format_value, front_matter, link_text, quoted, table_cell

SCOREBOARD = "_scoreboard.md"
# The instruction sets named in a page's stamp (the full list is in the result files).
STAMP_ISA = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "asimd", "sve")
# Frameworks whose own peaks differ by this factor get a sentence on the hardware page.
LIBRARY_GAP = 1.5
SCOREBOARD_QUANTITIES = ("steady", "first_result", "first_call", "growth_rss", "loc")


@dataclass(frozen=True)
class Side:
    """One snippet's tab on a feature page: a framework's headline snippet, or a variant."""

    framework: str
    label: str
    code: str
    result: RunResult | None
    last_ok: RunResult | None  # shown, marked stale, when the latest run failed
    returned: str  # the first call's return value, printed
    marks: tuple[str, ...] = ()  # why its numbers deserve less trust (noise, busy machine)
    compilation: compare.Compilation | None = None  # when the snippet has an eager baseline
    roofline: compare.Roofline | None = None  # when the feature declares its work
    modules: tuple[tuple[str, int], ...] = ()  # (phase, modules it imported), first process
    variant: Variant | None = None
    unreadable: str = ""  # why its stored result could not be read
    standalone: str | None = None  # the code with its project imports inlined, to copy and run


@dataclass(frozen=True)
class VariantSection:
    """A variant beside its framework's headline snippet, and whether it computed the same."""

    variant: Variant
    label: str
    headline_label: str
    rows: tuple[compare.VariantRow, ...]
    equivalence: outputs.Equivalence  # against the other framework's headline snippet


@dataclass(frozen=True)
class FeaturePage:
    feature: Feature
    path: str  # relative to docs/features/
    sides: tuple[Side, ...]
    rows: tuple[compare.Row, ...]
    equivalence: outputs.Equivalence
    claims: tuple[compare.ClaimCheck, ...]
    chart: str | None  # file name of the SVG beside the page
    chart_alt: str
    stamp: str
    stamp_scope: str  # the settings every verdict on the page is limited to
    variants: tuple[VariantSection, ...] = ()
    other_threads: tuple[OtherThreads, ...] = ()
    caption: str = ""  # one line: where, with what and how the numbers were measured


@dataclass(frozen=True)
class OtherThreads:
    """The headline pair measured at another thread count on the same machine: the rows whose
    verdict differs there, each beside the page's own."""

    threads: int
    here: int  # the page's own thread count
    date: str
    differing: tuple[tuple[compare.Row, compare.Row], ...]  # (this page's row, that setting's)


@dataclass(frozen=True)
class RooflinePoint:
    title: str
    link: str  # relative to docs/features/
    framework: str
    roofline: compare.Roofline


def pages(
    features: list[Feature],
    machine: MachineResults,
    rules: questionnaire.Rules | None,
    chart_cache: Path | None = None,
    others: Sequence[MachineResults] = (),
    claims: articles.Articles | None = None,
    hardware: Sequence[MachineResults] = (),
    provenance: Provenance | None = None,
) -> dict[str, bytes]:
    """Every generated file for one machine's results: feature pages and their charts, the
    hardware page, the scoreboard, and the questionnaire when the project has rules. `others`
    are the same machine's results at other thread counts: a feature page says where their
    verdicts differ. `claims`: the claims page and the ecosystem status page, when given."""
    env = environment()
    built = [_feature_page(f, machine, others) for f in features]
    files: dict[str, bytes] = {}
    for page in built:
        files[page.path] = env.get_template("pages/feature.md.j2").render(page=page).encode()
        if page.chart:
            svg = str(Path(page.path).with_name(page.chart))
            for scheme in charts.SCHEMES:
                files[charts.scheme_file(svg, scheme)] = charts.steady_chart(
                    page.feature, page.rows, scheme=scheme, cache=chart_cache
                )
    files.update(_hardware_files(built, machine, env, chart_cache))
    scoreboard = env.get_template("pages/scoreboard.md.j2").render(
        pages=built,
        quantities=SCOREBOARD_QUANTITIES,
        caption=_caption(_headline_results(built)),
    )
    files[SCOREBOARD] = scoreboard.encode("utf-8")
    if rules is not None:
        files.update(questionnaire.files(rules, env))
    if claims is not None:
        evidence = [articles.Evidence(p.feature, c) for p in built for c in p.claims if c.article]
        judged = articles.judge(claims, evidence)
        files[articles.CLAIMS_PAGE] = (
            env.get_template("pages/claims.md.j2").render(judged=judged, pages=built).encode()
        )
        files[articles.ECOSYSTEM_PAGE] = (
            env.get_template("pages/ecosystem.md.j2")
            .render(facts=claims.facts, judged=judged)
            .encode()
        )
    return files


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("generator", "templates"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )  # Markdown, not HTML: untrusted text goes through `fence`, `cell` or `link_text`
    env.filters.update(
        value=format_value,
        fence=fence,
        ratio=format_ratio,
        cell=table_cell,
        link_text=link_text,
        quoted=quoted,
        front_matter=front_matter,
    )
    env.globals.update(labels=FRAMEWORK_LABELS, glance_quantities=SCOREBOARD_QUANTITIES)
    return env


def _shown(
    feature: Feature, machine: MachineResults
) -> tuple[dict[str, RunResult | None], dict[str, RunResult | None], dict[str, RunResult | None]]:
    """Per snippet key: the latest result, the last good one when the latest failed, and the
    one the page shows (the last good one in place of a failure)."""
    keys = feature.keys
    loaded = {k: machine.result(feature.id, k) for k in keys}
    failed = {k for k, r in loaded.items() if r is not None and not r.ok}
    last_ok = {k: machine.last_good(feature.id, k) if k in failed else None for k in keys}
    shown = {k: last_ok[k] if k in failed else loaded[k] for k in keys}
    return loaded, last_ok, shown


def _feature_page(
    feature: Feature, machine: MachineResults, others: Sequence[MachineResults] = ()
) -> FeaturePage:
    keys = feature.keys
    loaded, last_ok, shown = _shown(feature, machine)
    sides = tuple(_side(feature, k, loaded[k], last_ok[k], machine) for k in keys)
    rows = tuple(compare.rows(feature, shown))
    equivalence = compare.equivalence(feature, loaded["pytorch"], loaded["tensorflow"])
    measured = [r for r in shown.values() if r is not None and r.ok]
    other_threads = tuple(
        o for o in (_other_threads(feature, rows, measured, m) for m in others) if o is not None
    )
    claims = tuple(
        _at_other_threads(_claim(feature, c, list(rows), equivalence, shown), c, other_threads)
        for c in feature.claims
    )
    charted = any(r.quantity == "steady" and (r.pytorch or r.tensorflow) for r in rows)
    return FeaturePage(
        feature=feature,
        path=feature.page_path,
        sides=sides,
        rows=rows,
        equivalence=equivalence,
        claims=claims,
        chart=f"{feature.id}.svg" if charted else None,
        chart_alt=charts.alt_text(feature, rows),
        stamp=_stamp(measured),
        stamp_scope=_scope(measured),
        variants=tuple(_variant_section(feature, v, shown, loaded) for v in feature.variants),
        other_threads=other_threads,
        caption=_caption(
            [(feature.id, r) for k in FRAMEWORKS if (r := shown[k]) is not None and r.ok]
        ),
    )


def _at_other_threads(
    check: compare.ClaimCheck, claim: Claim, others: tuple[OtherThreads, ...]
) -> compare.ClaimCheck:
    """A claim about the headline pair whose measurement reads differently at another thread
    count says so in its evidence: its verdict holds at the page's setting only."""
    if claim.variant is not None:
        return check
    unrelated = outputs.Equivalence(outputs.Agreement.NOT_COMPARED, "")  # timed rows only
    notes = []
    for other in others:
        for _, there in other.differing:
            if there.quantity != claim.quantity:
                continue
            at = compare.check_claim(claim, [there], unrelated)
            if at.verdict != check.verdict:
                plural = "s" if other.threads != 1 else ""
                notes.append(
                    f" At {other.threads} intra-op thread{plural} it is {at.verdict}: {at.evidence}"
                )
    return replace(check, evidence=check.evidence + "".join(notes)) if notes else check


def _other_threads(
    feature: Feature,
    rows: tuple[compare.Row, ...],
    measured_here: list[RunResult],
    other: MachineResults,
) -> OtherThreads | None:
    """What the same headline pair gave at another thread count; None when either side has
    no good result there."""
    shown = _shown(feature, other)[2]
    measured = [r for r in (shown[fw] for fw in FRAMEWORKS) if r is not None and r.ok]
    if len(measured) < len(FRAMEWORKS) or not measured_here:
        return None
    threads, here = measured[0].protocol.threads, measured_here[0].protocol.threads
    if threads == here:
        return None
    ours = {r.quantity: (r, r.ratio.verdict) for r in rows if r.ratio is not None}
    differing = tuple(
        (ours[r.quantity][0], r)
        for r in compare.rows(feature, shown)
        if r.quantity in ours and r.ratio is not None and r.ratio.verdict != ours[r.quantity][1]
    )
    return OtherThreads(threads, here, measured[0].created[:10], differing)


def _variant_section(
    feature: Feature,
    variant: Variant,
    shown: dict[str, RunResult | None],
    loaded: dict[str, RunResult | None],
) -> VariantSection:
    pair, _ = compare.standing_in(feature, variant.key, loaded)
    return VariantSection(
        variant,
        _label(feature, variant.key),
        FRAMEWORK_LABELS[variant.framework],
        tuple(
            compare.variant_rows(feature, variant.key, shown[variant.framework], shown[variant.key])
        ),
        compare.equivalence(feature, pair["pytorch"], pair["tensorflow"]),
    )


def _claim(
    feature: Feature,
    claim: Claim,
    rows: list[compare.Row],
    equivalence: outputs.Equivalence,
    shown: dict[str, RunResult | None],
) -> compare.ClaimCheck:
    """A claim about the headline pair, or with the variant it names standing in."""
    variant = next((v for v in feature.variants if v.id == claim.variant), None)
    if variant is None:
        return compare.check_claim(claim, rows, equivalence)
    pair, keys = compare.standing_in(feature, variant.key, shown)
    checked = compare.check_claim(
        claim,
        compare.rows(feature, pair, keys),
        compare.equivalence(feature, pair["pytorch"], pair["tensorflow"]),
    )
    said = f"With the variant “{variant.label}” for {FRAMEWORK_LABELS[variant.framework]}: "
    return replace(checked, evidence=said + checked.evidence)


def _label(feature: Feature, key: str) -> str:
    variant = feature.variant(key)
    framework = FRAMEWORK_LABELS[feature.framework_of(key)]
    return f"{framework}: {variant.label}" if variant else framework


def _side(
    feature: Feature,
    key: str,
    result: RunResult | None,
    last_ok: RunResult | None,
    machine: MachineResults,
) -> Side:
    snippet = feature.snippets.get(key)
    framework = feature.framework_of(key)
    side = Side(
        framework,
        _label(feature, key),
        snippet.code if snippet else "",
        result,
        last_ok,
        returned="",
        variant=feature.variant(key),
        unreadable=machine.unreadable.get((feature.id, key), ""),
        standalone=snippet.standalone if snippet else None,
    )
    source = result if result and result.ok else last_ok
    if source is None:
        return side
    marks = tuple(compare.noise_marks(source))
    if source.protocol.mode == "quick":
        marks += ("quick mode: one process and few samples, not for publishing",)
    for metric, value in compare.nonzero_required(feature, source):
        marks += (f"invalid steady state: {metric.label.lower()} = {value:g} (must be 0)",)
    # Only the peaks of the result's own run: quick runs and older results have none.
    run_id = source.runtime.get("run_id")
    run_peaks = machine.peaks.get(run_id) if run_id else None
    roof = compare.roofline(feature, source, run_peaks)
    measured = run_peaks.frameworks.get(framework) if run_peaks else None
    if measured is not None:
        marks += _drift_marks(measured, roof)
    return replace(
        side,
        returned=_format_output(outputs.decode_output(source.output)),
        marks=marks,
        compilation=compare.compilation(source),
        roofline=roof,
        modules=_modules(source),
    )


def _drift_marks(measured: peaks.FrameworkPeaks, roof: compare.Roofline | None) -> tuple[str, ...]:
    """What the peak suite saw change during the run, for the peaks that could have changed
    this result: the one that bounds it on the roofline, or all when its work is not declared."""
    if measured.drift is None:
        return ("degraded run: the peak suite failed at the start or the end of this run",)
    keys = peaks.BOUNDING[roof.limit] if roof else tuple(peaks.PEAK_KEYS)
    return tuple(
        f"degraded run: the {peaks.PEAK_KEYS[key][0]} measurement "
        f"{'fell' if change < 0 else 'rose'} by {abs(change):.0%} between the start and the end "
        "of this run"
        for key, change in sorted(measured.beyond_noise(keys).items())
    )


PHASES = ("import", "load", "setup", "first_call")


def _modules(result: RunResult) -> tuple[tuple[str, int], ...]:
    """Modules each phase imported in the first process, in phase order."""
    counts = result.processes[0].modules if result.processes else {}
    return tuple((phase, counts[phase]) for phase in PHASES if phase in counts)


def _hardware_files(
    built: list[FeaturePage], machine: MachineResults, env: Environment, cache: Path | None
) -> dict[str, bytes]:
    record = machine.latest_peaks
    points = tuple(
        RooflinePoint(
            page.feature.title + (f" ({side.variant.label})" if side.variant else ""),
            page.path,
            side.framework,
            side.roofline,
        )
        for page in built
        for side in page.sides
        if side.roofline
    )
    frameworks = [fw for fw in FRAMEWORKS if record and fw in record.frameworks]
    gemm, triad = (record.roof(k) if record else None for k in ("gemm_fp32_gflops", "triad_gbs"))
    chart = bool(record and points)
    text = env.get_template("pages/hardware.md.j2").render(
        record=record,
        machine_id=machine.key,
        frameworks=frameworks,
        points=points,
        chart=chart,
        chart_alt=charts.roofline_alt(points) if chart else "",
        numbers=charts.point_numbers(points),
        peak_keys=peaks.PEAK_KEYS,
        gemm_n=peaks.GEMM_N,
        gemm_min_call_ms=round(peaks.GEMM_MIN_CALL_S * 1000),
        stream_bytes=peaks.STREAM_ELEMENTS * 4,
        repeats=peaks.REPEATS,
        drift_limits={peaks.PEAK_KEYS[k][0]: round(100 * v) for k, v in peaks.DRIFT_LIMITS.items()},
        roof={
            name: (found[0], " and ".join(FRAMEWORK_LABELS[fw] for fw in found[1]))
            for name, found in (("gemm", gemm), ("triad", triad))
            if found
        },
        library_gaps=_library_gaps(record) if record else (),
    )
    files = {"hardware.md": text.encode("utf-8")}
    if chart and gemm and triad:
        roof = {charts.MACHINE: (gemm[0], triad[0])}
        for scheme in charts.SCHEMES:
            files[charts.scheme_file("hardware.svg", scheme)] = charts.roofline_chart(
                roof, points, scheme=scheme, cache=cache
            )
    return files


def _library_gaps(record: peaks.PeakRecord) -> tuple[str, ...]:
    """Sentences for peaks where one framework's library reached much less than the other's."""
    gaps = []
    for key, (label, unit) in peaks.PEAK_KEYS.items():
        values = {fw: p.best()[key] for fw, p in record.frameworks.items() if key in p.best()}
        if len(values) < 2:
            continue
        low, high = min(values, key=values.__getitem__), max(values, key=values.__getitem__)
        if values[low] and values[high] / values[low] >= LIBRARY_GAP:
            gaps.append(
                f"{label}: {FRAMEWORK_LABELS[low]} reached {values[low]:.1f} {unit}, "
                f"{FRAMEWORK_LABELS[high]} {values[high]:.1f} {unit} "
                f"({values[high] / values[low]:.1f}×) on the same machine"
            )
    return tuple(gaps)


def _scope(results: list[RunResult]) -> str:
    if not results:
        return "the settings of a run that has not happened yet"
    p = results[0].protocol
    threads = f"{p.threads} intra-op thread{'s' if p.threads != 1 else ''}"
    return f"device `{results[0].device}` with {threads}, float32 unless the code says otherwise"


def _headline_results(built: Sequence[FeaturePage]) -> list[tuple[str, RunResult]]:
    """(feature id, result) of every headline snippet that ran: what verdicts are drawn from."""
    return [
        (p.feature.id, s.result)
        for p in built
        for s in p.sides
        if s.variant is None and s.result and s.result.ok
    ]


def _caption(measured: Sequence[tuple[str, RunResult]]) -> str:
    """One line above a page's numbers: the hardware, the versions, the threads, how they were
    measured (a mix of modes is said, with feature counts) and when."""
    if not measured:
        return "Not measured yet on this machine."
    results = [r for _, r in measured]
    m = results[0].machine
    versions = sorted(
        {f"{FRAMEWORK_LABELS[r.framework]} {r.framework_info.get('version', '?')}" for r in results}
    )
    threads = sorted({r.protocol.threads for r in results})
    modes: dict[str, set[str]] = {}
    for feature_id, result in measured:
        modes.setdefault(MODE_LABELS.get(result.protocol.mode, result.protocol.mode), set()).add(
            feature_id
        )
    how = (
        f"{next(iter(modes))} mode"
        if len(modes) == 1
        else ", ".join(f"{mode} mode ({len(ids)} features)" for mode, ids in sorted(modes.items()))
    )
    dates = sorted({r.created[:10] for r in results})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    gpus = ", " + ", ".join(g.name for g in m.gpus) if m.gpus else ""
    plural = "s" if threads != [1] else ""
    return (
        f"**Measured on** {m.cpu_model}, {m.physical_cores} cores, "
        f"{m.memory_bytes / 2**30:.0f} GiB{gpus} (`{m.machine_id}`) · {' · '.join(versions)} · "
        f"{'/'.join(map(str, threads))} intra-op thread{plural} · {how} · {when}."
    )


def _stamp(results: list[RunResult]) -> str:
    if not results:
        return "Not measured yet on this machine."
    first = results[0]
    m = first.machine
    isa = (
        ", ".join(f.upper().replace("_", "-") for f in m.isa_flags if f in STAMP_ISA)
        or "no SIMD flags read"
    )
    gpus = "; GPU: " + ", ".join(g.name for g in m.gpus) if m.gpus else ""
    latest = {r.framework: r for r in results}  # one version per framework
    versions = "; ".join(
        f"{FRAMEWORK_LABELS[r.framework]} {r.framework_info.get('version', '?')}"
        + (f" (Keras {r.framework_info['keras']})" if r.framework_info.get("keras") else "")
        for _, r in sorted(latest.items())
    )
    p = first.protocol
    samples = f"{p.processes} process{'es' if p.processes > 1 else ''} × {p.samples} samples"
    return (
        f"Measured on `{m.machine_id}`: {m.cpu_model} ({isa}), {m.physical_cores} "
        f"physical / {m.logical_cores} logical cores, {m.memory_bytes / 2**30:.0f} GiB"
        f"{gpus}; {m.os}; {m.python}. {versions}. Device `{first.device}`, "
        f"{p.threads} intra-op thread{'s' if p.threads > 1 else ''} and 1 inter-op thread; "
        f"{MODE_LABELS.get(p.mode, p.mode)} mode ({samples}); {first.created[:10]}."
    )


def _format_output(value: Any) -> str:
    with np.printoptions(precision=6, threshold=20, edgeitems=3, suppress=False):
        if isinstance(value, dict):
            return "\n".join(f"{k}: {_format_output(v)}" for k, v in value.items())
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return repr(value.item())
        return str(value)


def sync(root: Path, files: dict[str, bytes]) -> list[Path]:
    """Write what changed under `root`, remove what no longer belongs; returns changed paths."""
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
