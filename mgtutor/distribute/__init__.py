"""Training on more than one device or machine: the global batch, the learning-rate rule, the devices a run
uses, the plan that trains there, and a probe of which distribution engine works with the installed versions.

Part of mgtutor. See notebooks/10_full_training.ipynb §3 (the plan of a run), §6 (GPU: mixed precision and XLA) and
§7 (several devices, several machines, which engine). Modules:

* :mod:`~mgtutor.distribute.batch` — the global batch and the learning-rate rule;
* :mod:`~mgtutor.distribute.plan` — the engines (:class:`Engine`), clusters, devices, and :class:`TrainingPlan`:
  what :func:`plan_training` decides for a device list, and :meth:`TrainingPlan.fit`, which trains with it;
* :mod:`~mgtutor.distribute.multiworker` — each worker's :class:`WorkerShard` of the global batches, and
  :func:`fit_loop`, Keras' ``fit`` for ``MultiWorkerMirroredStrategy``;
* :mod:`~mgtutor.distribute.probing` — :func:`probe` and its shipped record :data:`PROBED`; loaded on first use of
  one of its names (PEP 562 :func:`__getattr__`), never by importing this package.

**Data parallelism.** R replicas (devices, possibly on several machines) each hold a copy of the model. Every
step, each replica computes gradients on its share of one *global* batch of B examples, the gradients are
summed across replicas (an all-reduce), and every replica applies the same update — so the copies stay equal,
and one step on R replicas is one step on the global batch:

    B = b · R                     (b examples per replica, :func:`global_batch_size`)
    η(B) = η₀ · B / B₀            (the linear learning-rate rule, :func:`scaled_learning_rate`)

A learning rate η₀ tuned for batch B₀ is scaled with the batch: a k times larger batch takes k times fewer
steps per epoch, so each step moves k times further (Goyal et al. 2017, with a few epochs of warm-up for
large k; the square-root rule ``η₀·√(B/B₀)`` is the gentler alternative for adaptive optimizers).

**Engines.** Keras 3 ``fit`` under TensorFlow's ``MultiWorkerMirroredStrategy`` fails (keras-team/keras#20585,
tensorflow#72388) with the versions of the probe's record, so :func:`probe` tries, in order, the engines of
:data:`MULTI_WORKER_ENGINES` (several machines) and :data:`ONE_HOST_ENGINES` (one machine, several devices) on a
tiny linear model, and calls an engine *working* only when every worker ends with the same weights, equal to plain
NumPy SGD on the same global batches. :data:`PROBED` is what it found with the versions pinned by the course.

**Devices.** :func:`plan_training` turns a device list into the decisions a run makes — mixed precision
(``mixed_float16``, loss scaling, float32 outputs), XLA, the distribution engine and the number of replicas
— as a :class:`TrainingPlan`; the decisions are plain data, so they are unit-tested with a faked GPU.
"""

from mgtutor.distribute.batch import global_batch_size, per_replica_batch_size, scaled_learning_rate
from mgtutor.distribute.multiworker import WorkerShard, fit_loop
from mgtutor.distribute.plan import (
    DISTRIBUTE_CHOICES,
    ENGINES,
    MULTI_WORKER_DEFAULT,
    MULTI_WORKER_ENGINES,
    ONE_HOST_ENGINES,
    Cluster,
    Device,
    Engine,
    TrainingPlan,
    cluster_from_env,
    free_ports,
    join_cluster,
    local_devices,
    plan_training,
    tf_config,
    use_cpu_devices,
)
from mgtutor.errors import DistributeError

__all__ = ["DistributeError", "Engine", "MULTI_WORKER_ENGINES", "ONE_HOST_ENGINES", "ENGINES", "MULTI_WORKER_DEFAULT",
           "PROBED", "global_batch_size", "per_replica_batch_size", "scaled_learning_rate", "free_ports", "tf_config",
           "Cluster", "cluster_from_env", "Device", "TrainingPlan", "plan_training", "local_devices",
           "use_cpu_devices", "join_cluster", "WorkerShard", "fit_loop", "ProbeResult", "probe", "chosen_engine",
           "versions", "numpy_sgd", "run_workers", "DISTRIBUTE_CHOICES"]

_PROBING = ("PROBED", "ProbeResult", "probe", "chosen_engine", "versions", "numpy_sgd", "run_workers", "PROBE_STEPS",
            "PROBE_BATCH", "PROBE_LR")


def __getattr__(name: str):
    """The probe's names, from :mod:`~mgtutor.distribute.probing`, on first use (PEP 562)."""
    if name in _PROBING:
        from mgtutor.distribute import probing

        return getattr(probing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
