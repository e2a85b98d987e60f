"""SVG charts rendered at build time with matplotlib: no JavaScript, no CDN, byte-stable output.

Drawing is most of a rebuild's time (importing matplotlib alone takes a quarter of a second),
so the chart functions take a cache folder: each SVG is kept there as `<key>.svg`, where the key
is the SHA-256 of exactly the data the chart draws, of this module's source and of matplotlib's
version. A hit returns the stored bytes without importing matplotlib (or numpy); a miss draws,
stores the file atomically and returns the same bytes drawing without a cache gives.

Nothing is ever pruned: a chart whose data changed leaves its old file behind (tens of KB).
The folder can be deleted at any time; the next build draws again.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
import os
import tempfile
import textwrap
from collections.abc import Callable, Mapping, Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .model import FRAMEWORK_LABELS, FRAMEWORKS, Feature
from .text import format_value

if TYPE_CHECKING:
    from .compare import Row

MACHINE = "machine"  # the roof of the machine: the best peaks any framework reached
MACHINE_LABEL = "this machine (best of both frameworks)"
# Each chart is drawn twice, once per colour scheme of the site (mkdocs-material shows the
# `#only-light` image in the light scheme and the `#only-dark` one in the dark), on a
# transparent background, so it follows the reader's scheme instead of glaring white.
SCHEMES = ("light", "dark")
INK = {"light": "#1f2328", "dark": "#e3e6ea"}  # text, axes and ticks
COLORS = {
    "light": {"pytorch": "#c2410c", "tensorflow": "#1d4ed8", MACHINE: "#4b5563"},
    "dark": {"pytorch": "#fb923c", "tensorflow": "#60a5fa", MACHINE: "#a3aab4"},
}
# Sized for a phone: a chart is at most WIDTH_IN wide (345 CSS px at 1 pt = 4/3 px, within a
# 390 px screen's column) and no text is under FONT_PT (12 px at that size), so it is never
# scaled down to illegible text. Fixed salt and no date: the same numbers give the same bytes.
WIDTH_IN = 3.6
FONT_PT = 9
STABLE_SVG = {
    "svg.hashsalt": "fieldguide",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": FONT_PT,
}
CHARTED = ("steady", "first_call")


class RooflineMark(Protocol):
    """Where one result sits on the roofline (compare.Roofline is one)."""

    @property
    def intensity(self) -> float: ...
    @property
    def achieved_gflops(self) -> float: ...
    @property
    def fraction(self) -> float: ...


class RooflinePoint(Protocol):
    """One feature's result on the roofline chart (render.RooflinePoint is one)."""

    @property
    def title(self) -> str: ...
    @property
    def framework(self) -> str: ...
    @property
    def roofline(self) -> RooflineMark: ...


def scheme_file(name: str, scheme: str) -> str:
    """The file a chart is written to for a scheme: `x.svg` (light) or `x-dark.svg`."""
    return name if scheme == SCHEMES[0] else name.removesuffix(".svg") + f"-{scheme}.svg"


def steady_chart(
    feature: Feature, rows: Sequence[Row], *, scheme: str = "light", cache: Path | None = None
) -> bytes:
    """Median with its 95% CI for steady state and first call, one panel each, one above the
    other; `scheme` is the site's colour scheme it is drawn for (SCHEMES)."""
    charted = [r for r in rows if r.quantity in CHARTED and (r.pytorch or r.tensorflow)]
    data = {
        "chart": "steady",
        "scheme": scheme,
        "frameworks": _framework_labels(),
        "rows": [
            {
                "label": row.label,
                **{fw: _summary_data(getattr(row, fw)) for fw in FRAMEWORKS},
            }
            for row in charted
        ],
    }
    return _cached(cache, data, lambda: _draw_steady(charted, scheme))


