"""What the notebooks' widgets compute: their callbacks, as plain functions.

Part of mgtutor. A slider or a dropdown only calls a function; that function lives here, so that it is tested
without a front end (``tests/test_widgets.py``) and so that each notebook can call it once more at the widget's
starting values, leaving a static output (a figure or an audio player) that a reader without a kernel (on GitHub,
or before running the notebook) still sees. The widgets use only what ipywidgets 7.7 (Colab) and 8 share:
``interact``, ``IntSlider``, ``FloatSlider``, ``Dropdown``, ``Text``, ``Label``, ``HBox``, ``.observe`` and
``.value``.

Callbacks that draw use matplotlib's current backend and ``IPython.display``; the values they return are what a
test checks. See notebooks 00 §7, 01 §6, 02 §4 and 06 §4 (04 §7 and 11 §6 use :func:`mgtutor.render.piece_browser`
and :class:`mgtutor.listening.ListeningPage`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["describe_pitch", "explore_tone", "melody_callback", "melody_sketch", "pitch_widget", "show_melody",
           "show_spectrogram", "spectrogram_callback", "spectrogram_view", "tone_view"]

A4_MIDI, A4_HZ = 69, 440.0


# --------------------------------------------------------------------------- 00 · a pitch slider
def describe_pitch(m: int) -> str:
    """The label next to notebook 00's slider: ``"MIDI 69 → 440.00 Hz"``, with f = 440 · 2^((m − 69)/12).

    See: notebooks/00_welcome.ipynb §7.
    """
    return f"MIDI {int(m)} → {A4_HZ * 2 ** ((int(m) - A4_MIDI) / 12):.2f} Hz"


def pitch_widget(value: int = A4_MIDI):
    """An ``IntSlider`` over the piano's MIDI pitches and a ``Label`` that :func:`describe_pitch` keeps up to date.

    Returns:
        ``ipywidgets.HBox([slider, label])``; setting ``slider.value`` updates ``label.value`` (no front end needed).
    See: notebooks/00_welcome.ipynb §7.
    """
    import ipywidgets as widgets

    slider = widgets.IntSlider(value=value, min=21, max=108, description="MIDI pitch")
    label = widgets.Label(value=describe_pitch(slider.value))

    def on_change(change) -> None:
        label.value = describe_pitch(change["new"])

    slider.observe(on_change, names="value")
    return widgets.HBox([slider, label])


# --------------------------------------------------------------------------- 01 · sampling and quantisation
def tone_view(freq: float = 440.0, sr: int = 8000, bits: int = 8) -> dict:
    """A tone sampled at ``sr`` and quantised to ``bits`` bits, and what a listener hears and measures.

    The alias is |f − sr · round(f / sr)| (the frequency in [0, sr/2] the samples contain); the SNR is
    10 log10(mean(x²) / mean((q − x)²)) over one second, x the tone at 0.999 of full scale.

    Returns:
        ``{"heard_hz", "snr_db", "second": the quantised second (float array), "sr", "samples": (time_ms, values)
        of the first 5 ms, "fine": (time_ms, values) of the continuous tone over the same 5 ms}``.
    See: notebooks/01_audio_signals.ipynb §6.
    """
    from mgtutor import audio

    t_fine = np.arange(0, 0.005, 1 / 200_000)
    n = np.arange(int(0.005 * sr))
    q = audio.quantize(0.999 * np.sin(2 * np.pi * freq * n / sr), bits)
    clean = 0.999 * audio.sine(freq, 1.0, sr)
    second = audio.quantize(clean, bits)
    snr = 10 * np.log10(np.mean(clean**2) / np.mean((second - clean) ** 2))
    return {"heard_hz": abs(freq - sr * round(freq / sr)), "snr_db": float(snr), "second": second, "sr": sr,
            "samples": (n / sr * 1e3, q), "fine": (t_fine * 1e3, 0.999 * np.sin(2 * np.pi * freq * t_fine))}


def explore_tone(freq: float = 440.0, sr: int = 8000, bits: int = 8) -> dict:
    """Notebook 01's slider callback: draw 5 ms of :func:`tone_view`, play its second, return what you hear.

    Its only parameters are the sliders' (``interact`` makes a control for every parameter); it shows the figure
    and the player with ``IPython.display.display``.

    Args:
        freq, sr, bits: the tone (Hz), the sample rate (Hz), the bits per sample.
    Returns:
        ``{"heard_hz": float, "snr_db": float}``.
    See: notebooks/01_audio_signals.ipynb §6.
    """
    import matplotlib.pyplot as plt

    from mgtutor import audio

    show = _display
    view = tone_view(freq, sr, bits)
    fig, ax = plt.subplots(constrained_layout=True)
    ax.plot(*view["fine"], lw=0.6, label=f"{freq:.0f} Hz")
    ax.step(*view["samples"], where="mid", color="k", lw=0.8, label=f"{sr} Hz, {bits} bits")
    ax.set(xlabel="time (ms)", ylabel="amplitude", title="Sampled and quantised tone")
    ax.legend(loc="upper right", fontsize=8)
    show(fig)
    plt.close(fig)
    show(audio.play(view["second"], sr, normalize=False))
    return {"heard_hz": view["heard_hz"], "snr_db": view["snr_db"]}


# --------------------------------------------------------------------------- 02 · the time/frequency trade-off
def spectrogram_view(y: np.ndarray, sr: int, n_fft: int = 1024, hop: int = 256, ax=None, fmax: float = 1000.0) -> dict:
    """The STFT of ``y`` with ``n_fft`` and ``hop`` drawn in dB (when ``ax`` is given), and its resolutions.

    Bins are sr / n_fft Hz apart; the periodic Hann window's main lobe reaches ±2 bins (2 sr / n_fft Hz); a frame
    lasts n_fft / sr seconds and frames start hop / sr seconds apart.

    Returns:
        ``{"bin_hz", "lobe_hz", "frame_ms", "hop_ms"}`` (floats).
    See: notebooks/02_stft.ipynb §4.
    """
    from mgtutor import features

    if ax is not None:
        S = np.abs(features.stft(np.asarray(y, dtype=float), n_fft=n_fft, hop_length=hop))
        S_db = 20 * np.log10(np.maximum(S, 1e-10 * S.max()) / S.max())
        ax.imshow(np.maximum(S_db, -80), origin="lower", aspect="auto", cmap="magma",
                  extent=[0, S.shape[1] * hop / sr, 0, sr / 2])
        ax.set(ylim=(0, fmax), xlabel="time (s)", ylabel="frequency (Hz)", title=f"n_fft={n_fft}, hop={hop}")
    return {"bin_hz": sr / n_fft, "lobe_hz": 2 * sr / n_fft, "frame_ms": 1000 * n_fft / sr, "hop_ms": 1000 * hop / sr}


def show_spectrogram(y: np.ndarray, sr: int, n_fft: int = 1024, hop: int = 256,
                     display_fn: Callable | None = None) -> dict:
    """Notebook 02's dropdown callback: one figure of :func:`spectrogram_view`; returns its resolutions.

    See: notebooks/02_stft.ipynb §4.
    """
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(constrained_layout=True)
    info = spectrogram_view(y, sr, n_fft, hop, ax)
    (display_fn or _display)(fig)
    plt.close(fig)
    return info


def spectrogram_callback(y: np.ndarray, sr: int, display_fn: Callable | None = None) -> Callable[..., dict]:
    """``f(n_fft=1024, hop=256)`` calling :func:`show_spectrogram` on ``y``: what ``ipywidgets.interact`` is given.

    (``interact`` reads the callback's own parameters, and ipywidgets 7 cannot read a ``functools.partial``.)
    See: notebooks/02_stft.ipynb §4.
    """

    def spectrogram(n_fft: int = 1024, hop: int = 256) -> dict:
        return show_spectrogram(y, sr, n_fft, hop, display_fn)

    return spectrogram


# --------------------------------------------------------------------------- 06 · sampling a melody
def melody_sketch(stepper, vocab, temperature: float = 1.0, primer_text: str = "67 _ _ _ 69 _ 71 _", seed: int = 0,
                  steps: int = 64) -> list:
    """Notes of the primer followed by ``steps`` sixteenths generated statefully (4 bars by default).

    Args:
        stepper: a :class:`mgtutor.models.StatefulLSTM`.
        vocab: the run's melody vocabulary. primer_text: tokens separated by spaces (e.g. ``"60 _ 62 _"``).
        temperature, seed: as in :func:`mgtutor.sampling.generate_stateful`.
    Returns:
        The decoded notes (:class:`mgtutor.symbolic.Note`, times in quarter notes).
    Raises:
        GenerationError: an unknown primer token or a bad temperature (the message says which).
    See: notebooks/06_melody_generation.ipynb §4.
    """
    from mgtutor import sampling, symbolic
    from mgtutor.tasks.melody import parse_primer

    ids = parse_primer(primer_text, vocab)
    new = sampling.generate_stateful(stepper, ids, steps, seed=seed, temperature=temperature)[0]
    return symbolic.grid_to_melody(vocab.decode([*ids.tolist(), *new.tolist()]), strict=False)


def show_melody(stepper, vocab, temperature: float = 1.0, primer_text: str = "67 _ _ _ 69 _ 71 _", seed: int = 0,
                display_fn: Callable | None = None) -> None:
    """Notebook 06's slider callback: draw :func:`melody_sketch` as a piano roll (nothing when it has no notes).

    See: notebooks/06_melody_generation.ipynb §4.
    """
    import matplotlib.pyplot as plt

    from mgtutor import render, symbolic

    notes = melody_sketch(stepper, vocab, temperature, primer_text, seed)
    if notes:
        roll = symbolic.notes_to_piano_roll(notes, steps_per_quarter=4, allow_merge=True)
        fig = render.plot_piano_roll(roll, title=f"T = {temperature:.1f}, primer: {primer_text}", dpi=70)
        (display_fn or _display)(fig)
        plt.close(fig)


def melody_callback(stepper, vocab, display_fn: Callable | None = None) -> Callable[..., None]:
    """``f(temperature=1.0, primer_text="67 _ _ _ 69 _ 71 _", seed=0)`` calling :func:`show_melody` with this model.

    What ``ipywidgets.interact`` is given (ipywidgets 7 cannot read a ``functools.partial``).
    See: notebooks/06_melody_generation.ipynb §4.
    """

    def melody(temperature: float = 1.0, primer_text: str = "67 _ _ _ 69 _ 71 _", seed: int = 0) -> None:
        show_melody(stepper, vocab, temperature, primer_text, seed, display_fn)

    return melody


def _display(obj) -> None:
    """``IPython.display.display`` (tests replace it with a recorder)."""
    from IPython.display import display

    display(obj)
