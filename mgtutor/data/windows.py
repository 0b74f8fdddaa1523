"""Next-step training data: one window rule for tokens and piano rolls, one transposition policy.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §6 (windows, pipelines); used by
notebooks 06 (melody tokens) and 07 (piano rolls).

**The window rule** (:func:`next_step_windows`). A model that predicts step t+1 from steps ≤ t
is trained on windows of L inputs and L targets shifted by one. Window k of a piece s of n steps
starts at a = k·stride for every a < n − 1 and takes s[a : a+L+1], padded at the end to L+1 steps;
inputs are its first L steps, targets its last L, and the weight of a target is 1 if it is a
real step and 0 on padding. So

* no target is ever dropped: every step 1 … n−1 of every piece is the target of some window
  (the tail of a piece is padded, not cut off);
* with stride = L each target is scored **exactly once** — use that for validation and test;
  training may overlap windows (stride < L) for more, correlated examples;
* no window spans two pieces.

**The transposition policy** (:class:`NextStepData`): on the *training* split only, each piece
is transposed, each epoch, by a shift drawn uniformly from the requested shifts that keep all
its notes in range. The shifts and the window order of epoch e are drawn from
``numpy.random.default_rng([seed, e])``, so epoch e is the same whether a run goes straight
through or is resumed at e (:mod:`mgtutor.train`).

One transposition function per encoding does the shifting: token ids through a table built from
:func:`mgtutor.symbolic.transpose_token` (:func:`transposition_table`), piano rolls through
:func:`mgtutor.symbolic.pianoroll.transpose_roll`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from mgtutor.errors import DatasetError
from mgtutor.symbolic import transpose_token
from mgtutor.symbolic.pianoroll import check_roll, roll_shift_range, transpose_roll


def _check_sizes(window: int, stride: int, batch_size: int = 1) -> None:
    for name, value in (("window", window), ("stride", stride), ("batch_size", batch_size)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise DatasetError(f"{name} must be an integer ≥ 1, got {value!r}")
    if stride > window:
        raise DatasetError(f"stride {stride} > window {window} would skip targets; use stride ≤ window")


# --------------------------------------------------------------------------- the window rule (NumPy)
def next_step_windows(pieces: Sequence[np.ndarray], window: int, stride: int = 1,
                      pad: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut pieces into next-step (input, target, weight) windows by the module's window rule.

    Args:
        pieces: one array per piece: token ids (n,) or piano-roll frames (n, 88) — any (n, …).
        window: L, steps per window (≥ 1). stride: step between window starts (1 ≤ stride ≤ L).
        pad: the value padding fills (the ``<pad>`` id for tokens; 0 = silence for rolls).
    Returns:
        ``(x, y, w)``: x and y of shape (N, L, …) in the pieces' dtype, w float32 (N, L).
    Raises:
        DatasetError: a bad size, no piece, pieces of different trailing shapes, or no piece with 2 steps.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    _check_sizes(window, stride)
    if len(pieces) == 0:
        raise DatasetError("no pieces: the split is empty (check the split fractions)")
    arrays = [np.asarray(p) for p in pieces]
    tail = arrays[0].shape[1:]
    if any(a.shape[1:] != tail for a in arrays):
        raise DatasetError(f"pieces differ in shape after the time axis: {sorted({a.shape[1:] for a in arrays})}")
    dtype = np.result_type(*arrays)
    xs, ys, ws = [], [], []
    for a in arrays:
        n = len(a)
        starts = np.arange(0, max(n - 1, 0), stride)
        if starts.size == 0:
            continue
        need = int(starts[-1]) + window + 1
        padded = np.concatenate([a.astype(dtype, copy=False), np.full((max(need - n, 0), *tail), pad, dtype)])
        real = np.concatenate([np.ones(n, np.float32), np.zeros(max(need - n, 0), np.float32)])
        index = starts[:, None] + np.arange(window + 1)[None, :]
        chunk, mask = padded[index], real[index]
        xs.append(chunk[:, :-1])
        ys.append(chunk[:, 1:])
        ws.append(mask[:, 1:])
    if not xs:
        raise DatasetError("no windows: every piece is shorter than 2 steps")
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(ws)


def token_windows(pieces: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """The same windows as :func:`next_step_windows`, as rows of L+1 ids (inputs ``[:, :-1]``, targets ``[:, 1:]``).

    The padding id is 0 (``<pad>``).
    Returns:
        int32 array (N, window + 1).
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    x, y, _ = next_step_windows([np.asarray(p, np.int32) for p in pieces], window, stride)
    return np.concatenate([x[:, :1], y], axis=1)


