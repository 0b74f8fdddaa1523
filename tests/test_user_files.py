"""The command line never loses a user's files, refuses bad numbers before it writes anything, and says so in one line.

Each test reproduces one probe of the command line's reliability and security checks, named by its number: run
directories (2.x), numbers (4.x), two processes on one run (6.x), a piano-roll file with empty pieces (1.11). Every
refusal is exit 2 with one line ``mgtutor: error: …`` on stderr, and every file that was there before is still
there, byte for byte and with its modification time. A property test then throws random folders of user files at
``train pianoroll --model bernoulli`` (NumPy, a few milliseconds), with and without ``--force``.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
import string
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from fixtures_rolls import tcn_mat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgtutor import cli, runs
from mgtutor import train as train_module
from mgtutor.files import FileLock
from mgtutor.runs import RunDir, RunDirError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "mgtutor" / "shipped"
SEED_RULE = "seed must be an integer from 0 to 2**32 - 1"
BERNOULLI = ["--model", "bernoulli"]
LSTM = ["--model", "lstm", "--epochs", "1", "--units", "8", "--batch-size", "4"]
MELODY = ["--corpus", "chorales", "--limit", "6", "--epochs", "1", "--units", "8", "--embed-dim", "4", "--layers",
          "1", "--window", "16", "--stride", "8", "--batch-size", "8"]


# --------------------------------------------------------------------------- helpers
@pytest.fixture(autouse=True)
def smoke_and_no_lock_left(monkeypatch):
    """Smoke mode; and after every test, no run lock is still held by this process."""
    monkeypatch.setenv("MGTUTOR_MODE", "smoke")
    yield
    assert not runs._HELD, f"a run lock is still held: {list(runs._HELD)}"


@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    return tcn_mat(tmp_path_factory.mktemp("data") / "toy.mat")


def snapshot(root: Path) -> dict:
    """Everything below ``root`` (``root`` itself not followed if a link): {relative path: what it is}, where a file
    is (bytes, mtime in ns), a folder ``"dir"`` and a symbolic link ``("link", target)``. Links are not followed."""
    root = Path(root)
    if root.is_symlink():
        return {".": ("link", os.readlink(root))}
    out = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[rel] = ("link", os.readlink(path))
            elif path.is_dir():
                out[rel] = "dir"
            else:
                out[rel] = (path.read_bytes(), path.stat().st_mtime_ns)
    return out


def _write_tree(root: Path, tree: dict) -> Path:
    """Write ``{relative path: text, bytes or None (an empty folder)}`` below ``root``."""
    for rel, content in tree.items():
        path = root / rel
        if content is None:
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    return root


def _error_line(capsys) -> str:
    """The one stderr line of a refused command."""
    err = capsys.readouterr().err
    assert err.startswith("mgtutor: error: ") and err.count("\n") == 1, err
    return err


def refused(capsys, argv, *phrases, unchanged=()) -> str:
    """Run ``argv``: it must exit 2 with one error line holding every phrase, and leave every folder of
    ``unchanged`` exactly as it was (or absent, if it was)."""
    before = {Path(p): (snapshot(p) if Path(p).exists() or Path(p).is_symlink() else None) for p in unchanged}
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    err = _error_line(capsys)
    assert code == 2, err
    for phrase in phrases:
        assert phrase in err, (phrase, err)
    for path, was in before.items():
        now = snapshot(path) if path.exists() or path.is_symlink() else None
        assert now == was, f"{path} changed: {sorted(set(now or {}) ^ set(was or {}))}"
    return err


def trains(capsys, argv) -> str:
    capsys.readouterr()
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def _bernoulli_run(bench, out, *extra) -> Path:
    assert cli.main(["train", "pianoroll", "--data", str(bench), *BERNOULLI, "--out", str(out), *extra]) == 0
    assert (out / "COMPLETE").is_file()
    return out


def _copy_shipped(name: str, dest: Path) -> Path:
    return Path(shutil.copytree(SHIPPED / name, dest))


def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- D1: nothing of the user's is deleted
PROJECT = {"config.json": '{"name": "my web app"}\n', "src/main.py": "print('hello')\n", "notes.md": "# notes\n"}


def test_the_run_tasks_are_the_training_tasks_of_the_command_line():
    from mgtutor.tasks import tasks

    assert runs.RUN_TASKS == {name for name, task in tasks().items() if "train" in task.verbs}
    assert runs.RUN_TASK_ALIASES == {alias: task.name for task in tasks().values() if "train" in task.verbs
                                     for alias in task.aliases}


def test_2_5_a_projects_own_config_json_is_not_called_a_run(bench, tmp_path, capsys):
    project = _write_tree(tmp_path / "project", PROJECT)
    err = refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", project],
                  "config.json is not one an mgtutor run wrote", "nothing in it is touched", unchanged=[tmp_path])
    assert "unfinished" not in err and "--force" not in err  # no hint that would lead to 2.6
    refused(capsys, ["train", "gan-toy", "--epochs", "1", "--out", project], "not a run directory",
            unchanged=[tmp_path])


def test_2_6_force_keeps_a_user_projects_files(bench, tmp_path, capsys):
    project = _write_tree(tmp_path / "project", PROJECT)
    for argv in (["train", "pianoroll", "--data", bench, *BERNOULLI], ["train", "gan-toy", "--epochs", "1"]):
        refused(capsys, [*argv, "--out", project, "--force"], "not a run directory", "nothing in it is touched",
                unchanged=[tmp_path])


def test_2_7_out_dot_force_in_a_project_folder_is_refused(bench, tmp_path, capsys, monkeypatch):
    project = _write_tree(tmp_path / "home" / "work" / "project", {**PROJECT, "README.md": "readme\n"})
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(project)
    train = ["train", "pianoroll", "--data", bench, *BERNOULLI]
    for force in ([], ["--force"]):
        refused(capsys, [*train, "--out", ".", *force], "is the working folder", unchanged=[tmp_path])
        refused(capsys, ["train", "gan-toy", "--epochs", "1", "--out", ".", *force], "is the working folder",
                unchanged=[tmp_path])
        refused(capsys, [*train, "--out", project, *force], "is the working folder", unchanged=[tmp_path])
        refused(capsys, [*train, "--out", "..", *force], "is an ancestor of the working folder",
                unchanged=[tmp_path])
        refused(capsys, [*train, "--out", "src/..", *force], "is the working folder", unchanged=[tmp_path])
        refused(capsys, [*train, "--out", tmp_path / "home", *force], "is the home folder", unchanged=[tmp_path])
        refused(capsys, [*train, "--out", "/", *force], "is an ancestor of the working folder",
                unchanged=[tmp_path])
    before = snapshot(project)
    trains(capsys, [*train, "--out", "runs/ok"])  # a folder below the working folder is fine
    assert (project / "runs" / "ok" / "COMPLETE").is_file()
    assert {k: v for k, v in snapshot(project).items() if not k.startswith("runs")} == before


def test_2_8_force_on_a_run_that_holds_user_files_deletes_nothing(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    _write_tree(run, {"my_song.mid": b"MThd\x00\x00\x00\x06", "listening_test/answers.csv": "a,b\n1,2\n"})
    err = refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, "--force"],
                  "--force deletes only a run's own files", "'listening_test'", "'my_song.mid'", unchanged=[tmp_path])
    assert "params.npz" not in err  # only the user's names are listed
    refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, "--force", "--seed", "3"],
            "my_song.mid", unchanged=[tmp_path])
    shutil.move(run / "my_song.mid", tmp_path / "my_song.mid")
    shutil.move(run / "listening_test", tmp_path / "listening_test")
    trains(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, "--force", "--seed", "3"])
    assert json.loads((run / "config.json").read_text())["seed"] == 3 and (run / "COMPLETE").is_file()


def test_force_removes_a_symlink_named_like_a_run_entry_not_what_it_points_to(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    mine = _write_tree(tmp_path / "mine", {"take1.wav": b"RIFF1", "deep/take2.wav": b"RIFF2"})
    (run / "state").symlink_to(mine, target_is_directory=True)
    before = snapshot(mine)
    trains(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, "--force"])
    assert snapshot(mine) == before and not (run / "state").exists()


# --------------------------------------------------------------------------- D1: the demo (2.9)
@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    """One smoke-mode demo that trains its run (--train), shared: each test works on its own copy."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MGTUTOR_MODE", "smoke")
        out = tmp_path_factory.mktemp("demo") / "out"
        assert cli.main(["demo", "--train", "--out", str(out)]) == 0
    return out


