"""Small piano-roll benchmark files for the tests, made on the fly (no data in the tree)."""

import numpy as np


def tcn_mat(path, pieces=(6, 2, 2), rows=(10, 20), keys=88, seed=0):
    """A benchmark file in the TCN ``.mat`` layout (cell arrays ``traindata``/``validdata``/``testdata`` of
    (T, ``keys``) 0/1 rolls) with ``pieces`` pieces per split of ``rows`` rows (sticky random chords);
    ``rows=(0, 1)`` gives empty pieces, ``keys`` other than 88 a malformed file."""
    from scipy.io import savemat

    rng = np.random.default_rng(seed)

    def piece():
        roll = np.zeros((int(rng.integers(*rows)), keys), np.uint8)
        chord = rng.choice(np.arange(30, 60), 3, replace=False)
        for t in range(len(roll)):
            if rng.random() < 0.3:
                chord = rng.choice(np.arange(30, 60), 3, replace=False)
            roll[t, chord] = 1
        return roll

    cells = {}
    for key, n in zip(("traindata", "validdata", "testdata"), pieces, strict=True):
        arr = np.empty((1, n), dtype=object)
        for i in range(n):
            arr[0, i] = piece()
        cells[key] = arr
    savemat(path, cells)
    return path
