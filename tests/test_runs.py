"""The run-directory rules of mgtutor.runs, one by one, on the module itself (no training, no command line).

tests/test_user_files.py drives the same rules through the command line; these tests pin each rule's exact
boundary (which names a run owns, which folders are refused, what a refusal lists) so that a changed condition
fails here.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import keras  # noqa: F401  (imported once by the test process, not by each test of the Keras weights)
import pytest

from mgtutor import runs
from mgtutor.runs import RunDir, RunDirError

CONFIG = {"task": "melody", "builder": "melody_lstm", "training": {"epochs": 3, "lr": 0.01}}


@pytest.fixture
def inside(tmp_path, monkeypatch):
    """Work in a folder of its own, with the home folder elsewhere."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return work


def finished(path: Path, config=CONFIG) -> RunDir:
    run = RunDir.prepare(path, config)
    run.finish({"val_nll": 1.5})
    return run


# ------------------------------------------------------------------ names


def test_names_and_aliases():
    assert runs.run_name("melody", "lstm", 3) == "melody-lstm-3"
    assert runs.task_name("gan-pianoroll") == "bar-gan"
    assert runs.task_name("melody") == "melody"
    assert runs.task_name("anything") == "anything"


@pytest.mark.parametrize("name, owned", [
    ("config.json", True), ("state", True), ("vocab.json", True), ("tensorboard", True), ("COMPLETE", True),
    (".mgtutor.lock", True),
    (".results.json.ab12cd34.tmp", True),          # an interrupted atomic write of a run entry
    (".model.weights.h5.0a1b2c3d.weights.h5", True),
    (".results.json.swp", False),                  # an editor's swap file
    (".notes.txt.ab12cd34.tmp", False),            # an interrupted write of a file no run writes
    (".results.json.ab12cd3.tmp", False),          # seven characters, not eight
    ("results.json.bak", False), ("notes.txt", False), ("Config.json", False), ("", False),
])
def test_which_names_a_run_owns(name, owned):
    assert runs._run_owned(name) is owned


def test_a_refusal_lists_at_most_eight_names_sorted():
    assert runs._listing(["b", "a"]) == "'a', 'b'"
    eight = [f"f{i}" for i in range(8)]
    assert runs._listing(eight) == ", ".join(repr(n) for n in eight)
    assert runs._listing([*eight, "f8", "f9"]) == ", ".join(repr(n) for n in eight) + " and 2 more"


# ------------------------------------------------------------------ JSON


def test_write_json_is_sorted_indented_and_refuses_non_finite_numbers(tmp_path):
    path = runs.write_json(tmp_path / "r.json", {"b": 1, "a": [1.5, 2]})
    assert path == tmp_path / "r.json"
    assert path.read_text() == json.dumps({"a": [1.5, 2], "b": 1}, indent=2, sort_keys=True)
    for bad in (math.nan, math.inf, -math.inf):
        with pytest.raises(RunDirError, match="non-finite"):
            runs.write_json(tmp_path / "bad.json", {"x": {"y": bad}})
    assert not (tmp_path / "bad.json").exists()


def test_read_json_object(tmp_path):
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert runs.read_json_object(tmp_path / "ok.json") == {"a": 1}
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "text.json").write_text("not json")
    with pytest.raises(RunDirError, match=r"holds a JSON list, not an object; do this$"):
        runs.read_json_object(tmp_path / "list.json", "do this")
    with pytest.raises(RunDirError, match=r"not readable .*; train again$"):
        runs.read_json_object(tmp_path / "text.json")
    with pytest.raises(RunDirError, match="not readable"):
        runs.read_json_object(tmp_path / "missing.json")


def test_non_finite_names_every_bad_number_by_its_dotted_key():
    value = {"a": 1.0, "b": {"c": math.nan, "d": [0.5, math.inf]}, "e": "nan", "f": -math.inf, "g": 3}
    assert sorted(runs._non_finite(value)) == ["b.c", "b.d.1", "f"]
    assert runs._non_finite((math.nan,)) == ["0"]
    assert runs._non_finite({}) == []


# ------------------------------------------------------------------ what is a run's config


