"""Tests of mgtutor.symbolic: notes, the four encodings, vocabularies, quantisation, transposition, keys.

References: hand-computed token lists, pretty_midi's own piano roll, music21's parser and key finder.
"""

from __future__ import annotations

import json
from fractions import Fraction
from itertools import accumulate

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mgtutor.symbolic import (
    END,
    PAD,
    START,
    EncodingError,
    Note,
    NoteError,
    Piece,
    PitchRangeError,
    QuantizationError,
    RollShapeError,
    SequenceTooLongError,
    SymbolicError,
    Vocabulary,
    VocabularyError,
    estimate_key,
    event_vocabulary,
    events_to_notes,
    grid_to_melody,
    key_normalizing_shift,
    melody_to_grid,
    melody_vocabulary,
    normalize_key,
    notes_to_events,
    notes_to_piano_roll,
    notes_to_seconds,
    notes_to_tuples,
    piano_roll_to_notes,
    pitch_class_histogram,
    quantize_notes,
    sample_piano_roll,
    skyline,
    transpose,
    transpose_grid,
    tuples_to_notes,
    velocity_of_bin,
)

PHRASE = [Note(60, 0.0, 1.0), Note(62, 1.0, 1.5), Note(64, 2.0, 2.25)]


# ------------------------------------------------------------------ notes
def test_note_rejects_bad_fields():
    with pytest.raises(NoteError, match="pitch must be an integer MIDI number"):
        Note(128, 0, 1)
    with pytest.raises(NoteError, match="must be after its start"):
        Note(60, 1.0, 1.0)
    with pytest.raises(NoteError, match="start must be ≥ 0"):
        Note(60, -0.5, 1.0)
    with pytest.raises(NoteError, match="velocity must be 1–127"):
        Note(60, 0, 1, velocity=0)
    assert isinstance(NoteError("x"), ValueError)


def test_piece_sorts_and_round_trips_dict():
    p = Piece([Note(64, 1, 2, voice=1), Note(60, 0, 1)], qpm=90, time_signature=(3, 4), key="G major", name="x")
    assert [n.pitch for n in p.notes] == [60, 64]
    assert Piece.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert p.voice(1) == [Note(64, 1, 2, voice=1)] and p.voices == [0, 1] and p.end == 2
    with pytest.raises(SymbolicError, match="tempo must be > 0"):
        Piece([], qpm=0)


def test_notes_to_seconds_uses_tempo():
    assert notes_to_seconds(PHRASE[:2], qpm=120) == [(60, 0.0, 0.5, 80), (62, 0.5, 0.75, 80)]
    with pytest.raises(SymbolicError, match="qpm must be > 0"):
        notes_to_seconds(PHRASE, qpm=0)


def test_skyline_keeps_top_and_cuts_overlaps():
    chordal = [Note(60, 0, 2), Note(67, 0, 1), Note(62, 1, 2)]
    assert skyline(chordal) == [Note(67, 0, 1), Note(62, 1, 2)]


# ------------------------------------------------------------------ melody grid
def test_melody_grid_hand_computed():
    tokens = melody_to_grid(PHRASE)
    assert tokens == ["60", "_", "_", "_", "62", "_", "r", "r", "64"]
    assert melody_to_grid(PHRASE, start_end=True) == [START, *tokens, END]
    assert melody_to_grid(PHRASE, total_steps=12)[-3:] == ["r", "r", "r"]
    assert grid_to_melody(tokens) == PHRASE
    assert grid_to_melody(["r", "r", "67", "_"], steps_per_quarter=2) == [Note(67, 1.0, 2.0)]


def test_melody_grid_bad_inputs():
    with pytest.raises(EncodingError, match="not monophonic"):
        melody_to_grid([Note(60, 0, 1), Note(64, 0.5, 1)])
    with pytest.raises(QuantizationError, match="not on the grid"):
        melody_to_grid([Note(60, 0, 1 / 3)])
    with pytest.raises(EncodingError, match="shorter than the melody"):
        melody_to_grid(PHRASE, total_steps=3)
    with pytest.raises(EncodingError, match="no note is sounding"):
        grid_to_melody(["r", "_"])
    assert grid_to_melody(["r", "_", "60"], strict=False) == [Note(60, 0.5, 0.75)]
    with pytest.raises(EncodingError, match="not a melody-grid token"):
        grid_to_melody(["60", "x"])
    with pytest.raises(SymbolicError, match="steps_per_quarter must be a positive integer"):
        melody_to_grid(PHRASE, steps_per_quarter=0)


