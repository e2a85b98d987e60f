"""Stage 5: features, the machines' results and the questionnaire's rules -> generated files.

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
from .model import (
    FRAMEWORK_LABELS,
    FRAMEWORKS,
    MODE_LABELS,
    Claim,
    Feature,
    Machine,
    RunResult,
    Variant,
)
from .provenance import Provenance
from .store import MachineResults
from .text import (
    fence,
    format_ratio,
    format_value,
    front_matter,
    link_text,
    quoted,
    slug,
    table_cell,
)

SCOREBOARD = "_scoreboard.md"
# The instruction sets named in a page's stamp (the full list is in the result files).
STAMP_ISA = ("avx2", "avx512f", "avx512_bf16", "amx_tile", "asimd", "sve")
# Frameworks whose own peaks differ by this factor get a sentence on the hardware page.
LIBRARY_GAP = 1.5
SCOREBOARD_QUANTITIES = ("steady", "first_result", "first_call", "growth_rss", "loc")
# What "On each machine" compares: the headline quantities a machine changes (not code size).
MACHINE_QUANTITIES = tuple(q for q in SCOREBOARD_QUANTITIES if q != "loc")
# The marks a result gets from where it comes from (provenance.py), in the order pages say them.
STALE, UNVERIFIED = "stale", "unverified"
JUDGED = (compare.Verdict.PYTORCH, compare.Verdict.TENSORFLOW, compare.Verdict.SAME)


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
    # (mark, labels of the sides it applies to): this page's own numbers that are stale or
    # unverified (provenance.py); empty in the common case, where all are current and verified
    provenance: tuple[tuple[str, tuple[str, ...]], ...] = ()
    machines: OnEachMachine | None = None  # when another hardware target measured the feature


@dataclass(frozen=True)
class Target:
    """A hardware target as the pages name it: one results folder at its default threads."""

    key: str  # the results folder: a machine id, or <machine-id>-cuda
    name: str  # short: "Test CPU (2 cores)", "Test GPU (CUDA)"; unique among the targets
    machine: Machine | None  # from its latest result; None when it has none
    device: str
    reference: bool | None  # one of the reference machines? None without provenance

    @property
    def anchor(self) -> str:
        """The id of its section on the hardware page."""
        return f"machine-{slug(self.key)}"


@dataclass(frozen=True)
class MachineRow:
    """One quantity of the headline pair on one hardware target."""

    target: Target
    primary: bool  # the machine whose numbers the page shows above
    measured: str  # mode and date
    row: compare.Row
    marks: tuple[tuple[str, ...], tuple[str, ...]]  # PyTorch's, TensorFlow's (STALE, UNVERIFIED)


@dataclass(frozen=True)
class OnEachMachine:
    """A feature's headline quantities on every hardware target that measured it."""

    rows: tuple[MachineRow, ...]  # by quantity, then target (the page's machine first)
    differing: tuple[str, ...]  # one sentence per quantity whose verdict differs by machine
    marked: tuple[str, ...]  # the marks the table uses, to explain under it
    chart: str | None  # file name of the steady-state chart grouped by machine
    chart_alt: str


@dataclass(frozen=True)
class Board:
    """The scoreboard of one hardware target."""

    target: Target
    pages: tuple[FeaturePage, ...]
    caption: str
    care: str  # prefix of its notes' ids: unique per board when there are several
    hardware: str  # link to its section of the hardware page, relative to docs/