def test_2_9_demo_keeps_a_users_run_folder_and_melody(tmp_path, capsys):
    user = _write_tree(tmp_path / "demo_user", {"run/config.json": '{"thesis": true}\n', "run/thesis.tex": "\\begin",
                                                "melody.mid": b"MThd-mine"})
    refused(capsys, ["demo", "--train", "--out", user], "holds files an earlier demo did not write",
            unchanged=[tmp_path])
    refused(capsys, ["demo", "--train", "--out", user, "--force"], "not a run directory", "nothing in it is touched",
            unchanged=[tmp_path])
    (user / "run" / "config.json").unlink()  # no config.json at all: still not the demo's
    refused(capsys, ["demo", "--train", "--out", user], "holds files an earlier demo did not write",
            unchanged=[tmp_path])
    refused(capsys, ["demo", "--train", "--out", user, "--force"], "not a run directory", unchanged=[tmp_path])
    only_melody = _write_tree(tmp_path / "only_melody", {"melody.mid": b"MThd-mine", "melody.wav": b"RIFF-mine"})
    refused(capsys, ["demo", "--train", "--out", only_melody], "already holds melody.mid, melody.wav", "demo --force",
            unchanged=[tmp_path])


def test_2_9_demo_replaces_its_own_run_and_nothing_else(demo_out, tmp_path, capsys):
    out = Path(shutil.copytree(demo_out, tmp_path / "out"))
    config = json.loads((out / "run" / "config.json").read_text())
    assert config["origin"] == "demo" and config["task"] == "melody"
    _write_tree(out, {"notes.txt": "mine\n", "mine/melody.mid": b"MThd-mine"})
    mine = {k: v for k, v in snapshot(out).items() if k in ("notes.txt", "mine", "mine/melody.mid")}
    old = snapshot(out / "run")
    trains(capsys, ["demo", "--train", "--out", out])  # an earlier demo's files are replaced freely
    assert (out / "run" / "COMPLETE").is_file() and snapshot(out / "run") != old
    assert {k: v for k, v in snapshot(out).items() if k in mine} == mine
    (out / "run" / "thesis.tex").write_text("\\begin")  # the user's file inside the demo's run
    for force in ([], ["--force"]):
        refused(capsys, ["demo", "--train", "--out", out, *force], "--force deletes only a run's own files",
                "'thesis.tex'", unchanged=[tmp_path])


