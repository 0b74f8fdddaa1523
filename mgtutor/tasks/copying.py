"""The copying task: does any generated piece repeat a long stretch of a training corpus? (notebook 11)

Part of mgtutor. See notebooks/11_evaluating_generated_music.ipynb §5::

    python -m mgtutor evaluate copying --generated DIR|FILE --corpus chorales|folk|DIR [--min-length N]
                                       [--mode pitch|rhythm] [--calibrate]

Each generated file (``.mid``/``.midi``, or a score music21 reads: ``.musicxml``/``.xml``/``.mxl``/``.krn``/``.abc``;
a folder is searched with its sub-folders) becomes its top line (:func:`mgtutor.copying.line_of`; drum voices left
out); unreadable files are reported, one line each, and skipped. The corpus is ``chorales`` (the soprano lines of
all 350 chorales), ``folk`` (the Essen folk songs; a few in smoke mode) or a folder read like the generated files.
The table gives, per piece, its longest transposition-invariant match (in intervals), the corpus piece it comes from
and where it starts in both. Exit status: 0 when no piece reaches the threshold, 1 when one does, 2 for a usage or
input error. The default threshold is the one calibrated on held-out chorale tunes
(:func:`mgtutor.copying.calibrated_threshold`), and a warning says so for another corpus: ``--calibrate``
calibrates on the corpus given (:func:`calibrate_lines`; alone, it only prints the threshold and its false-positive
rate), or ``--min-length`` sets the threshold.

The calibration (:func:`calibrate`, shipped by :func:`write_calibration`): every chorale soprano line is held out in
turn, ten folds of whole tunes (:func:`mgtutor.data.tune_groups`), and matched against the other tunes; the threshold
is the shortest length N flagged in at most 1 % of those real held-out pieces. Which chorales are one tune matters
here: the tune key alone (:func:`mgtutor.data.tune_key`) misses variants of one hymn tune that differ by a passing
note or an upbeat near the start, and those share 20–50 intervals — with the tune key alone the threshold would
be 37.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from mgtutor.copying import CALIBRATION_FILE, MODES, CopyingError, CorpusIndex, calibration, longest_matches
from mgtutor.tasks import Task, option, register_task

FALSE_POSITIVE_RATE = 0.01
"""The share of held-out real pieces the calibrated threshold may flag."""
CALIBRATION_FOLDS = 10

MIDI_SUFFIXES = (".mid", ".midi")
SCORE_SUFFIXES = (".musicxml", ".xml", ".mxl", ".krn", ".abc")


def _read_notes(path: Path) -> list:
    """The non-drum notes of one file. Raises MgtutorError (unreadable) or CopyingError (no notes)."""
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


# --------------------------------------------------------------------------- calibration on real data
def held_out_longest_matches(lines: Sequence[Sequence[str]], groups: Sequence, mode: str = "pitch",
                             folds: int = CALIBRATION_FOLDS, seed: int = 0) -> np.ndarray:
    """For every piece, its longest match against the pieces of the *other* tunes: the real-data null distribution.

    Rule: the tunes are cut into ``folds`` folds of whole tunes (:func:`mgtutor.data.split_by_group`, equal
    fractions, ``seed``); each fold in turn is held out and each of its pieces is matched against an index of the
    pieces of the other folds (the training tunes). Every piece is held out once, and never meets a piece of its
    own tune.
    Returns:
        The longest match (in symbols) of each piece, in the order of ``lines``.
    Raises:
        CopyingError: fewer than two folds or fewer tunes than folds.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor.data import split_by_group

    if folds < 2 or len(set(groups)) < folds:
        raise CopyingError(f"need at least 2 folds and as many tunes as folds; got {folds} folds, "
                           f"{len(set(groups))} tunes")
    index = list(range(len(lines)))
    parts = split_by_group(index, list(groups), [1 / folds] * folds, seed=seed)
    out = np.zeros(len(lines), dtype=np.int64)
    for k, held in enumerate(parts):
        train = [(str(i), lines[i]) for j, part in enumerate(parts) if j != k for i in part]
        corpus = CorpusIndex(train, mode)
        for i in held:
            out[i] = corpus.longest_match(lines[i]).length
    return out