def test_melody_grid_of_a_chorale_matches_music21_offsets():
    from music21 import corpus

    part = corpus.parse("bach/bwv269").parts[0].stripTies()
    ref = [(int(n.pitch.midi), float(n.offset), float(n.quarterLength)) for n in part.flatten().notes]
    tokens = melody_to_grid([Note(p, o, o + d) for p, o, d in ref])
    starts = [i for i, t in enumerate(tokens) if t not in ("_", "r")]
    assert [int(tokens[i]) for i in starts] == [p for p, _, _ in ref]
    assert [i / 4 for i in starts] == [o for _, o, _ in ref]


def test_melody_grid_edges_and_messages():
    assert melody_to_grid([]) == []
    assert melody_to_grid(PHRASE, total_steps=9) == melody_to_grid(PHRASE)  # exactly the melody's 9 steps
    with pytest.raises(QuantizationError, match="^start of pitch 60 at beat 0.1 is not on the grid of 1/4"):
        melody_to_grid([Note(60, 0.1, 1)])
    with pytest.raises(QuantizationError, match="^end of pitch 62 at beat 1.3 is not on the grid of 1/4"):
        melody_to_grid([Note(62, 1, 1.3)])
    with pytest.raises(SequenceTooLongError, match=r"1,000,004 steps of 1/4 quarter note"):
        melody_to_grid([Note(60, 0, 250_001)])  # refused before a token is made


def test_grid_to_melody_specials_pitch_edges_and_velocity():
    # <start> is skipped, <end> stops decoding: what follows it (a pitch, padding) is not read
    tokens = [START, "60", "_", "r", "62", END, "64", PAD, PAD]
    assert grid_to_melody(tokens, velocity=100) == [Note(60, 0, 0.5, velocity=100), Note(62, 0.75, 1.0, velocity=100)]
    assert grid_to_melody(["0", "127", "_"]) == [Note(0, 0, 0.25), Note(127, 0.25, 0.75)]  # MIDI's extremes
    with pytest.raises(EncodingError, match="^token 1 = '128' is not a melody-grid token"):
        grid_to_melody(["60", "128"])


@st.composite
def monophonic_lines(draw, spq=4):
    n = draw(st.integers(0, 12))
    t, notes = draw(st.integers(0, 4)), []
    for _ in range(n):
        dur = draw(st.integers(1, 8))
        notes.append(Note(draw(st.integers(21, 108)), t / spq, (t + dur) / spq))
        t += dur + draw(st.integers(0, 3))
    return notes


@settings(max_examples=60, deadline=None)
@given(monophonic_lines())
def test_melody_grid_round_trip(notes):
    tokens = melody_to_grid(notes)
    assert grid_to_melody(tokens) == notes
    vocab = melody_vocabulary()
    assert vocab.decode(vocab.encode(tokens, add_start_end=True)) == tokens


# ------------------------------------------------------------------ vocabulary
def test_vocabulary_ids_and_save_load(tmp_path):
    vocab = melody_vocabulary()
    assert len(vocab) == 3 + 2 + 88
    assert vocab.id_to_token[:5] == ["<pad>", "<start>", "<end>", "_", "r"]
    assert list(vocab.encode(["60", "_", "r"], add_start_end=True)) == [1, vocab.token_to_id["60"], 3, 4, 2]
    assert vocab.decode([1, vocab.token_to_id["60"], 2, 5, 0]) == ["60"]
    assert Vocabulary.load(vocab.save(tmp_path / "v.json")) == vocab
    built = Vocabulary.from_sequences([["62", "_", "100"], ["r", "9"]])
    assert built.id_to_token[3:] == ["_", "r", "9", "62", "100"]


def test_melody_vocabulary_exact_tokens_and_range_edges(tmp_path):
    assert melody_vocabulary(0, 2).id_to_token == ["<pad>", "<start>", "<end>", "_", "r", "0", "1", "2"]
    assert melody_vocabulary(127, 127).id_to_token[3:] == ["_", "r", "127"]
    vocab = melody_vocabulary(60, 62)
    assert vocab.kind == "melody-grid"  # the label saved with it
    assert Vocabulary.load(vocab.save(tmp_path / "m.json")).kind == "melody-grid"
    for low, high in ((-1, 5), (5, 128), (61, 60)):
        with pytest.raises(PitchRangeError, match=f"^melody vocabulary range must satisfy 0 ≤ low ≤ high ≤ 127, "
                                                  f"got {low}–{high}$"):
            melody_vocabulary(low, high)


