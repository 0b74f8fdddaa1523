"""Model kinds by name: each builder, and the NumPy sampler registered beside it.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (run directories).

A *builder* is a function ``f(**kwargs) -> model`` that returns a new, untrained model. Keras
builders return a built ``keras.Model`` (its input shape declared, so weights can be loaded at
once) whose output layer computes in float32, so a mixed-precision policy never rounds the
logits. NumPy models (baselines) are objects with ``get_params() -> dict[str, ndarray]`` and
``set_params(params)``. A run directory records the builder's name and keyword arguments, and reloads through it.

Beside a builder a kind may register a **sampler**: ``sampler(model)`` reads a trained model's weights into a
NumPy object that generates and scores without Keras — :class:`~mgtutor.models.StatefulLSTM` for a next-token
model (``vocab_size``, ``initial_state(batch)``, ``step(tokens, state) -> (logits, state)``: what
:func:`mgtutor.sampling.generate_stateful` drives), :class:`~mgtutor.models.PianoRollSampler` for a frame model
(``probs_over(roll)``, ``sample(steps, rng)``). A task asks :func:`sampler` for a model's; it never looks for layers
by name or branches on a model's type. A kind without one falls back on the generic path its task names (a
next-token model on :func:`mgtutor.sampling.generate_refeed`, which needs only the Keras model), and a NumPy model
is its own sampler. Adding a model kind costs a builder and, when it is worth the speed, a sampler.

A kind whose model runs a Keras ``LSTM`` registers ``cudnn_lstm=True``: on a GPU that layer calls cuDNN's fused kernel,
and under JAX that kernel takes float32 only, so :func:`mgtutor.distribute.plan_training` refuses mixed precision
for such a kind there (notebook 10 §6); ``tests/test_model_kinds.py`` checks each flag against the built model.

Register a kind with ``@register("name", sampler=…)`` in a module of :mod:`mgtutor.models`, and import that module
in ``mgtutor/models/__init__.py``: importing this module imports the package first, and with it every builder
(``tests/test_models.py`` checks that importing the package registers them all).
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from mgtutor.models.numpy_rnn import ModelConfigError

__all__ = ["ModelKind", "KINDS", "BUILDERS", "register", "builder", "build", "builder_kwargs", "kind", "kind_of",
           "sampler"]


@dataclass(frozen=True)
class ModelKind:
    """A registered model kind: its ``name``, its builder ``build(**kwargs) -> model``, ``sampler(model)``
    (None: the kind has none, and its task's generic path serves it), and ``cudnn_lstm``: does its model hold a
    Keras ``LSTM`` layer (which runs cuDNN's kernel on a GPU)?"""

    name: str
    build: Callable
    sampler: Callable | None = None
    cudnn_lstm: bool = False


KINDS: dict[str, ModelKind] = {}
"""Every registered model kind, by name."""
BUILDERS: dict[str, Callable] = {}
"""Every registered builder, by name (each kind's ``build``)."""
_MADE_BY: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
"""The kind's name of each live model a registered builder made (however it was called)."""


def register(name: str, sampler: Callable | None = None, cudnn_lstm: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: make ``fn`` the builder of the model kind ``name`` (names are unique), with its ``sampler``;
    ``cudnn_lstm=True`` when its model holds a Keras ``LSTM`` layer.

    The builder is returned wrapped (same name, signature and docstring): each model it makes is remembered as
    this kind's, so :func:`sampler` finds the kind of a model built by a direct call as well as through
    :func:`build`.
    """

    def add(fn: Callable) -> Callable:
        known = KINDS.get(name)
        if known is not None and known.build.__wrapped__ is not fn:
            raise ModelConfigError(f"a builder named {name!r} is already registered")

        @functools.wraps(fn)
        def make(*args, **kwargs):
            model = fn(*args, **kwargs)
            _MADE_BY[model] = name
            return model

        KINDS[name] = ModelKind(name, make, sampler, bool(cudnn_lstm))
        BUILDERS[name] = make
        return make

    return add


def builder(name: str) -> Callable:
    """The builder registered as ``name``.

    Raises:
        ModelConfigError: no such builder (the message lists the known ones).
    """
    try:
        return BUILDERS[name]
    except KeyError:
        raise ModelConfigError(f"no model builder named {name!r}; known: {', '.join(sorted(BUILDERS))}") from None


def kind(name: str) -> ModelKind:
    """The model kind registered as ``name``.

    Raises:
        ModelConfigError: no such kind (the message lists the known ones).
    """
    builder(name)
    return KINDS[name]


def build(name: str, **kwargs):
    """Build a new model with the builder ``name`` and its keyword arguments."""
    return builder(name)(**kwargs)


def builder_kwargs(name: str, values: Mapping) -> dict:
    """The keyword arguments of the builder ``name`` that ``values`` holds (a task's settings, the vocabulary size),
    in the builder's order: a task builds any registered kind from the same settings, each kind taking what it
    names."""
    return {p: values[p] for p in inspect.signature(builder(name)).parameters if p in values}


def kind_of(model) -> ModelKind | None:
    """The kind whose builder made ``model`` (None for a model made otherwise)."""
    try:
        return KINDS.get(_MADE_BY.get(model))
    except TypeError:  # a model that cannot be weakly referenced was not made here
        return None


def sampler(model):
    """The NumPy sampler of ``model``: its kind's ``sampler(model)``, or None when the kind registers none (or no
    registered builder made the model)."""
    kind = kind_of(model)
    return kind.sampler(model) if kind is not None and kind.sampler is not None else None
