"""The notebooks' widget callbacks (mgtutor.interactive, render.show_piece_view, ListeningPage), without a front end.

The callbacks are called directly; where a widget is built, only what ipywidgets 7.7 (Colab) and 8 share is used
(``IntSlider``, ``Dropdown``, ``Label``, ``HBox``, ``interactive``, ``.observe``, ``.value``, ``.children``,
``.result``), so this file runs under both.
"""

from __future__ import annotations

import base64
import io
import re

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from mgtutor import interactive, listening, render, symbolic  # noqa: E402
from mgtutor.errors import GenerationError  # noqa: E402
from mgtutor.models import StatefulLSTM  # noqa: E402
from mgtutor.symbolic import Note, Piece  # noqa: E402

SR = 8000


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def kinds(shown) -> list[str]:
    return [type(x).__name__ for x in shown]


# --------------------------------------------------------------------------- 00 · pitch slider
@pytest.mark.parametrize("m, hz", [(69, "440.00"), (81, "880.00"), (57, "220.00"), (60, "261.63"), (21, "27.50")])
def test_describe_pitch_by_hand(m, hz):
    assert interactive.describe_pitch(m) == f"MIDI {m} → {hz} Hz"


def test_pitch_widget_label_follows_the_slider():
    import ipywidgets

    box = interactive.pitch_widget()
    assert isinstance(box, ipywidgets.HBox)
    slider, label = box.children
    assert isinstance(slider, ipywidgets.IntSlider) and (slider.min, slider.max, slider.value) == (21, 108, 69)
    assert label.value == "MIDI 69 → 440.00 Hz"
    slider.value = 81
    assert label.value == "MIDI 81 → 880.00 Hz"
    slider.value = 200  # clamped to the piano's top key, as the front end would
    assert slider.value == 108 and label.value == "MIDI 108 → 4186.01 Hz"


# --------------------------------------------------------------------------- 01 · sampling and quantisation
@pytest.mark.parametrize("freq, sr, heard", [(440.0, 8000, 440.0), (5000.0, 8000, 3000.0), (7500.0, 8000, 500.0),
                                             (12000.0, 22050, 10050.0), (8000.0, 8000, 0.0)])
def test_tone_view_alias(freq, sr, heard):
    assert interactive.tone_view(freq, sr, 8)["heard_hz"] == pytest.approx(heard)


@pytest.mark.parametrize("bits", [6, 8, 12])
def test_tone_view_snr_follows_the_six_db_rule(bits):
    """Quantisation noise of a full-scale sine: SNR ≈ 6.02·bits + 1.76 dB (uniform noise of step 2/2^bits)."""
    view = interactive.tone_view(440.0, 16000, bits)
    assert view["snr_db"] == pytest.approx(6.02 * bits + 1.76, abs=1.5)
    assert view["second"].shape == (16000,) and len(np.unique(view["second"])) <= 2**bits
    t, x = view["samples"]
    assert len(t) == 80 and np.all(np.diff(t) == pytest.approx(1000 / 16000))  # 5 ms of samples, in ms


def test_explore_tone_draws_plays_and_returns_what_you_hear(monkeypatch):
    from IPython.display import Audio

    shown = []
    monkeypatch.setattr(interactive, "_display", shown.append)
    result = interactive.explore_tone(5000.0, 8000, 8)
    assert kinds(shown) == ["Figure", "Audio"] and isinstance(shown[1], Audio)
    assert result["heard_hz"] == 3000.0 and result["snr_db"] == pytest.approx(49.9, abs=1.0)
    assert shown[0].axes[0].get_xlabel() == "time (ms)"
    wav = shown[1].data  # 16-bit WAV of one second
    assert wav[:4] == b"RIFF" and len(wav) == 44 + 2 * 8000


def test_explore_tone_through_interact_has_only_the_sliders(monkeypatch):
    """``interact`` makes a control for every parameter of its callback: the tone's three, nothing else."""
    import ipywidgets

    shown = []
    monkeypatch.setattr(interactive, "_display", shown.append)
    w = ipywidgets.interactive(interactive.explore_tone,
                               freq=ipywidgets.FloatSlider(value=440, min=50, max=12000, step=10),
                               sr=ipywidgets.Dropdown(options=[8000, 11025, 16000, 22050], value=8000),
                               bits=ipywidgets.IntSlider(value=8, min=2, max=16))
    w.update()
    assert w.result["heard_hz"] == 440.0 and set(kinds(shown)) == {"Figure", "Audio"}
    assert sorted(w.kwargs) == ["bits", "freq", "sr"]
    slider = next(c for c in w.children if isinstance(c, ipywidgets.FloatSlider))
    slider.value = 5000
    assert w.result["heard_hz"] == 3000.0


# --------------------------------------------------------------------------- 02 · time/frequency trade-off
def _two_tones(sr=SR):
    t = np.arange(sr) / sr
    return np.sin(2 * np.pi * 440 * t) + np.sin(2 * np.pi * 460 * t)


def test_spectrogram_view_resolutions_and_image_match_librosa():
    import librosa

    y = _two_tones()
    assert interactive.spectrogram_view(y, SR, 1024, 256) == {"bin_hz": 7.8125, "lobe_hz": 15.625,
                                                               "frame_ms": 128.0, "hop_ms": 32.0}
    fig, ax = plt.subplots()
    interactive.spectrogram_view(y, SR, 512, 128, ax)
    image = ax.images[0].get_array()
    ref = librosa.amplitude_to_db(np.abs(librosa.stft(y, n_fft=512, hop_length=128)), ref=np.max, top_db=80)
    assert image.shape == ref.shape
    np.testing.assert_allclose(image, ref, atol=1e-3)