def test_vocabulary_bad_inputs(tmp_path):
    vocab = melody_vocabulary(60, 72)
    with pytest.raises(VocabularyError, match="token '59' at position 1 is not in"):
        vocab.encode(["60", "59"])
    with pytest.raises(VocabularyError, match="outside this vocabulary"):
        vocab.decode([999])
    with pytest.raises(VocabularyError, match="must be unique"):
        Vocabulary(["a", "a"])
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(VocabularyError, match="bad.json: not a JSON vocabulary"):
        Vocabulary.load(bad)
    bad.write_text(json.dumps({"tokens": ["x"]}))
    with pytest.raises(VocabularyError, match="missing 'format'"):
        Vocabulary.load(bad)
    with pytest.raises(PitchRangeError):
        melody_vocabulary(70, 60)


# ------------------------------------------------------------------ piano roll
def test_piano_roll_equals_pretty_midi():
    import pretty_midi

    notes = [Note(60, 0, 1), Note(64, 0, 2), Note(67, 1, 1.5), Note(21, 2, 3), Note(108, 2.5, 3)]
    roll = notes_to_piano_roll(notes, steps_per_quarter=4)
    pm = pretty_midi.PrettyMIDI(initial_tempo=60.0)  # 60 qpm: one quarter note = one second
    inst = pretty_midi.Instrument(0)
    inst.notes = [pretty_midi.Note(80, n.pitch, n.start, n.end) for n in notes]
    pm.instruments.append(inst)
    ref = (pm.get_piano_roll(fs=4)[21:109].T > 0).astype(np.uint8)
    np.testing.assert_array_equal(roll, ref)
    assert piano_roll_to_notes(roll) == notes


def test_piano_roll_bad_inputs_and_merge():
    with pytest.raises(PitchRangeError, match="outside the piano roll's 21–108"):
        notes_to_piano_roll([Note(20, 0, 1)])
    repeated = [Note(60, 0, 1), Note(60, 1, 2)]
    with pytest.raises(EncodingError, match="allow_merge=True"):
        notes_to_piano_roll(repeated)
    assert piano_roll_to_notes(notes_to_piano_roll(repeated, allow_merge=True)) == [Note(60, 0, 2)]
    with pytest.raises(RollShapeError, match=r"shape \(T, 88\).*got \(4, 12\)"):
        piano_roll_to_notes(np.zeros((4, 12)))
    with pytest.raises(EncodingError, match="only 0/1"):
        piano_roll_to_notes(np.full((2, 88), 0.3))


def test_sample_piano_roll_sees_what_sounds_on_each_beat():
    notes = [Note(60, 0, 2), Note(64, 0.5, 1.0), Note(67, 1.5, 3.25), Note(72, 2.25, 2.5)]
    roll = sample_piano_roll(notes, steps_per_quarter=1)
    expected = np.zeros((4, 88), dtype=np.uint8)
    expected[[0, 1], 60 - 21] = 1  # sounds at beats 0 and 1
    expected[[2, 3], 67 - 21] = 1  # starts between beats 1 and 2: first seen at beat 2
    np.testing.assert_array_equal(roll, expected)  # 64 and 72 lie between beats: unseen
    on_grid = [Note(60, 0, 1), Note(64, 0.25, 0.75)]
    np.testing.assert_array_equal(sample_piano_roll(on_grid, 4), notes_to_piano_roll(on_grid, 4))
    with pytest.raises(PitchRangeError, match="outside the piano roll"):
        sample_piano_roll([Note(110, 0, 1)])


@st.composite
def polyphony(draw, spq=4):
    notes = []
    for pitch in draw(st.lists(st.integers(21, 108), min_size=0, max_size=5, unique=True)):
        t = draw(st.integers(0, 3))
        for _ in range(draw(st.integers(1, 3))):
            dur = draw(st.integers(1, 6))
            notes.append(Note(pitch, t / spq, (t + dur) / spq, velocity=draw(st.integers(1, 127))))
            t += dur + draw(st.integers(1, 3))
    return notes