def roll_windows(rolls: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """The same windows as :func:`next_step_windows` for (T, 88) rolls, as (N, window + 1, 88) uint8 frames.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    x, y, _ = next_step_windows([check_roll(r).astype(np.uint8) for r in rolls], window, stride)
    return np.concatenate([x[:, :1], y], axis=1)


# --------------------------------------------------------------------------- one transposition function per encoding
def transposition_table(vocab, shifts: Sequence[int]) -> np.ndarray:
    """``table[k, i]`` = id of token i transposed by ``shifts[k]`` (:func:`transpose_token`), −1 if not in ``vocab``.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    table = np.full((len(shifts), len(vocab)), -1, dtype=np.int32)
    for k, s in enumerate(shifts):
        for i, tok in enumerate(vocab.id_to_token):
            table[k, i] = vocab.token_to_id.get(transpose_token(tok, int(s)), -1)
    return table


def token_transposer(vocab, shifts: Sequence[int]) -> Callable[[np.ndarray, int], np.ndarray | None]:
    """``f(ids, k)``: the ids transposed by ``shifts[k]``, or ``None`` when a token would leave ``vocab``.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    table = transposition_table(vocab, shifts)

    def transpose(ids: np.ndarray, k: int) -> np.ndarray | None:
        out = table[k][ids]
        return None if (out < 0).any() else out

    return transpose


def roll_transposer(shifts: Sequence[int]) -> Callable[[np.ndarray, int], np.ndarray | None]:
    """``f(roll, k)``: the roll transposed by ``shifts[k]`` (:func:`transpose_roll`), or ``None`` off the keyboard.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    shifts = [int(s) for s in shifts]

    def transpose(roll: np.ndarray, k: int) -> np.ndarray | None:
        lo, hi = roll_shift_range(roll)
        return transpose_roll(roll, shifts[k]) if lo <= shifts[k] <= hi else None

    return transpose


# --------------------------------------------------------------------------- epochs of data, and the tf.data adapter
class EpochData:
    """A split served epoch by epoch: epoch e is a deterministic function of (seed, e).

    Subclasses define :meth:`epoch` (all examples of epoch e as a tuple of arrays) and
    :attr:`examples_per_epoch`; this class cuts them into batches and adapts them to ``tf.data``.
    Because epoch e never depends on the epochs before it, a run resumed at epoch e sees exactly
    the data an uninterrupted run would (:func:`mgtutor.train.fit_run`).
    See: notebooks/04_symbolic_music.ipynb §6.
    """

    batch_size: int
    examples_per_epoch: int

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, ...]:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    @property
    def steps_per_epoch(self) -> int:
        """Batches per epoch (the last batch may be smaller)."""
        return -(-self.examples_per_epoch // self.batch_size)

    def batches(self, first_epoch: int = 0, epochs: int = 1, first: tuple[np.ndarray, ...] | None = None
                ) -> Iterator[tuple[np.ndarray, ...]]:
        """The batches of epochs ``first_epoch`` … ``epochs − 1``, one after another (``first``: epoch
        ``first_epoch`` already computed)."""
        for e in range(first_epoch, epochs):
            arrays = first if e == first_epoch and first is not None else self.epoch(e)
            for a in range(0, len(arrays[0]), self.batch_size):
                yield tuple(x[a:a + self.batch_size] for x in arrays)

    def dataset(self, first_epoch: int = 0, epochs: int = 1):
        """The same batches as a prefetched ``tf.data.Dataset`` (Keras ``fit`` reads it on every backend).

        For ``fit``, pass ``steps_per_epoch=self.steps_per_epoch`` with a stream of several epochs.
        """
        import tensorflow as tf

        first = self.epoch(first_epoch)  # computed once: for the signature and as the stream's first epoch
        signature = tuple(tf.TensorSpec((None, *a.shape[1:]), a.dtype) for a in first)
        ds = tf.data.Dataset.from_generator(lambda: self.batches(first_epoch, epochs, first),
                                            output_signature=signature)
        batches = self.steps_per_epoch * max(epochs - first_epoch, 0)
        return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)