@dataclass(frozen=True)
class HardwareSection:
    """One hardware target on the hardware page: its fingerprint, latest peaks and roofline."""

    target: Target
    primary: bool
    fingerprint: str
    record: peaks.PeakRecord | None
    frameworks: tuple[str, ...]
    points: tuple[RooflinePoint, ...]
    chart: str | None  # file name of its roofline chart (light scheme)
    chart_alt: str
    numbers: dict[str, int]
    roof: dict[str, tuple[float, str]]  # "gemm"/"triad" -> (best value, the frameworks)
    library_gaps: tuple[str, ...]


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
    verdicts differ. `hardware` are the other hardware targets (other machines, other devices):
    each feature page compares them with this one, the hardware page describes each, and the
    scoreboard has a tab per target. `provenance` judges every result shown (stale,
    unverified). `claims`: the claims page and the ecosystem status page, when given."""
    env = environment()
    marks = _Marks(provenance)
    targets = _targets([machine, *hardware], provenance)
    built = [_feature_page(f, machine, others) for f in features]
    elsewhere = [[_feature_page(f, m) for f in features] for m in hardware]
    built = [
        replace(
            page,
            provenance=_own_marks(page, marks),
            machines=_on_each_machine(page, [p[i] for p in elsewhere], targets, marks),
        )
        for i, page in enumerate(built)
    ]
    files: dict[str, bytes] = {}
    for page in built:
        files[page.path] = env.get_template("pages/feature.md.j2").render(page=page).encode()
        folder = Path(page.path).parent
        if page.chart:
            for scheme in charts.SCHEMES:
                files[charts.scheme_file(str(folder / page.chart), scheme)] = charts.steady_chart(
                    page.feature, page.rows, scheme=scheme, cache=chart_cache
                )
        if page.machines and page.machines.chart:
            groups = _steady_by_machine(page.machines)
            for scheme in charts.SCHEMES:
                name = charts.scheme_file(str(folder / page.machines.chart), scheme)
                files[name] = charts.machines_chart(groups, scheme=scheme, cache=chart_cache)
    all_pages = [built, *elsewhere]
    files.update(_hardware_files(targets, all_pages, [machine, *hardware], env, chart_cache))
    boards = [
        Board(
            target,
            tuple(target_pages),
            _caption(_headline_results(target_pages)),
            f"care-{target.key}-" if hardware else "care-",
            f"features/hardware.md#{target.anchor}" if hardware else "features/hardware.md",
        )
        for target, target_pages in zip(targets, all_pages, strict=True)
    ]
    scoreboard = env.get_template("pages/scoreboard.md.j2").render(
        boards=boards, quantities=SCOREBOARD_QUANTITIES
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


class _Marks:
    """What provenance says of each result shown, each result judged once (judging recomputes
    its cache key from the repository's files)."""

    def __init__(self, provenance: Provenance | None):
        self.provenance = provenance
        self.judged: dict[int, tuple[RunResult, tuple[str, ...]]] = {}

    def __call__(self, result: RunResult | None) -> tuple[str, ...]:
        if self.provenance is None or result is None or not result.ok:
            return ()
        if id(result) not in self.judged:  # the result is kept, so its id is not reused
            stale, verified = self.provenance.stale(result), self.provenance.verified(result)
            said = tuple(m for m, on in ((STALE, stale), (UNVERIFIED, not verified)) if on)
            self.judged[id(result)] = (result, said)
        return self.judged[id(result)][1]


def _targets(machines: Sequence[MachineResults], provenance: Provenance | None) -> list[Target]:
    """The hardware targets, the primary first, each named by its latest result's hardware;
    names that two targets share get the folder key, so that tabs and links tell them apart."""
    found = []
    for results in machines:
        latest = max(
            results.results.values(), key=lambda r: (r.created, r.feature, r.key), default=None
        )
        hardware = latest.machine if latest else None
        device = latest.device if latest else "cpu"
        name = _target_name(hardware, device) if hardware else results.key
        reference = None
        if provenance is not None:
            machine_id = hardware.machine_id if hardware else results.key
            reference = machine_id in provenance.reference
        found.append(Target(results.key, name, hardware, device, reference))
    names = [t.name for t in found]
    return [replace(t, name=f"{t.name}, {t.key}") if names.count(t.name) > 1 else t for t in found]


def _target_name(machine: Machine, device: str) -> str:
    """Short: the GPUs and the device on a GPU ("NVIDIA H200 (CUDA)"), else the CPU and its
    cores ("Intel Xeon (2 cores)")."""
    if device != "cpu" and machine.gpus:
        return f"{', '.join(g.name for g in machine.gpus)} ({device.upper()})"
    cores = f"{machine.physical_cores} core{'s' if machine.physical_cores != 1 else ''}"
    return f"{machine.cpu_model} ({cores}{', ' + device.upper() if device != 'cpu' else ''})"


def _own_marks(page: FeaturePage, marks: _Marks) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Which of the page's own shown results are stale, and which unverified."""
    shown = [(s.label, s.result if s.result and s.result.ok else s.last_ok) for s in page.sides]
    return tuple(
        (mark, labels)
        for mark in (STALE, UNVERIFIED)
        if (labels := tuple(label for label, r in shown if mark in marks(r)))
    )


def _on_each_machine(
    page: FeaturePage,
    elsewhere: Sequence[FeaturePage],
    targets: Sequence[Target],
    marks: _Marks,
) -> OnEachMachine | None:
    """The headline quantities on every target that has a good result of the headline pair;
    None when no other target has one."""
    measured = []  # (target, its page, its shown headline results by framework)
    for target, there in zip(targets, (page, *elsewhere), strict=True):
        shown = {
            s.framework: s.result if s.result and s.result.ok else s.last_ok
            for s in there.sides
            if s.variant is None
        }
        if there is page or any(r is not None and r.ok for r in shown.values()):
            measured.append((target, there, shown))
    if len(measured) < 2:
        return None
    rows = []
    differing = []
    for quantity in MACHINE_QUANTITIES:
        found = [
            (target, there, shown, row)
            for target, there, shown in measured
            for row in there.rows
            if row.quantity == quantity
        ]
        if not any(row.pytorch or row.tensorflow for *_, row in found):
            continue
        for target, there, shown, row in found:
            rows.append(
                MachineRow(
                    target,
                    there is page,
                    _measured([r for r in shown.values() if r is not None and r.ok]),
                    row,
                    (marks(shown.get("pytorch")), marks(shown.get("tensorflow"))),
                )
            )
        judged = [
            (target, row, row.ratio)
            for target, *_, row in found
            if row.ratio and row.ratio.verdict in JUDGED
        ]
        if len({ratio.verdict for *_, ratio in judged}) > 1:
            differing.append(
                f"{found[0][-1].label.split(' (')[0]}: "
                + ", ".join(
                    f"**{ratio.headline(row.better, row.unit)}** on {machine_text(target.name)}"
                    for target, row, ratio in judged
                )
                + "."
            )
    used = {m for r in rows for side in r.marks for m in side}
    section = OnEachMachine(
        tuple(rows),
        tuple(differing),
        tuple(m for m in (STALE, UNVERIFIED) if m in used),
        None,
        "",
    )
    groups = _steady_by_machine(section)
    if len(groups) < 2:
        return section
    return replace(
        section,
        chart=f"{page.feature.id}-machines.svg",
        chart_alt=charts.machines_alt(page.feature, groups),
    )


def _steady_by_machine(section: OnEachMachine) -> list[tuple[str, compare.Row]]:
    """(target name, steady-state row) of every target with a steady-state number."""
    return [
        (r.target.name, r.row)
        for r in section.rows
        if r.row.quantity == "steady" and (r.row.pytorch or r.row.tensorflow)
    ]


def _measured(results: Sequence[RunResult]) -> str:
    """How and when a target measured the pair: "publication mode, 2026-11-25"."""
    if not results:
        return "not measured yet"
    modes = sorted({MODE_LABELS.get(r.protocol.mode, r.protocol.mode) for r in results})
    dates = sorted({r.created[:10] for r in results})
    when = dates[0] if len(dates) == 1 else f"{dates[0]} to {dates[-1]}"
    return f"{' and '.join(modes)} mode, {when}"


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
        machine=machine_text,
    )
    env.globals.update(labels=FRAMEWORK_LABELS, glance_quantities=SCOREBOARD_QUANTITIES)
    return env