@settings(max_examples=60, deadline=None)
@given(polyphony())
def test_piano_roll_and_tuples_round_trip(notes):
    plain = sorted((n.pitch, n.start, n.end) for n in notes)
    assert sorted((n.pitch, n.start, n.end) for n in piano_roll_to_notes(notes_to_piano_roll(notes))) == plain
    assert sorted((n.pitch, n.start, n.end) for n in tuples_to_notes(notes_to_tuples(notes))) == plain


# ------------------------------------------------------------------ note tuples
def test_note_tuples_hand_computed():
    chord = [Note(60, 0.5, 1.5), Note(64, 0.5, 1.0), Note(67, 2.0, 2.5)]
    np.testing.assert_array_equal(notes_to_tuples(chord), [[60, 0.5, 1.0], [64, 0.0, 0.5], [67, 1.5, 0.5]])
    with pytest.raises(EncodingError, match=r"shape \(N, 3\)"):
        tuples_to_notes(np.zeros((2, 2)))
    with pytest.raises(EncodingError, match="step ≥ 0 and duration > 0"):
        tuples_to_notes([[60, -1, 1]])


def test_tuples_to_notes_hand_values_velocity_and_errors():
    rows = [[60, 0.5, 1.0], [64, 0.0, 0.5], [67, 1.5, 0.5]]  # a chord (step 0), then a note 1.5 beats later
    assert tuples_to_notes(rows, velocity=100) == [Note(60, 0.5, 1.5, velocity=100), Note(64, 0.5, 1.0, velocity=100),
                                                   Note(67, 2.0, 2.5, velocity=100)]
    for bad in ([[60, 0, 0]], [[60, -0.25, 1]]):  # a zero duration, a negative step
        with pytest.raises(EncodingError, match="^note tuples need step ≥ 0 and duration > 0$"):
            tuples_to_notes(bad)
    with pytest.raises(EncodingError, match=r"got \(3,\)$"):
        tuples_to_notes([60, 0, 1])


def test_tuples_to_notes_adds_float32_steps_without_float32_drift():
    # a model's output is float32; 1000 steps of float32(0.1) summed in float32 drift by ~1e-4 beats
    steps = np.full(1000, 0.1, dtype=np.float32)
    rows = np.stack([np.full(1000, 60, np.float32), steps, np.full(1000, 0.05, np.float32)], axis=1)
    exact = [float(x) for x in accumulate(Fraction(float(s)) for s in steps)]  # exact sums of the float32 values
    np.testing.assert_allclose([n.start for n in tuples_to_notes(rows)], exact, rtol=0, atol=1e-9)


# ------------------------------------------------------------------ events
def test_events_hand_computed():
    notes = [Note(60, 0, 1, velocity=100), Note(64, 0, 0.5, velocity=100), Note(67, 5, 5.25, velocity=20)]
    tokens = notes_to_events(notes, steps_per_quarter=4, max_shift=8)
    assert tokens == ["NOTE_ON_60", "NOTE_ON_64", "TIME_SHIFT_2", "NOTE_OFF_64", "TIME_SHIFT_2", "NOTE_OFF_60",
                      "TIME_SHIFT_8", "TIME_SHIFT_8", "NOTE_ON_67", "TIME_SHIFT_1", "NOTE_OFF_67"]
    with_vel = notes_to_events(notes, velocity_bins=4)
    assert with_vel[:3] == ["VELOCITY_3", "NOTE_ON_60", "NOTE_ON_64"] and "VELOCITY_0" in with_vel
    vocab = event_vocabulary(max_shift=8)
    assert len(vocab) == 3 + 128 * 2 + 8
    assert vocab.decode(vocab.encode(tokens)) == tokens


def test_events_to_notes_of_hand_built_tokens():
    # the tokens of test_events_hand_computed with velocities (4 bins), framed by specials, padded after <end>
    tokens = [START, "VELOCITY_3", "NOTE_ON_60", "NOTE_ON_64", "TIME_SHIFT_2", "NOTE_OFF_64", "TIME_SHIFT_2",
              "NOTE_OFF_60", "TIME_SHIFT_8", "TIME_SHIFT_8", "VELOCITY_0", "NOTE_ON_67", "TIME_SHIFT_1", "NOTE_OFF_67",
              END, "NOTE_ON_70", PAD]
    # bin 3 of 4 holds velocities 97–127 (127 / 4 = 31.75 each), bin 0 holds 1–32: a bin decodes to its smallest
    assert events_to_notes(tokens, velocity_bins=4) == [Note(60, 0, 1, velocity=97), Note(64, 0, 0.5, velocity=97),
                                                        Note(67, 5, 5.25, velocity=1)]
    assert events_to_notes(tokens[1:], steps_per_quarter=2, velocity_bins=4)[2] == Note(67, 10, 10.5, velocity=1)


