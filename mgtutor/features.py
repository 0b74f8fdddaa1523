"""Audio features from scratch: framing, STFT/ISTFT, Griffin-Lim, mel scales and filterbanks, MFCC, deltas.

Part of mgtutor. Reference implementations in NumPy/SciPy that a learner can read line by line,
each proven equal to librosa 0.11 (or SciPy) in tests/test_features.py over a grid of parameters
(float64: ≤ 1e-6 relative). Derived in notebooks/02_stft.ipynb and notebooks/03_mel_mfcc.ipynb.

Keyword names follow librosa's, so ``features.mfcc(y=y, sr=sr, n_mfcc=13)`` and
``librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13)`` can be swapped. Where the two differ:

* ``stft(center=True)`` pads the whole signal, ``np.pad(y, n_fft // 2, mode=pad_mode)``, as
  librosa's documentation says. librosa 0.11 pads the first and last frames separately (to save
  memory); with "reflect"/"symmetric" and a last stretch of fewer than n_fft//2 + 1 samples its
  last frame reflects that short stretch twice and differs. The tests check that frame with NumPy.
* Only mono 1-D float signals are accepted (librosa also takes multichannel arrays).
* ``mel_filterbank`` raises on ``fmax > sr/2`` (librosa only warns about empty filters later).
* ``mfcc``: ``dct_type`` must be 2 (the only type with a clean inverse story); the mel filters'
  normalisation, which ``librosa.feature.mfcc`` cannot set because its own ``norm`` is the DCT's,
  is ``mel_norm`` here (default ``"slaney"``, librosa's behaviour).
* ``dct_ii`` is the orthonormal DCT-II by default (``scipy.fft.dct(x, type=2, norm="ortho")``).
* ``delta`` is the Savitzky-Golay derivative that ``librosa.feature.delta`` computes with SciPy,
  written out: the same numbers, including the polynomial fit at the edges (``mode="interp"``).

Output layouts follow librosa: spectrograms are (frequency, time), MFCCs are (n_mfcc, time),
``frame`` returns (frame_length, n_frames). Dtypes follow librosa too: float32 audio gives
complex64 STFTs and float32 features; float64 gives complex128/float64.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np

from mgtutor.errors import MgtutorError

__all__ = [
    "FeatureError",
    "dct_ii",
    "delta",
    "fft_frequencies",
    "frame",
    "get_window",
    "griffin_lim",
    "hz_to_mel",
    "istft",
    "mel_filterbank",
    "mel_frequencies",
    "mel_to_hz",
    "mfcc",
    "mfcc_to_mel",
    "mel_to_power",
    "melspectrogram",
    "power_to_db",
    "stft",
]

WindowSpec = str | tuple | np.ndarray | Callable[[int], np.ndarray]
PAD_MODES = ("constant", "edge", "linear_ramp", "reflect", "symmetric")


class FeatureError(MgtutorError, ValueError):
    """Bad input to a feature function: a signal or a parameter it cannot use (the message says how to fix it)."""


# --------------------------------------------------------------------------- input checks


def _check_audio(y, what: str = "y") -> np.ndarray:
    if y is None:
        raise FeatureError(f"{what} is None; pass a 1-D float array of samples")
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise FeatureError(f"{what} must be a 1-D (mono) signal, got shape {arr.shape}; "
                           f"take one channel ({what}[:, 0]) or average them ({what}.mean(axis=1))")
    if arr.size == 0:
        raise FeatureError(f"{what} is empty (0 samples); pass at least one sample")
    if not np.issubdtype(arr.dtype, np.floating):
        raise FeatureError(f"{what} has dtype {arr.dtype}; audio must be floating point in [−1, 1] "
                           f"(for 16-bit integers use {what}.astype(np.float32) / 32768)")
    if not np.all(np.isfinite(arr)):
        raise FeatureError(f"{what} contains NaN or infinite samples; clean it first "
                           "(e.g. np.nan_to_num) or find where they came from")
    return arr


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise FeatureError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_sr(sr) -> float:
    if isinstance(sr, bool) or not isinstance(sr, (int, float, np.integer, np.floating)) \
            or not math.isfinite(sr) or sr <= 0:
        raise FeatureError(f"sr must be a positive sample rate in Hz, got {sr!r}")
    return float(sr)


# --------------------------------------------------------------------------- framing, windows, STFT


def frame(x: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Slice a 1-D signal into overlapping frames (a read-only view, no copy).

    Frame t holds x[t·H : t·H + N] with N = frame_length and H = hop_length; there are
    1 + ⌊(len(x) − N) / H⌋ frames. Same layout as ``librosa.util.frame(x, frame_length=N,
    hop_length=H)``: shape (N, n_frames), one frame per column.

    Args:
        x: 1-D array.
        frame_length: N, samples per frame.
        hop_length: H, samples between frame starts.
    Returns:
        read-only array of shape (frame_length, n_frames).
    Raises:
        FeatureError: x is not 1-D, or shorter than one frame.
    See: notebooks/02_stft.ipynb §3.
    """
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise FeatureError(f"frame expects a 1-D signal, got shape {arr.shape}")
    n = _positive_int(frame_length, "frame_length")
    hop = _positive_int(hop_length, "hop_length")
    if arr.shape[0] < n:
        raise FeatureError(f"signal of {arr.shape[0]} samples is shorter than frame_length={n}; "
                           "pad it or use a shorter frame")
    return _frames(arr, n, hop).T


