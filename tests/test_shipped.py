"""The package data a notebook relies on in smoke mode: the shipped runs (:mod:`mgtutor.shipped`) and the chorale
table.

The shipped runs are never retrained here (CPU numerics differ between machines): their files are checked against
their recorded hashes and COURSE.md's size limits, the wheel must contain them, the command recorded for each gives
the settings in its config.json, and every run is loaded and scored again against its recorded results.
"""

import dataclasses
import hashlib
import inspect
import json
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mgtutor import data, shipped
from mgtutor.runs import task_name
from mgtutor.tasks import melody, settings_from_config, tasks

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "mgtutor" / "shipped"
RESCORED: set[str] = set()
"""The shipped runs a test below loads and scores again (every one must be)."""


def rescores(*names):
    """Mark a test as the one that loads the shipped runs ``names`` and scores them against their results."""
    RESCORED.update(names)
    return lambda test: test


def test_shipped_files_match_their_hashes_and_the_size_limits():
    manifest = shipped.read_manifest()
    files = {p.relative_to(SHIPPED).as_posix() for p in SHIPPED.rglob("*") if p.is_file() and p.name != "SHA256SUMS"}
    assert set(manifest) == files
    sizes = {}
    for rel, digest in manifest.items():
        blob = (SHIPPED / rel).read_bytes()
        assert hashlib.sha256(blob).hexdigest() == digest, f"{rel} changed; remake it with shipped.SHIPPED[…].command"
        sizes[rel] = len(blob)
    per_run = {name: sum(size for rel, size in sizes.items() if rel.startswith(f"{name}/")) for name in shipped.SHIPPED}
    assert max(per_run.values()) <= shipped.MAX_RUN_BYTES == 2_000_000, per_run
    assert sum(sizes.values()) <= shipped.MAX_TOTAL_BYTES == 12_000_000, sum(sizes.values())


def test_every_shipped_run_is_an_entry_read_from_its_own_config():
    folders = sorted(p.name for p in SHIPPED.iterdir() if (p / "config.json").is_file())
    assert sorted(shipped.SHIPPED) == folders and [p.name for p in shipped.runs()] == folders
    for name, entry in shipped.SHIPPED.items():
        config = json.loads((SHIPPED / name / "config.json").read_text(encoding="utf-8"))
        assert shipped.path(name) == SHIPPED / name and entry.name == name
        assert (entry.task, entry.settings, entry.data) == (task_name(config["task"]), config["training"],
                                                            config["data"])
        assert entry.dtype == "float32" and entry.command.endswith(f"--out mgtutor/shipped/{name}")
    assert shipped.SHIPPED["melody-chorales"].split == {"by": "tune", "seed": 0, "valid_fraction": 0.1}
    assert shipped.SHIPPED["pianoroll-chorales-nade"].split == {"by": "tune", "seed": 0}
    assert shipped.SHIPPED["gan-spec"].split == {"held_out_seeds": [1000, 1001]}
    assert shipped.SHIPPED["gan-toy-ring-gan"].split is None
    with pytest.raises(KeyError, match="no shipped run 'melody'; shipped: gan-pianoroll"):
        shipped.path("melody")


@pytest.mark.parametrize("name", sorted(shipped.SHIPPED))
def test_each_shipped_command_gives_the_settings_its_run_recorded(name, monkeypatch):
    """The command is the one place a shipped run's settings are written by hand: parsed by the command line in full
    mode, it must give what the run's config.json holds."""
    from mgtutor import cli

    monkeypatch.setenv("MGTUTOR_MODE", "full")
    entry = shipped.SHIPPED[name]
    words = shlex.split(entry.command)
    assert words[:4] == ["MGTUTOR_MODE=full", "python", "-m", "mgtutor"]
    args = cli.build_parser().parse_args(words[4:])
    task = tasks()[entry.task]
    names = {f.name for f in dataclasses.fields(task.settings)}
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    settings = inspect.getmodule(task.train).settings(**given)
    assert settings == settings_from_config(task.settings, entry.settings, name)


def test_every_shipped_run_is_scored_again_by_a_test():
    assert RESCORED == set(shipped.SHIPPED)