def test_events_default_max_shift_splits_long_rests():
    notes = [Note(60, 0, 0.25), Note(62, 5.25, 5.5)]  # a rest of 20 sixteenths = 16 + 4
    tokens = ["NOTE_ON_60", "TIME_SHIFT_1", "NOTE_OFF_60", "TIME_SHIFT_16", "TIME_SHIFT_4", "NOTE_ON_62",
              "TIME_SHIFT_1", "NOTE_OFF_62"]
    assert notes_to_events(notes) == tokens and events_to_notes(tokens) == notes
    one = ["NOTE_ON_60", "TIME_SHIFT_1", "TIME_SHIFT_1", "TIME_SHIFT_1", "NOTE_OFF_60"]
    assert notes_to_events([Note(60, 0, 0.75)], max_shift=1) == one
    with pytest.raises(EncodingError, match="^max_shift must be ≥ 1 step, got 0$"):
        notes_to_events([Note(60, 0, 0.75)], max_shift=0)


def test_events_repeated_note_and_bad_times():
    # a note struck again just as it ends: NOTE_OFF first, then the new NOTE_ON, at the same time
    repeated = [Note(60, 0, 1), Note(60, 1, 1.5)]
    tokens = ["NOTE_ON_60", "TIME_SHIFT_4", "NOTE_OFF_60", "NOTE_ON_60", "TIME_SHIFT_2", "NOTE_OFF_60"]
    assert notes_to_events(repeated) == tokens and events_to_notes(tokens) == repeated
    with pytest.raises(EncodingError, match="^pitch 60 is struck again at beat 0.5 while it still sounds: NOTE_OFF_60 "
                                            "would be ambiguous; shorten the first note or move one voice$"):
        notes_to_events([Note(60, 0, 1), Note(60, 0.5, 2)])
    with pytest.raises(QuantizationError, match="^start of pitch 60 at beat 0.1 is not on the grid"):
        notes_to_events([Note(60, 0.1, 1)])
    with pytest.raises(QuantizationError, match="^end of pitch 60 at beat 1.1 is not on the grid"):
        notes_to_events([Note(60, 0, 1.1)])


def test_velocity_tokens_at_bin_edges():
    # 3 bins of 1–127 (127 / 3 ≈ 42.3 each): 1–43, 44–85, 86–127; a VELOCITY token only when the bin changes
    notes = [Note(60 + i, i / 4, (i + 1) / 4, velocity=v) for i, v in enumerate([1, 43, 44, 85, 86, 127])]
    assert notes_to_events(notes, velocity_bins=3) == [
        "VELOCITY_0", "NOTE_ON_60", "TIME_SHIFT_1", "NOTE_OFF_60", "NOTE_ON_61", "TIME_SHIFT_1", "NOTE_OFF_61",
        "VELOCITY_1", "NOTE_ON_62", "TIME_SHIFT_1", "NOTE_OFF_62", "NOTE_ON_63", "TIME_SHIFT_1", "NOTE_OFF_63",
        "VELOCITY_2", "NOTE_ON_64", "TIME_SHIFT_1", "NOTE_OFF_64", "NOTE_ON_65", "TIME_SHIFT_1", "NOTE_OFF_65"]
    decoded = events_to_notes(notes_to_events(notes, velocity_bins=3), velocity_bins=3)
    assert [n.velocity for n in decoded] == [1, 1, 44, 44, 86, 86]
    # 127 bins: every velocity its own bin, v in bin v − 1
    for v in (1, 2, 64, 126, 127):
        assert notes_to_events([Note(60, 0, 1, velocity=v)], velocity_bins=127)[0] == f"VELOCITY_{v - 1}"


