"""The checkers of notebooks 01–03 accept right answers and name the typical wrong ones."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.fft

from mgtutor import checks
from mgtutor.checks import CheckResult


def passes(result: CheckResult) -> bool:
    assert isinstance(result, CheckResult)
    return bool(result) and repr(result).startswith("✔")


def fails_with(result: CheckResult, phrase: str) -> bool:
    assert isinstance(result, CheckResult)
    assert not result and repr(result).startswith("✘"), repr(result)
    assert phrase in repr(result), repr(result)
    return True


def test_all_checkers_are_exported():
    for name in checks.audio.__all__:
        assert getattr(checks, name) is getattr(checks.audio, name)


def test_midi_to_hz_exercise():
    assert passes(checks.midi_to_hz_exercise(lambda m: 440 * 2 ** ((m - 69) / 12)))
    assert fails_with(checks.midi_to_hz_exercise(lambda m: 2 ** ((m - 69) / 12)), "multiply by 440")
    assert fails_with(checks.midi_to_hz_exercise(lambda m: 440 * 2 ** ((m - 60) / 12)), "A4 = MIDI 69")
    assert fails_with(checks.midi_to_hz_exercise(lambda m: 440 * 2.0 ** (m - 69)), "divide (m − 69) by 12")
    assert fails_with(checks.midi_to_hz_exercise(lambda m: 440 * 2 ** ((m - 57) / 12)), "one octave")
    assert fails_with(checks.midi_to_hz_exercise(lambda m: 1 / 0), "ZeroDivisionError")


def test_aliased_frequency_exercise():
    assert passes(checks.aliased_frequency_exercise(lambda f, sr: np.abs(f - sr * np.round(f / sr))))
    assert fails_with(checks.aliased_frequency_exercise(lambda f, sr: f), "Nyquist")
    assert fails_with(checks.aliased_frequency_exercise(lambda f, sr: f - sr * np.round(f / sr)), "np.abs")
    assert fails_with(checks.aliased_frequency_exercise(lambda f, sr: np.mod(f, sr)), "mirrors back")


def test_quantization_snr_exercise():
    def right(x, q):
        return 10 * np.log10(np.sum(x**2) / np.sum((q - x) ** 2))

    assert passes(checks.quantization_snr_exercise(right))
    assert fails_with(checks.quantization_snr_exercise(lambda x, q: 2 * right(x, q)), "20·log10")
    assert fails_with(checks.quantization_snr_exercise(lambda x, q: -right(x, q)), "upside down")
    assert fails_with(checks.quantization_snr_exercise(lambda x, q: right(x, q) / 10), "bels")
    assert fails_with(checks.quantization_snr_exercise(lambda x, q: np.zeros(3)), "one number")


def test_dft_matrix_exercise():
    def right(n):
        k = np.arange(n)
        return np.exp(-2j * np.pi * np.outer(k, k) / n)

    assert passes(checks.dft_matrix_exercise(right))
    assert fails_with(checks.dft_matrix_exercise(lambda n: np.conj(right(n))), "inverse DFT")
    assert fails_with(checks.dft_matrix_exercise(lambda n: right(n) / n), "normalisation")
    assert fails_with(checks.dft_matrix_exercise(lambda n: right(n).real), "cosine")
    assert fails_with(checks.dft_matrix_exercise(lambda n: np.eye(n + 1)), "matrix, got shape")


def test_hann_window_exercise():
    assert passes(checks.hann_window_exercise(lambda n: 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n) / n)))
    assert fails_with(checks.hann_window_exercise(np.hanning), "symmetric")
    assert fails_with(checks.hann_window_exercise(np.hamming), "Hann")
    assert fails_with(checks.hann_window_exercise(lambda n: 0.54 - 0.46 * np.cos(2 * np.pi * np.arange(n) / n)),
                      "Hamming")


def test_n_frames_exercise():
    def right(length, n_fft, hop, center):
        if center:
            length += 2 * (n_fft // 2)
        return 1 + (length - n_fft) // hop

    assert passes(checks.n_frames_exercise(right))
    assert fails_with(checks.n_frames_exercise(lambda L, n, h, c: 1 + (L - n) // h), "padded")
    assert fails_with(checks.n_frames_exercise(lambda L, n, h, c: right(L, n, h, c) + 1), "Off by one")


def test_hz_to_mel_exercise():
    assert passes(checks.hz_to_mel_exercise(lambda f: 2595 * np.log10(1 + f / 700)))
    assert passes(checks.hz_to_mel_exercise(lambda f: 1127 * np.log(1 + f / 700)))
    librosa = pytest.importorskip("librosa")
    assert fails_with(checks.hz_to_mel_exercise(librosa.hz_to_mel), "Slaney")
    assert fails_with(checks.hz_to_mel_exercise(lambda f: 2595 * np.log(1 + f / 700)), "natural log")
    assert fails_with(checks.hz_to_mel_exercise(lambda f: 2595 * np.log10(1 + f / 70)), "~1000")


def test_mfcc_exercise():
    librosa = pytest.importorskip("librosa")
    kw = {"n_fft": 1024, "hop_length": 256, "n_mels": 40}

    def mel(y, sr, power=2.0):
        return librosa.feature.melspectrogram(y=y, sr=sr, power=power, **kw)

    def dct13(a):
        return scipy.fft.dct(a, type=2, norm="ortho", axis=0)[:13]

    assert passes(checks.mfcc_exercise(lambda y, sr: dct13(librosa.power_to_db(mel(y, sr)))))
    assert passes(checks.mfcc_exercise(lambda y, sr: librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, **kw)))
    assert fails_with(checks.mfcc_exercise(lambda y, sr: dct13(mel(y, sr))), "log is missing")
    assert fails_with(checks.mfcc_exercise(lambda y, sr: librosa.power_to_db(mel(y, sr))[:13]),
                      "DCT is missing")
    assert fails_with(checks.mfcc_exercise(lambda y, sr: dct13(librosa.power_to_db(mel(y, sr, 1.0)))),
                      "power spectrum")
    assert fails_with(checks.mfcc_exercise(lambda y, sr: dct13(librosa.power_to_db(mel(y, sr))).T),
                      "Transposed")


def test_hz_to_mel_exercise_hints_come_in_tiers():
    checks.FAILURES["hz_to_mel_exercise"] = 0
    slaney = checks.hz_to_mel_exercise(lambda f: np.where(f < 1000, f / (200 / 3),
                                                          15 + 27 * np.log(np.maximum(f, 1) / 1000) / np.log(6.4)))
    assert fails_with(slaney, "Slaney") and "Next hint" not in repr(slaney) and "2595" not in repr(slaney)
    assert fails_with(checks.hz_to_mel_exercise(lambda f: 2595 * np.log(1 + f / 700)), "1127")
    no_one = checks.hz_to_mel_exercise(lambda f: 2595 * np.log10(f / 700))
    assert fails_with(no_one, "What should 0 Hz be") and fails_with(no_one, "Add 1 inside the log")
    assert fails_with(checks.hz_to_mel_exercise(lambda f: [1.0]), "one mel value per frequency")
    checks.FAILURES["hz_to_mel_exercise"] = 0
    assert fails_with(checks.hz_to_mel_exercise(lambda f: 2595 * np.log(1 + f / 700)), "which logarithm")


def test_mfcc_exercise_accepts_the_natural_log_convention():
    librosa = pytest.importorskip("librosa")
    kw = {"n_fft": 1024, "hop_length": 256, "n_mels": 40}

    def ln_mfcc(y, sr):  # HTK/Kaldi: natural log of the mel power
        mel = librosa.feature.melspectrogram(y=y, sr=sr, **kw)
        return scipy.fft.dct(np.log(mel + 1e-10), type=2, norm="ortho", axis=0)[:13]

    result = checks.mfcc_exercise(ln_mfcc)
    assert passes(result)
    for phrase in ("valid MFCC", "HTK and Kaldi use ln", "10/ln 10", "80 dB", "use power_to_db"):
        assert phrase in repr(result)
    assert "wrong" not in repr(result) and "not the natural log" not in repr(result)


def test_mfcc_exercise_notes_a_direct_library_call():
    librosa = pytest.importorskip("librosa")
    from mgtutor import features

    def from_librosa(y, sr):
        return librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40)

    def from_features(y, sr):
        return features.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=1024, hop_length=256, n_mels=40)

    def from_parts(y, sr):
        power = np.abs(features.stft(y, n_fft=1024, hop_length=256)) ** 2
        mel = features.mel_filterbank(sr=sr, n_fft=1024, n_mels=40) @ power
        return scipy.fft.dct(features.power_to_db(mel), type=2, norm="ortho", axis=0)[:13]

    for direct in (from_librosa, from_features):
        result = checks.mfcc_exercise(direct)
        assert passes(result) and "called a library MFCC directly" in repr(result)
    result = checks.mfcc_exercise(from_parts)
    assert passes(result) and "directly" not in repr(result)


def test_mfcc_exercise_wrong_answers_and_tiers():
    librosa = pytest.importorskip("librosa")
    kw = {"n_fft": 1024, "hop_length": 256, "n_mels": 40}

    def mel(y, sr):
        return librosa.feature.melspectrogram(y=y, sr=sr, **kw)

    checks.FAILURES["mfcc_exercise"] = 0
    no_log = checks.mfcc_exercise(lambda y, sr: scipy.fft.dct(mel(y, sr), type=2, norm="ortho", axis=0)[:13])
    assert fails_with(no_log, "log is missing") and "Next hint" not in repr(no_log)
    again = checks.mfcc_exercise(lambda y, sr: scipy.fft.dct(mel(y, sr), type=2, norm="ortho", axis=0)[:13])
    assert fails_with(again, "Next hint: Take librosa.power_to_db")
    bels = checks.mfcc_exercise(lambda y, sr: scipy.fft.dct(np.log10(mel(y, sr)), type=2, norm="ortho", axis=0)[:13])
    assert fails_with(bels, "bels")
    plain_dct = checks.mfcc_exercise(lambda y, sr: scipy.fft.dct(librosa.power_to_db(mel(y, sr)), type=2,
                                                                 axis=0)[:13])
    assert fails_with(plain_dct, "orthonormal")
    other = checks.mfcc_exercise(lambda y, sr: librosa.feature.mfcc(y=y, sr=sr, n_mfcc=13, n_fft=1024,
                                                                     hop_length=256, n_mels=64))
    assert fails_with(other, "usual slips") and fails_with(other, "mel_filterbank(sr=sr, n_fft=1024, n_mels=40)")

def _my_stft(y, n_fft, hop, *, window="periodic", center=True, pad_mode="constant", layout="ft", kind="complex",
             two_sided=False):
    """A from-scratch STFT with switchable mistakes, for the checker's tests."""
    n = np.arange(n_fft)
    w = {"periodic": 0.5 - 0.5 * np.cos(2 * np.pi * n / n_fft), "symmetric": np.hanning(n_fft),
         "none": np.ones(n_fft)}[window]
    x = np.pad(y, n_fft // 2, mode=pad_mode) if center else y
    frames = np.stack([x[t * hop: t * hop + n_fft] for t in range(1 + (x.size - n_fft) // hop)])
    X = (np.fft.fft if two_sided else np.fft.rfft)(frames * w, axis=1)
    X = X if layout == "tf" else X.T
    return np.abs(X) if kind == "magnitude" else X


def test_stft_exercise_accepts_a_right_stft_and_the_packages():
    librosa = pytest.importorskip("librosa")
    from mgtutor import features

    assert passes(checks.stft_exercise(_my_stft))
    assert passes(checks.stft_exercise(lambda y, n, h: librosa.stft(y, n_fft=n, hop_length=h)))
    assert passes(checks.stft_exercise(lambda y, n, h: features.stft(y, n_fft=n, hop_length=h)))


@pytest.mark.parametrize(("mistake", "phrase"), [
    ({"window": "none"}, "not windowed"),
    ({"window": "symmetric"}, "symmetric Hann"),
    ({"center": False}, "first frame starts at sample 0"),
    ({"center": False, "window": "none"}, "first frame starts at sample 0"),
    ({"pad_mode": "reflect"}, "reflect"),
    ({"layout": "tf"}, "time × frequency"),
    ({"layout": "tf", "kind": "magnitude"}, "time × frequency"),
    ({"kind": "magnitude"}, "magnitudes |X|"),
    ({"kind": "magnitude", "window": "none"}, "not windowed"),
    ({"two_sided": True}, "all 256 FFT bins"),
])
def test_stft_exercise_names_the_mistake(mistake, phrase):
    pytest.importorskip("librosa")
    checks.FAILURES.clear()
    assert fails_with(checks.stft_exercise(lambda y, n, h: _my_stft(y, n, h, **mistake)), phrase)


def test_stft_exercise_other_failures():
    pytest.importorskip("librosa")
    assert fails_with(checks.stft_exercise(lambda y, n, h: _my_stft(y, n, h)[:, :-1]), "Expected shape")
    assert fails_with(checks.stft_exercise(lambda y, n, h: 2 * _my_stft(y, n, h)), "wrong values")
    assert fails_with(checks.stft_exercise(lambda y, n, h: np.abs(y)), "2-D array")
    assert fails_with(checks.stft_exercise(lambda y, n, h: y[5 * len(y)]), "IndexError")
    checks.FAILURES.clear()
    assert fails_with(checks.stft_exercise(lambda y, n, h: np.abs(2 * _my_stft(y, n, h))), "not magnitudes")


@pytest.mark.parametrize(("checker", "wrong", "nudge", "formula"), [
    ("aliased_frequency_exercise", lambda f, sr: np.mod(f, sr), "only half the story", "round(f / sr)"),
    ("aliased_frequency_exercise", lambda f, sr: f / 2, "nearest", "round(f / sr)"),
    ("hann_window_exercise", np.hanning, "symmetric", "Divide by N"),
    ("hann_window_exercise", np.hamming, "w[0]", "0.5 - 0.5 * np.cos"),
    ("dft_matrix_exercise", lambda n: np.cos(2 * np.pi * np.outer(np.arange(n), np.arange(n)) / n), "sines",
     "np.exp(-2j"),
    ("dft_matrix_exercise", lambda n: np.ones((n, n)), "k cycles", "np.exp(-2j"),
    ("n_frames_exercise", lambda L, n, h, c: 1 + (L - n) // h, "padded", "2·(n_fft//2)"),
    ("n_frames_exercise", lambda L, n, h, c: L // (2 * h), "librosa.stft gives", "1 + (length − n_fft) // hop"),
    ("stft_exercise", lambda y, n, h: _my_stft(y, n, h, window="none"), "not windowed", "0.5 − 0.5·cos"),
    ("stft_exercise", lambda y, n, h: _my_stft(y, n, h, center=False), "sample 0", "np.pad(y, n_fft // 2"),
])
def test_hints_come_in_tiers(checker, wrong, nudge, formula):
    """The first failure gets a nudge only; the formula (or fix) is added from the second failure on."""
    if checker in {"n_frames_exercise", "stft_exercise"}:
        pytest.importorskip("librosa")
    check = getattr(checks, checker)
    checks.FAILURES.clear()
    first, second = check(wrong), check(wrong)
    assert fails_with(first, nudge) and formula not in repr(first), repr(first)
    assert fails_with(second, nudge) and "Next hint" in repr(second) and formula in repr(second), repr(second)
    checks.FAILURES.clear()