# --------------------------------------------------------------------------- D2: one process per run (6.1–6.3)
HOLD = textwrap.dedent("""
    import sys, time
    import mgtutor.train as train
    from mgtutor import cli

    def hold(run, *args, **kwargs):
        '''Stand in for training: hold the run (and its lock) until killed.'''
        print("ready", flush=True)
        time.sleep(300)

    train.fit_run = hold
    sys.exit(cli.main(sys.argv[1:]))
""")


def _env():
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "TF_CONFIG", "XLA_FLAGS")}
    env.update(PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep),
               MGTUTOR_MODE="smoke", TF_CPP_MIN_LOG_LEVEL="3")
    return env


@pytest.mark.slow
def test_6_1_to_6_3_a_second_process_is_refused_while_a_run_trains(tmp_path, capsys):
    out = tmp_path / "conc"
    train = ["train", "gan-toy", "--epochs", "1", "--out", str(out)]
    a = subprocess.Popen([sys.executable, "-c", HOLD, *train], env=_env(), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        line = a.stdout.readline()
        assert line.strip() == "ready", (line, a.stderr.read() if a.poll() is not None else "")
        assert FileLock(out / runs.LOCK_FILE).holder == a.pid
        in_use = f"run directory is in use by PID {a.pid}"
        refused(capsys, train, in_use, unchanged=[tmp_path])  # 6.1: the same command would "resume" A's run
        refused(capsys, ["train", "gan-toy", "--epochs", "5", "--seed", "1", "--data", "grid", "--out", out,
                         "--force"], in_use, unchanged=[tmp_path])  # 6.2/6.3: --force would delete A's live run
        refused(capsys, ["train", "pianoroll", *BERNOULLI, "--out", out, "--force"], in_use, unchanged=[tmp_path])
        (tmp_path / "alias").symlink_to(out, target_is_directory=True)  # the same run under another name
        refused(capsys, [*train[:-1], tmp_path / "alias", "--force"], in_use, unchanged=[tmp_path])
    finally:
        a.send_signal(signal.SIGKILL)
        a.communicate(timeout=60)
    assert a.returncode == -signal.SIGKILL
    assert (out / runs.LOCK_FILE).exists()  # a killed holder leaves the file, not the lock
    out_text = trains(capsys, train)  # the same command resumes A's unfinished run
    assert "1 epoch(s)" in out_text and (out / "COMPLETE").is_file() and not (out / runs.LOCK_FILE).exists()


def test_the_lock_is_held_while_a_run_is_open_and_gone_after_finish_or_failure(bench, tmp_path, capsys):
    out = _bernoulli_run(bench, tmp_path / "done")
    assert not (out / runs.LOCK_FILE).exists()
    config = {"task": "gan-toy", "builder": "toy_gan", "seed": 0, "training": {"epochs": 1}}
    with RunDir.prepare(tmp_path / "open", config) as run:
        assert FileLock(run.path / runs.LOCK_FILE).holder == os.getpid() and run.path.resolve() in runs._HELD
        run.finish({"score": 1.0})
        assert not (run.path / runs.LOCK_FILE).exists() and not runs._HELD
    assert _strict_json((tmp_path / "open" / "results.json").read_text()) == {"score": 1.0}
    with pytest.raises(KeyboardInterrupt), RunDir.prepare(tmp_path / "made" / "for" / "it", config):
        raise KeyboardInterrupt  # a fresh run that fails before its first checkpoint
    assert not (tmp_path / "made").exists() and not runs._HELD


def test_a_users_own_lock_file_in_a_folder_that_is_no_run_is_kept(bench, tmp_path, capsys):
    user = _write_tree(tmp_path / "user", {"notes.md": "mine", ".lock": "my lock data\n",
                                           runs.LOCK_FILE: "a file of the same name\n"})
    refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", user], "nothing in it is touched",
            unchanged=[tmp_path])