def test_events_to_notes_unbalanced_tokens():
    with pytest.raises(EncodingError, match="^token 2: NOTE_ON_60 while pitch 60 is already on$"):
        events_to_notes(["NOTE_ON_60", "TIME_SHIFT_1", "NOTE_ON_60"])
    with pytest.raises(EncodingError, match="^token 1: NOTE_OFF_60 without a sounding NOTE_ON_60 before it$"):
        events_to_notes(["NOTE_ON_60", "NOTE_OFF_60"])  # a note of no length
    # not strict: a second NOTE_ON of a sounding pitch is ignored, the note runs on to its NOTE_OFF
    again = ["NOTE_ON_60", "TIME_SHIFT_1", "NOTE_ON_60", "TIME_SHIFT_1", "NOTE_OFF_60"]
    assert events_to_notes(again, strict=False) == [Note(60, 0, 0.5)]
    # not strict: a NOTE_OFF with nothing to close and a note of no length are dropped, decoding goes on
    tokens = ["NOTE_OFF_61", "NOTE_ON_60", "NOTE_OFF_60", "TIME_SHIFT_2", "NOTE_OFF_60", "NOTE_ON_62", "TIME_SHIFT_1",
              "NOTE_OFF_62"]
    assert events_to_notes(tokens, strict=False) == [Note(62, 0.5, 0.75)]
    # not strict: notes still open are closed at the last time, one opened at that time has no length and is dropped
    tokens = ["TIME_SHIFT_2", "VELOCITY_3", "NOTE_ON_60", "TIME_SHIFT_2", "NOTE_ON_62"]
    assert events_to_notes(tokens, velocity_bins=4, strict=False) == [Note(60, 0.5, 1.0, velocity=97)]


def test_events_to_notes_velocity_bin_range():
    with pytest.raises(EncodingError, match="^token 0 = 'VELOCITY_4': velocity bin outside 0…3$"):
        events_to_notes(["VELOCITY_4"], velocity_bins=4)
    with pytest.raises(EncodingError, match="^token 1 = 'VELOCITY_1': velocity bin outside 0…0$"):
        events_to_notes(["VELOCITY_0", "VELOCITY_1"], velocity_bins=1)
    one_bin = ["VELOCITY_0", "NOTE_ON_60", "TIME_SHIFT_1", "NOTE_OFF_60"]
    assert events_to_notes(one_bin, velocity_bins=1) == [Note(60, 0, 0.25, velocity=1)]


def test_velocity_token_without_velocity_bins_is_an_encoding_error():
    for token in ("VELOCITY_0", "VELOCITY_1"):
        with pytest.raises(EncodingError, match=rf"^token 0 = '{token}': a velocity token, but velocity_bins is 0; "
                                                "decode with the bins the tokens were encoded with$"):
            events_to_notes([token, "NOTE_ON_60", "TIME_SHIFT_1", "NOTE_OFF_60"])


def test_event_vocabulary_exact_tokens(tmp_path):
    vocab = event_vocabulary(max_shift=2, velocity_bins=2, low=60, high=61)
    assert vocab.id_to_token == ["<pad>", "<start>", "<end>", "NOTE_ON_60", "NOTE_ON_61", "NOTE_OFF_60",
                                 "NOTE_OFF_61", "TIME_SHIFT_1", "TIME_SHIFT_2", "VELOCITY_0", "VELOCITY_1"]
    assert vocab.kind == "events" and Vocabulary.load(vocab.save(tmp_path / "e.json")).kind == "events"
    full = event_vocabulary()  # all 128 MIDI pitches, shifts up to 16 steps, no velocity
    assert len(full) == 3 + 2 * 128 + 16
    assert full.id_to_token[3] == "NOTE_ON_0" and full.id_to_token[3 + 128] == "NOTE_OFF_0"
    assert full.id_to_token[-1] == "TIME_SHIFT_16" and "NOTE_OFF_127" in full


def test_events_bad_inputs():
    with pytest.raises(EncodingError, match="struck again"):
        notes_to_events([Note(60, 0, 2), Note(60, 1, 3)])
    with pytest.raises(EncodingError, match="without a sounding NOTE_ON_60"):
        events_to_notes(["NOTE_OFF_60"])
    with pytest.raises(EncodingError, match="never switched off"):
        events_to_notes(["NOTE_ON_60", "TIME_SHIFT_1"])
    assert events_to_notes(["NOTE_ON_60", "TIME_SHIFT_4"], strict=False) == [Note(60, 0, 1)]
    with pytest.raises(EncodingError, match="not an event token"):
        events_to_notes(["NOTE_60"])


def test_velocity_bins_partition_1_to_127():
    for bins in (1, 4, 32, 127):
        firsts = [velocity_of_bin(b, bins) for b in range(bins)]
        assert firsts[0] == 1 and len(set(firsts)) == bins
        # the first velocity of each bin is in that bin, the one before it is in the bin before
        for b, v in enumerate(firsts):
            assert (v - 1) * bins // 127 == b and (b == 0 or (v - 2) * bins // 127 == b - 1)


