"""Log-magnitude spectrograms of one-shot notes, and back to audio: what the spectrogram GAN of notebook 09 sees.

Part of mgtutor. See notebook 09 §3 (a pitch-conditioned spectrogram GAN).

A note of ``duration`` seconds at ``sr`` Hz becomes its STFT magnitude |X| (:func:`mgtutor.features.stft`,
Hann window of ``n_fft`` samples, hop ``hop``), in decibels relative to ``ref`` and clipped to the top
``db_range`` dB, scaled to [−1, 1]:

    v = clip(20 log10(|X| / ref), −db_range, 0) / (db_range / 2) + 1,

laid out as an image (frames, bins): time down, frequency across (the Nyquist bin is dropped, and the frames
padded with silence to ``frames``). Back to audio: |X| = ref · 10^((v − 1) · db_range / 40), the Nyquist bin
set to zero, and Griffin-Lim (:func:`mgtutor.features.griffin_lim`) finds phases. Everything below the clip
floor comes back as exactly silent bins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from mgtutor.errors import DatasetError

__all__ = ["SpecConfig", "note_spectrograms", "spectrograms_to_audio", "one_shot_notes"]


@dataclass(frozen=True)
class SpecConfig:
    """The spectrogram of one note: sample rate (Hz), duration (s), FFT size and hop (samples), the reference
    magnitude (0 dB) and the dynamic range kept (dB), and the image size (frames × bins)."""

    sr: int = 8000
    duration: float = 0.5
    n_fft: int = 256
    hop: int = 64
    ref: float = 32.0
    db_range: float = 80.0
    frames: int = 64

    @property
    def samples(self) -> int:
        return int(round(self.duration * self.sr))

    @property
    def bins(self) -> int:
        """Frequency bins kept: 0 … n_fft/2 − 1 (the Nyquist bin is dropped)."""
        return self.n_fft // 2

    def to_dict(self) -> dict:
        return asdict(self)

    def check(self) -> SpecConfig:
        stft_frames = 1 + self.samples // self.hop
        if self.n_fft % 2 or self.frames < stft_frames or not self.db_range > 0 or not self.ref > 0:
            raise DatasetError(f"spectrogram settings {self}: need an even n_fft, frames ≥ {stft_frames} (the STFT's "
                               "frames), ref > 0 and db_range > 0")
        return self


def note_spectrograms(audio, cfg: SpecConfig = SpecConfig()) -> np.ndarray:
    """Scaled log-magnitude spectrograms (see the module docstring) of notes (N, samples).

    Returns:
        float32 (N, cfg.frames, cfg.bins) in [−1, 1].
    Raises:
        DatasetError: audio that is not (N, cfg.samples), or bad settings.
    See: notebook 09 §3.
    """
    from mgtutor.features import stft

    cfg = cfg.check()
    x = np.asarray(audio, np.float32)
    if x.ndim != 2 or x.shape[1] != cfg.samples:
        raise DatasetError(f"expected notes of shape (N, {cfg.samples}) for {cfg.duration} s at {cfg.sr} Hz, got "
                           f"{x.shape}")
    out = np.full((len(x), cfg.frames, cfg.bins), -1.0, np.float32)
    for i, y in enumerate(x):
        mag = np.abs(stft(y, n_fft=cfg.n_fft, hop_length=cfg.hop))[: cfg.bins].T  # (frames, bins)
        db = 20 * np.log10(np.maximum(mag, 1e-30) / cfg.ref)
        out[i, : len(mag)] = np.clip(db, -cfg.db_range, 0) / (cfg.db_range / 2) + 1
    return out


def spectrograms_to_audio(spec, cfg: SpecConfig = SpecConfig(), n_iter: int = 32, seed: int = 0) -> np.ndarray:
    """Audio from scaled spectrograms (N, frames, bins) by Griffin-Lim (``n_iter`` iterations, random initial
    phases from ``seed``); values at the floor (−1) become silent bins.

    Returns:
        float32 (N, cfg.samples).
    Raises:
        DatasetError: a shape that does not fit ``cfg``.
    See: notebook 09 §3.
    """
    from mgtutor.features import griffin_lim

    cfg = cfg.check()
    v = np.asarray(spec, np.float64)
    if v.ndim == 4 and v.shape[-1] == 1:
        v = v[..., 0]
    if v.ndim != 3 or v.shape[1:] != (cfg.frames, cfg.bins):
        raise DatasetError(f"expected spectrograms (N, {cfg.frames}, {cfg.bins}), got {v.shape}")
    n_stft = 1 + cfg.samples // cfg.hop
    out = np.zeros((len(v), cfg.samples), np.float32)
    for i, s in enumerate(np.clip(v, -1, 1)):
        mag = np.where(s <= -1, 0.0, cfg.ref * 10 ** ((s - 1) * cfg.db_range / 40))[:n_stft].T
        mag = np.concatenate([mag, np.zeros((1, n_stft))])  # the Nyquist bin
        out[i] = griffin_lim(mag, n_iter=n_iter, hop_length=cfg.hop, n_fft=cfg.n_fft, length=cfg.samples, seed=seed)
    return out


def one_shot_notes(seeds: Sequence[int] = (0,), n_pitches: int = 24, lowest_pitch: int = 48,
                   timbres: Sequence[str] | None = None, velocities: Sequence[int] = (64, 96, 127),
                   cfg: SpecConfig = SpecConfig()) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """:func:`mgtutor.audio.one_shot_dataset` once per jitter seed (every timbre × pitch × velocity, each note
    detuned by up to ±10 cents and scaled by up to ±1 dB, drawn from the seed), concatenated.

    Different seeds give different notes of the same grid: a training set and held-out real sets never share a
    note. Returns ``(audio (N, samples) float32, labels)`` with integer arrays ``pitch``, ``velocity``,
    ``timbre`` and ``seed``, and ``timbre_names``.
    Raises:
        DatasetError: no seed. AudioError: a bad pitch range, timbre or velocity.
    See: notebook 09 §3.
    """
    from mgtutor.audio import one_shot_dataset

    if not len(seeds):
        raise DatasetError("one_shot_notes needs at least one jitter seed")
    parts = [one_shot_dataset(n_pitches, timbres, velocities, cfg.duration, cfg.sr, int(s), lowest_pitch)
             for s in seeds]
    audio = np.concatenate([a for a, _ in parts])
    labels = {k: np.concatenate([lab[k] for _, lab in parts]) for k in ("pitch", "velocity", "timbre")}
    labels["seed"] = np.concatenate([np.full(len(a), s, np.int64) for (a, _), s in zip(parts, seeds, strict=True)])
    labels["timbre_names"] = parts[0][1]["timbre_names"]
    return audio, labels
