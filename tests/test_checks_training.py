"""Tests for mgtutor.checks.training (notebook 10's exercise checkers): each checker passes a correct answer, says
"not attempted yet" for a stub, and names the typical wrong answers."""

import numpy as np
import pytest

from mgtutor import checks, distribute


def test_scaling_accepts_the_rule_and_the_library():
    assert checks.scaling_exercise(lambda b, w, d, lr, b0: (b * d * w, lr * b * d * w / b0))
    assert checks.scaling_exercise(lambda b, w, d, lr, b0: (
        distribute.global_batch_size(b, w * d), distribute.scaled_learning_rate(lr, b0, b * w * d)))


def test_scaling_stub_is_not_attempted():
    def stub(b, w, d, lr, b0):
        ...

    result = checks.scaling_exercise(stub)
    assert not result and "not attempted yet" in result.message


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda b, w, d, lr, b0: (b * w, lr * b * w / b0), "count the devices per worker"),
    (lambda b, w, d, lr, b0: (b, lr), "one device's batch"),
    (lambda b, w, d, lr, b0: (b * d, lr), "one worker's share"),
    (lambda b, w, d, lr, b0: (b * w * d, lr), "must change with it"),
    (lambda b, w, d, lr, b0: (b * w * d, lr * b0 / (b * w * d)), "upside down"),
    (lambda b, w, d, lr, b0: (b * w * d, lr * np.sqrt(b * w * d / b0)), "square-root rule"),
    (lambda b, w, d, lr, b0: (b * w * d, lr * w * d), "not by the number of replicas"),
    (lambda b, w, d, lr, b0: b * w * d, "two numbers"),
    (lambda b, w, d, lr, b0: 1 / 0, "ZeroDivisionError"),
])
def test_scaling_recognises_wrong_answers(wrong, phrase):
    result = checks.scaling_exercise(wrong)
    assert not result and phrase in result.message


def test_best_epoch_accepts_argmin_of_the_validation_loss():
    assert checks.best_epoch_exercise(lambda log: log["epoch"][int(np.argmin(log["val_loss"]))])
    assert checks.EXERCISE_LOG["loss"][-1] == min(checks.EXERCISE_LOG["loss"])  # training loss: lowest at the end


@pytest.mark.parametrize(("wrong", "phrase"), [
    (lambda log: log["epoch"][int(np.argmin(log["val_loss"]))] + 1, "Off by one"),
    (lambda log: log["epoch"][int(np.argmin(log["loss"]))], "lowest *training* loss"),
    (lambda log: log["epoch"][next(i for i in range(1, 12) if log["val_loss"][i] > log["val_loss"][i - 1]) - 1],
     "first rise"),
    (lambda log: int(np.argmin(log["val_loss"])), "position in the list"),
    (lambda log: log["epoch"][int(np.argmax(log["val_loss"]))], "lowest"),
    (lambda log: "six", "one integer"),
])
def test_best_epoch_recognises_wrong_answers(wrong, phrase):
    result = checks.best_epoch_exercise(wrong)
    assert not result and phrase in result.message


def test_the_formula_hint_comes_on_the_second_failure():
    first = checks.best_epoch_exercise(lambda log: log["epoch"][int(np.argmin(log["loss"]))])
    second = checks.best_epoch_exercise(lambda log: log["epoch"][int(np.argmin(log["loss"]))])
    assert "Next hint" not in first.message and "Next hint: log['epoch'][int(np.argmin" in second.message
