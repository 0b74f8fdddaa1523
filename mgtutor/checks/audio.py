"""Exercise checkers for notebooks 01–03 (audio signals, STFT, mel and MFCC).

Part of mgtutor. Each checker calls the learner's function on a few inputs, compares with an
independent reference (NumPy, SciPy, librosa, or a hand-derived value) and, when the answer is
wrong, recognises the usual mistakes and says which one it looks like.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok
from mgtutor.symbolic.core import PIANO_HIGH, PIANO_LOW

__all__ = [
    "aliased_frequency_exercise",
    "dft_matrix_exercise",
    "hann_window_exercise",
    "hz_to_mel_exercise",
    "mfcc_exercise",
    "midi_to_hz_exercise",
    "n_frames_exercise",
    "quantization_snr_exercise",
    "stft_exercise",
]


def _call(fn: Callable, *args, **kwargs):
    """:func:`mgtutor.checks.call`, with the answer as an array."""
    value, failure = call(fn, *args, **kwargs)
    return (None, failure) if failure is not None else (np.asarray(value), None)


def _close(a, b, rtol=1e-6, atol=1e-9) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


# --------------------------------------------------------------------------- 01 · audio signals


@exercise
def midi_to_hz_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/01_audio_signals.ipynb, exercise 1: f = 440 · 2^((m − 69) / 12)."""
    m = np.array([PIANO_LOW, 60, 69, 81, PIANO_HIGH], dtype=float)  # the keyboard's ends, C4, A4, A5
    got, err = _call(fn, m)
    if err is not None:
        return err
    ref = 440.0 * 2.0 ** ((m - 69.0) / 12.0)
    if _close(got, ref):
        return ok("equal temperament, right for every pitch tested: A4 = 69 → 440 Hz, C4 = 60 → 261.63 Hz")
    if got.shape != ref.shape:
        return hint(f"Return one frequency per pitch: expected shape {ref.shape}, got {got.shape}. "
                    "Use NumPy operations (2.0 ** x) rather than math.pow so arrays work.")
    if _close(got, 2.0 ** ((m - 69.0) / 12.0)):
        return hint("You have the ratio to A4 but forgot to multiply by 440 Hz.")
    if _close(got, 440.0 * 2.0 ** ((m - 60.0) / 12.0)):
        return hint("You made C4 (MIDI 60) equal to 440 Hz; the reference pitch is A4 = MIDI 69.")
    if _close(got, 440.0 * 2.0 ** (m - 69.0)):
        return hint("Each MIDI step is a semitone, 1/12 of an octave: divide (m − 69) by 12.")
    if _close(got, 440.0 * np.exp((m - 69.0) / 12.0)):
        return hint("Use powers of 2 (an octave doubles the frequency), not of e.")
    for shift in (-12.0, 12.0):
        if _close(got, ref * 2.0 ** (shift / 12.0)):
            return hint("Your frequencies are off by exactly one octave: check the reference pitch 69.")
    return hint(f"For MIDI 69 expected 440 Hz, got {float(got[2]):.4g}; for MIDI 60 expected 261.63 Hz.",
                then="f = 440 · 2^((m − 69) / 12): A4 = 69 is the reference, 12 semitones double the frequency.")