@settings(max_examples=60, deadline=None)
@given(polyphony(), st.sampled_from([0, 8]))
def test_events_round_trip(notes, bins):
    if bins:  # only velocities a bin can represent survive exactly
        notes = [Note(n.pitch, n.start, n.end, velocity_of_bin((n.velocity - 1) * bins // 127, bins)) for n in notes]
    else:
        notes = [Note(n.pitch, n.start, n.end) for n in notes]
    decoded = events_to_notes(notes_to_events(notes, velocity_bins=bins, max_shift=5), velocity_bins=bins)
    assert decoded == sorted(notes, key=lambda n: (n.start, n.pitch, n.voice, n.end))


# ------------------------------------------------------------------ quantisation
def test_quantize_reports_error():
    notes = [Note(60, 0.1, 1.0), Note(62, 1.0, 1 + 1 / 3), Note(64, 2.0, 2.05)]
    out, report = quantize_notes(notes, 4)
    assert [(n.start, n.end) for n in out] == [(0.0, 1.0), (1.0, 1.25), (2.0, 2.25)]
    assert report.n_moved == 3 and report.n_lengthened == 1 and not report.exact
    assert report.max_error == pytest.approx(0.2)
    assert report.mean_error == pytest.approx((0.1 + 0 + 0 + 1 / 12 + 0 + 0.2) / 6)
    assert quantize_notes(PHRASE)[1].exact


def test_quantize_counts_lengthened_notes_and_tolerance():
    # two notes shorter than half a step are each given one step; a start 1e-6 beats off the grid (the tolerance
    # _EPS) counts as on it
    notes = [Note(60, 0, 0.05), Note(62, 1, 1.1), Note(64, 1e-6, 2.0)]
    out, report = quantize_notes(notes, 4)
    assert out == [Note(60, 0, 0.25), Note(64, 0, 2.0), Note(62, 1, 1.25)]
    assert (report.n_notes, report.n_moved, report.n_lengthened) == (3, 2, 2)
    # an end exactly 1e-6 beats off the grid is not a move either: on a grid of 2e-6 beats, 1e-6 snaps up to 2e-6
    out, report = quantize_notes([Note(60, 0, 1e-6)], 500_000)
    assert out == [Note(60, 0, 2e-6)] and report.exact and report.max_error == 1e-6
    empty, report = quantize_notes([])
    assert empty == [] and (report.n_notes, report.max_error, report.mean_error) == (0, 0.0, 0.0) and report.exact


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(21, 108), st.floats(0, 20), st.floats(0.01, 4)), max_size=10))
def test_quantize_error_bounded_and_idempotent(raw):
    notes = [Note(p, s, s + d) for p, s, d in raw]
    out, report = quantize_notes(notes, 4)
    # half a step at most, except an end pushed one step past its start (at most 1.5 steps then)
    assert report.max_error <= (0.125 if report.n_lengthened == 0 else 0.375) + 1e-9 and len(out) == len(notes)
    again, second = quantize_notes(out, 4)
    assert again == out and second.exact


# ------------------------------------------------------------------ transposition and keys
def test_transpose_and_range_error():
    assert [n.pitch for n in transpose(PHRASE, -2)] == [58, 60, 62]
    with pytest.raises(PitchRangeError, match="shifts from -39 to \\+44 fit"):
        transpose(PHRASE, 50)
    assert transpose_grid(["60", "_", "r", START], 3) == ["63", "_", "r", START]
    with pytest.raises(PitchRangeError, match="token 0 = '108'"):
        transpose_grid(["108"], 1)
    with pytest.raises(PitchRangeError, match="token 1 = '21' transposed by -30 gives -9"):
        transpose_grid(["_", "21"], -30)


