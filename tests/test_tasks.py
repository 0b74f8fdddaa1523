"""The task skeleton: one run class, one train signature, and a run directory that holds more than one model."""

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import mgtutor.tasks
from mgtutor.runs import RunDir, RunDirError
from mgtutor.tasks import TaskRun, tasks


def one_train(data, out, settings, *, force=False, callbacks=(), verbose=0, plan=None):
    """The one signature of every training task's ``train``."""


def _signature(function) -> list[tuple]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_every_module_of_the_tasks_returns_the_one_run_class():
    modules = [mgtutor.tasks] + [importlib.import_module(f"mgtutor.tasks.{m.name}")
                                 for m in pkgutil.iter_modules(mgtutor.tasks.__path__)]
    runs = {f"{module.__name__}.{name}" for module in modules for name, value in vars(module).items()
            if inspect.isclass(value) and name.endswith("Run") and value.__module__ == module.__name__}
    assert runs == {"mgtutor.tasks.TaskRun"}


@pytest.mark.parametrize("name", sorted(name for name, task in tasks().items() if "train" in task.verbs))
def test_every_training_task_has_the_one_train_signature_and_the_skeleton(name):
    task = tasks()[name]
    assert _signature(task.train) == _signature(one_train), name
    assert inspect.signature(task.load).parameters.keys() == {"run_dir"}
    assert list(inspect.signature(task.data).parameters) == ["s", "spec"]
    assert task.settings.__dataclass_params__.frozen


def test_a_task_gives_its_whole_skeleton_or_none():
    from mgtutor.tasks import Task, register_task

    with pytest.raises(ValueError, match="gives its settings, train, load and data"):
        register_task(Task("half", "a train verb without its skeleton", {"train": ((), lambda args: 0)}))
    assert "half" not in tasks()


def test_a_task_run_reads_its_parts_and_results_as_attributes(tmp_path):
    run = TaskRun(tmp_path, None, {"task": "melody"}, {"val_nll": 0.5}, {"vocab": "V"})
    assert (run.vocab, run.val_nll, run.history) == ("V", 0.5, {})
    with pytest.raises(AttributeError, match="no 'classifier'"):
        assert run.classifier


def test_a_run_saves_and_loads_a_second_model_by_name(tmp_path):
    from mgtutor.models import build

    rolls = [(np.random.default_rng(0).random((20, 88)) < 0.05).astype(np.uint8)]
    cfg = {"task": "pianoroll", "builder": "bernoulli_frames", "builder_kwargs": {"alpha": 0.5}, "seed": 0,
           "second": {"builder": "bernoulli_frames", "builder_kwargs": {"alpha": 2.0}}}
    run = RunDir.prepare(tmp_path / "r", cfg)
    first, second = build("bernoulli_frames", alpha=0.5).fit(rolls), build("bernoulli_frames", alpha=2.0).fit(rolls)
    assert run.save_model(first).name == "params.npz" and run.save_model(second, name="second").name == \
        "second.params.npz"
    run.finish({})
    loaded = RunDir.open(run.path)
    np.testing.assert_array_equal(loaded.load_model(name="second").p, second.p)
    np.testing.assert_array_equal(loaded.load_model().p, first.p)
    assert not np.array_equal(first.p, second.p)
    with pytest.raises(RunDirError, match="names no builder for the model 'third'"):
        loaded.load_model(name="third")


def test_shipped_or_trained_loads_the_shipped_run_in_smoke_mode():
    from mgtutor import shipped
    from mgtutor.tasks import shipped_or_trained

    run = shipped_or_trained("gan-toy", "gan-toy-ring-pacgan", "/nonexistent")
    assert isinstance(run, TaskRun) and run.run_dir == shipped.path("gan-toy-ring-pacgan") and run.modes == 8
    with pytest.raises(ValueError, match="'gan-spec' is a gan-spec run, not a melody run"):
        shipped_or_trained("melody", "gan-spec", "/nonexistent")
    with pytest.raises(KeyError, match="no shipped run 'melody-folk'"):
        shipped_or_trained("melody", "melody-folk", "/nonexistent")


def test_shipped_or_trained_trains_the_shipped_settings_in_full_mode_and_then_loads_them(tmp_path, monkeypatch):
    """In full mode it trains, in ``workdir / name``, the settings and data the shipped run's config.json records
    (nothing typed in the notebook), and a second call loads the finished run."""
    import dataclasses

    from mgtutor import shipped
    from mgtutor.tasks import TASKS, shipped_or_trained

    calls = []

    def train(data, out, settings, *, force=False, callbacks=(), verbose=0, plan=None):
        calls.append((data, out, settings, verbose))
        return "trained"

    real = TASKS["melody"]
    monkeypatch.setitem(TASKS, "melody", dataclasses.replace(real, train=train, load=lambda run_dir: run_dir,
                                                             data=lambda s, spec: ("data", spec["corpus"])))
    monkeypatch.setenv("MGTUTOR_MODE", "full")
    assert shipped_or_trained("melody", "melody-chorales", tmp_path) == "trained"
    assert shipped_or_trained("melody", "melody-chorales", tmp_path, data=["given"], verbose=0) == "trained"
    (data, out, s, verbose), (given, _, _, quiet) = calls
    entry = shipped.SHIPPED["melody-chorales"]
    assert data == ("data", "chorales") and out == tmp_path / "melody-chorales" and verbose == 2
    assert dataclasses.asdict(s) == {"model": "lstm", **entry.settings} and (given, quiet) == (["given"], 0)
    (out / "COMPLETE").parent.mkdir()
    (out / "COMPLETE").write_text("done\n")
    assert shipped_or_trained("melody", "melody-chorales", tmp_path) == out and len(calls) == 2