def choose_threshold(longest: Sequence[int], rate: float = FALSE_POSITIVE_RATE) -> int:
    """The shortest match length N (in symbols) that flags at most a share ``rate`` of real held-out pieces.

    Rule: a piece is flagged when its longest match is ≥ N; N = min{n ≥ 1 : mean(longest ≥ n) ≤ rate}.
    Raises:
        CopyingError: no values or a rate outside [0, 1).
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    values = np.asarray(longest, dtype=np.int64)
    if values.size == 0 or not 0 <= rate < 1:
        raise CopyingError(f"need one or more match lengths and 0 ≤ rate < 1; got {values.size} values, rate {rate}")
    for n in range(1, int(values.max()) + 2):
        if (values >= n).mean() <= rate:
            return n
    raise AssertionError("unreachable: no value reaches max + 1")  # pragma: no cover


def calibrate_lines(lines: Sequence, mode: str = "pitch", rate: float = FALSE_POSITIVE_RATE,
                    folds: int = CALIBRATION_FOLDS, seed: int = 0) -> tuple[dict, list, np.ndarray]:
    """Calibrate the threshold on any corpus: its pieces grouped into tunes, each held out against the others.

    ``lines`` are pieces :func:`mgtutor.copying.line_of` reads (melody-grid tokens or note lists). Tunes are
    :func:`mgtutor.data.tune_groups`; with fewer tunes than ``folds``, each tune is its own fold. See
    :func:`held_out_longest_matches` and :func:`choose_threshold`.
    Returns:
        ``(summary, tune labels, longest match of each piece)``: the summary is JSON-ready — ``threshold``,
        ``false_positive_rate`` (over all pieces), ``pieces``, ``tunes``, ``median``, ``max``, ``histogram``
        (``{length: pieces}``).
    Raises:
        CopyingError: fewer than two tunes.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor import data

    lines = list(lines)
    groups = data.tune_groups(lines)
    tunes = len(set(groups))
    if tunes < 2:
        raise CopyingError(f"calibrating needs pieces of at least two tunes; these {len(lines)} are one tune")
    folds = min(folds, tunes)
    longest = held_out_longest_matches(lines, groups, mode, folds, seed)
    threshold = choose_threshold(longest, rate)
    values, counts = np.unique(longest, return_counts=True)
    summary = {"mode": mode, "threshold": threshold, "rate": rate,
               "false_positive_rate": float((longest >= threshold).mean()),
               "pieces": len(lines), "tunes": tunes, "folds": folds, "seed": seed,
               "median": float(np.median(longest)), "max": int(longest.max()),
               "histogram": {str(int(v)): int(c) for v, c in zip(values, counts, strict=True)}}
    return summary, groups, longest


def calibrate(mode: str = "pitch", rate: float = FALSE_POSITIVE_RATE, folds: int = CALIBRATION_FOLDS,
              seed: int = 0, limit: int | None = None) -> dict:
    """Calibrate the threshold of one mode on the chorale soprano lines (:func:`mgtutor.data.chorale_soprano_lines`):
    :func:`calibrate_lines`, and two reports beside it.

    ``limit`` takes the first pieces only (tests). Also reported: the melody task's own split (seed 0, 10 % of the
    tunes for validation and 10 % for test, the split of the shipped melody run): how many of its held-out pieces
    the threshold flags against its training pieces; and, for the tune key alone, its threshold and the same split
    made by tune key — where variants of one tune that the key tells apart land on both sides and are flagged.
    Returns:
        A JSON-ready dict: :func:`calibrate_lines`' summary, ``tune_key_only``, ``melody_split`` and how it was
        computed.
    See: notebooks/11_evaluating_generated_music.ipynb §5.
    """
    from mgtutor import data

    lines = list(data.chorale_soprano_lines().values())[:limit]
    summary, groups, longest = calibrate_lines(lines, mode, rate, folds, seed)
    threshold = summary["threshold"]
    keys = [data.tune_key(m) for m in lines]
    by_key = held_out_longest_matches(lines, keys, mode, folds, seed)

    def melody_split(labels) -> np.ndarray:
        """Longest matches of the held-out (validation and test) pieces of an 80/10/10 split by ``labels`` (seed 0,
        as the melody task)."""
        index = list(range(len(lines)))
        train_idx, valid_idx, test_idx = data.split_by_group(index, labels, (0.8, 0.1, 0.1), seed=0, fill_empty=True)
        corpus = CorpusIndex([(str(i), lines[i]) for i in train_idx], mode)
        return np.array([corpus.longest_match(lines[i]).length for i in valid_idx + test_idx])

    split_longest, key_split_longest = melody_split(groups), melody_split(keys)
    return {
        **summary,
        "tune_key_only": {"tunes": len(set(keys)), "threshold": choose_threshold(by_key, rate),
                          "max": int(by_key.max()),
                          "split": {"pieces": len(key_split_longest),
                                    "flagged": int((key_split_longest >= threshold).sum()),
                                    "max": int(key_split_longest.max())}},
        "melody_split": {"pieces": len(split_longest), "flagged": int((split_longest >= threshold).sum()),
                         "max": int(split_longest.max())},
        "how": (f"chorale soprano lines; tunes = data.tune_groups (same tune key, or line similarity ≥ "
                f"{data.SAME_TUNE_SIMILARITY}); {folds} folds of whole tunes (data.split_by_group, seed {seed}); each "
                f"piece's longest {mode} match against the pieces of the other folds; threshold = the shortest match "
                f"length flagging at most {rate:.0%} of the pieces"),
    }