@settings(max_examples=80, deadline=None)
@given(monophonic_lines(), st.integers(-40, 40))
@example([Note(21, 0, 0.25), Note(60, 0.25, 0.5)], -30)  # below 0: "-9" is no digit string, still out of range
@example([Note(100, 0, 0.25)], 8)
@example([Note(100, 0, 0.25)], 9)
def test_transpose_refuses_exactly_the_shifts_that_leave_the_piano_and_commutes_with_grid(notes, k):
    leaves = any(not 21 <= n.pitch + k <= 108 for n in notes)  # the piano's keys, by hand
    grid = melody_to_grid(notes)
    if leaves:
        with pytest.raises(PitchRangeError):
            transpose(notes, k)
        with pytest.raises(PitchRangeError):
            transpose_grid(grid, k)
        return
    moved = transpose(notes, k)
    assert [n.pitch for n in moved] == [n.pitch + k for n in notes]
    assert [(n.start, n.end) for n in moved] == [(n.start, n.end) for n in notes]
    assert melody_to_grid(moved) == transpose_grid(grid, k)
    assert transpose(moved, -k) == notes


def test_key_normalisation_shifts():
    assert key_normalizing_shift("G major") == 5
    assert key_normalizing_shift("C major") == 0 and key_normalizing_shift("A minor") == 0
    assert key_normalizing_shift("e minor") == 5 and key_normalizing_shift("F# major") == -6
    assert key_normalizing_shift("Bb major") == 2
    out, shift = normalize_key(PHRASE, "D major")
    assert shift == -2 and [n.pitch for n in out] == [58, 60, 62]
    with pytest.raises(SymbolicError, match="must look like 'G major'"):
        key_normalizing_shift("G dorian")


def test_pitch_class_histogram_by_duration_or_by_count():
    notes = [Note(60, 0, 2), Note(72, 2, 2.5), Note(64, 3, 3.25)]  # C for 2 + 0.5 beats, E for 0.25
    np.testing.assert_allclose(pitch_class_histogram(notes)[[0, 4]], [2.5, 0.25])
    np.testing.assert_allclose(pitch_class_histogram(notes, weight="count")[[0, 4]], [2, 1])
    assert pitch_class_histogram(notes).sum() == 2.75 and pitch_class_histogram([], weight="count").sum() == 0
    with pytest.raises(SymbolicError, match="weight must be 'duration' or 'count'"):
        pitch_class_histogram(notes, weight="velocity")


@pytest.mark.parametrize("name", ["bach/bwv269", "bach/bwv347", "bach/bwv153.1", "bach/bwv86.6"])
def test_estimate_key_agrees_with_music21(name):
    from music21 import analysis, corpus

    from mgtutor.symbolic import piece_from_music21

    score = corpus.parse(name)
    ref = analysis.discrete.KrumhanslKessler().getSolution(score)
    ours = estimate_key(piece_from_music21(score).notes)
    assert ours.lower() == f"{ref.tonic.name} {ref.mode}".lower()
    with pytest.raises(SymbolicError, match="empty"):
        estimate_key([])


# ------------------------------------------------------------------ music21 formats
ABC_TUNE = """X:1
T:Scale
M:3/4
L:1/8
K:G
G2 A2 B2 | d4 z2 | [GB]6 |]
"""


def test_load_score_abc_and_kern(tmp_path):
    path = tmp_path / "scale.abc"
    path.write_text(ABC_TUNE)
    piece = sym_load(path)
    # eighth notes (L:1/8): G2 = a quarter; the chord [GB] gives two notes at the same onset
    assert [(n.pitch, n.start, n.end) for n in piece.notes] == [
        (67, 0.0, 1.0), (69, 1.0, 2.0), (71, 2.0, 3.0), (74, 3.0, 5.0), (67, 6.0, 9.0), (71, 6.0, 9.0)]
    assert piece.time_signature == (3, 4) and piece.key == "G major"
    kern = sym_load("bach/bwv281.krn")  # a Humdrum kern file from music21's corpus
    from music21 import corpus

    score = corpus.parse("bach/bwv281.krn")
    assert kern.voices == [0, 1, 2, 3] == list(range(len(score.parts)))
    part = score.parts[0].stripTies()
    ref = [(int(n.pitch.midi), float(n.getOffsetInHierarchy(part))) for n in part.recurse().notes]
    assert [(n.pitch, n.start) for n in kern.voice(0)] == ref


def test_load_score_errors(tmp_path):
    bad = tmp_path / "bad.musicxml"
    bad.write_text("<not-a-score/>")
    with pytest.raises(SymbolicError, match="bad.musicxml: music21 could not read it"):
        sym_load(bad)
    with pytest.raises(SymbolicError, match="corpus name such as 'bach/bwv269'"):
        sym_load("no/such/piece")


def sym_load(source):
    from mgtutor.symbolic import load_score

    return load_score(source)