@rescores("melody-chorales")
def test_the_shipped_run_records_its_split_and_beats_the_bigram_on_its_held_out_tunes():
    from mgtutor.models import NGram

    run = melody.load(shipped.path("melody-chorales"))
    cfg = run.config
    assert cfg["data"]["corpus"] == "chorales" and cfg["data"]["split"]["by"] == "tune"
    s = melody.MelodySettings(**cfg["training"])
    melodies = list(data.chorale_soprano_lines().values())
    train_data, valid, train_idx, valid_idx = melody.splits(melodies, s, run.vocab)
    assert sorted(valid_idx) == cfg["data"]["split"]["valid_index"]
    tunes = data.tune_groups(melodies)
    assert not {tunes[i] for i in train_idx} & {tunes[i] for i in valid_idx}  # no tune on both sides
    nll = melody.validation_nll(run.model, valid)
    assert nll == pytest.approx(run.results["val_nll"], abs=1e-3)
    framed = [run.vocab.encode(melodies[i], add_start_end=True) for i in train_idx]
    bigram = NGram(2, len(run.vocab)).fit(framed)
    assert nll < bigram.nll([run.vocab.encode(melodies[i], add_start_end=True) for i in valid_idx])


def test_the_wheel_contains_the_package_data(tmp_path):
    """Built offline from a copy of the sources (no stale build/ folder), with the build tools of the test extra."""
    source = tmp_path / "source"
    shutil.copytree(ROOT / "mgtutor", source / "mgtutor", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md"):
        shutil.copy(ROOT / name, source / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                           "-q", "-w", str(tmp_path), str(source)], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    wheel = next(tmp_path.glob("mgtutor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    wanted = {"mgtutor/data/chorale_tunes.json", "mgtutor/data/copying_calibration.json", "mgtutor/shipped/SHA256SUMS",
              "mgtutor/data/corpus_bundle.json.gz"}
    wanted |= {f"mgtutor/shipped/{rel}" for rel in shipped.read_manifest()} | {"mgtutor/shipped.py"}
    assert wanted <= names, sorted(wanted - names)
    config = json.loads(zipfile.ZipFile(wheel).read("mgtutor/shipped/melody-chorales/config.json"))
    assert config["builder"] == "melody_lstm"


@rescores(*(f"gan-toy-{data}-{model}" for data in ("ring", "grid") for model in ("gan", "pacgan")))
@pytest.mark.parametrize("data_name", ["ring", "grid"])
def test_the_shipped_toy_gans_reload_and_packing_covers_more_modes(data_name):
    """Notebook 08's shipped runs (seed 0): PacGAN meets the full-mode targets, the plain GAN covers fewer modes."""
    from mgtutor.tasks import gan_toy

    scores = {}
    for model in ("gan", "pacgan"):
        run = gan_toy.load(shipped.path(f"gan-toy-{data_name}-{model}"))
        assert run.config["training"]["model"] == model and run.config["seed"] == 0
        assert run.config["builder_kwargs"].get("pack", 1) == (2 if model == "pacgan" else 1)
        scores[model] = gan_toy.scores(run.model, data_name, seed=0)
        assert abs(scores[model]["modes"] - run.results["modes"]) <= 1  # sampled on another CPU: allow a boundary case
        assert scores[model]["high_quality"] == pytest.approx(run.results["high_quality"], abs=0.01)
    target_modes, target_hq = {"ring": (8, 0.90), "grid": (24, 0.80)}[data_name]
    assert scores["pacgan"]["modes"] >= target_modes and scores["pacgan"]["high_quality"] >= target_hq
    assert scores["gan"]["modes"] < scores["pacgan"]["modes"]
    means = [r for r in shipped.jsonl("gan-toy-benchmarks") if r["data"] == data_name and r.get("seeds") == [0, 1, 2]]
    assert {r["model"] for r in means} == {"gan", "pacgan"}


@rescores("gan-pianoroll")
def test_the_shipped_bar_gan_reloads_keeps_its_split_and_meets_its_targets():
    """Notebook 09's shipped bar GAN (full mode, seed 0): its bars are the tune split's, its recorded evaluation
    holds every bar metric within tolerance with no copy, evaluating it again gives the same numbers, and the same
    seed draws the same bars again."""
    import numpy as np

    from mgtutor.metrics import bar_metrics
    from mgtutor.tasks import bar_gan

    run = bar_gan.load(shipped.path("gan-pianoroll"))
    cfg = run.config
    assert cfg["task"] == "gan-pianoroll" and cfg["seed"] == 0 and cfg["training"]["chorales"] is None  # an alias
    assert shipped.SHIPPED["gan-pianoroll"].task == "bar-gan" and run.settings.seed == 0
    bars = run.bars
    assert {k: len(v) for k, v in bars.items()} == {k: cfg["data"]["bars"][k] for k in ("train", "valid")}
    ev = run.results["evaluation"]
    assert ev["within"] == 5 and ev["generated"]["copies"] == 0 and ev["baseline_within"] < 5
    assert run.results["train_cpu_seconds"] <= 15 * 60
    assert bar_metrics(bars["train"], 30)["used_pitch_classes"] == pytest.approx(ev["training"]["used_pitch_classes"])
    again = bar_gan.evaluate(run.model, bars, run.settings)
    assert again["generated"] == pytest.approx(ev["generated"], rel=1e-6) and again["within"] == ev["within"]
    sample = bar_gan.sample_bars(run.model, 200, seed=0)
    np.testing.assert_array_equal(sample, bar_gan.sample_bars(run.model, 200, seed=0))
    assert bar_metrics(sample, 30, training=bars["train"])["copies"] == 0


@rescores("gan-spec")
def test_the_shipped_spectrogram_gan_reloads_and_reproduces_its_frechet_distance():
    """Notebook 09's shipped spectrogram GAN (full mode, seed 0): its recorded evaluation meets the targets (pitch
    accuracy ≥ 80 %, FD ≤ 3× the real-vs-real floor, far below an untrained generator), and the Fréchet distance
    and its floor are reproduced from the shipped weights and classifier."""
    from mgtutor.metrics import frechet_distance
    from mgtutor.models.gan_music import note_features
    from mgtutor.tasks import gan_spec

    run = gan_spec.load(shipped.path("gan-spec"))
    assert run.config["task"] == "gan-spec" and run.config["seed"] == 0
    ev = run.results["evaluation"]
    assert ev["pitch_accuracy"] >= 0.8 and ev["pitch_accuracy_ceiling"] >= ev["pitch_accuracy"]
    assert ev["fd"] <= 3 * ev["fd_floor"] and ev["fd"] < ev["fd_untrained"] / 10
    assert ev["fd_n"] == 256 and ev["features"] == 16 and run.results["train_cpu_seconds"] <= 15 * 60
    held = gan_spec.held_out_sets(run.settings, seed=0)
    notes = held["notes"]
    feats_a = note_features(run.classifier, notes["spec"][held["A"]])
    floor = frechet_distance(note_features(run.classifier, notes["spec"][held["B"]]), feats_a)
    fake = gan_spec.generate_spectrograms(run.model, notes["label"][held["B"]], seed=1)
    fd = frechet_distance(note_features(run.classifier, fake), feats_a)
    assert [fd, floor] == pytest.approx([ev["fd"], ev["fd_floor"]], rel=1e-3)


@rescores("pianoroll-chorales-lstm", "pianoroll-chorales-nade")
@pytest.mark.parametrize("model", ["lstm", "nade"])
def test_the_shipped_piano_roll_runs_score_their_recorded_validation_nll(model):
    """Notebook 07's shipped runs, trained on the whole tune split of the chorales: scored again on its validation
    tunes."""
    from mgtutor.tasks import pianoroll

    run = pianoroll.load(shipped.path(f"pianoroll-chorales-{model}"))
    split = pianoroll.load_data("chorales", run.settings.seed, limit=len(data.chorale_names()))
    valid = pianoroll.score(run.model, split["valid"])
    assert valid == pytest.approx(run.results["valid"], abs=1e-4)
