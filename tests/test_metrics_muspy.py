"""The course's music metrics agree with muspy's on the quantities both define: pitch range, pitches used,
polyphony, scale consistency and the empty-beat rate (on random polyphonic pieces on a sixteenth grid)."""

import math

import muspy
import numpy as np
import pytest

from mgtutor import metrics
from mgtutor.symbolic import Note

RESOLUTION = 4  # muspy time steps per quarter note


def random_piece(rng, n_notes=40, off_beat_ends=False):
    notes = []
    for _ in range(n_notes):
        start = int(rng.integers(0, 64))
        length = int(rng.integers(1, 9))
        if off_beat_ends and (start + length) % RESOLUTION == 0:
            length += 1  # no release exactly on a beat (see test_empty_beat_convention)
        notes.append(Note(int(rng.integers(48, 80)), start / RESOLUTION, (start + length) / RESOLUTION))
    return notes


def to_muspy(notes):
    track = muspy.Track(notes=[muspy.Note(time=round(n.start * RESOLUTION), pitch=n.pitch,
                                          duration=round(n.duration * RESOLUTION), velocity=n.velocity)
                               for n in notes])
    return muspy.Music(resolution=RESOLUTION, tracks=[track])


@pytest.mark.parametrize("seed", range(6))
def test_agrees_with_muspy_on_random_pieces(seed):
    rng = np.random.default_rng(seed)
    notes = random_piece(rng, n_notes=int(rng.integers(2, 60)), off_beat_ends=True)
    music = to_muspy(notes)
    assert metrics.pitch_range(notes) == muspy.pitch_range(music)
    assert metrics.pitch_count(notes) == muspy.n_pitches_used(music)
    assert metrics.polyphony(notes) == pytest.approx(muspy.polyphony(music))
    assert metrics.scale_consistency(notes) == pytest.approx(muspy.scale_consistency(music))
    assert metrics.empty_beat_rate(notes) == pytest.approx(muspy.empty_beat_rate(music))


def test_agrees_on_a_melody_and_on_nothing():
    melody = [Note(60, 0, 1), Note(64, 1, 1.5), Note(67, 1.5, 2), Note(72, 2, 4), Note(64, 5, 6.5)]
    assert metrics.polyphony(melody) == muspy.polyphony(to_muspy(melody)) == 1.0
    assert metrics.scale_consistency(melody) == muspy.scale_consistency(to_muspy(melody)) == 1.0
    assert math.isnan(metrics.polyphony([])) and math.isnan(muspy.polyphony(muspy.Music(resolution=4,
                                                                                           tracks=[muspy.Track()])))


def test_empty_beat_convention():
    # a quarter note, a quarter rest, a quarter note: beat 1 is empty (1 of 3). muspy also marks the beat in which a
    # release falls when it falls exactly on the beat, so it sees no empty beat (and 4 beats in all).
    notes = [Note(60, 0, 1), Note(62, 2, 3)]
    assert metrics.empty_beat_rate(notes) == pytest.approx(1 / 3)
    assert muspy.empty_beat_rate(to_muspy(notes)) == 0.0