def alt_text(feature: Feature, rows: Sequence[Row]) -> str:
    parts = []
    for row in rows:
        if row.quantity not in CHARTED:
            continue
        values = [
            f"{FRAMEWORK_LABELS[f]} {format_value(getattr(row, f).median, 's')}"
            for f in FRAMEWORKS
            if getattr(row, f)
        ]
        if values:
            parts.append(f"{row.label.split(' (')[0].lower()}: " + ", ".join(values))
    if not parts:
        return ""
    return (
        f"Bar chart of {feature.title}, median with 95% confidence interval; "
        + "; ".join(parts)
        + ". The same numbers are in the table above."
    )


def machines_chart(
    groups: Sequence[tuple[str, Row]], *, scheme: str = "light", cache: Path | None = None
) -> bytes:
    """Steady-state median with its 95% CI on each machine: one panel per machine, a bar per
    framework, on one shared logarithmic time axis (a GPU and a CPU can be orders of magnitude
    apart, and a log axis keeps each machine's PyTorch/TensorFlow ratio the same length
    wherever it lies). `groups` is (machine name, steady-state row), in panel order."""
    data = {
        "chart": "machines",
        "scheme": scheme,
        "frameworks": _framework_labels(),
        "groups": [
            {"machine": name, **{fw: _summary_data(getattr(row, fw)) for fw in FRAMEWORKS}}
            for name, row in groups
        ],
    }
    return _cached(cache, data, lambda: _draw_machines(groups, scheme))


def machines_alt(feature: Feature, groups: Sequence[tuple[str, Row]]) -> str:
    parts = [
        f"{name}: "
        + ", ".join(
            f"{FRAMEWORK_LABELS[fw]} {format_value(getattr(row, fw).median, 's')}"
            for fw in FRAMEWORKS
            if getattr(row, fw)
        )
        for name, row in groups
    ]
    return (
        f"Bar chart of {feature.title}, steady state per call on each machine, median with 95% "
        "confidence interval, logarithmic time axis; "
        + "; ".join(parts)
        + ". The same numbers are in the table above."
    )


def roofline_chart(
    roofs: Mapping[str, tuple[float, float]],
    points: Sequence[RooflinePoint],
    *,
    scheme: str = "light",
    cache: Path | None = None,
) -> bytes:
    """Log-log roofline with each feature's achieved steady state. `roofs` maps a framework, or
    MACHINE (the machine's roof: the best any framework reached), to (GEMM fp32 GFLOP/s, STREAM
    triad GB/s); one without an entry gets no roof."""
    drawn = [
        (key, float(roofs[key][0]), float(roofs[key][1]))
        for key in (MACHINE, *FRAMEWORKS)
        if key in roofs
    ]
    numbers = point_numbers(points)
    data = {
        "chart": "roofline",
        "scheme": scheme,
        "frameworks": _framework_labels(),
        "roofs": [list(roof) for roof in drawn],
        "points": [
            [
                numbers[p.title],  # what is drawn beside the point: not its title
                p.framework,
                float(p.roofline.intensity),
                float(p.roofline.achieved_gflops),
            ]
            for p in points
        ],
    }
    return _cached(cache, data, lambda: _draw_roofline(drawn, points, scheme))


def point_numbers(points: Sequence[RooflinePoint]) -> dict[str, int]:
    """The number each feature's points carry on the roofline chart (1, 2, … in order of first
    appearance; both frameworks of a feature share one), which its table row repeats: names
    would not fit beside the points at phone width."""
    numbers: dict[str, int] = {}
    for point in points:
        numbers.setdefault(point.title, len(numbers) + 1)
    return numbers


def roofline_alt(points: Sequence[RooflinePoint]) -> str:
    parts = [
        f"{p.title} with {FRAMEWORK_LABELS[p.framework]} at {p.roofline.intensity:.3g} FLOP/byte "
        f"reaches {p.roofline.achieved_gflops:.3g} GFLOP/s, {100 * p.roofline.fraction:.1f}% "
        "of its bound"
        for p in points
    ]
    return "Roofline chart of this machine; " + "; ".join(parts) + "."


# The cache ----------------------------------------------------------------------------------


