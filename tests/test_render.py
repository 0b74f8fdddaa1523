"""Tests of mgtutor.render: MIDI/MusicXML export, verovio SVG, audio (both paths), plots.

References: pretty_midi and music21 reading back the written files; numpy's FFT for pitch.
"""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pytest

from mgtutor import render
from mgtutor.symbolic import Note, load_score, melody_to_grid

matplotlib.use("Agg")

CHORD_AND_LINE = [
    Note(60, 0, 1, velocity=90), Note(64, 0, 1, velocity=90), Note(67, 1, 2.5, velocity=70),
    Note(48, 0, 2, voice=1), Note(43, 2, 4, voice=1),
]
MELODY = [Note(69, 0, 1), Note(72, 1, 1.5), Note(71, 2, 4)]


def test_write_midi_read_back_by_pretty_midi(tmp_path):
    import pretty_midi

    path = render.write_midi(CHORD_AND_LINE, tmp_path / "out" / "x.mid", tempo=90)
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(90, rel=1e-5)  # stored as whole µs per beat
    got = sorted((n.pitch, round(n.start * 90 / 60, 4), round(n.end * 90 / 60, 4), n.velocity)
                 for inst in pm.instruments for n in inst.notes)
    assert got == sorted((n.pitch, n.start, n.end, n.velocity) for n in CHORD_AND_LINE)
    assert len(pm.instruments) == 2
    # and our own loader gives the beats back
    assert sorted((n.pitch, n.start, n.end) for n in load_score(path).notes) == sorted(
        (n.pitch, n.start, n.end) for n in CHORD_AND_LINE)


def test_write_midi_accepts_tokens_and_rejects_nothing(tmp_path):
    import pretty_midi

    path = render.write_midi(melody_to_grid(MELODY), tmp_path / "m.mid")
    assert [n.pitch for n in pretty_midi.PrettyMIDI(str(path)).instruments[0].notes] == [69, 72, 71]
    with pytest.raises(render.RenderError, match="nothing to render"):
        render.write_midi([], tmp_path / "e.mid")
    with pytest.raises(render.RenderError, match="tempo must be > 0"):
        render.write_midi(MELODY, tmp_path / "t.mid", tempo=0)
    with pytest.raises(render.RenderError, match="expected a list of mgtutor.symbolic.Note"):
        render.write_midi([1, 2], tmp_path / "b.mid")


def test_write_musicxml_read_back_by_music21(tmp_path):
    from music21 import converter

    path = render.write_musicxml(CHORD_AND_LINE, tmp_path / "x.musicxml", time_signature=(3, 4), key="G major")
    score = converter.parse(path)
    got = sorted((int(p.midi), float(el.getOffsetInHierarchy(score)), float(el.quarterLength))
                 for part in score.parts for el in part.stripTies().recurse().notes for p in el.pitches)
    assert got == sorted((n.pitch, n.start, n.end - n.start) for n in CHORD_AND_LINE)
    assert score.recurse().getElementsByClass("TimeSignature")[0].ratioString == "3/4"


def test_score_svg_is_deterministic_and_checks_input(tmp_path):
    svg = render.score_svg(MELODY, time_signature=(4, 4))
    assert svg.lstrip().startswith("<svg") or "<svg" in svg[:200]
    assert "6.4.1" in svg and svg == render.score_svg(MELODY, time_signature=(4, 4))
    xml = render.musicxml_string(MELODY)
    assert render.score_svg(xml) == svg  # from MusicXML text too
    with pytest.raises(render.RenderError, match="no such score file"):
        render.score_svg(tmp_path / "missing.musicxml")
    with pytest.raises(render.RenderError, match="could not read"):
        render.score_svg("<nonsense/>")
    with pytest.raises(render.RenderError, match="page 9 does not exist"):
        render.score_svg(xml, page=9)


