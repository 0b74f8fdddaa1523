"""Datasets: offline corpora, splits, Boulanger-Lewandowski pickles, and next-step windows.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §3 (corpora, Boulanger-Lewandowski pickles)
and §6 (splits, pipelines). Modules:

* :mod:`~mgtutor.data.corpora` — music21's bundled Bach chorales and folk songs (cached as JSON);
* :mod:`~mgtutor.data.midi_melodies` — one melody per real-world MIDI file (voice choice, octave folding);
* :mod:`~mgtutor.data.splits` — whole pieces to train/valid/test, and the chorales split by tune;
* :mod:`~mgtutor.data.boulanger` — the benchmark pickles, read by a restricted unpickler, the TCN ``.mat``
  copies, and :func:`load_benchmark` (by registry name or path, notebook 07);
* :mod:`~mgtutor.data.windows` — one window rule for tokens and piano rolls, and its tf.data adapter;
* :mod:`~mgtutor.data.pipeline` — a ``tf.data`` input pipeline and a plain-Python generator serving the same
  examples, for measuring (notebook 10; import it as ``mgtutor.data.pipeline``);
* :mod:`~mgtutor.data.toy2d` — the 2-D mode-collapse benchmarks (ring, grid) of notebook 08;
* :mod:`~mgtutor.data.bars` — one-bar piano-roll fragments of the chorales (notebook 09);
* :mod:`~mgtutor.data.note_spectrograms` — log-magnitude spectrograms of one-shot notes and Griffin-Lim back to
  audio (notebook 09);
* :mod:`~mgtutor.data.timbre_family` — one-shot notes of a continuous timbre family drawn from a seed (random
  harmonic tilt and gains, attack and decay, velocity), so held-out notes have timbres never heard in training
  (notebook 09).

Every public name is importable from ``mgtutor.data`` directly.
"""

from mgtutor.data.bars import BAR_KEYS, BAR_LOWEST, BAR_STEPS, bars_to_roll, chorale_bars, roll_bars
from mgtutor.data.boulanger import (
    BENCHMARKS,
    BL_SPLITS,
    DEFAULT_MAX_PICKLE_BYTES,
    TCN_MAT_KEYS,
    UnsafePickleError,
    benchmark_file,
    load_benchmark,
    load_boulanger,
    load_tcn_mat,
    piano_roll_to_steps,
    safe_load_plain_pickle,
    save_boulanger,
    steps_to_piano_roll,
    validate_boulanger,
)
from mgtutor.data.corpora import (
    CACHE_VERSION,
    ESSEN_TEST_FILES,
    INEXACT_POLICIES,
    SMOKE_CHORALES,
    SMOKE_FOLK_SONGS,
    chorale,
    chorale_excerpt,
    chorale_file,
    chorale_melodies,
    chorale_names,
    chorale_piano_rolls,
    chorales,
    corpus_cache_dir,
    folk_files,
    folk_melodies,
    folk_songs,
    melody_tokens,
)
from mgtutor.data.midi_melodies import (
    MAX_POLYPHONY,
    MELODY_NAME_WORDS,
    MelodyChoice,
    MelodyCorpusReport,
    MelodyCorpusWarning,
    choose_melody_voice,
    describe_voice,
    fold_notes,
    fold_pitch,
    folder_melodies,
    is_mostly_monophonic,
    melody_name_word,
    name_words,
    polyphonic_fraction,
    voice_info,
)
from mgtutor.data.note_spectrograms import SpecConfig, note_spectrograms, one_shot_notes, spectrograms_to_audio
from mgtutor.data.splits import chorale_split, split_by_piece
from mgtutor.data.timbre_family import TimbreFamily, draw_timbre, family_notes
from mgtutor.data.toy2d import TOY_SETS, ToyData, ToySet, toy_sample, toy_set
from mgtutor.data.tunes import (
    KEY_INTERVALS,
    SAME_TUNE_SIMILARITY,
    chorale_soprano_lines,
    chorale_tunes,
    edit_distances,
    held_out_variants,
    line_similarity,
    roll_tune_key,
    similar_pairs,
    split_by_group,
    tune_groups,
    tune_key,
)
from mgtutor.data.windows import (
    ArrayData,
    EpochData,
    FullBatchData,
    NextStepData,
    TeacherForced,
    next_step_windows,
    padded_piece_dataset,
    roll_dataset,
    roll_transposer,
    roll_windows,
    token_dataset,
    token_transposer,
    token_windows,
    transposition_table,
)
from mgtutor.errors import DatasetError

__all__ = [
    "DatasetError", "UnsafePickleError", "CACHE_VERSION", "SMOKE_CHORALES", "SMOKE_FOLK_SONGS", "ESSEN_TEST_FILES",
    "INEXACT_POLICIES", "BL_SPLITS", "DEFAULT_MAX_PICKLE_BYTES", "corpus_cache_dir", "chorale_names", "chorale_file",
    "chorale", "chorale_excerpt",
    "chorales", "melody_tokens", "chorale_melodies", "chorale_piano_rolls", "folk_files", "folk_songs",
    "folk_melodies", "split_by_piece", "chorale_split", "safe_load_plain_pickle", "validate_boulanger",
    "steps_to_piano_roll",
    "piano_roll_to_steps", "load_boulanger", "save_boulanger", "load_tcn_mat", "load_benchmark", "benchmark_file",
    "BENCHMARKS",
    "TCN_MAT_KEYS", "transposition_table", "token_windows",
    "roll_windows", "token_dataset", "roll_dataset", "padded_piece_dataset", "next_step_windows", "EpochData",
    "ArrayData", "FullBatchData", "NextStepData", "TeacherForced", "token_transposer", "roll_transposer",
    "MAX_POLYPHONY", "MELODY_NAME_WORDS", "MelodyChoice", "MelodyCorpusReport", "MelodyCorpusWarning",
    "choose_melody_voice", "describe_voice", "fold_notes", "fold_pitch", "folder_melodies", "is_mostly_monophonic",
    "melody_name_word", "name_words", "polyphonic_fraction", "voice_info",
    "KEY_INTERVALS", "SAME_TUNE_SIMILARITY", "edit_distances", "similar_pairs", "held_out_variants", "chorale_tunes",
    "chorale_soprano_lines", "split_by_group", "tune_key", "tune_groups", "line_similarity", "roll_tune_key",
    "BAR_STEPS", "BAR_LOWEST", "BAR_KEYS", "roll_bars", "chorale_bars", "bars_to_roll",
    "SpecConfig", "note_spectrograms", "spectrograms_to_audio", "one_shot_notes",
    "TimbreFamily", "draw_timbre", "family_notes",
    "TOY_SETS", "ToySet", "ToyData", "toy_set", "toy_sample",
]
