"""What is installed: the stack's versions against the course's requirements, GPU, system tools.

Part of mgtutor. See notebooks/00_welcome.ipynb §5 (the environment check). The required
versions are read from the installed package's own metadata (``pyproject.toml``), so the
check never drifts from what ``pip install`` asked for.

Two targets: ``"local"`` (the default install: every requirement of ``pyproject.toml``) and
``"colab"`` (the course installed with ``--no-deps`` beside Colab's own packages). On Colab the
packages Colab ships are checked against the same ranges (``tests/test_packaging.py`` proves they
admit every version of ``tests/colab/constraints.txt``, Colab's published list), the packages
:func:`mgtutor.colab.setup` adds against :data:`mgtutor.colab.COLAB_EXTRAS`, and the local-only
ones (:data:`mgtutor.colab.NOT_ON_COLAB`, JupyterLab) are reported as not used on Colab.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata as metadata
import os
import shutil
from dataclasses import dataclass

from mgtutor import colab
from mgtutor.colab import gpu_report

__all__ = ["PackageStatus", "requirements", "current_target", "colab_requirements", "package_report", "gpu_report",
           "system_tools", "report_html"]

# The same module from another distribution: Colab ships ``tensorflow`` where pip asks for ``tensorflow-cpu``.
SAME_MODULE = {"tensorflow-cpu": "tensorflow", "tensorflow": "tensorflow-cpu"}
TARGETS = ("local", "colab")
TARGET_VARIABLE = "MGTUTOR_TARGET"
NOT_USED = "not used on Colab"


@dataclass(frozen=True)
class PackageStatus:
    """One row of the environment check."""

    name: str
    required: str
    installed: str | None
    ok: bool
    note: str | None = None  # replaces the verdict, e.g. "not used on Colab"

    @property
    def verdict(self) -> str:
        if self.note is not None:
            return self.note
        if self.installed is None:
            return "missing"
        return "ok" if self.ok else "too old/new"


def requirements(extra: str | None = None) -> list:
    """The course's requirements that apply on this machine (markers evaluated).

    Args:
        extra: also include this optional-dependency group, e.g. ``"test"``.
    Returns:
        ``packaging.requirements.Requirement`` objects.
    """
    from packaging.requirements import Requirement

    found = []
    for line in metadata.requires("mgtutor") or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": extra or ""}):
            found.append(req)
    return found


def current_target(on_colab: bool | None = None) -> str:
    """The environment check's target: ``"colab"`` inside Colab, else ``"local"``.

    ``MGTUTOR_TARGET=colab`` (or ``local``) names it outside Colab: ``make test-colab`` runs the notebooks
    in a copy of Colab's environment, where ``google.colab`` is missing but the Colab target applies.

    Args:
        on_colab: force the Colab check's answer (tests); ``None`` asks the variable, then
            :func:`mgtutor.colab.on_colab`.
    Raises:
        ValueError: ``MGTUTOR_TARGET`` names no target.
    """
    if on_colab is not None:
        return "colab" if on_colab else "local"
    named = os.environ.get(TARGET_VARIABLE, "").strip()
    if named:
        if named not in TARGETS:
            raise ValueError(f"{TARGET_VARIABLE}={named!r} is not one of {', '.join(TARGETS)}")
        return named
    return "colab" if colab.on_colab() else "local"


def _name(requirement) -> str:
    from packaging.utils import canonicalize_name

    return canonicalize_name(requirement.name)


def colab_requirements(extra: str | None = None) -> list:
    """The requirements on Colab: :func:`requirements`, with :data:`colab.COLAB_EXTRAS`' ranges for the
    packages :func:`colab.setup` installs (and those extras that are not runtime requirements added)."""
    from packaging.requirements import Requirement

    extras = {_name(r): r for r in map(Requirement, colab.COLAB_EXTRAS)}
    found = [extras.pop(_name(req), req) for req in requirements(extra)]
    return found + list(extras.values())


def _installed_version(dist_name: str) -> str | None:
    """Installed version of a distribution, or of the one that provides the same module."""
    for name in (dist_name, SAME_MODULE.get(dist_name)):
        if name is None:
            continue
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None


def package_report(extra: str | None = None, target: str | None = None) -> list[PackageStatus]:
    """One :class:`PackageStatus` per requirement: installed version and whether it satisfies it.

    Args:
        extra: also check this optional-dependency group, e.g. ``"test"``.
        target: ``"local"`` or ``"colab"`` (see the module's docstring); ``None`` asks :func:`current_target`.
    """
    from packaging.requirements import Requirement

    target = current_target() if target is None else target
    if target not in TARGETS:
        raise ValueError(f"target {target!r} is not one of {', '.join(TARGETS)}")
    on_colab = target == "colab"
    not_used = {_name(Requirement(name)) for name in colab.NOT_ON_COLAB} if on_colab else set()
    rows = []
    for req in colab_requirements(extra) if on_colab else requirements(extra):
        version = _installed_version(req.name)
        required = str(req.specifier) or "any"
        if _name(req) in not_used:
            rows.append(PackageStatus(req.name, required, version, True, NOT_USED))
            continue
        ok = version is not None and req.specifier.contains(version, prereleases=True)
        rows.append(PackageStatus(req.name, required, version, ok))
    return rows


def system_tools() -> dict[str, bool]:
    """Optional system tools: the FluidSynth library (audio rendering) and Chromium (browser test)."""
    return {
        "libfluidsynth": ctypes.util.find_library("fluidsynth") is not None,
        "chromium": shutil.which("chromium") is not None or shutil.which("chromium-browser") is not None,
    }


def report_html(rows: list[PackageStatus]) -> str:
    """The package report as an HTML table (class ``mgtutor-env``)."""
    from html import escape

    body = "".join(
        f"<tr><td>{escape(r.name)}</td><td>{escape(r.required)}</td>"
        f"<td>{escape(r.installed or '—')}</td><td>{r.verdict}</td></tr>"
        for r in rows
    )
    head = "<tr><th>package</th><th>required</th><th>installed</th><th>status</th></tr>"
    return f'<table class="mgtutor-env">{head}{body}</table>'