def _frames(x: np.ndarray, n: int, hop: int) -> np.ndarray:
    """Frames as rows: shape (n_frames, n), a strided view of a contiguous 1-D array."""
    x = np.ascontiguousarray(x)
    n_frames = 1 + (x.shape[0] - n) // hop
    view = np.lib.stride_tricks.as_strided(x, shape=(n_frames, n),
                                           strides=(hop * x.strides[0], x.strides[0]), writeable=False)
    return view


def get_window(window: WindowSpec, win_length: int, n_fft: int | None = None) -> np.ndarray:
    """The analysis window, periodic ("fftbins") and zero-padded on both sides to ``n_fft``.

    Hann: w[n] = ½ − ½ cos(2π n / N), n = 0 … N − 1 (periodic: it overlap-adds to a constant
    at hop N/4 or N/2). Other names and tuples go to ``scipy.signal.get_window``; an array of
    length ``win_length`` is used as it is; a callable is called with ``win_length``.

    Args:
        window: "hann", any SciPy window name or tuple (e.g. ("kaiser", 8.0)), an array, a callable.
        win_length: N, the window's own length.
        n_fft: the frame length to centre it in (default: win_length).
    Returns:
        float64 array of length n_fft.
    Raises:
        FeatureError: win_length > n_fft, a wrong-length array, or an unknown window.
    See: notebooks/02_stft.ipynb §2.
    """
    win_length = _positive_int(win_length, "win_length")
    n_fft = win_length if n_fft is None else _positive_int(n_fft, "n_fft")
    if win_length > n_fft:
        raise FeatureError(f"win_length={win_length} is longer than n_fft={n_fft}; "
                           "use win_length ≤ n_fft")
    if isinstance(window, str) and window in ("hann", "hanning"):
        w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win_length) / win_length)
    elif callable(window):
        w = np.asarray(window(win_length), dtype=np.float64)
    elif isinstance(window, (str, tuple, float, int)):
        import scipy.signal

        try:
            w = scipy.signal.get_window(window, win_length, fftbins=True)
        except (ValueError, TypeError) as exc:
            raise FeatureError(f"unknown window {window!r} ({exc}); use e.g. 'hann', 'hamming', "
                               "'blackman' or ('kaiser', 8.0)") from None
    else:
        w = np.asarray(window, dtype=np.float64)
    if w.shape != (win_length,):
        raise FeatureError(f"window has shape {w.shape}, expected ({win_length},) = (win_length,)")
    left = (n_fft - win_length) // 2
    return np.pad(w, (left, n_fft - win_length - left))


def fft_frequencies(sr: float = 22050, n_fft: int = 2048) -> np.ndarray:
    """Centre frequency of each rfft bin: f_k = k · sr / n_fft, k = 0 … ⌊n_fft/2⌋ (Hz).

    See: notebooks/02_stft.ipynb §1.
    """
    return np.fft.rfftfreq(_positive_int(n_fft, "n_fft"), d=1.0 / _check_sr(sr))


