"""Symbolic music: notes, pieces, encodings, transposition and file loading.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb.

Times are in **quarter notes (beats)** everywhere; a :class:`Piece` keeps its tempo (``qpm``)
to convert to seconds (:func:`notes_to_seconds`). The main entry points:

* representation: :class:`Note`, :class:`Piece`, :func:`load_score` (MusicXML/kern/abc via music21),
  :func:`load_midi` / :func:`load_midi_folder` (robust MIDI loading, :class:`MidiLoadError`).
* melody grid (one token per sixteenth, ``"60"`` / ``"_"`` / ``"r"``): :func:`melody_to_grid`,
  :func:`grid_to_melody`, :func:`melody_vocabulary`, :class:`Vocabulary` (token ↔ id, JSON save/load).
* piano roll (T, 88), column j = MIDI pitch j + 21 — the convention in :mod:`~mgtutor.symbolic.pianoroll`:
  :data:`PIANO_KEYS`, :func:`check_roll` (:class:`RollShapeError`), :func:`notes_to_piano_roll` /
  :func:`piano_roll_to_notes`, :func:`sample_piano_roll`, :func:`steps_to_piano_roll` /
  :func:`piano_roll_to_steps` (Boulanger-Lewandowski steps), :func:`roll_shift_range`, :func:`transpose_roll`.
* other encodings: :func:`notes_to_tuples` / :func:`tuples_to_notes`, :func:`notes_to_events` /
  :func:`events_to_notes`.
* transforms: :func:`quantize_notes` (with a :class:`QuantizationReport`), :func:`transpose`,
  :func:`transpose_grid`, :func:`transpose_token`, :func:`estimate_key`, :func:`normalize_key`.

Importing this package does not import music21, pretty_midi or mido; the functions that need
them import them when called.
"""

from mgtutor.symbolic.core import (
    DEFAULT_VELOCITY,
    MAX_GRID_STEPS,
    MAX_SCORE_BYTES,
    PIANO_HIGH,
    PIANO_LOW,
    Note,
    NoteError,
    Piece,
    PitchRangeError,
    QuantizationError,
    SequenceTooLongError,
    SymbolicError,
    check_grid_length,
    check_monophonic,
    check_score_file,
    load_score,
    notes_to_seconds,
    piece_from_music21,
    skyline,
    sort_notes,
)
from mgtutor.symbolic.encodings import (
    HOLD,
    REST,
    EncodingError,
    QuantizationReport,
    event_vocabulary,
    events_to_notes,
    grid_to_melody,
    melody_to_grid,
    melody_vocabulary,
    notes_to_events,
    notes_to_tuples,
    quantize_notes,
    tuples_to_notes,
    velocity_of_bin,
)
from mgtutor.symbolic.midi import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_NOTES,
    FolderReport,
    MidiLoadError,
    MidiSkippedWarning,
    load_midi,
    load_midi_folder,
)
from mgtutor.symbolic.pianoroll import (
    PIANO_KEYS,
    RollShapeError,
    check_roll,
    notes_to_piano_roll,
    piano_roll_to_notes,
    piano_roll_to_steps,
    roll_shift_range,
    sample_piano_roll,
    steps_to_piano_roll,
    transpose_roll,
)
from mgtutor.symbolic.transforms import (
    estimate_key,
    key_normalizing_shift,
    normalize_key,
    parse_key,
    pitch_class_histogram,
    transpose,
    transpose_grid,
    transpose_token,
)
from mgtutor.symbolic.vocab import END, PAD, SPECIALS, START, Vocabulary, VocabularyError

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_NOTES", "FolderReport", "MidiLoadError", "MidiSkippedWarning", "load_midi",
    "load_midi_folder",
    "DEFAULT_VELOCITY", "END", "HOLD", "PAD", "PIANO_HIGH", "PIANO_KEYS", "PIANO_LOW", "REST", "SPECIALS", "START",
    "EncodingError", "MAX_GRID_STEPS", "MAX_SCORE_BYTES", "Note", "NoteError", "Piece", "PitchRangeError",
    "QuantizationError", "SequenceTooLongError", "check_grid_length", "check_score_file",
    "QuantizationReport", "RollShapeError", "SymbolicError", "Vocabulary", "VocabularyError", "check_monophonic",
    "check_roll", "piano_roll_to_steps", "roll_shift_range", "steps_to_piano_roll", "transpose_roll",
    "estimate_key", "event_vocabulary", "events_to_notes", "grid_to_melody", "key_normalizing_shift",
    "load_score", "melody_to_grid", "melody_vocabulary", "normalize_key", "notes_to_events",
    "notes_to_piano_roll", "notes_to_seconds", "notes_to_tuples", "parse_key", "piano_roll_to_notes",
    "piece_from_music21", "pitch_class_histogram", "quantize_notes", "sample_piano_roll", "skyline",
    "sort_notes", "transpose", "transpose_grid", "transpose_token", "tuples_to_notes", "velocity_of_bin",
]