@exercise
def aliased_frequency_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/01_audio_signals.ipynb, exercise 2: the frequency you hear after sampling.

    A sine at f sampled at sr is indistinguishable from one at |f − k·sr| for the integer k that
    brings it into [0, sr/2]: f_alias = |f − sr · round(f / sr)|.
    """
    sr = 8000.0
    f = np.array([440.0, 3000.0, 5000.0, 7500.0, 8000.0, 9100.0, 13000.0])
    got, err = _call(fn, f, sr)
    if err is not None:
        return err
    ref = np.abs(f - sr * np.round(f / sr))
    if _close(got, ref):
        return ok("the heard frequency is right for every tone tested: 5 kHz sampled at 8 kHz sounds as 3 kHz")
    if got.shape != ref.shape:
        return hint(f"Return one frequency per input frequency: expected shape {ref.shape}, got {got.shape}.")
    if _close(got, f):
        return hint("Frequencies above the Nyquist limit sr/2 = 4000 Hz do not survive sampling: they fold back "
                    "into [0, sr/2] (§1).", then="Subtract the nearest multiple of sr and drop the sign: "
                    "|f − sr · round(f / sr)|.")
    if _close(got, np.where(f > sr / 2, f - sr, f)) or _close(got, f - sr * np.round(f / sr)):
        return hint("Close: you found f − k·sr but kept the sign; a negative frequency sounds the same as "
                    "its absolute value. Take np.abs.")
    if _close(got, np.mod(f, sr)):
        return hint("f mod sr is only half the story: where does 7500 Hz land at sr = 8000 Hz? "
                    "(Above sr/2 the spectrum mirrors.)",
                    then="Anything above sr/2 mirrors back as sr − (f mod sr); in one line: |f − sr · round(f / sr)|.")
    return hint("At sr = 8000 Hz: 5000 Hz → 3000 Hz, 7500 Hz → 500 Hz, 9100 Hz → 1100 Hz. Which multiple of sr "
                "is nearest to each f?", then="f_alias = |f − sr · round(f / sr)| (np.abs, np.round).")


@exercise
def quantization_snr_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/01_audio_signals.ipynb, exercise 3: measured SNR (dB) of a signal and its copy.

    SNR = 10 · log10(Σ x² / Σ (q − x)²) in decibels.
    """
    rng = np.random.default_rng(3)
    x = np.sin(2 * np.pi * 0.0123 * np.arange(4000))
    q = x + 0.01 * rng.standard_normal(x.size)
    got, err = _call(fn, x, q)
    if err is not None:
        return err
    ref = 10 * np.log10(np.sum(x**2) / np.sum((q - x) ** 2))
    if got.size != 1:
        return hint(f"Return one number (the SNR in dB), got an array of shape {got.shape}.")
    value = float(got)
    if abs(value - ref) < 1e-6:
        return ok(f"SNR = {ref:.1f} dB for this pair")
    if abs(value - ref / 10) < 1e-6 * max(1, abs(ref)):
        return hint("That is the SNR in bels: multiply log10 of the power ratio by 10 for decibels.")
    if abs(value - 2 * ref) < 1e-6 * max(1, abs(ref)):
        return hint("You used 20·log10 of a *power* ratio; 20·log10 is for amplitude ratios, 10·log10 for power.")
    if abs(value + ref) < 1e-6 * max(1, abs(ref)):
        return hint("The ratio is upside down: signal power over noise power.")
    if abs(value - 10 * np.log10(np.sum(np.abs(x)) / np.sum(np.abs(q - x)))) < 1e-6:
        return hint("Use powers (squares), not absolute values: Σ x² / Σ (q − x)².")
    return hint(f"For this pair the SNR is about {ref:.0f} dB: compare the power of x with the power of the noise.",
                then="Noise is e = q − x; SNR = 10·log10(Σx² / Σe²).")


# --------------------------------------------------------------------------- 02 · STFT


