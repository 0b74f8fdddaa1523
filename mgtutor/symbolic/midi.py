"""Robust MIDI loading: a file either loads correctly or raises :class:`MidiLoadError` naming it and why.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §1.

Real MIDI collections contain broken files. :func:`load_midi` checks the header bytes
(empty, not a MIDI file, a MIDI 2.0 clip file, an absurd header length, type 2, zero or SMPTE
time division), then reads the track chunks straight from the bytes with bounds checks on every
read (:func:`_parse_tracks`, a small SMF 1.0 reader that is faster than going through mido's
message objects), so a truncated or corrupt file ends in a :class:`MidiLoadError`, never in an
``EOFError``/``IndexError``/``ZeroDivisionError``. Limits on file size and note count
(configurable) guard memory and time.

Times come from ticks, not seconds: ``beats = tick / ticks_per_beat``, so tempo changes do not
move notes off the beat grid. The first tempo is kept in ``Piece.qpm``.

Notes that are never switched off (no note-off before the end of their track) are closed at
the track's end and counted in ``Piece.meta["unterminated"]``; note-offs with no note and
zero-length notes are dropped and counted in ``Piece.meta["dropped"]``.

Each voice is described in ``Piece.meta["voices"]`` (a list indexed by ``Note.voice``, plain
JSON types so :meth:`Piece.to_dict` round-trips it): its track index, the track's name (meta event
``0x03``) and instrument name (meta event ``0x04``), its channel (0–15; 9 is General MIDI's drum
channel 10), its program and whether it is a drum voice. :mod:`mgtutor.data.midi_melodies` uses
them to choose a file's melody.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mgtutor.errors import display_path
from mgtutor.symbolic.core import Note, Piece, SymbolicError

__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_NOTES", "DRUM_CHANNEL", "MAX_NAME_CHARS", "FolderReport", "MidiLoadError",
    "MidiSkippedWarning",
    "check_midi_header", "load_midi", "load_midi_folder",
]

DEFAULT_MAX_BYTES = 8 * 2**20
"""Default size limit of a MIDI file: 8 MiB (the largest piano pieces are a few hundred KiB)."""
DEFAULT_MAX_NOTES = 200_000
"""Default limit on the number of notes in one file."""
MAX_HEADER_LENGTH = 1024
"""A MIDI header chunk is 6 bytes; longer ones are allowed by the standard, absurd ones refused."""
MAX_NAME_CHARS = 128
"""Track and instrument names are cut to this many characters."""
DRUM_CHANNEL = 9
"""Channel index of General MIDI's drum channel (channel 10 counted from 1)."""


class MidiLoadError(SymbolicError):
    """A MIDI file cannot be loaded; the message names the file and the reason."""


class MidiSkippedWarning(UserWarning):
    """:func:`load_midi_folder` skipped a file (one warning line per file)."""


def _fail(path: Path, reason: str) -> MidiLoadError:
    return MidiLoadError(f"{display_path(path)}: {reason}")


