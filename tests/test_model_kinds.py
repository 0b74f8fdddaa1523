"""A new model kind costs one builder and one task page: a Keras bigram, registered here, trains, resumes, scores and
generates as the melody task's ``--model`` and as a task of its own, through the command line — and the sampler
protocol routes generation to a kind's registered sampler, or to the generic re-feeding path when it has none."""

import json
import time
from dataclasses import asdict, dataclass

import keras
import numpy as np
import pytest

from mgtutor import cli, config, models, runs, sampling, tasks, train
from mgtutor.models import registry
from mgtutor.symbolic import grid_to_melody, melody_vocabulary
from mgtutor.symbolic.midi import load_midi
from mgtutor.tasks import melody

pytestmark = pytest.mark.slow  # trains four small runs (about a minute)


# --------------------------------------------------------------------------- the new kind: a builder …
def bigram(vocab_size: int):
    """p(next | token) = softmax(E[token]): an Embedding whose rows are the logits."""
    return keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                             keras.layers.Embedding(vocab_size, vocab_size, name="logits")], name="bigram")


class BigramStepper:
    """A NumPy sampler for the bigram (the protocol of :class:`mgtutor.models.StatefulLSTM`): the state is unused."""

    steps = 0

    def __init__(self, model):
        self.table = model.get_layer("logits").get_weights()[0]
        self.vocab_size = self.table.shape[1]

    def initial_state(self, batch=1):
        return None

    def step(self, tokens, state):
        BigramStepper.steps += 1
        return self.table[np.asarray(tokens)], state


@pytest.fixture
def kinds(monkeypatch):
    """The bigram registered without a sampler (``test_bigram``) and with one (``test_bigram_fast``), as the melody
    task's ``--model bigram`` / ``bigram-fast``; the registries are restored afterwards."""
    monkeypatch.setattr(registry, "KINDS", dict(registry.KINDS))
    monkeypatch.setattr(registry, "BUILDERS", dict(registry.BUILDERS))
    registry.register("test_bigram")(bigram)
    registry.register("test_bigram_fast", sampler=BigramStepper)(bigram)
    monkeypatch.setitem(melody.MODELS, "bigram", "test_bigram")
    monkeypatch.setitem(melody.MODELS, "bigram-fast", "test_bigram_fast")


def _bigram_nll(table, x, y, w):
    """Token NLL of a bigram table on windows, by hand: −Σ w log softmax(table[x])[y] / Σ w."""
    logits = table[x].astype(np.float64)
    logp = logits - logits.max(-1, keepdims=True)
    logp -= np.log(np.exp(logp).sum(-1, keepdims=True))
    return float(-(w * np.take_along_axis(logp, y[..., None], -1)[..., 0]).sum() / w.sum())


def test_a_kind_without_a_sampler_is_a_melody_model(kinds, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["train", "melody", "--model", "bigram", "--corpus", "chorales", "--limit", "8", "--epochs", "2",
                     "--out", str(out)]) == 0
    run = melody.load(out)
    assert run.config["builder"] == "test_bigram" and run.config["builder_kwargs"] == {"vocab_size": len(run.vocab)}
    assert run.settings.model == "bigram" and models.sampler(run.model) is None
    # the task's score is the bigram's NLL computed by hand from its table
    valid = melody.splits(melody.load_corpus("chorales", 8), run.settings, run.vocab).valid
    table = run.model.get_layer("logits").get_weights()[0]
    assert run.val_nll == pytest.approx(_bigram_nll(table, *valid.epoch(0)), abs=1e-5)
    capsys.readouterr()
    assert cli.main(["evaluate", "melody", "--run", str(out)]) == 0
    assert f"validation NLL {run.val_nll:.4f}" in capsys.readouterr().out
    # generation falls back on re-feeding the Keras model: the tokens a NumPy bigram draws with the same seed
    mid = tmp_path / "slow.mid"
    assert cli.main(["generate", "melody", "--run", str(out), "--length", "48", "--seed", "3", "--out", str(mid)]) == 0
    start = melody.parse_primer("", run.vocab)
    ids = sampling.generate_stateful(BigramStepper(run.model), start, 48, seed=3)[0]
    tokens = run.vocab.decode([*start.tolist(), *ids.tolist()])
    assert [n.pitch for n in load_midi(mid).notes] == [n.pitch for n in grid_to_melody(tokens, strict=False)]
    # the same weights under a kind with a registered sampler: the same file, drawn by the sampler alone
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "builder": "test_bigram_fast"}))
    BigramStepper.steps = 0
    assert cli.main(["generate", "melody", "--run", str(out), "--length", "48", "--seed", "3",
                     "--out", str(tmp_path / "fast.mid")]) == 0
    assert BigramStepper.steps == 48 and (tmp_path / "fast.mid").read_bytes() == mid.read_bytes()
    assert cli.main(["train", "melody", "--model", "trigram", "--out", str(tmp_path / "no")]) == 2
    assert "--model 'trigram': use one of lstm, bigram, bigram-fast" in capsys.readouterr().err