# A piano-roll excerpt: middle C and B3, notes of different lengths overlapping on one staff (voices there), two of
# them tied across the same bar line, and chords.
PIANO = [
    Note(72, 0, 2), Note(67, 0, 1), Note(65, 1, 2), Note(60, 2, 6), Note(76, 3, 4), Note(79, 3, 4), Note(64, 3, 5),
    Note(59, 2, 3), Note(55, 0, 3), Note(48, 0, 1), Note(43, 1, 3), Note(36, 4, 5),
]


def _staves(xml: str):
    """(clef class, sorted (pitch, onset, quarter length)) per part of MusicXML text, as music21 reads it back,
    the ties of each voice joined (voice by voice: ``stripTies`` on a part with voices can join the wrong notes)."""
    from music21 import converter

    score = converter.parse(xml, format="musicxml")
    return [(type(part.recurse().getElementsByClass("Clef")[0]).__name__,
             sorted((int(p.midi), float(el.offset), float(el.quarterLength))
                    for voice in part.voicesToParts().parts for el in voice.stripTies().flatten().notes
                    for p in el.pitches))
            for part in score.parts]


def test_grand_staff_splits_at_middle_c_and_loses_nothing():
    staves = _staves(render.musicxml_string(PIANO, grand=True))
    assert [clef for clef, _ in staves] == ["TrebleClef", "BassClef"]
    (_, treble), (_, bass) = staves
    assert treble and min(p for p, _, _ in treble) == 60 and bass and max(p for p, _, _ in bass) == 59
    expected = sorted((n.pitch, n.start, n.end - n.start) for n in PIANO)
    assert sorted(treble + bass) == expected  # every note once, with its onset and length (ties across bars joined)
    assert len(_staves(render.musicxml_string(PIANO))) > 2  # the per-voice layout: a staff per lane of durations


def test_grand_staff_other_split_empty_staff_and_svg_clefs():
    from music21 import layout

    score = render.grand_staff(PIANO, split=55)
    treble, bass = score.parts
    assert min(p.midi for el in treble.recurse().notes for p in el.pitches) == 55
    assert max(p.midi for el in bass.recurse().notes for p in el.pitches) == 48
    for measure in score.recurse().getElementsByClass("Measure"):  # filler rests show in a staff's first voice only
        for k, voice in enumerate(measure.voices):
            assert all(r.style.hideObjectOnPrint == (k > 0) for r in voice.notesAndRests if r.isRest)
    group = score.recurse().getElementsByClass(layout.StaffGroup)[0]
    assert group.symbol == "brace" and len(group.getSpannedElements()) == 2
    high = [n for n in PIANO if n.pitch >= 60]
    _, (clef, bass_notes) = _staves(render.musicxml_string(high, grand=True))
    assert clef == "BassClef" and bass_notes == []  # an empty staff holds rests only
    svg = render.score_svg(PIANO, grand=True)
    assert svg.count('xlink:href="#E050') == 1 and svg.count('xlink:href="#E062') == 1  # one G clef, one F clef
    assert svg == render.score_svg(PIANO, grand=True)  # deterministic


@pytest.mark.parametrize("split", [20, 110, 60.0, True, "C4"])
def test_grand_staff_rejects_a_bad_split(split):
    with pytest.raises(render.RenderError, match="split must be a MIDI pitch"):
        render.grand_staff(PIANO, split=split)


def test_grand_staff_rejects_nothing():
    with pytest.raises(render.RenderError, match="nothing to render"):
        render.grand_staff([])


def _peak_hz(y, sr):
    spec = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    return np.fft.rfftfreq(len(y), 1 / sr)[np.argmax(spec)]


