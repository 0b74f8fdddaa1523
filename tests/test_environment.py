from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from mgtutor import colab, environment
from mgtutor.environment import PackageStatus


def test_report_covers_the_stack():
    names = {r.name for r in environment.package_report()}
    for wanted in ("keras", "librosa", "music21", "verovio", "ipywidgets", "jupyterlab", "matplotlib"):
        assert wanted in names
    assert any(n.startswith("tensorflow") for n in names)
    assert "nbval" not in names
    assert "nbval" in {r.name for r in environment.package_report("test")}


def test_installed_stack_satisfies_requirements():
    # the Colab check (make test-colab) installs Colab's packages and the extras, not the [test] extra
    extra = None if environment.current_target() == "colab" else "test"
    bad = [r for r in environment.package_report(extra) if not r.ok]
    assert not bad, bad


def test_verdicts_and_html():
    rows = [PackageStatus("a", ">=1", "2", True), PackageStatus("b<x>", ">=1", None, False),
            PackageStatus("c", "<2", "3", False)]
    assert [r.verdict for r in rows] == ["ok", "missing", "too old/new"]
    html = environment.report_html(rows)
    assert html.startswith('<table class="mgtutor-env">') and "b&lt;x&gt;" in html and "—" in html


def test_gpu_line_names_each_gpu_tensorflow_lists(monkeypatch):
    """The GPU branch with a faked device list (no GPU here): one name per device, from its details or its name."""
    import tensorflow as tf

    gpus = [tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU"),
            tf.config.PhysicalDevice("/physical_device:GPU:1", "GPU")]
    details = {gpus[0].name: {"device_name": "NVIDIA H100 80GB HBM3", "compute_capability": (9, 0)}, gpus[1].name: {}}
    asked = []

    def list_devices(device_type=None):
        asked.append(device_type)
        return list(gpus) if device_type == "GPU" else []

    monkeypatch.setattr(tf.config, "list_physical_devices", list_devices)
    monkeypatch.setattr(tf.config.experimental, "get_device_details", lambda device: details[device.name])
    line = environment.gpu_report()
    assert asked == ["GPU"]
    assert line.startswith("GPU: 2 × ") and "none" not in line
    assert "NVIDIA H100 80GB HBM3" in line and "/physical_device:GPU:1" in line  # no details: the device's own name
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda device_type=None: [])
    line = environment.gpu_report()
    assert line == "GPU: none (CPU only). On Colab: Runtime → Change runtime type → GPU."


def test_system_tools():
    assert set(environment.system_tools()) == {"libfluidsynth", "chromium"}


def test_tensorflow_cpu_requirement_is_met_by_either_distribution(monkeypatch):
    from importlib import metadata

    def only_tensorflow(name):
        if name == "tensorflow":
            return "2.19.0"
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(environment.metadata, "version", only_tensorflow)
    assert environment._installed_version("tensorflow-cpu") == "2.19.0"
    assert environment._installed_version("keras") is None


# --- the two targets: the local install and Colab (Colab's versions from tests/colab/constraints.txt)

CONSTRAINTS = Path(__file__).resolve().parent / "colab" / "constraints.txt"


def colab_versions() -> dict[str, str]:
    """What a Colab runtime has after ``colab.setup()``: Colab's pins (its ``tensorflow``, not
    ``tensorflow-cpu``) and, for each extra, the lowest version its range admits (or its pin)."""
    from packaging.requirements import Requirement

    versions = {}
    for line in CONSTRAINTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            versions[canonicalize_name(name)] = version
    versions["tensorflow"] = versions.pop("tensorflow-cpu")
    for extra in map(Requirement, colab.COLAB_EXTRAS):
        versions.setdefault(canonicalize_name(extra.name), next(iter(extra.specifier)).version)
    return versions


def checkout_requires() -> list[str]:
    """This checkout's requirements as package metadata lists them (the installed metadata may be older)."""
    from toml_compat import tomllib

    project = tomllib.loads((CONSTRAINTS.parent.parent.parent / "pyproject.toml").read_text())["project"]
    lines = list(project["dependencies"])
    for extra, reqs in project["optional-dependencies"].items():
        for line in reqs:
            req, _, marker = line.partition(";")
            lines.append(f'{req}; ({marker}) and extra == "{extra}"' if marker else f'{req}; extra == "{extra}"')
    return lines


@pytest.fixture
def on_colabs_versions(monkeypatch):
    """Colab's versions installed, and this checkout's requirements."""
    versions = colab_versions()
    requires = checkout_requires()
    monkeypatch.setattr(environment.metadata, "requires", lambda name: requires if name == "mgtutor" else None)

    def version(name):
        try:
            return versions[canonicalize_name(name)]
        except KeyError:
            raise metadata.PackageNotFoundError(name) from None

    monkeypatch.setattr(environment.metadata, "version", version)
    return versions


def test_colab_target_passes_with_colabs_versions(on_colabs_versions):
    rows = {r.name: r for r in environment.package_report(target="colab")}
    assert not [r for r in rows.values() if not r.ok], [r for r in rows.values() if not r.ok]
    assert rows["jupyterlab"].verdict == "not used on Colab" and rows["jupyterlab"].installed is None
    assert rows["ipywidgets"].installed == "7.7.1" and rows["ipykernel"].installed == "6.17.1"
    assert rows["tensorflow-cpu"].installed == "2.20.0" and rows["keras"].installed == "3.13.2"
    assert rows["verovio"].required == "==6.4.1"  # the extras are checked against COLAB_EXTRAS
    assert {canonicalize_name(Requirement(e).name) for e in colab.COLAB_EXTRAS} <= set(map(canonicalize_name, rows))
    assert "not used on Colab" in environment.report_html(list(rows.values()))


def test_local_target_still_wants_jupyterlab(on_colabs_versions):
    bad = [r for r in environment.package_report(target="local") if not r.ok]
    assert [(r.name, r.verdict) for r in bad] == [("jupyterlab", "missing")]


def test_target_follows_colab_detection(monkeypatch):
    monkeypatch.delenv("MGTUTOR_TARGET", raising=False)
    assert environment.current_target(on_colab=True) == "colab"
    assert environment.current_target(on_colab=False) == "local"
    assert environment.current_target() == "local"
    monkeypatch.setattr(colab, "on_colab", lambda: True)
    assert environment.current_target() == "colab"
    assert {r.name: r.verdict for r in environment.package_report()}["jupyterlab"] == "not used on Colab"
    with pytest.raises(ValueError, match="not one of local, colab"):
        environment.package_report(target="kaggle")


def test_target_variable_names_the_target_outside_colab(monkeypatch):
    monkeypatch.setenv("MGTUTOR_TARGET", "colab")
    assert environment.current_target() == "colab"
    assert environment.current_target(on_colab=False) == "local"  # the argument wins
    monkeypatch.setenv("MGTUTOR_TARGET", "local")
    monkeypatch.setattr(colab, "on_colab", lambda: True)
    assert environment.current_target() == "local"
    monkeypatch.setenv("MGTUTOR_TARGET", "kaggle")
    with pytest.raises(ValueError, match="MGTUTOR_TARGET='kaggle' is not one of local, colab"):
        environment.current_target()


def test_colab_target_flags_a_version_outside_the_range(on_colabs_versions):
    on_colabs_versions["keras"] = "3.6.0"
    bad = [r for r in environment.package_report(target="colab") if not r.ok]
    assert [(r.name, r.verdict) for r in bad] == [("keras", "too old/new")]
