"""Model builders by name: a run directory records ``builder`` and its keyword arguments, and reloads.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §5 (run directories).

A *builder* is a function ``f(**kwargs) -> model`` that returns a new, untrained model. Keras
builders return a built ``keras.Model`` (its input shape declared, so weights can be loaded at
once) whose output layer computes in float32, so a mixed-precision policy never rounds the
logits. NumPy models (baselines) are objects with ``get_params() -> dict[str, ndarray]`` and
``set_params(params)``. Register a builder with ``@register("name")`` in a module of :mod:`mgtutor.models`, and
import that module in ``mgtutor/models/__init__.py``: importing this module imports the package first, and with it
every builder (``tests/test_models.py`` checks that importing the package registers them all).
"""

from __future__ import annotations

from collections.abc import Callable

from mgtutor.models.numpy_rnn import ModelConfigError

BUILDERS: dict[str, Callable] = {}
"""Every registered builder, by name."""


def register(name: str) -> Callable[[Callable], Callable]:
    """Decorator: make ``fn`` the builder called ``name`` (names are unique)."""

    def add(fn: Callable) -> Callable:
        if name in BUILDERS and BUILDERS[name] is not fn:
            raise ModelConfigError(f"a builder named {name!r} is already registered")
        BUILDERS[name] = fn
        return fn

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


def build(name: str, **kwargs):
    """Build a new model with the builder ``name`` and its keyword arguments."""
    return builder(name)(**kwargs)
