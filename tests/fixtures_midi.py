"""A set of good and broken MIDI files, written in code (raw bytes), for the loader tests and benchmark.

``write_midi_fixtures(folder)`` writes them and returns ``{file name: expected}`` where ``expected``
is ``("ok", n_notes)`` for files that must load, or ``("error", phrase)`` for files that must
raise ``MidiLoadError`` with ``phrase`` in the message.

``named_track`` and ``multitrack`` build multi-instrument files (track names, instrument names,
channels, programs, chords) for the melody-choice tests.
"""

from __future__ import annotations

import struct
from pathlib import Path


def vlq(n: int) -> bytes:
    """MIDI variable-length quantity."""
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def header(fmt: int = 1, n_tracks: int = 1, division: int = 480, length: int = 6) -> bytes:
    return b"MThd" + struct.pack(">L", length) + struct.pack(">HHH", fmt, n_tracks, division)[:max(length, 0)]


def track(events: bytes, end: bool = True, size: int | None = None) -> bytes:
    body = events + (b"\x00\xff\x2f\x00" if end else b"")
    return b"MTrk" + struct.pack(">L", len(body) if size is None else size) + body


def note(pitch: int, start_delta: int, length: int, velocity: int = 90, channel: int = 0) -> bytes:
    return (vlq(start_delta) + bytes([0x90 | channel, pitch, velocity])
            + vlq(length) + bytes([0x80 | channel, pitch, 0]))


TEMPO_120 = b"\x00\xff\x51\x03\x07\xa1\x20"
SCALE = b"".join(note(60 + i, 0, 240) for i in (0, 2, 4, 5, 7))  # five eighth notes at 480 tpb
GOOD = header() + track(TEMPO_120 + SCALE)


def meta_text(kind: int, text: str) -> bytes:
    """A text meta event at delta 0 (0x03 track name, 0x04 instrument name)."""
    body = text.encode("utf-8")
    return b"\x00\xff" + bytes([kind]) + vlq(len(body)) + body


def named_track(notes: list[tuple[int, int, int]], channel: int = 0, name: str | None = None,
                instrument: str | None = None, program: int | None = None, tempo: bool = False) -> bytes:
    """A track chunk: optional tempo, name (0x03), instrument name (0x04) and program change, then the notes.

    ``notes`` are ``(pitch, start_tick, end_tick)`` in absolute ticks and may overlap (chords);
    at equal ticks note-offs come before note-ons.
    """
    head = (TEMPO_120 if tempo else b"") + (meta_text(0x03, name) if name is not None else b"")
    head += meta_text(0x04, instrument) if instrument is not None else b""
    head += b"\x00" + bytes([0xC0 | channel, program]) if program is not None else b""
    events = sorted([(start, 1, bytes([0x90 | channel, pitch, 90])) for pitch, start, _ in notes]
                    + [(end, 0, bytes([0x80 | channel, pitch, 0])) for pitch, _, end in notes])
    body, tick = b"", 0
    for at, _, event in events:
        body += vlq(at - tick) + event
        tick = at
    return track(head + body)


def multitrack(*tracks: bytes, conductor: str | None = None, division: int = 480) -> bytes:
    """A type-1 file: a conductor track (tempo, optional name, no notes) followed by ``tracks``."""
    return header(fmt=1, n_tracks=len(tracks) + 1, division=division) + named_track([], name=conductor, tempo=True) \
        + b"".join(tracks)


def many_notes(n: int) -> bytes:
    return header() + track(b"".join(note(60, 0, 10) for _ in range(n)))


def write_midi_fixtures(folder: Path) -> dict[str, tuple[str, object]]:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    running = (b"\x00\x90\x3c\x50" + b"\x81\x70\x3c\x00"  # note on C4, then running-status 'note on vel 0'
               + b"\x00\x3e\x50" + b"\x81\x70\x3e\x00")   # D4 on/off, both with running status
    files: dict[str, tuple[bytes, tuple[str, object]]] = {
        "good.mid": (GOOD, ("ok", 5)),
        "good_type0.mid": (header(fmt=0) + track(TEMPO_120 + SCALE), ("ok", 5)),
        "running_status.mid": (header() + track(running), ("ok", 2)),
        "unterminated.mid": (header() + track(b"\x00\x90\x3c\x50" + note(64, 0, 480)), ("ok", 2)),
        "orphan_note_off.mid": (header() + track(b"\x00\x80\x3c\x00" + note(64, 0, 480)), ("ok", 1)),
        "no_end_of_track.mid": (header() + track(SCALE, end=False), ("ok", 5)),
        "empty.mid": (b"", ("error", "the file is empty")),
        "text.mid": (b"this is not a MIDI file at all\n", ("error", "not a Standard MIDI File")),
        "midi2_clip.mid": (b"SMF2CLIP" + bytes(64), ("error", "MIDI 2.0 clip")),
        "truncated.mid": (GOOD[: len(GOOD) - 9], ("error", "truncated")),
        "header_only.mid": (GOOD[:10], ("error", "truncated: the header needs 14 bytes")),
        "zero_ticks.mid": (header(division=0) + track(SCALE), ("error", "zero ticks per beat")),
        "smpte.mid": (header(division=0xE728) + track(SCALE), ("error", "SMPTE time division")),
        "zero_tempo.mid": (header() + track(b"\x00\xff\x51\x03\x00\x00\x00" + SCALE), ("error", "0 µs per beat")),
        "type2.mid": (header(fmt=2, n_tracks=2) + track(SCALE) + track(SCALE), ("error", "type 2")),
        "type7.mid": (header(fmt=7) + track(SCALE), ("error", "unknown MIDI file type 7")),
        "huge_header.mid": (header(length=0xFFFFFFF0) + track(SCALE), ("error", "absurd header length")),
        "zero_tracks.mid": (header(n_tracks=0), ("error", "0 tracks")),
        "missing_tracks.mid": (header(n_tracks=40) + track(SCALE), ("error", "truncated")),
        "bad_running_status.mid": (header() + track(b"\x00\x3c\x50" + SCALE), ("error", "running status")),
        "bad_chunk.mid": (header() + b"JUNK" + GOOD[18:], ("error", "no MTrk header")),
        # a track length past the end of the file, but complete events: read up to end-of-track
        "huge_track_length.mid": (header() + track(SCALE, size=0x7FFFFFFF), ("ok", 5)),
        "short_track_length.mid": (header() + track(SCALE, size=7), ("error", "truncated")),
        "huge_sysex.mid": (header() + track(b"\x00\xf0" + vlq(5_000_000) + b"\x01\x02"), ("error", "exceeds maximum")),
        "undefined_status.mid": (header() + track(b"\x00\xf4\x00" + SCALE), ("error", "undefined status")),
    }
    for name, (data, _) in files.items():
        (folder / name).write_bytes(data)
    return {name: expected for name, (_, expected) in files.items()}