def run_config_dict(**changes):
    value = {"task": "melody", "builder": "b", "environment": {}, "created": "now"}
    value.update(changes)
    return {k: v for k, v in value.items() if v is not None}


@pytest.mark.parametrize("value, is_run", [
    (run_config_dict(), True),
    (run_config_dict(task="gan-pianoroll"), True),    # an alias of a training task
    (run_config_dict(task="bar-gan"), True),
    (run_config_dict(task="copying"), False),         # a task that writes no run
    (run_config_dict(task=3), False),
    (run_config_dict(builder=None), False),
    (run_config_dict(environment=None), False),
    (run_config_dict(created=None), False),
    ([], False), ("melody", False), (None, False),
])
def test_is_run_config(value, is_run):
    assert runs.is_run_config(value) is is_run


def test_run_config_reads_only_a_config_this_package_wrote(tmp_path):
    assert runs.run_config(tmp_path) is None
    (tmp_path / "config.json").write_text("{broken")
    assert runs.run_config(tmp_path) is None
    (tmp_path / "config.json").write_text(json.dumps({"task": "melody"}))
    assert runs.run_config(tmp_path) is None
    (tmp_path / "config.json").write_text(json.dumps(run_config_dict()))
    assert runs.run_config(tmp_path) == run_config_dict()


def test_differences_skip_where_a_run_ran_only_at_the_top_level():
    old = {"environment": {"cpus": 2}, "created": "x", "execution": {"gpu": 0}, "training": {"lr": 1, "environment": 1},
           "seed": 0}
    new = {"environment": {"cpus": 8}, "created": "y", "execution": {"gpu": 2}, "training": {"lr": 2, "environment": 2},
           "seed": 0, "extra": [1]}
    assert runs._differences(old, new) == ["extra: None → [1]", "training.environment: 1 → 2", "training.lr: 1 → 2"]
    assert runs._differences({"a": {"b": 1}}, {"a": 1}) == ["a: {'b': 1} → 1"]
    assert runs._differences(old, old) == []


# ------------------------------------------------------------------ where a run may go


def test_the_working_folder_home_and_their_ancestors_are_refused(inside, tmp_path):
    for folder, what in ((inside, "the working folder"), (tmp_path / "home", "the home folder"),
                         (tmp_path, "an ancestor of the working folder"), (Path("."), "the working folder")):
        with pytest.raises(RunDirError, match=f"is {what};"):
            runs.check_out_folder(folder)
    for fine in (inside / "runs" / "a", tmp_path / "home" / "runs", tmp_path / "elsewhere"):
        assert runs.check_out_folder(fine) == fine
    assert runs.check_out_folder("runs/a") == Path("runs/a")