def test_a_lock_symlink_is_never_written_through(bench, tmp_path, capsys):
    _write_tree(tmp_path, {"precious.txt": "precious\n"})
    (tmp_path / "user").mkdir()
    (tmp_path / "user" / runs.LOCK_FILE).symlink_to(tmp_path / "precious.txt")
    refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", tmp_path / "user"],
            "cannot write the run directory", unchanged=[tmp_path])


# --------------------------------------------------------------------------- D4: learning rates and diverged runs
@pytest.mark.parametrize("rate", ["nan", "inf", "-inf", "0", "-1"])
@pytest.mark.parametrize("task", ["pianoroll", "melody"])
def test_4_4_to_4_6_a_learning_rate_that_is_not_finite_and_positive_is_refused_first(bench, tmp_path, capsys, task,
                                                                                     rate):
    options = ["--data", bench, *LSTM] if task == "pianoroll" else MELODY
    out = tmp_path / "new" / "run"
    refused(capsys, ["train", task, *options, f"--learning-rate={rate}", "--out", out],
            "learning rate must be a finite number > 0", unchanged=[tmp_path])
    assert not (tmp_path / "new").exists()


class _PoisonAt(keras.callbacks.Callback):
    """Make every weight NaN at the start of epoch ``at`` (0-based): the next batch's loss is NaN."""

    def __init__(self, at):
        super().__init__()
        self.at = at

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.at:
            self.model.set_weights([np.full_like(w, np.nan) for w in self.model.get_weights()])


def _diverge_at(monkeypatch, epoch):
    fit_run = train_module.fit_run
    monkeypatch.setattr(train_module, "fit_run",
                        lambda *a, callbacks=(), **k: fit_run(*a, callbacks=[*callbacks, _PoisonAt(epoch)], **k))


@pytest.fixture(scope="module")
def diverged(bench, tmp_path_factory):
    """An lstm run whose loss turned NaN in its second epoch: (run folder, its command, what the command printed)."""
    out = tmp_path_factory.mktemp("diverged") / "run"
    argv = ["train", "pianoroll", "--data", str(bench), *LSTM, "--epochs", "2", "--out", str(out)]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MGTUTOR_MODE", "smoke")
        _diverge_at(mp, 1)
        code = cli.main(argv)
    return out, argv, code


def test_4_4_a_nan_loss_stops_training_in_one_line_and_the_run_is_never_complete(diverged, tmp_path, capsys):
    source, argv, code = diverged
    assert code == 2
    out = Path(shutil.copytree(source, tmp_path / "run"))
    argv = [*argv[:-1], str(out)]
    assert not (out / "COMPLETE").exists() and not (out / "results.json").exists()
    assert not (out / runs.LOCK_FILE).exists()
    assert len((out / "log.csv").read_text().splitlines()) == 2  # header and epoch 1: nothing of epoch 2
    state = _strict_json((out / "state" / "state.json").read_text())
    assert isinstance(state, dict)
    refused(capsys, ["evaluate", "pianoroll", "--run", out], "unfinished run", unchanged=[tmp_path])
    trains(capsys, argv)  # the same command resumes from epoch 1's checkpoint and finishes
    assert (out / "COMPLETE").is_file() and len((out / "log.csv").read_text().splitlines()) == 3
    assert math.isfinite(_strict_json((out / "results.json").read_text())["valid"]["frame_nll"])


def test_4_4_the_nan_loss_error_is_one_line(bench, tmp_path, capsys, monkeypatch):
    _diverge_at(monkeypatch, 0)
    err = refused(capsys, ["train", "pianoroll", "--data", bench, *LSTM, "--out", tmp_path / "made" / "run"],
                  "training diverged", "lower the learning rate", unchanged=[bench.parent])
    assert "nan" in err.lower()
    assert not (tmp_path / "made").exists()  # a fresh run with no checkpoint leaves nothing behind


