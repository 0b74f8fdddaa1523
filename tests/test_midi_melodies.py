"""Tests of mgtutor.data.midi_melodies: choosing each MIDI file's melody, octave folding, the folder report.

The fixture folder is written in code (tests/fixtures_midi.py): band files with drums, named and
unnamed tracks, chords, out-of-range notes, a broken file and a drums-only file. 480 ticks per beat,
so 120 ticks are one sixteenth (one token).
"""

from __future__ import annotations

import warnings

import pytest
from fixtures_midi import GOOD, header, multitrack, named_track

from mgtutor.data import (
    MAX_POLYPHONY,
    DatasetError,
    MelodyChoice,
    MelodyCorpusReport,
    MelodyCorpusWarning,
    choose_melody_voice,
    fold_notes,
    fold_pitch,
    folder_melodies,
    is_mostly_monophonic,
    melody_name_word,
    polyphonic_fraction,
)
from mgtutor.symbolic import Note, Piece, load_midi, melody_vocabulary

Q = 480  # ticks per quarter note


def quarters(pitches, start=0):
    """Consecutive quarter notes (pitch, start_tick, end_tick)."""
    return [(p, start + i * Q, start + (i + 1) * Q) for i, p in enumerate(pitches)]


# triangles, one note at a time, every sixteenth: the highest (median 80.5) and densest voice of every file
DRUMS = named_track([(81 - i % 2, i * 120, i * 120 + 120) for i in range(16)], channel=9, name="Drums")
FILES = {
    # the drums are the highest and densest voice; the named vocal wins over a higher unnamed line
    "a_band.mid": multitrack(DRUMS, named_track(quarters([60, 62, 64, 65]), channel=0, name="Lead Vocal"),
                             named_track(quarters([84, 86, 88, 89]), channel=1, name="Strings", program=48),
                             conductor="Song"),
    # no melody name: the monophonic line (median 67) beats the higher chordal pad (median 77.5) and the bass
    "b_no_names.mid": multitrack(
        named_track(quarters([36, 38]), channel=2, name="Bass"),
        named_track([(p, 0, 2 * Q) for p in (72, 76, 79)] + [(81, 2 * Q, 3 * Q)], channel=3, name="Pad"),
        named_track(quarters([65, 67, 69]), channel=4, name="Synth"),
        DRUMS),
    # out-of-range notes in the only voice: 3 → 27 and 120 → 108
    "c_range.mid": header(fmt=0) + named_track(quarters([3, 60, 120])),
    "d_broken.mid": GOOD[:-9],
    "e_drums_only.mid": multitrack(DRUMS),
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("band")
    for name, data in FILES.items():
        (root / name).write_bytes(data)
    return root


def test_drums_never_chosen_and_a_melody_name_wins(folder):
    piece = load_midi(folder / "a_band.mid")
    assert piece.meta["drum_voices"] == [0]
    assert choose_melody_voice(piece) == MelodyChoice(
        1, "voice 1 (track 2 'Lead Vocal', MIDI channel 1): its name contains 'lead'")
    # without the names the higher strings line (voice 2) would win: the name rule is what chooses the vocal
    assert choose_melody_voice(Piece(piece.notes, meta={"drum_voices": [0]})).voice == 2


def test_highest_mostly_monophonic_voice_wins_without_names(folder):
    piece = load_midi(folder / "b_no_names.mid")
    assert [v["track_name"] for v in piece.meta["voices"]] == ["Bass", "Pad", "Synth", "Drums"]
    assert polyphonic_fraction(piece.voice(1)) == pytest.approx(2 / 3)
    assert choose_melody_voice(piece) == MelodyChoice(
        2, "voice 2 (track 3 'Synth', MIDI channel 5): the highest mostly monophonic voice (median pitch 67, "
           "0% of its sounding time polyphonic)")
    # were the drums not marked as drums, they would win: the drum rule is what excludes them
    unmarked = Piece(piece.notes, meta={"voices": [dict(v, is_drum=False) for v in piece.meta["voices"]]})
    assert choose_melody_voice(unmarked).voice == 3


def test_no_eligible_voice_reasons(folder):
    assert choose_melody_voice(load_midi(folder / "e_drums_only.mid")) == MelodyChoice(
        None, "only drum voices (MIDI channel 10)")
    assert choose_melody_voice(Piece([])) == MelodyChoice(None, "no notes")
    chords = Piece([Note(p, 0, 2) for p in (60, 64, 67)] + [Note(p, 2, 4, voice=1) for p in (48, 55)])
    assert choose_melody_voice(chords) == MelodyChoice(
        None, "no voice is mostly one note at a time: the least polyphonic, voice 0, has two or more notes "
              "sounding during 100% of its sounding time (the limit is 10%)")
    assert choose_melody_voice(chords, max_polyphony=1.0).voice == 0  # higher median: 64 against 51.5


def test_name_words_and_ties():
    assert [melody_name_word(n) for n in ("Lead Vocal", "LEADVOX", "LeadVox", "Mélodie 2", "melodic pad",
                                          "Tuned Perc", "Singer", "", "Bass")] == [
        "lead", None, "lead", "melodie", None, None, "singer", None, None]
    # equal medians: the lower voice index wins; a piece without MIDI metadata has no names
    twins = Piece([Note(60, 0, 1, voice=0), Note(60, 0, 1, voice=1)])
    assert choose_melody_voice(twins).voice == 0
    # two named voices: the mostly monophonic one wins even when lower
    named = Piece([Note(50, 0, 1, voice=0), Note(70, 0, 1, voice=1), Note(74, 0, 1, voice=1)],
                  meta={"voices": [{"track_name": "Vocal 2"}, {"track_name": "Melody chords"}]})
    assert choose_melody_voice(named).voice == 0


def test_mostly_monophonic_boundary():
    assert MAX_POLYPHONY == 0.10
    # sounding 0–10 beats; notes overlap during exactly 1 beat: 10 % is still mostly monophonic
    at_limit = [Note(60, 0, 5.5), Note(62, 4.5, 10)]
    assert polyphonic_fraction(at_limit) == pytest.approx(0.1)
    assert is_mostly_monophonic(at_limit)
    over = [Note(60, 0, 5.5 + 1 / 64), Note(62, 4.5, 10)]  # 1.015625 / 10 beats
    assert polyphonic_fraction(over) == 0.1015625
    assert not is_mostly_monophonic(over)
    assert is_mostly_monophonic(over, max_polyphony=0.11)
    # touching notes do not overlap; silence does not count as sounding time
    assert polyphonic_fraction([Note(60, 0, 1), Note(62, 1, 2)]) == 0.0
    assert polyphonic_fraction([Note(60, 0, 1), Note(64, 0, 1), Note(67, 3, 4)]) == 0.5
    assert polyphonic_fraction([]) == 0.0


def test_fold_pitch_by_octaves():
    assert [fold_pitch(p) for p in (0, 3, 20, 21, 60, 108, 109, 120, 127)] == [24, 27, 32, 21, 60, 108, 97, 108, 103]
    assert [fold_pitch(p, 48, 59) for p in (47, 60, 71, 72)] == [59, 48, 59, 48]
    notes, moved = fold_notes([Note(3, 0, 1), Note(60, 1, 2), Note(120, 2, 3)])
    assert [n.pitch for n in notes] == [27, 60, 108] and moved == 2
    for low, high in ((60, 70), (-1, 108), (21, 128)):
        with pytest.raises(DatasetError, match="span at least an octave"):
            fold_pitch(60, low, high)


def test_folder_melodies_tokens_report_and_warnings(folder):
    lines = []
    melodies, report = folder_melodies(folder, warn=lines.append)
    assert melodies == [
        ["60", "_", "_", "_", "62", "_", "_", "_", "64", "_", "_", "_", "65", "_", "_", "_"],
        ["65", "_", "_", "_", "67", "_", "_", "_", "69", "_", "_", "_"],
        ["27", "_", "_", "_", "60", "_", "_", "_", "108", "_", "_", "_"],
    ]
    vocab = melody_vocabulary()
    assert all(t in vocab for m in melodies for t in m)
    assert isinstance(report, MelodyCorpusReport)
    assert [(name, choice.voice) for name, choice in report.chosen] == [
        ("a_band.mid", 1), ("b_no_names.mid", 2), ("c_range.mid", 0)]
    assert report.chosen[2][1].reason == ("voice 0 (track 0, MIDI channel 1): the highest mostly monophonic voice "
                                          "(median pitch 60, 0% of its sounding time polyphonic)")
    assert report.skipped == [
        ("d_broken.mid", "truncated: track 0 declares 56 bytes, the file holds 47"),
        ("e_drums_only.mid", "only drum voices (MIDI channel 10)")]
    assert (report.files, report.melodies, report.folded_notes) == (5, 3, 2)
    assert str(report) == "5 files, 3 melodies, 2 skipped, 2 notes folded into 21–108"
    assert lines == [f"skipped {folder / 'd_broken.mid'}: truncated: track 0 declares 56 bytes, the file holds 47",
                     f"skipped {folder / 'e_drums_only.mid'}: only drum voices (MIDI channel 10)",
                     "5 files, 3 melodies, 2 skipped, 2 notes folded into 21–108"]


def test_folder_melodies_emits_warnings_one_line_each(folder):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        melodies, _ = folder_melodies(folder)
    messages = [str(w.message) for w in caught if issubclass(w.category, MelodyCorpusWarning)]
    assert len(caught) == 3 and len(melodies) == 3
    assert messages[0] == f"skipped {folder / 'd_broken.mid'}: truncated: track 0 declares 56 bytes, the file holds 47"
    assert messages[2] == "5 files, 3 melodies, 2 skipped, 2 notes folded into 21–108"
    assert all("\n" not in m for m in messages)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        folder_melodies(folder, warn=False)  # quiet when asked


def test_limit_range_and_grid_options(folder, tmp_path):
    melodies, report = folder_melodies(folder, limit=1, warn=False)
    assert len(melodies) == 1 and str(report) == "1 files, 1 melodies, 0 skipped, 0 notes folded into 21–108"
    melodies, report = folder_melodies(folder, low=48, high=72, steps_per_quarter=1, warn=False)
    assert melodies == [["60", "62", "64", "65"], ["65", "67", "69"], ["51", "60", "72"]]
    assert report.folded_notes == 2 and all(t in melody_vocabulary(48, 72) for m in melodies for t in m)
    triplets = tmp_path / "triplets"
    triplets.mkdir()
    (triplets / "t.mid").write_bytes(multitrack(named_track([(60, 0, 160), (62, 160, 320), (64, 320, 480)])))
    (triplets / "u.mid").write_bytes(multitrack(named_track(quarters([67]))))
    melodies, report = folder_melodies(triplets, on_inexact="skip", warn=False)
    assert melodies == [["67", "_", "_", "_"]]
    assert report.skipped == [("t.mid", "voice 0 (track 1, MIDI channel 1) is off the grid of 1/4 quarter note "
                                        "(on_inexact='skip')")]
    assert folder_melodies(triplets, warn=False)[0][0] == ["60", "62", "_", "64"]
    with pytest.raises(DatasetError, match="off the 1/4 grid"):
        folder_melodies(triplets, on_inexact="error", warn=False)


def test_bad_inputs(tmp_path):
    with pytest.raises(DatasetError, match="no such folder") as info:
        folder_melodies(tmp_path / "absent")
    assert str(tmp_path / "absent") in str(info.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match=r"no MIDI files \(\*\.mid, \*\.midi\)"):
        folder_melodies(empty)
    useless = tmp_path / "useless"
    useless.mkdir()
    (useless / "drums.mid").write_bytes(multitrack(DRUMS))
    (useless / "broken.mid").write_bytes(b"not midi")
    lines = []
    with pytest.raises(DatasetError) as info:
        folder_melodies(useless, warn=lines.append)
    assert str(info.value).startswith(f"{useless}: no usable melody in its MIDI files (2 files, 0 melodies, 2 skipped")
    assert len(lines) == 3 and lines[-1] == "2 files, 0 melodies, 2 skipped, 0 notes folded into 21–108"
    for kwargs, phrase in (({"limit": 0}, "limit must be"), ({"on_inexact": "round"}, "on_inexact must be"),
                           ({"low": 100, "high": 105}, "span at least an octave")):
        with pytest.raises(DatasetError, match=phrase):
            folder_melodies(useless, **kwargs)


def test_chords_in_the_chosen_voice_become_its_top_line_only(tmp_path):
    (tmp_path / "chords.mid").write_bytes(multitrack(
        named_track([(60, 0, 2 * Q), (67, 0, Q), (64, Q, 2 * Q)], channel=0, name="Melody"),
        named_track([(84, 0, 2 * Q)], channel=1, name="Strings")))
    melodies, report = folder_melodies(tmp_path, steps_per_quarter=1, warn=False)
    assert melodies == [["67", "64"]]  # the strings' 84 sounds above, but belongs to another voice
    assert report.chosen[0][1].voice == 0
