"""A probe of which distribution engine works with the installed versions, and the record of what it found.

Part of mgtutor. Serves notebooks/10_full_training.ipynb §7 (which engine). Nothing imports this module by default:
``distribute.probe``, ``distribute.PROBED`` and the other names here load it on first use, and
``python -m mgtutor probe`` runs it.

:func:`probe` tries, in order, the engines of :data:`~mgtutor.distribute.MULTI_WORKER_ENGINES` (several machines)
and :data:`~mgtutor.distribute.ONE_HOST_ENGINES` (one machine, several devices), each on a tiny linear model trained
for a few SGD steps in fresh processes (two workers on 127.0.0.1), and calls an engine *working* only when it ends
without error, every worker holds the same weights, and those weights equal plain NumPy SGD on the same global
batches. :func:`chosen_engine` returns the first that works. :data:`PROBED` is what the probe found with the
versions pinned by the course: the last line of ``mgtutor/shipped/distribute-probe.jsonl``, written by
``python -m mgtutor probe --record FILE`` (:func:`record`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from mgtutor.data.windows import EpochData
from mgtutor.distribute.multiworker import WorkerShard, fit_loop
from mgtutor.distribute.plan import (
    ENGINES,
    MULTI_WORKER_ENGINES,
    ONE_HOST_ENGINES,
    Cluster,
    Device,
    Engine,
    TrainingPlan,
    free_ports,
    tf_config,
)
from mgtutor.errors import DistributeError

__all__ = ["PROBED", "PROBE_RECORD", "ProbeResult", "PROBE_STEPS", "PROBE_BATCH", "PROBE_LR", "numpy_sgd",
           "run_workers", "probe", "chosen_engine", "choices", "versions", "record", "recorded"]

PROBE_RECORD = "distribute-probe.jsonl"
"""The probe's results shipped with the package (``mgtutor/shipped/``), one JSON line per run, the last one used."""


@dataclass
class ProbeResult:
    """One engine tried by :func:`probe`: ``works`` and a one-line ``detail`` (the error, or how close)."""

    engine: str
    kind: str
    works: bool
    detail: str
    seconds: float


PROBE_STEPS, PROBE_BATCH, PROBE_LR = 4, 16, 0.1


def _probe_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(PROBE_STEPS * PROBE_BATCH, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 0.1).astype("float32")


def numpy_sgd(w: np.ndarray, b: np.ndarray, x: np.ndarray, y: np.ndarray, batch: int, lr: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """The reference: plain SGD on the mean squared error of ``x @ w + b``, one step per batch of ``batch`` rows.

    ∂L/∂w = (2/B) xᵀ(xw + b − y), ∂L/∂b = (2/B) Σ (xw + b − y).
    """
    w, b = np.asarray(w, np.float64), np.asarray(b, np.float64)
    for a in range(0, len(x), batch):
        err = x[a:a + batch] @ w + b - y[a:a + batch]
        w, b = w - lr * 2 / len(err) * x[a:a + batch].T @ err, b - lr * 2 / len(err) * err.sum(0)
    return w, b


def _probe_worker(engine: str, index: int = 0, addresses: Sequence[str] = ()) -> None:
    """Train the probe's linear model with ``engine`` in this process; print one JSON line (run in a subprocess)."""
    import keras

    x, y = _probe_data()
    workers = max(len(addresses), 1)
    cluster = Cluster(tuple(addresses), index) if addresses else None
    shard = WorkerShard(_Arrays((x, y), PROBE_BATCH), index, workers) if cluster else None
    devices = [Device("CPU", f"/cpu:{k}") for k in range(2)]
    plan = TrainingPlan(backend=keras.backend.backend(), engine=engine, cluster=cluster,
                        devices=tuple(d.name for d in devices))

    def build():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(PROBE_LR), loss="mse")
        return model

    out = {"index": index}
    try:
        with plan.scope() as strategy:  # a JAX distribution must be active while fit runs, not only at build
            model = build()
            out["initial"] = [np.asarray(w).tolist() for w in model.get_weights()]
            if engine == "tf-mwms-loop":
                fit_loop(model, strategy, shard, 1)
            elif engine == "tf-mwms-fit":
                import tensorflow as tf

                ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(PROBE_BATCH)
                model.fit(ds, epochs=1, verbose=0, shuffle=False)
            elif engine == "jax-multiprocess":
                xs, ys = shard.epoch(0)
                model.fit(xs, ys, batch_size=shard.batch_size, epochs=1, verbose=0, shuffle=False)
            else:  # one host: fit on the global batches; the engine splits them over the devices
                model.fit(x, y, batch_size=PROBE_BATCH, epochs=1, verbose=0, shuffle=False)
            out["replicas"] = _replicas_of(model.weights[0], strategy)
            out["final"] = [np.asarray(w).tolist() for w in model.get_weights()]
    except Exception as exc:  # the point of a probe: report any failure as one line
        message = re.sub(r"PerReplica:\{.*", "PerReplica:{…}) …", " ".join(str(exc).split()))
        out["error"] = f"{type(exc).__name__}: {message[:300]}"
    print("PROBE " + json.dumps(out), flush=True)