@exercise
def dft_matrix_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/02_stft.ipynb, exercise 1: the N×N DFT matrix W[k, n] = e^(−2πi k n / N)."""
    for n in (8, 5):
        got, err = _call(fn, n)
        if err is not None:
            return err
        ref = np.fft.fft(np.eye(n), axis=0)
        if _close(got, ref):
            continue
        if got.shape != (n, n):
            return hint(f"For N = {n} return an {n}×{n} matrix, got shape {got.shape}.")
        if _close(got, np.conj(ref)):
            return hint("The exponent's sign is +: that is the inverse DFT (without its 1/N).",
                        then="The forward DFT uses e^(−2πi k n / N).")
        if _close(got, ref / n) or _close(got, ref / np.sqrt(n)):
            return hint("np.fft.fft applies no normalisation in the forward transform: drop the 1/N or 1/√N.")
        if _close(got, ref.real) or _close(got, np.cos(2 * np.pi * np.outer(np.arange(n), np.arange(n)) / n)):
            return hint("Only the cosine (real) part is there: the DFT needs the sines too (as imaginary parts).",
                        then="Build complex exponentials: np.exp(-2j * np.pi * k * n / N).")
        if _close(got, np.exp(-1j * np.pi * np.outer(np.arange(n), np.arange(n)) / n)):
            return hint("Row k should complete k whole cycles in N samples; yours completes k/2.",
                        then="The angle is 2π k n / N: you are missing the factor 2.")
        return hint(f"For N = {n}, W @ x must equal np.fft.fft(x): row k is a complex sinusoid with k cycles in "
                    "N samples, column n is the time.",
                    then="W[k, n] = np.exp(-2j * np.pi * k * n / N) with k = np.arange(N)[:, None], "
                         "n = np.arange(N)[None, :].")
    return ok("W @ x = np.fft.fft(x): the DFT is a matrix product (for N = 8 and N = 5)")


@exercise
def hann_window_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/02_stft.ipynb, exercise 2: the periodic Hann window w[n] = ½ − ½ cos(2π n / N)."""
    n = 16
    got, err = _call(fn, n)
    if err is not None:
        return err
    k = np.arange(n)
    ref = 0.5 - 0.5 * np.cos(2 * np.pi * k / n)
    if _close(got, ref):
        return ok("periodic Hann window: it overlap-adds to a constant at hop N/4")
    if got.shape != (n,):
        return hint(f"Return N = {n} samples, got shape {got.shape}.")
    if _close(got, np.hanning(n)):
        return hint("That is the symmetric Hann window (np.hanning): it ends at 0 again. Spectral analysis uses "
                    "the periodic one, one period of a repeating window.",
                    then="Divide by N, not N − 1: w[n] = 0.5 − 0.5·cos(2π n / N).")
    if _close(got, 0.5 + 0.5 * np.cos(2 * np.pi * k / n)):
        return hint("The window must start at 0 and peak in the middle; yours does the opposite.",
                    then="½ − ½ cos(2π n / N), not ½ + ½ cos(...).")
    if _close(got, np.sin(np.pi * k / n)):
        return hint("That is the sine window; Hann is its square.", then="sin²(π n / N) = ½ − ½ cos(2π n / N).")
    if _close(got, 0.54 - 0.46 * np.cos(2 * np.pi * k / n)):
        return hint("0.54/0.46 are Hamming's coefficients; Hann uses ½ and ½.")
    return hint("Not a periodic Hann window yet: it starts at 0, rises to 1 at n = N/2 and has N samples "
                "(check w[0] and w[N // 2]).",
                then="w[n] = 0.5 - 0.5 * np.cos(2 * np.pi * n / N) for n = 0 … N − 1.")


@exercise
def n_frames_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/02_stft.ipynb, exercise 3: how many STFT frames for a signal.

    Without centring: 1 + ⌊(L − N) / H⌋; with centring (⌊N/2⌋ padding each side): 1 + ⌊L / H⌋ for even N.
    Compared with the number of columns librosa.stft returns.
    """
    import librosa

    cases = [(22050, 2048, 512, True), (22050, 2048, 512, False), (1000, 256, 100, True),
             (1000, 256, 100, False), (4096, 1024, 1024, False), (3000, 500, 128, True)]
    for length, n_fft, hop, center in cases:
        got, err = _call(fn, length, n_fft, hop, center)
        if err is not None:
            return err
        ref = librosa.stft(np.zeros(length), n_fft=n_fft, hop_length=hop, center=center).shape[1]
        if got.size == 1 and int(got) == ref:
            continue
        value = int(got) if got.size == 1 else None
        where = f"(L={length}, n_fft={n_fft}, hop={hop}, center={center})"
        if value is None:
            return hint(f"Return one integer, got shape {got.shape}.")
        if center and value == 1 + (length - n_fft) // hop:
            return hint(f"With center=True the signal is padded on both sides before framing {where}: "
                        "how many samples does that add?", then="n_fft//2 on each side: use L + 2·(n_fft//2) "
                        "as the length in 1 + (length − n_fft) // hop.")
        if not center and value == 1 + length // hop:
            return hint(f"With center=False there is no padding {where}: the last frame must fit in the signal.",
                        then="1 + (L − n_fft) // hop.")
        if value in (ref - 1, ref + 1):
            return hint(f"Off by one {where}: expected {ref}, got {value}.",
                        then="Frames start at 0, hop, 2·hop, …; count the first one too: 1 + ⌊(length − n_fft) / hop⌋.")
        return hint(f"{where}: librosa.stft gives {ref} frames, you gave {value}. Frames start at 0, hop, 2·hop, … "
                    "and must lie entirely inside the (padded) signal.",
                    then="1 + (length − n_fft) // hop, with length = L + 2·(n_fft//2) when center=True.")
    return ok("frame counts match librosa.stft, centred and not")


@exercise
def stft_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/02_stft.ipynb, exercise 4: ``fn(y, n_fft, hop)`` is the STFT.

    X[k, t] = Σ_n w[n] · x_pad[t·hop + n] · e^(−2πi k n / N), with w the periodic Hann window,
    x_pad the signal padded by N//2 zeros on each side (center=True), k = 0 … N/2 as rows and
    frames t as columns; compared with ``librosa.stft(y, n_fft=N, hop_length=hop)``. Recognises
    a missing window, the symmetric Hann window, no centre padding, reflect padding, time × frequency
    axes, the full (two-sided) FFT and magnitudes instead of complex values.
    """
    rng = np.random.default_rng(7)
    for length, n_fft, hop in ((3001, 256, 64), (2500, 512, 200)):
        y = np.sin(2 * np.pi * 0.0371 * np.arange(length)) + 0.3 * rng.standard_normal(length)
        got, err = _call(fn, y.copy(), n_fft, hop)
        if err is not None:
            return err
        failure = _stft_diagnosis(got, y, n_fft, hop)
        if failure is not None:
            return failure
    return ok("your STFT equals librosa.stft: centred, periodic Hann window, one column of complex values per frame")