def write_calibration(path: str | Path | None = None) -> Path:
    """Compute :func:`calibrate` for both modes and write them as JSON (default: the shipped package file).

    The command: ``python -c "from mgtutor.tasks.copying import write_calibration; write_calibration()"``.
    """
    path = Path(path) if path else Path(str(resources.files("mgtutor.data").joinpath(CALIBRATION_FILE)))
    content = {"command": 'python -c "from mgtutor.tasks.copying import write_calibration; write_calibration()"',
               **{mode: calibrate(mode) for mode in MODES}}
    path.write_text(json.dumps(content, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


# --------------------------------------------------------------------------- command line
EVALUATE_OPTIONS = (
    option("--generated", default=None, metavar="DIR|FILE",
           help="a generated file (.mid, .midi, .musicxml, .xml, .mxl, .krn, .abc) or a folder of them (needed "
                "unless --calibrate)"),
    option("--corpus", required=True, metavar="chorales|folk|DIR",
           help="the training corpus: chorales (all 350 soprano lines), folk (Essen songs) or a folder of files"),
    option("--min-length", type=int, default=None, metavar="N",
           help="flag a match of N or more intervals (default: the threshold calibrated on held-out chorale tunes)"),
    option("--mode", choices=["pitch", "rhythm"], default="pitch",
           help="pitch: interval n-grams (default); rhythm: intervals and inter-onset intervals must both match"),
    option("--calibrate", action="store_true",
           help="calibrate the threshold on --corpus instead: its tunes held out one fold at a time, the shortest "
                "match length flagging at most 1 %% of its real pieces (with --generated, then check them with it)"),
)


def _calibrate_corpus(args) -> dict:
    pieces = corpus_pieces(args.corpus, _warn)
    summary, _, _ = calibrate_lines([piece for _, piece in pieces], args.mode)
    print(f"calibrated on {args.corpus}: {summary['pieces']} pieces, {summary['tunes']} tunes, {summary['folds']} "
          f"folds; threshold {summary['threshold']} {args.mode} intervals flags "
          f"{summary['false_positive_rate']:.1%} of its real held-out pieces (median longest match "
          f"{summary['median']:g}, longest {summary['max']})")
    return summary


def _run_evaluate(args) -> int:
    if args.calibrate and args.min_length is not None:
        raise CopyingError("--calibrate computes the threshold; leave out --min-length")
    if args.generated is None and not args.calibrate:
        raise CopyingError("give --generated DIR|FILE (the pieces to check), or --calibrate to calibrate on --corpus")
    calibrated = _calibrate_corpus(args) if args.calibrate else calibration()[args.mode]
    if args.generated is None:
        return 0
    threshold = calibrated["threshold"] if args.min_length is None else args.min_length
    if threshold < 1:
        raise CopyingError(f"--min-length must be ≥ 1 interval, got {threshold}")
    if args.min_length is None and not args.calibrate and args.corpus != "chorales":
        _warn(f"warning: the threshold {threshold} was calibrated on chorale soprano lines; other music shares longer "
              f"formulas (folk tunes do), so for --corpus {args.corpus} add --calibrate or choose --min-length")
    generated = read_pieces(args.generated, "--generated", _warn)
    index = CorpusIndex(corpus_pieces(args.corpus, _warn), args.mode)
    rows = [("piece", "longest", "source", "at source", "at piece", "verdict")]
    flagged = 0
    for name, match in longest_matches(generated, index):
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
    corpus_name = "chorale tunes" if not args.calibrate else f"tunes of {args.corpus}"
    source = ("--min-length" if args.min_length is not None else
              f"calibrated on held-out {corpus_name}: {calibrated['false_positive_rate']:.1%} of "
              f"{calibrated['pieces']} real pieces flagged")
    print(f"\n{flagged} of {len(generated)} piece(s) share {threshold} or more consecutive {args.mode} intervals "
          f"with {len(index)} corpus pieces (threshold {threshold}, {source})")
    return 1 if flagged else 0


register_task(Task("copying", "longest transposition-invariant match of generated pieces with a corpus (notebook 11)",
                   {"evaluate": (EVALUATE_OPTIONS, _run_evaluate)}))