def machine_text(text: object) -> str:
    """A machine's own text (its CPU model, from a result file anyone may have written) made
    safe for a link's text, a heading or a tab's title: `link_text`, with `<` as an entity,
    since Markdown keeps `\\<` followed by a tag as raw HTML."""
    return link_text(str(text).replace("<", "&lt;"))


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
    targets: Sequence[Target],
    built: Sequence[Sequence[FeaturePage]],
    machines: Sequence[MachineResults],
    env: Environment,
    cache: Path | None,
) -> dict[str, bytes]:
    """The hardware page: a section per target (the primary first), each with its roofline
    chart when it has peaks and features placed on them."""
    sections = [
        _hardware_section(target, pages, results, primary=i == 0)
        for i, (target, pages, results) in enumerate(zip(targets, built, machines, strict=True))
    ]
    text = env.get_template("pages/hardware.md.j2").render(
        sections=sections,
        peak_keys=peaks.PEAK_KEYS,
        gemm_n=peaks.GEMM_N,
        gemm_min_call_ms=round(peaks.GEMM_MIN_CALL_S * 1000),
        stream_bytes=peaks.STREAM_ELEMENTS * 4,
        repeats=peaks.REPEATS,
        drift_limits={peaks.PEAK_KEYS[k][0]: round(100 * v) for k, v in peaks.DRIFT_LIMITS.items()},
    )
    files = {"hardware.md": text.encode("utf-8")}
    for section in sections:
        if section.chart:
            roof = {charts.MACHINE: (section.roof["gemm"][0], section.roof["triad"][0])}
            for scheme in charts.SCHEMES:
                files[charts.scheme_file(section.chart, scheme)] = charts.roofline_chart(
                    roof, section.points, scheme=scheme, cache=cache
                )
    return files


