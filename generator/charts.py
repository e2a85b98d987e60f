"""SVG charts rendered at build time with matplotlib: no JavaScript, no CDN, byte-stable output."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .model import FRAMEWORK_LABELS, FRAMEWORKS, Feature

if TYPE_CHECKING:
    from .render import Row

COLORS = {"pytorch": "#c2410c", "tensorflow": "#1d4ed8"}
# Fixed salt and no date: the same numbers give the same SVG bytes.
STABLE_SVG = {"svg.hashsalt": "fieldguide", "svg.fonttype": "path", "font.family": "DejaVu Sans"}
CHARTED = ("steady", "first_call")


def steady_chart(feature: Feature, rows: list[Row] | tuple[Row, ...]) -> bytes:
    """Median with its 95% CI for steady state and first call, one panel each."""
    charted = [r for r in rows if r.quantity in CHARTED and (r.pytorch or r.tensorflow)]
    with matplotlib.rc_context(STABLE_SVG):  # type: ignore[arg-type]
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


def alt_text(feature: Feature, rows: list[Row] | tuple[Row, ...]) -> str:
    from .render import format_value

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


def _time_scale(largest: float) -> tuple[float, str]:
    for scale, unit in ((1, "seconds"), (1e-3, "milliseconds"), (1e-6, "microseconds")):
        if largest >= scale:
            return scale, unit
    return 1e-9, "nanoseconds"


def roofline_chart(record: dict, points) -> bytes:
    """Log-log roofline per framework with each feature's achieved steady state."""
    from .peaks import best_peaks

    intensities = np.logspace(-2, 3, 200)
    with matplotlib.rc_context(STABLE_SVG):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(6.4, 3.6))
        for framework in FRAMEWORKS:
            best = best_peaks(record, framework)
            if "gemm_fp32_gflops" not in best or "triad_gbs" not in best:
                continue
            roof = np.minimum(best["gemm_fp32_gflops"], intensities * best["triad_gbs"])
            ax.plot(intensities, roof, color=COLORS[framework], label=FRAMEWORK_LABELS[framework])
        for point in points:
            r = point.roofline
            ax.scatter([r.intensity], [r.achieved_gflops], color=COLORS[point.framework], s=18)
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


def roofline_alt(points) -> str:
    parts = [
        f"{p.title} with {FRAMEWORK_LABELS[p.framework]} at {p.roofline.intensity:.3g} FLOP/byte "
        f"reaches {p.roofline.achieved_gflops:.3g} GFLOP/s, {100 * p.roofline.fraction:.1f}% "
        "of its bound"
        for p in points
    ]
    return "Roofline chart of this machine; " + "; ".join(parts) + "."


def _svg(fig) -> bytes:
    """The figure as SVG bytes, without the date matplotlib would embed."""
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()