def test_show_spectrogram_in_an_interactive_both_versions_share():
    import ipywidgets

    shown = []
    callback = interactive.spectrogram_callback(_two_tones(), SR, display_fn=shown.append)
    w = ipywidgets.interactive(callback, n_fft=ipywidgets.Dropdown(options=[256, 1024], value=1024),
                               hop=ipywidgets.Dropdown(options=[64, 256], value=256))
    w.update()  # the starting state (ipywidgets 8 has drawn it once already, when built; 7 draws it when shown)
    assert set(kinds(shown)) == {"Figure"} and w.result["bin_hz"] == SR / 1024
    before = len(shown)
    n_fft = next(c for c in w.children if isinstance(c, ipywidgets.Dropdown) and c.options == (256, 1024))
    n_fft.value = 256  # the dropdown's observer calls the function again
    assert len(shown) == before + 1 and w.result["bin_hz"] == SR / 256
    assert shown[-1].axes[0].get_title() == "n_fft=256, hop=256"


# --------------------------------------------------------------------------- 04 · the piece browser
def test_show_piece_view_shows_score_roll_and_audio():
    from IPython.display import SVG, Audio

    piece = Piece([Note(60, 0, 1), Note(64, 1, 2), Note(67, 2, 4)], qpm=120, name="arpeggio", key="C major")
    view = render.piece_view(piece, beats=4, sr=SR)
    shown = []
    render.show_piece_view(view, display_fn=shown.append)
    assert isinstance(shown[0], SVG) and isinstance(shown[2], Audio) and kinds(shown)[1] == "Figure"
    assert "<svg" in shown[0].data and shown[1].axes[0].get_title() == view["title"]
    assert not plt.fignum_exists(view["figure"].number)  # shown once, then closed


# --------------------------------------------------------------------------- 06 · sampling a melody
@pytest.fixture
def stepper_and_vocab():
    vocab = symbolic.melody_vocabulary()
    rng = np.random.default_rng(0)
    v, e, u = len(vocab), 8, 16
    stepper = StatefulLSTM(rng.normal(size=(v, e)), [(rng.normal(size=(e, 4 * u)) * 0.3,
                                                      rng.normal(size=(u, 4 * u)) * 0.3, np.zeros(4 * u))],
                           rng.normal(size=(u, v)), np.zeros(v))
    return stepper, vocab


def test_melody_sketch_keeps_the_primer_and_is_seeded(stepper_and_vocab):
    stepper, vocab = stepper_and_vocab
    notes = interactive.melody_sketch(stepper, vocab, 0.5, "60 _ 62 _", seed=3)
    assert [(n.pitch, n.start, n.end) for n in notes[:1]] == [(60, 0.0, 0.5)] and notes[1].pitch == 62
    assert notes[-1].end <= (4 + 64) / 4  # primer and 64 sixteenths, in quarter notes
    assert notes == interactive.melody_sketch(stepper, vocab, 0.5, "60 _ 62 _", seed=3)
    with pytest.raises(GenerationError, match="not in this run's vocabulary"):
        interactive.melody_sketch(stepper, vocab, primer_text="60 x")


def test_show_melody_through_interactive(stepper_and_vocab):
    import ipywidgets

    shown = []
    callback = interactive.melody_callback(*stepper_and_vocab, display_fn=shown.append)
    w = ipywidgets.interactive(callback, temperature=ipywidgets.FloatSlider(value=1.0, min=0.1, max=2.0, step=0.1),
                               primer_text=ipywidgets.Text(value="67 _ _ _ 69 _ 71 _"),
                               seed=ipywidgets.IntSlider(value=0, min=0, max=20))
    w.update()  # the starting state (ipywidgets 8 has drawn it once already, when built; 7 draws it when shown)
    assert set(kinds(shown)) == {"Figure"} and w.result is None
    assert shown[-1].axes[0].get_title() == "T = 1.0, primer: 67 _ _ _ 69 _ 71 _"
    before = len(shown)
    slider = next(c for c in w.children if isinstance(c, ipywidgets.FloatSlider))
    slider.value = 0.5
    assert len(shown) == before + 1 and shown[-1].axes[0].get_title().startswith("T = 0.5")


# --------------------------------------------------------------------------- 11 · the listening page
def _wav(seconds: float) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    sf.write(buffer, np.zeros(int(seconds * SR)), SR, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def test_listening_page_html_shows_the_current_trial(tmp_path):
    pairs = [(listening.Clip(f"gen{i}", "model", _wav(0.1 + i / 10)), listening.Clip(f"real{i}", "bach", _wav(0.05)))
             for i in range(2)]
    trials = listening.make_trials(pairs, "abx", seed=0)
    page = listening.ListeningPage(trials, tmp_path / "answers.csv", "L01")
    html = page.html()
    assert html.startswith("<p>Trial 1 of 2: Which one is X?</p>")
    assert re.findall(r"<b>(\w)</b>", html) == ["A", "B", "X"] and html.count("<button disabled>") == 2
    players = re.findall(r'src="data:audio/wav;base64,([^"]+)"', html)
    first = trials[0]
    assert [base64.b64decode(p) for p in players] == [first.a.wav, first.b.wav, first.x.wav]
    assert not any(word in html for word in ("model", "bach", "gen", "real"))  # blind, like the widget
    page.answer("A")  # the buttons' callback
    assert page.html().startswith("<p>Trial 2 of 2")
    page.answer("B")
    assert page.html() == "<p>Thank you: 2 answers saved.</p>"