class ArrayData(EpochData):
    """Examples given as arrays (one row per example), reshuffled each epoch from ``default_rng([seed, e])``.

    Args:
        arrays: one or more arrays with the same first dimension (e.g. ``(x,)`` or ``(x, y)``).
        batch_size, shuffle, seed: as named.
    Raises:
        DatasetError: no arrays, different lengths, or a bad batch size.
    See: notebooks/04_symbolic_music.ipynb §6.
    """

    def __init__(self, arrays: Sequence[np.ndarray], batch_size: int, shuffle: bool = True, seed: int = 0) -> None:
        _check_sizes(1, 1, batch_size)
        self.arrays = tuple(np.asarray(a) for a in arrays)
        if not self.arrays or len({len(a) for a in self.arrays}) != 1 or len(self.arrays[0]) == 0:
            raise DatasetError(f"need non-empty arrays of one length, got lengths {[len(a) for a in self.arrays]}")
        self.batch_size, self.shuffle, self.seed = int(batch_size), shuffle, seed
        self.examples_per_epoch = len(self.arrays[0])

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, ...]:
        if not self.shuffle:
            return self.arrays
        order = np.random.default_rng([self.seed, int(epoch)]).permutation(self.examples_per_epoch)
        return tuple(a[order] for a in self.arrays)


class FullBatchData(ArrayData):
    """:class:`ArrayData` that serves whole batches only: each epoch's shuffled examples are cut to a multiple of
    ``batch_size`` (the ``len % batch_size`` left over differ from epoch to epoch).

    A GAN's ``train_step`` is traced once per batch shape; a last, smaller batch would trace (and compile) it again.
    Raises:
        DatasetError: fewer examples than one batch, and what :class:`ArrayData` refuses.
    See: notebook 09 (GANs for music and audio).
    """

    def __init__(self, arrays: Sequence[np.ndarray], batch_size: int, shuffle: bool = True, seed: int = 0) -> None:
        super().__init__(arrays, batch_size, shuffle, seed)
        if self.examples_per_epoch < self.batch_size:
            raise DatasetError(f"{self.examples_per_epoch} examples cannot fill one batch of {self.batch_size}; "
                               "use a smaller batch size")
        self.examples_per_epoch -= self.examples_per_epoch % self.batch_size

    def _order(self, epoch: int) -> np.ndarray:
        n = len(self.arrays[0])
        order = np.random.default_rng([self.seed, int(epoch)]).permutation(n) if self.shuffle else np.arange(n)
        return order[: self.examples_per_epoch]

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, ...]:
        order = self._order(epoch)
        return tuple(a[order] for a in self.arrays)

    def dataset(self, first_epoch: int = 0, epochs: int = 1):
        """The batches of :meth:`batches`, as a ``tf.data.Dataset`` that gathers them from the arrays held once as
        tensors (no Python generator: for small convolutional models a generator's per-batch cost is most of a
        training step). Every batch has the static size ``batch_size``."""
        import tensorflow as tf

        orders = [self._order(e) for e in range(first_epoch, epochs)]
        index = np.concatenate(orders) if orders else np.zeros(0, np.int64)
        tensors = tuple(tf.constant(a) for a in self.arrays)
        ds = tf.data.Dataset.from_tensor_slices(index).batch(self.batch_size, drop_remainder=True)
        ds = ds.map(lambda i: tuple(tf.gather(t, i) for t in tensors))
        batches = self.steps_per_epoch * max(epochs - first_epoch, 0)
        return ds.apply(tf.data.experimental.assert_cardinality(batches)).prefetch(2)


