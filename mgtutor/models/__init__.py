"""Models: recurrent cells from scratch (NumPy) and the course's Keras builders, by name.

Part of mgtutor. Modules:

* :mod:`~mgtutor.models.numpy_rnn` — RNN, LSTM and GRU steps in NumPy (notebook 05);
* :mod:`~mgtutor.models.registry` — every builder by name (a run directory records the name and
  its keyword arguments, and reloads through it);
* :mod:`~mgtutor.models.melody` — the Embedding + LSTM next-token model and its stateful NumPy copy (notebook 06);
* :mod:`~mgtutor.models.pianoroll` — piano-roll models: an LSTM with independent keys and an
  RNN-NADE, and their NumPy sampler (notebook 07); their Keras layers are :mod:`~mgtutor.models.pianoroll_layers`;
* :mod:`~mgtutor.models.baselines` — what a model must beat: n-grams, Bernoulli and Markov frames;
* :mod:`~mgtutor.models.gan` — the GAN losses (non-saturating, minimax, WGAN-GP) and options (notebooks 08–09); the GAN
  itself, a Keras model with two optimizers trained under TensorFlow and JAX, is :mod:`~mgtutor.models.gan_keras`;
* :mod:`~mgtutor.models.gan_toy` — the toy GAN of 1-D/2-D points (notebook 08);
* :mod:`~mgtutor.models.gan_music` — the bar GAN, the spectrogram GAN and the note classifier (notebook 09);
* :mod:`~mgtutor.models.wavenet` — WaveNet's dilated causal convolution stack and its receptive field (notebook 09).

Every public name is importable from ``mgtutor.models`` directly. Importing it imports every builder module, so
every builder is registered before the registry is asked for one (Python runs this file before any module of the
package). Importing it does not import TensorFlow or Keras; building a model does. The Keras classes are plain
module-level classes in the two modules that import Keras: ``GAN`` in :mod:`~mgtutor.models.gan_keras`, and the
piano-roll models' ``SplitFrames``, ``NADEFrames`` and ``FrameNLLLoss`` in :mod:`~mgtutor.models.pianoroll_layers`;
``models.GAN`` or ``models.NADEFrames`` loads its module on first use (:func:`__getattr__`, PEP 562).
"""

from mgtutor.models.baselines import BernoulliFrames, MarkovFrames, NGram
from mgtutor.models.gan import discriminator_loss, generator_loss
from mgtutor.models.gan_music import bar_gan, interpolate_noise, note_classifier, note_features, spec_gan
from mgtutor.models.gan_toy import toy_gan
from mgtutor.models.melody import StatefulLSTM, melody_lstm
from mgtutor.models.numpy_rnn import (
    LSTMStack,
    ModelConfigError,
    RNNGrads,
    default_lstm_weights,
    gru_forward,
    gru_step,
    lstm_forward,
    lstm_step,
    rnn_backward,
    rnn_forward,
    sigmoid,
)
from mgtutor.models.pianoroll import PianoRollSampler, frame_loss, frame_lstm, rnn_nade
from mgtutor.models.registry import (
    BUILDERS,
    KINDS,
    ModelKind,
    build,
    builder,
    builder_kwargs,
    kind_of,
    register,
    sampler,
)
from mgtutor.models.wavenet import dilated_causal_stack, input_dependence, measured_receptive_field, receptive_field

__all__ = [
    "ModelConfigError", "RNNGrads", "sigmoid", "rnn_forward", "rnn_backward", "lstm_step", "lstm_forward",
    "gru_step", "gru_forward", "default_lstm_weights", "LSTMStack", "melody_lstm", "StatefulLSTM", "frame_lstm",
    "rnn_nade", "frame_loss", "PianoRollSampler",
    "NGram", "BernoulliFrames", "MarkovFrames", "BUILDERS", "KINDS", "ModelKind", "register", "builder", "build",
    "builder_kwargs", "kind_of", "sampler",
    "GAN", "toy_gan", "discriminator_loss", "generator_loss", "SplitFrames", "NADEFrames", "FrameNLLLoss",
    "bar_gan", "spec_gan", "note_classifier", "note_features", "interpolate_noise",
    "dilated_causal_stack", "receptive_field", "input_dependence", "measured_receptive_field",
]


def __getattr__(name: str):
    """The Keras classes (the GAN, the piano-roll models' layers and loss), from the modules that import Keras, on
    first use (PEP 562)."""
    if name == "GAN":
        from mgtutor.models import gan_keras

        return gan_keras.GAN
    if name in ("SplitFrames", "NADEFrames", "FrameNLLLoss"):
        from mgtutor.models import pianoroll_layers

        return getattr(pianoroll_layers, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