def _stft_diagnosis(got: np.ndarray, y: np.ndarray, n_fft: int, hop: int) -> CheckResult | None:
    """None if ``got`` is librosa's STFT of y, else the hint for the mistake it looks like."""
    import librosa

    def ref(window="hann", center=True, pad_mode="constant"):
        return librosa.stft(y, n_fft=n_fft, hop_length=hop, window=window, center=center, pad_mode=pad_mode)

    right = ref()
    scale = np.abs(right).max()
    if got.shape == right.shape and np.allclose(got, right, rtol=1e-6, atol=1e-8 * scale):
        return None
    where = f"(len(y) = {y.size}, n_fft = {n_fft}, hop = {hop})"
    if got.ndim != 2:
        return hint(f"Return a 2-D array (frequency × frames) {where}, got shape {got.shape}.")
    if got.shape == right.T.shape:
        return hint(f"Your axes are time × frequency {where}: shape {got.shape}. librosa keeps one frame per "
                    f"column, {right.shape}.", then="Stack the rfft of each frame as columns: "
                    "np.fft.rfft(frames, axis=1).T, or np.stack(columns, axis=1).")
    if got.shape[0] == n_fft and got.shape[1] == right.shape[1]:
        return hint(f"You kept all {n_fft} FFT bins {where}; for a real signal the upper half mirrors the lower.",
                    then=f"Use np.fft.rfft: 1 + n_fft // 2 = {n_fft // 2 + 1} rows (0 Hz … sr/2).")
    magnitude = not np.iscomplexobj(got)
    value = np.abs(got) if magnitude else got
    if magnitude and got.shape == right.shape and np.allclose(value, np.abs(right), rtol=1e-6, atol=1e-8 * scale):
        return hint("Your numbers are the STFT's magnitudes |X|: the phase is gone, so it cannot be inverted (§5).",
                    then="Return the complex values of np.fft.rfft; take np.abs only when you draw.")

    def like(candidate: np.ndarray) -> bool:
        candidate = np.abs(candidate) if magnitude else candidate
        return candidate.shape == value.shape and np.allclose(value, candidate, rtol=1e-6, atol=1e-8 * scale)

    also = " (and return complex values, not magnitudes)" if magnitude else ""
    if any(like(ref(window=w, center=False)) for w in ("hann", np.ones(n_fft), np.hanning(n_fft))):
        return hint(f"Your STFT has {got.shape[1]} frames {where}, librosa's {right.shape[1]}: your first frame "
                    f"starts at sample 0, so the signal's first samples sit only at a frame's faded edge{also}.",
                    then=f"Centre the frames: pad n_fft // 2 = {n_fft // 2} zeros on each side first, "
                         "np.pad(y, n_fft // 2, mode='constant').")
    if like(ref(pad_mode="reflect")):
        return hint(f"The padding is mirrored (reflect) {where}; this STFT pads with zeros{also}.",
                    then="np.pad(y, n_fft // 2, mode='constant').")
    if like(ref(window=np.ones(n_fft))):
        return hint(f"Your frames are not windowed {where}: each frame's edges jump, and energy leaks into every "
                    f"bin (§2){also}.", then="Multiply each frame by the periodic Hann window "
                    "0.5 − 0.5·cos(2π n / n_fft) before the FFT.")
    if like(ref(window=np.hanning(n_fft))):
        return hint(f"Almost: that is the symmetric Hann window (np.hanning, it ends at 0 again){also}. Spectral "
                    "analysis uses the periodic one (exercise 2).",
                    then="w[n] = 0.5 − 0.5·cos(2π n / n_fft), i.e. scipy.signal.get_window('hann', n_fft).")
    steps = ("np.pad(y, n_fft // 2) → frames at 0, hop, 2·hop, … → × periodic Hann window → np.fft.rfft of each "
             "frame → frames as columns.")
    if magnitude:
        return hint(f"Return the complex STFT (np.fft.rfft's output), not magnitudes {where}.", then=steps)
    if got.shape != right.shape:
        return hint(f"Expected shape {right.shape} = (1 + n_fft // 2, 1 + len(y) // hop) {where}, got {got.shape}.",
                    then=steps)
    return hint(f"Right shape {got.shape}, wrong values {where}. Check each step of §3: pad, frame, window, FFT.",
                then="X[:, t] = np.fft.rfft(w * padded[t * hop: t * hop + n_fft]), w the periodic Hann window, "
                     "padded = np.pad(y, n_fft // 2).")