class TeacherForced(EpochData):
    """``base``'s windows with the targets appended to the inputs: ``(concat([x, y], -1), y, w)``.

    For a model that predicts a frame's keys one after another and reads the earlier keys of the *target*
    frame while training (a NADE), the target is part of its input; its outputs still score ``y`` only.
    See: notebook 07 (piano rolls).
    """

    def __init__(self, base: EpochData) -> None:
        self.base, self.batch_size, self.examples_per_epoch = base, base.batch_size, base.examples_per_epoch

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, y, w = self.base.epoch(epoch)
        return np.concatenate([x, y], axis=-1), y, w


@dataclass
class NextStepData(EpochData):
    """One split as next-step windows, epoch by epoch: the data side of every sequence model's training.

    Epoch e's windows are :func:`next_step_windows` of the pieces — each transposed by a shift drawn
    for that piece and epoch when ``shifts`` are given — in an order shuffled for that epoch when
    ``shuffle``; both come from ``numpy.random.default_rng([seed, e])``. The number of windows per
    epoch does not depend on the shifts, so :attr:`steps_per_epoch` is fixed.

    Args:
        pieces: token-id arrays (n,) or piano rolls (n, 88), one per piece, of *one* split.
        window, stride, batch_size: the window rule and batch size.
        shuffle: shuffle the windows each epoch (training split).
        seed: the seed of every epoch's draws.
        shifts: semitone shifts to draw from (training split only); empty = no augmentation.
        transposer: ``f(piece, k) -> piece | None`` (:func:`token_transposer` / :func:`roll_transposer`),
            needed with ``shifts``.
        pad: the padding value (``<pad>`` id 0; silence for rolls).
        dtype: the dtype of x and y batches (``"int32"`` for ids, ``"float32"`` for rolls).
    Raises:
        DatasetError: bad sizes, an empty split, ``shifts`` without a transposer, or a piece that no
            shift fits (the message names its index).
    See: notebooks/04_symbolic_music.ipynb §6.
    """

    pieces: Sequence[np.ndarray]
    window: int
    stride: int
    batch_size: int
    shuffle: bool = False
    seed: int = 0
    shifts: Sequence[int] = ()
    transposer: Callable[[np.ndarray, int], np.ndarray | None] | None = None
    pad: int = 0
    dtype: str = "int32"
    _options: list[list[np.ndarray]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _check_sizes(self.window, self.stride, self.batch_size)
        if len(self.pieces) == 0:
            raise DatasetError("no pieces: the split is empty (check the split fractions)")
        self.pieces = [np.asarray(p) for p in self.pieces]
        self.shifts = [int(s) for s in self.shifts]
        if self.shifts and self.transposer is None:
            raise DatasetError("transposition (shifts) needs a transposer: token_transposer(vocab, shifts) or "
                               "roll_transposer(shifts)")
        # every piece's transposed versions, computed once: epoch e only picks one per piece
        self._options = []
        for index, piece in enumerate(self.pieces):
            options = [piece] if not self.shifts else [
                t for t in (self.transposer(piece, k) for k in range(len(self.shifts))) if t is not None]
            if not options:
                raise DatasetError(f"piece {index} fits none of the shifts {self.shifts}; widen the vocabulary "
                                   "or the shifts")
            self._options.append(options)
        # windows start at 0, stride, … below n − 1, whatever the shift
        self.examples_per_epoch = sum(len(range(0, max(len(p) - 1, 0), self.stride)) for p in self.pieces)
        if self.examples_per_epoch == 0:
            raise DatasetError("no windows: every piece is shorter than 2 steps")

    def epoch(self, epoch: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All ``(x, y, w)`` windows of epoch ``epoch``, in that epoch's order."""
        rng = np.random.default_rng([self.seed, int(epoch)])
        pieces = [opts[rng.integers(len(opts))] if self.shifts else opts[0] for opts in self._options]
        x, y, w = next_step_windows(pieces, self.window, self.stride, self.pad)
        if self.shuffle:
            order = rng.permutation(len(x))
            x, y, w = x[order], y[order], w[order]
        return x.astype(self.dtype, copy=False), y.astype(self.dtype, copy=False), w


def token_dataset(pieces: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                  shuffle: bool = False, seed: int = 0, vocab=None, shifts: Sequence[int] = (), epoch: int = 0):
    """One epoch of token-id windows as a ``tf.data`` pipeline of ``(x, y, weight)`` batches (:class:`NextStepData`).

    Args:
        pieces: one id array per piece (``vocab.encode(tokens)``).
        window, batch_size, stride, shuffle, seed: as in :class:`NextStepData`.
        vocab: needed with ``shifts`` (to know which tokens are pitches).
        shifts: semitone shifts to draw from (training split only!), e.g. ``range(-5, 7)``.
        epoch: which epoch's shifts and order.
    Returns:
        ``tf.data.Dataset`` of (x int32 (B, window), y int32 (B, window), weight float32 (B, window)).
    Raises:
        DatasetError: bad sizes, ``shifts`` without ``vocab``, or a piece no shift fits.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    if shifts and vocab is None:
        raise DatasetError("transposition (shifts) needs the vocabulary: pass vocab=...")
    data = NextStepData([np.asarray(p, np.int32) for p in pieces], window, stride, batch_size, shuffle, seed,
                        list(shifts), token_transposer(vocab, list(shifts)) if shifts else None)
    return data.dataset(epoch, epoch + 1)


def roll_dataset(rolls: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                 shuffle: bool = False, seed: int = 0, shifts: Sequence[int] = (), epoch: int = 0):
    """One epoch of piano-roll windows as a ``tf.data`` pipeline of ``(x, y, weight)`` batches.

    x and y are float32 (B, window, 88); weight (B, window) is 0 on padding. With ``shifts`` (training
    split only!) each roll is transposed by a shift that keeps its notes on the keyboard.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/07.
    """
    data = NextStepData([check_roll(r).astype(np.uint8) for r in rolls], window, stride, batch_size, shuffle, seed,
                        list(shifts), roll_transposer(shifts) if shifts else None, dtype="float32")
    return data.dataset(epoch, epoch + 1)


def padded_piece_dataset(pieces: Sequence[np.ndarray], batch_size: int = 8):
    """Whole pieces (id arrays) as padded batches for evaluation: ``(x, y, weight)``, ``weight = (y != 0)``.

    Each piece becomes one row, ``x = ids[:-1]``, ``y = ids[1:]``, padded with 0 to the longest piece of
    its batch; order is kept (no shuffling), so per-piece scores line up with ``pieces``.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    import tensorflow as tf

    if not pieces:
        raise DatasetError("no pieces to batch")
    arrays = [np.asarray(p, dtype=np.int32) for p in pieces]
    ragged = tf.RaggedTensor.from_row_lengths(np.concatenate(arrays), [len(a) for a in arrays])

    def split(ids):
        y = ids[1:]
        return ids[:-1], y, tf.cast(y != 0, tf.float32)

    ds = tf.data.Dataset.from_tensor_slices(ragged).map(tf.autograph.experimental.do_not_convert(split))
    return ds.padded_batch(batch_size, padded_shapes=([None], [None], [None])).prefetch(tf.data.AUTOTUNE)