def test_check_run_target(inside, monkeypatch):
    assert runs.check_run_target("new/run") == Path("new/run")
    Path("file").write_text("x")
    with pytest.raises(RunDirError, match="exists and is not a folder"):
        runs.check_run_target("file")
    with pytest.raises(RunDirError, match=r"file is a file, not a folder"):
        runs.check_run_target("file/run/deeper")
    calls = []

    def no_write(path, mode):
        calls.append((Path(path).name, mode))
        return False

    monkeypatch.setattr(runs.os, "access", no_write)
    with pytest.raises(RunDirError, match="work is not writable"):
        runs.check_run_target("new/run")
    assert calls == [("work", os.W_OK | os.X_OK)]   # the nearest existing folder, for writing and entering
    monkeypatch.undo()
    monkeypatch.chdir(inside)
    free = runs.free_bytes(inside)
    assert runs.check_run_target("new", min_free_bytes=free // 2) == Path("new")
    monkeypatch.setattr(runs, "free_bytes", lambda path: 10 * 2**20)
    with pytest.raises(RunDirError, match=r"only 10\.0 MiB free on its disk and a run needs 64 MiB"):
        runs.check_run_target("new")
    assert runs.check_run_target("new", min_free_bytes=10 * 2**20) == Path("new")   # exactly enough


# ------------------------------------------------------------------ prepare, resume, refuse, force


def test_a_fresh_run_writes_its_config_first_and_holds_the_lock(tmp_path):
    with RunDir.prepare(tmp_path / "a" / "b", CONFIG) as run:
        assert {p.name for p in run.path.iterdir()} == {"config.json", ".mgtutor.lock"}
        written = json.loads((run.path / "config.json").read_text())
        assert {k: written[k] for k in CONFIG} == CONFIG
        assert set(written) == {*CONFIG, "environment", "created"}
        assert written["environment"]["keras_backend"] in ("tensorflow", "jax", "torch")
        assert runs.is_run_config(written) and run.config == written
        assert run.path.resolve() in runs._HELD
    assert run.path.resolve() not in runs._HELD


@pytest.mark.parametrize("config, phrase", [
    ({"builder": "b"}, "needs 'task'"), ({"task": "melody"}, "needs 'builder'"),
    ({"task": "", "builder": "b"}, "needs 'task'"),
    ({**CONFIG, "training": {"lr": math.nan}}, "not a finite number"),
])
def test_a_config_without_task_builder_or_with_nan_is_refused_before_anything_is_written(tmp_path, config, phrase):
    with pytest.raises(RunDirError, match=phrase):
        RunDir.prepare(tmp_path / "run", config)
    assert not (tmp_path / "run").exists()


def test_the_same_command_resumes_an_unfinished_run_and_refuses_a_finished_one(tmp_path):
    run = RunDir.prepare(tmp_path / "run", CONFIG)
    (run.state_dir).mkdir()
    (run.state_dir / "ckpt").write_text("1")
    run.release()
    created = json.loads((run.path / "config.json").read_text())["created"]
    again = RunDir.prepare(tmp_path / "run", {**CONFIG, "task": "melody"})
    assert (again.state_dir / "ckpt").read_text() == "1"                             # resumed: state kept
    assert json.loads((again.path / "config.json").read_text())["created"] == created
    again.finish({"val_nll": 1.0, "epochs": [1, 2]})
    assert again.is_complete and not again.state_dir.exists()
    assert json.loads((again.path / "results.json").read_text()) == {"epochs": [1, 2], "val_nll": 1.0}
    with pytest.raises(RunDirError, match="already complete; use --force"):
        RunDir.prepare(tmp_path / "run", CONFIG)
    forced = RunDir.prepare(tmp_path / "run", CONFIG, force=True)
    assert {p.name for p in forced.path.iterdir()} == {"config.json", ".mgtutor.lock"}
    forced.release()


def test_an_alias_of_the_task_resumes_the_same_run(tmp_path):
    config = {"task": "gan-pianoroll", "builder": "bar_gan"}
    RunDir.prepare(tmp_path / "run", config).release()
    RunDir.prepare(tmp_path / "run", {**config, "task": "bar-gan"}).release()   # no "other settings" refusal
    with pytest.raises(RunDirError, match="holds an unfinished gan-pianoroll run, not a melody run"):
        RunDir.prepare(tmp_path / "run", CONFIG)


def test_other_settings_are_named_up_to_eight(tmp_path):
    RunDir.prepare(tmp_path / "run", CONFIG).release()
    with pytest.raises(RunDirError, match=r"other settings \(training\.lr: 0\.01 → 0\.02\); run the same command"):
        RunDir.prepare(tmp_path / "run", {**CONFIG, "training": {"epochs": 3, "lr": 0.02}})
    many = {**CONFIG, "training": {f"k{i}": i for i in range(10)}}
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(tmp_path / "run", many)
    message = str(info.value)
    assert message.count(" → ") == 8 and "; and 4 more)" in message   # 12 differences: epochs, lr and k0–k9
    with pytest.raises(RunDirError, match="; and 1 more"):
        RunDir.prepare(tmp_path / "run", {**CONFIG, "training": {f"k{i}": i for i in range(7)}})
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(tmp_path / "run", {**CONFIG, "training": {f"k{i}": i for i in range(6)}})
    assert "more" not in str(info.value) and str(info.value).count(" → ") == 8
    forced = RunDir.prepare(tmp_path / "run", many, force=True)
    assert json.loads((forced.path / "config.json").read_text())["training"] == many["training"]
    forced.release()


def test_a_finished_run_of_another_task_is_named_as_finished(tmp_path):
    finished(tmp_path / "run")
    with pytest.raises(RunDirError, match="holds a finished melody run, not a pianoroll run"):
        RunDir.prepare(tmp_path / "run", {"task": "pianoroll", "builder": "frame_lstm"})


@pytest.mark.parametrize("force", [False, True])
def test_a_folder_that_is_no_run_is_never_touched(tmp_path, force):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    with pytest.raises(RunDirError, match=r"holds files \('notes.txt'\) but no config.json"):
        RunDir.prepare(folder, CONFIG, force=force)
    (folder / "config.json").write_text(json.dumps({"task": "my project"}))
    with pytest.raises(RunDirError, match="not one an mgtutor run wrote"):
        RunDir.prepare(folder, CONFIG, force=force)
    assert {p.name for p in folder.iterdir()} == {"notes.txt", "config.json"}
    assert (folder / "notes.txt").read_text() == "keep"


def test_an_empty_folder_or_one_holding_only_a_lock_is_a_fresh_run(tmp_path):
    for name, extra in (("empty", None), ("locked", ".mgtutor.lock")):
        folder = tmp_path / name
        folder.mkdir()
        if extra:
            (folder / extra).write_text("")
        with RunDir.prepare(folder, CONFIG) as run:
            assert (run.path / "config.json").is_file()


def test_force_deletes_only_a_runs_own_entries_and_refuses_otherwise(tmp_path):
    run = finished(tmp_path / "run")
    (run.path / "vocab.json").write_text("{}")
    (run.path / "tensorboard").mkdir()
    (run.path / "tensorboard" / "events").write_text("e")
    (run.path / ".results.json.ab12cd34.tmp").write_text("partial")
    forced = RunDir.prepare(run.path, CONFIG, force=True)
    assert {p.name for p in forced.path.iterdir()} == {"config.json", ".mgtutor.lock"}
    forced.finish({"val_nll": 1.0})
    for other in ("notes.txt", ".results.json.swp"):
        (run.path / other).write_text("mine")
        with pytest.raises(RunDirError, match=rf"also holds '{other}'; move them elsewhere"):
            RunDir.prepare(run.path, CONFIG, force=True)
        assert (run.path / "results.json").is_file() and (run.path / other).read_text() == "mine"
        (run.path / other).unlink()


def test_force_removes_a_link_named_like_an_entry_never_its_target(tmp_path):
    run = finished(tmp_path / "run")
    target = tmp_path / "target"
    target.mkdir()
    (target / "precious").write_text("keep")
    (run.path / "state").symlink_to(target, target_is_directory=True)
    (run.path / "log.csv").symlink_to(target / "precious")
    RunDir.prepare(run.path, CONFIG, force=True).release()
    assert (target / "precious").read_text() == "keep"
    assert not (run.path / "state").exists() and not (run.path / "log.csv").is_symlink()


def test_a_failed_fresh_run_removes_what_it_wrote_and_the_folders_it_made(tmp_path):
    (tmp_path / "kept").mkdir()
    with pytest.raises(KeyError):
        with RunDir.prepare(tmp_path / "kept" / "new" / "run", CONFIG) as run:
            (run.path / "log.csv").write_text("epoch\n")
            (run.path / "notes.txt").write_text("a user's")   # not the run's: kept, so its folder stays
            raise KeyError("boom")
    assert {p.name for p in run.path.iterdir()} == {"notes.txt"}
    assert run.path.resolve() not in runs._HELD
    with pytest.raises(KeyError):
        with RunDir.prepare(tmp_path / "kept" / "b" / "c", CONFIG) as run:
            raise KeyError("boom")
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["new"]   # b/c made by it, removed


def test_a_failed_run_with_a_checkpoint_or_a_resumed_run_keeps_everything(tmp_path):
    with pytest.raises(KeyError):
        with RunDir.prepare(tmp_path / "run", CONFIG) as run:
            run.state_dir.mkdir()
            (run.state_dir / "ckpt").write_text("1")
            raise KeyError("boom")
    assert (run.state_dir / "ckpt").is_file() and (run.path / "config.json").is_file()
    (run.state_dir / "ckpt").unlink()
    with pytest.raises(KeyError):
        with RunDir.prepare(tmp_path / "run", CONFIG) as run:   # resumed: not fresh, nothing is removed
            raise KeyError("boom")
    assert (run.path / "config.json").is_file()


def test_the_same_process_shares_its_lock_and_another_lock_holder_is_refused(tmp_path):
    first = RunDir.prepare(tmp_path / "run", CONFIG)
    second = RunDir.prepare(tmp_path / "run", CONFIG)   # a notebook cell run again: shares the lock
    second.release()
    assert (tmp_path / "run").resolve() not in runs._HELD
    first.release()


# ------------------------------------------------------------------ open and read


def test_open_checks_folder_completion_and_task(tmp_path):
    with pytest.raises(RunDirError, match="no such run directory; train one with"):
        RunDir.open(tmp_path / "none")
    run = RunDir.prepare(tmp_path / "run", {"task": "gan-pianoroll", "builder": "bar_gan"})
    run.release()
    with pytest.raises(RunDirError, match="unfinished run"):
        RunDir.open(run.path)
    run.finish({"x": 1})
    assert RunDir.open(run.path).path == run.path
    assert RunDir.open(run.path, "bar-gan").path == run.path
    assert RunDir.open(run.path, "gan-pianoroll").path == run.path
    with pytest.raises(RunDirError, match="a 'gan-pianoroll' run, not a melody run"):
        RunDir.open(run.path, "melody")
    config = json.loads((run.path / "config.json").read_text())
    del config["task"]
    (run.path / "config.json").write_text(json.dumps(config))
    with pytest.raises(RunDirError, match="names no task, so it is not a melody run"):
        RunDir.open(run.path, "melody")


def test_artifacts_model_files_and_model_specs(tmp_path):
    run = finished(tmp_path / "run", {**CONFIG, "builder_kwargs": {"units": 4},
                                      "classifier": {"builder": "note_classifier"}, "broken": {"builder": 3}})
    assert run.model_files() == (run.path / "model.weights.h5", run.path / "params.npz")
    assert run.model_files("classifier") == (run.path / "classifier.weights.h5", run.path / "classifier.params.npz")
    assert run.model_spec() == ("melody_lstm", {"units": 4})
    assert run.model_spec("classifier") == ("note_classifier", {})
    for name in ("broken", "missing"):
        with pytest.raises(RunDirError, match=f"names no builder for the model '{name}'"):
            run.model_spec(name)
    assert run.artifact("results.json") == run.path / "results.json"
    with pytest.raises(RunDirError, match="lacks vocab.json"):
        run.artifact("vocab.json")
    (run.path / "state").mkdir()
    with pytest.raises(RunDirError, match="lacks state"):
        run.artifact("state")
    assert run.log_path == run.path / "log.csv" and run.state_dir == run.path / "state"
    assert run.results == {"val_nll": 1.5}


def test_finish_refuses_a_diverged_run_and_writes_nothing(tmp_path):
    run = RunDir.prepare(tmp_path / "run", CONFIG)
    with pytest.raises(RunDirError, match=r"training diverged \(a\.b, c not a finite number\)"):
        run.finish({"a": {"b": math.nan}, "c": math.inf, "d": 1.0})
    assert not (run.path / "results.json").exists() and not run.is_complete
    run.finish({"d": 1.0})
    assert run.is_complete and (run.path / "COMPLETE").read_text().endswith("\n")


# ------------------------------------------------------------------ exact words, dotted keys, the marker


def test_the_refusals_say_exactly_what_to_do(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(folder, CONFIG)
    assert str(info.value) == (f"{folder}: holds files ('notes.txt') but no config.json, so it is not a run "
                               "directory, and nothing in it is touched; choose another --out")
    (folder / "config.json").write_text("{}")
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(folder, CONFIG)
    assert str(info.value) == (f"{folder}: its config.json is not one an mgtutor run wrote, so the folder is not a "
                               "run directory, and nothing in it is touched; choose another --out")
    with pytest.raises(RunDirError) as info:
        runs.write_json(tmp_path / "x.json", {"a": math.nan})
    assert str(info.value) == (f"{tmp_path / 'x.json'}: not written, because it would hold a non-finite number (NaN "
                               "or infinity): training diverged; lower the learning rate and train again")
    run = RunDir.prepare(tmp_path / "run", CONFIG)
    with pytest.raises(RunDirError) as info:
        run.finish({"loss": math.nan})
    assert str(info.value) == (f"{run.path}: training diverged (loss not a finite number); the run is not marked "
                               "complete: lower the learning rate and train again with --force")
    run.release()


def test_dotted_keys_keep_every_character_of_a_name():
    assert runs._differences({"maX": {"boX": 1}}, {"maX": {"boX": 2}}) == ["maX.boX: 1 → 2"]
    assert runs._non_finite({"maX": {"sX": math.nan}}) == ["maX.sX"]


def test_the_complete_marker_holds_the_time_it_was_written(tmp_path):
    import re

    run = finished(tmp_path / "run")
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}\n", (run.path / "COMPLETE").read_text())


def test_the_environment_record_names_the_installed_packages():
    from importlib import metadata

    record = runs.environment_record()
    versions = record["versions"]
    for package in ("mgtutor", "keras", "numpy"):
        assert versions[package] == metadata.version(package)
    for package in ("tensorflow", "tensorflow-cpu", "jax"):
        try:
            expected = metadata.version(package)
        except metadata.PackageNotFoundError:
            assert package not in versions
        else:
            assert versions[package] == expected
    assert "tensorflow" in versions or "tensorflow-cpu" in versions
    import platform

    assert record["hardware"] == {"machine": platform.machine(), "cpus": os.cpu_count(),
                                  "python": platform.python_version()}
    assert record["keras_backend"] == runs.backend()


def test_an_empty_state_folder_is_no_checkpoint(tmp_path):
    with pytest.raises(KeyError):
        with RunDir.prepare(tmp_path / "run", CONFIG) as run:
            run.state_dir.mkdir()
            (run.state_dir / "empty").mkdir()   # folders, no checkpoint file yet
            raise KeyError("boom")
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ the final model: NumPy parameters, Keras weights


def test_a_numpy_model_is_saved_as_params_and_rebuilt_through_the_registry(tmp_path):
    import numpy as np

    from mgtutor.models import build

    run = RunDir.prepare(tmp_path / "run", {"task": "pianoroll", "builder": "bernoulli_frames",
                                            "builder_kwargs": {"keys": 3}})
    model = build("bernoulli_frames", keys=3)
    model.set_params({"p": np.array([0.25, 0.5, 0.75])})
    assert run.save_model(model) == run.path / "params.npz"
    assert not (run.path / "model.weights.h5").exists()
    run.finish({"nll": 1.0})
    loaded = RunDir.open(run.path, "pianoroll").load_model()
    np.testing.assert_array_equal(loaded.get_params()["p"], [0.25, 0.5, 0.75])
    assert loaded.keys == 3
    other = build("markov_frames", keys=3)
    other.set_params({"p": np.full((2, 3), 0.5)})
    assert run.save_model(other, "second") == run.path / "second.params.npz"


def test_load_model_names_what_is_wrong(tmp_path):
    import numpy as np

    run = RunDir.prepare(tmp_path / "run", {"task": "pianoroll", "builder": "bernoulli_frames",
                                            "builder_kwargs": {"keys": 3}})
    run.finish({"nll": 1.0})
    with pytest.raises(RunDirError, match="run directory lacks params.npz; train again"):
        run.load_model()
    np.savez(run.path / "params.npz", p=np.full(4, 0.5))   # four keys for a three-key model
    with pytest.raises(RunDirError, match=r"cannot load the saved weights into the configured model \(.*Error: "):
        run.load_model()
    config = json.loads((run.path / "config.json").read_text())
    (run.path / "config.json").write_text(json.dumps({**config, "builder": "no_such_builder"}))
    with pytest.raises(RunDirError, match=r"config.json: cannot rebuild the model \("):
        run.load_model()
    (run.path / "config.json").write_text(json.dumps({**config, "builder_kwargs": {"bogus": 1}}))
    with pytest.raises(RunDirError, match="cannot rebuild the model"):
        run.load_model()


def test_keras_weights_are_saved_without_optimizer_state_and_reload_equal(tmp_path):
    import numpy as np

    from mgtutor.models import build

    kwargs = {"layers": 2, "channels": 2}
    run = RunDir(tmp_path)   # only its config.json: the tests above cover how a run directory comes to be
    runs.write_json(run.path / "config.json", {"builder": "dilated_causal_stack", "builder_kwargs": kwargs})
    model = build("dilated_causal_stack", **kwargs)
    weights = [np.random.default_rng(i).normal(size=w.shape).astype("float32")
               for i, w in enumerate(model.get_weights())]
    model.set_weights(weights)
    assert run.save_model(model) == run.path / "model.weights.h5" and not (run.path / "params.npz").exists()
    plain = run.plain_model(model)
    assert plain is not model
    for a, b in zip(plain.get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(run.load_model().get_weights(), weights, strict=True):
        np.testing.assert_array_equal(a, b)
    second = {"layers": 1, "channels": 3}   # another model of the run, built from its own entry of config.json
    runs.write_json(run.path / "config.json", {"builder": "dilated_causal_stack", "builder_kwargs": kwargs,
                                               "second": {"builder": "dilated_causal_stack", "builder_kwargs": second}})
    other = build("dilated_causal_stack", **second)
    assert run.save_model(other, "second") == run.path / "second.weights.h5"
    for a, b in zip(run.load_model("second").get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_every_refusal_of_a_place_or_a_run_in_use_reads_exactly(inside, tmp_path, monkeypatch):
    from mgtutor.files import FileLock

    def message(call, *args, **kwargs):
        with pytest.raises(RunDirError) as info:
            call(*args, **kwargs)
        return str(info.value)

    assert message(runs.check_out_folder, ".") == (".: is the working folder; a run needs a folder of its own: choose "
                                                   "another --out (e.g. runs/NAME)")
    Path("file").write_text("x")
    assert message(runs.check_run_target, "file") == "file: exists and is not a folder; choose another --out"
    assert message(runs.check_run_target, "file/run") == (f"file/run: cannot create the run directory, "
                                                          f"{inside / 'file'} is a file, not a folder; choose "
                                                          "another --out")
    monkeypatch.setattr(runs, "free_bytes", lambda path: 2**20)
    assert message(runs.check_run_target, "new") == ("new: only 1.0 MiB free on its disk and a run needs 64 MiB "
                                                     "(checkpoints, log, weights); free some space or choose another "
                                                     "--out")
    monkeypatch.setattr(runs.os, "access", lambda path, mode: False)
    assert message(runs.check_run_target, "new") == (f"new: cannot create the run directory, {inside} is not "
                                                     "writable; choose another --out")
    monkeypatch.undo()
    monkeypatch.chdir(inside)

    folder = tmp_path / "busy"
    folder.mkdir()
    other = FileLock(folder / ".mgtutor.lock")   # another holder: a second open file, as another process has
    assert other.try_acquire()
    assert message(RunDir.prepare, folder, CONFIG) == (f"{folder}: run directory is in use by PID {os.getpid()}; "
                                                      "wait for it to finish, or choose another --out")
    (folder / ".mgtutor.lock").write_text("")   # a holder whose PID cannot be read
    assert message(RunDir.prepare, folder, CONFIG) == (f"{folder}: run directory is in use by another process; "
                                                      "wait for it to finish, or choose another --out")
    other.release()
    assert not runs._HELD


def test_every_refusal_of_the_same_command_reads_exactly(tmp_path):
    run = finished(tmp_path / "run")
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(run.path, CONFIG)
    assert str(info.value) == (f"{run.path}: this melody run is already complete; use --force to train it again from "
                               "scratch, or another --out")
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(run.path, {"task": "pianoroll", "builder": "frame_lstm"})
    assert str(info.value) == (f"{run.path}: holds a finished melody run, not a pianoroll run; choose another --out "
                               "(--force deletes that melody run)")
    (run.path / "notes.txt").write_text("mine")
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(run.path, CONFIG, force=True)
    assert str(info.value) == (f"{run.path}: --force deletes only a run's own files, and this folder also holds "
                               "'notes.txt'; move them elsewhere or choose another --out")
    fresh = RunDir.prepare(tmp_path / "fresh", CONFIG)
    fresh.release()
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(fresh.path, {**CONFIG, "seed": 1})
    assert str(info.value) == (f"{fresh.path}: an unfinished melody run with other settings (seed: None → 1); run the "
                               "same command to resume it, or use --force to start over")
    with pytest.raises(RunDirError) as info:
        RunDir.open(tmp_path / "none")
    assert str(info.value) == (f"{tmp_path / 'none'}: no such run directory; train one with `python -m mgtutor train "
                               f"TASK --out {tmp_path / 'none'}`")
    with pytest.raises(RunDirError) as info:
        RunDir.open(fresh.path)
    assert str(info.value) == (f"{fresh.path}: unfinished run (no COMPLETE marker: training was interrupted or is "
                               "still running); run the same train command again to resume it")


def test_the_environment_record_names_six_packages_and_skips_a_missing_one(monkeypatch):
    from importlib import metadata

    def version(name):
        if name == "tensorflow":
            raise metadata.PackageNotFoundError(name)
        return f"v-{name}"

    monkeypatch.setattr(metadata, "version", version)
    assert runs.environment_record()["versions"] == {p: f"v-{p}" for p in ("mgtutor", "keras", "tensorflow-cpu",
                                                                            "jax", "numpy")}


def test_json_files_are_read_as_utf8_whatever_the_locale(tmp_path):
    import subprocess
    import sys

    (tmp_path / "config.json").write_text(json.dumps({**run_config_dict(), "note": "≥ 17"}, ensure_ascii=False),
                                          encoding="utf-8")
    code = ("import json, sys; from mgtutor import runs; "
            "print(json.dumps([runs.read_json_object(sys.argv[1] + '/config.json')['note'], "
            "runs.run_config(sys.argv[1])['note']]))")
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONIOENCODING": "utf-8"}
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, env=env,
                         check=True, encoding="utf-8").stdout
    assert json.loads(out) == ["≥ 17", "≥ 17"]


def test_config_json_is_sorted_indented_and_stamped(tmp_path):
    import re

    with RunDir.prepare(tmp_path / "run", CONFIG) as run:
        text = (run.path / "config.json").read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{4}", json.loads(text)["created"])


def test_refusals_of_settings_and_of_a_folder_that_cannot_be_written_read_exactly(tmp_path, monkeypatch):
    RunDir.prepare(tmp_path / "run", CONFIG).release()
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(tmp_path / "run", {**CONFIG, "seed": 2, "training": {"epochs": 4, "lr": 0.01}})
    assert str(info.value) == (f"{tmp_path / 'run'}: an unfinished melody run with other settings (seed: None → 2; "
                               "training.epochs: 3 → 4); run the same command to resume it, or use --force to start "
                               "over")
    bad = {**CONFIG, "training": {"lr": math.inf}}
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(tmp_path / "other", bad)
    assert str(info.value) == f"{tmp_path / 'other'}: a setting is not a finite number ({{'lr': inf}})"

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "mkdir", refuse)
    with pytest.raises(RunDirError) as info:
        RunDir.prepare(tmp_path / "new", CONFIG)
    assert str(info.value) == f"{tmp_path / 'new'}: cannot write the run directory (Permission denied)"


def test_a_folder_of_user_files_is_refused_before_its_lock_file_is_touched(tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep")
    (folder / ".mgtutor.lock").write_text("a file of the user's own")
    with pytest.raises(RunDirError, match="no config.json"):
        RunDir.prepare(folder, CONFIG, force=True)
    assert (folder / ".mgtutor.lock").read_text() == "a file of the user's own"
