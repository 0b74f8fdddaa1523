"""`python -m mgtutor train melody` / `generate melody`: round trip, reproducibility, bad input."""

import subprocess
import sys

import numpy as np
import pytest

from mgtutor import cli


def songs() -> list[list[str]]:
    """The five training melodies, as melody-grid tokens: 12 quarter notes each."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(5):
        tokens = []
        for _ in range(12):
            tokens += [str(int(rng.choice([60, 62, 64, 65, 67, 69]))), "_", "_", "_"]
        out.append(tokens)
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from mgtutor.render import write_midi

    midi = tmp_path_factory.mktemp("midi")
    for k, tokens in enumerate(songs()):
        write_midi(tokens, midi / f"song{k}.mid")
    out = tmp_path_factory.mktemp("runs") / "melody-lstm-0"
    code = cli.main(["train", "melody", "--corpus", str(midi), "--out", str(out), "--epochs", "1",
                     "--units", "8", "--embed-dim", "4", "--layers", "1", "--seed", "0"])
    assert code == 0
    return out


def _generate(run_dir, out, *extra):
    return cli.main(["generate", "melody", "--run", str(run_dir), "--length", "48", "--out", str(out), *extra])


def test_same_run_and_seed_give_identical_midi(run_dir, tmp_path, capsys):
    a, b, c = tmp_path / "a.mid", tmp_path / "b.mid", tmp_path / "c.mid"
    assert _generate(run_dir, a, "--seed", "3", "--primer", "60 _ 62 _", "--temperature", "1.2") == 0
    assert _generate(run_dir, b, "--seed", "3", "--primer", "60 _ 62 _", "--temperature", "1.2") == 0
    assert _generate(run_dir, c, "--seed", "4", "--primer", "60 _ 62 _", "--temperature", "1.2") == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    from mgtutor.symbolic.midi import load_midi

    notes = load_midi(a).notes
    assert notes[0].pitch == 60 and notes[1].pitch == 62  # the primer comes first
    assert "a.mid:" in capsys.readouterr().out


def test_musicxml_and_wav_outputs(run_dir, tmp_path):
    import soundfile as sf

    assert _generate(run_dir, tmp_path / "m.musicxml", "--top-k", "5") == 0
    assert _generate(run_dir, tmp_path / "m.wav", "--top-p", "0.9") == 0
    assert b"<score-partwise" in (tmp_path / "m.musicxml").read_bytes()[:2000]
    info = sf.info(tmp_path / "m.wav")
    assert info.samplerate == 22050 and info.frames > 0
    assert _generate(run_dir, tmp_path / "w1.wav", "--seed", "9") == 0
    assert _generate(run_dir, tmp_path / "w2.wav", "--seed", "9") == 0
    assert (tmp_path / "w1.wav").read_bytes() == (tmp_path / "w2.wav").read_bytes()


@pytest.mark.parametrize(
    ("extra", "phrase"),
    [(["--length", "0"], "length must be a positive"), (["--temperature", "0"], "temperature must be > 0"),
     (["--top-p", "0"], "top_p must be in (0, 1]"), (["--top-p", "1.5"], "top_p must be in (0, 1]"),
     (["--top-k", "0"], "top_k must be a positive"), (["--primer", "60 _ H"], "['H'] not in this run's vocabulary")],
)
def test_bad_generation_arguments(run_dir, tmp_path, capsys, extra, phrase):
    code = cli.main(["generate", "melody", "--run", str(run_dir), "--length", "8", "--out", str(tmp_path / "x.mid"),
                     *extra])
    err = capsys.readouterr().err
    assert code == 2 and phrase in err and err.count("\n") == 1 and err.startswith("mgtutor: error: ")
    assert not (tmp_path / "x.mid").exists()


def test_missing_unfinished_run_and_bad_suffix(run_dir, tmp_path, capsys):
    assert _generate(tmp_path / "nope", tmp_path / "x.mid") == 2
    assert "no such run directory" in capsys.readouterr().err
    partial = tmp_path / "partial"
    partial.mkdir()
    (partial / "config.json").write_text((run_dir / "config.json").read_text())
    assert _generate(partial, tmp_path / "x.mid") == 2
    assert "unfinished run" in capsys.readouterr().err
    assert _generate(run_dir, tmp_path / "x.mp3") == 2
    assert "unknown output type '.mp3'" in capsys.readouterr().err


def test_bad_train_arguments(tmp_path, capsys):
    assert cli.main(["train", "melody", "--corpus", str(tmp_path / "none"), "--out", str(tmp_path / "r")]) == 2
    assert "use 'chorales', 'folk' or a folder" in capsys.readouterr().err
    assert cli.main(["train", "melody", "--epochs", "0", "--out", str(tmp_path / "r")]) == 2
    assert "epochs must be a positive integer, got 0" in capsys.readouterr().err


def test_exit_status_from_a_real_process(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "mgtutor", "generate", "melody", "--run", str(tmp_path),
                           "--length", "-3", "--out", str(tmp_path / "x.mid")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip() == "mgtutor: error: length must be a positive number of tokens, got -3"


def test_train_on_a_real_world_midi_folder(tmp_path, capsys):
    """Drums, a named vocal, out-of-range notes, a broken file: one line per skipped file and a summary."""
    from test_midi_melodies import FILES

    folder = tmp_path / "midi"
    folder.mkdir()
    for name, data in FILES.items():
        (folder / name).write_bytes(data)
    code = cli.main(["train", "melody", "--corpus", str(folder), "--out", str(tmp_path / "r"), "--epochs", "1",
                     "--units", "4", "--embed-dim", "2", "--layers", "1", "--window", "8", "--stride", "8",
                     "--test-fraction", "0"])
    err = capsys.readouterr().err
    assert code == 0, err
    lines = err.strip().splitlines()
    assert [line for line in lines if "d_broken.mid" in line][0].startswith("mgtutor: warning: skipped ")
    assert sum("e_drums_only.mid" in line for line in lines) == 1
    assert lines[-1] == "mgtutor: warning: 5 files, 3 melodies, 2 skipped, 2 notes folded into 21–108"
    cfg = (tmp_path / "r" / "config.json").read_text()
    assert '"pieces": 3' in cfg


def test_stride_longer_than_the_window_is_refused(tmp_path, capsys):
    assert cli.main(["train", "melody", "--window", "8", "--stride", "9", "--out", str(tmp_path / "r")]) == 2
    assert "would skip training targets" in capsys.readouterr().err


def held_out_nll_by_hand(run_dir) -> float:
    """The mean NLL of every held-out target, from the songs as written, the run's vocabulary file and its model's
    logits, one window at a time: windows of ``window`` inputs that do not overlap, the last one shorter."""
    import json

    from mgtutor.tasks import melody

    config = json.loads((run_dir / "config.json").read_text())
    window = config["training"]["window"]
    ids = {t: i for i, t in enumerate(json.loads((run_dir / "vocab.json").read_text())["tokens"])}
    model = melody.load(run_dir).model
    total = count = 0.0
    for k in config["data"]["split"]["valid_index"]:
        seq = [ids[t] for t in ["<start>", *songs()[k], "<end>"]]
        for a in range(0, len(seq) - 1, window):
            x, y = seq[a:a + window], seq[a + 1:a + window + 1]
            logits = np.asarray(model(np.array([x[:len(y)]], "int32"), training=False), np.float64)[0]
            top = logits.max(axis=1, keepdims=True)
            log_p = logits - top - np.log(np.exp(logits - top).sum(axis=1, keepdims=True))
            total -= log_p[np.arange(len(y)), y].sum()
            count += len(y)
    assert count == sum(len(songs()[k]) + 1 for k in config["data"]["split"]["valid_index"])  # each target once
    return total / count


def test_evaluate_scores_the_held_out_pieces_as_computed_by_hand(run_dir, capsys):
    import json
    import re

    expected = held_out_nll_by_hand(run_dir)
    assert cli.main(["evaluate", "melody", "--run", str(run_dir)]) == 0
    out = capsys.readouterr().out
    printed = float(re.search(r"validation NLL (\d+\.\d{4}) nats/token", out).group(1))
    assert printed == pytest.approx(expected, abs=6e-5)
    assert json.loads((run_dir / "results.json").read_text())["val_nll"] == pytest.approx(expected, abs=1e-5)


def test_help_lists_the_tasks(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "melody" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(verb in out for verb in ("train", "generate", "evaluate", "data", "demo"))
