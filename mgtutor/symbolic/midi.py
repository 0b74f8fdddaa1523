"""Robust MIDI loading: a file either loads correctly or raises :class:`MidiLoadError` naming it and why.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §1.

Real MIDI collections contain broken files. :func:`load_midi` checks the header bytes itself
before parsing (empty, not a MIDI file, a MIDI 2.0 clip file, an absurd header length, type 2,
zero or SMPTE time division), parses the tracks with mido, and turns every failure the parser
can raise (``EOFError``, ``OSError``, ``ValueError``, ``KeyError``, ``IndexError``, …) into a
:class:`MidiLoadError`. Limits on file size and note count (configurable) guard memory and time.

Times come from ticks, not seconds: ``beats = tick / ticks_per_beat``, so tempo changes do not
move notes off the beat grid. The first tempo is kept in ``Piece.qpm``.

Notes that are never switched off (no note-off before the end of their track) are closed at
the track's end and counted in ``Piece.meta["unterminated"]``; note-offs with no note and
zero-length notes are dropped and counted in ``Piece.meta["dropped"]``.
"""

from __future__ import annotations

import os
import struct
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from mgtutor.symbolic.core import DEFAULT_VELOCITY, Note, Piece, SymbolicError

DEFAULT_MAX_BYTES = 8 * 2**20
"""Default size limit of a MIDI file: 8 MiB (the largest piano pieces are a few hundred KiB)."""
DEFAULT_MAX_NOTES = 200_000
"""Default limit on the number of notes in one file."""
MAX_HEADER_LENGTH = 1024
"""A MIDI header chunk is 6 bytes; longer ones are allowed by the standard, absurd ones refused."""


class MidiLoadError(SymbolicError):
    """A MIDI file cannot be loaded; the message names the file and the reason."""


class MidiSkippedWarning(UserWarning):
    """:func:`load_midi_folder` skipped a file (one warning line per file)."""


def _fail(path: Path, reason: str) -> MidiLoadError:
    return MidiLoadError(f"{path}: {reason}")


