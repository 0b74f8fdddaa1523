"""The copying task: does any generated piece repeat a long stretch of a training corpus? (notebook 11)

Part of mgtutor. See notebooks/11_evaluating_generated_music.ipynb §5::

    python -m mgtutor evaluate copying --generated DIR|FILE --corpus chorales|folk|DIR [--min-length N]
                                       [--mode pitch|rhythm]

Each generated file (``.mid``/``.midi``, or a score music21 reads: ``.musicxml``/``.xml``/``.mxl``/``.krn``/``.abc``;
a folder is searched with its sub-folders) becomes its top line (:func:`mgtutor.copying.line_of`; drum voices left
out); unreadable files are reported, one line each, and skipped. The corpus is ``chorales`` (the soprano lines of
all 350 chorales), ``folk`` (the Essen folk songs; a few in smoke mode) or a folder read like the generated files.
The table gives, per piece, its longest transposition-invariant match (in intervals), the corpus piece it comes from
and where it starts in both. Exit status: 0 when no piece reaches the threshold, 1 when one does, 2 for a usage or
input error. The default threshold is the one calibrated on held-out chorale tunes
(:func:`mgtutor.copying.calibrated_threshold`); for another corpus, pass ``--min-length``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mgtutor.tasks import Task, option, register_task

MIDI_SUFFIXES = (".mid", ".midi")
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".krn", ".abc")


def _read_notes(path: Path) -> list:
    """The non-drum notes of one file. Raises MgtutorError (unreadable) or CopyingError (no notes)."""
    from mgtutor.copying import CopyingError
    from mgtutor.symbolic import load_midi, load_score

    if path.suffix.lower() in MIDI_SUFFIXES:
        piece = load_midi(path)
        drums = set(piece.meta.get("drum_voices") or [])
        notes = [n for n in piece.notes if n.voice not in drums]
    else:
        notes = load_score(path).notes
    if not notes:
        raise CopyingError("no notes (or only drums)")
    return notes


def read_pieces(source: str | Path, what: str = "--generated", report=None) -> list[tuple[str, list]]:
    """``(name, notes)`` for a file or every music file under a folder (sorted); unreadable files are passed to
    ``report(line)`` (one line each: ``skipped <path>: <reason>``, the path's control characters escaped) and
    skipped. Score files are checked before music21 parses them (:func:`mgtutor.symbolic.check_score_file`:
    at most 16 MiB, unpacked too for ``.mxl``); MIDI files by :func:`mgtutor.symbolic.load_midi` (8 MiB).

    Raises:
        CopyingError: no such file or folder, a file of another type, or no readable piece at all.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor.copying import CopyingError
    from mgtutor.errors import MgtutorError, display_path

    source = Path(source)
    suffixes = MIDI_SUFFIXES + SCORE_SUFFIXES
    if source.is_dir():
        files = sorted(p for p in source.rglob("*") if p.is_file() and p.suffix.lower() in suffixes)
        names = [p.relative_to(source).as_posix() for p in files]
    elif source.is_file():
        if source.suffix.lower() not in suffixes:
            raise CopyingError(f"{what} {source}: not a music file; give {', '.join(suffixes)} or a folder of them")
        files, names = [source], [source.name]
    else:
        raise CopyingError(f"{what} {source}: no such file or folder")
    pieces = []
    for path, name in zip(files, names, strict=True):
        try:
            pieces.append((name, _read_notes(path)))
        except (MgtutorError, OSError) as exc:
            if report is not None:  # the loaders' messages start with the path: print it once
                reason = str(exc).removeprefix(f"{display_path(path)}: ")
                report(f"skipped {display_path(path)}: {' '.join(reason.split())}")
    if not pieces:
        raise CopyingError(f"{what} {source}: no readable music file ({', '.join(suffixes)})")
    return pieces


def corpus_pieces(corpus: str, report=None) -> list[tuple[str, object]]:
    """``(name, piece)`` pairs of ``chorales``, ``folk`` or a folder (see the module docstring).

    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor import data

    if corpus == "chorales":
        return list(data.chorale_soprano_lines().items())
    if corpus == "folk":
        return [(p.name, p.voice(0)) for p in data.folk_songs()]
    return read_pieces(corpus, "--corpus", report)


def _warn(line: str) -> None:
    print(f"mgtutor: {line}", file=sys.stderr)


EVALUATE_OPTIONS = (
    option("--generated", required=True, metavar="DIR|FILE",
           help="a generated file (.mid, .midi, .musicxml, .xml, .mxl, .krn, .abc) or a folder of them"),
    option("--corpus", required=True, metavar="chorales|folk|DIR",
           help="the training corpus: chorales (all 350 soprano lines), folk (Essen songs) or a folder of files"),
    option("--min-length", type=int, default=None, metavar="N",
           help="flag a match of N or more intervals (default: the threshold calibrated on held-out chorale tunes)"),
    option("--mode", choices=["pitch", "rhythm"], default="pitch",
           help="pitch: interval n-grams (default); rhythm: intervals and inter-onset intervals must both match"),
)


def _run_evaluate(args) -> int:
    from mgtutor import copying

    calibrated = copying.calibration()[args.mode]
    threshold = calibrated["threshold"] if args.min_length is None else args.min_length
    if threshold < 1:
        raise copying.CopyingError(f"--min-length must be ≥ 1 interval, got {threshold}")
    generated = read_pieces(args.generated, "--generated", _warn)
    index = copying.CorpusIndex(corpus_pieces(args.corpus, _warn), args.mode)
    rows = [("piece", "longest", "source", "at source", "at piece", "verdict")]
    flagged = 0
    for name, match in copying.longest_matches(generated, index):
        copied = match.length >= threshold
        flagged += copied
        rows.append((name, str(match.length), match.source or "—",
                     f"note {match.source_note} (beat {match.source_beat:g})" if match.length else "—",
                     f"note {match.query_note} (beat {match.query_beat:g})" if match.length else "—",
                     "COPIED" if copied else "ok"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.rjust(w) if i == 1 else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                           strict=True))).rstrip())
    source = ("--min-length" if args.min_length is not None else
              f"calibrated on held-out chorale tunes: {calibrated['false_positive_rate']:.1%} of "
              f"{calibrated['pieces']} real pieces flagged")
    print(f"\n{flagged} of {len(generated)} piece(s) share {threshold} or more consecutive {args.mode} intervals "
          f"with {len(index)} corpus pieces (threshold {threshold}, {source})")
    return 1 if flagged else 0


register_task(Task("copying", "longest transposition-invariant match of generated pieces with a corpus (notebook 11)",
                   {"evaluate": (EVALUATE_OPTIONS, _run_evaluate)}))
