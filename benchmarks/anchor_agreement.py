"""Does our harness measure what the trusted tools measure?

For each statement, one fresh process per framework alternates, round after round, between our
harness's sampling procedure (generator.harness: warm-up, calibration, GC-off samples) and the
anchor tool: torch.utils.benchmark's Timer.adaptive_autorange for PyTorch, and timeit with the
same warm-up for TensorFlow. Threads are the same for both (torch.utils.benchmark defaults to
one thread, so it is given ours explicitly).

Verdict per statement, from a bootstrap 95% CI of the median ratio over rounds:
  agree              the whole CI lies within +-5%
  disagree           the whole CI lies outside +-5%
  too noisy to tell  anything else: this machine could not settle it

Also prints the harness's own overhead per sample and per loop iteration.

    .venv/bin/python benchmarks/anchor_agreement.py [--rounds 7] [--threads N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import timeit
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TOLERANCE = 0.05
PROTOCOL = {"warmup_calls": 3, "warmup_s": 0.2, "min_sample_s": 0.010, "samples": 10}


def torch_statements(torch):
    rng = np.random.default_rng(0)
    a = torch.from_numpy(rng.standard_normal((512, 512), dtype=np.float32))
    b = torch.from_numpy(rng.standard_normal((512, 512), dtype=np.float32))
    mlp = torch.nn.Sequential(
        torch.nn.Linear(64, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 10),
    )
    x = torch.from_numpy(rng.standard_normal((256, 64), dtype=np.float32))
    y = torch.from_numpy(rng.standard_normal((256, 10), dtype=np.float32))
    opt = torch.optim.SGD(mlp.parameters(), lr=0.01)

    def forward():
        with torch.no_grad():
            return mlp(x)

    def train_step():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(mlp(x), y)
        loss.backward()
        opt.step()
        return loss

    return {
        "matmul 512x512": lambda: a @ b,
        "MLP forward (256x64)": forward,
        "training step (MLP, SGD)": train_step,
    }


def tensorflow_statements(tf):
    import keras

    rng = np.random.default_rng(0)
    a = tf.constant(rng.standard_normal((512, 512), dtype=np.float32))
    b = tf.constant(rng.standard_normal((512, 512), dtype=np.float32))
    mlp = keras.Sequential(
        [
            keras.Input(shape=(64,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )
    x = tf.constant(rng.standard_normal((256, 64), dtype=np.float32))
    y = tf.constant(rng.standard_normal((256, 10), dtype=np.float32))
    opt = keras.optimizers.SGD(learning_rate=0.01)

    @tf.function
    def train_step():
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(mlp(x, training=True) - y))
        grads = tape.gradient(loss, mlp.trainable_variables)
        opt.apply_gradients(zip(grads, mlp.trainable_variables, strict=True))
        return loss

    # .numpy() on the result: eager TF returns before the work is done on some devices.
    return {
        "matmul 512x512": lambda: tf.linalg.matmul(a, b).numpy(),
        "MLP forward (256x64)": lambda: mlp(x, training=False).numpy(),
        "training step (MLP, SGD)": lambda: train_step().numpy(),
    }


def ours(fn, adapter) -> float:
    """The harness's own steady-state procedure (generator/harness.py), step for step."""
    from generator.harness import _calibrate, _gc_paused, _sample, _warm_up

    _, last = _warm_up(lambda _: fn(), None, adapter, PROTOCOL)
    loops = _calibrate(lambda _: fn(), None, adapter, PROTOCOL["min_sample_s"], last)
    with _gc_paused():
        samples = [
            _sample(lambda _: fn(), None, adapter, loops) for _ in range(PROTOCOL["samples"])
        ]
    return float(np.median(samples))


def anchor_torch(torch, fn, threads: int) -> float:
    from torch.utils.benchmark import Timer

    timer = Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads)
    return float(timer.adaptive_autorange(min_run_time=0.2).median)


def anchor_timeit(fn, number_hint: float) -> float:
    for _ in range(PROTOCOL["warmup_calls"]):  # the same warm-up as ours
        fn()
    number = max(1, int(PROTOCOL["min_sample_s"] / max(number_hint, 1e-9)))
    values = timeit.Timer(fn).repeat(repeat=PROTOCOL["samples"], number=number)
    return float(np.median(values) / number)


