"""`python -m mgtutor evaluate copying`: a planted copy of a chorale is flagged (exit 1) with its source and place,
fresh melodies pass (exit 0), unreadable files are reported and skipped, bad input exits 2."""

import numpy as np
import pytest

from mgtutor import cli, copying, data
from mgtutor.render import write_midi
from mgtutor.symbolic import Note, grid_to_melody, transpose


def random_melody(seed, n=40):
    rng = np.random.default_rng(seed)
    return [Note(int(p), k * 0.5, k * 0.5 + 0.5) for k, p in enumerate(rng.integers(55, 80, n))]


def planted_copy():
    """Random notes, then notes 5–29 of chorale bwv269's soprano a fourth lower, then random notes."""
    source = grid_to_melody(data.chorale_soprano_lines()["bach/bwv269"])[5:30]
    shift = 10 - source[0].start
    copied = [Note(n.pitch - 5, n.start + shift, n.end + shift) for n in source]
    end = copied[-1].end
    tail = [Note(n.pitch, n.start + end, n.end + end) for n in random_melody(1, 10)]
    return random_melody(0, 20) + copied + tail


@pytest.fixture
def generated(tmp_path):
    folder = tmp_path / "generated"
    write_midi(random_melody(2), folder / "fresh.mid")
    write_midi(planted_copy(), folder / "sub" / "copy.mid")
    (folder / "broken.mid").write_bytes(b"MThd not really a MIDI file")
    (folder / "notes.txt").write_text("ignored: not a music file")
    return folder


def test_a_planted_copy_is_flagged_with_source_and_place(generated, capsys):
    assert cli.main(["evaluate", "copying", "--generated", str(generated), "--corpus", "chorales"]) == 1
    captured = capsys.readouterr()
    err = captured.err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("mgtutor: skipped ") and "broken.mid" in err[0]
    lines = captured.out.splitlines()
    assert lines[0].split() == ["piece", "longest", "source", "at", "source", "at", "piece", "verdict"]
    fresh = next(line for line in lines if line.startswith("fresh.mid"))
    copy = next(line for line in lines if line.startswith("sub/copy.mid"))
    assert fresh.endswith("ok") and int(fresh.split()[1]) < copying.calibrated_threshold()
    assert copy.endswith("COPIED") and int(copy.split()[1]) >= 24
    assert "bach/bwv269" in copy and "note 5 " in copy
    threshold = copying.calibrated_threshold()
    assert lines[-1].startswith(f"1 of 2 piece(s) share {threshold} or more consecutive pitch intervals")


def test_fresh_pieces_pass_and_min_length_moves_the_line(tmp_path, capsys):
    write_midi(random_melody(3), tmp_path / "one.mid")
    assert cli.main(["evaluate", "copying", "--generated", str(tmp_path / "one.mid"), "--corpus", "chorales"]) == 0
    out = capsys.readouterr().out
    assert "0 of 1 piece(s)" in out and out.splitlines()[1].startswith("one.mid")
    longest = int(out.splitlines()[1].split()[1])
    argv = ["evaluate", "copying", "--generated", str(tmp_path / "one.mid"), "--corpus", "chorales"]
    assert cli.main([*argv, "--min-length", str(longest)]) == 1
    assert cli.main([*argv, "--min-length", str(longest + 1)]) == 0


