"""The headless demo writes four files that load back, reproducibly, through the CLI."""

from __future__ import annotations

import pretty_midi
import pytest

from mgtutor import cli
from mgtutor.demo import summarize

pytestmark = pytest.mark.timeout(600)


def run(out, seed, capsys):
    assert cli.main(["demo", "--out", str(out), "--seed", str(seed)]) == 0
    return capsys.readouterr().out


def test_demo_with_its_real_settings_writes_a_melody_of_more_than_16_notes(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MGTUTOR_MODE", "full")
    printed = run(tmp_path, 0, capsys)
    for name in ("melody.mid", "melody.musicxml", "melody.wav", "melody.png"):
        assert (tmp_path / name).stat().st_size > 100
        assert name in printed
    midi = pretty_midi.PrettyMIDI(str(tmp_path / "melody.mid"))
    assert len(midi.instruments[0].notes) > 16
    assert summarize(tmp_path / "melody.wav").startswith("WAV, ")
    assert (tmp_path / "run" / "COMPLETE").exists()


def test_same_seed_same_midi_bytes_in_smoke_mode(tmp_path, capsys):
    run(tmp_path / "a", 3, capsys)
    run(tmp_path / "b", 3, capsys)
    assert (tmp_path / "a" / "melody.mid").read_bytes() == (tmp_path / "b" / "melody.mid").read_bytes()
    assert (tmp_path / "a" / "melody.wav").read_bytes() == (tmp_path / "b" / "melody.wav").read_bytes()


def test_bad_seed_is_one_line(capsys):
    assert cli.main(["demo", "--seed", "-1", "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("mgtutor: error:") and "seed must be an integer from 0" in err


def test_summarize_refuses_unknown_files(tmp_path):
    with pytest.raises(ValueError, match="no such file type"):
        summarize(tmp_path / "x.txt")