def test_4_4_finish_refuses_a_non_finite_result_and_writes_nothing(tmp_path):
    config = {"task": "gan-toy", "builder": "toy_gan", "seed": 0, "training": {"epochs": 1}}
    for i, bad in enumerate(({"nll": float("nan")}, {"valid": {"nll": float("inf")}}, {"curve": [1.0, -math.inf]})):
        out = tmp_path / f"run{i}"
        with RunDir.prepare(out, config) as run:
            (run.state_dir / "ckpt").parent.mkdir()
            (run.state_dir / "ckpt").write_bytes(b"x")  # a checkpoint, so the folder stays for inspection
            with pytest.raises(RunDirError, match="not a finite number"):
                run.finish(bad)
            assert not (out / "COMPLETE").exists() and not (out / "results.json").exists()
        assert not runs._HELD
    with pytest.raises(RunDirError, match="non-finite"):
        runs.write_json(tmp_path / "x.json", {"a": float("nan")})
    assert not (tmp_path / "x.json").exists()


def test_4_4_results_and_config_of_a_normal_run_are_strict_json(bench, tmp_path, capsys):
    out = _bernoulli_run(bench, tmp_path / "b")
    for path in (out / "results.json", out / "config.json"):
        assert isinstance(_strict_json(path.read_text()), dict)


# --------------------------------------------------------------------------- D7: one line, never a traceback
def test_2_19_a_resume_state_that_is_not_an_object_is_one_line(diverged, tmp_path, capsys):
    source, argv, _ = diverged
    out = Path(shutil.copytree(source, tmp_path / "run"))
    (out / "state" / "state.json").write_text("[1, 2]")
    refused(capsys, [*argv[:-1], out], "unreadable resume state", "use --force", unchanged=[tmp_path])
    (out / "state" / "state.json").write_text('{"weights": 3}')
    refused(capsys, [*argv[:-1], out], "unreadable resume state", unchanged=[tmp_path])


def test_2_21_a_config_json_holding_a_list_is_one_line(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    (run / "config.json").write_text("[1, 2]")
    refused(capsys, ["evaluate", "pianoroll", "--run", run], "holds a JSON list, not an object", unchanged=[tmp_path])
    refused(capsys, ["generate", "pianoroll", "--run", run, "--frames", "8", "--out", tmp_path / "x.mid"],
            "not an object", unchanged=[tmp_path])
    for force in ([], ["--force"]):
        refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, *force],
                "not one an mgtutor run wrote", unchanged=[tmp_path])
    gan = _copy_shipped("gan-toy-ring-gan", tmp_path / "gan")
    (gan / "config.json").write_text('"a string"')
    refused(capsys, ["evaluate", "gan-toy", "--run", gan], "holds a JSON str, not an object", unchanged=[tmp_path])


def test_2_23_an_unknown_training_setting_from_another_version_is_a_warning(tmp_path, capsys):
    run = _copy_shipped("gan-toy-ring-pacgan", tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    config["training"]["bogus"] = 1
    (run / "config.json").write_text(json.dumps(config))
    before = snapshot(tmp_path)
    capsys.readouterr()
    assert cli.main(["evaluate", "gan-toy", "--run", str(run)]) == 0
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and captured.err.startswith("mgtutor: warning: "), captured.err
    assert "bogus" in captured.err and "another mgtutor version" in captured.err
    assert json.loads(captured.out)["model"] == "pacgan"
    assert snapshot(tmp_path) == before


def test_2_29_force_on_a_symlinked_run_never_follows_the_link_into_user_files(bench, tmp_path, capsys):
    real = _bernoulli_run(bench, tmp_path / "real")
    link = tmp_path / "linkrun"
    link.symlink_to(real, target_is_directory=True)
    trains(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", link, "--force"])
    assert link.is_symlink() and (real / "COMPLETE").is_file() and not (real / runs.LOCK_FILE).exists()
    (real / "mine.txt").write_text("mine")
    refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", link, "--force"], "'mine.txt'",
            unchanged=[tmp_path])
    project = _write_tree(tmp_path / "project", PROJECT)
    (tmp_path / "linkproject").symlink_to(project, target_is_directory=True)
    refused(capsys, ["train", "gan-toy", "--epochs", "1", "--out", tmp_path / "linkproject", "--force"],
            "not a run directory", unchanged=[tmp_path])


@pytest.mark.parametrize("seed", ["4294967296", "-1", str(10**30)])
@pytest.mark.parametrize("task", ["gan-toy", "pianoroll", "melody"])
def test_4_2_a_seed_outside_0_to_2_to_the_32_is_one_line_and_leaves_no_run_directory(bench, tmp_path, capsys, task,
                                                                                      seed):
    options = {"gan-toy": ["--epochs", "1"], "pianoroll": ["--data", bench, *LSTM], "melody": MELODY}[task]
    refused(capsys, ["train", task, *options, "--seed", seed, "--out", tmp_path / "new" / "run"], SEED_RULE,
            "--seed", unchanged=[tmp_path])
    assert not (tmp_path / "new").exists()


def test_4_2_the_largest_seed_trains(bench, tmp_path, capsys):
    trains(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--seed", "4294967295", "--out",
                    tmp_path / "run"])
    assert json.loads((tmp_path / "run" / "config.json").read_text())["seed"] == 2**32 - 1


