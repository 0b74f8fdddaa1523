"""mgtutor.features against librosa 0.11 and SciPy over a grid of parameters.

Error measure: the norm-wise relative error max|ours − ref| / max|ref| of each output, in float64;
the bound is 1e-6 everywhere (observed: ~1e-15). The grids cover sample rates 8–48 kHz, n_fft
256–4096 including non-powers of two, hops, windows, centring and pad modes, mel counts, fmin/fmax,
HTK/Slaney, filter norms, n_mfcc and liftering. Each grid is a full product where calls are cheap
and a seeded sample of the product where they are not, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import itertools
import warnings

import librosa
import numpy as np
import pytest
import scipy.fft

from mgtutor import features as F
from mgtutor.features import FeatureError

RTOL = 1e-6
RNG = np.random.default_rng(1234)
SIGNAL = RNG.standard_normal(6000)  # white noise excites every bin: the harshest comparison


def rel_err(ours, ref) -> float:
    ours, ref = np.asarray(ours), np.asarray(ref)
    assert ours.shape == ref.shape, (ours.shape, ref.shape)
    scale = np.max(np.abs(ref))
    return float(np.max(np.abs(ours - ref)) / scale) if scale > 0 else float(np.max(np.abs(ours)))


# ---------------------------------------------------------------------------------------------
# Grids (also used to report the worst error: `python -c "import tests.test_features as t; ..."`)
# ---------------------------------------------------------------------------------------------

STFT_GRID = list(itertools.product(
    (256, 300, 512, 1000, 2047, 4096),                  # n_fft, incl. non-powers of two
    ("quarter", 77, "full"),                            # hop
    (None, "short"),                                    # win_length
    ("hann", "hamming", "blackman", ("kaiser", 8.0)),   # window
    ((False, None), (True, "constant"), (True, "reflect"), (True, "edge")),  # center, pad_mode
))


def _stft_kwargs(n_fft, hop, win, window, centre):
    win_length = None if win is None else (3 * n_fft) // 4 + 1
    wl = n_fft if win_length is None else win_length
    hop_length = {"quarter": wl // 4, "full": wl}.get(hop, hop)
    center, pad_mode = centre
    kw = {"n_fft": n_fft, "hop_length": hop_length, "win_length": win_length, "window": window,
          "center": center}
    return kw if pad_mode is None else kw | {"pad_mode": pad_mode}


def librosa_stft(y, **kw):
    """librosa.stft, except for one documented edge case where the last frame is taken from NumPy.

    librosa 0.11 pads the head and the tail of the signal separately (to save memory); with
    pad_mode "reflect"/"symmetric" and a tail segment shorter than n_fft//2 + 1 samples, np.pad
    reflects that short segment twice, so its last frame is not the frame of the padded signal its
    documentation describes. For that frame the reference is np.fft.rfft of the frame of
    np.pad(y, n_fft//2, mode=pad_mode), computed here independently.
    """
    ref = librosa.stft(y, **kw)
    if kw.get("center", True) and kw.get("pad_mode") in ("reflect", "symmetric"):
        n_fft, hop = kw["n_fft"], kw["hop_length"]
        padded = np.pad(y, n_fft // 2, mode=kw["pad_mode"])
        t = ref.shape[1] - 1
        wl = kw.get("win_length") or n_fft
        w = librosa.filters.get_window(kw["window"], wl, fftbins=True)
        w = np.pad(w, ((n_fft - wl) // 2, n_fft - wl - (n_fft - wl) // 2))
        ref[:, t] = np.fft.rfft(padded[t * hop:t * hop + n_fft] * w)
    return ref


def stft_grid_errors():
    errors = []
    for params in STFT_GRID:
        kw = _stft_kwargs(*params)
        ours = F.stft(SIGNAL, **kw)
        errors.append((kw, rel_err(ours, librosa_stft(SIGNAL, **kw))))
        if kw["hop_length"] <= (kw["win_length"] or kw["n_fft"]) // 2:  # invertible (NOLA) settings
            inv_kw = {k: v for k, v in kw.items() if k != "pad_mode"}
            ref = librosa.stft(SIGNAL, **kw)
            errors.append((kw | {"istft": True}, rel_err(F.istft(ref, length=SIGNAL.size, **inv_kw),
                                                         librosa.istft(ref, length=SIGNAL.size, **inv_kw))))
    return errors


def test_librosa_tail_padding_edge_case_is_only_the_last_frame():
    kw = _stft_kwargs(300, "full", None, "hamming", (True, "reflect"))
    diff = np.abs(F.stft(SIGNAL, **kw) - librosa.stft(SIGNAL, **kw)).max(axis=0)
    assert np.flatnonzero(diff > 1e-9).tolist() == [diff.size - 1]


MEL_GRID = list(itertools.product(
    (8000, 16000, 22050, 44100, 48000), (256, 300, 1024, 2047, 4096), (20, 40, 128),
    ("full", "band"), (False, True), (None, "slaney")))


def mel_grid_errors():
    errors = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "empty filters" for too many mels: both warn
        for sr, n_fft, n_mels, band, htk, norm in MEL_GRID:
            fmin, fmax = (0.0, None) if band == "full" else (30.0, 0.45 * sr)
            kw = {"sr": sr, "n_fft": n_fft, "n_mels": n_mels, "fmin": fmin, "fmax": fmax, "htk": htk,
                  "norm": norm, "dtype": np.float64}
            errors.append((kw, rel_err(F.mel_filterbank(**kw), librosa.filters.mel(**kw))))
    return errors


def _mfcc_cases(n_cases: int = 120, seed: int = 7):
    grid = list(itertools.product(
        (8000, 16000, 22050, 44100, 48000), (256, 500, 1024, 2048, 4096), ("quarter", "half"),
        ("hann", "hamming"), (True, False), (20, 40, 128), ("full", "band"), (False, True),
        (13, 20), (0, 22)))
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(grid), size=n_cases, replace=False)
    for i in picks:
        sr, n_fft, hop, window, center, n_mels, band, htk, n_mfcc, lifter = grid[i]
        fmin, fmax = (0.0, None) if band == "full" else (40.0, 0.4 * sr)
        yield {"sr": sr, "n_fft": n_fft, "hop_length": n_fft // (4 if hop == "quarter" else 2),
               "window": window, "center": center, "n_mels": n_mels, "fmin": fmin, "fmax": fmax,
               "htk": htk, "n_mfcc": n_mfcc, "lifter": lifter}


def mfcc_grid_errors():
    errors = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for kw in _mfcc_cases():
            n = max(int(0.4 * kw["sr"]), 2 * kw["n_fft"])
            y = np.sin(2 * np.pi * 440 * np.arange(n) / kw["sr"]) + 0.05 * np.resize(SIGNAL, n)
            errors.append((kw, rel_err(F.mfcc(y=y, **kw), librosa.feature.mfcc(y=y, **kw))))
    return errors


# ---------------------------------------------------------------------------------------------
# STFT / ISTFT
# ---------------------------------------------------------------------------------------------


def test_stft_and_istft_match_librosa_over_the_grid():
    errors = stft_grid_errors()
    worst_kw, worst = max(errors, key=lambda e: e[1])
    assert len(STFT_GRID) == 576 and len(errors) == 576 + 384  # STFTs + ISTFTs where hop ≤ win/2
    assert worst <= RTOL, worst_kw


def test_stft_dtypes_follow_librosa():
    y32 = SIGNAL.astype(np.float32)
    ours, ref = F.stft(y32, n_fft=512), librosa.stft(y32, n_fft=512)
    assert ours.dtype == ref.dtype == np.complex64
    assert rel_err(ours, ref) < 1e-5
    assert F.istft(ours).dtype == librosa.istft(ref).dtype == np.float32


def test_stft_is_the_dft_of_each_windowed_frame():
    n_fft, hop = 64, 16
    X = F.stft(SIGNAL[:640], n_fft=n_fft, hop_length=hop, center=False)
    w = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    t = 5
    np.testing.assert_allclose(X[:, t], np.fft.fft(SIGNAL[t * hop:t * hop + n_fft] * w)[:33], atol=1e-12)


def test_istft_reconstructs_perfectly_when_cola_holds():
    for n_fft, hop in ((512, 128), (1000, 250), (2048, 512)):
        y = SIGNAL[:5000]
        back = F.istft(F.stft(y, n_fft=n_fft, hop_length=hop), hop_length=hop, length=y.size)
        np.testing.assert_allclose(back, y, atol=1e-10)


def test_istft_without_length_matches_librosa():
    X = librosa.stft(SIGNAL, n_fft=1000, hop_length=300)
    for center in (True, False):
        assert rel_err(F.istft(X, hop_length=300, center=center),
                       librosa.istft(X, hop_length=300, center=center)) <= RTOL


def test_frame_matches_librosa_util_frame():
    ours = F.frame(SIGNAL, frame_length=400, hop_length=160)
    np.testing.assert_array_equal(ours, librosa.util.frame(SIGNAL, frame_length=400, hop_length=160))
    assert not ours.flags.writeable


def test_griffin_lim_matches_librosa_with_zero_initial_phase():
    y = SIGNAL[:4000]
    S = np.abs(librosa.stft(y, n_fft=512, hop_length=128))
    ours = F.griffin_lim(S, n_iter=8, hop_length=128, init=None)
    ref = librosa.griffinlim(S, n_iter=8, hop_length=128, n_fft=512, init=None)
    assert rel_err(ours, ref) <= RTOL


def test_griffin_lim_reduces_spectral_error():
    t = np.arange(8000) / 8000
    y = np.sin(2 * np.pi * 440 * t) * np.exp(-3 * t)
    S = np.abs(F.stft(y, n_fft=512, hop_length=128))

    def spectral_error(x):
        return np.linalg.norm(np.abs(F.stft(x, n_fft=512, hop_length=128)) - S) / np.linalg.norm(S)

    early = spectral_error(F.griffin_lim(S, n_iter=1, hop_length=128, length=y.size))
    late = spectral_error(F.griffin_lim(S, n_iter=30, hop_length=128, length=y.size))
    assert late < 0.5 * early and late < 0.2


def test_griffin_lim_without_momentum_never_increases_the_spectral_error():
    """The original algorithm (momentum 0) is monotone at every iteration, on a signal that is not a pure tone."""
    y = SIGNAL[:3000] * np.hanning(3000)
    S = np.abs(F.stft(y, n_fft=256, hop_length=64))

    def spectral_error(x):
        return np.linalg.norm(np.abs(F.stft(x, n_fft=256, hop_length=64)) - S) / np.linalg.norm(S)

    errors = [spectral_error(F.griffin_lim(S, n_iter=k, hop_length=64, length=y.size, momentum=0))
              for k in range(13)]
    assert np.all(np.diff(errors) <= 1e-12) and errors[-1] < errors[0]


# ---------------------------------------------------------------------------------------------
# Mel scale, filterbank, dB, DCT, MFCC, deltas
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("htk", [False, True])
def test_mel_scale_both_definitions_match_librosa(htk):
    f = np.linspace(0, 24000, 4801)
    assert rel_err(F.hz_to_mel(f, htk=htk), librosa.hz_to_mel(f, htk=htk)) <= 1e-12
    m = np.linspace(0, F.hz_to_mel(24000, htk=htk), 999)
    assert rel_err(F.mel_to_hz(m, htk=htk), librosa.mel_to_hz(m, htk=htk)) <= 1e-12
    np.testing.assert_allclose(F.mel_to_hz(F.hz_to_mel(f, htk=htk), htk=htk), f, atol=1e-9)


def test_mel_scale_hand_computed_values():
    assert F.hz_to_mel(1000.0) == pytest.approx(15.0)           # Slaney: linear up to 1 kHz, 15 mel
    assert F.hz_to_mel(6400.0) == pytest.approx(15.0 + 27.0)    # then 27 mel per factor 6.4
    assert F.hz_to_mel(1000.0, htk=True) == pytest.approx(1000.0, abs=0.05)  # HTK: ~1000 mel at 1 kHz
    assert F.hz_to_mel(700.0, htk=True) == pytest.approx(2595 * np.log10(2))


def test_mel_filterbank_matches_librosa_over_the_grid():
    errors = mel_grid_errors()
    assert len(errors) == len(MEL_GRID) == 600
    worst_kw, worst = max(errors, key=lambda e: e[1])
    assert worst <= RTOL, worst_kw


def test_mel_filterbank_float32_default_is_bit_identical_to_librosa():
    ours = F.mel_filterbank(sr=22050, n_fft=2048)
    ref = librosa.filters.mel(sr=22050, n_fft=2048)
    assert ours.dtype == ref.dtype == np.float32
    np.testing.assert_array_equal(ours, ref)


def test_slaney_norm_gives_equal_area_bands():
    fb = F.mel_filterbank(sr=16000, n_fft=4096, n_mels=20, htk=True, dtype=np.float64)
    df = 16000 / 4096
    np.testing.assert_allclose(fb.sum(axis=1) * df, 1.0, rtol=0.02)  # area of 2/(width) × width/2


def test_too_many_mels_warns_about_empty_bands():
    with pytest.warns(UserWarning, match="empty"):
        F.mel_filterbank(sr=22050, n_fft=256, n_mels=128)  # librosa warns here too


@pytest.mark.parametrize("ref, top_db, amin", [(1.0, 80.0, 1e-10), (np.max, None, 1e-10), (3.0, 40.0, 1e-5)])
def test_power_to_db_matches_librosa(ref, top_db, amin):
    S = np.abs(librosa.stft(SIGNAL, n_fft=512)) ** 2
    S[:, 3] = 0.0
    ours = F.power_to_db(S, ref=ref, top_db=top_db, amin=amin)
    assert rel_err(ours, librosa.power_to_db(S, ref=ref, top_db=top_db, amin=amin)) <= 1e-12


@pytest.mark.parametrize("n", [1, 2, 13, 40, 128, 129])
def test_dct_ii_matches_scipy(n):
    x = RNG.standard_normal((3, n))
    for norm in ("ortho", None):
        assert rel_err(F.dct_ii(x, norm=norm), scipy.fft.dct(x, type=2, norm=norm)) <= 1e-12
    assert rel_err(F.dct_ii(x.T, axis=0), scipy.fft.dct(x.T, type=2, norm="ortho", axis=0)) <= 1e-12


def test_dct_ii_ortho_is_orthonormal():
    basis = F.dct_ii(np.eye(20))
    np.testing.assert_allclose(basis @ basis.T, np.eye(20), atol=1e-12)


def test_mfcc_matches_librosa_over_the_grid():
    errors = mfcc_grid_errors()
    assert len(errors) == 120
    worst_kw, worst = max(errors, key=lambda e: e[1])
    assert worst <= RTOL, worst_kw


def test_mfcc_float32_and_from_log_mel():
    y = (0.5 * SIGNAL / np.abs(SIGNAL).max()).astype(np.float32)
    ours, ref = F.mfcc(y=y, sr=16000, n_mfcc=13), librosa.feature.mfcc(y=y, sr=16000, n_mfcc=13)
    assert ours.dtype == ref.dtype == np.float32 and ours.shape == (13, 12)
    assert rel_err(ours, ref) < 1e-4
    S = librosa.power_to_db(librosa.feature.melspectrogram(y=SIGNAL, sr=16000, n_mels=40))
    assert rel_err(F.mfcc(S=S, n_mfcc=13, lifter=10),
                   librosa.feature.mfcc(S=S, n_mfcc=13, lifter=10)) <= RTOL


def test_melspectrogram_matches_librosa():
    kw = {"sr": 16000, "n_fft": 1000, "hop_length": 160, "n_mels": 64, "fmax": 7600.0, "power": 1.0}
    assert rel_err(F.melspectrogram(SIGNAL, **kw), librosa.feature.melspectrogram(y=SIGNAL, **kw)) <= RTOL


def test_mfcc_to_mel_inverts_the_dct_when_nothing_is_dropped():
    y = SIGNAL[:4000]
    mel = librosa.feature.melspectrogram(y=y, sr=16000, n_mels=40)
    C = F.mfcc(y=y, sr=16000, n_mels=40, n_mfcc=40, lifter=22)
    back = F.mfcc_to_mel(C, n_mels=40, lifter=22)
    db = librosa.power_to_db(mel)
    np.testing.assert_allclose(10 * np.log10(back), db, atol=1e-9)


def test_mel_to_power_keeps_the_mel_energy_roughly():
    S = np.abs(librosa.stft(SIGNAL, n_fft=512)) ** 2
    fb = F.mel_filterbank(sr=16000, n_fft=512, n_mels=40, dtype=np.float64)
    P = F.mel_to_power(fb @ S, sr=16000, n_fft=512)
    assert P.shape == S.shape and P.min() >= 0
    assert rel_err(fb @ P, fb @ S) < 0.01
    with pytest.raises(FeatureError, match="finite values ≥ 0"):
        F.mel_to_power(-np.ones((40, 3)), sr=16000, n_fft=512)


@pytest.mark.parametrize("width, order, mode", list(itertools.product(
    (3, 5, 9), (1, 2), ("interp", "nearest", "mirror", "constant", "wrap"))))
def test_delta_matches_librosa(width, order, mode):
    if order >= width:
        pytest.skip("order must be below width")
    x = RNG.standard_normal((13, 40))
    assert rel_err(F.delta(x, width=width, order=order, mode=mode),
                   librosa.feature.delta(x, width=width, order=order, mode=mode)) <= 1e-10
    assert rel_err(F.delta(x.T, width=width, order=order, mode=mode, axis=0),
                   librosa.feature.delta(x.T, width=width, order=order, mode=mode, axis=0)) <= 1e-10


def test_delta_of_a_ramp_is_its_slope():
    ramp = 3.0 * np.arange(20.0)
    np.testing.assert_allclose(F.delta(ramp), 3.0)
    np.testing.assert_allclose(F.delta(np.arange(20.0) ** 2 / 6, order=2), 1 / 3, atol=1e-12)


# ---------------------------------------------------------------------------------------------
# Bad input: a FeatureError (a ValueError) saying what was wrong and how to fix it
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("y, phrase", [
    (np.zeros((2, 4096)), "1-D"),
    (np.zeros(4096, dtype=np.int16), r"astype\(np.float32\) / 32768"),
    (np.array([0.0, np.nan] * 2048), "NaN"),
    (np.array([0.0, np.inf] * 2048), "NaN or infinite"),
    (np.zeros(0), "empty"),
    (None, "None"),
])
@pytest.mark.parametrize("fn", [F.stft, lambda y: F.mfcc(y=y), lambda y: F.melspectrogram(y)])
def test_bad_signals_are_rejected(fn, y, phrase):
    with pytest.raises(FeatureError, match=phrase):
        fn(y)


def test_short_signal_with_center_false():
    with pytest.raises(FeatureError, match="shorter than n_fft=2048 with center=False"):
        F.stft(np.zeros(1000), center=False)
    assert F.stft(np.zeros(1000)).shape == (1025, 2)  # centred: padded, fine (librosa agrees)


@pytest.mark.parametrize("call, phrase", [
    (lambda: F.mel_filterbank(sr=16000, n_fft=512, fmax=9000), "above the Nyquist"),
    (lambda: F.mel_filterbank(sr=16000, n_fft=512, fmin=5000, fmax=4000), "fmin < fmax"),
    (lambda: F.mel_filterbank(sr=16000, n_fft=512, norm="l2"), "norm"),
    (lambda: F.mel_filterbank(sr=16000, n_fft=512, n_mels=0), "n_mels"),
    (lambda: F.mfcc(y=SIGNAL, n_mfcc=50, n_mels=40), "n_mfcc=50 > n_mels=40"),
    (lambda: F.mfcc(y=SIGNAL, dct_type=3), "dct_type"),
    (lambda: F.mfcc(y=SIGNAL, lifter=-1), "lifter"),
    (lambda: F.stft(SIGNAL, n_fft=512, win_length=1024), "win_length=1024 is longer"),
    (lambda: F.stft(SIGNAL, n_fft=512, pad_mode="wrap"), "pad_mode"),
    (lambda: F.stft(SIGNAL, n_fft=512, window="no-such-window"), "unknown window"),
    (lambda: F.stft(SIGNAL, n_fft=0), "n_fft must be a positive integer"),
    (lambda: F.stft(SIGNAL, hop_length=0), "hop_length"),
    (lambda: F.delta(np.zeros((3, 20)), width=4), "odd"),
    (lambda: F.delta(np.zeros((3, 5))), "at least width=9 frames"),
    (lambda: F.hz_to_mel(-1.0), "≥ 0 Hz"),
    (lambda: F.power_to_db(np.ones(3) + 1j), "complex"),
    (lambda: F.griffin_lim(-np.ones((5, 5))), "magnitudes"),
    (lambda: F.frame(np.zeros(10), frame_length=20, hop_length=5), "shorter than frame_length"),
])
def test_bad_parameters_are_rejected(call, phrase):
    with pytest.raises(FeatureError, match=phrase):
        call()


def test_feature_error_is_a_value_error():
    assert issubclass(FeatureError, ValueError)
