"""Next-step windows and their tf.data pipelines.

Part of mgtutor. See notebooks/04_symbolic_music.ipynb §6.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mgtutor.errors import DatasetError


def shift_token(token: str, semitones: int) -> str:
    """Transpose one token: melody-grid pitches (``"60"``) and ``NOTE_ON_p``/``NOTE_OFF_p`` shift, others stay.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    if token.isdigit():
        return str(int(token) + semitones)
    for prefix in ("NOTE_ON_", "NOTE_OFF_"):
        if token.startswith(prefix) and token[len(prefix):].isdigit():
            return f"{prefix}{int(token[len(prefix):]) + semitones}"
    return token


def transposition_table(vocab, shifts: Sequence[int]) -> np.ndarray:
    """``table[k, i]`` = id of token i transposed by ``shifts[k]``, or −1 if that token is not in ``vocab``.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    table = np.full((len(shifts), len(vocab)), -1, dtype=np.int32)
    for k, s in enumerate(shifts):
        for i, tok in enumerate(vocab.id_to_token):
            table[k, i] = vocab.token_to_id.get(shift_token(tok, s), -1)
    return table


def token_windows(pieces: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """All windows of ``window + 1`` ids inside each piece (NumPy reference of :func:`token_dataset`).

    Rule: piece p of length n gives windows starting at 0, stride, 2·stride, … ≤ n − window − 1;
    a piece shorter than ``window + 1`` is padded with id 0 (``<pad>``) to one window. No window
    ever spans two pieces.
    Returns:
        int32 array (n_windows, window + 1): inputs are ``[:, :-1]``, next-token targets ``[:, 1:]``.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    return _windows(pieces, window, stride, np.int32, ())


def _windows(pieces: Sequence[np.ndarray], window: int, stride: int, dtype, row_shape: tuple) -> np.ndarray:
    """Windows of ``window + 1`` rows inside each piece, padding a short piece with zero rows."""
    if window < 1 or stride < 1:
        raise DatasetError(f"window and stride must be ≥ 1, got window={window}, stride={stride}")
    out = []
    for piece in pieces:
        piece = np.asarray(piece, dtype=dtype)
        if len(piece) < window + 1:
            piece = np.concatenate([piece, np.zeros((window + 1 - len(piece), *row_shape), dtype)])
        for a in range(0, len(piece) - window, stride):
            out.append(piece[a: a + window + 1])
    return np.stack(out) if out else np.zeros((0, window + 1, *row_shape), dtype=dtype)


def _valid_shifts(pieces: Sequence[np.ndarray], table: np.ndarray) -> np.ndarray:
    return np.stack([(table[:, np.asarray(p, dtype=np.int64)] >= 0).all(axis=1) for p in pieces]).astype(bool)


def token_dataset(pieces: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                  shuffle: bool = False, seed: int = 0, vocab=None, shifts: Sequence[int] = (),
                  drop_remainder: bool = False):
    """A ``tf.data`` pipeline of next-token windows: batches of ``(x, y, weight)``.

    Rule: windows as in :func:`token_windows` (never across pieces); ``x = w[:-1]``, ``y = w[1:]``,
    ``weight = (y != 0)`` so padding is not scored. With ``shifts`` (training split only!) each piece is
    transposed, each epoch, by a shift drawn from those of ``shifts`` that keep all its tokens in ``vocab``.
    Shuffling (of pieces and of windows, buffer 10 000) and transposition are seeded.

    Args:
        pieces: one id array per piece (``vocab.encode(tokens)``).
        window: input length.
        batch_size, stride, shuffle, seed, drop_remainder: as named.
        vocab: needed for ``shifts`` (to know which tokens are pitches).
        shifts: semitone shifts to draw from, e.g. ``range(-5, 7)``; empty = no augmentation.
    Returns:
        ``tf.data.Dataset`` of (x int32 (B, window), y int32 (B, window), weight float32 (B, window)), prefetched.
    Raises:
        DatasetError: bad sizes, or ``shifts`` without ``vocab``, or a piece no shift fits.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/06_melody_generation.ipynb.
    """
    import tensorflow as tf

    if window < 1 or stride < 1 or batch_size < 1:
        raise DatasetError(f"window, stride and batch_size must be ≥ 1, got {window}, {stride}, {batch_size}")
    if not pieces:
        raise DatasetError("no pieces: the split is empty (check the split fractions)")
    padded = [np.asarray(p, dtype=np.int32) for p in pieces]
    padded = [np.concatenate([p, np.zeros(max(0, window + 1 - len(p)), np.int32)]) for p in padded]
    ds = tf.data.Dataset.from_tensor_slices(_ragged(padded))
    if shifts:
        if vocab is None:
            raise DatasetError("transposition (shifts) needs the vocabulary: pass vocab=...")
        table = transposition_table(vocab, list(shifts))
        valid = _valid_shifts(padded, table)
        if not valid.any(axis=1).all():
            bad = int(np.flatnonzero(~valid.any(axis=1))[0])
            raise DatasetError(f"piece {bad} fits none of the shifts {list(shifts)}; widen the vocabulary")
        table_t = tf.constant(table)
        choices = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(valid), choices))

        def transpose(ids, ok, r):
            allowed = tf.where(ok)[:, 0]
            k = tf.gather(allowed, tf.math.floormod(r, tf.size(allowed, out_type=tf.int64)))
            return tf.gather(tf.gather(table_t, k), ids)

        ds = ds.map(_plain(transpose), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        ds = ds.shuffle(len(padded), seed=seed, reshuffle_each_iteration=True)
    ds = ds.flat_map(_plain(lambda ids: tf.data.Dataset.from_tensor_slices(tf.signal.frame(ids, window + 1, stride))))
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed + 1, reshuffle_each_iteration=True)

    def split(w):
        y = w[:, 1:]
        return w[:, :-1], y, tf.cast(y != 0, tf.float32)

    return ds.batch(batch_size, drop_remainder=drop_remainder).map(_plain(split)).prefetch(tf.data.AUTOTUNE)