def check_midi_header(path: Path, data: bytes) -> tuple[int, int, int]:
    """Check a file's first bytes and return ``(type, n_tracks, ticks_per_beat)``.

    Raises:
        MidiLoadError: empty; a MIDI 2.0 clip file; not ``MThd``; a header length below 6 or above
            :data:`MAX_HEADER_LENGTH`; type above 2 or type 2; no tracks; zero or SMPTE division.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    if not data:
        raise _fail(path, "the file is empty (0 bytes)")
    if data.startswith(b"SMF2CLIP") or data.startswith(b"SMF2CON1"):
        raise _fail(path, "this is a MIDI 2.0 clip/container file (SMF2CLIP); only Standard MIDI Files "
                          "(MIDI 1.0, 'MThd') are supported: export it as MIDI 1.0")
    if data.startswith(b"RIFF"):
        raise _fail(path, "this is a RIFF MIDI (.rmi) file; extract its 'data' chunk as a .mid file first")
    if not data.startswith(b"MThd"):
        raise _fail(path, f"not a Standard MIDI File: it starts with {data[:4]!r}, not b'MThd'")
    if len(data) < 14:
        raise _fail(path, f"truncated: the header needs 14 bytes, the file has {len(data)}")
    (length,) = struct.unpack(">L", data[4:8])
    if not 6 <= length <= MAX_HEADER_LENGTH:
        raise _fail(path, f"absurd header length {length} (a MIDI header is 6 bytes); the file is corrupt")
    fmt, n_tracks, division = struct.unpack(">HHH", data[8:14])
    if fmt > 2:
        raise _fail(path, f"unknown MIDI file type {fmt} (types are 0, 1 and 2); the file is corrupt")
    if fmt == 2:
        raise _fail(path, "MIDI type 2 (independent sequences) is not supported; "
                          "split it into type-0/1 files (e.g. one per sequence)")
    if n_tracks == 0:
        raise _fail(path, "the header declares 0 tracks: nothing to load")
    if division == 0:
        raise _fail(path, "zero ticks per beat in the header: note times cannot be computed")
    if division & 0x8000:
        raise _fail(path, "SMPTE time division (frames per second) is not supported; "
                          "re-save the file with ticks per beat")
    return fmt, n_tracks, division


def load_midi(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_BYTES,
              max_notes: int = DEFAULT_MAX_NOTES) -> Piece:
    """Load a Standard MIDI File into a :class:`Piece` (times in quarter notes).

    Rule: ``beats = tick / ticks_per_beat``; a note-on with velocity > 0 opens a note on its
    (track, channel, pitch); the next note-off (or note-on with velocity 0) on the same key
    closes the earliest open one. One voice per (track, channel) in order of appearance; the
    program comes from the channel's last program change before the note (0 if none).
    Drum channel notes (channel 10) are kept; their voices are listed in ``meta["drum_voices"]``.
    ``meta["voices"][i]`` describes voice ``i``: ``{"track", "track_name", "instrument_name",
    "channel", "program", "is_drum"}`` where the names are the track's first track-name (``0x03``)
    and instrument-name (``0x04``) meta events ("" if none; UTF-8, else Latin-1; at most
    :data:`MAX_NAME_CHARS` characters), ``channel`` counts from 0 and ``program`` is the program of
    the voice's earliest note.

    Args:
        path: the ``.mid``/``.midi`` file.
        max_bytes: refuse larger files.
        max_notes: refuse files with more notes.
    Returns:
        The piece; ``meta`` holds ``ticks_per_beat``, ``type``, ``unterminated``, ``dropped``,
        ``drum_voices``, ``voices``.
    Raises:
        MidiLoadError: the file is missing, too large, corrupt or unsupported (see the module
            docstring); the message names the file and the reason.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    path = Path(path)
    if not path.is_file():
        raise _fail(path, "no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail(path, f"{size:,} bytes is over the limit of {max_bytes:,} bytes ({max_bytes / 2**20:g} MiB): "
                          "too large for the course's MIDI loader")
    data = path.read_bytes()
    fmt, n_tracks, tpb = check_midi_header(path, data)
    (header_length,) = struct.unpack(">L", data[4:8])
    return _parse_tracks(path, data, 8 + header_length, fmt, n_tracks, tpb, max_notes)


_CHANNEL_DATA_BYTES = {0x80: 2, 0x90: 2, 0xA0: 2, 0xB0: 2, 0xC0: 1, 0xD0: 1, 0xE0: 2}
_SYSTEM_DATA_BYTES = {0xF1: 1, 0xF2: 2, 0xF3: 1, 0xF6: 0, 0xF8: 0, 0xFA: 0, 0xFB: 0, 0xFC: 0, 0xFE: 0}
MAX_EVENT_BYTES = 1_000_000
"""Longest meta or sysex event accepted (the same limit as mido's)."""
_MAJOR_KEYS = ("C-", "G-", "D-", "A-", "E-", "B-", "F", "C", "G", "D", "A", "E", "B", "F#", "C#")
_MINOR_KEYS = ("A-", "E-", "B-", "F", "C", "G", "D", "A", "E", "B", "F#", "C#", "G#", "D#", "A#")


@dataclass
class _Voice:
    index: int
    track: int
    channel: int


