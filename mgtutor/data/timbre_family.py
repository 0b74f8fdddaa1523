"""A continuous family of synthetic instrument timbres, drawn from a seed: one-shot notes whose held-out examples
differ from the training examples in their sound, not only in a random detune.

Part of mgtutor. See notebook 09 §3 (the spectrogram GAN's data); notebook 14 can reuse it for WaveNet.

Each note starts from one of the named timbres of :data:`mgtutor.audio.TIMBRES` (the *timbre class*, which the
note classifier predicts) and draws its own member of that class:

* a **spectral tilt** t ~ U(−``tilt``, ``tilt``) and **per-harmonic gains** g_k ~ N(0, ``harmonic_gain_db``²) dB:
  a_k ← a_k · k^(−t) · 10^(g_k / 20) (k = 1, 2, … the harmonic number; t > 0 darkens, t < 0 brightens);
* an **envelope**: the attack time × e^α and the decay time × e^δ, with α, δ ~ U(−ln F, ln F)
  (F = ``envelope_factor``); the harmonics' own decay rates are divided by e^δ (a longer decay rings longer);
* a **velocity** v ~ U(``velocities``) (continuous; louder notes are brighter, :func:`mgtutor.audio.synth_note`)
  and a **detune** of up to ±``detune_cents`` cents.

Two seeds give two independent draws of the family: a held-out set drawn with another seed than the training set
shares no harmonic spectrum, envelope or velocity with it (with probability 1), while its velocities lie inside the
trained range because both come from the same interval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace

import numpy as np

from mgtutor.data.note_spectrograms import SpecConfig
from mgtutor.errors import DatasetError

__all__ = ["TimbreFamily", "draw_timbre", "family_notes"]


@dataclass(frozen=True)
class TimbreFamily:
    """The spread of the family around each named timbre (see the module docstring): ``tilt`` (the largest
    |t|), ``harmonic_gain_db`` (σ of the per-harmonic gains, dB), ``envelope_factor`` (F ≥ 1, the largest factor
    on the attack and decay times), ``velocities`` (the interval of MIDI velocities), ``detune_cents``."""

    tilt: float = 0.5
    harmonic_gain_db: float = 3.0
    envelope_factor: float = 2.0
    velocities: tuple[float, float] = (40.0, 127.0)
    detune_cents: float = 10.0

    def check(self) -> TimbreFamily:
        lo, hi = self.velocities
        if not (self.tilt >= 0 and self.harmonic_gain_db >= 0 and self.envelope_factor >= 1
                and 1 <= lo <= hi <= 127 and 0 <= self.detune_cents <= 50):
            raise DatasetError(f"timbre family {self}: need tilt ≥ 0, harmonic_gain_db ≥ 0, envelope_factor ≥ 1, "
                               "1 ≤ velocities[0] ≤ velocities[1] ≤ 127 and 0 ≤ detune_cents ≤ 50")
        return self

    def to_dict(self) -> dict:
        return asdict(self)


def draw_timbre(base, rng: np.random.Generator, family: TimbreFamily = TimbreFamily()):
    """One member of the family around the timbre ``base`` (a name of :data:`mgtutor.audio.TIMBRES` or a
    :class:`mgtutor.audio.Timbre`), drawn from ``rng``.

    Returns:
        ``(timbre, params)``: the new :class:`~mgtutor.audio.Timbre` and a dict of the draws ``tilt``,
        ``gains_db`` (one per harmonic), ``attack_factor``, ``decay_factor``.
    Raises:
        AudioError: an unknown timbre name. DatasetError: bad family settings.
    See: notebook 09 §3.
    """
    from mgtutor.audio import TIMBRES, AudioError, Timbre

    family = family.check()
    if isinstance(base, str):
        if base not in TIMBRES:
            raise AudioError(f"unknown timbre {base!r}; choose one of {', '.join(TIMBRES)}")
        base = TIMBRES[base]
    if not isinstance(base, Timbre):
        raise DatasetError(f"draw_timbre needs a timbre name or a Timbre, got {type(base).__name__}")
    k = np.arange(1, len(base.amplitudes) + 1, dtype=float)
    tilt = rng.uniform(-family.tilt, family.tilt)
    gains_db = rng.normal(0.0, family.harmonic_gain_db, len(k))
    log_f = np.log(family.envelope_factor)
    attack_factor, decay_factor = np.exp(rng.uniform(-log_f, log_f, 2))
    amps = np.asarray(base.amplitudes) * k ** (-tilt) * 10.0 ** (gains_db / 20.0)
    member = replace(base, amplitudes=tuple(float(a) for a in amps),
                     decays=tuple(float(d) / decay_factor for d in base.decays),
                     attack=base.attack * attack_factor, decay=base.decay * decay_factor)
    return member, {"tilt": float(tilt), "gains_db": gains_db, "attack_factor": float(attack_factor),
                    "decay_factor": float(decay_factor)}


def family_notes(seed: int, draws: int = 1, n_pitches: int = 24, lowest_pitch: int = 48,
                 timbres: Sequence[str] | None = None, family: TimbreFamily = TimbreFamily(),
                 cfg: SpecConfig | None = None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """``draws`` notes for every named timbre × pitch, each with its own member of the family (timbre, velocity,
    detune), all drawn from ``seed`` (NumPy's PCG64: the same seed always gives the same notes).

    Args:
        seed: the draw; a held-out set uses another seed than the training set.
        draws: notes per timbre class and pitch (≥ 1).
        n_pitches, lowest_pitch: the MIDI pitches lowest_pitch … lowest_pitch + n_pitches − 1.
        timbres: names from :data:`mgtutor.audio.TIMBRES` (default: all of them), the timbre classes.
        family: the spread of the family.
        cfg: the sample rate and duration of each note (default :class:`SpecConfig`'s: 0.5 s at 8 kHz).
    Returns:
        ``(audio (N, cfg.samples) float32, labels)``, ordered by timbre class, then pitch, then draw; labels
        holds ``pitch`` (int), ``timbre`` (class index), ``velocity``, ``tilt``, ``attack_factor``,
        ``decay_factor`` (floats, one per note) and ``timbre_names``.
    Raises:
        DatasetError: draws < 1 or bad family settings. AudioError: a bad pitch range or timbre name.
    See: notebook 09 §3.
    """
    from mgtutor.audio import TIMBRES, AudioError, synth_note

    family = family.check()
    cfg = SpecConfig() if cfg is None else cfg
    if isinstance(draws, bool) or not isinstance(draws, (int, np.integer)) or draws < 1:
        raise DatasetError(f"family_notes: draws must be an integer ≥ 1, got {draws!r}")
    names = list(TIMBRES) if timbres is None else list(timbres)
    if not names:
        raise AudioError("family_notes: timbres is empty; give at least one name from TIMBRES")
    if not 0 <= lowest_pitch or n_pitches < 1 or lowest_pitch + n_pitches - 1 > 127:
        raise AudioError(f"family_notes: pitches {lowest_pitch}…{lowest_pitch + n_pitches - 1} leave the MIDI range "
                         "0…127 (or n_pitches < 1)")
    rng = np.random.default_rng(seed)
    audio, rows = [], []
    for t_index, name in enumerate(names):
        for pitch in range(lowest_pitch, lowest_pitch + n_pitches):
            for _ in range(draws):
                member, p = draw_timbre(name, rng, family)
                velocity = rng.uniform(*family.velocities)
                detune = rng.uniform(-family.detune_cents, family.detune_cents) / 100.0
                audio.append(synth_note(min(127.0, pitch + detune), velocity, cfg.duration, cfg.sr, member))
                rows.append((pitch, t_index, velocity, p["tilt"], p["attack_factor"], p["decay_factor"]))
    cols = np.array(rows, dtype=float)
    labels = {"pitch": cols[:, 0].astype(np.int64), "timbre": cols[:, 1].astype(np.int64), "velocity": cols[:, 2],
              "tilt": cols[:, 3], "attack_factor": cols[:, 4], "decay_factor": cols[:, 5],
              "timbre_names": np.array(names)}
    return np.stack(audio).astype(np.float32), labels
