"""Tests of mgtutor.audio against hand-computed values, NumPy/SciPy references and soundfile."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

import numpy as np
import pytest
import soundfile as sf

from mgtutor import audio
from mgtutor.audio import AudioError
from mgtutor.errors import MgtutorError


def test_midi_hz_reference_values():
    assert audio.midi_to_hz(69) == 440.0
    assert audio.midi_to_hz(81) == 880.0
    assert audio.midi_to_hz(60) == pytest.approx(261.6255653005986, rel=1e-12)
    np.testing.assert_allclose(audio.midi_to_hz(np.array([57, 69, 70])),
                               [220.0, 440.0, 440.0 * 2 ** (1 / 12)], rtol=1e-12)
    assert audio.hz_to_midi(440.0) == 69.0
    assert audio.hz_to_midi(261.6255653005986) == pytest.approx(60.0, abs=1e-9)


def test_midi_hz_round_trip_matches_librosa():
    librosa = pytest.importorskip("librosa")
    m = np.linspace(0, 127, 511)
    np.testing.assert_allclose(audio.midi_to_hz(m), librosa.midi_to_hz(m), rtol=1e-12)
    np.testing.assert_allclose(audio.hz_to_midi(audio.midi_to_hz(m)), m, atol=1e-9)


@pytest.mark.parametrize("bad", [0.0, -5.0, np.nan])
def test_hz_to_midi_rejects_non_positive(bad):
    with pytest.raises(AudioError, match="finite and > 0"):
        audio.hz_to_midi(bad)


def test_sine_is_the_formula():
    y = audio.sine(1000.0, 0.01, sr=8000, amplitude=0.5)
    n = np.arange(80)
    np.testing.assert_allclose(y, 0.5 * np.sin(2 * np.pi * 1000 * n / 8000), atol=1e-12)


def test_additive_drops_harmonics_above_nyquist():
    sr = 8000
    y = audio.additive(1000.0, [1.0, 0.5, 0.25, 0.125, 1.0], 1.0, sr)  # 5 kHz > 4 kHz is dropped
    spec = np.abs(np.fft.rfft(y)) / (sr / 2)
    np.testing.assert_allclose(spec[[1000, 2000, 3000]], [1.0, 0.5, 0.25], atol=1e-6)
    assert spec[4000] < 1e-6 and abs(spec[3000] - 0.25) < 1e-6  # 5 kHz would alias onto 3 kHz


def test_adsr_shape_hand_computed():
    env = audio.adsr(10, 10, attack=0.2, decay=0.2, sustain=0.5, release=0.2)
    np.testing.assert_allclose(env, [0, 0.5, 1, 0.75, 0.5, 0.5, 0.5, 0.5, 0.25, 0])
    short = audio.adsr(4, 10, attack=0.2, decay=0.2, sustain=0.5, release=0.2)
    assert short.shape == (4,) and short.max() <= 1 and short[0] == 0


@pytest.mark.parametrize("kwargs, phrase", [
    ({"sustain": 1.5}, "sustain"), ({"attack": -1.0}, "attack"), ({"n_samples": -3}, "n_samples")])
def test_adsr_rejects_bad_arguments(kwargs, phrase):
    args = {"n_samples": 100, "sr": 100} | kwargs
    with pytest.raises(AudioError, match=phrase):
        audio.adsr(**args)


@pytest.mark.parametrize("timbre", list(audio.TIMBRES))
def test_synth_note_pitch_length_dtype(timbre):
    sr = 22050
    y = audio.synth_note(69, 100, duration=0.5, sr=sr, timbre=timbre)
    assert y.dtype == np.float32 and y.shape == (11025,)
    assert 0.05 < np.abs(y).max() <= 1.0 and y[-1] == 0.0
    spec = np.abs(np.fft.rfft(y.astype(np.float64) * np.hanning(y.size)))
    freqs = np.fft.rfftfreq(y.size, 1 / sr)
    assert abs(freqs[np.argmax(spec)] - 440.0) < 3.0  # the fundamental is the strongest partial
    # not a bare sine: some energy at harmonics 2..5
    harmonics = sum(spec[np.argmin(abs(freqs - k * 440))] for k in range(2, 6))
    assert harmonics > 0.05 * spec.max()


def test_synth_note_velocity_makes_it_louder():
    soft = audio.synth_note(60, 30)
    loud = audio.synth_note(60, 120)
    assert np.abs(loud).max() > 4 * np.abs(soft).max()
    assert not audio.synth_note(60, 0).any()


@pytest.mark.parametrize("kwargs, phrase", [
    ({"pitch": 128}, "pitch"), ({"pitch": 60, "velocity": 200}, "velocity"),
    ({"pitch": 60, "timbre": "kazoo"}, "unknown timbre"), ({"pitch": 60, "duration": -1}, "duration"),
    ({"pitch": 60, "sr": 0}, "sr must be")])
def test_synth_note_rejects_bad_input(kwargs, phrase):
    with pytest.raises(AudioError, match=phrase):
        audio.synth_note(**kwargs)


def test_errors_are_typed():
    assert issubclass(AudioError, MgtutorError) and issubclass(AudioError, ValueError)


def test_render_notes_mixes_tuples_and_objects_identically():
    sr = 8000
    tuples = [(60, 0.0, 0.5, 100), (64, 0.25, 1.0, 80)]
    objects = [SimpleNamespace(pitch=p, start=s, end=e, velocity=v) for p, s, e, v in tuples]
    y = audio.render_notes(tuples, sr=sr)
    assert y.dtype == np.float32 and y.shape == (8000,)
    np.testing.assert_array_equal(y, audio.render_notes(objects, sr=sr))
    expected = np.zeros(8000)
    expected[:4000] += audio.synth_note(60, 100, 0.5, sr)
    expected[2000:] += audio.synth_note(64, 80, 0.75, sr)
    np.testing.assert_allclose(y, expected, atol=1e-6)


def test_render_notes_normalises_loud_mixes():
    chord = [(p, 0.0, 0.5, 127) for p in (48, 52, 55, 60, 64, 67, 72)]
    y = audio.render_notes(chord, sr=8000, timbre="organ")
    assert np.abs(y).max() == pytest.approx(0.99, abs=1e-6)
    assert audio.render_notes([], sr=8000).shape == (0,)


@pytest.mark.parametrize("note, phrase", [
    ((60, 1.0, 0.5, 100), "start ≤ end"), ((60, 0, 1), "pitch, start, end, velocity"),
    ("C4", "attributes pitch")])
def test_render_notes_rejects_bad_notes(note, phrase):
    with pytest.raises(AudioError, match=phrase):
        audio.render_notes([note])


def test_synthesis_is_bit_identical_across_machines():
    # Element-wise float64 NumPy only: the 16-bit samples an audio player embeds have a fixed hash.
    y = audio.render_notes([(60, 0.0, 0.3, 100), (67, 0.1, 0.3, 70)], sr=8000)
    q = np.round(y.astype(np.float64) * 32767).astype(np.int16)
    assert hashlib.sha256(q.tobytes()).hexdigest() == (
        "138cc05d93a5ed3910a28dadad3e357f9b2138ba30cd3ccc5b02afb3fb129444")


def test_quantize_snr_follows_6_02_bits_rule():
    x = np.sin(2 * np.pi * 997 / 44100 * np.arange(200_000))  # full-scale sine
    for bits, tol in ((4, 0.6), (8, 0.15), (12, 0.05), (16, 0.1)):
        err = audio.quantize(x, bits) - x
        snr = 10 * np.log10(np.mean(x**2) / np.mean(err**2))
        assert abs(snr - (6.02 * bits + 1.76)) < tol, bits
    assert len(np.unique(audio.quantize(x, 3))) == 8
    with pytest.raises(AudioError, match="bits"):
        audio.quantize(x, 1)


def test_wav_round_trip_and_atomic_write(tmp_path):
    y = audio.synth_note(60, 100, 0.2, 16000)
    path = audio.write_wav(tmp_path / "note.wav", y, 16000)
    ref, ref_sr = sf.read(path, dtype="float32")
    back, sr = audio.read_wav(path)
    assert sr == ref_sr == 16000
    np.testing.assert_array_equal(back, ref)
    np.testing.assert_allclose(back, y, atol=1 / 32767)
    assert [p.name for p in tmp_path.iterdir()] == ["note.wav"]  # no temporary file left


def test_wav_stereo_and_mono_mixdown(tmp_path):
    y = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1).astype(np.float32)
    path = audio.write_wav(tmp_path / "st.wav", y, 8000, subtype="FLOAT")
    back, _ = audio.read_wav(path)
    assert back.shape == (100, 2)
    mono, _ = audio.read_wav(path, mono=True)
    np.testing.assert_allclose(mono, 0.125, atol=1e-7)


def test_wav_errors(tmp_path):
    with pytest.raises(AudioError, match="dtype int16"):
        audio.write_wav(tmp_path / "x.wav", np.zeros(10, dtype=np.int16), 8000)
    with pytest.raises(AudioError, match="NaN"):
        audio.write_wav(tmp_path / "x.wav", np.array([0.0, np.nan]), 8000)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        audio.write_wav(tmp_path / "missing" / "x.wav", np.zeros(10), 8000)
    with pytest.raises(FileNotFoundError, match="no such sound file"):
        audio.read_wav(tmp_path / "nothing.wav")
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav file at all")
    with pytest.raises(AudioError, match="junk.wav"):
        audio.read_wav(junk)


def test_resample_matches_librosa():
    librosa = pytest.importorskip("librosa")
    y = audio.sine(440.0, 0.5, 22050)
    ours = audio.resample(y, 22050, 16000)
    np.testing.assert_allclose(ours, librosa.resample(y, orig_sr=22050, target_sr=16000,
                                                      res_type="soxr_hq"), atol=1e-12)
    assert ours.shape == (8000,)


def test_play_returns_an_audio_player():
    player = audio.play(audio.synth_note(60, 100, 0.1, 8000), 8000)
    assert "audio" in player._repr_html_()


def test_one_shot_dataset_shapes_labels_and_determinism():
    x, labels = audio.one_shot_dataset(n_pitches=3, timbres=["organ", "pluck"], velocities=(64, 127),
                                       duration=0.1, sr=8000, seed=1)
    assert x.shape == (12, 800) and x.dtype == np.float32
    assert list(labels["timbre_names"]) == ["organ", "pluck"]
    np.testing.assert_array_equal(labels["pitch"][:4], [48, 48, 49, 49])
    np.testing.assert_array_equal(labels["velocity"][:4], [64, 127, 64, 127])
    np.testing.assert_array_equal(labels["timbre"], [0] * 6 + [1] * 6)
    again, _ = audio.one_shot_dataset(n_pitches=3, timbres=["organ", "pluck"], velocities=(64, 127),
                                      duration=0.1, sr=8000, seed=1)
    np.testing.assert_array_equal(x, again)
    other, _ = audio.one_shot_dataset(n_pitches=3, timbres=["organ", "pluck"], velocities=(64, 127),
                                      duration=0.1, sr=8000, seed=2)
    assert not np.array_equal(x, other)
    assert np.all(np.abs(x).max(axis=1) > 0.01)


@pytest.mark.parametrize("kwargs, phrase", [
    ({"n_pitches": 0}, "n_pitches"), ({"timbres": []}, "timbres is empty"),
    ({"velocities": (0,)}, "velocities"), ({"lowest_pitch": 120, "n_pitches": 12}, "MIDI range")])
def test_one_shot_dataset_rejects_bad_arguments(kwargs, phrase):
    with pytest.raises(AudioError, match=phrase):
        audio.one_shot_dataset(**kwargs)