def _plain(fn):
    """Mark a tf.data mapping function as plain TensorFlow ops, so AutoGraph does not parse its source."""
    import tensorflow as tf

    return tf.autograph.experimental.do_not_convert(fn)


def _ragged(arrays: Sequence[np.ndarray]):
    """A ``tf.RaggedTensor`` whose rows are ``arrays`` (same dtype and trailing shape), built in one copy."""
    import tensorflow as tf

    lengths = np.asarray([len(a) for a in arrays], dtype=np.int64)
    return tf.RaggedTensor.from_row_lengths(np.concatenate(arrays), lengths)


def roll_windows(rolls: Sequence[np.ndarray], window: int, stride: int = 1) -> np.ndarray:
    """All windows of ``window + 1`` frames inside each (T, 88) roll; short rolls are padded with silence.

    See: notebooks/04_symbolic_music.ipynb §6.
    """
    return _windows(rolls, window, stride, np.uint8, (88,))


def roll_dataset(rolls: Sequence[np.ndarray], window: int, batch_size: int = 32, stride: int = 1,
                 shuffle: bool = False, seed: int = 0, shifts: Sequence[int] = (), drop_remainder: bool = False):
    """A ``tf.data`` pipeline of piano-roll windows: batches of ``(x, y, weight)``.

    Rule: windows as in :func:`roll_windows`; ``x = w[:-1]``, ``y = w[1:]`` (float32, (B, window, 88));
    ``weight`` (B, window) is 1 on real frames and 0 on the padding of pieces shorter than a window.
    With ``shifts`` (training split only!) each piece is transposed, each epoch, by a shift drawn from
    those that keep every sounding note in 21–108.
    See: notebooks/04_symbolic_music.ipynb §6; used by notebooks/07.
    """
    import tensorflow as tf

    if window < 1 or stride < 1 or batch_size < 1:
        raise DatasetError(f"window, stride and batch_size must be ≥ 1, got {window}, {stride}, {batch_size}")
    if not rolls:
        raise DatasetError("no pieces: the split is empty (check the split fractions)")
    shifts = list(shifts)
    frames, masks, valid = [], [], []
    for r in rolls:
        r = np.asarray(r, dtype=np.uint8)
        if r.ndim != 2 or r.shape[1] != 88:
            raise DatasetError(f"a piano roll has shape (T, 88); got {r.shape}")
        n = len(r)
        pad = max(0, window + 1 - n)
        frames.append(np.concatenate([r, np.zeros((pad, 88), np.uint8)]))
        masks.append(np.concatenate([np.ones(n, np.float32), np.zeros(pad, np.float32)]))
        used = np.flatnonzero(r.any(axis=0))
        valid.append([used.size == 0 or (used.min() + s >= 0 and used.max() + s <= 87) for s in shifts])
    ds = tf.data.Dataset.from_tensor_slices((_ragged(frames), _ragged(masks)))
    if shifts:
        valid_arr = np.asarray(valid, dtype=bool)
        if not valid_arr.any(axis=1).all():
            raise DatasetError(f"a piece fits none of the shifts {shifts}")
        shifts_t = tf.constant(shifts, dtype=tf.int32)
        choices = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        ds = tf.data.Dataset.zip((ds, tf.data.Dataset.from_tensor_slices(valid_arr), choices))

        def transpose(fm, ok, r):
            f, m = fm
            allowed = tf.where(ok)[:, 0]
            s = tf.gather(shifts_t, tf.gather(allowed, tf.math.floormod(r, tf.size(allowed, out_type=tf.int64))))
            return tf.roll(f, shift=s, axis=1), m  # safe: the shift keeps every used column inside the roll

        ds = ds.map(_plain(transpose), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    if shuffle:
        ds = ds.shuffle(len(frames), seed=seed, reshuffle_each_iteration=True)
    ds = ds.flat_map(_plain(lambda f, m: tf.data.Dataset.from_tensor_slices(
        (tf.signal.frame(f, window + 1, stride, axis=0), tf.signal.frame(m, window + 1, stride)))))
    if shuffle:
        ds = ds.shuffle(4_096, seed=seed + 1, reshuffle_each_iteration=True)

    def split(f, m):
        f = tf.cast(f, tf.float32)
        return f[:, :-1], f[:, 1:], m[:, 1:]

    return ds.batch(batch_size, drop_remainder=drop_remainder).map(_plain(split)).prefetch(tf.data.AUTOTUNE)


def padded_piece_dataset(pieces: Sequence[np.ndarray], batch_size: int = 8):
    """Whole pieces (id arrays) as padded batches for evaluation: ``(x, y, weight)``, ``weight = (y != 0)``.

    Each piece becomes one row, ``x = ids[:-1]``, ``y = ids[1:]``, padded with 0 to the longest piece of
    its batch; order is kept (no shuffling), so per-piece scores line up with ``pieces``.
    See: notebooks/04_symbolic_music.ipynb §6.
    """
    import tensorflow as tf

    if not pieces:
        raise DatasetError("no pieces to batch")
    ragged = _ragged([np.asarray(p, dtype=np.int32) for p in pieces])

    def split(ids):
        y = ids[1:]
        return ids[:-1], y, tf.cast(y != 0, tf.float32)

    ds = tf.data.Dataset.from_tensor_slices(ragged).map(_plain(split))
    return ds.padded_batch(batch_size, padded_shapes=([None], [None], [None])).prefetch(tf.data.AUTOTUNE)
