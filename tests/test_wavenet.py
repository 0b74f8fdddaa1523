"""mgtutor.models.wavenet: a dilated causal convolution stack is causal and sees 2^L steps (notebook 09 §5).

References: the receptive field measured by perturbing inputs, against the closed form 1 + (k − 1) Σ d_l worked
out by hand; a non-causal ("same") stack as the model the causality check must reject.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from mgtutor import models
from mgtutor.models import ModelConfigError, input_dependence, measured_receptive_field, receptive_field


@pytest.mark.parametrize("layers, kernel, expected", [(1, 2, 2), (3, 2, 8), (5, 2, 32), (3, 3, 15), (2, 4, 10)])
def test_receptive_field_closed_form(layers, kernel, expected):
    # 1 + (k − 1)(1 + 2 + … + 2^(L−1)): (3, 3) → 1 + 2·7 = 15; (2, 4) → 1 + 3·3 = 10
    assert receptive_field(layers, kernel) == expected


def test_receptive_field_with_given_dilations_and_bad_sizes():
    assert receptive_field(3, 2, dilations=[1, 1, 1]) == 4  # no dilation: the field grows linearly
    with pytest.raises(ModelConfigError, match="2 dilations for 3 layers"):
        receptive_field(3, dilations=[1, 2])
    with pytest.raises(ModelConfigError, match="layers"):
        receptive_field(0)
    with pytest.raises(ModelConfigError, match="channels"):
        models.build("dilated_causal_stack", channels=0)


@pytest.mark.parametrize("layers", [1, 3, 5])
def test_measured_receptive_field_is_two_to_the_layers(layers):
    keras.utils.set_random_seed(layers)
    model = models.build("dilated_causal_stack", layers=layers, channels=4)
    length = 4 * 2**layers
    seen = input_dependence(model, length, length - 1)
    assert seen.sum() == 2**layers == receptive_field(layers)
    # the field is the contiguous block of the last 2^L inputs
    assert seen[length - 2**layers:].all() and not seen[:length - 2**layers].any()
    assert measured_receptive_field(model, layers) == 2**layers


def test_causal_output_ignores_the_future():
    keras.utils.set_random_seed(0)
    model = models.build("dilated_causal_stack", layers=4, channels=6)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(1, 64, 1)).astype("float32")
    for t in (0, 10, 40, 62):
        changed = x.copy()
        changed[0, t + 1:] = rng.normal(size=(63 - t, 1))
        np.testing.assert_array_equal(np.asarray(model(x))[0, :t + 1], np.asarray(model(changed))[0, :t + 1])
        assert not input_dependence(model, 64, t)[t + 1:].any()
    assert input_dependence(model, 64, 0).tolist() == [True] + [False] * 63  # the first output sees one sample


def test_a_same_padded_stack_fails_the_causality_check():
    keras.utils.set_random_seed(0)
    model = models.build("dilated_causal_stack", layers=3, channels=4, causal=False)
    assert input_dependence(model, 32, 10)[11:].any()  # it looks ahead


def test_input_dependence_bad_step():
    model = models.build("dilated_causal_stack", layers=1)
    with pytest.raises(ModelConfigError, match="t must lie"):
        input_dependence(model, 8, 8)