# --------------------------------------------------------------------------- 03 · mel and MFCC


HTK_MEL = "m = 2595·log10(1 + f/700), or equivalently 1127·ln(1 + f/700)"


@exercise
def hz_to_mel_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/03_mel_mfcc.ipynb, exercise 1: the HTK mel scale m = 2595 · log10(1 + f/700)."""
    f = np.array([0.0, 440.0, 1000.0, 4000.0, 8000.0])
    with np.errstate(divide="ignore", invalid="ignore"):  # log10(0) without the 1 + is a hint, not a warning
        got, err = _call(fn, f)
    if err is not None:
        return err
    if got.shape != f.shape:
        return hint(f"Return one mel value per frequency: expected shape {f.shape}, got {got.shape}. "
                    "Use NumPy operations (np.log10) so arrays work.", then=HTK_MEL)
    if _close(got, 2595 * np.log10(1 + f / 700)):
        return ok("HTK mel scale (1000 Hz → 1000 mel)")
    if _close(got, 1127 * np.log(1 + f / 700)):
        return ok("HTK mel scale (natural-log form 1127·ln(1 + f/700), the same curve)")
    from mgtutor.features import hz_to_mel

    if _close(got, hz_to_mel(f)):
        return hint("That is the Slaney mel scale (librosa's default, linear below 1 kHz, 1000 Hz → 15). The "
                    "exercise asks for the HTK scale (§1), on which 1000 Hz → 1000 mel.", then=HTK_MEL)
    if _close(got, 2595 * np.log(1 + f / 700)):
        return hint("The shape is right but the values are 2.3× too large: check which logarithm goes with the "
                    "constant 2595 (you used the natural log).",
                    then="2595 belongs to log10 (np.log10); with the natural log the constant is 1127. " + HTK_MEL)
    if np.isfinite(got[1:]).all() and (not np.isfinite(got[0]) or got[0] < -100):
        return hint(f"What should 0 Hz be on the mel scale? Yours gives {float(got[0]):.4g}; look at what is "
                    "inside the log.", then="Add 1 inside the log, so 0 Hz → 0 mel: " + HTK_MEL)
    return hint(f"At 1000 Hz the HTK mel value should be ~1000, got {float(got[2]):.4g}. "
                "Check the constant 700 and the log base.", then=HTK_MEL)


def _calls_library_mfcc(fn: Callable) -> bool:
    """True if the learner's function calls an MFCC routine itself (``librosa.feature.mfcc(…)``,
    ``features.mfcc(…)`` or an imported ``mfcc(…)``); its own ``def`` line does not count."""
    import inspect
    import re

    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    body = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("def "))
    return re.search(r"(?<![\w])(?:\w+\.)*mfcc\s*\(", body) is not None


MFCC_STEPS = ("power = |features.stft(y, n_fft=1024, hop_length=256)|² → features.mel_filterbank(sr=sr, "
              "n_fft=1024, n_mels=40) @ power → features.power_to_db → scipy.fft.dct(..., type=2, "
              "norm='ortho', axis=0) → keep the first 13 rows.")


@exercise
def mfcc_exercise(fn: Callable) -> CheckResult:
    """Checker for notebooks/03_mel_mfcc.ipynb, exercise 2: MFCCs from a signal, step by step.

    ``fn(y, sr)`` must return 13 coefficients per frame, shape (13, n_frames), equal to
    ``librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40)``.
    The test signal has a quiet noise floor, so every mel band holds some energy: how a log is
    guarded against zero (``+ 1e-10``, ``np.maximum``) and librosa's 80 dB floor do not matter.
    A natural-log MFCC (the HTK and Kaldi convention) passes too, with a note on how it differs
    from librosa's decibels.
    """
    import librosa
    import scipy.fft

    from mgtutor.audio import render_notes

    sr = 16000
    y = render_notes([(60, 0.0, 0.5, 100), (67, 0.2, 0.7, 90)], sr=sr).astype(np.float64)
    y += 1e-3 * np.random.default_rng(0).standard_normal(y.size)  # a noise floor 71 dB down: no log(0)
    got, err = _call(fn, y, sr)
    if err is not None:
        return err
    kw = {"sr": sr, "n_fft": 1024, "hop_length": 256, "n_mels": 40}
    ref = librosa.feature.mfcc(y=y, n_mfcc=13, **kw)
    if got.shape == ref.T.shape and not got.shape == ref.shape:
        return hint(f"Transposed: librosa's layout is (n_mfcc, n_frames) = {ref.shape}, got {got.shape}.",
                    then="Apply the DCT along the mel axis (axis=0) and keep rows [:13]; do not transpose.")
    if got.shape != ref.shape:
        return hint(f"Expected shape (13, n_frames) = {ref.shape}, got {got.shape}. Keep the first 13 DCT "
                    "coefficients of each frame; n_fft=1024, hop_length=256, center=True.", then=MFCC_STEPS)

    def same(a, b) -> bool:
        return a.shape == b.shape and bool(np.allclose(a, b, atol=1e-4 * np.abs(b).max(), rtol=1e-4))

    if same(got, ref):
        if _calls_library_mfcc(fn):
            return ok("equals librosa.feature.mfcc. You called a library MFCC directly: fine in practice, but "
                      "the exercise is to build it from the parts (stft, mel_filterbank, power_to_db, dct) — "
                      "try that too.")
        return ok("your MFCCs equal librosa.feature.mfcc: 13 per frame")
    mel = librosa.feature.melspectrogram(y=y, **kw)
    dct = lambda a: scipy.fft.dct(a, type=2, norm="ortho", axis=0)[:13]  # noqa: E731
    if same(got * 10 / np.log(10), ref):
        return ok("a valid MFCC in the natural-log convention (HTK and Kaldi use ln). librosa's is the same "
                  "scaled by 10/ln 10 ≈ 4.34 (decibels), and librosa floors the log-mel at 80 dB below its "
                  "maximum; to match librosa.feature.mfcc, use power_to_db instead of np.log.")
    mag_mel = librosa.feature.melspectrogram(y=y, power=1.0, **kw)
    suspects = [
        (dct(mel), hint("The log is missing: your coefficients follow the power itself, so doubling the "
                        "signal would change every one of them.",
                        then="Take librosa.power_to_db (10·log10, floored at 80 dB below the maximum) of the mel "
                             "power before the DCT.")),
        (dct(librosa.power_to_db(mag_mel)), hint("Check what goes into the filterbank: the power spectrum "
                                                 "|X|², not the magnitude |X|.",
                                                 then="power = np.abs(features.stft(...)) ** 2")),
        (librosa.power_to_db(mel)[:13], hint("The DCT is missing: you returned the first 13 log-mel bands, "
                                             "which is a filterbank output, not cepstral coefficients.",
                                             then="scipy.fft.dct(log_mel, type=2, norm='ortho', axis=0)[:13]")),
        (scipy.fft.dct(librosa.power_to_db(mel), type=2, axis=0)[:13],
         hint("The DCT's scaling is off: librosa uses the orthonormal DCT-II.",
              then="scipy.fft.dct(..., type=2, norm='ortho', axis=0)")),
    ]
    for candidate, advice in suspects:
        if same(got, candidate):
            return advice
    if same(got * 10, ref):
        return hint("Your coefficients are 10× too small: log10 of the power is in bels, not decibels.",
                    then="Decibels are 10·log10(power): use features.power_to_db or librosa.power_to_db.")
    return hint("Not equal to librosa.feature.mfcc, and not one of the usual slips. Check each step against "
                "§3–§5 on a single frame.", then=MFCC_STEPS)