# --------------------------------------------------------------------------- … and a task page
@dataclass(frozen=True)
class BigramSettings:
    epochs: int = 3
    window: int = 16
    batch_size: int = 16
    learning_rate: float = 0.05
    time_budget_min: float | None = None
    seed: int = 0


STOP_AT = []
"""An epoch at which the next ``train bigram`` is interrupted (empty: none)."""


class Interrupt(keras.callbacks.Callback):
    def on_epoch_begin(self, epoch, logs=None):
        if STOP_AT and epoch == STOP_AT[0]:
            STOP_AT.clear()
            raise KeyboardInterrupt


def _windows(melodies, s, vocab):
    from mgtutor.data import NextStepData

    return NextStepData([vocab.encode(m, add_start_end=True) for m in melodies], s.window, s.window, s.batch_size,
                        shuffle=True, seed=s.seed)


def train_bigram(data, out, settings, *, force=False, callbacks=(), verbose=0, plan=None):
    start, s, vocab = time.monotonic(), settings, melody_vocabulary()
    windows = _windows(data, s, vocab)
    kwargs = models.builder_kwargs("test_bigram", {**asdict(s), "vocab_size": len(vocab)})
    with tasks.start_run(out, {"task": "bigram", "builder": "test_bigram", "builder_kwargs": kwargs, "seed": s.seed,
                               "data": {"limit": len(data)}, "training": asdict(s)}, force, plan) as run:
        def build():
            config.seed_everything(s.seed)
            model = models.build("test_bigram", **kwargs)
            model.compile(optimizer=keras.optimizers.Adam(s.learning_rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
            return model

        fit = train.fit_run(run, build, windows, epochs=s.epochs, callbacks=[Interrupt(), *callbacks],
                            verbose=verbose, plan=plan)
        nll = melody.validation_nll(fit.model, _windows(data, s, vocab))
        return tasks.finish_run(run, fit.model, {"nll": nll, **tasks.fit_results(fit)}, start, plan)


def load_bigram(run_dir):
    return tasks.open_run(run_dir, "bigram")


def training_data(s, spec):
    return melody.load_corpus("chorales", spec["limit"])


def _run_train(args):
    s = tasks.make_settings(BigramSettings, {}, {"epochs": args.epochs, "seed": args.seed}, ("epochs",), "bigram")
    run = train_bigram(training_data(s, {"limit": 6}), args.out, s, force=args.force)
    print(f"{run.run_dir}: {run.epochs_run} epochs, NLL {run.nll:.4f}")
    return 0


def _run_evaluate(args):
    run = load_bigram(args.run_dir)
    windows = _windows(training_data(run.settings, run.config["data"]), run.settings, melody_vocabulary())
    print(f"NLL {melody.validation_nll(run.model, windows):.6f}")
    return 0


def _run_generate(args):
    run = load_bigram(args.run_dir)
    ids = sampling.generate_refeed(run.model, [melody_vocabulary().start_id], args.length, window=None, seed=args.seed)
    melody.write_melody(melody_vocabulary().decode(ids[0].tolist()), args.out)
    return 0


@pytest.fixture
def bigram_task(monkeypatch):
    monkeypatch.setattr(registry, "KINDS", dict(registry.KINDS))
    monkeypatch.setattr(registry, "BUILDERS", dict(registry.BUILDERS))
    registry.register("test_bigram")(bigram)
    monkeypatch.setattr(tasks, "TASKS", dict(tasks.tasks()))
    monkeypatch.setattr(runs, "RUN_TASKS", runs.RUN_TASKS | {"bigram"})  # a task that writes run directories
    o = tasks.option
    tasks.register_task(tasks.Task("bigram", "a bigram next-token model", {
        "train": ((o("--out", required=True), o("--epochs", type=int), o("--seed", type=int),
                   o("--force", action="store_true")), _run_train),
        "evaluate": ((tasks.run_dir_option("bigram"),), _run_evaluate),
        "generate": ((tasks.run_dir_option("bigram"), o("--length", type=int), o("--seed", type=int, default=0),
                      o("--out", required=True)), _run_generate),
    }, BigramSettings, train_bigram, load_bigram, training_data))


def test_a_kind_is_a_task_of_its_own_and_resumes(bigram_task, tmp_path, capsys):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    assert cli.main(["train", "bigram", "--out", str(straight)]) == 0
    STOP_AT.append(2)
    with pytest.raises(KeyboardInterrupt):
        cli.main(["train", "bigram", "--out", str(resumed)])
    assert not (resumed / "COMPLETE").exists() and train.read_log(resumed / "log.csv")["epoch"] == [0, 1]
    assert cli.main(["train", "bigram", "--out", str(resumed)]) == 0  # the same command resumes at epoch 2
    a, b = load_bigram(straight), load_bigram(resumed)
    assert b.history["epoch"] == [0, 1, 2] and b.settings == a.settings == BigramSettings()
    np.testing.assert_array_equal(a.model.get_weights()[0], b.model.get_weights()[0])
    capsys.readouterr()
    assert cli.main(["evaluate", "bigram", "--run", str(resumed)]) == 0
    windows = _windows(melody.load_corpus("chorales", 6), b.settings, melody_vocabulary())
    assert float(capsys.readouterr().out.split()[1]) == pytest.approx(
        _bigram_nll(b.model.get_weights()[0], *windows.epoch(0)), abs=1e-5)
    assert cli.main(["generate", "bigram", "--run", str(resumed), "--length", "32", "--out",
                     str(tmp_path / "g.mid")]) == 0
    assert load_midi(tmp_path / "g.mid").notes
    assert cli.main(["train", "bigram", "--out", str(resumed)]) == 2  # finished: refuses without --force
    assert "already complete" in capsys.readouterr().err


def _keras_lstms(model) -> int:
    """How many ``keras.layers.LSTM`` layers ``model`` holds, nested ones included (0 for a NumPy model)."""
    if not isinstance(model, keras.Model):
        return 0
    return sum(isinstance(layer, keras.layers.LSTM) for layer in model._flatten_layers(include_self=False))


@pytest.mark.parametrize("name", sorted(registry.KINDS))
def test_each_kind_says_whether_its_model_holds_a_cudnn_lstm(name):
    # the flag decides whether mixed precision is refused under JAX (distribute.plan_training): read it off the model
    model = registry.build(name, **({"vocab_size": 12} if name == "melody_lstm" else {}))
    assert registry.kind(name).cudnn_lstm == (_keras_lstms(model) > 0), name


def test_a_kind_registers_without_an_lstm_by_default_and_an_unknown_kind_is_refused(kinds):
    assert registry.kind("test_bigram").cudnn_lstm is False
    with pytest.raises(models.ModelConfigError, match="no model builder named 'nope'; known:"):
        registry.kind("nope")
