"""Exercise checkers for notebook 10 (full training).

Each checker calls the learner's function on fixed cases and compares with the rule written out here (the
global batch B = b · devices · workers with the linear learning-rate rule; the best epoch of a log by its
validation loss), then recognises the usual wrong answers: devices or workers forgotten, the rate not
scaled or scaled the wrong way, the training loss read instead of the validation loss, epochs counted from 1,
the first rise of a noisy curve taken for its minimum.
"""

from __future__ import annotations

import numpy as np

from mgtutor.checks import CheckResult, call, exercise, hint, ok

__all__ = ["scaling_exercise", "best_epoch_exercise", "EXERCISE_LOG"]

_SCALING_CASES = ((32, 4, 2, 1e-3, 64), (64, 2, 1, 0.1, 256), (16, 8, 4, 3e-4, 32))
"""(per-device batch, workers, devices per worker, base learning rate, base batch)."""


@exercise
def scaling_exercise(fn) -> CheckResult:
    """Checker for notebooks/10_full_training.ipynb, exercise 1.

    ``fn(per_device_batch, workers, devices_per_worker, base_lr, base_batch)`` must return
    ``(global_batch, learning_rate)``: B = b · devices_per_worker · workers and η = η₀ · B / B₀.
    """
    for b, workers, devices, lr, base in _SCALING_CASES:
        got, failure = call(fn, b, workers, devices, lr, base)
        if failure is not None:
            return failure
        try:
            got_batch, got_lr = got
            got_batch, got_lr = float(got_batch), float(got_lr)
        except (TypeError, ValueError):
            return hint("Return two numbers: (global_batch, learning_rate).")
        batch = b * devices * workers
        if got_batch != batch:
            if got_batch == b * workers:
                return hint("Every device of every worker takes a batch: count the devices per worker too.",
                            then="global_batch = per_device_batch * devices_per_worker * workers")
            if got_batch == b:
                return hint("That is one device's batch; a synchronous step sees every replica's batch at once.",
                            then="global_batch = per_device_batch * devices_per_worker * workers")
            if got_batch == b * devices:
                return hint("That is one worker's share; the global batch spans all the workers.", None)
            return hint(f"For b = {b}, {workers} workers × {devices} devices the global batch is not {got_batch:g}.",
                        then="global_batch = per_device_batch * devices_per_worker * workers")
        if np.isclose(got_lr, lr * batch / base, rtol=1e-9):
            continue
        if np.isclose(got_lr, lr, rtol=1e-9):
            return hint("The global batch changed, so the learning rate must change with it (linear rule).",
                        then="learning_rate = base_lr * global_batch / base_batch")
        if np.isclose(got_lr, lr * base / batch, rtol=1e-9):
            return hint("The ratio is upside down: a larger batch takes fewer, larger steps — the rate grows.",
                        then="learning_rate = base_lr * global_batch / base_batch")
        if np.isclose(got_lr, lr * np.sqrt(batch / base), rtol=1e-9):
            return hint("That is the square-root rule; this exercise asks for the linear one.", None)
        if np.isclose(got_lr, lr * workers, rtol=1e-9) or np.isclose(got_lr, lr * devices * workers, rtol=1e-9):
            return hint("Scale by the ratio of the batches, B / B₀, not by the number of replicas.",
                        then="learning_rate = base_lr * global_batch / base_batch")
        return hint(f"For B = {batch} and B₀ = {base} the rate should be η₀ · B / B₀.", None)
    return ok("global batch B = b · devices · workers, learning rate η₀ · B / B₀ (the linear rule)")


EXERCISE_LOG = {
    "epoch": list(range(12)),
    "loss": [2.10, 1.62, 1.41, 1.30, 1.21, 1.13, 1.05, 0.98, 0.91, 0.85, 0.79, 0.74],
    "val_loss": [2.05, 1.70, 1.55, 1.57, 1.46, 1.43, 1.41, 1.44, 1.49, 1.55, 1.63, 1.72],
}
"""The log of exercise 2: training loss falls throughout; validation loss has a bump at epoch 3, its minimum at
epoch 6, then rises."""


@exercise
def best_epoch_exercise(fn) -> CheckResult:
    """Checker for notebooks/10_full_training.ipynb, exercise 2.

    ``fn(log)`` gets a log as columns (``{"epoch": [...], "loss": [...], "val_loss": [...]}``, as
    :func:`mgtutor.train.read_log` returns) and must return the value of ``epoch`` at which the validation loss
    is lowest: the epoch whose weights to keep, after which the model overfits. It is also tried on a shifted
    copy of the log (a resumed run's log may not start at 0).
    """
    shifted = {**EXERCISE_LOG, "epoch": [e + 5 for e in EXERCISE_LOG["epoch"]]}
    for log, best in ((EXERCISE_LOG, 6), (shifted, 11)):
        got, failure = call(fn, {k: list(v) for k, v in log.items()})
        if failure is not None:
            return failure
        try:
            got = int(got)
        except (TypeError, ValueError):
            return hint("Return one integer: the epoch, as written in the log's 'epoch' column.")
        if got == best:
            continue
        first = log["epoch"][0]
        if got == best + 1:
            return hint("Off by one: the log counts epochs from its 'epoch' column (0-based), not from 1.")
        if got == first + 11:
            return hint("That is the epoch of the lowest *training* loss (the last one): training loss keeps "
                        "falling while the model overfits. Read the validation loss.",
                        then="log['epoch'][int(np.argmin(log['val_loss']))]")
        if got == first + 2:
            return hint("Epoch 3's rise is noise: the validation loss falls again after it. Take the lowest value "
                        "over the whole log, not the first rise.", then="log['epoch'][int(np.argmin(log['val_loss']))]")
        if got == best - first:
            return hint("That is the position in the list; return the value of the 'epoch' column there.",
                        then="log['epoch'][int(np.argmin(log['val_loss']))]")
        return hint("Find where the validation loss is lowest.", then="log['epoch'][int(np.argmin(log['val_loss']))]")
    return ok("epoch 6: the validation loss is lowest there; after it the gap to the training loss widens")