def check_midi_header(path: Path, data: bytes) -> tuple[int, int, int]:
    """Check a file's first bytes and return ``(type, n_tracks, ticks_per_beat)``.

    Raises:
        MidiLoadError: empty; a MIDI 2.0 clip file; not ``MThd``; a header length below 6 or above
            :data:`MAX_HEADER_LENGTH`; type above 2 or type 2; no tracks; zero or SMPTE division.
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

    Args:
        path: the ``.mid``/``.midi`` file.
        max_bytes: refuse larger files.
        max_notes: refuse files with more notes.
    Returns:
        The piece; ``meta`` holds ``ticks_per_beat``, ``type``, ``unterminated``, ``dropped``,
        ``drum_voices``.
    Raises:
        MidiLoadError: the file is missing, too large, corrupt or unsupported (see the module
            docstring); the message names the file and the reason.
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    import io

    import mido

    path = Path(path)
    if not path.is_file():
        raise _fail(path, "no such file")
    size = path.stat().st_size
    if size > max_bytes:
        raise _fail(path, f"{size} bytes is over the limit of {max_bytes}; pass a larger max_bytes if you trust it")
    data = path.read_bytes()
    fmt, _, tpb = check_midi_header(path, data)
    try:
        midi = mido.MidiFile(file=io.BytesIO(data), clip=True)
    except EOFError:
        raise _fail(path, "truncated: the file ends in the middle of a chunk or an event") from None
    except (OSError, ValueError, KeyError, IndexError, TypeError, struct.error) as exc:
        raise _fail(path, f"corrupt track data ({type(exc).__name__}: {exc})") from None
    return _piece_from_mido(path, midi, fmt, tpb, max_notes)


@dataclass
class _Voice:
    index: int
    program: int = 0
    is_drum: bool = False


def _piece_from_mido(path: Path, midi, fmt: int, tpb: int, max_notes: int) -> Piece:
    notes: list[Note] = []
    voices: dict[tuple[int, int], _Voice] = {}
    qpm, time_signature, key = None, None, None
    unterminated = dropped = 0
    for t_index, track in enumerate(midi.tracks):
        tick = 0
        open_notes: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
        programs: dict[int, int] = {}

        def close(ch: int, pitch: int, end_tick: int, open_notes=open_notes, t_index=t_index) -> bool:
            stack = open_notes.get((ch, pitch))
            if not stack:
                return False
            start_tick, velocity, program = stack.pop(0)
            if end_tick <= start_tick:
                return False
            v = voices.setdefault((t_index, ch), _Voice(len(voices), program, ch == 9))
            notes.append(Note(pitch, start_tick / tpb, end_tick / tpb, velocity, v.index, program))
            if len(notes) > max_notes:
                raise _fail(path, f"more than {max_notes} notes; pass a larger max_notes if you trust it")
            return True

        for msg in track:
            tick += msg.time
            kind = msg.type
            if kind == "note_on" and msg.velocity > 0:
                open_notes.setdefault((msg.channel, msg.note), []).append(
                    (tick, msg.velocity or DEFAULT_VELOCITY, programs.get(msg.channel, 0)))
            elif kind == "note_off" or kind == "note_on":
                if not close(msg.channel, msg.note, tick):
                    dropped += 1
            elif kind == "program_change":
                programs[msg.channel] = msg.program
            elif kind == "set_tempo" and qpm is None:
                if msg.tempo <= 0:
                    raise _fail(path, "a set_tempo event of 0 µs per beat (an infinite tempo)")
                qpm = 60e6 / msg.tempo
            elif kind == "time_signature" and time_signature is None:
                time_signature = (msg.numerator, msg.denominator)
            elif kind == "key_signature" and key is None:
                key = _key_name(msg.key)
        for (ch, pitch), stack in list(open_notes.items()):
            while stack:
                if close(ch, pitch, tick):
                    unterminated += 1
                else:
                    dropped += 1
    meta = {"ticks_per_beat": tpb, "type": fmt, "unterminated": unterminated, "dropped": dropped,
            "drum_voices": sorted(v.index for v in voices.values() if v.is_drum)}
    return Piece(notes, qpm=qpm or 120.0, time_signature=time_signature or (4, 4), key=key, name=path.name,
                 meta=meta)


def _key_name(mido_key: str) -> str:
    # mido: "C", "F#m", "Bb" ... → "C major", "F# minor", "B- major"
    minor = mido_key.endswith("m")
    tonic = mido_key[:-1] if minor else mido_key
    return f"{tonic.replace('b', '-')} {'minor' if minor else 'major'}"


@dataclass
class FolderReport:
    """What :func:`load_midi_folder` did: the files loaded and, for each skipped file, why."""

    loaded: list[Path] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"{len(self.loaded)} loaded, {len(self.skipped)} skipped"]
        lines += [f"  skipped {p.name}: {why}" for p, why in self.skipped]
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
    See: notebooks/04_symbolic_music.ipynb §1.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise MidiLoadError(f"{folder}: not a folder")
    files = sorted(folder.rglob(pattern) if recursive else folder.glob(pattern))
    pieces, report = [], FolderReport()
    for f in files:
        if not f.is_file():
            continue
        try:
            pieces.append(load_midi(f, max_bytes=max_bytes, max_notes=max_notes))
            report.loaded.append(f)
        except MidiLoadError as exc:
            reason = str(exc).removeprefix(f"{f}: ")
            report.skipped.append((f, reason))
            if warn:
                warnings.warn(f"skipped {f}: {reason}", MidiSkippedWarning, stacklevel=2)
    return pieces, report


__all__ = [
    "DEFAULT_MAX_BYTES", "DEFAULT_MAX_NOTES", "FolderReport", "MidiLoadError", "MidiSkippedWarning",
    "check_midi_header", "load_midi", "load_midi_folder",
]