@pytest.mark.skipif(not render.fluidsynth_available(), reason="FluidSynth library not installed")
def test_synthesize_with_fluidsynth():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no fallback notice on this path
        y, used = render.synthesize([Note(69, 0, 1)], tempo=120, sr=22050)
    assert used == "fluidsynth" and y.dtype == np.float32 and np.abs(y).max() <= 1
    assert len(y) >= 0.5 * 22050  # half a second at 120 qpm, plus the release tail
    f0 = _peak_hz(y[: 22050 // 2], 22050)
    assert abs(12 * np.log2(f0 / 440)) < 0.5  # A4, whatever harmonics the soundfont adds


def test_synthesize_falls_back_to_numpy_with_one_notice(monkeypatch):
    from mgtutor.audio import render_notes

    monkeypatch.setattr(render, "fluidsynth_available", lambda: False)
    with pytest.warns(render.FluidSynthFallbackWarning, match="NumPy synthesizer") as record:
        y, used = render.synthesize([Note(69, 0, 1)], tempo=120, sr=16000)
    assert used == "numpy" and len(record) == 1
    np.testing.assert_array_equal(y, render_notes([(69, 0.0, 0.5, 80)], sr=16000))
    assert abs(12 * np.log2(_peak_hz(y, 16000) / 440)) < 0.5
    with pytest.raises(render.RenderError, match="FluidSynth is not available"):
        render.synthesize(MELODY, backend="fluidsynth")
    with pytest.raises(render.RenderError, match="backend must be"):
        render.synthesize(MELODY, backend="sox")


def test_plot_and_save_piano_roll(tmp_path):
    import matplotlib.pyplot as plt

    roll = np.zeros((16, 88), dtype=np.uint8)
    roll[0:4, 60 - 21] = 1
    fig = render.plot_piano_roll(roll, steps_per_quarter=4, title="C4")
    ax = fig.axes[0]
    assert ax.get_xlabel() == "time (quarter notes)" and ax.get_ylabel() == "MIDI pitch" and ax.get_title() == "C4"
    assert ax.get_xlim() == (0.0, 4.0) and ax.get_ylim() == (57.5, 62.5)
    plt.close(fig)
    path = render.save_piano_roll_png(roll, tmp_path / "roll.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(render.RenderError, match=r"shape \(T, 88\)"):
        render.plot_piano_roll(np.zeros((4, 12)))


def test_plot_histograms_counts():
    import matplotlib.pyplot as plt

    fig = render.plot_histograms([MELODY, CHORD_AND_LINE[:3]])
    assert len(fig.axes) == 3
    pitch_counts = sum(p.get_height() for p in fig.axes[0].patches)
    assert pitch_counts == 6
    plt.close(fig)
    with pytest.raises(render.RenderError, match="no notes"):
        render.plot_histograms([[]])


def test_piece_view_and_browser_callback():
    import matplotlib.pyplot as plt

    from mgtutor.symbolic import Piece

    piece = Piece(CHORD_AND_LINE + [Note(72, 20, 21)], qpm=120, time_signature=(3, 4), key="C major", name="demo")
    view = render.piece_view(piece, beats=4, sr=8000)
    assert "<svg" in view["svg"] and view["sr"] == 8000
    assert len(view["audio"]) == 4 * 0.5 * 8000  # the opening is cut at beat 4 = 2 s at 120 qpm
    assert view["figure"].axes[0].get_xlim() == (0.0, 4.0) and "demo (C major, 3/4)" == view["title"]
    plt.close(view["figure"])
    with pytest.raises(render.RenderError, match="no notes in its first 4"):
        render.piece_view(Piece([Note(60, 10, 11)], name="late"), beats=4)
    from IPython.display import SVG, Audio

    shown = []
    other = Piece([Note(64, 0, 2)], name="other")
    browser = render.piece_browser([piece, other], beats=4, display_fn=shown.append)
    menu, _ = browser.children
    assert menu.options == (("demo", 0), ("other", 1))
    assert [type(x).__name__ for x in shown] == ["SVG", "Figure", "Audio"]  # score, roll, audio
    menu.value = 1  # picking another piece redraws
    assert len(shown) == 6 and isinstance(shown[3], SVG) and isinstance(shown[5], Audio)
    assert shown[4].axes[0].get_title().startswith("other")
    plt.close("all")
