"""Our event tokens against an established tokenizer: miditok's MIDILike.

MIDILike writes ``NoteOn_p``/``NoteOff_p``/``TimeShift_b.p.r`` (b beats + p of r positions), and a
``TimeSig`` token first. Read that way, it must produce the same events as
``mgtutor.symbolic.notes_to_events`` on the same music, except for the order of simultaneous
note-offs (miditok orders them by when the notes began, we by pitch) — compared here as sets.
See notebooks/04_symbolic_music.ipynb, Going further: Compared with miditok.
"""

from __future__ import annotations

import re
import warnings

import miditok
import pretty_midi
import pytest
import symusic

from mgtutor import data
from mgtutor import symbolic as sym

RES = 4  # positions per beat = our steps per quarter


def from_miditok(tokens: list[str]) -> list[str]:
    out = []
    for tok in tokens:
        kind, _, value = tok.partition("_")
        if kind == "TimeSig":
            continue
        if kind == "TimeShift":
            beats, pos, res = (int(x) for x in value.split("."))
            assert res == RES
            out.append(f"TIME_SHIFT_{beats * res + pos}")
        else:
            out.append({"NoteOn": "NOTE_ON", "NoteOff": "NOTE_OFF"}[kind] + f"_{value}")
    return out


def grouped(tokens: list[str]) -> list:
    """Events between time shifts as sets (simultaneous events have no order of meaning)."""
    groups, current = [], set()
    for tok in tokens:
        if tok.startswith("TIME_SHIFT"):
            groups += [frozenset(current), tok]
            current = set()
        else:
            current.add(tok)
    return [*groups, frozenset(current)]


def merge_shifts(tokens: list[str]) -> list[str]:
    out = []
    for tok in tokens:
        if tok.startswith("TIME_SHIFT") and out and out[-1].startswith("TIME_SHIFT"):
            out[-1] = f"TIME_SHIFT_{int(out[-1].rsplit('_', 1)[1]) + int(tok.rsplit('_', 1)[1])}"
        else:
            out.append(tok)
    return out


def write_one_track(notes, path):
    """All voices on one piano track at 120 bpm (half a second per quarter note)."""
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    piano = pretty_midi.Instrument(0)
    piano.notes = [pretty_midi.Note(80, n.pitch, n.start / 2, n.end / 2) for n in notes]
    midi.instruments.append(piano)
    midi.write(str(path))
    return path


@pytest.fixture(scope="module")
def tokenizer():
    config = miditok.TokenizerConfig(use_velocities=False, beat_res={(0, 4): RES, (4, 12): RES})
    return miditok.MIDILike(config)


def test_chorales_encode_to_the_same_events_as_miditok_midilike(tokenizer, tmp_path):
    """Soprano and bass of 30 chorales, two voices that never share a pitch, on one track."""
    pieces = data.chorales(limit=30)
    for i, piece in enumerate(pieces):
        notes = [n for n in piece.notes if n.voice in (0, 3)]
        ours = sym.notes_to_events(notes, steps_per_quarter=RES, max_shift=48)
        path = write_one_track(notes, tmp_path / f"{i}.mid")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # miditok warns about its own defaults
            seq = tokenizer(symusic.Score(str(path)))
        theirs = from_miditok((seq[0] if isinstance(seq, list) else seq).tokens)
        assert grouped(merge_shifts(ours)) == grouped(merge_shifts(theirs)), piece.name
    assert len(pieces) == 30


def test_token_names_map_one_to_one():
    assert from_miditok(["TimeSig_4/4", "NoteOn_60", "TimeShift_1.2.4", "NoteOff_60"]) == [
        "NOTE_ON_60", "TIME_SHIFT_6", "NOTE_OFF_60"]
    assert re.fullmatch(r"TIME_SHIFT_\d+", merge_shifts(["TIME_SHIFT_4", "TIME_SHIFT_2"])[0])