@pytest.mark.parametrize("task", ["gan-toy", "pianoroll", "melody"])
def test_4_3_a_huge_batch_size_is_one_line_and_leaves_no_run_directory(bench, tmp_path, capsys, task):
    options = {"gan-toy": ["--epochs", "1"], "pianoroll": ["--data", bench, *LSTM], "melody": MELODY}[task]
    for size in ("1000000000", "65537"):
        refused(capsys, ["train", task, *options, "--batch-size", size, "--out", tmp_path / "new" / "run"],
                "--batch-size must be at most 65,536", unchanged=[tmp_path])
        assert not (tmp_path / "new").exists()


@pytest.fixture(scope="module")
def shipped_copies(tmp_path_factory):
    """Copies of the shipped melody, bar-GAN (``gan-pianoroll``), gan-spec and gan-toy runs (never written to)."""
    root = tmp_path_factory.mktemp("shipped")
    for name in ("melody-chorales", "gan-pianoroll", "gan-spec", "gan-toy-ring-gan"):
        _copy_shipped(name, root / name)
    return root


@pytest.mark.parametrize("seed", ["-1", "4294967296"])
def test_4_18_and_4_26_every_seed_option_follows_one_rule(bench, shipped_copies, tmp_path, capsys, seed):
    pianoroll_run = _bernoulli_run(bench, tmp_path / "pr")
    out = tmp_path / "gen"
    out.mkdir()
    commands = [
        ["generate", "melody", "--run", shipped_copies / "melody-chorales", "--length", "16", "--out", out / "m.mid"],
        ["generate", "bar-gan", "--run", shipped_copies / "gan-pianoroll", "--n", "2", "--out", out / "g.mid"],
        ["evaluate", "bar-gan", "--run", shipped_copies / "gan-pianoroll"],
        ["generate", "gan-spec", "--run", shipped_copies / "gan-spec", "--n", "2", "--out", out / "s.wav"],
        ["evaluate", "gan-toy", "--run", shipped_copies / "gan-toy-ring-gan"],
        ["generate", "pianoroll", "--run", pianoroll_run, "--frames", "8", "--out", out / "p.mid"],
        ["demo", "--out", tmp_path / "demo"],
    ]
    for argv in commands:
        refused(capsys, [*argv, "--seed", seed], SEED_RULE, unchanged=[tmp_path, shipped_copies])
    assert not any(out.iterdir()) and not (tmp_path / "demo").exists()


def test_4_21_and_4_25_huge_sizes_to_generate_are_one_line(bench, shipped_copies, tmp_path, capsys):
    pianoroll_run = _bernoulli_run(bench, tmp_path / "pr")
    out = tmp_path / "gen"
    out.mkdir()
    for size in (str(10**12), "100001"):
        refused(capsys, ["generate", "pianoroll", "--run", pianoroll_run, "--frames", size, "--out", out / "p.mid"],
                "--frames must be at most 100,000", unchanged=[tmp_path])
        refused(capsys, ["generate", "bar-gan", "--run", shipped_copies / "gan-pianoroll", "--n", size, "--out",
                         out / "g.mid"], "--n must be at most 100,000", unchanged=[tmp_path, shipped_copies])
        refused(capsys, ["generate", "gan-spec", "--run", shipped_copies / "gan-spec", "--n", size, "--out",
                         out / "s.wav"], "--n must be at most 100,000", unchanged=[tmp_path, shipped_copies])
        refused(capsys, ["generate", "melody", "--run", shipped_copies / "melody-chorales", "--length", size, "--out",
                         out / "m.mid"], "--length must be at most 100,000", unchanged=[tmp_path, shipped_copies])
    assert not any(out.iterdir())


