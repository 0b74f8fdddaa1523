"""Tests of the robust MIDI loader (mgtutor.symbolic.midi) on a set of broken files written in code.

References: pretty_midi reading the same good files; mido writing files from scratch.
"""

from __future__ import annotations

import warnings

import pytest
from fixtures_midi import GOOD, header, many_notes, multitrack, named_track, track, write_midi_fixtures
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgtutor import render
from mgtutor.symbolic import Note, sort_notes
from mgtutor.symbolic.midi import (
    FolderReport,
    MidiLoadError,
    MidiSkippedWarning,
    load_midi,
    load_midi_folder,
)


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory):
    folder = tmp_path_factory.mktemp("midi")
    return folder, write_midi_fixtures(folder)


def test_fixture_set_is_wide():
    kinds = {"empty", "truncated", "zero_ticks", "zero_tempo", "type2", "midi2_clip", "running_status",
             "unterminated", "huge_header", "bad_running_status"}
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        names = {n.removesuffix(".mid") for n in write_midi_fixtures(Path(tmp))}
    assert kinds <= names


def test_each_fixture_loads_or_raises_midi_load_error(fixtures):
    folder, expected = fixtures
    for name, (outcome, detail) in expected.items():
        path = folder / name
        if outcome == "ok":
            piece = load_midi(path)
            assert len(piece.notes) == detail, name
        else:
            with pytest.raises(MidiLoadError) as info:
                load_midi(path)
            message = str(info.value)
            assert message.startswith(f"{path}: ") and detail in message, (name, message)
            assert isinstance(info.value, ValueError)


def test_good_file_matches_pretty_midi(fixtures):
    import pretty_midi

    folder, _ = fixtures
    piece = load_midi(folder / "good.mid")
    pm = pretty_midi.PrettyMIDI(str(folder / "good.mid"))
    ref = [(n.pitch, n.start * 2, n.end * 2, n.velocity) for n in pm.instruments[0].notes]  # 120 qpm: ×2
    assert [(n.pitch, n.start, n.end, n.velocity) for n in piece.notes] == ref
    assert piece.qpm == pytest.approx(120) and piece.meta["ticks_per_beat"] == 480


def test_unterminated_and_orphan_notes_are_counted(fixtures):
    folder, _ = fixtures
    piece = load_midi(folder / "unterminated.mid")
    assert piece.meta["unterminated"] == 1
    assert Note(60, 0.0, 1.0, 80) in piece.notes  # closed at the end of its track (tick 480)
    assert load_midi(folder / "orphan_note_off.mid").meta["dropped"] == 1


def test_running_status_is_read(fixtures):
    folder, _ = fixtures
    assert [(n.pitch, n.start, n.end) for n in load_midi(folder / "running_status.mid").notes] == [
        (60, 0.0, 0.5), (62, 0.5, 1.0)]


def test_limits(tmp_path):
    path = tmp_path / "big.mid"
    path.write_bytes(many_notes(300))
    assert len(load_midi(path).notes) == 300
    with pytest.raises(MidiLoadError, match="more than 100 notes, the limit of the course's MIDI loader$"):
        load_midi(path, max_notes=100)
    with pytest.raises(MidiLoadError, match=r"over the limit of 1,000 bytes \(0.000953674 MiB\): too large for the "):
        load_midi(path, max_bytes=1000)
    with pytest.raises(MidiLoadError, match="no such file"):
        load_midi(tmp_path / "absent.mid")


def test_folder_loading_skips_with_one_warning_each(fixtures):
    folder, expected = fixtures
    bad = sorted(n for n, (outcome, _) in expected.items() if outcome == "error")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pieces, report = load_midi_folder(folder)
    assert isinstance(report, FolderReport)
    assert len(pieces) == len(report.loaded) == len(expected) - len(bad)
    assert sorted(p.name for p, _ in report.skipped) == bad
    skipped_warnings = [w for w in caught if issubclass(w.category, MidiSkippedWarning)]
    assert len(skipped_warnings) == len(bad) and all("\n" not in str(w.message) for w in skipped_warnings)
    assert f"{len(pieces)} loaded, {len(bad)} skipped" in str(report)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_midi_folder(folder, warn=False)  # quiet when asked
    with pytest.raises(MidiLoadError, match="not a folder"):
        load_midi_folder(folder / "good.mid")


def test_skip_lines_escape_control_characters_in_file_names(tmp_path):
    (tmp_path / "bad\nname\x1b[31mRED\x1b[0m.mid").write_bytes(b"not midi")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, report = load_midi_folder(tmp_path)
    (line,) = [str(w.message) for w in caught if issubclass(w.category, MidiSkippedWarning)]
    assert line == (f"skipped {tmp_path}/bad\\nname\\x1b[31mRED\\x1b[0m.mid: not a Standard MIDI File: it starts "
                    "with b'not ', not b'MThd'")
    assert str(report).splitlines()[1] == ("  skipped bad\\nname\\x1b[31mRED\\x1b[0m.mid: not a Standard MIDI File: "
                                           "it starts with b'not ', not b'MThd'")