def test_a_folder_corpus_and_the_rhythm_mode(generated, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    tune = planted_copy()
    write_midi(transpose(tune, 3), corpus / "tune.mid")
    write_midi(random_melody(5), corpus / "other.mid")
    argv = ["evaluate", "copying", "--generated", str(generated / "sub" / "copy.mid"), "--corpus", str(corpus)]
    assert cli.main(argv) == 1
    row = capsys.readouterr().out.splitlines()[1].split()
    assert row[:3] == ["copy.mid", str(len(tune) - 1), "tune.mid"]  # the whole piece, a minor third apart
    assert cli.main([*argv, "--mode", "rhythm"]) == 1  # same rhythm too
    assert "rhythm intervals" in capsys.readouterr().out


def test_bad_input_exits_2_with_one_line(tmp_path, capsys):
    cases = [
        (["--generated", str(tmp_path / "missing"), "--corpus", "chorales"], "no such file or folder"),
        (["--generated", str(tmp_path), "--corpus", "chorales"], "no readable music file"),
        (["--generated", str(tmp_path / "x.txt"), "--corpus", "chorales"], "not a music file"),
        (["--generated", str(tmp_path / "y.mid"), "--corpus", str(tmp_path / "nowhere")], "no such file or folder"),
        (["--generated", str(tmp_path / "y.mid"), "--corpus", "chorales", "--min-length", "0"], "must be ≥ 1"),
    ]
    (tmp_path / "x.txt").write_text("text")
    write_midi(random_melody(4), tmp_path / "y.mid")
    for argv, message in cases:
        if "no readable" in message:
            (tmp_path / "y.mid").rename(tmp_path / "y.keep")
        assert cli.main(["evaluate", "copying", *argv]) == 2, argv
        err = capsys.readouterr().err.strip().splitlines()
        assert err[-1].startswith("mgtutor: error: ") and message in err[-1], err
        if "no readable" in message:
            (tmp_path / "y.keep").rename(tmp_path / "y.mid")
    for argv, message in ((["--corpus", "chorales"], "give --generated"),
                          (["--corpus", "folk", "--calibrate", "--min-length", "9"], "leave out --min-length")):
        assert cli.main(["evaluate", "copying", *argv]) == 2
        assert message in capsys.readouterr().err
    with pytest.raises(SystemExit) as usage:
        cli.main(["evaluate", "copying", "--generated", "x", "--corpus", "chorales", "--mode", "harmony"])
    assert usage.value.code == 2


def test_a_zip_bomb_score_is_skipped_in_one_line_naming_it_once(tmp_path, capsys):
    import zipfile

    folder = tmp_path / "generated"
    write_midi(random_melody(4), folder / "fresh.mid")
    with zipfile.ZipFile(folder / "bomb.mxl", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("score.xml", b" " * (17 << 20))  # 17 MiB unpacked: over the limit, as a 400 MB bomb is
    (folder / "broken.mid").write_bytes(b"MThd not really a MIDI file")
    assert cli.main(["evaluate", "copying", "--generated", str(folder), "--corpus", "chorales"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [f"mgtutor: skipped {folder / 'bomb.mxl'}: 17,825,792 bytes once unpacked; the limit for a score "
                   "file is 16,777,216 bytes (16 MiB): too large for the course's loader (a zip bomb?)",
                   f"mgtutor: skipped {folder / 'broken.mid'}: absurd header length 544108404 (a MIDI header is 6 "
                   "bytes); the file is corrupt"]


def test_calibrate_on_the_folk_corpus_prints_its_threshold(capsys):
    from mgtutor.tasks import copying as copying_task

    assert cli.main(["evaluate", "copying", "--corpus", "folk", "--calibrate"]) == 0
    out = capsys.readouterr().out
    pieces = [piece for _, piece in copying_task.corpus_pieces("folk")]
    summary, groups, longest = copying_task.calibrate_lines(pieces)
    assert f"threshold {summary['threshold']} pitch intervals" in out and f"{len(pieces)} pieces" in out
    # the rule, by hand: the shortest length that flags at most 1 % of the real held-out pieces
    shares = {n: np.mean(longest >= n) for n in range(1, int(longest.max()) + 2)}
    assert summary["threshold"] == min(n for n, share in shares.items() if share <= 0.01)
    assert len(set(groups)) == summary["tunes"] > 1


def test_calibration_moves_above_a_stretch_two_tunes_share():
    """Twelve random tunes: short matches only. Plant one 20-interval stretch in two of them: those two real pieces
    (8 % of the corpus) now match at 20, so a threshold that flags at most 1 % must rise above 20."""
    from mgtutor.tasks.copying import calibrate_lines

    tunes = [random_melody(100 + k, 30) for k in range(24)]
    plain, _, _ = calibrate_lines(tunes, folds=6)
    assert plain["threshold"] < 12
    shared = random_melody(7, 21)
    planted = [list(t) for t in tunes]
    for k in (3, 17):  # transposed apart, and in the middle of each
        offset = planted[k][-1].end
        planted[k] += [Note(n.pitch + k - 10, n.start + offset, n.end + offset) for n in shared]
    moved, groups, longest = calibrate_lines(planted, folds=6)
    assert groups[3] != groups[17] and longest[3] >= 20 and longest[17] >= 20
    assert moved["threshold"] == int(max(longest[3], longest[17])) + 1


def test_a_chorale_threshold_on_another_corpus_is_warned_about(generated, capsys):
    cli.main(["evaluate", "copying", "--generated", str(generated / "fresh.mid"), "--corpus", "folk"])
    err = capsys.readouterr().err
    assert "calibrated on chorale soprano lines" in err and "--calibrate" in err
    cli.main(["evaluate", "copying", "--generated", str(generated / "fresh.mid"), "--corpus", "chorales"])
    assert "calibrated on chorale soprano lines" not in capsys.readouterr().err
    assert cli.main(["evaluate", "copying", "--generated", str(generated / "fresh.mid"), "--corpus", "folk",
                     "--calibrate"]) == 0
    out, err = capsys.readouterr()
    assert "calibrated on folk" in out and "held-out tunes of folk" in out and "warning" not in err