def test_4_23_generating_onto_an_existing_folder_is_one_line(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    gen = _write_tree(tmp_path / "gen", {"isdir.mid/mine.txt": "mine"})
    err = refused(capsys, ["generate", "pianoroll", "--run", run, "--frames", "16", "--out", gen / "isdir.mid"],
                  "isdir.mid", unchanged=[tmp_path])
    assert "Traceback" not in err
    assert sorted(p.name for p in gen.iterdir()) == ["isdir.mid"]  # no temporary file left


# --------------------------------------------------------------------------- D8: nothing half-written
def test_1_11_pieces_of_zero_rows_name_the_file_and_leave_no_run_directory(tmp_path, capsys):
    empty = tcn_mat(tmp_path / "pr_zerolen.mat", rows=(0, 1))
    refused(capsys, ["train", "pianoroll", "--data", empty, "--epochs", "1", "--out", tmp_path / "runs" / "zero"],
            "pr_zerolen.mat", "no windows", unchanged=[tmp_path])
    assert not (tmp_path / "runs").exists()
    for model in ("bernoulli", "markov"):  # the NumPy baselines fail after the run directory: it goes again
        refused(capsys, ["train", "pianoroll", "--data", empty, "--model", model, "--out", tmp_path / "runs" / "zero"],
                unchanged=[tmp_path])
        assert not (tmp_path / "runs").exists()


def test_1_11_the_baselines_name_the_file_of_empty_pieces_too(tmp_path, capsys):
    empty = tcn_mat(tmp_path / "pr_zerolen.mat", rows=(0, 1))
    refused(capsys, ["train", "pianoroll", "--data", empty, *BERNOULLI, "--out", tmp_path / "zero"], "pr_zerolen.mat",
            unchanged=[tmp_path])


# --------------------------------------------------------------------------- D9: messages that say what is true
def test_2_3_and_2_4_a_folder_of_user_files_gets_one_refusal_with_or_without_force(bench, tmp_path, capsys):
    user = _write_tree(tmp_path / "userdir", {"essay.txt": "mine", "photos/cat.jpg": b"\xff\xd8", ".hidden": ""})
    errors = []
    for force in ([], ["--force"]):
        err = refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", user, *force],
                      "not a run directory", "nothing in it is touched", "'essay.txt'", "'photos'",
                      unchanged=[tmp_path])
        assert "use --force" not in err
        errors.append(err)
    assert errors[0] == errors[1]


def test_2_10_training_another_task_into_a_finished_run_names_both_tasks(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    err = refused(capsys, ["train", "melody", *MELODY, "--out", run],
                  "holds a finished pianoroll run, not a melody run", unchanged=[tmp_path])
    assert "already complete" not in err
    unfinished = _bernoulli_run(bench, tmp_path / "unfinished")
    for name in ("COMPLETE", "results.json"):
        (unfinished / name).unlink()
    refused(capsys, ["train", "gan-toy", "--epochs", "1", "--out", unfinished],
            "unfinished pianoroll run, not a gan-toy run", unchanged=[tmp_path])


def test_2_24_a_config_json_without_a_task_is_named_so(bench, tmp_path, capsys):
    run = _bernoulli_run(bench, tmp_path / "run")
    config = json.loads((run / "config.json").read_text())
    del config["task"]
    (run / "config.json").write_text(json.dumps(config))
    err = refused(capsys, ["evaluate", "pianoroll", "--run", run], "names no task", "not a pianoroll run",
                  unchanged=[tmp_path])
    assert "None" not in err
    for force in ([], ["--force"]):
        refused(capsys, ["train", "pianoroll", "--data", bench, *BERNOULLI, "--out", run, *force],
                "not one an mgtutor run wrote", unchanged=[tmp_path])


@pytest.mark.parametrize("task", ["pianoroll", "melody"])
def test_4_8_a_transposition_beyond_an_octave_is_refused(bench, tmp_path, capsys, task):
    options = ["--data", bench, *LSTM] if task == "pianoroll" else MELODY
    for shift in ("100", "13"):
        refused(capsys, ["train", task, *options, "--transpose", shift, "--out", tmp_path / "new" / "run"],
                "transpose must be from 0 to 12", unchanged=[tmp_path])
        assert not (tmp_path / "new").exists()


@pytest.mark.parametrize("limit", ["-1", "0", "1"])
def test_4_15_a_melody_limit_below_two_is_refused(tmp_path, capsys, limit):
    options = [*MELODY]
    options[options.index("--limit") + 1] = limit
    refused(capsys, ["train", "melody", *options, "--out", tmp_path / "new" / "run"], "--limit must be at least 2",
            unchanged=[tmp_path])
    assert not (tmp_path / "new").exists()


# --------------------------------------------------------------------------- the property: no user file is ever lost
TOP_RUN_NAMES = sorted(runs.RUN_ENTRIES | {runs.LOCK_FILE})
"""Names a run owns at the top of its folder; a user's file may carry them only below a subfolder."""
FOREIGN_CONFIGS = [b'{"name": "my web app"}', b"[1, 2]", b'"run"', b"{}", b'{"task": "pianoroll"}',
                   b'{"task": "nope", "builder": "x", "environment": {}, "created": "now"}',
                   b'{"task": "pianoroll", "builder": "bernoulli_frames", "created": "now"}', b"", b"\x00\xff"]


def _top_level_ok(name: str) -> bool:
    return name not in TOP_RUN_NAMES and not any(name.startswith(f".{entry}.") for entry in TOP_RUN_NAMES)


name_part = st.one_of(
    st.sampled_from(["notes.md", "config.json", ".hidden", ".git", "src", "my song.mid", "ü ñ.txt", "-rf", "~",
                     "listening_test", *TOP_RUN_NAMES]),
    st.text(string.ascii_letters + string.digits + "._- ", min_size=1, max_size=10).filter(
        lambda s: s not in (".", "..")),
)
user_entry = st.tuples(st.lists(name_part, min_size=1, max_size=3),
                       st.one_of(st.none(), st.binary(max_size=40), st.sampled_from(FOREIGN_CONFIGS)))


def _user_tree(entries, top_ok) -> dict:
    """{relative path: bytes, or None for a folder} from ``entries``, keeping those whose first name passes
    ``top_ok``; where two paths clash (a file where a folder goes), the first wins."""
    tree: dict[str, bytes | None] = {}
    for parts, content in entries:
        if not top_ok(parts[0], len(parts)):
            continue
        rel = "/".join(parts)
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts))]
        if (rel in tree or any(tree.get(p) is not None for p in prefixes)
                or (content is not None and any(k.startswith(rel + "/") for k in tree))):
            continue
        tree[rel] = content
        for p in prefixes:
            tree.setdefault(p, None)
    return tree


