"""Audio: pitch ↔ frequency, additive synthesis with ADSR envelopes, WAV files, playback, one-shot notes.

Part of mgtutor. See notebooks/01_audio_signals.ipynb (sampling, quantisation, pitch, harmonics,
envelopes) and notebooks/09 (the one-shot note dataset).

Everything that makes samples here is plain element-wise NumPy in float64 (no matrix products,
no BLAS, no threads), cast to float32 at the end, so the same call gives the same bits on every
machine: notebooks can embed the audio players in their stored outputs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mgtutor.errors import MgtutorError

__all__ = [
    "AudioError",
    "TIMBRES",
    "Timbre",
    "adsr",
    "additive",
    "hz_to_midi",
    "midi_to_hz",
    "one_shot_dataset",
    "play",
    "quantize",
    "read_wav",
    "render_notes",
    "resample",
    "sine",
    "synth_note",
    "write_wav",
]


class AudioError(MgtutorError, ValueError):
    """Bad input to an audio function (a pitch, a duration, a signal, a WAV file)."""


# --------------------------------------------------------------------------- pitch and frequency


def midi_to_hz(m):
    """Frequency in Hz of MIDI pitch ``m`` in twelve-tone equal temperament.

    f = 440 · 2^((m − 69) / 12)   (A4 = MIDI 69 = 440 Hz; one semitone is a factor 2^(1/12)).

    Args:
        m: a MIDI pitch or an array of them (fractional values are allowed: 69.5 is a
            quarter tone above A4).
    Returns:
        a float for a scalar input, otherwise a float64 array of the same shape.
    Raises:
        AudioError: ``m`` is not finite.
    See: notebooks/01_audio_signals.ipynb §3.
    """
    arr = np.asarray(m, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise AudioError(f"midi_to_hz: the pitch must be finite, got {m!r}")
    hz = 440.0 * 2.0 ** ((arr - 69.0) / 12.0)
    return float(hz) if hz.ndim == 0 else hz


def hz_to_midi(f):
    """MIDI pitch (fractional) of frequency ``f`` in Hz: m = 69 + 12 · log2(f / 440).

    Args:
        f: a frequency in Hz, or an array of them; each must be > 0.
    Returns:
        a float for a scalar input, otherwise a float64 array of the same shape.
    Raises:
        AudioError: a frequency is not finite or not positive (log2 of 0 Hz is −∞).
    See: notebooks/01_audio_signals.ipynb §3.
    """
    arr = np.asarray(f, dtype=np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise AudioError(f"hz_to_midi: frequencies must be finite and > 0 Hz, got {f!r}")
    m = 69.0 + 12.0 * np.log2(arr / 440.0)
    return float(m) if m.ndim == 0 else m


# --------------------------------------------------------------------------- synthesis


def _check_sr(sr) -> int:
    if isinstance(sr, bool) or not isinstance(sr, (int, np.integer)) or sr <= 0:
        raise AudioError(f"sr must be a positive integer number of samples per second, got {sr!r}")
    return int(sr)


def _n_samples(duration, sr: int, what: str = "duration") -> int:
    if not isinstance(duration, (int, float, np.integer, np.floating)) or not math.isfinite(duration):
        raise AudioError(f"{what} must be a finite number of seconds, got {duration!r}")
    if duration < 0:
        raise AudioError(f"{what} must be ≥ 0 seconds, got {duration!r}")
    return int(round(float(duration) * sr))


def sine(freq: float, duration: float, sr: int = 22050, amplitude: float = 1.0,
         phase: float = 0.0) -> np.ndarray:
    """A sampled sine tone: x[n] = A · sin(2π f n / sr + φ), n = 0 … round(duration·sr) − 1.

    Frequencies above the Nyquist limit sr/2 are *not* rejected: they alias, which is what
    notebook 01 demonstrates.

    Args:
        freq: frequency f in Hz (≥ 0).
        duration: seconds.
        sr: sample rate in Hz.
        amplitude: peak amplitude A.
        phase: start phase φ in radians.
    Returns:
        float64 array of round(duration·sr) samples.
    Raises:
        AudioError: negative or non-finite frequency/duration, or a bad sample rate.
    See: notebooks/01_audio_signals.ipynb §1.
    """
    sr = _check_sr(sr)
    n = _n_samples(duration, sr)
    if not math.isfinite(freq) or freq < 0:
        raise AudioError(f"sine: freq must be a finite frequency ≥ 0 Hz, got {freq!r}")
    t = np.arange(n, dtype=np.float64) / sr
    return amplitude * np.sin(2.0 * np.pi * freq * t + phase)


def additive(f0: float, amplitudes: Sequence[float], duration: float, sr: int = 22050,
             decays: Sequence[float] | None = None, inharmonicity: float = 0.0) -> np.ndarray:
    """Additive synthesis: a sum of harmonics k·f0 with their own amplitudes (and decay rates).

    x[n] = Σ_k a_k · e^(−d_k t) · sin(2π f_k t),   t = n / sr,
    f_k = k · f0 · sqrt(1 + B·k²)   (B = ``inharmonicity``; B = 0 gives exact harmonics).

    Harmonics at or above the Nyquist frequency sr/2 are left out (they would alias).

    Args:
        f0: fundamental frequency in Hz (> 0).
        amplitudes: a_1, a_2, … for harmonics 1, 2, …
        duration: seconds.
        sr: sample rate in Hz.
        decays: optional d_k in 1/s (exponential decay of each harmonic); default none.
        inharmonicity: stiffness coefficient B ≥ 0 (piano strings ≈ 1e-4).
    Returns:
        float64 array of round(duration·sr) samples (not normalised).
    Raises:
        AudioError: f0 ≤ 0, empty amplitudes, or ``decays`` of a different length.
    See: notebooks/01_audio_signals.ipynb §4.
    """
    sr = _check_sr(sr)
    n = _n_samples(duration, sr)
    if not math.isfinite(f0) or f0 <= 0:
        raise AudioError(f"additive: f0 must be a finite frequency > 0 Hz, got {f0!r}")
    amps = [float(a) for a in amplitudes]
    if not amps:
        raise AudioError("additive: amplitudes is empty; give at least one harmonic amplitude")
    if decays is not None and len(decays) != len(amps):
        raise AudioError(f"additive: decays has {len(decays)} values but amplitudes has {len(amps)}; "
                         "give one decay rate per harmonic")
    t = np.arange(n, dtype=np.float64) / sr
    y = np.zeros(n, dtype=np.float64)
    for k, a in enumerate(amps, start=1):
        fk = k * f0 * math.sqrt(1.0 + inharmonicity * k * k)
        if fk >= sr / 2 or a == 0.0:
            continue
        partial = a * np.sin(2.0 * np.pi * fk * t)
        if decays is not None and decays[k - 1]:
            partial *= np.exp(-float(decays[k - 1]) * t)
        y += partial
    return y


def adsr(n_samples: int, sr: int, attack: float = 0.01, decay: float = 0.1, sustain: float = 0.7,
         release: float = 0.1) -> np.ndarray:
    """An attack–decay–sustain–release envelope of exactly ``n_samples`` values in [0, 1].

    Piecewise linear: 0 → 1 over ``attack`` s, 1 → ``sustain`` over ``decay`` s, then held;
    the whole curve is multiplied by a release ramp 1 → 0 over the last ``release`` s, so the
    envelope ends at 0 and a note never clicks. If the note is shorter than
    attack + decay + release, the three segments are shrunk in proportion.

    env(t) = ads(t) · min(1, (T − t) / R),   T = (n_samples − 1) / sr, the last sample's time.

    Args:
        n_samples: length of the envelope (≥ 0).
        sr: sample rate in Hz.
        attack, decay, release: segment lengths in seconds (≥ 0).
        sustain: sustain level in [0, 1].
    Returns:
        float64 array of shape (n_samples,).
    Raises:
        AudioError: a negative length, or a sustain level outside [0, 1].
    See: notebooks/01_audio_signals.ipynb §5.
    """
    sr = _check_sr(sr)
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) or n_samples < 0:
        raise AudioError(f"adsr: n_samples must be an integer ≥ 0, got {n_samples!r}")
    for name, value in (("attack", attack), ("decay", decay), ("release", release)):
        if not math.isfinite(value) or value < 0:
            raise AudioError(f"adsr: {name} must be a finite time ≥ 0 s, got {value!r}")
    if not 0.0 <= sustain <= 1.0:
        raise AudioError(f"adsr: sustain is a level in [0, 1], got {sustain!r}")
    n = int(n_samples)
    total = n / sr
    a, d, r = float(attack), float(decay), float(release)
    if a + d + r > total > 0:
        scale = total / (a + d + r)
        a, d, r = a * scale, d * scale, r * scale
    t = np.arange(n, dtype=np.float64) / sr
    env = np.full(n, float(sustain))
    if a > 0:
        env = np.where(t < a, t / a, env)
    if d > 0:
        in_decay = (t >= a) & (t < a + d)
        env = np.where(in_decay, 1.0 - (1.0 - sustain) * (t - a) / d, env)
    if r > 0:
        env = env * np.clip(((n - 1) / sr - t) / r, 0.0, 1.0)
    return env


@dataclass(frozen=True)
class Timbre:
    """A named instrument colour: harmonic amplitudes, their decay rates (1/s) and an envelope."""

    amplitudes: tuple[float, ...]
    decays: tuple[float, ...]
    attack: float
    decay: float
    sustain: float
    release: float
    inharmonicity: float = 0.0
    brightness: float = 0.5
    """How much louder playing (velocity) boosts the upper harmonics: a_k · (v/127)^(−b·(1−1/k))."""


def _series(n: int, fn) -> tuple[float, ...]:
    return tuple(float(fn(k)) for k in range(1, n + 1))


TIMBRES: dict[str, Timbre] = {
    # a struck string: 1/k² spectrum, upper harmonics die faster, slight stiffness.
    "soft-piano": Timbre(_series(12, lambda k: 1.0 / k**1.6), _series(12, lambda k: 1.5 + 1.2 * k),
                         0.005, 0.25, 0.35, 0.12, inharmonicity=1e-4, brightness=0.8),
    # drawbar organ: a few steady harmonics, no decay.
    "organ": Timbre((1.0, 0.6, 0.0, 0.45, 0.0, 0.3, 0.0, 0.2), (0.0,) * 8, 0.02, 0.05, 0.9, 0.05,
                    brightness=0.0),
    # closed pipe: odd harmonics only.
    "clarinet": Timbre(_series(11, lambda k: (1.0 / k) if k % 2 else 0.02), (0.3,) * 11,
                       0.04, 0.1, 0.8, 0.08, brightness=0.6),
    # bowed/brassy sawtooth: all harmonics at 1/k.
    "strings": Timbre(_series(16, lambda k: 1.0 / k), (0.2,) * 16, 0.08, 0.15, 0.8, 0.15,
                      brightness=0.7),
    # plucked: bright attack, fast decay.
    "pluck": Timbre(_series(14, lambda k: 1.0 / k), _series(14, lambda k: 3.0 + 2.0 * k),
                    0.002, 0.3, 0.0, 0.05, brightness=1.0),
}
"""The named timbres ``synth_note`` and ``render_notes`` accept."""


def _timbre(name: str) -> Timbre:
    if isinstance(name, Timbre):
        return name
    try:
        return TIMBRES[name]
    except (KeyError, TypeError):
        raise AudioError(f"unknown timbre {name!r}; choose one of {', '.join(TIMBRES)}") from None


def _check_pitch_velocity(pitch, velocity) -> tuple[float, float]:
    if isinstance(pitch, bool) or not isinstance(pitch, (int, float, np.integer, np.floating)) \
            or not 0 <= pitch <= 127:
        raise AudioError(f"pitch must be a MIDI number in [0, 127], got {pitch!r}")
    if isinstance(velocity, bool) or not isinstance(velocity, (int, float, np.integer, np.floating)) \
            or not 0 <= velocity <= 127:
        raise AudioError(f"velocity must be a MIDI velocity in [0, 127], got {velocity!r}")
    return float(pitch), float(velocity)


def synth_note(pitch: float, velocity: float = 100, duration: float = 0.5, sr: int = 22050,
               timbre: str = "soft-piano") -> np.ndarray:
    """One note: additive harmonics of f0 = midi_to_hz(pitch) shaped by the timbre's ADSR envelope.

    y[n] = g(v) · env[n] · Σ_k a_k(v) e^(−d_k t) sin(2π f_k t) / Σ_k a_k,
    g(v) = 0.05 + 0.95 (v/127)² (loudness grows with velocity), and louder notes get relatively
    stronger upper harmonics: a_k(v) = a_k · (v/127)^(b (1 − 1/k)) with the timbre's brightness b.
    The release happens inside ``duration``: the note lasts exactly round(duration·sr) samples.

    Args:
        pitch: MIDI pitch in [0, 127] (A4 = 69 = 440 Hz; fractional values detune).
        velocity: MIDI velocity in [0, 127] (0 gives silence).
        duration: seconds.
        sr: sample rate in Hz.
        timbre: one of :data:`TIMBRES` (``soft-piano``, ``organ``, ``clarinet``, ``strings``, ``pluck``).
    Returns:
        float32 array of round(duration·sr) samples with peak ≤ 1.
    Raises:
        AudioError: pitch or velocity outside [0, 127], an unknown timbre, a bad duration or sr.
    See: notebooks/01_audio_signals.ipynb §4–§5.
    """
    pitch, velocity = _check_pitch_velocity(pitch, velocity)
    sr = _check_sr(sr)
    n = _n_samples(duration, sr)
    return _synth(pitch, velocity, n, sr, _timbre(timbre)).astype(np.float32)


def _synth(pitch: float, velocity: float, n: int, sr: int, tim: Timbre) -> np.ndarray:
    v = velocity / 127.0
    if n == 0 or v == 0.0:
        return np.zeros(n, dtype=np.float64)
    amps = [a * v ** (tim.brightness * (1.0 - 1.0 / k)) for k, a in enumerate(tim.amplitudes, start=1)]
    y = additive(float(midi_to_hz(pitch)), amps, n / sr, sr, decays=tim.decays,
                 inharmonicity=tim.inharmonicity)
    y *= (0.05 + 0.95 * v * v) / sum(amps)
    y *= adsr(n, sr, tim.attack, tim.decay, tim.sustain, tim.release)
    return y


def _note_fields(note) -> tuple[float, float, float, float]:
    if isinstance(note, (tuple, list)):
        if len(note) != 4:
            raise AudioError(f"a note tuple must be (pitch, start, end, velocity), got {note!r}")
        return tuple(note)  # type: ignore[return-value]
    try:
        return note.pitch, note.start, note.end, note.velocity
    except AttributeError:
        raise AudioError(f"a note needs attributes pitch, start, end, velocity (seconds), or be a "
                         f"tuple (pitch, start, end, velocity); got {note!r}") from None


def render_notes(notes: Iterable, sr: int = 22050, timbre: str = "soft-piano") -> np.ndarray:
    """Mix notes into one signal: each note synthesized by :func:`synth_note` at its start time.

    y = Σ_notes synth_note(p, v, end − start) shifted to round(start·sr); then, if the peak
    exceeds 0.99, the mix is scaled down to peak 0.99 (quieter mixes are left as they are).
    The signal lasts until the last note ends: round(max(end)·sr) samples.

    Args:
        notes: objects with attributes ``pitch``, ``start``, ``end`` (seconds), ``velocity``
            (e.g. ``pretty_midi.Note``), or tuples (pitch, start, end, velocity). Notes with
            end == start are skipped.
        sr: sample rate in Hz.
        timbre: one of :data:`TIMBRES`.
    Returns:
        float32 array (empty when there are no notes).
    Raises:
        AudioError: a malformed note, negative start, end before start, pitch/velocity out of range.
    See: notebooks/01_audio_signals.ipynb §5 and notebooks/02_stft.ipynb §7 (a rendered chorale).
    """
    sr = _check_sr(sr)
    tim = _timbre(timbre)
    parsed = []
    for note in notes:
        pitch, start, end, velocity = _note_fields(note)
        pitch, velocity = _check_pitch_velocity(pitch, velocity)
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end < start:
            raise AudioError(f"note {note!r}: need 0 ≤ start ≤ end (seconds), got start={start!r}, "
                             f"end={end!r}")
        parsed.append((pitch, float(start), float(end), velocity))
    if not parsed:
        return np.zeros(0, dtype=np.float32)
    total = int(round(max(p[2] for p in parsed) * sr))
    mix = np.zeros(total, dtype=np.float64)
    for pitch, start, end, velocity in parsed:
        i0, i1 = int(round(start * sr)), min(int(round(end * sr)), total)
        if i1 > i0:
            mix[i0:i1] += _synth(pitch, velocity, i1 - i0, sr, tim)
    peak = float(np.max(np.abs(mix))) if total else 0.0
    if peak > 0.99:
        mix *= 0.99 / peak
    return mix.astype(np.float32)


def quantize(x: np.ndarray, bits: int) -> np.ndarray:
    """Uniform ``bits``-bit quantisation of x ∈ [−1, 1]: 2^b levels, step Δ = 2 / 2^b (mid-rise).

    q = (clip(floor(x·L), −L, L − 1) + ½) / L with L = 2^(b−1): the levels ±Δ/2, ±3Δ/2, … ±(1 − Δ/2)
    cover [−1, 1] evenly. The error e = q − x is ≈ uniform on [−Δ/2, Δ/2], so E[e²] = Δ²/12 and a
    full-scale sine (power ½) has SNR = 10·log10(1.5 · 4^b) ≈ 6.02·b + 1.76 dB.
    (A WAV file's integers −2^(b−1) … 2^(b−1) − 1 are the mid-tread variant: same step, same rule.)

    Args:
        x: samples in [−1, 1] (values outside are clipped to the extreme levels).
        bits: bits per sample, 2 … 32.
    Returns:
        float64 array of the quantised values.
    Raises:
        AudioError: ``bits`` is not an integer in [2, 32].
    See: notebooks/01_audio_signals.ipynb §2.
    """
    if isinstance(bits, bool) or not isinstance(bits, (int, np.integer)) or not 2 <= bits <= 32:
        raise AudioError(f"quantize: bits must be an integer from 2 to 32, got {bits!r}")
    levels = 2.0 ** (int(bits) - 1)
    index = np.clip(np.floor(np.asarray(x, dtype=np.float64) * levels), -levels, levels - 1)
    return (index + 0.5) / levels


# --------------------------------------------------------------------------- files, resampling, playback


def _check_signal(y, what: str = "y") -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim not in (1, 2) or arr.size == 0:
        raise AudioError(f"{what} must be a non-empty 1-D array (mono) or 2-D (frames, channels), "
                         f"got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.floating):
        raise AudioError(f"{what} has dtype {arr.dtype}; give floating-point samples in [−1, 1] "
                         "(e.g. y.astype(np.float32) / 32768 for 16-bit integers)")
    if not np.all(np.isfinite(arr)):
        raise AudioError(f"{what} contains NaN or infinity; clean the signal (np.nan_to_num) first")
    return arr


def write_wav(path: str | os.PathLike, y: np.ndarray, sr: int, subtype: str = "PCM_16") -> Path:
    """Write samples to a WAV file atomically (a temporary file in the same folder, then os.replace).

    Float samples are written as 16-bit PCM by default; values outside [−1, 1] are clipped.
    A reader never sees a half-written file, and an existing file is replaced only on success.

    Args:
        path: destination ``.wav`` (its folder must exist).
        y: float samples, shape (n,) or (n, channels).
        sr: sample rate in Hz.
        subtype: soundfile subtype, e.g. ``PCM_16``, ``PCM_24``, ``FLOAT``.
    Returns:
        the path written.
    Raises:
        AudioError: empty, non-float or non-finite samples, or a bad sample rate.
        FileNotFoundError: the destination folder does not exist.
    See: notebooks/01_audio_signals.ipynb §2 (a 16-bit WAV file is 16-bit quantisation).
    """
    import soundfile as sf

    arr = _check_signal(y)
    sr = _check_sr(sr)
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"{path}: folder {path.parent} does not exist; create it first")
    from mgtutor.files import atomic_path

    with atomic_path(path) as tmp:
        sf.write(tmp, np.clip(arr, -1.0, 1.0), sr, subtype=subtype, format="WAV")
    return path


def read_wav(path: str | os.PathLike, mono: bool = False) -> tuple[np.ndarray, int]:
    """Read a sound file as float32 samples in [−1, 1] and its sample rate.

    Args:
        path: a WAV (or FLAC/OGG) file.
        mono: average the channels into one.
    Returns:
        (y, sr): y of shape (n,) for mono files (or with ``mono=True``), else (n, channels).
    Raises:
        FileNotFoundError: no such file.
        AudioError: the file is not a readable sound file (the message names it).
    See: notebooks/01_audio_signals.ipynb §2 (a 16-bit WAV file is 16-bit quantisation).
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such sound file")
    try:
        y, sr = sf.read(str(path), dtype="float32", always_2d=False)
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise AudioError(f"{path}: not a readable sound file ({exc}); check the file or re-export "
                         "it as WAV") from None
    if mono and y.ndim == 2:
        y = y.mean(axis=1, dtype=np.float64).astype(np.float32)
    return y, int(sr)


def resample(y: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """Change the sample rate with a band-limited resampler (librosa/soxr, high quality).

    Frequencies above the new Nyquist limit target_sr/2 are filtered out first (no aliasing).

    Args:
        y: 1-D float samples.
        orig_sr, target_sr: sample rates in Hz.
    Returns:
        array of about len(y)·target_sr/orig_sr samples, same dtype.
    Raises:
        AudioError: bad samples or sample rates.
    See: notebooks/01_audio_signals.ipynb §1.
    """
    import librosa

    arr = _check_signal(y)
    if arr.ndim != 1:
        raise AudioError(f"resample expects mono 1-D samples, got shape {arr.shape}; mix down first")
    return librosa.resample(arr, orig_sr=_check_sr(orig_sr), target_sr=_check_sr(target_sr),
                            res_type="soxr_hq")


def play(y: np.ndarray, sr: int, normalize: bool = True):
    """An inline audio player (``IPython.display.Audio``) for a notebook.

    The samples are embedded as 16-bit WAV; with ``normalize`` the peak is scaled to full scale,
    otherwise samples must lie in [−1, 1]. Keep clips short (≤ 2 s) so notebooks stay small.

    Raises:
        AudioError: bad samples or sample rate.
    See: notebooks/01_audio_signals.ipynb §1.
    """
    from IPython.display import Audio

    arr = _check_signal(y)
    if arr.ndim == 2:
        arr = arr.T
    return Audio(np.asarray(arr, dtype=np.float64), rate=_check_sr(sr), normalize=normalize)


# --------------------------------------------------------------------------- A small dataset of one-shot notes


def one_shot_dataset(n_pitches: int = 24, timbres: Sequence[str] | None = None,
                     velocities: Sequence[int] = (64, 96, 127), duration: float = 0.5,
                     sr: int = 16000, seed: int = 0, lowest_pitch: int = 48,
                     ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every combination of timbre × pitch × velocity as a short one-shot note, with labels.

    Pitches are ``lowest_pitch`` … ``lowest_pitch + n_pitches − 1``. The seed draws, per note,
    a small detune (±10 cents) and a gain (±1 dB), so the set is not perfectly regular yet the
    same seed always gives the same bits (NumPy's PCG64 generator, element-wise synthesis).

    Args:
        n_pitches: number of consecutive MIDI pitches (≥ 1).
        timbres: names from :data:`TIMBRES` (default: all of them).
        velocities: MIDI velocities in [1, 127].
        duration: seconds per note.
        sr: sample rate in Hz.
        seed: seed of the jitter.
        lowest_pitch: the first MIDI pitch.
    Returns:
        (audio, labels): audio float32 of shape (n_examples, round(duration·sr)), ordered timbre,
        then pitch, then velocity; labels a dict of int arrays ``pitch``, ``velocity``, ``timbre``
        (index into ``labels["timbre_names"]``, an array of the names).
    Raises:
        AudioError: an empty or out-of-range pitch/velocity range or an unknown timbre.
    See: the audio GAN notebook (spectrogram GAN on one-shot notes), notebooks/09.
    """
    names = list(TIMBRES) if timbres is None else list(timbres)
    if not names:
        raise AudioError("one_shot_dataset: timbres is empty; give at least one name from TIMBRES")
    specs = [_timbre(name) for name in names]
    if isinstance(n_pitches, bool) or not isinstance(n_pitches, (int, np.integer)) or n_pitches < 1:
        raise AudioError(f"one_shot_dataset: n_pitches must be an integer ≥ 1, got {n_pitches!r}")
    if not 0 <= lowest_pitch or lowest_pitch + n_pitches - 1 > 127:
        raise AudioError(f"one_shot_dataset: pitches {lowest_pitch}…{lowest_pitch + n_pitches - 1} "
                         "leave the MIDI range 0…127; lower n_pitches or lowest_pitch")
    vels = [int(v) for v in velocities]
    if not vels or any(not 1 <= v <= 127 for v in vels):
        raise AudioError(f"one_shot_dataset: velocities must be a non-empty list in [1, 127], "
                         f"got {list(velocities)!r}")
    sr = _check_sr(sr)
    n = _n_samples(duration, sr)
    if n == 0:
        raise AudioError("one_shot_dataset: duration gives 0 samples; use a longer duration")
    pitches = range(int(lowest_pitch), int(lowest_pitch) + int(n_pitches))
    n_examples = len(names) * len(pitches) * len(vels)
    rng = np.random.default_rng(seed)
    detune = rng.uniform(-0.1, 0.1, size=n_examples)
    gain_db = rng.uniform(-1.0, 1.0, size=n_examples)
    audio = np.empty((n_examples, n), dtype=np.float32)
    labels = {k: np.empty(n_examples, dtype=np.int64) for k in ("pitch", "velocity", "timbre")}
    i = 0
    for t_index, spec in enumerate(specs):
        for pitch in pitches:
            for vel in vels:
                y = _synth(min(127.0, pitch + detune[i]), float(vel), n, sr, spec)
                audio[i] = y * 10.0 ** (gain_db[i] / 20.0)
                labels["pitch"][i], labels["velocity"][i], labels["timbre"][i] = pitch, vel, t_index
                i += 1
    labels["timbre_names"] = np.array(names)
    return audio, labels