def cache_key(data: Any) -> str:
    """SHA-256 of a chart's data (JSON: floats by their exact repr), this module's source and
    matplotlib's version."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(_salt() + encoded.encode("utf-8")).hexdigest()


def _cached(cache: Path | None, data: Any, draw: Callable[[], bytes]) -> bytes:
    if cache is None:
        return draw()
    path = cache / f"{cache_key(data)}.svg"
    try:
        stored = path.read_bytes()
    except FileNotFoundError:
        stored = b""
    if stored.rstrip().endswith(b"</svg>"):  # anything else (empty, cut short) is redrawn
        return stored
    svg = draw()
    _write_atomically(path, svg)
    return svg


def _write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path`, then rename: a reader (another build running at
    the same time) sees the whole file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@functools.cache
def _salt() -> bytes:
    """What, besides the data, decides a chart's bytes: the drawing code (this file) and the
    matplotlib that runs it. Its version is read from its _version.py, without importing it."""
    spec = find_spec("matplotlib")
    version = b""
    if spec is not None and spec.origin:
        version_file = Path(spec.origin).with_name("_version.py")
        if version_file.is_file():
            version = version_file.read_bytes()
    source = Path(__file__).read_bytes()
    return hashlib.sha256(source).digest() + hashlib.sha256(version).digest()


def _framework_labels() -> list[list[str]]:
    return [[fw, FRAMEWORK_LABELS[fw]] for fw in FRAMEWORKS]


def _summary_data(summary: Any) -> list[float] | None:
    if summary is None:
        return None
    return [float(summary.median), float(summary.ci_low), float(summary.ci_high)]


# Drawing (imports matplotlib) ---------------------------------------------------------------


@functools.cache
def _matplotlib() -> Any:
    """matplotlib with the Agg backend, imported on the first chart actually drawn."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # makes matplotlib.pyplot an attribute of matplotlib
    import matplotlib.ticker

    return matplotlib


def _ink(scheme: str) -> dict[str, Any]:
    """matplotlib settings for a scheme's text and axes colour."""
    ink = INK[scheme]
    keys = ("text.color", "axes.edgecolor", "axes.labelcolor", "xtick.color", "ytick.color")
    return {**STABLE_SVG, **dict.fromkeys(keys, ink)}


def _draw_steady(charted: list[Row], scheme: str) -> bytes:
    matplotlib = _matplotlib()
    plt = matplotlib.pyplot
    colors = COLORS[scheme]
    with matplotlib.rc_context(_ink(scheme)):
        fig, axes = plt.subplots(
            len(charted), 1, figsize=(WIDTH_IN, 0.3 + 1.45 * len(charted)), squeeze=False
        )
        for ax, row in zip(axes[:, 0], charted, strict=True):
            scale, unit = _time_scale(max(s.ci_high for s in (row.pytorch, row.tensorflow) if s))
            for y, framework in enumerate(FRAMEWORKS):
                summary = getattr(row, framework)
                if summary is None:
                    continue
                low = (summary.median - summary.ci_low) / scale
                high = (summary.ci_high - summary.median) / scale
                ax.barh(
                    y,
                    summary.median / scale,
                    color=colors[framework],
                    height=0.6,
                    xerr=[[low], [high]],
                    ecolor=INK[scheme],
                    capsize=3,
                )
            ax.set_yticks(range(len(FRAMEWORKS)), [FRAMEWORK_LABELS[f] for f in FRAMEWORKS])
            ax.invert_yaxis()
            ax.set_xlabel(unit)
            ax.set_title(row.label.split(" (")[0], fontsize=FONT_PT)
            ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def _draw_machines(groups: Sequence[tuple[str, Row]], scheme: str) -> bytes:
    matplotlib = _matplotlib()
    plt = matplotlib.pyplot
    colors = COLORS[scheme]
    drawn = [s for _, row in groups for s in (row.pytorch, row.tensorflow) if s]
    scale, unit = _time_scale(max(s.ci_high for s in drawn))
    # Whole decades on both ends: every panel's axis is labelled at powers of ten.
    low = 10 ** math.floor(math.log10(min(s.ci_low for s in drawn) / scale))
    if low >= min(s.median for s in drawn) / scale:
        low /= 10  # a bar needs a length
    high = 10 ** math.ceil(math.log10(max(s.ci_high for s in drawn) / scale))
    plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
    with matplotlib.rc_context(_ink(scheme)):
        fig, axes = plt.subplots(
            len(groups),
            1,
            figsize=(WIDTH_IN, 0.55 + 1.35 * len(groups)),
            sharex=True,
            squeeze=False,
        )
        for ax, (name, row) in zip(axes[:, 0], groups, strict=True):
            for y, framework in enumerate(FRAMEWORKS):
                summary = getattr(row, framework)
                if summary is None:
                    ax.text(low * 1.15, y, "not measured", va="center", fontsize=FONT_PT)
                    continue
                ax.barh(
                    y,
                    summary.median / scale - low,
                    left=low,
                    color=colors[framework],
                    height=0.6,
                    xerr=[
                        [(summary.median - summary.ci_low) / scale],
                        [(summary.ci_high - summary.median) / scale],
                    ],
                    ecolor=INK[scheme],
                    capsize=3,
                )
            ax.set_xscale("log")
            ax.set_xlim(low, high)
            ax.xaxis.set_major_formatter(plain)
            ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
            ax.set_yticks(range(len(FRAMEWORKS)), [FRAMEWORK_LABELS[f] for f in FRAMEWORKS])
            ax.set_ylim(len(FRAMEWORKS) - 0.5, -0.5)  # PyTorch on top, as in the steady chart
            # A machine's name is data: a `$` in it must not start mathtext.
            ax.set_title(textwrap.fill(name, 42).replace("$", r"\$"), fontsize=FONT_PT)
            ax.spines[["top", "right"]].set_visible(False)
        axes[-1, 0].set_xlabel(f"{unit} per call (log scale)")
        return _svg(fig)