def child(framework: str, rounds: int, threads: int) -> None:
    """Runs in a fresh process: one framework, every statement, interleaved rounds."""
    from generator.harness import ADAPTERS

    module = __import__("torch" if framework == "pytorch" else "tensorflow")
    adapter = ADAPTERS[framework](module, "cpu", threads)
    statements = (torch_statements if framework == "pytorch" else tensorflow_statements)(module)
    out = {}
    for name, fn in statements.items():
        pairs = []
        for r in range(rounds):
            first_ours = r % 2 == 0  # alternate which tool goes first
            a = ours(fn, adapter) if first_ours else None
            b = (
                anchor_torch(module, fn, threads)
                if framework == "pytorch"
                else anchor_timeit(fn, a or ours(fn, adapter))
            )
            a = a if a is not None else ours(fn, adapter)
            pairs.append((a, b))
        out[name] = pairs
    out["_overhead"] = harness_overhead(adapter)
    print(json.dumps(out))


def harness_overhead(adapter) -> dict[str, float]:
    """What the harness adds to a sample's measured time: with a no-op as the work, a one-call
    sample measures only the device sync, the clock reads and one loop iteration. Also the cost
    of each further loop iteration (loop + call of a no-op)."""
    from generator.harness import _sample

    def noop(_):
        return None

    fixed = [_sample(noop, None, adapter, 1) for _ in range(1000)]
    per_iteration = min(_sample(noop, None, adapter, 100_000) for _ in range(5))
    return {"per_sample_s": float(np.median(fixed)), "per_iteration_s": per_iteration}


def verdict(ratios: list[float]) -> tuple[float, float, float, str]:
    rng = np.random.default_rng(0)
    values = np.asarray(ratios)
    boot = np.median(rng.choice(values, size=(5000, values.size)), axis=1)
    low, high = np.percentile(boot, [2.5, 97.5])
    median = float(np.median(values))
    if low >= 1 - TOLERANCE and high <= 1 + TOLERANCE:
        word = "agree"
    elif high < 1 - TOLERANCE or low > 1 + TOLERANCE:
        word = "DISAGREE"
    else:
        word = "too noisy to tell"
    return median, float(low), float(high), word


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--child", choices=["pytorch", "tensorflow"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rounds, args.threads)
        return
    env = {
        **os.environ,
        "OMP_NUM_THREADS": str(args.threads),
        "MKL_NUM_THREADS": str(args.threads),
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONPATH": str(ROOT),
    }
    print(
        f"load average {os.getloadavg()[0]:.2f}, {args.threads} threads, {args.rounds} "
        f"interleaved rounds, agreement band +-{TOLERANCE:.0%}\n"
    )
    print(
        f"{'framework':<11} {'statement':<26} {'ours':>10} {'anchor':>10} "
        f"{'ratio':>6}  {'95% CI':<13} verdict"
    )
    for framework, anchor in (("pytorch", "torch.utils.benchmark"), ("tensorflow", "timeit")):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                framework,
                "--rounds",
                str(args.rounds),
                "--threads",
                str(args.threads),
            ],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        overhead = data.pop("_overhead")
        for name, pairs in data.items():
            ratios = [a / b for a, b in pairs]
            median, low, high, word = verdict(ratios)
            print(
                f"{framework:<11} {name:<26} {np.median([a for a, _ in pairs]) * 1e6:>8.1f}us "
                f"{np.median([b for _, b in pairs]) * 1e6:>8.1f}us {median:>6.3f}  "
                f"[{low:.3f}, {high:.3f}] {word}  (vs {anchor})"
            )
        per_sample, per_iter = overhead["per_sample_s"], overhead["per_iteration_s"]
        print(
            f"{framework:<11} harness overhead: {per_sample * 1e6:.1f} us per sample = "
            f"{per_sample / PROTOCOL['min_sample_s']:.3%} of a {PROTOCOL['min_sample_s'] * 1e3:g}"
            f" ms sample; loop + call {per_iter * 1e9:.0f} ns per iteration\n"
        )


if __name__ == "__main__":
    main()
