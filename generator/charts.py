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
import os
import tempfile
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
COLORS = {"pytorch": "#c2410c", "tensorflow": "#1d4ed8", MACHINE: "#4b5563"}
# Fixed salt and no date: the same numbers give the same SVG bytes.
STABLE_SVG = {"svg.hashsalt": "fieldguide", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
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


def steady_chart(feature: Feature, rows: Sequence[Row], *, cache: Path | None = None) -> bytes:
    """Median with its 95% CI for steady state and first call, one panel each."""
    charted = [r for r in rows if r.quantity in CHARTED and (r.pytorch or r.tensorflow)]
    data = {
        "chart": "steady",
        "frameworks": _framework_labels(),
        "rows": [
            {
                "label": row.label,
                **{fw: _summary_data(getattr(row, fw)) for fw in FRAMEWORKS},
            }
            for row in charted
        ],
    }
    return _cached(cache, data, lambda: _draw_steady(charted))


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


def roofline_chart(
    roofs: Mapping[str, tuple[float, float]],
    points: Sequence[RooflinePoint],
    *,
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
    data = {
        "chart": "roofline",
        "frameworks": _framework_labels(),
        "roofs": [list(roof) for roof in drawn],
        "points": [
            [
                p.title,
                p.framework,
                float(p.roofline.intensity),
                float(p.roofline.achieved_gflops),
            ]
            for p in points
        ],
    }
    return _cached(cache, data, lambda: _draw_roofline(drawn, points))


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

    return matplotlib


def _draw_steady(charted: list[Row]) -> bytes:
    matplotlib = _matplotlib()
    plt = matplotlib.pyplot
    with matplotlib.rc_context(STABLE_SVG):
        fig, axes = plt.subplots(1, len(charted), figsize=(3.4 * len(charted), 2.0), squeeze=False)
        for ax, row in zip(axes[0], charted, strict=True):
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
                    color=COLORS[framework],
                    height=0.6,
                    xerr=[[low], [high]],
                    capsize=3,
                )
            ax.set_yticks(range(len(FRAMEWORKS)), [FRAMEWORK_LABELS[f] for f in FRAMEWORKS])
            ax.invert_yaxis()
            ax.set_xlabel(unit)
            ax.set_title(row.label.split(" (")[0], fontsize=9)
            ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def _time_scale(largest: float) -> tuple[float, str]:
    for scale, unit in ((1, "seconds"), (1e-3, "milliseconds"), (1e-6, "microseconds")):
        if largest >= scale:
            return scale, unit
    return 1e-9, "nanoseconds"


def _draw_roofline(roofs: list[tuple[str, float, float]], points: Sequence[RooflinePoint]) -> bytes:
    import numpy as np

    matplotlib = _matplotlib()
    plt = matplotlib.pyplot
    intensities = np.logspace(-2, 3, 200)
    with matplotlib.rc_context(STABLE_SVG):
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        one_roof = any(key == MACHINE for key, _, _ in roofs)
        for key, gemm_gflops, triad_gbs in roofs:
            roof = np.minimum(gemm_gflops, intensities * triad_gbs)
            label = MACHINE_LABEL if key == MACHINE else FRAMEWORK_LABELS[key]
            ax.plot(intensities, roof, color=COLORS[key], label=label)
        labelled: set[str] = set()
        for point in points:
            r = point.roofline
            # Under one roof, the points' colours say the framework: the legend names them.
            shown = one_roof and point.framework not in labelled
            legend = FRAMEWORK_LABELS[point.framework] if shown else None
            labelled.add(point.framework)
            ax.scatter(
                [r.intensity],
                [r.achieved_gflops],
                color=COLORS[point.framework],
                s=18,
                label=legend,
            )
            ax.annotate(
                point.title,
                (r.intensity, r.achieved_gflops),
                fontsize=7,
                xytext=(4, -10),
                textcoords="offset points",
            )
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("arithmetic intensity (FLOP/byte)")
        ax.set_ylabel("GFLOP/s")
        ax.legend(frameon=False, fontsize=8)
        ax.spines[["top", "right"]].set_visible(False)
        return _svg(fig)


def _svg(fig: Any) -> bytes:
    """The figure as SVG bytes, without the date matplotlib would embed."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    _matplotlib().pyplot.close(fig)
    return buffer.getvalue()