def _time_scale(largest: float) -> tuple[float, str]:
    for scale, unit in ((1, "seconds"), (1e-3, "milliseconds"), (1e-6, "microseconds")):
        if largest >= scale:
            return scale, unit
    return 1e-9, "nanoseconds"


def _draw_roofline(
    roofs: list[tuple[str, float, float]], points: Sequence[RooflinePoint], scheme: str
) -> bytes:
    import numpy as np

    matplotlib = _matplotlib()
    plt = matplotlib.pyplot
    colors = COLORS[scheme]
    intensities = np.logspace(-2, 3, 200)
    with matplotlib.rc_context(_ink(scheme)):
        fig, ax = plt.subplots(figsize=(WIDTH_IN, 3.4))
        one_roof = any(key == MACHINE for key, _, _ in roofs)
        for key, gemm_gflops, triad_gbs in roofs:
            roof = np.minimum(gemm_gflops, intensities * triad_gbs)
            label = MACHINE_LABEL if key == MACHINE else FRAMEWORK_LABELS[key]
            ax.plot(intensities, roof, color=colors[key], label=label)
        labelled: set[str] = set()
        numbers = point_numbers(points)
        for point in points:
            r = point.roofline
            # Under one roof, the points' colours say the framework: the legend names them.
            shown = one_roof and point.framework not in labelled
            legend = FRAMEWORK_LABELS[point.framework] if shown else None
            labelled.add(point.framework)
            ax.scatter(
                [r.intensity],
                [r.achieved_gflops],
                color=colors[point.framework],
                s=18,
                label=legend,
            )
            ax.annotate(
                str(numbers[point.title]),
                (r.intensity, r.achieved_gflops),
                fontsize=FONT_PT,
                xytext=(3, 3),
                textcoords="offset points",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("arithmetic intensity (FLOP/byte)")
        ax.set_ylabel("GFLOP/s")
        ax.legend(frameon=False, fontsize=FONT_PT)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def _svg(fig: Any) -> bytes:
    """The figure as SVG bytes, without the date matplotlib would embed."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None}, transparent=True)
    _matplotlib().pyplot.close(fig)
    return buffer.getvalue()