def _replicas_of(variable, strategy) -> int:
    """How many devices hold a copy of ``variable`` (all processes together)."""
    if strategy is not None:
        return int(strategy.num_replicas_in_sync)
    value = getattr(variable, "value", variable)
    sharding = getattr(value, "sharding", None)
    return len(sharding.device_set) if sharding is not None else 1


class _Arrays(EpochData):
    def __init__(self, arrays, batch_size):
        self.arrays, self.batch_size, self.examples_per_epoch = arrays, batch_size, len(arrays[0])

    def epoch(self, epoch=0):
        return self.arrays


def _probe_env(engine: str, index: int, addresses: Sequence[str]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("TF_CONFIG", "XLA_FLAGS", "CI")}
    env.update({"KERAS_BACKEND": "jax" if engine.startswith("jax") else "tensorflow", "TF_CPP_MIN_LOG_LEVEL": "2",
                "TF_ENABLE_ONEDNN_OPTS": "0", "CUDA_VISIBLE_DEVICES": ""})
    if engine.startswith("tf-mwms"):
        env["TF_CONFIG"] = tf_config(addresses, index)
    if engine == "jax-data-parallel":
        env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    return env


def _probe_command(engine: str, index: int, addresses: Sequence[str]) -> list[str]:
    setup = ("from mgtutor.distribute import use_cpu_devices; use_cpu_devices(2, 'tensorflow'); "
             if engine == Engine.TF_MIRRORED else "")
    code = (f"import mgtutor.config; {setup}from mgtutor.distribute.probing import _probe_worker; "
            f"_probe_worker({str(engine)!r}, {index}, {list(addresses)!r}); import os; os._exit(0)")
    return [sys.executable, "-c", code]