def test_meta_events_tempo_signature_key(tmp_path):
    import mido

    mid = mido.MidiFile(ticks_per_beat=96)
    tr = mido.MidiTrack()
    tr += [mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(75)), mido.MetaMessage("time_signature", numerator=3,
           denominator=4), mido.MetaMessage("key_signature", key="Bbm"), mido.Message("program_change", program=40),
           mido.Message("note_on", note=70, velocity=100), mido.Message("note_off", note=70, time=48),
           mido.Message("note_on", note=36, velocity=90, channel=9), mido.Message("note_off", note=36, channel=9,
                                                                                   time=24)]
    mid.tracks.append(tr)
    mid.save(tmp_path / "meta.mid")
    piece = load_midi(tmp_path / "meta.mid")
    assert piece.qpm == pytest.approx(75) and piece.time_signature == (3, 4) and piece.key == "B- minor"
    assert piece.notes == [Note(70, 0.0, 0.5, 100, 0, 40), Note(36, 0.5, 0.75, 90, 1, 0)]
    assert piece.meta["drum_voices"] == [1]
    assert piece.meta["voices"] == [
        {"track": 0, "track_name": "", "instrument_name": "", "channel": 0, "program": 40, "is_drum": False},
        {"track": 0, "track_name": "", "instrument_name": "", "channel": 9, "program": 0, "is_drum": True}]


def test_voices_keep_track_names_channels_and_programs(tmp_path):
    import json

    from mgtutor.symbolic import Piece

    path = tmp_path / "band.mid"
    path.write_bytes(multitrack(
        named_track([(36, 0, 240), (38, 240, 480)], channel=9, name="Drums"),
        named_track([(67, 0, 480)], channel=2, name="Lead Vocal", instrument="Voice", program=52),
        conductor="My Song"))
    # a type-0 file: one track, two channels, one name (Latin-1 bytes that are not UTF-8)
    (tmp_path / "type0.mid").write_bytes(
        header(fmt=0) + track(b"\x00\xff\x03\x05M\xe9lod" + b"\x00\x90\x3c\x50\x00\x91\x30\x50"
                              + b"\x81\x70\x80\x3c\x00\x00\x81\x30\x00"))
    piece = load_midi(path)
    assert piece.meta["voices"] == [
        {"track": 1, "track_name": "Drums", "instrument_name": "", "channel": 9, "program": 0, "is_drum": True},
        {"track": 2, "track_name": "Lead Vocal", "instrument_name": "Voice", "channel": 2, "program": 52,
         "is_drum": False}]
    assert piece.meta["drum_voices"] == [0]
    assert [(n.pitch, n.voice, n.program) for n in piece.notes] == [(36, 0, 0), (67, 1, 52), (38, 0, 0)]
    assert Piece.from_dict(json.loads(json.dumps(piece.to_dict()))) == piece
    zero = load_midi(tmp_path / "type0.mid")
    assert [(v["track"], v["track_name"], v["channel"]) for v in zero.meta["voices"]] == [(0, "M\u00e9lod", 0),
                                                                                          (0, "M\u00e9lod", 1)]


@st.composite
def grid_notes(draw):
    out = []
    for _ in range(draw(st.integers(1, 10))):
        a, d = draw(st.integers(0, 32)), draw(st.integers(1, 16))
        out.append(Note(draw(st.integers(0, 127)), a / 4, (a + d) / 4, draw(st.integers(1, 127)),
                        voice=draw(st.integers(0, 1))))
    # one note per key at a time per voice: MIDI cannot hold two overlapping notes on one key
    kept, last = [], {}
    for n in sort_notes(out):
        if last.get((n.voice, n.pitch), -1) <= n.start:
            kept.append(n)
            last[(n.voice, n.pitch)] = n.end
    return kept


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid_notes(), st.sampled_from([60.0, 120.0, 97.0]))
def test_write_then_load_round_trip(tmp_path, notes, tempo):
    path = render.write_midi(notes, tmp_path / "rt.mid", tempo=tempo)
    piece = load_midi(path)
    key = lambda n: (n.start, n.pitch, n.voice)  # noqa: E731
    got = sorted((n.pitch, n.start, n.end, n.velocity) for n in piece.notes)
    assert got == sorted((n.pitch, n.start, n.end, n.velocity) for n in sorted(notes, key=key))
    assert piece.qpm == pytest.approx(tempo, rel=1e-5)


def test_good_bytes_constant_is_a_valid_file(tmp_path):
    (tmp_path / "g.mid").write_bytes(GOOD)
    assert len(load_midi(tmp_path / "g.mid").notes) == 5


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       st.integers(0, len(GOOD)))
def test_corrupted_bytes_load_or_raise_midi_load_error(tmp_path, edits, cut):
    corrupted = bytearray(GOOD)
    for i, value in edits:
        corrupted[i] = value
    path = tmp_path / "fuzz.mid"
    path.write_bytes(bytes(corrupted[:cut]))
    try:
        piece = load_midi(path)
    except MidiLoadError as exc:
        assert str(exc).startswith(f"{path}: ")
    else:
        assert all(0 <= n.pitch <= 127 and n.end > n.start for n in piece.notes)


def test_chorale_midi_files_match_pretty_midi(tmp_path):
    import pretty_midi

    from mgtutor.symbolic import load_score

    piece = load_score("bach/bwv347")
    path = render.write_midi(piece.notes, tmp_path / "c.mid", tempo=120)  # 500 000 µs per beat: exact
    ours = sorted((n.pitch, n.start, n.end, n.velocity) for n in load_midi(path).notes)
    pm = pretty_midi.PrettyMIDI(str(path))
    ref = sorted((n.pitch, round(n.start * 2, 6), round(n.end * 2, 6), n.velocity)
                 for i in pm.instruments for n in i.notes)
    assert [(p, round(s, 6), round(e, 6), v) for p, s, e, v in ours] == ref
    assert len(load_midi(path).voices) == 4
