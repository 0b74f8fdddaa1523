"""mgtutor.data.bars and mgtutor.data.note_spectrograms: the data of the music and audio GANs (notebook 09).

References: hand-built piano rolls and slicing by hand; librosa.stft for the spectrogram scaling; the STFT of the
Griffin-Lim output against the spectrogram it was made from.
"""

from __future__ import annotations

import librosa
import numpy as np
import pytest

from mgtutor import audio, data
from mgtutor.data import SpecConfig, bars_to_roll, note_spectrograms, one_shot_notes, roll_bars, spectrograms_to_audio
from mgtutor.errors import DatasetError


def _roll(steps=40):
    roll = np.zeros((steps, 88), np.uint8)
    roll[0:8, 60 - 21] = 1       # C4, half a bar
    roll[4:20, 48 - 21] = 1      # C3 across the first bar line
    roll[30:40, 79 - 21] = 1     # G5 to the end
    return roll


def test_roll_bars_are_beat_aligned_windows_cropped_to_the_range():
    roll = _roll()
    bars = roll_bars(roll, stride=4, lowest=36, keys=48)
    assert roll_bars(roll).shape[2] == data.BAR_KEYS == 56
    assert bars.shape == ((40 - 16) // 4 + 1, 16, 48) and bars.dtype == np.uint8
    for k, b in enumerate(bars):
        np.testing.assert_array_equal(b, roll[4 * k:4 * k + 16, 36 - 21:36 - 21 + 48])
    assert bars[0, :, 60 - 36].sum() == 8 and bars[0, 4:, 48 - 36].all()
    assert roll_bars(roll, stride=16).shape[0] == 2
    assert roll_bars(roll[:15]).shape == (0, 16, 56)


def test_bars_to_roll_inverts_non_overlapping_bars():
    roll = _roll(48)
    bars = roll_bars(roll, stride=16)
    np.testing.assert_array_equal(bars_to_roll(bars), roll)
    np.testing.assert_array_equal(bars_to_roll(roll_bars(roll, stride=16, lowest=36, keys=48), lowest=36), roll)
    with pytest.raises(DatasetError, match="leave the piano"):
        bars_to_roll(bars, lowest=80)


def test_roll_bars_never_drops_a_note():
    roll = _roll()
    roll[3, 90 - 21] = 1  # F#6, above the kept range 36…83
    with pytest.raises(DatasetError, match="outside MIDI 36…83"):
        roll_bars(roll, lowest=36, keys=48)
    with pytest.raises(DatasetError, match="leave the piano"):
        roll_bars(_roll(), lowest=70, keys=48)
    with pytest.raises(DatasetError, match="stride"):
        roll_bars(_roll(), stride=0)


def test_chorale_bars_are_key_normalised_and_skip_other_metres():
    from mgtutor.metrics import in_scale_ratio
    from mgtutor.symbolic import estimate_key, sample_piano_roll, transpose

    four = data.chorale("bach/bwv1.6")
    bars = data.chorale_bars(["bach/bwv1.6", "bach/bwv269"])  # bwv269 is in 3/4: skipped
    assert bars.shape[1:] == (16, 56) and len(bars) == (int(four.end * 4) - 16) // 4 + 1
    key = estimate_key(four.notes)  # F major: down 5 semitones to C major
    assert key == "F major"
    expected = roll_bars(sample_piano_roll(transpose(four.notes, -5), 4), lowest=30, keys=56)
    np.testing.assert_array_equal(bars, expected)
    # the whole chorale sits in C major after the shift; before it, it did not
    assert in_scale_ratio(bars.max(axis=0), lowest=30, scale="C major") > 0.9
    raw = data.chorale_bars(["bach/bwv1.6"], normalize=False)
    assert in_scale_ratio(raw.max(axis=0), lowest=30, scale="C major") < 0.9
    assert data.chorale_bars(["bach/bwv269"]).shape == (0, 16, 56)


# --------------------------------------------------------------------------- spectrograms

CFG = SpecConfig()


def test_spectrogram_scaling_matches_librosa():
    y = audio.synth_note(57, 100, CFG.duration, CFG.sr, "strings")
    spec = note_spectrograms(y[None], CFG)[0]
    assert spec.shape == (CFG.frames, CFG.bins) == (64, 128) and spec.dtype == np.float32
    mag = np.abs(librosa.stft(y.astype(np.float64), n_fft=256, hop_length=64, center=True, pad_mode="constant"))
    ref = np.clip(20 * np.log10(np.maximum(mag[:128].T, 1e-30) / 32.0), -80, 0) / 40 + 1
    np.testing.assert_allclose(spec[:len(ref)], ref, atol=1e-4)
    assert (spec[len(ref):] == -1).all()  # padded frames are silence
    assert (note_spectrograms(np.zeros((1, CFG.samples)), CFG) == -1).all()
    with pytest.raises(DatasetError, match=r"\(N, 4000\)"):
        note_spectrograms(np.zeros((1, 100)), CFG)
    with pytest.raises(DatasetError, match="even n_fft"):
        SpecConfig(n_fft=255).check()


def test_griffin_lim_round_trip_keeps_the_spectrogram():
    notes = np.stack([audio.synth_note(p, 100, CFG.duration, CFG.sr, t) for p, t in ((50, "organ"), (64, "pluck"))])
    spec = note_spectrograms(notes, CFG)
    back = spectrograms_to_audio(spec, CFG, n_iter=32)
    assert back.shape == notes.shape and back.dtype == np.float32
    again = note_spectrograms(back, CFG)
    loud = spec > 0  # within 40 dB of the reference
    assert np.abs(again - spec)[loud].mean() < 0.05  # < 2 dB on the bins that matter
    # a random spectrogram is far from it: the check can fail
    noise = note_spectrograms(np.random.default_rng(0).normal(0, 0.1, notes.shape), CFG)
    assert np.abs(noise - spec)[loud].mean() > 0.2
    with pytest.raises(DatasetError, match="expected spectrograms"):
        spectrograms_to_audio(spec[:, :10], CFG)


def test_one_shot_notes_seeds_give_different_notes_of_one_grid():
    a, la = one_shot_notes((0,), n_pitches=2, timbres=["organ"], velocities=(96,))
    b, lb = one_shot_notes((0, 1), n_pitches=2, timbres=["organ"], velocities=(96,))
    assert a.shape == (2, CFG.samples) and b.shape == (4, CFG.samples)
    np.testing.assert_array_equal(b[:2], a)
    assert not np.allclose(b[2:], a)  # another jitter draw
    assert lb["pitch"].tolist() == [48, 49, 48, 49] and lb["seed"].tolist() == [0, 0, 1, 1]
    assert list(lb["timbre_names"]) == ["organ"]
    with pytest.raises(DatasetError, match="at least one"):
        one_shot_notes(())


def test_full_batch_data_drops_a_different_remainder_each_epoch():
    from mgtutor.data import FullBatchData

    x = np.arange(10)
    d = FullBatchData((x, -x), batch_size=4, seed=0)
    assert d.examples_per_epoch == 8 and d.steps_per_epoch == 2
    batches = list(d.batches(0, 3))
    assert [len(b[0]) for b in batches] == [4] * 6
    assert all((b[1] == -b[0]).all() for b in batches)
    seen = [set(np.concatenate([b[0] for b in batches[2 * e:2 * e + 2]])) for e in range(3)]
    assert all(len(s) == 8 for s in seen) and len(set(map(frozenset, seen))) > 1  # another 2 left out each epoch
    with pytest.raises(DatasetError, match="cannot fill one batch"):
        FullBatchData((x,), batch_size=11)


def test_full_batch_dataset_serves_the_same_batches():
    from mgtutor.data import FullBatchData

    x = np.arange(30, dtype=np.float32).reshape(10, 3)
    labels = np.arange(10, dtype=np.int32)
    d = FullBatchData((x, labels), batch_size=4, seed=3)
    expected = list(d.batches(1, 3))
    got = [tuple(np.asarray(t) for t in batch) for batch in d.dataset(1, 3)]
    assert len(got) == len(expected) == 4
    for a, b in zip(got, expected, strict=True):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    assert d.dataset(0, 2).element_spec[0].shape[0] == 4  # a static batch size


# ------------------------------------------------------------------ the timbre family
def test_draw_timbre_applies_the_tilt_gains_and_envelope_factors_as_written():
    from mgtutor.data import TimbreFamily, draw_timbre

    base = audio.TIMBRES["strings"]
    member, p = draw_timbre("strings", np.random.default_rng(4))
    k = np.arange(1, len(base.amplitudes) + 1)
    expected = np.array(base.amplitudes) * k ** (-p["tilt"]) * 10 ** (p["gains_db"] / 20)
    np.testing.assert_allclose(member.amplitudes, expected, rtol=1e-12)
    np.testing.assert_allclose(member.decays, np.array(base.decays) / p["decay_factor"], rtol=1e-12)
    assert member.attack == pytest.approx(base.attack * p["attack_factor"])
    assert member.decay == pytest.approx(base.decay * p["decay_factor"])
    assert abs(p["tilt"]) <= 0.5 and 0.5 <= p["attack_factor"] <= 2 and 0.5 <= p["decay_factor"] <= 2
    # a family of zero spread gives the named timbre back
    same, _ = draw_timbre("organ", np.random.default_rng(0), TimbreFamily(0.0, 0.0, 1.0))
    assert same == audio.TIMBRES["organ"]
    with pytest.raises(audio.AudioError, match="unknown timbre"):
        draw_timbre("kazoo", np.random.default_rng(0))
    with pytest.raises(DatasetError, match="envelope_factor ≥ 1"):
        draw_timbre("organ", np.random.default_rng(0), TimbreFamily(envelope_factor=0.5))


def test_family_notes_are_reproducible_and_two_seeds_share_no_note():
    from mgtutor.data import family_notes

    a, la = family_notes(0, draws=3, n_pitches=2, timbres=["organ", "pluck"])
    again, _ = family_notes(0, draws=3, n_pitches=2, timbres=["organ", "pluck"])
    b, lb = family_notes(1, draws=3, n_pitches=2, timbres=["organ", "pluck"])
    assert a.shape == (12, CFG.samples) and a.dtype == np.float32
    np.testing.assert_array_equal(a, again)
    assert la["pitch"].tolist() == [48, 48, 48, 49, 49, 49] * 2 and la["timbre"].tolist() == [0] * 6 + [1] * 6
    assert list(la["timbre_names"]) == ["organ", "pluck"]
    assert set(la["velocity"]).isdisjoint(lb["velocity"]) and set(la["tilt"]).isdisjoint(lb["tilt"])
    # another draw of the family differs from every training note by more than a rounding error
    gap = np.abs(b[:, None] - a[None]).max(axis=2)
    assert gap.min() > 1e-3
    # held-out velocities inside the trained range: both come from one interval
    assert 40 <= la["velocity"].min() and la["velocity"].max() <= 127 and 40 <= lb["velocity"].min()
    # the tilt is heard: the darker half of the notes has the lower spectral centroid
    wide, lw = family_notes(2, draws=40, n_pitches=1, lowest_pitch=60, timbres=["strings"])
    centroid = np.array([librosa.feature.spectral_centroid(y=y, sr=CFG.sr).mean() for y in wide])
    dark = lw["tilt"] > np.median(lw["tilt"])
    assert centroid[dark].mean() < centroid[~dark].mean()
    with pytest.raises(DatasetError, match="draws must be an integer ≥ 1"):
        family_notes(0, draws=0)
    with pytest.raises(audio.AudioError, match="MIDI range"):
        family_notes(0, lowest_pitch=120, n_pitches=12)
