"""Where and how a run trains: the engines, the workers of a cluster, the devices of this machine, and the plan
that turns them into the decisions a run makes — then trains on them.

Part of mgtutor. Serves notebooks/10_full_training.ipynb §3 (the plan of a run), §6 (GPU: mixed precision and XLA)
and §7 (several devices, several machines, which engine). :func:`plan_training` is pure (a faked device list shows
what a GPU machine would do); :meth:`TrainingPlan.scope` builds a model where the plan says, and
:meth:`TrainingPlan.fit` trains it there.
"""

from __future__ import annotations

import contextlib
import enum
import json
import os
import socket
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field

from mgtutor import config
from mgtutor.data.windows import EpochData
from mgtutor.distribute.batch import _positive_int
from mgtutor.distribute.multiworker import WorkerShard, fit_loop
from mgtutor.errors import DistributeError

__all__ = ["Engine", "MULTI_WORKER_ENGINES", "ONE_HOST_ENGINES", "ENGINES", "MULTI_WORKER_DEFAULT",
           "DISTRIBUTE_CHOICES", "free_ports", "tf_config", "Cluster", "cluster_from_env", "Device", "local_devices",
           "use_cpu_devices", "TrainingPlan", "join_cluster", "plan_training"]

DISTRIBUTE_CHOICES = ("mirrored", "multi-worker")
"""``--distribute``: ``mirrored`` = every device of this machine; ``multi-worker`` = several machines."""


class Engine(str, enum.Enum):
    """A way to train on several devices or machines. Each is a ``str`` equal to its name
    (``Engine.TF_MIRRORED == "tf-mirrored"``), so everything that takes an engine takes its name too.

    See: notebooks/10_full_training.ipynb §6.
    """

    TF_MWMS_FIT = "tf-mwms-fit"
    TF_MWMS_LOOP = "tf-mwms-loop"
    JAX_MULTIPROCESS = "jax-multiprocess"
    TF_MIRRORED = "tf-mirrored"
    JAX_DATA_PARALLEL = "jax-data-parallel"

    __str__ = str.__str__
    __format__ = str.__format__

    @property
    def backend(self) -> str:
        """The Keras backend it runs on: ``"tensorflow"`` or ``"jax"``."""
        return "jax" if self.value.startswith("jax-") else "tensorflow"

    @property
    def multi_worker(self) -> bool:
        """Does it train on several machines?"""
        return self in MULTI_WORKER_ENGINES


MULTI_WORKER_ENGINES = (Engine.TF_MWMS_FIT, Engine.TF_MWMS_LOOP, Engine.JAX_MULTIPROCESS)
"""Several machines, in the order the probe tries them."""
ONE_HOST_ENGINES = (Engine.TF_MIRRORED, Engine.JAX_DATA_PARALLEL)
"""One machine, several devices: one engine per Keras backend."""
ENGINES = {
    Engine.TF_MWMS_FIT: "Keras fit under tf.distribute.MultiWorkerMirroredStrategy",
    Engine.TF_MWMS_LOOP: "a custom loop running model.train_step through strategy.run under "
                         "MultiWorkerMirroredStrategy",
    Engine.JAX_MULTIPROCESS: "JAX processes joined by keras.distribution.initialize, with DataParallel and fit",
    Engine.TF_MIRRORED: "Keras fit under tf.distribute.MirroredStrategy",
    Engine.JAX_DATA_PARALLEL: "Keras fit with keras.distribution.DataParallel on the JAX backend",
}
"""What each engine is, in words."""
MULTI_WORKER_DEFAULT = {"tensorflow": Engine.TF_MWMS_LOOP, "jax": Engine.JAX_MULTIPROCESS}
"""The engine ``--distribute multi-worker`` uses on each backend: the one the probe chose (``distribute.PROBED``)."""