def run_workers(commands: Sequence[list[str]], envs: Sequence[dict], timeout: float) -> list[tuple[int, str, str]]:
    """Start every command at once, wait up to ``timeout`` seconds in all, kill what is left.

    Returns:
        (return code, stdout, stderr) per command; a killed one has return code −9.
    """
    procs = [subprocess.Popen(c, env=e, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for c, e in zip(commands, envs, strict=True)]
    deadline, out = time.monotonic() + timeout, []
    for p in procs:
        try:
            stdout, stderr = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            stdout, stderr = p.communicate()
        out.append((p.returncode, stdout, stderr))
    return out


def _judge(engine: str, reports: list[dict | None], errors: list[str]) -> tuple[bool, str]:
    if any(r is None for r in reports):
        return False, "fails: " + (errors[0] if errors else "no report")
    failed = [r["error"] for r in reports if "error" in r]
    if failed:
        return False, "fails: " + failed[0]
    if any(r.get("replicas", 1) < 2 for r in reports):
        return False, f"fails: trained on {reports[0].get('replicas', 1)} device(s), not 2"
    finals = [np.concatenate([np.ravel(w) for w in r["final"]]) for r in reports]
    if any(not np.array_equal(finals[0], f) for f in finals[1:]):
        return False, "fails: the workers end with different weights"
    x, y = _probe_data()
    w, b = numpy_sgd(np.array(reports[0]["initial"][0]), np.array(reports[0]["initial"][1]), x, y, PROBE_BATCH,
                     PROBE_LR)
    gap = float(np.abs(finals[0] - np.concatenate([w.ravel(), b.ravel()])).max())
    if gap > 1e-5:
        return False, f"fails: weights differ from NumPy SGD on the global batches by {gap:.1e}"
    where = f"{len(reports)} workers equal, " if len(reports) > 1 else f"{reports[0]['replicas']} devices, "
    return True, f"works: {where}equal to NumPy SGD on the global batch (max |Δ| {gap:.0e})"


def probe(engines: Sequence[str] | None = None, timeout: float = 120.0) -> list[ProbeResult]:
    """Try each engine on a tiny linear model in fresh processes (two workers on 127.0.0.1 for a multi-worker
    engine; two logical CPU devices for a one-host engine) and say which work.

    An engine works when every process ends without error with the same weights, equal (to 1e-5) to
    :func:`numpy_sgd` on the same global batches of 16 from the same initial weights.
    Args:
        engines: :class:`~mgtutor.distribute.Engine` members or their names (default: all, multi-worker ones
            first, in the probe's order).
        timeout: seconds per engine before its processes are killed.
    Returns:
        One :class:`ProbeResult` per engine, in order.
    See: notebooks/10_full_training.ipynb §6.
    """
    engines = list(engines or (*MULTI_WORKER_ENGINES, *ONE_HOST_ENGINES))
    unknown = [e for e in engines if e not in ENGINES]
    if unknown:
        raise DistributeError(f"unknown engine(s) {unknown}; known: {', '.join(ENGINES)}")
    results = []
    for engine in map(Engine, engines):
        start = time.monotonic()
        multi = engine.multi_worker
        addresses = [f"127.0.0.1:{p}" for p in free_ports(2)] if multi else []
        indices = range(2) if multi else range(1)
        outs = run_workers([_probe_command(engine, i, addresses) for i in indices],
                           [_probe_env(engine, i, addresses) for i in indices], timeout)
        reports, errors = [], []
        for code, stdout, stderr in outs:
            lines = [ln for ln in stdout.splitlines() if ln.startswith("PROBE ")]
            reports.append(json.loads(lines[-1][6:]) if lines else None)
            if not lines:
                tail = [ln for ln in stderr.strip().splitlines() if ln.strip()]
                errors.append("killed after the timeout" if code == -9 else (tail[-1][:300] if tail else
                                                                              f"exit status {code}"))
        works, detail = _judge(engine, reports, errors)
        results.append(ProbeResult(engine.value, "multi-worker" if multi else "one-host", works, detail,
                                   time.monotonic() - start))
    return results


def chosen_engine(results: Sequence[ProbeResult], kind: str = "multi-worker", backend: str | None = None
                  ) -> str | None:
    """The first working engine of ``kind`` (``"multi-worker"`` or ``"one-host"``), in the probe's order
    (``backend`` keeps only that backend's engines); None when none works."""
    prefix = {"tensorflow": "tf-", "jax": "jax-", None: ""}[backend]
    for r in results:
        if r.kind == kind and r.works and r.engine.startswith(prefix):
            return r.engine
    return None


def versions() -> dict[str, str]:
    """The versions a probe result depends on: TensorFlow, Keras, JAX, Python."""
    import platform
    from importlib import metadata

    out = {}
    for package, dist in (("tensorflow", ("tensorflow", "tensorflow-cpu")), ("keras", ("keras",)),
                          ("jax", ("jax",))):
        for name in dist:
            with contextlib.suppress(metadata.PackageNotFoundError):
                out[package] = metadata.version(name)
                break
    out["python"] = ".".join(platform.python_version_tuple()[:2])
    return out


def choices(results: Sequence[ProbeResult]) -> dict:
    """The engines :func:`chosen_engine` picks from ``results``: ``{"multi-worker": …, "one-host": {"tensorflow": …,
    "jax": …}}``."""
    return {"multi-worker": chosen_engine(results),
            "one-host": {b: chosen_engine(results, "one-host", b) for b in ("tensorflow", "jax")}}


def record(results: Sequence[ProbeResult], command: str = "python -m mgtutor probe") -> dict:
    """The line :data:`PROBED` reads: the versions, each engine's verdict, the engines chosen, and the command."""
    return {"versions": versions(), "results": {str(r.engine): r.detail for r in results},
            "chosen": json.loads(json.dumps(choices(results))), "command": command}


def recorded() -> dict:
    """The last line of the shipped probe record (:data:`PROBE_RECORD`)."""
    text = resources.files("mgtutor").joinpath("shipped", PROBE_RECORD).read_text(encoding="utf-8")
    return json.loads([line for line in text.splitlines() if line.strip()][-1])


PROBED = recorded()
"""What :func:`probe` found with the course's pinned versions (``python -m mgtutor probe`` runs it again):
``{"versions": …, "results": {engine: verdict}, "chosen": …, "command": …}``."""
