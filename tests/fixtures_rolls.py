"""Small piano-roll benchmark files for the tests, made on the fly (no data in the tree)."""

import numpy as np


def tcn_mat(path, pieces=(6, 2, 2), rows=(10, 20), keys=88, seed=0):
    """A benchmark file in the TCN ``.mat`` layout (cell arrays ``traindata``/``validdata``/``testdata`` of
    (T, ``keys``) 0/1 rolls) with ``pieces`` pieces per split of ``rows`` rows (sticky random chords);
    ``rows=(0, 1)`` gives empty pieces, ``keys`` other than 88 a malformed file."""
    rng = np.random.default_rng(seed)

    def piece():
        roll = np.zeros((int(rng.integers(*rows)), keys), np.uint8)
        chord = rng.choice(np.arange(30, 60), 3, replace=False)
        for t in range(len(roll)):
            if rng.random() < 0.3:
                chord = rng.choice(np.arange(30, 60), 3, replace=False)
            roll[t, chord] = 1
        return roll

    return _write_mat(path, piece, pieces)


def alternating_mat(path, pieces=(6, 2, 2), rows=(10, 20), seed=0):
    """A benchmark file in the TCN ``.mat`` layout whose pieces alternate two fixed triads every frame (C–E–G, then
    B–D–F, from a random first one): each key of the six is on in about half the frames, so independent
    Bernoulli keys pay about 6 ln 2 nats a frame, while a model of the previous frame predicts the next one."""
    rng = np.random.default_rng(seed)

    def piece():
        roll = np.zeros((int(rng.integers(*rows)) + 1, 88), np.uint8)
        roll[0::2, [39, 43, 46]] = 1  # C4 E4 G4 (MIDI 60, 64, 67)
        roll[1::2, [38, 41, 44]] = 1  # B3 D4 F4 (MIDI 59, 62, 65)
        return roll[int(rng.integers(2)):]

    return _write_mat(path, piece, pieces)


def _write_mat(path, piece, pieces):
    from scipy.io import savemat

    cells = {}
    for key, n in zip(("traindata", "validdata", "testdata"), pieces, strict=True):
        arr = np.empty((1, n), dtype=object)
        for i in range(n):
            arr[0, i] = piece()
        cells[key] = arr
    savemat(path, cells)
    return path