def _stft_setup(y, n_fft, hop_length, win_length, window, center, pad_mode):
    y = _check_audio(y)
    n_fft = _positive_int(n_fft, "n_fft")
    win_length = n_fft if win_length is None else _positive_int(win_length, "win_length")
    hop_length = win_length // 4 if hop_length is None else _positive_int(hop_length, "hop_length")
    if hop_length < 1:
        raise FeatureError(f"win_length={win_length} gives hop_length 0; set hop_length explicitly")
    w = get_window(window, win_length, n_fft)
    if center:
        if pad_mode not in PAD_MODES:
            raise FeatureError(f"pad_mode={pad_mode!r} is not supported; use one of {', '.join(PAD_MODES)}")
        y = np.pad(y, n_fft // 2, mode=pad_mode)
    elif y.shape[0] < n_fft:
        raise FeatureError(f"signal of {y.shape[0]} samples is shorter than n_fft={n_fft} with "
                           "center=False; use center=True (pads n_fft//2 each side), a smaller n_fft, "
                           "or a longer signal")
    return y, n_fft, hop_length, win_length, w


def stft(y: np.ndarray, *, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
         window: WindowSpec = "hann", center: bool = True, pad_mode: str = "constant") -> np.ndarray:
    """Short-time Fourier transform: windowed frames, one rfft each.

    X[k, t] = Σ_{n=0}^{N−1} w[n] · x[t·H + n] · e^(−2πi k n / N),   k = 0 … N/2,
    with N = n_fft, H = hop_length and w the window centred in N samples. With ``center`` the
    signal is first padded by ⌊N/2⌋ samples on each side (``pad_mode``, like ``np.pad``), so
    frame t is centred on sample t·H.

    Same as ``librosa.stft`` with the same keywords (defaults: hop = win_length // 4,
    win_length = n_fft, pad_mode "constant").

    Args:
        y: 1-D float signal.
        n_fft: N, the FFT size (any positive integer; powers of two are fastest).
        hop_length: H in samples.
        win_length: window length ≤ n_fft (zero-padded to n_fft).
        window: see :func:`get_window`.
        center: pad so frames are centred on t·H.
        pad_mode: "constant" (zeros), "edge", "linear_ramp", "reflect" or "symmetric".
    Returns:
        complex array of shape (1 + n_fft // 2, n_frames); complex64 for float32 input, else complex128.
    Raises:
        FeatureError: y not 1-D / not float / not finite / empty, shorter than n_fft with
            center=False, or a bad parameter.
    See: notebooks/02_stft.ipynb §3.
    """
    import scipy.fft

    y, n_fft, hop, _, w = _stft_setup(y, n_fft, hop_length, win_length, window, center, pad_mode)
    frames = _frames(y, n_fft, hop) * w.astype(y.dtype)
    return scipy.fft.rfft(frames, axis=-1).T


def _window_sumsquare(w: np.ndarray, n_frames: int, hop: int) -> np.ndarray:
    n_fft = w.shape[0]
    total = np.zeros(n_fft + hop * (n_frames - 1))
    w2 = w**2
    for t in range(n_frames):
        total[t * hop:t * hop + n_fft] += w2
    return total


def istft(stft_matrix: np.ndarray, *, hop_length: int | None = None, win_length: int | None = None,
          n_fft: int | None = None, window: WindowSpec = "hann", center: bool = True,
          length: int | None = None) -> np.ndarray:
    """Inverse STFT by weighted overlap-add (the least-squares inverse of Griffin & Lim 1984).

    y[n] = Σ_t w[n − tH] · x_t[n − tH] / Σ_t w²[n − tH],   x_t = irfft(X[:, t]),

    which gives back the signal exactly when the squared window overlap-adds to a non-zero
    envelope Σ_t w²[n − tH] (the COLA condition for the squared window). With ``center`` the
    first ⌊N/2⌋ samples (the padding) are dropped; ``length`` trims or zero-pads to a length.
    Same as ``librosa.istft``.

    Args:
        stft_matrix: complex array (1 + n_fft // 2, n_frames).
        hop_length, win_length, window, center: as given to :func:`stft`.
        n_fft: default 2 · (rows − 1).
        length: the output length (e.g. len(y) of the original signal).
    Returns:
        float32 for complex64 input, else float64; shape (length,) or
        (n_fft + H·(n_frames − 1) − 2⌊N/2⌋,) when centred.
    Raises:
        FeatureError: not a 2-D array, or a bad parameter.
    See: notebooks/02_stft.ipynb §5.
    """
    import scipy.fft

    S = np.asarray(stft_matrix)
    if S.ndim != 2 or S.shape[1] == 0:
        raise FeatureError(f"stft_matrix must be 2-D (frequency, time) with ≥ 1 frame, got shape {S.shape}")
    n_fft = 2 * (S.shape[0] - 1) if n_fft is None else _positive_int(n_fft, "n_fft")
    if S.shape[0] != 1 + n_fft // 2:
        raise FeatureError(f"stft_matrix has {S.shape[0]} rows but n_fft={n_fft} needs {1 + n_fft // 2}")
    win_length = n_fft if win_length is None else _positive_int(win_length, "win_length")
    hop = win_length // 4 if hop_length is None else _positive_int(hop_length, "hop_length")
    w = get_window(window, win_length, n_fft)
    dtype = np.float32 if S.dtype == np.complex64 else np.float64
    n_frames = S.shape[1]
    if length is not None:
        length = int(length)
        padded = length + 2 * (n_fft // 2) if center else length
        n_frames = min(n_frames, int(np.ceil(padded / hop)))
    frames = scipy.fft.irfft(S[:, :n_frames].T, n=n_fft, axis=-1) * w.astype(dtype)
    y = np.zeros(n_fft + hop * (n_frames - 1), dtype=dtype)
    for t in range(n_frames):
        y[t * hop:t * hop + n_fft] += frames[t]
    envelope = _window_sumsquare(w, n_frames, hop).astype(dtype)
    nonzero = envelope > np.finfo(dtype).tiny
    y[nonzero] /= envelope[nonzero]
    start = n_fft // 2 if center else 0
    y = y[start:]
    if length is None:
        end = y.shape[0] - start if center else y.shape[0]
        return y[:end]
    if y.shape[0] >= length:
        return y[:length]
    return np.pad(y, (0, length - y.shape[0]))


def griffin_lim(S: np.ndarray, *, n_iter: int = 32, hop_length: int | None = None,
                win_length: int | None = None, n_fft: int | None = None, window: WindowSpec = "hann",
                center: bool = True, length: int | None = None, pad_mode: str = "constant",
                momentum: float = 0.99, init: str | None = "random", seed: int = 0) -> np.ndarray:
    """Recover a signal from a magnitude spectrogram by alternating projections (fast Griffin-Lim).

    Start from phases φ₀; repeat: x = istft(|S|·e^{iφ}), X = stft(x), then
    φ ← angle(X − α/(1+α) · X_prev) (momentum α, Perraudin et al. 2013; α = 0 is the original
    Griffin & Lim 1984). Only the original (α = 0) is guaranteed never to increase the spectral
    distance ‖|S| − |stft(x)|‖ from one iteration to the next: istft is the least-squares inverse and
    the new phase is the current STFT's own. The fast version (α > 0, the default 0.99) has no such
    guarantee and may rise for a step, but usually reaches a lower distance in the same number of
    iterations. Same iteration as ``librosa.griffinlim`` (with ``init=None`` both start at phase 0 and agree).

    Args:
        S: non-negative magnitudes (1 + n_fft // 2, n_frames).
        n_iter: iterations.
        hop_length, win_length, n_fft, window, center, length, pad_mode: as for :func:`stft`.
        momentum: α ≥ 0; 0 is the original, monotone algorithm, 0.99 usually converges faster.
        init: "random" (uniform phases from ``seed``) or None (zero phase).
        seed: seed of the random initial phases.
    Returns:
        the reconstructed 1-D signal.
    Raises:
        FeatureError: negative or non-finite magnitudes, or a bad parameter.
    See: notebooks/02_stft.ipynb §6 and notebooks/03_mel_mfcc.ipynb §6.
    """
    S = np.asarray(S)
    if S.ndim != 2 or np.iscomplexobj(S) or not np.all(np.isfinite(S)) or np.any(S < 0):
        raise FeatureError("griffin_lim expects a 2-D array of finite magnitudes ≥ 0 (use np.abs of an "
                           "STFT), got " + (f"shape {S.shape}" if S.ndim != 2 else "complex/negative/NaN values"))
    if momentum < 0:
        raise FeatureError(f"momentum must be ≥ 0, got {momentum!r}")
    n_fft = 2 * (S.shape[0] - 1) if n_fft is None else n_fft
    cdtype = np.complex64 if S.dtype == np.float32 else np.complex128
    if init == "random":
        angles = np.exp(2j * np.pi * np.random.default_rng(seed).random(S.shape)).astype(cdtype)
    elif init is None:
        angles = np.ones(S.shape, dtype=cdtype)
    else:
        raise FeatureError(f"init must be 'random' or None, got {init!r}")
    inv = {"hop_length": hop_length, "win_length": win_length, "n_fft": n_fft, "window": window,
           "center": center, "length": length}
    fwd = {"n_fft": n_fft, "hop_length": hop_length, "win_length": win_length, "window": window,
           "center": center, "pad_mode": pad_mode}
    eps = np.finfo(S.dtype).tiny
    previous = None
    for _ in range(int(n_iter)):
        rebuilt = stft(istft(S * angles, **inv), **fwd)
        angles = rebuilt.copy()
        if previous is not None:
            angles -= (momentum / (1 + momentum)) * previous
        angles /= np.abs(angles) + eps
        previous = rebuilt
    return istft(S * angles, **inv)


# --------------------------------------------------------------------------- mel scale and filterbank

_F_SP = 200.0 / 3  # Slaney: 66.67 Hz per mel below 1 kHz
_MIN_LOG_HZ = 1000.0
_MIN_LOG_MEL = _MIN_LOG_HZ / _F_SP  # = 15
_LOGSTEP = math.log(6.4) / 27.0  # 27 mels per factor 6.4 above 1 kHz


def hz_to_mel(frequencies, *, htk: bool = False):
    """Frequency in Hz → mel, by either of the two definitions in use.

    HTK (O'Shaughnessy 1987): m = 2595 · log10(1 + f / 700).
    Slaney (Auditory Toolbox; librosa's default): m = f / (200/3) below 1 kHz (linear), and
    m = 15 + 27 · ln(f / 1000) / ln(6.4) above (logarithmic).

    Args:
        frequencies: Hz, scalar or array (≥ 0).
        htk: use the HTK formula instead of Slaney's.
    Returns:
        mels, a float for a scalar input, else an array of the same shape.
    Raises:
        FeatureError: negative or non-finite frequencies.
    See: notebooks/03_mel_mfcc.ipynb §1.
    """
    f = np.asarray(frequencies, dtype=np.float64)
    if not np.all(np.isfinite(f)) or np.any(f < 0):
        raise FeatureError(f"hz_to_mel: frequencies must be finite and ≥ 0 Hz, got {frequencies!r}")
    if htk:
        mels = 2595.0 * np.log10(1.0 + f / 700.0)
    else:
        mels = np.where(f >= _MIN_LOG_HZ,
                        _MIN_LOG_MEL + np.log(np.maximum(f, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOGSTEP,
                        f / _F_SP)
    return float(mels) if mels.ndim == 0 else mels


def mel_to_hz(mels, *, htk: bool = False):
    """Mel → frequency in Hz: the inverse of :func:`hz_to_mel`.

    HTK: f = 700 · (10^(m / 2595) − 1).
    Slaney: f = (200/3) · m below 15 mel, f = 1000 · 6.4^((m − 15) / 27) above.

    Raises:
        FeatureError: non-finite values.
    See: notebooks/03_mel_mfcc.ipynb §1.
    """
    m = np.asarray(mels, dtype=np.float64)
    if not np.all(np.isfinite(m)):
        raise FeatureError(f"mel_to_hz: mels must be finite, got {mels!r}")
    if htk:
        f = 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    else:
        f = np.where(m >= _MIN_LOG_MEL,
                     _MIN_LOG_HZ * np.exp(_LOGSTEP * (np.maximum(m, _MIN_LOG_MEL) - _MIN_LOG_MEL)),
                     _F_SP * m)
    return float(f) if f.ndim == 0 else f


def mel_frequencies(n_mels: int = 128, *, fmin: float = 0.0, fmax: float = 11025.0,
                    htk: bool = False) -> np.ndarray:
    """``n_mels`` frequencies (Hz) equally spaced on the mel scale from fmin to fmax (both included).

    f_i = mel_to_hz(m_min + i · (m_max − m_min) / (n_mels − 1)).

    See: notebooks/03_mel_mfcc.ipynb §2.
    """
    n_mels = _positive_int(n_mels, "n_mels")
    mels = np.linspace(hz_to_mel(fmin, htk=htk), hz_to_mel(fmax, htk=htk), n_mels)
    return mel_to_hz(mels, htk=htk)


def mel_filterbank(*, sr: float, n_fft: int, n_mels: int = 128, fmin: float = 0.0,
                   fmax: float | None = None, htk: bool = False, norm: str | None = "slaney",
                   dtype=np.float32) -> np.ndarray:
    """Triangular mel filters, one row per band, over the rfft bins of an n_fft-point frame.

    With n_mels + 2 edge frequencies f_0 < f_1 < … equally spaced in mel between fmin and fmax,
    band m (m = 1 … n_mels) rises linearly from f_{m−1} to f_m and falls to f_{m+1}:
        W[m, k] = max(0, min((f_k − f_{m−1}) / (f_m − f_{m−1}), (f_{m+1} − f_k) / (f_{m+1} − f_m))).
    With norm="slaney" each triangle is scaled by 2 / (f_{m+1} − f_{m−1}) so every band has the
    same area (constant energy per band); norm=None leaves peaks at 1.
    Same as ``librosa.filters.mel`` (whose default dtype is float32 as well).

    Args:
        sr: sample rate in Hz.
        n_fft: FFT size; there are 1 + n_fft // 2 bins.
        n_mels: number of bands.
        fmin, fmax: band edges in Hz (fmax defaults to sr / 2, the Nyquist frequency).
        htk: HTK mel formula instead of Slaney's.
        norm: "slaney" or None.
        dtype: output dtype.
    Returns:
        array of shape (n_mels, 1 + n_fft // 2).
    Raises:
        FeatureError: fmax > sr/2, fmin < 0, fmin ≥ fmax, n_mels < 1, or an unknown norm.
    Warns:
        UserWarning: some bands fall between FFT bins and are empty (too many mels for n_fft).
    See: notebooks/03_mel_mfcc.ipynb §2.
    """
    sr = _check_sr(sr)
    n_fft = _positive_int(n_fft, "n_fft")
    n_mels = _positive_int(n_mels, "n_mels")
    fmax = sr / 2 if fmax is None else float(fmax)
    if fmax > sr / 2:
        raise FeatureError(f"fmax={fmax:g} Hz is above the Nyquist frequency sr/2 = {sr / 2:g} Hz; "
                           "use fmax ≤ sr/2 (or None)")
    if not 0 <= fmin < fmax:
        raise FeatureError(f"need 0 ≤ fmin < fmax, got fmin={fmin!r}, fmax={fmax!r}")
    if norm not in (None, "slaney"):
        raise FeatureError(f"norm must be 'slaney' or None, got {norm!r}")
    bins = fft_frequencies(sr, n_fft)
    edges = mel_frequencies(n_mels + 2, fmin=fmin, fmax=fmax, htk=htk)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (bins - lower) / (centre - lower)
    falling = (upper - bins) / (upper - centre)
    weights = np.maximum(0.0, np.minimum(rising, falling)).astype(dtype)
    if norm == "slaney":
        weights *= 2.0 / (upper - lower)  # in place: rounded to dtype twice, exactly like librosa
    empty = ~np.any(weights > 0, axis=1)
    if np.any(empty):
        warnings.warn(f"{int(empty.sum())} of {n_mels} mel bands are empty: n_mels={n_mels} is too many "
                      f"for n_fft={n_fft} at sr={sr:g}; use fewer mels or a larger n_fft",
                      UserWarning, stacklevel=2)
    return weights


def power_to_db(S: np.ndarray, *, ref: float | Callable = 1.0, amin: float = 1e-10,
                top_db: float | None = 80.0) -> np.ndarray:
    """Power → decibels, floored: 10·log10(max(amin, S)) − 10·log10(max(amin, ref)).

    Then, with ``top_db``, values more than top_db below the maximum are raised to max − top_db.
    ``ref`` may be a callable such as ``np.max`` (then 0 dB is the loudest bin).
    Same as ``librosa.power_to_db``.

    Raises:
        FeatureError: amin ≤ 0, top_db < 0, or complex input (take np.abs(X)**2 first).
    See: notebooks/03_mel_mfcc.ipynb §3.
    """
    S = np.asarray(S)
    if np.iscomplexobj(S):
        raise FeatureError("power_to_db got complex values; pass a power spectrogram np.abs(X)**2")
    if amin <= 0:
        raise FeatureError(f"amin must be > 0, got {amin!r}")
    if top_db is not None and top_db < 0:
        raise FeatureError(f"top_db must be ≥ 0 or None, got {top_db!r}")
    ref_value = ref(S) if callable(ref) else np.abs(ref)
    log_spec = np.maximum(amin, S)
    np.log10(log_spec, out=log_spec)  # in place: same numbers as 10·log10(...), fewer temporaries
    log_spec *= 10.0
    log_spec -= 10.0 * np.log10(np.maximum(amin, ref_value))
    if top_db is not None:
        np.maximum(log_spec, log_spec.max() - top_db, out=log_spec)
    return log_spec


def melspectrogram(y: np.ndarray, *, sr: float = 22050, n_fft: int = 2048, hop_length: int = 512,
                   win_length: int | None = None, window: WindowSpec = "hann", center: bool = True,
                   pad_mode: str = "constant", power: float = 2.0, n_mels: int = 128,
                   fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
                   norm: str | None = "slaney") -> np.ndarray:
    """Mel spectrogram: M = W · |X|^power, the filterbank applied to each STFT frame.

    Same as ``librosa.feature.melspectrogram`` with the same keywords.

    Returns:
        array (n_mels, n_frames), float32 for float32 input.
    Raises:
        FeatureError: as :func:`stft` and :func:`mel_filterbank`.
    See: notebooks/03_mel_mfcc.ipynb §3.
    """
    fb = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm)
    return _mel_frames(y, n_fft, hop_length, win_length, window, center, pad_mode, power, fb).T


def _mel_frames(y, n_fft, hop_length, win_length, window, center, pad_mode, power, fb) -> np.ndarray:
    """(|X|^power) @ fb.T with frames as rows (or |X|^power itself when fb is None).

    The same numbers as stft → power → matrix product. The power spectrum is computed a few
    hundred frames at a time, so the complex spectrogram never exists in full and each block
    stays in the CPU cache; then one matrix product applies the filterbank to all frames.
    """
    import scipy.fft

    y, n_fft, hop, _, w = _stft_setup(y, n_fft, hop_length, win_length, window, center, pad_mode)
    frames = _frames(y, n_fft, hop)
    w = w.astype(y.dtype)
    P = np.empty((frames.shape[0], 1 + n_fft // 2), dtype=y.dtype)
    block = max(1, (1 << 22) // (n_fft * y.itemsize))  # about 4 MB of frames per block
    for start in range(0, frames.shape[0], block):
        X = scipy.fft.rfft(frames[start:start + block] * w, axis=-1)
        out = P[start:start + block]
        if power == 2.0:
            np.square(X.real, out=out)  # |X|² = Re² + Im², without the square root of np.abs
            out += np.square(X.imag)
        else:
            out[:] = np.abs(X) if power == 1.0 else np.abs(X) ** power
    return P if fb is None else P @ fb.T.astype(y.dtype, copy=False)


# --------------------------------------------------------------------------- DCT, MFCC, deltas


def dct_ii(x: np.ndarray, *, axis: int = -1, norm: str | None = "ortho") -> np.ndarray:
    """The DCT-II along ``axis``, written as a matrix product.

    X_k = s_k · Σ_{n=0}^{N−1} x_n cos(π k (2n + 1) / (2N)),  k = 0 … N − 1,
    with s_0 = √(1/N), s_k = √(2/N) (norm="ortho": the matrix is orthonormal, its inverse is its
    transpose) or s_k = 2 (norm=None, SciPy's unnormalised convention).
    Same as ``scipy.fft.dct(x, type=2, norm=norm, axis=axis)``.

    Raises:
        FeatureError: empty axis or an unknown norm.
    See: notebooks/03_mel_mfcc.ipynb §4.
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[axis] == 0:
        raise FeatureError(f"dct_ii needs a non-empty axis {axis}, got shape {x.shape}")
    if norm not in ("ortho", None):
        raise FeatureError(f"norm must be 'ortho' or None, got {norm!r}")
    n = x.shape[axis]
    k = np.arange(n)[:, None]
    basis = np.cos(np.pi * k * (2 * np.arange(n)[None, :] + 1) / (2 * n))
    if norm == "ortho":
        basis *= np.where(k == 0, math.sqrt(1.0 / n), math.sqrt(2.0 / n))
    else:
        basis *= 2.0
    out = np.moveaxis(x, axis, -1) @ basis.T.astype(np.result_type(x.dtype, np.float32), copy=False)
    return np.moveaxis(out, -1, axis)


def _lifter(n_mfcc: int, lifter: float) -> np.ndarray:
    return 1.0 + (lifter / 2.0) * np.sin(np.pi * np.arange(1, n_mfcc + 1) / lifter)


def mfcc(y: np.ndarray | None = None, *, sr: float = 22050, S: np.ndarray | None = None,
         n_mfcc: int = 20, dct_type: int = 2, norm: str | None = "ortho", lifter: float = 0,
         n_fft: int = 2048, hop_length: int = 512, win_length: int | None = None,
         window: WindowSpec = "hann", center: bool = True, pad_mode: str = "constant",
         power: float = 2.0, n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None,
         htk: bool = False, mel_norm: str | None = "slaney") -> np.ndarray:
    """Mel-frequency cepstral coefficients: frame → |FFT|² → mel filterbank → dB → DCT-II → keep n_mfcc.

    c[q, t] = Σ_m s_q cos(π q (2m + 1) / (2M)) · 10·log10(max(10⁻¹⁰, Σ_k W[m, k] |X[k, t]|²)),
    floored at 80 dB below the maximum, q = 0 … n_mfcc − 1 (M = n_mels, orthonormal DCT-II).
    With lifter L > 0 coefficient q is multiplied by 1 + (L/2) sin(π (q + 1) / L).
    Same as ``librosa.feature.mfcc`` with the same keywords (``mel_norm`` is the filterbank's
    ``norm``; librosa always uses "slaney" there).

    Args:
        y: 1-D float signal (or give ``S``).
        sr: sample rate in Hz.
        S: a log-power mel spectrogram (dB) to use instead of y.
        n_mfcc: coefficients to keep (≤ n_mels).
        dct_type: must be 2.
        norm: "ortho" (default) or None, for the DCT.
        lifter: L ≥ 0 (0: no liftering).
        n_fft, hop_length, win_length, window, center, pad_mode, power: as for :func:`stft`.
        n_mels, fmin, fmax, htk, mel_norm: as for :func:`mel_filterbank`.
    Returns:
        array (n_mfcc, n_frames); float32 for float32 input, else float64.
    Raises:
        FeatureError: bad signal (see :func:`stft`), n_mfcc > n_mels, lifter < 0, dct_type ≠ 2.
    See: notebooks/03_mel_mfcc.ipynb §5.
    """
    import scipy.fft

    n_mfcc = _positive_int(n_mfcc, "n_mfcc")
    if dct_type != 2:
        raise FeatureError(f"dct_type={dct_type!r}: only the DCT-II (dct_type=2) is implemented")
    if not (isinstance(lifter, (int, float, np.integer, np.floating)) and lifter >= 0):
        raise FeatureError(f"lifter must be a number ≥ 0, got {lifter!r}")
    if norm not in ("ortho", None):
        raise FeatureError(f"norm must be 'ortho' or None, got {norm!r}")
    if S is None:
        if n_mfcc > n_mels:
            raise FeatureError(f"n_mfcc={n_mfcc} > n_mels={n_mels}: the DCT of {n_mels} bands has only "
                               f"{n_mels} coefficients; lower n_mfcc or raise n_mels")
        fb = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk,
                            norm=mel_norm)
        mel = _mel_frames(y, n_fft, hop_length, win_length, window, center, pad_mode, power, fb)
        log_mel = power_to_db(mel)  # (n_frames, n_mels)
    else:
        S = np.asarray(S)
        if S.ndim != 2 or not np.all(np.isfinite(S)):
            raise FeatureError(f"S must be a finite 2-D log-mel spectrogram (n_mels, n_frames), got shape {S.shape}")
        if n_mfcc > S.shape[0]:
            raise FeatureError(f"n_mfcc={n_mfcc} > {S.shape[0]} mel bands in S; lower n_mfcc")
        log_mel = S.T
    coeffs = scipy.fft.dct(log_mel, type=2, norm=norm, axis=-1)[:, :n_mfcc]
    if lifter > 0:
        coeffs = coeffs * _lifter(n_mfcc, float(lifter)).astype(coeffs.dtype)
    return np.ascontiguousarray(coeffs.T)


def mfcc_to_mel(mfccs: np.ndarray, *, n_mels: int = 128, norm: str | None = "ortho",
                lifter: float = 0, ref: float = 1.0) -> np.ndarray:
    """Undo the last steps of :func:`mfcc`: un-lifter, zero-pad to n_mels, inverse DCT, dB → power.

    The coefficients dropped (q ≥ n_mfcc) come back as zeros: the fine spectral detail (e.g.
    the harmonics of a pitch) is lost for good — this is what MFCCs throw away.

    Returns:
        mel power spectrogram (n_mels, n_frames).
    Raises:
        FeatureError: more coefficients than n_mels, or lifter < 0.
    See: notebooks/03_mel_mfcc.ipynb §6.
    """
    import scipy.fft

    C = np.asarray(mfccs, dtype=np.float64)
    if C.ndim != 2 or C.shape[0] > n_mels:
        raise FeatureError(f"mfccs must be 2-D (n_mfcc ≤ n_mels={n_mels}, n_frames), got shape {C.shape}")
    if lifter < 0:
        raise FeatureError(f"lifter must be ≥ 0, got {lifter!r}")
    if lifter > 0:
        C = C / _lifter(C.shape[0], float(lifter))[:, None]
    log_mel = scipy.fft.idct(C, type=2, norm=norm, axis=0, n=n_mels)
    return ref * 10.0 ** (log_mel / 10.0)


def mel_to_power(M: np.ndarray, *, sr: float = 22050, n_fft: int = 2048, n_mels: int | None = None,
                 fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
                 norm: str | None = "slaney", n_iter: int = 100) -> np.ndarray:
    """Approximate a power spectrogram P ≥ 0 from a mel one M: non-negative least squares, W·P ≈ M.

    n_mels bands cannot determine 1 + n_fft/2 bins, so among the non-negative solutions this
    finds a smooth one: start from each band's energy spread over its triangle,
    P₀ = Wᵀ (M / rowsum(W Wᵀ)), then apply the multiplicative updates of Lee & Seung (2001),
    P ← P ⊙ (Wᵀ M) / (Wᵀ W P), which keep P ≥ 0 and decrease ‖W P − M‖².
    This is not the pseudo-inverse W⁺M: that minimum-norm solution has negative "powers"
    (about 6 % of the values for the chorale clip of the notebook's §6).
    (librosa.feature.inverse.mel_to_stft solves the same problem with L-BFGS-B.)

    Args:
        M: mel power spectrogram (n_mels, n_frames), ≥ 0.
        sr, n_fft, fmin, fmax, htk, norm: the filterbank's parameters (as for :func:`mel_filterbank`).
        n_mels: defaults to M.shape[0].
        n_iter: number of multiplicative updates.
    Returns:
        array (1 + n_fft // 2, n_frames) ≥ 0.
    Raises:
        FeatureError: M not 2-D, negative or not finite.
    See: notebooks/03_mel_mfcc.ipynb §6.
    """
    M = np.asarray(M, dtype=np.float64)
    if M.ndim != 2 or not np.all(np.isfinite(M)) or np.any(M < 0):
        raise FeatureError(f"M must be a 2-D mel power spectrogram (n_mels, n_frames) of finite values ≥ 0, "
                           f"got shape {M.shape}")
    W = mel_filterbank(sr=sr, n_fft=n_fft, n_mels=M.shape[0] if n_mels is None else n_mels,
                       fmin=fmin, fmax=fmax, htk=htk, norm=norm, dtype=np.float64)
    if W.shape[0] != M.shape[0]:
        raise FeatureError(f"M has {M.shape[0]} bands but n_mels={W.shape[0]}")
    P = W.T @ (M / np.maximum((W @ W.T).sum(axis=1), np.finfo(float).tiny)[:, None])
    target = W.T @ M
    for _ in range(int(n_iter)):
        P *= target / np.maximum(W.T @ (W @ P), np.finfo(float).tiny)
    return P


def _savgol_kernel(width: int, order: int) -> np.ndarray:
    """Weights k with Σ_j k_j x_j = the order-th derivative of the degree-``order`` least-squares
    polynomial through x_0 … x_{width−1} (positions centred on the middle sample).

    Fitting p(u) = Σ_j a_j u^j, u = position − centre, gives a = V⁺ x with V_{ij} = u_i^j; the
    order-th derivative of a degree-``order`` polynomial is the constant order! · a_order.
    """
    u = np.arange(width, dtype=np.float64) - (width - 1) / 2
    fit = np.linalg.pinv(u[:, None] ** np.arange(order + 1)[None, :])  # (order + 1, width)
    return math.factorial(order) * fit[order]


def delta(data: np.ndarray, *, width: int = 9, order: int = 1, axis: int = -1,
          mode: str = "interp") -> np.ndarray:
    """Local derivative (delta) features by Savitzky-Golay least-squares fitting.

    For order 1 this is the regression slope over a window of ±N = ±(width − 1)/2 frames:
        d_t = Σ_{n=1}^{N} n (c_{t+n} − c_{t−n}) / (2 Σ_{n=1}^{N} n²).
    In general: fit a polynomial of degree ``order`` to each window by least squares and take
    its order-th derivative at the window centre. At the edges, mode="interp" fits the first and
    last full windows instead; other modes pad like ``scipy.ndimage`` ("nearest", "mirror",
    "constant", "wrap"). Same as ``librosa.feature.delta``.

    Args:
        data: array of features, e.g. MFCCs (n_mfcc, n_frames).
        width: odd window length ≥ 3.
        order: derivative order ≥ 1 (2 gives delta-deltas).
        axis: the time axis.
        mode: edge handling.
    Returns:
        array of data's shape.
    Raises:
        FeatureError: even or too small width, order < 1, or with mode="interp" fewer frames than width.
    See: notebooks/03_mel_mfcc.ipynb §5.
    """
    data = np.asarray(data)
    if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 3 or width % 2 == 0:
        raise FeatureError(f"width must be an odd integer ≥ 3, got {width!r}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise FeatureError(f"order must be an integer ≥ 1, got {order!r}")
    if order >= width:
        raise FeatureError(f"order={order} needs width > order (a degree-{order} fit of {width} points)")
    pads = {"nearest": "edge", "mirror": "reflect", "constant": "constant", "wrap": "wrap"}
    if mode != "interp" and mode not in pads:
        raise FeatureError(f"mode must be 'interp' or one of {', '.join(pads)}, got {mode!r}")
    x = np.moveaxis(data, axis, -1).astype(np.result_type(data.dtype, np.float32), copy=False)
    n = x.shape[-1]
    half = width // 2
    if mode == "interp" and n < width:
        raise FeatureError(f"mode='interp' needs at least width={width} frames along axis {axis}, got {n}; "
                           "use a smaller odd width or mode='nearest'")
    kernel = _savgol_kernel(width, order).astype(x.dtype)
    xp = np.pad(x, [(0, 0)] * (x.ndim - 1) + [(half, half)], mode=pads.get(mode, "edge"))
    out = np.lib.stride_tricks.sliding_window_view(xp, width, axis=-1) @ kernel  # (..., n)
    if mode == "interp":
        # The fitted polynomial's derivative is constant, so at the edges every position takes
        # the value of the first (last) full window's fit.
        out[..., :half] = (x[..., :width] @ kernel)[..., None]
        out[..., n - half:] = (x[..., n - width:] @ kernel)[..., None]
    return np.moveaxis(out, -1, axis)
