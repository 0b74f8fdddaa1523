"""The headless demo writes four files that load back, reproducibly, through the CLI."""

from __future__ import annotations

import json
import math

import numpy as np
import pretty_midi
import pytest

from mgtutor import cli, shipped
from mgtutor.demo import summarize

pytestmark = pytest.mark.timeout(600)


def run(out, seed, capsys, *extra):
    assert cli.main(["demo", "--out", str(out), "--seed", str(seed), *extra]) == 0
    return capsys.readouterr().out


def test_demo_with_its_real_settings_writes_the_melody_the_shipped_run_generates(tmp_path, capsys, monkeypatch):
    """Each file read back with another library than the one that wrote it, against the melody that the library
    path (tasks.melody.generate_melody) samples from the shipped run with the demo's documented settings and seed;
    the last line compares the run's test perplexity with the best n-gram's, as its results.json records them."""
    import music21
    import soundfile
    from PIL import Image

    from mgtutor.tasks import melody

    monkeypatch.setenv("MGTUTOR_MODE", "full")
    printed = run(tmp_path, 0, capsys)
    lines = {line.split()[0]: line for line in printed.splitlines()[1:]}
    assert set(lines) == {"melody.mid", "melody.musicxml", "melody.wav", "melody.png", "melody-chorales"}, printed
    assert not (tmp_path / "run").exists() and "sampling from the shipped melody model" in printed
    results = json.loads((shipped.path("melody-chorales") / "results.json").read_text())
    ngram = math.exp(results["baselines"]["best"]["test_nll"])
    assert (f"test perplexity {results['test_perplexity']:.3f} against the best n-gram's {ngram:.3f}"
            in lines["melody-chorales"])

    # 256 sixteenth-note tokens at temperature 0.9 among the 8 likeliest, seed 0: mgtutor.demo.DEMO
    again = melody.generate_melody(shipped.path("melody-chorales"), 256, tmp_path / "again.mid", seed=0,
                                   temperature=0.9, top_k=8)
    qpm = json.loads((shipped.path("melody-chorales") / "config.json").read_text())["data"]["qpm"]
    expected = [(n.pitch, n.start * 60 / qpm, n.end * 60 / qpm) for n in again.notes]  # quarters → seconds
    assert len(expected) > 8  # a melody (the model may end it with <end>), not a few notes

    (inst,) = pretty_midi.PrettyMIDI(str(tmp_path / "melody.mid")).instruments
    got = [(n.pitch, n.start, n.end) for n in inst.notes]
    assert [p for p, _, _ in got] == [p for p, _, _ in expected]
    assert f"MIDI, {len(expected)} notes" in lines["melody.mid"]
    np.testing.assert_allclose([t for _, *se in got for t in se], [t for _, *se in expected for t in se], atol=2e-3)

    score = music21.converter.parse(str(tmp_path / "melody.musicxml")).stripTies()
    assert [n.pitch.midi for n in score.flatten().notes] == [p for p, _, _ in expected]
    info = soundfile.info(str(tmp_path / "melody.wav"))
    assert info.frames == pytest.approx(expected[-1][2] * info.samplerate, abs=2)  # lasts until the last note ends
    with Image.open(tmp_path / "melody.png") as image:
        assert image.format == "PNG"


def test_same_seed_same_midi_bytes_in_smoke_mode(tmp_path, capsys):
    run(tmp_path / "a", 3, capsys)
    run(tmp_path / "b", 3, capsys)
    assert (tmp_path / "a" / "melody.mid").read_bytes() == (tmp_path / "b" / "melody.mid").read_bytes()
    assert (tmp_path / "a" / "melody.wav").read_bytes() == (tmp_path / "b" / "melody.wav").read_bytes()


def test_train_trains_a_small_run_and_a_second_demo_replaces_only_its_own_files(tmp_path, capsys):
    printed = run(tmp_path, 0, capsys, "--train")
    assert "training on the bundled Bach chorales" in printed and (tmp_path / "run" / "COMPLETE").exists()
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert f"validation perplexity {results['val_perplexity']:.3f}" not in printed  # the line reports test
    assert f"test perplexity {results['test_perplexity']:.3f}" in printed
    assert json.loads((tmp_path / "demo.json").read_text())["origin"] == "demo"
    first = (tmp_path / "melody.mid").read_bytes()
    run(tmp_path, 1, capsys)  # sampling from the shipped run: replaces the files the earlier demo wrote
    assert (tmp_path / "melody.mid").read_bytes() != first and (tmp_path / "run" / "COMPLETE").exists()
    (tmp_path / "demo.json").unlink()
    (tmp_path / "run" / "config.json").write_text("{}")  # now neither record says a demo wrote them
    assert cli.main(["demo", "--out", str(tmp_path)]) == 2
    assert "holds files an earlier demo did not write" in capsys.readouterr().err


def test_bad_seed_is_one_line(capsys):
    assert cli.main(["demo", "--seed", "-1", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mgtutor: error:") and "seed must be an integer from 0" in err


def test_summarize_refuses_unknown_files(tmp_path):
    with pytest.raises(ValueError, match="no such file type"):
        summarize(tmp_path / "x.txt")
