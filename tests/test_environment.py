from mgtutor import environment
from mgtutor.environment import PackageStatus


def test_report_covers_the_stack():
    names = {r.name for r in environment.package_report()}
    for wanted in ("keras", "librosa", "music21", "verovio", "ipywidgets", "jupyterlab", "matplotlib"):
        assert wanted in names
    assert any(n.startswith("tensorflow") for n in names)
    assert "nbval" not in names
    assert "nbval" in {r.name for r in environment.package_report("test")}


def test_installed_stack_satisfies_requirements():
    bad = [r for r in environment.package_report("test") if not r.ok]
    assert not bad, bad


def test_verdicts_and_html():
    rows = [PackageStatus("a", ">=1", "2", True), PackageStatus("b<x>", ">=1", None, False),
            PackageStatus("c", "<2", "3", False)]
    assert [r.verdict for r in rows] == ["ok", "missing", "too old/new"]
    html = environment.report_html(rows)
    assert html.startswith('<table class="mgtutor-env">') and "b&lt;x&gt;" in html and "—" in html


def test_gpu_line_and_tools():
    assert environment.gpu_report().startswith("GPU:")
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