def _text(body: bytes) -> str:
    """A meta event's text: UTF-8 if it decodes, else Latin-1; NULs and outer blanks removed."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")
    return text.replace("\x00", "").strip()[:MAX_NAME_CHARS]


def _parse_tracks(path: Path, data: bytes, pos: int, fmt: int, n_tracks: int, tpb: int, max_notes: int) -> Piece:
    """Read the track chunks of a Standard MIDI File straight from its bytes into a Piece.

    Rules of the format (SMF 1.0): a track is a sequence of (delta ticks as a variable-length number,
    event); channel events may omit a repeated status byte (running status; meta and sysex events do
    not change it); meta events are ``FF type length data``; sysex events ``F0|F7 length data``.
    A track ends at its end-of-track event or at the end of its chunk, whichever comes first
    (a chunk length that overshoots the file is tolerated when the events are complete).
    """
    n = len(data)
    notes: list[Note] = []
    voices: dict[tuple[int, int], _Voice] = {}
    qpm = time_signature = key = None
    unterminated = dropped = 0
    track_names: list[str] = []
    instrument_names: list[str] = []
    for t_index in range(n_tracks):
        if pos + 8 > n:
            raise _fail(path, f"truncated: the header declares {n_tracks} tracks, the file holds {t_index}")
        name = data[pos:pos + 4]
        if name != b"MTrk":
            raise _fail(path, f"corrupt: no MTrk header at start of track {t_index} (found {name!r})")
        (length,) = struct.unpack(">L", data[pos + 4:pos + 8])
        p, end = pos + 8, min(pos + 8 + length, n)
        pos = pos + 8 + length
        tick, status, ended = 0, None, False
        open_notes: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        programs: dict[int, int] = {}
        track_name = instrument_name = None
        try:
            while p < end:
                delta = 0  # variable-length number: 7 bits a byte, high bit = more follows
                for _ in range(4):
                    b = data[p]
                    p += 1
                    delta = (delta << 7) | (b & 0x7F)
                    if b < 0x80:
                        break
                else:
                    raise _fail(path, f"corrupt: a delta time in track {t_index} is longer than 4 bytes")
                tick += delta
                b = data[p]
                if b < 0x80:  # running status: reuse the last channel status
                    if status is None:
                        raise _fail(path, f"corrupt: running status without a previous status in track {t_index}")
                else:
                    p += 1
                    if b == 0xFF or b in (0xF0, 0xF7):
                        kind = data[p] if b == 0xFF else None
                        if b == 0xFF:
                            p += 1
                        size = 0
                        for _ in range(4):
                            c = data[p]
                            p += 1
                            size = (size << 7) | (c & 0x7F)
                            if c < 0x80:
                                break
                        if size > MAX_EVENT_BYTES:
                            raise _fail(path, f"corrupt: an event of {size} bytes exceeds maximum length "
                                              f"{MAX_EVENT_BYTES} (track {t_index})")
                        body = data[p:p + size]
                        if len(body) < size or p + size > end:
                            raise IndexError
                        p += size
                        if kind == 0x2F:  # end of track
                            ended = True
                            break
                        if kind == 0x03 and track_name is None:
                            track_name = _text(body)
                        elif kind == 0x04 and instrument_name is None:
                            instrument_name = _text(body)
                        elif kind == 0x51 and size == 3 and qpm is None:
                            tempo = int.from_bytes(body, "big")
                            if tempo == 0:
                                raise _fail(path, "a set_tempo event of 0 µs per beat (an infinite tempo)")
                            qpm = 60e6 / tempo
                        elif kind == 0x58 and size >= 2 and time_signature is None and body[1] < 8:
                            time_signature = (body[0], 2 ** body[1])
                        elif kind == 0x59 and size == 2 and key is None:
                            sf = body[0] - 256 if body[0] > 127 else body[0]
                            if -7 <= sf <= 7 and body[1] in (0, 1):
                                key = f"{(_MINOR_KEYS if body[1] else _MAJOR_KEYS)[sf + 7]} " + \
                                      ("minor" if body[1] else "major")
                        continue
                    if b >= 0xF0:
                        if b not in _SYSTEM_DATA_BYTES:
                            raise _fail(path, f"corrupt: undefined status byte 0x{b:02x} in track {t_index}")
                        p += _SYSTEM_DATA_BYTES[b]
                        continue
                    status = b
                kind, ch = status & 0xF0, status & 0x0F
                k = _CHANNEL_DATA_BYTES[kind]
                if p + k > end:
                    raise IndexError
                d1 = min(data[p], 127)
                d2 = min(data[p + 1], 127) if k == 2 else 0
                p += k
                if kind == 0x90 and d2 > 0:
                    open_notes.setdefault((ch, d1), []).append((tick, d2, programs.get(ch, 0)))
                elif kind == 0x80 or kind == 0x90:
                    stack = open_notes.get((ch, d1))
                    if stack:
                        start, velocity, program = stack.pop(0)
                        if tick > start:
                            v = voices.setdefault((t_index, ch), _Voice(len(voices), t_index, ch))
                            notes.append(Note(d1, start / tpb, tick / tpb, velocity, v.index, program))
                            if len(notes) > max_notes:
                                raise _fail(path, f"more than {max_notes:,} notes, the limit of the course's "
                                                  "MIDI loader")
                            continue
                    dropped += 1
                elif kind == 0xC0:
                    programs[ch] = d1
        except IndexError:
            raise _fail(path, f"truncated: track {t_index} ends in the middle of an event") from None
        track_names.append(track_name or "")
        instrument_names.append(instrument_name or "")
        if pos > n and not ended:
            raise _fail(path, f"truncated: track {t_index} declares {length} bytes, the file holds {n - pos + length}")
        for (ch, pitch), stack in open_notes.items():  # never switched off: close at the track's end
            for start, velocity, program in stack:
                if tick > start:
                    v = voices.setdefault((t_index, ch), _Voice(len(voices), t_index, ch))
                    notes.append(Note(pitch, start / tpb, tick / tpb, velocity, v.index, program))
                    unterminated += 1
                else:
                    dropped += 1
        if len(notes) > max_notes:
            raise _fail(path, f"more than {max_notes:,} notes, the limit of the course's MIDI loader")
    first: dict[int, Note] = {}
    for note in notes:
        earliest = first.get(note.voice)
        if earliest is None or note.start < earliest.start:
            first[note.voice] = note
    described = [{"track": v.track, "track_name": track_names[v.track], "instrument_name": instrument_names[v.track],
                  "channel": v.channel, "program": first[v.index].program, "is_drum": v.channel == DRUM_CHANNEL}
                 for v in voices.values()]
    meta = {"ticks_per_beat": tpb, "type": fmt, "unterminated": unterminated, "dropped": dropped,
            "drum_voices": [v.index for v in voices.values() if v.channel == DRUM_CHANNEL], "voices": described}
    return Piece(notes, qpm=qpm or 120.0, time_signature=time_signature or (4, 4), key=key, name=path.name,
                 meta=meta)


@dataclass
class FolderReport:
    """What :func:`load_midi_folder` did: the files loaded and, for each skipped file, why."""

    loaded: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.loaded)} loaded, {len(self.skipped)} skipped"]
        lines += [f"  skipped {display_path(p.name)}: {why}" for p, why in self.skipped]
        return "\n".join(lines)


def load_midi_folder(folder: str | os.PathLike, pattern: str = "*.mid*", recursive: bool = True,
                     max_bytes: int = DEFAULT_MAX_BYTES, max_notes: int = DEFAULT_MAX_NOTES,
                     warn: bool = True) -> tuple[list[Piece], FolderReport]:
    """Load every MIDI file in a folder, skipping bad ones with one warning line each.

    Args:
        folder: the folder.
        pattern: glob for file names (default ``*.mid*``: .mid and .midi).
        recursive: also look in sub-folders.
        max_bytes, max_notes: limits passed to :func:`load_midi`.
        warn: emit a :class:`MidiSkippedWarning` per skipped file (the report lists them anyway).
    Returns:
        ``(pieces, report)``, pieces in sorted path order.
    Raises:
        MidiLoadError: ``folder`` is not a folder.
    See: notebooks/04_symbolic_music.ipynb, Going further: Broken MIDI files.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MidiLoadError(f"{display_path(folder)}: not a folder")
    files = sorted(folder.rglob(pattern) if recursive else folder.glob(pattern))
    pieces, report = [], FolderReport()
    for f in files:
        if not f.is_file():
            continue
        try:
            pieces.append(load_midi(f, max_bytes=max_bytes, max_notes=max_notes))
            report.loaded.append(f)
        except MidiLoadError as exc:
            reason = str(exc).removeprefix(f"{display_path(f)}: ")
            report.skipped.append((f, reason))
            if warn:
                warnings.warn(f"skipped {display_path(f)}: {reason}", MidiSkippedWarning, stacklevel=2)
    return pieces, report
