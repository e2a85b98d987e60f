"""What a snippet's first call returned, decoded, and the comparison of two such results.

Two results are compared in two places: the two frameworks' (stage 4, on the page) and two
processes of the same snippet (stage 2, the runner's non-determinism check). Both use the same
rule, so "the same result" means one thing on the whole site.

An array of more than SKETCH_ABOVE elements is stored as a sketch (`sketched`): the elements at
SKETCH_SAMPLES evenly spaced positions, plus its sums and its counts of NaN and infinities. The
runner's own check sees the whole array; the page compares what is stored. A sketch is compared
to a sketch (or to a whole array, sketched the same way) on the sampled elements with the usual
rule and on its sums with bounds that the elementwise rule implies, so a pair of arrays that
would pass elementwise always passes, and the page says the comparison was on a sample.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from .model import Tolerance

SIDES = ("PyTorch", "TensorFlow")


class Agreement(enum.StrEnum):
    """Whether two results are the same."""

    MATCH = "match"
    MISMATCH = "mismatch"
    NOT_COMPARED = "not compared"  # declared: the outputs cannot be compared
    NOT_AVAILABLE = "not available"  # a side has no successful result


@dataclass(frozen=True)
class Equivalence:
    verdict: Agreement
    detail: str
    max_abs_diff: float | None = None
    max_rel_diff: float | None = None
    structural: bool = False  # a different structure or shape: no tolerance would help
    sampled: bool = False  # a large array was compared on its stored sample and sums


SKETCH_ABOVE = 4096
SKETCH_SAMPLES = 2048


@dataclass(frozen=True)
class Sketch:
    """What is stored of a large array: the shape, the dtype, the elements at `positions(size)`
    of the flattened array, and sums over its finite elements."""

    dtype: str
    shape: tuple[int, ...]
    sample: np.ndarray
    total: float  # sum of the finite elements
    magnitude: float  # sum of their absolute values
    nan: int
    posinf: int
    neginf: int

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @classmethod
    def of(cls, array: np.ndarray) -> Sketch:
        flat = np.asarray(array).ravel()
        values = flat.astype(float)
        finite = values[np.isfinite(values)]
        return cls(
            str(array.dtype),
            tuple(int(n) for n in array.shape),
            flat[positions(flat.size)],
            float(finite.sum()),
            float(np.abs(finite).sum()),
            int(np.isnan(values).sum()),
            int(np.isposinf(values).sum()),
            int(np.isneginf(values).sum()),
        )

    def encode(self) -> dict[str, Any]:
        return {
            "__sketch__": {
                "dtype": self.dtype,
                "shape": list(self.shape),
                "sample": self.sample.tolist(),
                "total": self.total,
                "magnitude": self.magnitude,
                "nan": self.nan,
                "posinf": self.posinf,
                "neginf": self.neginf,
            }
        }

    @classmethod
    def decode(cls, spec: dict[str, Any]) -> Sketch:
        fields = dict(spec)
        fields["shape"] = tuple(fields["shape"])
        fields["sample"] = np.asarray(fields["sample"], dtype=fields["dtype"])
        return cls(**fields)

    def __str__(self) -> str:
        with np.printoptions(precision=6, threshold=6, edgeitems=3):
            return (
                f"array of shape {self.shape}, {self.dtype} (stored as a sample of "
                f"{self.sample.size:,} of its {self.size:,} elements: {self.sample})"
            )


def positions(size: int) -> np.ndarray:
    """The sampled positions of a flattened array of `size` elements, first and last included:
    the same for every array of that size, so two sketches sample the same elements."""
    return np.unique(np.linspace(0, size - 1, min(size, SKETCH_SAMPLES)).round().astype(np.int64))


def sketched(value: Any) -> Any:
    """An encoded result with every array of more than SKETCH_ABOVE elements as its sketch."""
    if isinstance(value, dict) and set(value) == {"__array__"}:
        spec = value["__array__"]
        if int(np.prod(spec["shape"])) <= SKETCH_ABOVE:
            return value
        return Sketch.of(decode_output(value)).encode()
    if isinstance(value, dict):
        return {k: sketched(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sketched(v) for v in value]
    return value


def compare_outputs(
    first: Any, second: Any, tolerance: Tolerance, sides: tuple[str, str] = SIDES
) -> Equivalence:
    """Two encoded results, elementwise and symmetric: |a - b| <= atol + rtol * max(|a|, |b|).
    NaNs at the same places match; `sides` names the two in every message."""
    one, two = sides
    try:
        pairs = list(_leaves(decode_output(first), decode_output(second), "", sides))
    except ValueError as exc:
        return Equivalence(Agreement.MISMATCH, str(exc), structural=True)
    max_abs = max_rel = 0.0
    failing, structural, nans, sampled = [], [], 0, []
    for where, a, b in pairs:
        name = where or "result"
        if isinstance(a, str) or isinstance(b, str):
            if a != b:
                failing.append(f"{name}: {a!r} ({one}) != {b!r} ({two})")
            continue
        if isinstance(a, Sketch) or isinstance(b, Sketch):
            a, b = (v if isinstance(v, Sketch) else Sketch.of(np.asarray(v)) for v in (a, b))
            if a.shape != b.shape:
                structural.append(f"{name}: shape {a.shape} from {one}, {b.shape} from {two}")
                continue
            failing += _sums_differ(name, a, b, tolerance, sides)
            sampled.append((name, a.sample.size, a.size))
            a, b = a.sample, b.sample
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        if a.shape != b.shape:
            structural.append(f"{name}: shape {a.shape} from {one}, {b.shape} from {two}")
            continue
        if a.size == 0:
            continue
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        nans += int((nan_a & nan_b).sum())  # NaN at the same place on both sides: a match
        for only, side in ((nan_a & ~nan_b, one), (nan_b & ~nan_a, two)):
            if only.any():
                failing.append(
                    f"{name}: NaN from {side} only, at {_index(only)} "
                    f"({int(only.sum())} of {a.size} elements)"
                )
        both = ~(nan_a | nan_b)
        x, y = a[both], b[both]
        with np.errstate(invalid="ignore"):
            diff = np.where(x == y, 0.0, np.abs(x - y))  # equal infinities differ by nothing
        scale = np.maximum(np.abs(x), np.abs(y))
        rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
        if diff.size:
            max_abs, max_rel = max(max_abs, float(diff.max())), max(max_rel, float(rel.max()))
        outside = ~(diff <= tolerance.atol + tolerance.rtol * scale)
        if outside.any():
            worst = int(np.argmax(np.where(outside, diff, -1.0)))
            at = np.argwhere(both)[worst]
            where_ = (
                f" {int(outside.sum())} of {a.size} elements differ, the most at {_index_of(at)}:"
                if a.size > 1
                else ""
            )
            failing.append(
                f"{name}:{where_} {one} {x[worst]:.6g}, {two} {y[worst]:.6g} "
                f"(|diff| {diff[worst]:.3g})"
            )
    bounds = f"rtol={tolerance.rtol:g}, atol={tolerance.atol:g}"
    if structural:
        return Equivalence(
            Agreement.MISMATCH,
            "Different layouts: " + "; ".join(structural[:5]) + ". Both must return "
            "the same keys, shapes and layout.",
            structural=True,
        )
    scope = _sample_scope(sampled)
    if failing:
        return Equivalence(
            Agreement.MISMATCH,
            f"Outside {bounds}. " + "; ".join(failing[:5]) + "." + scope,
            max_abs,
            max_rel,
            sampled=bool(sampled),
        )
    same_nans = f" {nans} NaN(s) at the same positions in both." if nans else ""
    return Equivalence(
        Agreement.MATCH,
        f"Equal within {bounds}.{same_nans}{scope}",
        max_abs,
        max_rel,
        sampled=bool(sampled),
    )


def _sums_differ(
    name: str, a: Sketch, b: Sketch, tolerance: Tolerance, sides: tuple[str, str]
) -> list[str]:
    """What the sketches' sums and counts show to differ. Elementwise agreement implies
    |sum a - sum b| <= n * atol + rtol * (sum |a| + sum |b|), and the same bound for the sums
    of absolute values, so these checks never fail a pair that would pass elementwise."""
    failing = []
    for count in ("nan", "posinf", "neginf"):
        if getattr(a, count) != getattr(b, count):
            failing.append(
                f"{name}: {getattr(a, count)} {count} element(s) from {sides[0]}, "
                f"{getattr(b, count)} from {sides[1]}"
            )
    bound = a.size * tolerance.atol + tolerance.rtol * (a.magnitude + b.magnitude)
    for label, x, y in (("sum", a.total, b.total), ("sum of |x|", a.magnitude, b.magnitude)):
        if abs(x - y) > bound:
            failing.append(
                f"{name}: {label} {x:.6g} ({sides[0]}) vs {y:.6g} ({sides[1]}), more apart "
                f"than the tolerance allows over {a.size:,} elements ({bound:.3g})"
            )
    return failing


def _sample_scope(sampled: list[tuple[str, int, int]]) -> str:
    if not sampled:
        return ""
    parts = ", ".join(f"{name} on {k:,} of {n:,} elements" for name, k, n in sampled[:3])
    more = f" and {len(sampled) - 3} more arrays" if len(sampled) > 3 else ""
    return (
        f" Large arrays are stored as samples: compared {parts}{more}, and on their sums, "
        "NaN and infinity counts; the largest differences are the sample's."
    )


def _index(mask: np.ndarray) -> str:
    """Where the first True of a mask is, as an index ("[2, 0]"; "[]" for a scalar)."""
    return _index_of(np.argwhere(mask)[0])


def _index_of(at: np.ndarray) -> str:
    return f"[{', '.join(str(int(i)) for i in at)}]"


def decode_output(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"__array__"}:
        spec = value["__array__"]
        return np.asarray(spec["data"], dtype=spec["dtype"]).reshape(spec["shape"])
    if isinstance(value, dict) and set(value) == {"__sketch__"}:
        return Sketch.decode(value["__sketch__"])
    if isinstance(value, dict):
        return {k: decode_output(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_output(v) for v in value]
    return value


def _leaves(a: Any, b: Any, where: str, sides: tuple[str, str]) -> Iterator[tuple[str, Any, Any]]:
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict)) or set(a) != set(b):
            keys_a = sorted(a) if isinstance(a, dict) else type(a).__name__
            keys_b = sorted(b) if isinstance(b, dict) else type(b).__name__
            raise ValueError(
                f"{where or 'result'}: {sides[0]} returned {keys_a}, {sides[1]} "
                f"returned {keys_b}; both must return the same structure."
            )
        for key in sorted(a):
            yield from _leaves(a[key], b[key], f"{where}.{key}" if where else key, sides)
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            raise ValueError(f"{where or 'result'}: lists of length {len(a)} vs {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _leaves(x, y, f"{where}[{i}]", sides)
    else:
        yield where, a, b
