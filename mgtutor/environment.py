"""What is installed: the stack's versions against the course's requirements, GPU, system tools.

Part of mgtutor. See notebooks/00_welcome.ipynb §5 (the environment check). The required
versions are read from the installed package's own metadata (``pyproject.toml``), so the
check never drifts from what ``pip install`` asked for.
"""

from __future__ import annotations

import ctypes.util
import importlib.metadata as metadata
import shutil
from dataclasses import dataclass

# The same module from another distribution: Colab ships ``tensorflow`` where pip asks for ``tensorflow-cpu``.
SAME_MODULE = {"tensorflow-cpu": "tensorflow", "tensorflow": "tensorflow-cpu"}


@dataclass(frozen=True)
class PackageStatus:
    """One row of the environment check."""

    name: str
    required: str
    installed: str | None
    ok: bool

    @property
    def verdict(self) -> str:
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


def package_report(extra: str | None = None) -> list[PackageStatus]:
    """One :class:`PackageStatus` per requirement: installed version and whether it satisfies it."""
    rows = []
    for req in requirements(extra):
        version = _installed_version(req.name)
        ok = version is not None and req.specifier.contains(version, prereleases=True)
        rows.append(PackageStatus(req.name, str(req.specifier) or "any", version, ok))
    return rows


def gpu_report() -> str:
    """One line naming the GPUs TensorFlow sees, or saying there is none."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        return "GPU: none (CPU only). On Colab: Runtime → Change runtime type → GPU."
    names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
    return f"GPU: {len(gpus)} × {', '.join(names)}"


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