def _hardware_section(
    target: Target, built: Sequence[FeaturePage], machine: MachineResults, *, primary: bool
) -> HardwareSection:
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
    gemm, triad = (record.roof(k) if record else None for k in ("gemm_fp32_gflops", "triad_gbs"))
    roof = {
        name: (found[0], " and ".join(FRAMEWORK_LABELS[fw] for fw in found[1]))
        for name, found in (("gemm", gemm), ("triad", triad))
        if found
    }
    chart = bool(record and points and gemm and triad)
    return HardwareSection(
        target=target,
        primary=primary,
        fingerprint=_fingerprint(target),
        record=record,
        frameworks=tuple(fw for fw in FRAMEWORKS if record and fw in record.frameworks),
        points=points,
        chart=("hardware.svg" if primary else f"hardware-{slug(target.key)}.svg")
        if chart
        else None,
        chart_alt=charts.roofline_alt(points) if chart else "",
        numbers=charts.point_numbers(points),
        roof=roof,
        library_gaps=_library_gaps(record) if record else (),
    )


def _fingerprint(target: Target) -> str:
    """The target's hardware and software as its latest result recorded them."""
    m = target.machine
    if m is None:
        return f"No result is stored for `{target.key}` yet."
    gpus = "".join(
        f"; GPU: {g.name}, {g.memory_bytes / 2**30:.0f} GiB, driver {g.driver}" for g in m.gpus
    )
    return (
        f"{m.cpu_model} ({_isa(m)}), {m.physical_cores} physical / {m.logical_cores} logical "
        f"cores, {m.memory_bytes / 2**30:.0f} GiB{gpus}; {m.os}; {m.python}. Device "
        f"`{target.device}`; machine id `{m.machine_id}`, results in `results/{target.key}/`."
    )


def _isa(m: Machine) -> str:
    """The instruction sets the pages name (STAMP_ISA), as the stamp writes them."""
    return (
        ", ".join(f.upper().replace("_", "-") for f in m.isa_flags if f in STAMP_ISA)
        or "no SIMD flags read"
    )


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
    gpus = ", " + ", ".join(table_cell(g.name) for g in m.gpus) if m.gpus else ""
    plural = "s" if threads != [1] else ""
    return (
        f"**Measured on** {table_cell(m.cpu_model)}, {m.physical_cores} cores, "
        f"{m.memory_bytes / 2**30:.0f} GiB{gpus} (`{m.machine_id}`) · {' · '.join(versions)} · "
        f"{'/'.join(map(str, threads))} intra-op thread{plural} · {how} · {when}."
    )


def _stamp(results: list[RunResult]) -> str:
    if not results:
        return "Not measured yet on this machine."
    first = results[0]
    m = first.machine
    isa = _isa(m)
    gpus = "; GPU: " + ", ".join(table_cell(g.name) for g in m.gpus) if m.gpus else ""
    latest = {r.framework: r for r in results}  # one version per framework
    versions = "; ".join(
        f"{FRAMEWORK_LABELS[r.framework]} {r.framework_info.get('version', '?')}"
        + (f" (Keras {r.framework_info['keras']})" if r.framework_info.get("keras") else "")
        for _, r in sorted(latest.items())
    )
    p = first.protocol
    samples = f"{p.processes} process{'es' if p.processes > 1 else ''} × {p.samples} samples"
    return (
        f"Measured on `{m.machine_id}`: {table_cell(m.cpu_model)} ({isa}), {m.physical_cores} "
        f"physical / {m.logical_cores} logical cores, {m.memory_bytes / 2**30:.0f} GiB"
        f"{gpus}; {table_cell(m.os)}; {table_cell(m.python)}. {versions}. Device `{first.device}`, "
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