@pytest.fixture(scope="module")
def property_root(tmp_path_factory):
    return tmp_path_factory.mktemp("property")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(entries=st.lists(user_entry, min_size=1, max_size=5) | st.just([]),
       before=st.sampled_from([None, "complete", "other-seed", "markov", "unfinished"]),
       nested=st.sampled_from([False, False, True]),
       commands=st.lists(st.tuples(st.sampled_from([True, True, False]), st.sampled_from(["0", "1"]),
                                   st.sampled_from(["bernoulli", "markov"])), min_size=1, max_size=3))
def test_no_user_file_is_ever_removed_or_changed(bench, property_root, capsys, entries, before, nested, commands):
    import tempfile

    folder = Path(tempfile.mkdtemp(dir=property_root))
    out = folder / "run" if nested else folder
    if before:
        model = "markov" if before == "markov" else "bernoulli"
        seed = "1" if before == "other-seed" else "0"
        assert cli.main(["train", "pianoroll", "--data", str(bench), "--model", model, "--seed", seed, "--out",
                         str(out)]) == 0
        if before == "unfinished":
            (out / "COMPLETE").unlink()
            (out / "results.json").unlink()
    if nested:  # the user's files beside the run directory: any name but the run's own
        tree = _user_tree(entries, lambda name, depth: name != "run")
    else:  # the user's files in it: a run's names only in subfolders, and a foreign config.json when no run is there
        tree = _user_tree(entries, lambda name, depth: _top_level_ok(name) or (
            name == "config.json" and depth == 1 and not before))
    _write_tree(folder, tree)
    mine = {rel: snap for rel, snap in snapshot(folder).items() if rel in tree}
    assert len(mine) == len(tree)
    capsys.readouterr()
    for force, seed, model in commands:
        code = cli.main(["train", "pianoroll", "--data", str(bench), "--model", model, "--seed", seed, "--out",
                         str(out), *(["--force"] if force else [])])
        captured = capsys.readouterr()
        if code == 0:
            assert (out / "COMPLETE").is_file() and not captured.err, captured.err
        else:
            assert code == 2 and captured.err.startswith("mgtutor: error: ") and captured.err.count("\n") == 1, (
                code, captured.err)
        now = snapshot(folder)
        lost = {rel for rel in mine if now.get(rel) != mine[rel]}
        assert not lost, f"user files removed or changed: {sorted(lost)} (force={force}, before={before})"
        if tree and not nested and code == 0:  # only the same command may resume an unfinished run beside them
            assert before == "unfinished" and not force and (seed, model) == ("0", "bernoulli"), (before, force)
        assert not (out / runs.LOCK_FILE).exists() and not runs._HELD