# --------------------------------------------------------------------------- clusters
def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """``n`` TCP ports free on ``host`` right now (for workers started next)."""
    socks = []
    try:
        for _ in range(_positive_int("n", n)):
            s = socket.socket()
            s.bind((host, 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def tf_config(addresses: Sequence[str], index: int) -> str:
    """The ``TF_CONFIG`` value of worker ``index`` in a cluster of ``addresses`` (``host:port`` each).

    Every machine runs the same command with its own ``TF_CONFIG``; worker 0 is the chief.
    Raises:
        DistributeError: no address, a malformed one, or an index outside the cluster.
    See: notebooks/10_full_training.ipynb §6.
    """
    addresses = list(addresses)
    if not addresses or any(not isinstance(a, str) or ":" not in a or not a.rsplit(":", 1)[1].isdigit()
                            for a in addresses):
        raise DistributeError(f"worker addresses must be 'host:port' strings, got {addresses!r}")
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < len(addresses):
        raise DistributeError(f"worker index must be in 0…{len(addresses) - 1}, got {index!r}")
    return json.dumps({"cluster": {"worker": addresses}, "task": {"type": "worker", "index": index}})


@dataclass(frozen=True)
class Cluster:
    """The workers of a multi-worker run and which one this process is (0 = the chief, which writes the run)."""

    addresses: tuple[str, ...]
    index: int

    @property
    def size(self) -> int:
        return len(self.addresses)

    @property
    def is_chief(self) -> bool:
        return self.index == 0


def cluster_from_env(environ=None) -> Cluster | None:
    """The cluster named by ``TF_CONFIG`` (None when it is unset).

    Raises:
        DistributeError: ``TF_CONFIG`` is not the JSON :func:`tf_config` writes.
    """
    environ = os.environ if environ is None else environ
    text = environ.get("TF_CONFIG")
    if not text:
        return None
    try:
        spec = json.loads(text)
        addresses, index = spec["cluster"]["worker"], spec["task"]["index"]
    except (ValueError, KeyError, TypeError):
        raise DistributeError("TF_CONFIG must be JSON like {\"cluster\": {\"worker\": [\"host:port\", …]}, "
                              "\"task\": {\"type\": \"worker\", \"index\": 0}}") from None
    tf_config(addresses, index)  # the same checks
    return Cluster(tuple(addresses), int(index))


# --------------------------------------------------------------------------- devices and the decisions they imply
@dataclass(frozen=True)
class Device:
    """One accelerator or CPU as the runtime lists it: ``kind`` is ``"CPU"`` or ``"GPU"``; ``compute`` is a GPU's
    compute capability (major, minor) when known."""

    kind: str
    name: str = ""
    compute: tuple[int, int] | None = None


def local_devices(backend: str | None = None) -> list[Device]:
    """The devices the Keras backend will train on, on this machine: GPUs, and the CPU (split into as many logical
    devices as :func:`use_cpu_devices` asked for). Listing them does not start TensorFlow's runtime, so a
    ``MultiWorkerMirroredStrategy`` can still be created afterwards."""
    backend = backend or config.backend()
    if backend == "jax":
        import jax

        return [Device("GPU" if d.platform in ("gpu", "cuda", "rocm") else d.platform.upper(), str(d))
                for d in jax.local_devices()]
    import tensorflow as tf

    out = []
    for k, gpu in enumerate(tf.config.list_physical_devices("GPU")):
        compute = None
        with contextlib.suppress(Exception):
            compute = tf.config.experimental.get_device_details(gpu).get("compute_capability")
        out.append(Device("GPU", f"/gpu:{k}", tuple(compute) if compute else None))
    cpu = tf.config.list_physical_devices("CPU")[0]
    logical = tf.config.get_logical_device_configuration(cpu) or [None]
    return out + [Device("CPU", f"/cpu:{k}") for k in range(len(logical))]


def use_cpu_devices(n: int, backend: str | None = None) -> None:
    """Split this machine's CPU into ``n`` logical devices, to try ``--distribute mirrored`` without GPUs.

    Must run before the backend's runtime starts: TensorFlow through ``tf.config.set_logical_device_configuration``
    (before any op runs), JAX through ``XLA_FLAGS=--xla_force_host_platform_device_count=n`` (before ``jax`` is
    imported).
    Raises:
        DistributeError: the runtime has started already (the message says to run in a fresh process).
    See: notebooks/10_full_training.ipynb §6.
    """
    n = _positive_int("cpu devices", n)
    backend = backend or config.backend()
    if backend == "jax":
        if "jax" in sys.modules:
            raise DistributeError("split the CPU before JAX is imported: run in a fresh process")
        flags = [f for f in os.environ.get("XLA_FLAGS", "").split() if "host_platform_device_count" not in f]
        os.environ["XLA_FLAGS"] = " ".join([*flags, f"--xla_force_host_platform_device_count={n}"])
        return
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        if len(tf.config.list_logical_devices("CPU")) != n:
            raise DistributeError("split the CPU before TensorFlow's runtime starts: run in a fresh process") from None


@dataclass
class TrainingPlan:
    """Where and how a run trains: what :func:`plan_training` decided, and why.

    Attributes:
        backend: the Keras backend.
        distribute: ``None`` (one device), ``"mirrored"`` or ``"multi-worker"``.
        engine: the :class:`Engine` (None for one device; its name is accepted too).
        replicas: how many model copies share each global batch.
        devices: the device names this process trains on.
        policy: the Keras dtype policy (``"float32"`` or ``"mixed_float16"``).
        loss_scaling: wrap the optimizer in ``LossScaleOptimizer`` (Keras does it in ``compile`` under
            ``mixed_float16``).
        jit_compile: compile each step with XLA.
        cluster: the workers, for ``multi-worker``.
        notes: one line per decision, for the log and the notebook.
    """

    backend: str = "tensorflow"
    distribute: str | None = None
    engine: Engine | None = None
    replicas: int = 1
    devices: tuple[str, ...] = ()
    policy: str = "float32"
    loss_scaling: bool = False
    jit_compile: bool = False
    cluster: Cluster | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.engine is not None and not isinstance(self.engine, Engine):
            if self.engine not in ENGINES:
                raise DistributeError(f"unknown engine {self.engine!r}; known: {', '.join(ENGINES)}")
            self.engine = Engine(self.engine)

    @property
    def is_chief(self) -> bool:
        """Does this process write the run directory (always, except on workers other than 0)?"""
        return self.cluster is None or self.cluster.is_chief

    def record(self) -> dict:
        """The plan as JSON-able data, for a run's config.json (where a run ran, not what it is)."""
        out = asdict(self)
        out["cluster"] = None if self.cluster is None else {"workers": self.cluster.size, "index": self.cluster.index}
        out["devices"] = list(self.devices)
        out["engine"] = None if self.engine is None else self.engine.value
        return out

    def run_path(self, out):
        """The run directory of this process: ``out`` for the chief, ``out.worker-K`` for worker K > 0 (each
        worker keeps its own checkpoints, so it can resume without a shared disk)."""
        from pathlib import Path

        out = Path(out)
        return out if self.is_chief else out.with_name(f"{out.name}.worker-{self.cluster.index}")

    def barrier(self) -> None:
        """Wait until every worker gets here (multi-worker TensorFlow only): the chief hosts the cluster's
        coordination service, so it must not exit while another worker still works."""
        if self.engine == Engine.TF_MWMS_LOOP:
            import tensorflow as tf

            strategy = _tf_strategy(self)
            strategy.reduce("SUM", strategy.run(lambda: tf.constant(1.0)), axis=None)

    @contextlib.contextmanager
    def scope(self) -> Iterator[object]:
        """Build the model inside this: the dtype policy and the distribution scope (yields the strategy or
        ``None``). The previous policy and distribution are restored on exit."""
        import keras

        old_policy = keras.config.dtype_policy()
        keras.config.set_dtype_policy(self.policy)
        try:
            if self.engine is not None and self.engine.backend == "tensorflow":
                strategy = _tf_strategy(self)
                with strategy.scope():
                    yield strategy
            elif self.engine is not None:
                old = keras.distribution.distribution()
                if self.engine == Engine.JAX_MULTIPROCESS:
                    _jax_initialize(self.cluster)
                keras.distribution.set_distribution(keras.distribution.DataParallel(
                    auto_shard_dataset=self.engine != Engine.JAX_MULTIPROCESS))
                try:
                    yield None
                finally:
                    keras.distribution.set_distribution(old)
            else:
                yield None
        finally:
            keras.config.set_dtype_policy(old_policy)

    def fit(self, model, train: EpochData, valid: EpochData | None = None, first_epoch: int = 0, epochs: int = 1,
            callbacks: Sequence = (), verbose: int = 0) -> None:
        """Train ``model`` (built inside :meth:`scope`) from ``first_epoch`` up to ``epochs`` with this plan's engine.

        On one device, or the devices of one machine, it is Keras' ``fit`` on the global batches of ``train``, which
        the engine splits over the devices. On several machines each worker trains on its :class:`WorkerShard` of
        every global batch (and of ``valid``, padded so every example counts once): through :func:`fit_loop` for
        ``tf-mwms-loop``, through ``fit`` for ``jax-multiprocess``. Epoch e is fed as epoch e of ``train``.
        See: notebooks/10_full_training.ipynb §7.
        """
        if self.engine in (Engine.TF_MWMS_LOOP, Engine.JAX_MULTIPROCESS):
            local = max(self.replicas // self.cluster.size, 1)
            train = WorkerShard(train, self.cluster.index, self.cluster.size, local)
            valid = None if valid is None else WorkerShard(valid, self.cluster.index, self.cluster.size, local,
                                                           pad=True)
            if self.engine == Engine.TF_MWMS_LOOP:
                fit_loop(model, _tf_strategy(self), train, epochs, first_epoch, valid, callbacks)
                return
        model.fit(train.dataset(first_epoch, epochs), steps_per_epoch=train.steps_per_epoch, epochs=epochs,
                  initial_epoch=first_epoch, validation_data=valid.dataset() if valid is not None else None,
                  shuffle=False, verbose=verbose, callbacks=list(callbacks))


_STRATEGIES: dict = {}


def _tf_strategy(plan: TrainingPlan):
    """One strategy per process and kind (TensorFlow allows one MultiWorkerMirroredStrategy per process)."""
    import tensorflow as tf

    key = (plan.engine, plan.devices)
    if key not in _STRATEGIES:
        if plan.engine == Engine.TF_MIRRORED:
            _STRATEGIES[key] = tf.distribute.MirroredStrategy(list(plan.devices))
        else:
            _STRATEGIES[key] = tf.distribute.MultiWorkerMirroredStrategy()
    return _STRATEGIES[key]


_JAX_STARTED: list = []


def join_cluster(cluster: Cluster, backend: str | None = None) -> None:
    """Connect this process to the other workers before the backend's runtime starts: JAX needs
    ``keras.distribution.initialize`` before any device is listed; TensorFlow's strategy connects when it is
    created (nothing to do here). Call it once per process."""
    if (backend or config.backend()) == "jax":
        _jax_initialize(cluster)


def _jax_initialize(cluster: Cluster) -> None:
    import keras

    if not _JAX_STARTED:
        keras.distribution.initialize(job_addresses=cluster.addresses[0], num_processes=cluster.size,
                                      process_id=cluster.index)
        _JAX_STARTED.append(cluster)


def plan_training(devices: Sequence[Device], backend: str = "tensorflow", distribute: str | None = None,
                  mixed_precision: bool = False, cluster: Cluster | None = None, engine: Engine | str | None = None,
                  model: str | None = None) -> TrainingPlan:
    """Decide how a run trains on ``devices`` (pure: pass a faked list to see what a GPU machine would do).

    * **mixed precision** (asked for, and a GPU present): policy ``mixed_float16`` — layers compute in float16
      and keep float32 weights; the course's builders end in a float32 layer, so logits and probabilities stay
      float32; the loss is scaled (``LossScaleOptimizer``: multiply the loss by S before backprop, divide the
      gradients by S, halve S on an overflow, double it after 2000 clean steps) so small gradients do not
      underflow float16. A GPU below compute capability 7.0 has no tensor cores: a note says it will not be
      faster. Without a GPU it is refused: float16 on a CPU is emulated and slower. Under JAX it is refused for a
      ``model`` whose kind has a cuDNN LSTM (``cudnn_lstm`` of :func:`mgtutor.models.registry.register`: the melody
      LSTM, the frame LSTM and the RNN-NADE, and any model when ``model`` is None): Keras' LSTM on a JAX
      GPU runs cuDNN's kernel, which takes float32 only (jaxlib raises "Unknown output type float16"; notebook 10
      §6 gives the measurement). A model without one (a convolutional GAN, a WaveNet stack) may use it under JAX.
    * **XLA** (``jit_compile``): on with a GPU on TensorFlow (as Keras' ``"auto"`` decides), except under a
      ``tf.distribute`` strategy, where Keras' ``"auto"`` turns it off (its ``_resolve_auto_jit_compile``
      disables XLA under ``tf.distribute``) and so does the plan; always on under JAX, which compiles every step.
    * **distribution**: ``"mirrored"`` uses every GPU (else every logical CPU device) of this machine with
      ``tf-mirrored`` or ``jax-data-parallel``; ``"multi-worker"`` needs a ``cluster`` (``TF_CONFIG``) and uses
      ``engine`` or the one the probe chose for the backend (:data:`MULTI_WORKER_DEFAULT`).

    ``model`` names the registered builder the run trains (``"melody_lstm"``, ``"spec_gan"``, …); None when it is not
    known yet, which the plan treats as a model with a cuDNN LSTM.

    Raises:
        DistributeError: mixed precision without a GPU, or under JAX for a model with a cuDNN LSTM; an unknown
            ``distribute`` or ``model``, ``multi-worker`` without a cluster, or an engine for the other backend.
    See: notebooks/10_full_training.ipynb §6–§7.
    """
    if backend not in ("tensorflow", "jax"):
        raise DistributeError(f"training plans cover the tensorflow and jax backends, not {backend!r}")
    if distribute not in (None, *DISTRIBUTE_CHOICES):
        raise DistributeError(f"--distribute {distribute!r}: use one of {', '.join(DISTRIBUTE_CHOICES)}")
    has_cudnn_lstm = _has_cudnn_lstm(model)  # an unknown model fails here, whatever the other options
    gpus = [d for d in devices if d.kind == "GPU"]
    cpus = [d for d in devices if d.kind == "CPU"]
    plan, notes = TrainingPlan(backend=backend, distribute=distribute, cluster=cluster), []
    if mixed_precision:
        if not gpus:
            raise DistributeError("--mixed-precision needs a GPU: on a CPU float16 arithmetic is emulated and "
                                  "slower than float32; leave the option out here")
        if backend == "jax" and has_cudnn_lstm:
            raise DistributeError("--mixed-precision with --backend jax: the LSTM's cuDNN kernel on a JAX GPU takes "
                                  "float32 only; train in float32 there, or use the tensorflow backend")
        plan.policy, plan.loss_scaling = "mixed_float16", True
        notes.append("mixed_float16: float16 compute, float32 weights and outputs, dynamic loss scaling")
        old = [d for d in gpus if d.compute is not None and tuple(d.compute) < (7, 0)]
        if old:
            notes.append(f"{old[0].name or 'this GPU'} has compute capability {old[0].compute[0]}.{old[0].compute[1]}"
                         " < 7.0 (no tensor cores): mixed precision saves memory but is not faster")
    local = gpus or cpus[:1]
    if distribute == "mirrored":
        plan.engine = Engine.TF_MIRRORED if backend == "tensorflow" else Engine.JAX_DATA_PARALLEL
        local = gpus or cpus
    elif distribute == "multi-worker":
        if cluster is None:
            raise DistributeError("--distribute multi-worker needs TF_CONFIG naming the workers and this "
                                  "worker's index (see mgtutor.distribute.tf_config)")
        wanted = engine or MULTI_WORKER_DEFAULT[backend]
        if wanted not in MULTI_WORKER_ENGINES or Engine(wanted).backend != backend:
            raise DistributeError(f"engine {str(wanted)!r} does not run multi-worker training on the {backend} "
                                  "backend")
        plan.engine = Engine(wanted)
    plan.devices = tuple(d.name for d in local)
    per_worker = len(local) if distribute == "mirrored" or (distribute == "multi-worker" and gpus) else 1
    plan.replicas = per_worker * (cluster.size if distribute == "multi-worker" else 1)
    if plan.engine:
        notes.append(f"{plan.engine}: {ENGINES[plan.engine]}, {plan.replicas} replica(s)")
    if backend == "jax":
        plan.jit_compile = True
        notes.append("XLA: JAX compiles every step")
    elif gpus and plan.engine is None:
        plan.jit_compile = True
        notes.append("XLA: jit_compile on (a GPU is present)")
    else:
        notes.append("XLA: off (" + ("no GPU" if not gpus else "Keras turns it off under tf.distribute") + ")")
    plan.notes = notes
    return plan


def _has_cudnn_lstm(model: str | None) -> bool:
    """Does the registered kind ``model`` hold a Keras LSTM (True when ``model`` is None: not known yet)?"""
    if model is None:
        return True
    from mgtutor.models import registry
    from mgtutor.models.numpy_rnn import ModelConfigError

    try:
        return registry.kind(model).cudnn_lstm
    except ModelConfigError as e:
        raise DistributeError(f"plan for model {model!r}: {e}") from None
