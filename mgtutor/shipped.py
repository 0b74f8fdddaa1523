"""What ships with the package: trained runs and benchmark lines (``mgtutor/shipped/``), and how each run was made.

Part of mgtutor. See notebooks 06–09 (each loads its shipped runs in smoke mode:
:func:`mgtutor.tasks.shipped_or_trained`), 11 (evaluates them) and 12 §5 (what they cost).

A shipped run is a finished run directory (:mod:`mgtutor.runs`), made by one command (:data:`ARGUMENTS`) and
never retrained by the tests (CPU numerics differ between machines). Everything else about it is read from its own
config.json, so nothing is written twice: the task, the settings it trained with, its split and its dtype
(:class:`Entry`, :data:`SHIPPED`). ``SHA256SUMS`` records the hash of every file under ``mgtutor/shipped/``
(:func:`write_manifest` after a run is remade, :func:`read_manifest` in the tests).

Size limits (COURSE.md): :data:`MAX_RUN_BYTES` a run, :data:`MAX_TOTAL_BYTES` in all.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from mgtutor.files import atomic_write_text
from mgtutor.runs import CONFIG_FILE, read_json_object, task_name

__all__ = ["Entry", "SHIPPED", "ARGUMENTS", "MANIFEST", "MAX_RUN_BYTES", "MAX_TOTAL_BYTES", "root", "path", "runs",
           "jsonl", "write_manifest", "read_manifest"]

MANIFEST = "SHA256SUMS"
MAX_RUN_BYTES = 2_000_000
"""The most a shipped run may weigh (all its files)."""
MAX_TOTAL_BYTES = 12_000_000
"""The most everything under ``mgtutor/shipped/`` may weigh."""

ARGUMENTS = {
    "melody-chorales": "--corpus chorales --units 256 --layers 1 --embed-dim 64 --dropout 0.3 --transpose 6 "
                       "--epochs 150 --patience 20 --time-budget 20 --seed 0",
    **{f"pianoroll-chorales-{model}": f"--data chorales --model {model} --units 128 --hidden 64 --transpose 3 "
                                      "--time-budget 7 --seed 0" for model in ("lstm", "nade")},
    **{f"gan-toy-{data}-{model}": f"--data {data} --model {model} --seed 0"
       for data in ("ring", "grid") for model in ("gan", "pacgan")},
    "gan-pianoroll": "--seed 0",
    "gan-spec": "--seed 0",
}
"""The options of the ``train`` command that made each shipped run, by its folder name (:attr:`Entry.command`). The
2-D GAN runs are also the seed-0 runs of ``benchmarks/bench_gan_toy.py``, which trains with the same settings. The
folder ``gan-pianoroll`` keeps the former name of its task, ``bar-gan``."""


def root() -> Path:
    """The folder of everything shipped: ``mgtutor/shipped/`` where the package is installed."""
    return Path(str(resources.files("mgtutor").joinpath("shipped")))


def path(name: str) -> Path:
    """The shipped run ``name`` (a key of :data:`SHIPPED`, e.g. ``melody-chorales``): its folder.

    Raises:
        KeyError: no run of that name ships (the message lists those that do).
    """
    if name not in ARGUMENTS:
        raise KeyError(f"no shipped run {name!r}; shipped: {', '.join(sorted(ARGUMENTS))}")
    return root() / name


def runs() -> list[Path]:
    """The folders of every shipped run, sorted by name.

    See: notebooks/12_applications_and_ethics.ipynb §5.
    """
    return [path(name) for name in sorted(ARGUMENTS)]


def jsonl(name: str) -> list[dict]:
    """The JSON lines of ``mgtutor/shipped/<name>.jsonl``: ``benchmarks`` (what ``benchmarks/bench_poly.py``
    printed, for notebook 07's tables), ``gan-toy-benchmarks`` (``benchmarks/bench_gan_toy.py``, for notebook
    08's) or ``melody-benchmarks`` (``benchmarks/bench_melody.py``: the configurations tried for the shipped melody
    run, and the run itself, for notebook 06's), each line with the command that made it."""
    text = (root() / f"{name}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Entry:
    """How a shipped run was made, read from its config.json except for :attr:`command`'s options.

    Attributes:
        name: its folder under ``mgtutor/shipped/``.
        task: the training task (:mod:`mgtutor.tasks`), by its name even where config.json gives an alias (the
            ``gan-pianoroll`` run is a ``bar-gan`` run: :func:`mgtutor.runs.task_name`).
        settings: config.json's ``training``: every setting it trained with.
        data: config.json's ``data``: what it trained on (:attr:`mgtutor.tasks.Task.data` loads it again).
        split: how its held-out data was chosen (``{"by": "tune", "seed": …}`` for the chorales; the draws of the
            timbre family that give the spectrogram GAN's training and held-out notes; None for the 2-D GANs, which
            draw fresh points every epoch).
        dtype: the precision it trained in (config.json's execution policy; float32 where none was recorded).
        command: the command that made it.
    """

    name: str
    task: str
    settings: dict
    data: dict
    split: dict | None
    dtype: str
    command: str


def _split(config: dict) -> dict | None:
    data = config["data"]
    if "split" in data:
        return {k: v for k, v in data["split"].items() if k not in ("valid_index", "test_index")}
    if data.get("spec") == "chorales":
        return {"by": "tune", "seed": config["seed"]}
    if "held_out_seeds" in data:
        return {"held_out_seeds": data["held_out_seeds"]}
    return None


def _entry(name: str) -> Entry:
    config = read_json_object(path(name) / CONFIG_FILE, "reinstall the package")
    execution, task = config.get("execution") or {}, task_name(config["task"])
    return Entry(name=name, task=task, settings=config["training"], data=config["data"],
                 split=_split(config), dtype=execution.get("policy", "float32"),
                 command=f"MGTUTOR_MODE=full python -m mgtutor train {task} {ARGUMENTS[name]} "
                         f"--out mgtutor/shipped/{name}")


SHIPPED: dict[str, Entry] = {name: _entry(name) for name in ARGUMENTS}
"""Every shipped run, by folder name."""


def write_manifest(folder: str | os.PathLike | None = None) -> Path:
    """Write ``SHA256SUMS`` in ``folder`` (default :func:`root`): one ``<sha256>  <relative path>`` line per file
    below it (sorted), the format ``sha256sum -c`` reads. Run it after remaking a shipped run."""
    folder = Path(folder) if folder is not None else root()
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name != MANIFEST)
    lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}" for p in files]
    return atomic_write_text(folder / MANIFEST, "\n".join(lines) + "\n")


def read_manifest(folder: str | os.PathLike | None = None) -> dict[str, str]:
    """``{relative path: sha256}`` from ``folder``'s ``SHA256SUMS`` (default :func:`root`)."""
    text = (Path(folder) if folder is not None else root()).joinpath(MANIFEST).read_text(encoding="utf-8")
    return {p: digest for digest, p in (line.split("  ", 1) for line in text.splitlines() if line.strip())}
