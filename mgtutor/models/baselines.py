"""Baselines fitted by counting, in NumPy: what a trained model must beat on the same split.

Part of mgtutor. See notebooks/06_melody_generation.ipynb §2 (n-gram) and notebook 07 (piano rolls).

A NumPy model has ``fit(data)``, ``get_params() -> dict[str, ndarray]`` and ``set_params(params)``;
a run directory saves its parameters as ``params.npz`` and reloads it through the builder registry
(:mod:`mgtutor.runs`), as it does a Keras model's weights.
"""

from __future__ import annotations

import math

import numpy as np

from mgtutor.models.numpy_rnn import ModelConfigError
from mgtutor.models.registry import register
from mgtutor.symbolic.pianoroll import PIANO_KEYS, PIANO_LOW


def _check_keys_alpha(keys, alpha) -> tuple[int, float]:
    if isinstance(keys, bool) or not isinstance(keys, (int, np.integer)) or keys < 1:
        raise ModelConfigError(f"keys must be a positive integer, got {keys!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float, np.integer, np.floating)) or not alpha > 0:
        raise ModelConfigError(f"alpha must be a number > 0 (add-alpha smoothing), got {alpha!r}")
    return int(keys), float(alpha)


def _roll(roll, keys: int, what: str = "roll") -> np.ndarray:
    """``roll`` as a bool (T, keys) array (a key sounds where the value is non-zero)."""
    roll = np.asarray(roll)
    if roll.ndim != 2 or roll.shape[1] != keys:
        raise ModelConfigError(f"{what} has shape {roll.shape}; expected (T, {keys}): one row per frame, "
                               f"one column per key" + (f" (column j = MIDI pitch j + {PIANO_LOW})"
                                                        if keys == PIANO_KEYS else ""))
    return roll.astype(bool)


def _rolls(rolls, keys: int) -> list[np.ndarray]:
    if isinstance(rolls, np.ndarray) and rolls.ndim == 2:
        raise ModelConfigError(f"fit takes a list of rolls, got one array of shape {rolls.shape}; pass [roll]")
    out = [_roll(r, keys, f"rolls[{i}]") for i, r in enumerate(rolls)]
    if not sum(len(r) for r in out):
        raise ModelConfigError("no frames to fit: give at least one roll with one frame")
    return out


def _probability_table(p, shape: tuple[int, ...], name: str) -> np.ndarray:
    p = np.asarray(p, float)
    if p.shape != shape or not ((p > 0) & (p < 1)).all():
        raise ModelConfigError(f"{name} has shape {p.shape} or values outside (0, 1); expected {shape} in (0, 1)")
    return p


class BernoulliFrames:
    """Independent Bernoulli keys: every frame is drawn from the same p ∈ (0, 1)^K, ignoring the past.

    Fit (add-α smoothing): p_j = (n_j + α) / (N + 2α), where n_j counts the training frames in which
    key j sounds and N counts all training frames. The frame NLL of a frame y is
    −Σ_j [y_j log p_j + (1 − y_j) log(1 − p_j)] (:func:`mgtutor.metrics.frame_nll`).
    Used like :class:`MarkovFrames`: ``fit(rolls)``, ``probs_over(roll)``, ``sample(steps, rng)``.
    See: notebook 07 (piano rolls).
    """

    def __init__(self, keys: int = PIANO_KEYS, alpha: float = 1.0) -> None:
        self.keys, self.alpha = _check_keys_alpha(keys, alpha)
        self.p = np.full(self.keys, 0.5)

    def fit(self, rolls) -> BernoulliFrames:
        """Count the keys over every frame of ``rolls`` (a list of (T, K) 0/1 arrays).

        Raises:
            ModelConfigError: a roll is not (T, K), or there is no frame at all.
        """
        frames = np.concatenate(_rolls(rolls, self.keys))
        self.p = (frames.sum(axis=0) + self.alpha) / (len(frames) + 2 * self.alpha)
        return self

    def probs_over(self, roll) -> np.ndarray:
        """p_t for every frame of ``roll`` (T, K): the same vector p each time, shape (T, K).

        Raises:
            ModelConfigError: ``roll`` is not (T, K).
        """
        return np.broadcast_to(self.p, _roll(roll, self.keys).shape).copy()

    def sample(self, steps: int, rng: np.random.Generator) -> np.ndarray:
        """``steps`` frames drawn independently: uint8 (steps, K)."""
        return (rng.random((steps, self.keys)) < self.p).astype(np.uint8)

    def get_params(self) -> dict[str, np.ndarray]:
        return {"p": self.p}

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        self.p = _probability_table(params["p"], (self.keys,), "p")


@register("bernoulli_frames")
def bernoulli_frames(keys: int = PIANO_KEYS, alpha: float = 1.0) -> BernoulliFrames:
    """The independent-Bernoulli frame baseline (:class:`BernoulliFrames`), unfitted."""
    return BernoulliFrames(keys, alpha)


class MarkovFrames:
    """A first-order Markov chain per key: p_j(on | key j's state s ∈ {off, on} in the previous frame).

    Each key is its own two-state chain; keys are independent given the previous frame. Fit by counting
    transitions within each piece, with an all-zero frame before frame 0 (so frame 0 is predicted from
    "off"), and add-α smoothing:

        p_j(on | s) = (n_j(s → on) + α) / (n_j(s) + 2α),

    where n_j(s) counts the frames whose previous frame had key j in state s and n_j(s → on) those of
    them in which key j sounds. For a roll y the prediction of frame t is p_tj = p_j(on | y_{t−1, j}),
    with y_{−1} = 0, and its frame NLL is −Σ_j [y_tj log p_tj + (1 − y_tj) log(1 − p_tj)]
    (:func:`mgtutor.metrics.frame_nll`). Music holds notes over several frames, so p_j(on | on) is large
    and p_j(on | off) small: this baseline beats :class:`BernoulliFrames` by knowing only what sounded
    one frame ago.

    Attributes:
        p: (2, K) table; ``p[0, j] = p_j(on | off)``, ``p[1, j] = p_j(on | on)`` (0.5 before fitting).
    See: notebook 07 (piano rolls).
    """

    def __init__(self, keys: int = PIANO_KEYS, alpha: float = 1.0) -> None:
        self.keys, self.alpha = _check_keys_alpha(keys, alpha)
        self.p = np.full((2, self.keys), 0.5)

    @staticmethod
    def _previous(roll: np.ndarray) -> np.ndarray:
        """The previous frame of each frame of a bool roll: an all-zero frame, then rows 0 … T − 2."""
        return np.concatenate([np.zeros((1, roll.shape[1]), bool), roll])[:len(roll)]

    def fit(self, rolls) -> MarkovFrames:
        """Count each key's transitions over ``rolls`` (a list of (T, K) 0/1 arrays), piece by piece.

        Raises:
            ModelConfigError: a roll is not (T, K), or there is no frame at all.
        """
        n_on, n = np.zeros((2, self.keys)), np.zeros((2, self.keys))
        for roll in _rolls(rolls, self.keys):
            prev = self._previous(roll)
            for s, mask in enumerate((~prev, prev)):
                n[s] += mask.sum(axis=0)
                n_on[s] += (mask & roll).sum(axis=0)
        self.p = (n_on + self.alpha) / (n + 2 * self.alpha)
        return self

    def probs_over(self, roll) -> np.ndarray:
        """p_t for every frame of ``roll`` (T, K), each from the previous frame of that roll (frame 0 from
        zeros): ``p[t, j] = p_j(on | roll[t − 1, j])``, shape (T, K).

        Raises:
            ModelConfigError: ``roll`` is not (T, K).
        """
        roll = _roll(roll, self.keys)
        return np.where(self._previous(roll), self.p[1], self.p[0])

    def sample(self, steps: int, rng: np.random.Generator) -> np.ndarray:
        """``steps`` frames drawn one after the other (ancestral sampling from an all-zero frame): uint8 (steps, K).

        Raises:
            ModelConfigError: ``steps`` is not an integer ≥ 0.
        """
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ModelConfigError(f"steps must be an integer ≥ 0, got {steps!r}")
        out = np.zeros((int(steps), self.keys), np.uint8)
        prev = np.zeros(self.keys, np.intp)
        for t in range(int(steps)):
            prev = (rng.random(self.keys) < self.p[prev, np.arange(self.keys)]).astype(np.intp)
            out[t] = prev
        return out

    def get_params(self) -> dict[str, np.ndarray]:
        return {"p": self.p}

    def set_params(self, params: dict[str, np.ndarray]) -> None:
        self.p = _probability_table(params["p"], (2, self.keys), "p")


@register("markov_frames")
def markov_frames(keys: int = PIANO_KEYS, alpha: float = 1.0) -> MarkovFrames:
    """The per-key first-order Markov frame baseline (:class:`MarkovFrames`), unfitted."""
    return MarkovFrames(keys, alpha)


class NGram:
    """An interpolated Witten–Bell n-gram model of token sequences: the baseline a token model must beat.

    Trained on the targets of framed sequences (every token after the first, with the tokens before it as
    history, as a next-token model sees them). With c(h w) the count of token w after history h,
    c(h) = Σ_w c(h w) and T(h) the number of distinct tokens seen after h:

        P_n(w | h) = [c(h w) + T(h) · P_{n−1}(w | h′)] / [c(h) + T(h)],    h′ = h without its oldest token,

    and P_n(w | h) = P_{n−1}(w | h′) for a history never seen. The recursion ends at the unigram
    interpolated with the uniform distribution, P_1(w) = [c(w) + T · 1/V] / [N + T] (N targets, T distinct
    tokens), so every token of the vocabulary has a probability > 0. Near a sequence's start the history is
    shorter (the framing ``<start>`` token is the first history).
    See: notebooks/06_melody_generation.ipynb §2 (baselines).
    """

    def __init__(self, order: int, vocab_size: int) -> None:
        for name, value, low in (("order", order, 1), ("vocab_size", vocab_size, 2)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ModelConfigError(f"{name} must be an integer ≥ {low}, got {value!r}")
        self.order, self.vocab_size = int(order), int(vocab_size)
        self.counts: list[dict[tuple, dict[int, int]]] = [{} for _ in range(self.order)]

    def fit(self, sequences) -> NGram:
        """Count every target (position ≥ 1) with its histories of length 0 … order − 1."""
        for seq in sequences:
            seq = [int(s) for s in seq]
            if any(not 0 <= s < self.vocab_size for s in seq):
                raise ModelConfigError(f"token ids must be in 0…{self.vocab_size - 1}")
            for t in range(1, len(seq)):
                for n in range(min(self.order, t + 1)):
                    table = self.counts[n].setdefault(tuple(seq[t - n:t]), {})
                    table[seq[t]] = table.get(seq[t], 0) + 1
        return self

    def _order(self, order: int | None) -> int:
        if order is None:
            return self.order
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not 1 <= order <= self.order:
            raise ModelConfigError(f"order must be an integer from 1 to the fitted {self.order}, got {order!r}")
        return int(order)

    def probs(self, history, order: int | None = None) -> np.ndarray:
        """P(· | history) over the whole vocabulary (V,), summing to 1.

        ``order`` (≤ the fitted order; default: it) scores as the n-gram of that order: an order-n fit holds the
        counts of every lower order, so one fit gives all of them, each equal to a fit of its own order.
        """
        order = self._order(order)
        history = tuple(int(s) for s in history)[-(order - 1):] if order > 1 else ()
        unigram = self.counts[0].get((), {})
        total, types = sum(unigram.values()), len(unigram)
        p = np.full(self.vocab_size, types / self.vocab_size if types else 1.0)
        for w, c in unigram.items():
            p[w] += c
        p /= total + types if total else 1.0
        for n in range(1, len(history) + 1):
            table = self.counts[n].get(history[-n:])
            if not table:
                break
            c_h, t_h = sum(table.values()), len(table)
            q = t_h * p
            for w, c in table.items():
                q[w] += c
            p = q / (c_h + t_h)
        return p

    def sample(self, length: int, rng: np.random.Generator, history=(), stop: int | None = None) -> list[int]:
        """Draw up to ``length`` tokens one at a time from P(· | the tokens before), after ``history``.

        Stops early (after drawing it) at the token ``stop`` when one is given; returns the drawn tokens only.
        See: notebooks/11_evaluating_generated_music.ipynb §4 (a heavily overfit n-gram copies its training data).
        """
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
            raise ModelConfigError(f"length must be a positive number of tokens, got {length!r}")
        seq, out = [int(s) for s in history], []
        for _ in range(int(length)):
            token = int(rng.choice(self.vocab_size, p=self.probs(seq[-(self.order - 1):] if self.order > 1 else [])))
            seq.append(token)
            out.append(token)
            if token == stop:
                break
        return out

    def nll(self, sequences, order: int | None = None) -> float:
        """Mean negative log-likelihood (nats) per target token over ``sequences`` (targets at positions ≥ 1), as
        the n-gram of ``order`` (default: the fitted order; see :meth:`probs`)."""
        order = self._order(order)
        total = count = 0
        for seq in sequences:
            seq = [int(s) for s in seq]
            for t in range(1, len(seq)):
                total -= math.log(self.probs(seq[max(0, t - order + 1):t], order)[seq[t]])
                count += 1
        if count == 0:
            raise ModelConfigError("no targets to score: every sequence is shorter than 2 tokens")
        return total / count
